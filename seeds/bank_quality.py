"""Quality gates of the question bank (issue [2/8]), pure and standalone.

Reads question rows as plain mappings (CSV columns) and the objectives catalogue as parsed
JSON, so the same gates run in the test suite, in `certquest questions stats` and for an
author checking a draft file:

    python -m seeds.bank_quality seeds/questions/*.csv [--objectives FILE.json]

Gates for a current exam (docs/question-review.md):
- at least 150 questions; per domain within ±2 of its weight's share; each objective >= 2;
- each key letter 20-30 %; the key strictly the longest option in at most 25 %;
- no absolute word more frequent (per option) in distractors than in keys;
- difficulty 2 or 3 for at least 60 %;
- no key that alone repeats a content word of the stem;
- near-duplicates (TF-IDF cosine of stem + key, across every exam) listed for review.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the checker runs without the project installed
    from db.quiz.questions import QuestionRow

KEY_LETTERS = ("A", "B", "C", "D")
ABSOLUTE_WORDS = ("always", "never", "guaranteed", "only", "permanently")
MIN_PER_CURRENT_EXAM = 150
DOMAIN_TOLERANCE = 2
MIN_PER_OBJECTIVE = 2
LETTER_SHARE = (0.20, 0.30)
MAX_LONGEST_KEY_SHARE = 0.25
MIN_HARD_SHARE = 0.60
# Calibrated on the known pairs of issue [2/8] (docs/question-review.md, "Duplicate check").
DUPLICATE_THRESHOLD = 0.20

_WORD = re.compile(r"[a-z0-9][a-z0-9.+#/-]*[a-z0-9+#]|[a-z0-9]")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "by",
        "from",
        "at",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "which",
        "what",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "than",
        "then",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "you",
        "your",
        "we",
        "our",
        "us",
        "i",
        "me",
        "my",
        "not",
        "no",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "into",
        "onto",
        "over",
        "under",
        "after",
        "before",
        "about",
        "between",
        "during",
        "without",
        "within",
        "while",
        "also",
        "any",
        "each",
        "every",
        "some",
        "such",
        "most",
        "more",
        "other",
        "another",
        "same",
        "so",
        "if",
        "but",
        "all",
        "one",
        "two",
        "three",
        "four",
        "first",
        "next",
        "best",
        "most",
        "least",
        "using",
        "use",
        "used",
        "uses",
        "user",
        "users",
        "technician",
        "administrator",
        "analyst",
        "company",
        "customer",
        "employee",
        "following",
        "needs",
        "need",
        "wants",
        "want",
        "asks",
        "asked",
        "should",
    ]
)


def words(text: str) -> list[str]:
    """Lower-case word tokens with a naive plural fold ("switches" ~ "switche" ~ "switch")."""
    out = []
    for w in _WORD.findall(text.lower()):
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS and len(w) >= 3 and not w.isdigit()}


@dataclass(frozen=True, slots=True)
class Item:
    question_id: str
    exam_type: str
    objective: str
    stem: str
    options: dict[str, str]
    key: str
    difficulty: int | None

    @property
    def key_text(self) -> str:
        return self.options.get(self.key, "")

    @property
    def distractors(self) -> list[str]:
        return [t for letter, t in self.options.items() if letter != self.key]


def item_from_row(row: Mapping[str, str]) -> Item:
    options = {
        letter: row.get(f"option_{letter.lower()}", "").strip()
        for letter in ("A", "B", "C", "D", "E", "F")
        if row.get(f"option_{letter.lower()}", "").strip()
    }
    raw_difficulty = (row.get("difficulty") or "").strip()
    return Item(
        question_id=row["question_id"].strip(),
        exam_type=row["exam_type"].strip(),
        objective=row["objective"].strip(),
        stem=row["question_text"].strip(),
        options=options,
        key=row["correct_answer"].strip().upper(),
        difficulty=int(raw_difficulty) if raw_difficulty.isdigit() else None,
    )


def item_from_question(q: QuestionRow) -> Item:
    """An item of the database's bank (``certquest questions stats``)."""
    return Item(
        question_id=q.question_id,
        exam_type=q.exam_type,
        objective=q.objective,
        stem=q.question_text,
        options={letter: option["text"] for letter, option in q.options.items()},
        key=q.correct_answer,
        difficulty=q.difficulty,
    )


def read_items(paths: Iterable[Path]) -> list[Item]:
    items: list[Item] = []
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            items.extend(item_from_row(r) for r in csv.DictReader(fh))
    return items


@dataclass(slots=True)
class ExamReport:
    exam_type: str
    count: int
    problems: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


def key_is_longest(item: Item) -> bool:
    key = len(item.key_text)
    return all(key > len(t) for t in item.distractors)


def key_repeats_stem(item: Item) -> set[str]:
    """Content words of the stem that the key has and no distractor has."""
    stem = content_words(item.stem)
    key = content_words(item.key_text)
    others: set[str] = set()
    for t in item.distractors:
        others |= content_words(t)
    return (stem & key) - others


def absolute_rates(items: Sequence[Item]) -> dict[str, tuple[float, float]]:
    """Per absolute word: (share of keys containing it, share of distractors containing it)."""
    keys = [set(words(i.key_text)) for i in items]
    distractors = [set(words(t)) for i in items for t in i.distractors]
    rates = {}
    for w in ABSOLUTE_WORDS:
        k = sum(w in s for s in keys) / max(1, len(keys))
        d = sum(w in s for s in distractors) / max(1, len(distractors))
        rates[w] = (k, d)
    return rates


def check_exam(
    exam_type: str, items: Sequence[Item], exam: Mapping[str, Any], *, current: bool
) -> ExamReport:
    """Every gate for one exam; `exam` is that exam's entry of comptia_objectives.json."""
    report = ExamReport(exam_type, len(items))
    p = report.problems
    n = len(items)
    if current and n < MIN_PER_CURRENT_EXAM:
        p.append(f"{n} questions, need at least {MIN_PER_CURRENT_EXAM}")
    total_weight = sum(int(d["weight"]) for d in exam["domains"])
    per_domain = Counter(i.objective.split(".")[0] + ".0" for i in items)
    per_objective = Counter(i.objective for i in items)
    report.figures["domains"] = {}
    for d in exam["domains"]:
        expected = n * int(d["weight"]) / total_weight
        got = per_domain[d["number"]]
        report.figures["domains"][d["number"]] = (got, round(expected, 1))
        if current and abs(got - expected) > DOMAIN_TOLERANCE:
            p.append(f"domain {d['number']}: {got} questions, expected {expected:.1f} ± 2")
        for o in d["objectives"]:
            if current and per_objective[o["id"]] < MIN_PER_OBJECTIVE:
                p.append(f"objective {o['id']}: {per_objective[o['id']]} questions, need 2")
    known = {o["id"] for d in exam["domains"] for o in d["objectives"]}
    for i in items:
        if i.objective not in known:
            p.append(f"{i.question_id}: objective {i.objective} is not in {exam_type}")
    single = [i for i in items if i.key in KEY_LETTERS and len(i.options) == 4]
    letters = Counter(i.key for i in single)
    report.figures["letters"] = {k: letters[k] for k in KEY_LETTERS}
    longest = [i.question_id for i in single if key_is_longest(i)]
    report.figures["longest_key"] = len(longest)
    if single and current:
        for k in KEY_LETTERS:
            share = letters[k] / len(single)
            if not LETTER_SHARE[0] <= share <= LETTER_SHARE[1]:
                p.append(f"key letter {k}: {share:.0%} of answers (allowed 20-30 %)")
        if len(longest) / len(single) > MAX_LONGEST_KEY_SHARE:
            p.append(
                f"the key is strictly the longest option in {len(longest)}/{len(single)} "
                f"({len(longest) / len(single):.0%}; allowed 25 %)"
            )
    rates = absolute_rates(single)
    report.figures["absolutes"] = rates
    if current:
        for w, (key_rate, distractor_rate) in rates.items():
            if distractor_rate > key_rate:
                p.append(
                    f"absolute word {w!r}: in {distractor_rate:.1%} of distractors "
                    f"but {key_rate:.1%} of keys"
                )
    difficulties = Counter(i.difficulty for i in items)
    report.figures["difficulty"] = dict(difficulties)
    if current:
        missing = [i.question_id for i in items if i.difficulty not in (1, 2, 3)]
        if missing:
            p.append(f"difficulty missing or not 1-3: {', '.join(missing[:10])}")
        hard = sum(1 for i in items if i.difficulty in (2, 3))
        if n and hard / n < MIN_HARD_SHARE:
            p.append(f"difficulty 2-3 for {hard / n:.0%} (need 60 %)")
        for i in single:
            cue = key_repeats_stem(i)
            if cue:
                p.append(f"{i.question_id}: only the key repeats stem word(s) {sorted(cue)}")
    return report


def _tfidf(docs: Sequence[list[str]]) -> list[dict[str, float]]:
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(d))
    n = len(docs)
    vectors = []
    for d in docs:
        tf = Counter(d)
        vec = {w: (1 + math.log(c)) * math.log((1 + n) / (1 + df[w])) for w, c in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({w: v / norm for w, v in vec.items()})
    return vectors


def similar_pairs(
    items: Sequence[Item], threshold: float = DUPLICATE_THRESHOLD
) -> list[tuple[float, str, str]]:
    """Candidate near-duplicates: cosine of TF-IDF over stem + key content words."""
    docs = [[w for w in words(i.stem + " " + i.key_text) if w not in STOPWORDS] for i in items]
    vecs = _tfidf(docs)
    index: dict[str, list[int]] = {}
    for n, v in enumerate(vecs):
        for w in v:
            index.setdefault(w, []).append(n)
    out = []
    for a, va in enumerate(vecs):
        candidates = {b for w in va for b in index[w] if b > a}
        for b in candidates:
            vb = vecs[b]
            score = sum(x * vb.get(w, 0.0) for w, x in va.items())
            if score >= threshold:
                out.append((round(score, 3), items[a].question_id, items[b].question_id))
    return sorted(out, reverse=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument(
        "--objectives",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "db" / "data" / "comptia_objectives.json",
    )
    parser.add_argument("--threshold", type=float, default=DUPLICATE_THRESHOLD)
    args = parser.parse_args(argv)
    catalogue = json.loads(args.objectives.read_text())
    by_type = {e["exam_type"]: e for e in catalogue["exams"]}
    items = read_items(args.files)
    failed = False
    for exam_type in sorted({i.exam_type for i in items}):
        exam = by_type.get(exam_type)
        if exam is None:
            print(f"{exam_type}: unknown exam type")
            failed = True
            continue
        current = not exam.get("lifecycle", {}).get("retired")
        report = check_exam(
            exam_type, [i for i in items if i.exam_type == exam_type], exam, current=current
        )
        print(f"== {exam_type} ({'current' if current else 'retired'}): {report.count} questions")
        for k, v in report.figures.items():
            print(f"   {k}: {v}")
        for problem in report.problems:
            print(f"   PROBLEM {problem}")
        failed |= bool(report.problems)
    pairs = similar_pairs(items, args.threshold)
    print(f"== similar pairs (cosine >= {args.threshold}): {len(pairs)}")
    for score, a, b in pairs:
        print(f"   {score:.3f} {a} ~ {b}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
