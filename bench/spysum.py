"""Summarise a py-spy ``--format raw`` profile: the functions with the most samples.

    python -m bench.spysum profile.txt [--top 30] [--grep sqlalchemy]

Prints self time (the sample's innermost frame) and total time (anywhere on the stack) per
function, in % of all samples.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

from bench.common import out

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _name(frame: str) -> str:
    m = FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    file = m["file"]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{m['func']} ({file})"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.spysum")
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--grep", default="")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in args.file.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_name(f) for f in stack.split(";")[1:]]
        samples += n
        if frames:
            own[frames[-1]] += n
        for f in set(frames):
            total[f] += n
    out(f"{samples} samples")
    for title, counter in (("self", own), ("total", total)):
        out(f"\n-- {title} --")
        shown = 0
        for name, n in counter.most_common():
            if args.grep and args.grep not in name:
                continue
            out(f"{n / samples * 100:6.1f} %  {name}")
            shown += 1
            if shown >= args.top:
                break


if __name__ == "__main__":
    main()
