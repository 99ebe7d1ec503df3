"""The question CSV format (docs/question-format.md): parse and validate, write back.

Parsing is pure: it returns the valid rows and a list of problems with line numbers; callers
write nothing unless the problem list is empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from db.exams import exams
from db.models import LETTERS as LETTERS
from db.quiz.questions import QuestionRow as QuestionRow

HEADER: tuple[str, ...] = (
    "question_id",
    "exam_type",
    "objective",
    "question_text",
    "option_a",
    "explanation_a",
    "option_b",
    "explanation_b",
    "option_c",
    "explanation_c",
    "option_d",
    "explanation_d",
    "correct_answer",
)
OPTIONAL = "difficulty"
"""An optional last column: 1 easy, 2 exam level, 3 hard."""
MAX_ID = 64
MAX_QUESTION = 1000
MAX_OPTION = 200
MAX_EXPLANATION = 400




@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig")


def parse_questions(data: bytes | str) -> tuple[list[QuestionRow], list[RowProblem]]:
    """Parse a whole CSV file. Line numbers are physical lines where the row starts."""
    if isinstance(data, bytes):
        try:
            text = _decode(data)
        except UnicodeDecodeError as exc:
            return [], [RowProblem(1, f"the file is not UTF-8 ({exc.reason} at byte {exc.start})")]
    else:
        text = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[QuestionRow] = []
    problems: list[RowProblem] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], [RowProblem(1, "the file is empty; expected a header row")]
    except csv.Error as exc:
        return [], [RowProblem(1, f"unreadable CSV: {exc}")]
    normalized = tuple(h.strip().lower() for h in header)
    columns = (*HEADER, OPTIONAL) if normalized == (*HEADER, OPTIONAL) else HEADER
    if normalized != columns:
        missing = [h for h in HEADER if h not in normalized]
        detail = f"missing {', '.join(missing)}" if missing else "columns out of order"
        return [], [RowProblem(1, f"header must be {','.join(HEADER)} ({detail})")]
    seen: dict[tuple[str, str], int] = {}
    catalogue = exams()
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(RowProblem(start, f"unreadable CSV: {exc}"))
            break
        line = start
        start = reader.line_num + 1
        if not any(field.strip() for field in record):
            continue
        if len(record) != len(columns):
            problems.append(
                RowProblem(line, f"expected {len(columns)} columns, found {len(record)}")
            )
            continue
        row = dict(zip(columns, (f.strip() for f in record), strict=True))
        difficulty = row.get(OPTIONAL) or None
        if difficulty is not None and difficulty not in ("1", "2", "3"):
            problems.append(RowProblem(line, f"difficulty {difficulty!r} must be 1, 2 or 3"))
            continue
        errors = _validate(row, catalogue)
        key = (row["exam_type"], row["question_id"])
        if row["question_id"] and key in seen:
            errors.append(
                f"duplicate question_id {row['question_id']!r} (first on line {seen[key]})"
            )
        elif row["question_id"]:
            seen[key] = line
        if errors:
            problems.extend(RowProblem(line, e) for e in errors)
            continue
        rows.append(
            QuestionRow(
                question_id=row["question_id"],
                exam_type=row["exam_type"],
                objective=row["objective"],
                question_text=row["question_text"],
                options={
                    letter: {
                        "text": row[f"option_{letter.lower()}"],
                        "explanation": row[f"explanation_{letter.lower()}"],
                    }
                    for letter in LETTERS
                },
                correct_answer=row["correct_answer"].upper(),
                difficulty=None if difficulty is None else int(difficulty),
                line=line,
            )
        )
    return rows, problems


def _validate(row: dict[str, str], catalogue: Mapping[str, object]) -> list[str]:
    errors: list[str] = []
    if not row["question_id"]:
        errors.append("question_id is empty")
    elif len(row["question_id"]) > MAX_ID:
        errors.append(f"question_id is longer than {MAX_ID} characters")
    exam = exams().get(row["exam_type"])
    if exam is None:
        errors.append(f"exam_type {row['exam_type']!r} is not one of {', '.join(catalogue)}")
    elif exam.objective(row["objective"]) is None:
        errors.append(f"objective {row['objective']!r} does not exist for {row['exam_type']}")
    if not row["question_text"]:
        errors.append("question_text is empty")
    elif len(row["question_text"]) > MAX_QUESTION:
        errors.append(f"question_text is longer than {MAX_QUESTION} characters")
    for letter in LETTERS:
        for field, limit in (
            (f"option_{letter.lower()}", MAX_OPTION),
            (f"explanation_{letter.lower()}", MAX_EXPLANATION),
        ):
            if not row[field]:
                errors.append(f"{field} is empty")
            elif len(row[field]) > limit:
                errors.append(f"{field} is longer than {limit} characters")
    if row["correct_answer"].upper() not in LETTERS:
        errors.append(f"correct_answer {row['correct_answer']!r} must be A, B, C or D")
    return errors


def write_questions(rows: Iterable[QuestionRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    listed = list(rows)
    with_difficulty = any(r.difficulty is not None for r in listed)
    writer.writerow(HEADER + ((OPTIONAL,) if with_difficulty else ()))
    for r in listed:
        writer.writerow(
            [r.question_id, r.exam_type, r.objective, r.question_text]
            + [
                v
                for letter in LETTERS
                for v in (r.options[letter]["text"], r.options[letter]["explanation"])
            ]
            + [r.correct_answer]
            + ([str(r.difficulty or "")] if with_difficulty else [])
        )
    return out.getvalue()
