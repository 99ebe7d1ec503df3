"""Every benchmark runs at its tiny size and prints its table with numbers.

The benchmarks' results are not pass/fail (docs/benchmarks.md); this only keeps them working.
They run as subprocesses, all at once (each creates and drops its own ``bench_*`` database).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ("answer_path", "boards", "finalize", "reminders", "memory", "db_floor")
TABLE_ROW_WITH_NUMBER = re.compile(r"^\|.*\d.*\|$", re.M)


def test_every_benchmark_runs_at_its_tiny_size() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", f"bench.{name}", "--tiny"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in BENCHMARKS
    }
    outputs: dict[str, str] = {}
    try:
        for name, proc in procs.items():
            outputs[name], _ = proc.communicate(
                timeout=max(5.0, 170 - (time.monotonic() - started))
            )
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
    for name, proc in procs.items():
        text = outputs[name]
        assert proc.returncode == 0, f"bench.{name} --tiny failed:\n{text[-3000:]}"
        assert "## " in text, f"bench.{name} printed no table:\n{text[-3000:]}"
        rows = TABLE_ROW_WITH_NUMBER.findall(text)
        assert len(rows) >= 2, f"bench.{name} printed no numbers:\n{text[-3000:]}"
