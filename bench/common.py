"""Shared benchmark plumbing: throw-away PostgreSQL databases, timings, tables, the docs file.

Every benchmark creates its own ``bench_*`` database on the server of ``BENCH_POSTGRES_URL``
(default ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``) and drops it afterwards;
it never touches the ``test`` database.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs" / "benchmarks.md"
ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --- databases ------------------------------------------------------------------------------


def db_url(name: str) -> str:
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def pg_connect(name: str | None = None) -> asyncpg.Connection:
    url = make_url(ADMIN_URL)
    return await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=name or url.database or "postgres",
    )


async def admin(sql: str) -> None:
    conn = await pg_connect()
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _check_name(name: str) -> str:
    if not re.fullmatch(r"bench_[a-z0-9_]+", name):
        raise ValueError(f"benchmark databases are named bench_*: {name!r}")
    return name


async def create_database(name: str, *, template: str | None = None) -> str:
    name = _check_name(name)
    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    tpl = f' TEMPLATE "{_check_name(template)}"' if template else ""
    await admin(f'CREATE DATABASE "{name}"{tpl}')
    return db_url(name)


async def drop_database(name: str) -> None:
    await admin(f'DROP DATABASE IF EXISTS "{_check_name(name)}" WITH (FORCE)')


async def database_exists(name: str) -> bool:
    conn = await pg_connect()
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def prepare_schema(url: str) -> None:
    """Upgrade to head and seed (achievements, avatars, the question bank)."""
    from db.engine import create_engine
    from db.migrate import upgrade_to_head
    from seeds.loader import seed_all

    await upgrade_to_head(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await seed_all(AsyncSession(bind=conn))
    finally:
        await engine.dispose()


def unique_name(prefix: str) -> str:
    return f"bench_{prefix}_{uuid.uuid4().hex[:6]}"


@asynccontextmanager
async def fresh_database(prefix: str, *, keep: bool = False) -> AsyncIterator[tuple[str, str]]:
    """(name, url) of a new migrated and seeded PostgreSQL database, dropped afterwards."""
    name = unique_name(prefix)
    url = await create_database(name)
    try:
        await prepare_schema(url)
        yield name, url
    finally:
        if not keep:
            await drop_database(name)


# --- timing ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Timings:
    """Latencies in milliseconds."""

    values: list[float] = field(default_factory=list)

    def add(self, ms: float) -> None:
        self.values.append(ms)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def p50(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def p99(self) -> float:
        return percentile(self.values, 99)

    @property
    def max(self) -> float:
        return max(self.values) if self.values else float("nan")

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values) if self.values else float("nan")


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000.0

    @property
    def s(self) -> float:
        return time.perf_counter() - self.start


def fmt(value: Any, digits: int = 1) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


# --- tables and the docs file -----------------------------------------------------------------


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        self.rows.append([fmt(c) for c in cells])

    def markdown(self) -> str:
        lines = [
            "| " + " | ".join(self.columns) + " |",
            "|" + "|".join("---" for _ in self.columns) + "|",
        ]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines)

    def print(self) -> None:
        out()
        out(f"## {self.title}")
        out(self.markdown())


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


async def postgres_version() -> str:
    conn = await pg_connect()
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def write_docs_section(name: str, body: str) -> None:
    """Replace (or append) the section between ``<!-- bench:name -->`` markers."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else (text.rstrip() + "\n\n" + block + "\n")
    )
    DOCS.write_text(text)
    out(f"(docs/benchmarks.md: section {name} written)")


async def run_header(command: str) -> str:
    info = machine_info()
    pg = await postgres_version()
    return (
        f"Run {info['date']} on {info['nproc']} cores ({info['cpu']}), {info['memory']} RAM, "
        f"PostgreSQL {pg}, Python {info['python']}.\n\nCommand: `{command}`"
    )


def command_line() -> str:
    return (
        "python -m "
        + Path(sys.argv[0]).with_suffix("").name.join(["bench.", ""])
        + (" " + " ".join(sys.argv[1:]) if len(sys.argv) > 1 else "")
    )


def tables_markdown(tables: Iterable[Table]) -> str:
    return "\n\n".join(f"**{t.title}**\n\n{t.markdown()}" for t in tables)
