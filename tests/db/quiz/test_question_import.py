"""Importing question CSVs: all-or-nothing, updates by id, lossless round trip."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Question
from db.quiz.questions import all_questions, upsert_questions
from seeds.questions_csv import HEADER, parse_questions, write_questions


def row(qid: str, **overrides: str) -> dict[str, str]:
    base = {
        "question_id": qid,
        "exam_type": "network",
        "objective": "1.4",
        "question_text": f"Which port does service {qid} use, by default?",
        "option_a": "22",
        "explanation_a": "SSH, not this service.",
        "option_b": "53",
        "explanation_b": "DNS: right, because…",
        "option_c": "80",
        "explanation_c": "HTTP, a web port.",
        "option_d": "443",
        "explanation_d": "HTTPS, not this one.",
        "correct_answer": "B",
    }
    return base | overrides


def to_csv(rows: list[dict[str, str]], *, bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


async def question_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Question))).scalar_one())


async def test_a_good_file_imports_and_round_trips_losslessly(session: AsyncSession) -> None:
    tricky = row(
        "RT-2",
        question_text='A "quoted", multi-line\nquestion, with commas?',
        option_c="Ünïcödé — fine",
    )
    data = to_csv([row("RT-1"), tricky], bom=True)
    rows, problems = parse_questions(data)
    assert problems == []
    await upsert_questions(session, rows)

    exported = write_questions(
        [q for q in await all_questions(session, "network") if q.question_id.startswith("RT-")]
    )
    again, problems = parse_questions(exported)
    assert problems == []
    assert [(r.question_id, r.question_text, r.options, r.correct_answer) for r in again] == [
        (r.question_id, r.question_text, r.options, r.correct_answer) for r in rows
    ]


async def test_reimporting_updates_by_id_and_never_duplicates(session: AsyncSession) -> None:
    rows, _ = parse_questions(to_csv([row("UP-1")]))
    await upsert_questions(session, rows)
    before = await question_count(session)
    edited, _ = parse_questions(to_csv([row("UP-1", question_text="Edited text?")]))
    await upsert_questions(session, edited)
    assert await question_count(session) == before
    text = select(Question.question_text).where(Question.question_id == "UP-1")
    assert (await session.execute(text)).scalar_one() == "Edited text?"


BAD_ROWS = [
    ("exam_type", {"exam_type": "linux"}, "exam_type 'linux' is not one of"),
    ("objective", {"objective": "9.9"}, "objective '9.9' does not exist for network"),
    ("empty option", {"option_c": ""}, "option_c is empty"),
    ("empty explanation", {"explanation_d": "  "}, "explanation_d is empty"),
    ("letter", {"correct_answer": "E"}, "correct_answer 'E' must be A, B, C or D"),
    ("empty text", {"question_text": ""}, "question_text is empty"),
]


@pytest.mark.parametrize(("kind", "bad", "message"), BAD_ROWS, ids=[k for k, _, _ in BAD_ROWS])
def test_each_kind_of_bad_row_is_reported_with_its_line(
    kind: str, bad: dict[str, str], message: str
) -> None:
    # line 1 header, 2 good, 3-4 a good row with a two-line question, 5 the bad row
    data = to_csv([row("L-1"), row("L-2", question_text="two\nlines?"), row("L-3", **bad)])
    rows, problems = parse_questions(data)
    assert [p.line for p in problems] == [5]
    assert message in problems[0].message
    assert len(rows) == 2


def test_duplicate_ids_and_short_rows_are_reported() -> None:
    data = to_csv([row("D-1"), row("D-1")]) + b"X-1,network,1.1,short row\r\n"
    _, problems = parse_questions(data)
    assert [(p.line, p.message) for p in problems] == [
        (3, "duplicate question_id 'D-1' (first on line 2)"),
        (4, "expected 13 columns, found 4"),
    ]


def test_bad_header_and_bad_encoding_are_reported() -> None:
    _, problems = parse_questions(b"id,text\n1,2\n")
    assert problems[0].line == 1 and "header must be" in problems[0].message
    _, problems = parse_questions(to_csv([row("E-1")]).replace(b"53", b"\xff\xfe"))
    assert problems[0].line == 1 and "not UTF-8" in problems[0].message


async def test_a_file_with_one_bad_row_changes_nothing(
    session: AsyncSession,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    backend: str,
    pg_url: str,
    sqlite_url: str,
) -> None:
    """Through the real CLI: it prints every bad row and writes nothing."""
    from bot.cli import main

    path = tmp_path / "bank.csv"
    path.write_bytes(to_csv([row("ALL-1"), row("ALL-2", objective="7.7"), row("ALL-3")]))
    monkeypatch.setenv("DATABASE_URL", pg_url if backend == "postgresql" else sqlite_url)
    monkeypatch.chdir(tmp_path)
    before = await question_count(session)

    assert await _run_cli(main, ["questions", "import", str(path)]) == 1

    err = capsys.readouterr().err
    assert "line 3: objective '7.7' does not exist for network" in err
    assert "nothing was imported" in err
    assert await question_count(session) == before


async def _run_cli(main: object, argv: list[str]) -> int:
    import asyncio

    # the CLI runs its own event loop: give it a thread
    return int(await asyncio.to_thread(main, argv))  # type: ignore[arg-type]
