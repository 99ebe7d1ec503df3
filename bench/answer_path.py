"""Answer path through the real stack: simulated members clicking A–D in live group quizzes.

    python -m bench.answer_path                      # PostgreSQL, 100 members x 100 quizzes
    python -m bench.answer_path --backend postgresql,sqlite
    python -m bench.answer_path --tiny               # a few seconds

Layout: the Discord emulator (tests/emulator) and the load generator run in this process; the
bot runs as a subprocess (``BotProcess``), first ``python -m bench.noop_bot`` (the floor: the
same bot with a no-op answer button), then ``python -m bench.general_bot`` (the batched path
without the one-statement path) and ``python -m bot run`` (the real thing), each on its own
fresh database (``--kinds``; ``before`` adds the unbatched bot of finding 1). For each
bot, ``--quizzes`` group quizzes (50 questions, 120 s each) are started in as many
channels, then three phases run, each on a fresh question (the host skips to the next one
in between), so every click is a member's first answer to a question and must be stored
exactly once:

1. join: every member answers question 1 of every quiz (closed loop, ``--concurrency`` clicks
   in flight): each click creates the member's attempt (and, on its first click, account);
2. steady: clicks at ``--rate`` per second (open loop) for ``--duration`` seconds;
3. saturation: ``--concurrency`` clicks in flight for ``--duration`` seconds.

Latency = the emulator's dispatch of INTERACTION_CREATE → the bot's callback POST arriving.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import random
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from bench.common import (
    Table,
    Timings,
    create_database,
    drop_database,
    out,
    prepare_schema,
    run_header,
    tables_markdown,
    unique_name,
    write_docs_section,
)
from bench.emu import (
    BenchEmulator,
    CpuMeter,
    callback_ok,
    latency_ms,
    rss_mb,
    self_pid,
    start_bot,
    start_group_quiz,
    wait_question,
)
from db.engine import create_engine
from tests.emulator import Actor, Channel, InteractionFailed, InteractionHandle, Message

LETTERS = "ABCD"
MODULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "floor": ("bench.noop_bot", ()),  # the same bot, no-op answer button
    "before": ("bench.unbatched_bot", ()),  # one unit of work per click (before batching)
    "real": ("bot", ("run",)),  # python -m bot run: the batched answer path
    "general": ("bench.general_bot", ()),  # real, without the one-statement path
}


@dataclass
class Phase:
    name: str
    offered: float = 0.0
    clicks: int = 0
    ok: int = 0
    locked_in: int = 0
    elapsed: float = 0.0
    latency: Timings = field(default_factory=Timings)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    @property
    def failed(self) -> int:
        return self.clicks - self.ok


@dataclass
class BotRun:
    kind: str
    backend: str
    phases: dict[str, Phase] = field(default_factory=dict)
    stored: int | None = None
    locked_in: int = 0
    rss_mb: float = 0.0


@dataclass
class Quiz:
    channel: Channel
    session_id: int
    index: int
    message: Message


class Load:
    def __init__(self, emu: BenchEmulator, timeout: float) -> None:
        self.emu = emu
        self.timeout = timeout
        self.rng = random.Random(11)

    async def click(self, actor: Actor, quiz: Quiz, phase: Phase) -> None:
        letter = self.rng.choice(LETTERS)
        custom_id = f"cq:a:{quiz.session_id}:{quiz.index}:{letter}"
        phase.clicks += 1
        handle: InteractionHandle = await actor.click(quiz.message, custom_id, wait=False)
        try:
            await asyncio.wait_for(self.emu.expect_callback(handle), self.timeout)
        except TimeoutError:
            return
        ms = latency_ms(handle)
        if ms is not None:
            phase.latency.add(ms)
        if callback_ok(handle):
            phase.ok += 1
            mid = handle.interaction.original_message_id
            if mid is not None and self.emu.messages[mid].content.startswith("Locked in"):
                phase.locked_in += 1

    async def closed_loop(
        self, work: deque[tuple[Actor, Quiz]], phase: Phase, concurrency: int, limit: float
    ) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        stop = t0 + limit

        async def worker() -> None:
            while work and loop.time() < stop:
                actor, quiz = work.popleft()
                await self.click(actor, quiz, phase)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        phase.elapsed = loop.time() - t0
        phase.offered = float("nan")

    async def open_loop(
        self, work: deque[tuple[Actor, Quiz]], phase: Phase, rate: float, duration: float
    ) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        tasks = []
        i = 0
        while work and i < rate * duration:
            delay = t0 + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            actor, quiz = work.popleft()
            tasks.append(asyncio.ensure_future(self.click(actor, quiz, phase)))
            i += 1
        sent = loop.time() - t0
        await asyncio.gather(*tasks)
        phase.elapsed = loop.time() - t0
        phase.offered = i / sent if sent else 0.0


async def _skip_all(emu: BenchEmulator, host: Actor, quizzes: list[Quiz]) -> None:
    """The host skips every quiz to its next question. A bot still working through a
    backlog (the unbatched one after an overload) may answer the skip late: then wait for
    the next question anyway, and click again only if it does not come."""
    sem = asyncio.Semaphore(16)

    async def skip(q: Quiz) -> None:
        async with sem:
            for _ in range(10):
                with contextlib.suppress(InteractionFailed, LookupError):
                    await host.click(q.message, f"cq:n:{q.session_id}:{q.index}", timeout=30)
                with contextlib.suppress(TimeoutError):
                    q.message = await wait_question(emu, q.channel, q.session_id, q.index + 1, 20)
                    q.index += 1
                    return
            raise RuntimeError(f"quiz {q.session_id} never moved past question {q.index}")

    await asyncio.gather(*(skip(q) for q in quizzes))


def _work(
    members: list[Actor], quizzes: list[Quiz], rng: random.Random
) -> deque[tuple[Actor, Quiz]]:
    pairs = [(m, q) for m in members for q in quizzes]
    rng.shuffle(pairs)
    return deque(pairs)


async def run_bot(
    kind: str, backend: str, db_url: str, args: argparse.Namespace, workdir: Path
) -> BotRun:
    result = BotRun(kind, backend)
    emu = await BenchEmulator.start()
    proc = None
    try:
        channels = [emu.channel(f"quiz-{i}") for i in range(args.quizzes)]
        host = emu.member("host")
        members = [emu.member(f"m{i}") for i in range(args.members)]
        module, extra = MODULES[kind]
        env = {
            "DATABASE_URL": db_url,
            "DEV_GUILD_ID": str(emu.default_guild.id),
            "LOG_LEVEL": "INFO",
            "QUIZ_REVEAL_PAUSE_SECONDS": "0.2",
        }
        proc = await start_bot(
            emu, module, *extra, env=env, log_path=workdir / f"{kind}-{backend}.log"
        )
        if proc.pid is None:
            raise RuntimeError("the bot process has no pid")
        sem = asyncio.Semaphore(8)

        async def start(ch: Channel) -> Quiz:
            async with sem:
                sid, msg = await start_group_quiz(host, ch)
                return Quiz(ch, sid, 0, msg)

        quizzes = list(await asyncio.gather(*(start(ch) for ch in channels)))
        load = Load(emu, timeout=emu.interaction_deadline + 2)
        rng = random.Random(5)
        meter = CpuMeter(bot=proc.pid, emulator=self_pid())

        for name in ("join", "steady", "saturation"):
            if name != "join":
                await _skip_all(emu, host, quizzes)
            phase = Phase(name)
            work = _work(members, quizzes, rng)
            gc.collect()
            gc.freeze()  # the emulator's own garbage collection pauses are not the bot's
            gc.disable()
            meter.start()
            spy = _profile(args, kind, name, proc.pid, workdir)
            if name == "join":
                await load.closed_loop(work, phase, args.concurrency, args.join_limit)
            elif name == "steady":
                await load.open_loop(work, phase, args.rate, args.duration)
            else:
                await load.closed_loop(work, phase, args.concurrency, args.duration)
            phase.cpu = meter.stop()
            gc.enable()
            if spy is not None:
                spy.wait()
            result.phases[name] = phase
            out(
                f"  {kind:5} {backend:10} {name:10} {phase.ok:6} ok / {phase.clicks:6} "
                f"{phase.rate:7.1f}/s p50 {phase.latency.p50:7.1f} ms "
                f"p99 {phase.latency.p99:7.1f} ms cpu bot {phase.cpu['bot']:.0f}% "
                f"emu {phase.cpu['emulator']:.0f}%"
            )
        result.rss_mb = rss_mb(proc.pid)
        result.locked_in = sum(p.locked_in for p in result.phases.values())
        if kind != "floor":
            engine = create_engine(db_url)
            try:
                async with engine.connect() as conn:
                    result.stored = int(
                        (await conn.execute(text("SELECT count(*) FROM user_answers"))).scalar_one()
                    )
            finally:
                await engine.dispose()
        if "Traceback" in proc.log_text():
            out(f"  (tracebacks in {proc.log_path})")
    finally:
        if proc is not None:
            await proc.stop()
        await emu.close()
    return result


def _profile(
    args: argparse.Namespace, kind: str, phase: str, pid: int, workdir: Path
) -> subprocess.Popen[bytes] | None:
    """``--profile real:steady``: py-spy samples the bot during that phase (collapsed stacks
    in the log directory, summarised by ``python -m bench.spysum FILE``)."""
    if not args.profile or args.profile != f"{kind}:{phase}":
        return None
    spy = Path(sys.executable).with_name("py-spy")
    target = workdir / f"profile-{kind}-{phase}.txt"
    out(f"  profiling {kind} {phase} → {target}")
    return subprocess.Popen(
        [
            str(spy),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(args.duration)),
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(target),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _database(backend: str, template: str, workdir: Path, tag: str) -> tuple[str, str]:
    """(url, cleanup handle) of a fresh copy of the prepared template."""
    if backend == "sqlite":
        path = workdir / f"{tag}.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}", ""
    name = unique_name("answer")
    return await create_database(name, template=template), name


def tables(runs: list[BotRun], args: argparse.Namespace) -> list[Table]:
    t = Table(
        "Answer path: answers/s and latency (dispatch → callback), ms",
        [
            "backend",
            "bot",
            "phase",
            "offered/s",
            "answers/s",
            "p50",
            "p99",
            "failed",
            "bot CPU %",
            "emulator CPU %",
        ],
    )
    for r in runs:
        for p in r.phases.values():
            t.add(
                r.backend,
                r.kind,
                p.name,
                p.offered if p.name == "steady" else "closed loop",
                p.rate,
                p.latency.p50,
                p.latency.p99,
                p.failed,
                p.cpu.get("bot", 0.0),
                p.cpu.get("emulator", 0.0),
            )
    v = Table("Targets (same run)", ["backend", "target", "measured", "met"])
    backends = sorted({r.backend for r in runs}, key=lambda b: b != "postgresql")
    for b in backends:
        floor = next((r for r in runs if r.backend == b and r.kind == "floor"), None)
        if floor is None:
            continue
        for real in (r for r in runs if r.backend == b and r.kind != "floor"):
            who = f"{b} {real.kind}"
            ratio = real.phases["steady"].latency.p50 / floor.phases["steady"].latency.p50
            v.add(
                who,
                f"p50 at {args.rate:g}/s ≤ 3 × floor p50",
                f"× {ratio:.2f}",
                "yes" if ratio <= 3 else "NO",
            )
            share = real.phases["saturation"].rate / floor.phases["saturation"].rate
            v.add(
                who,
                "sustained ≥ 40 % of the floor's saturation throughput",
                f"{share * 100:.0f} % ({real.phases['saturation'].rate:.0f} vs "
                f"{floor.phases['saturation'].rate:.0f}/s)",
                "yes" if share >= 0.4 else "NO",
            )
            failed = sum(p.failed for p in real.phases.values())
            ok = real.stored == real.locked_in and failed == 0
            v.add(
                who,
                "every answer stored once",
                f"{real.stored} rows for {real.locked_in} 'Locked in' replies, "
                f"{failed} failed clicks",
                "yes" if ok else "NO",
            )
        v.add(
            b,
            "bot RSS after the run",
            ", ".join(f"{r.kind} {r.rss_mb:.0f} MB" for r in runs if r.backend == b),
            "",
        )
    return [t, v]


async def main_async(args: argparse.Namespace) -> None:
    logging.getLogger("tests.emulator").setLevel(logging.ERROR)  # late callbacks are counted
    workdir = Path(tempfile.mkdtemp(prefix="bench-answer-"))
    runs: list[BotRun] = []
    cleanup: list[str] = []
    try:
        for backend in args.backend.split(","):
            if backend == "sqlite":
                template = str(workdir / "template.sqlite3")
                await prepare_schema(f"sqlite+aiosqlite:///{template}")
            else:
                template = unique_name("answer_tpl")
                await prepare_schema(await create_database(template))
                cleanup.append(template)
            for kind in args.kinds.split(","):
                url, name = await _database(backend, template, workdir, kind)
                if name:
                    cleanup.append(name)
                runs.append(await run_bot(kind, backend, url, args, workdir))
                if name:
                    await drop_database(name)
    finally:
        for name in reversed(cleanup):
            await drop_database(name)
    header = await run_header(args.command)
    out()
    out(header)
    out(f"\nLogs: {workdir}")
    ts = tables(runs, args)
    for t in ts:
        t.print()
    if args.write_docs:
        write_docs_section("answer_path", header + "\n\n" + tables_markdown(ts))
    shutil.rmtree(workdir, ignore_errors=True) if not args.keep_logs else None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.answer_path", description=__doc__)
    parser.add_argument("--backend", default="postgresql", help="postgresql,sqlite")
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--quizzes", type=int, default=100)
    parser.add_argument("--rate", type=float, default=200.0, help="steady phase clicks/s")
    parser.add_argument("--duration", type=float, default=15.0, help="steady/saturation seconds")
    parser.add_argument("--concurrency", type=int, default=64, help="clicks in flight")
    parser.add_argument("--join-limit", type=float, default=60.0, help="max seconds of join")
    parser.add_argument(
        "--kinds",
        default="floor,general,real",
        help="bots: floor (no-op), before (unbatched), general (batched, no one-statement "
        "path), real (python -m bot run)",
    )
    parser.add_argument("--profile", help="kind:phase to sample with py-spy, e.g. real:steady")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if args.tiny:
        args.members, args.quizzes, args.rate, args.duration, args.concurrency = 4, 2, 20, 1, 4
    args.command = "python -m bench.answer_path " + " ".join(sys.argv[1:])
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
