"""The default check (`paxos-check explore`) timed on two source trees, in alternating fresh interpreters.

For a refactoring that must not slow the search down: each run is `python -m checker.cli explore
--quiet --json F` with PYTHONPATH set to one tree, pairs alternate A, B, A, B, and the table gives
each run's states, wall seconds and CPU seconds (user + system of the child), then the medians.
Usage: python bench/bench_trees.py OLD_TREE NEW_TREE [--pairs N] [--out PATH] [-- EXTRA FLAGS].
No assertions: figures are for people.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from paxos._atomic import atomic_write_text  # noqa: E402


def run_once(tree: Path, extra: list[str]) -> tuple[int, int, float, float]:
    """(states, transitions, wall seconds, CPU seconds) of one default check on `tree`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "summary.json"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "checker.cli", "explore", "--quiet", "--json", str(out),
                        *(extra or ["--ballots", "1,2", "--crashes", "1"])],  # the default bounds stated: no sweep
                       cwd=tmp, env={**os.environ, "PYTHONPATH": str(tree)}, check=False,
                       stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = json.loads(out.read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return int(summary["states"]), int(summary["transitions"]), wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results_trees.md")
    parser.add_argument("extra", nargs="*", help="more flags for explore (after --)")
    args = parser.parse_args()
    rows: list[tuple[str, int, int, float, float]] = []
    for n in range(args.pairs):
        for label, tree in (("old", args.old), ("new", args.new)):
            states, transitions, wall, cpu = run_once(tree.resolve(), args.extra)
            rows.append((label, states, transitions, wall, cpu))
            print(f"pair {n + 1} {label}: {states} states, {transitions} transitions, {wall:.1f} s wall, "
                  f"{cpu:.1f} s CPU", flush=True)
    lines = [f"# Default check on two trees ({time.strftime('%Y-%m-%d')}, 2 shared cores, loaded machine)", "",
             f"`python bench/bench_trees.py {args.old} {args.new} --pairs {args.pairs}`"
             + (f" `-- {' '.join(args.extra)}`" if args.extra else ""), "",
             "| run | tree | states | transitions | wall s | CPU s |", "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {i + 1} | {label} | {s:,} | {t:,} | {w:.1f} | {c:.1f} |"
              for i, (label, s, t, w, c) in enumerate(rows)]
    lines.append("")
    for label in ("old", "new"):
        mine = [r for r in rows if r[0] == label]
        lines.append(f"- {label}: median {statistics.median(r[3] for r in mine):.1f} s wall, "
                     f"{statistics.median(r[4] for r in mine):.1f} s CPU")
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
