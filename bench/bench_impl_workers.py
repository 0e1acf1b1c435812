"""Benchmark of `--workers N` on the compiled engine (N threads of one process: checker/models/core_threads.py,
impl_core_threads.py for the implementation model, SpecCore for the Spec): each run once with `--workers 1` and
once with `--workers N`, back to back, as fresh `paxos-check explore ... --json` subprocesses
(bench_impl_engine.explore: CPU seconds of the child, wall seconds, peak RSS; node checks off). Both must report
the same states, transitions and depth. The machine is shared: the load average before each run is recorded,
and wall seconds mean little on a loaded machine.
Prints a Markdown table (its rows go in bench/results_impl_engine.md, "--workers").

Usage: python bench/bench_impl_workers.py [--rows default,b2symq-1m,b2symq,spec332,spec342] [--workers 2]
No assertions: figures are for people; tests pin results, never timings.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for where in (ROOT, ROOT / "bench"):
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))

from bench_impl_engine import explore, load  # noqa: E402

SYM = ["--ballots", "2", "--crashes", "1", "--symmetry"]
ROWS = {"default": ("the default check (--ballots 1,2 --crashes 1, quiet blocks)",
                    ["--ballots", "1,2", "--crashes", "1"]),
        "b2symq-1m": ("--ballots 2 --crashes 1 --symmetry --max-states 1000000 (bounded)",
                      [*SYM, "--max-states", "1000000"]),
        "b2symq": ("--ballots 2 --crashes 1 --symmetry (quiet blocks, exhaustive)", SYM),
        "spec332": ("Spec 3/3/2 (--model spec)", ["--model", "spec", "--acceptors", "3", "--ballots", "3"]),
        "spec342": ("Spec 3/4/2 (--model spec)", ["--model", "spec", "--acceptors", "3", "--ballots", "4"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="default,b2symq-1m", help=f"comma-separated: {', '.join(ROWS)}")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print(f"| run | states | transitions | depth | 1 worker CPU s | {args.workers} workers CPU s | 1 worker wall s | "
          f"{args.workers} workers wall s | wall ratio | load before (1 worker / {args.workers}) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for key in args.rows.split(","):
            name, flags = ROWS[key]
            load1 = load()
            one = explore([*flags, "--workers", "1"], "compiled", Path(tmp))
            loadn = load()
            many = explore([*flags, "--workers", str(args.workers)], "compiled", Path(tmp))
            facts = ("states", "transitions", "depth")
            if [one[f] for f in facts] != [many[f] for f in facts]:
                raise SystemExit(f"{name}: 1 and {args.workers} workers disagree: {one} vs {many}")
            print(f"| {name} | {one['states']:,} | {one['transitions']:,} | {one['depth']} | {one['cpu']:.1f} | "
                  f"{many['cpu']:.1f} | {one['wall']:.1f} | {many['wall']:.1f} | {one['wall'] / many['wall']:.2f}x | "
                  f"{load1} / {loadn} |", flush=True)
    print(f"\n({os.cpu_count()} cores; engine of the last run: {many['engine']})")


if __name__ == "__main__":
    main()
