"""Quality gates over the bundled question bank (seeds/questions/*.csv)."""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher
from functools import cache

import pytest

from db.exams import exams
from seeds.loader import QUESTIONS_DIR
from seeds.questions_csv import LETTERS, QuestionRow, parse_questions

EXAMS = ("a1101", "a1102", "network", "security")
FORBIDDEN = re.compile(r"\b(all|none|both) of the above\b|\bboth [A-D] and [A-D]\b", re.I)


@cache
def bank() -> tuple[QuestionRow, ...]:
    rows: list[QuestionRow] = []
    for path in sorted(QUESTIONS_DIR.glob("*.csv")):
        parsed, problems = parse_questions(path.read_bytes())
        assert problems == [], f"{path.name}: {problems[:3]}"
        rows.extend(parsed)
    return tuple(rows)


def of(exam: str) -> list[QuestionRow]:
    return [q for q in bank() if q.exam_type == exam]


def test_the_bank_has_at_least_240_questions_with_unique_ids() -> None:
    assert len(bank()) >= 240
    keys = Counter((q.exam_type, q.question_id) for q in bank())
    assert [k for k, n in keys.items() if n > 1] == []


@pytest.mark.parametrize("exam", EXAMS)
def test_every_domain_is_covered_roughly_by_its_weight(exam: str) -> None:
    questions = of(exam)
    assert len(questions) >= 60
    info = exams()[exam]
    per_domain = Counter(info.domain_of(q.objective).number for q in questions)  # type: ignore[union-attr]
    for domain in info.domains:
        expected = len(questions) * domain.weight / sum(d.weight for d in info.domains)
        assert per_domain[domain.number] >= 1, domain.title
        assert abs(per_domain[domain.number] - expected) <= max(3, expected * 0.25), (
            f"{domain.number} {domain.title}: {per_domain[domain.number]} vs ~{expected:.0f}"
        )
    objectives = {o.id for d in info.domains for o in d.objectives}
    covered = {q.objective for q in questions}
    assert len(covered) * 2 >= len(objectives)


@pytest.mark.parametrize("exam", EXAMS)
def test_correct_letters_are_balanced_and_not_the_longest_option(exam: str) -> None:
    questions = of(exam)
    letters = Counter(q.correct_answer for q in questions)
    for letter in LETTERS:
        share = letters[letter] / len(questions)
        assert 0.18 <= share <= 0.32, f"{letter}: {share:.0%}"
    longest = sum(
        1
        for q in questions
        if all(
            len(q.options[q.correct_answer]["text"]) > len(q.options[other]["text"])
            for other in LETTERS
            if other != q.correct_answer
        )
    )
    assert longest / len(questions) <= 0.40


@pytest.mark.parametrize("exam", EXAMS)
def test_no_duplicate_or_near_duplicate_question_texts(exam: str) -> None:
    texts = [(q.question_id, " ".join(q.question_text.lower().split())) for q in of(exam)]
    for i, (id_a, a) in enumerate(texts):
        for id_b, b in texts[i + 1 :]:
            matcher = SequenceMatcher(None, a, b)
            if matcher.real_quick_ratio() > 0.85 and matcher.quick_ratio() > 0.85:
                assert matcher.ratio() <= 0.85, f"{id_a} and {id_b} are near-duplicates"


def test_no_catch_all_options_and_every_option_is_explained() -> None:
    for q in bank():
        for letter in LETTERS:
            option = q.options[letter]
            assert option["text"].strip() and option["explanation"].strip(), q.question_id
            assert not FORBIDDEN.search(option["text"]), q.question_id
        assert len({q.options[letter]["text"] for letter in LETTERS}) == 4, q.question_id
