"""Benchmark of the compiled engine (issue 23): the Spec model's BFS with `--engine compiled` (numba,
checker/search/flat_bfs.py) against `--engine python` (bfs.py's partitions), and `paxos-check --help`.

Every run is a fresh `paxos-check explore --model spec ... --json` subprocess (start-up, numba import
and loading its cached machine code included), timed from outside: wall seconds, CPU seconds of the
child, peak RSS and bytes of peak RSS per distinct state from its summary. The two engines run back to
back per row (python, then compiled) and must report the same states, transitions and depth. The
machine is shared: CPU seconds and the python/compiled ratio are the figures to read; the load
average is recorded per row. Writes bench/results_engines.md.

Before the rows, one small compiled run loads (or compiles) numba's cached kernels, so no row pays for
compiling them. A compiled run that fell back to the Python engine (its output says so) stops the
benchmark: every compiled figure is the compiled engine's.

Usage: python bench/bench_engines.py [--big | --big-only] [--help-runs N] [--out PATH]
  --big: add Spec 3/4/2 (8,220,065 states; the python engine takes about 4 CPU minutes)
  --big-only: Spec 3/4/2 alone
No assertions: figures are for people; tests pin counts and results, never timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from paxos._atomic import atomic_write_text  # noqa: E402

ROWS = [("Spec 3/2/2", ["--acceptors", "3", "--ballots", "2", "--values", "2"]),
        ("Spec 3/3/2", ["--acceptors", "3", "--ballots", "3", "--values", "2"]),
        ("Spec 5/2/2", ["--acceptors", "5", "--ballots", "2", "--values", "2"])]
BIG = ("Spec 3/4/2", ["--acceptors", "3", "--ballots", "4", "--values", "2"])
#: What a run prints when `--engine compiled` runs the Python engine (checker/runs/run.py).
FELL_BACK = "the Python engine runs this search"


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def timed(cmd: list[str]) -> tuple[subprocess.CompletedProcess[str], float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc, wall, cpu


def explore(flags: list[str], engine: str, tmp: Path) -> dict[str, Any]:
    out = tmp / engine
    shutil.rmtree(out, ignore_errors=True)
    js = tmp / f"{engine}.json"
    cmd = [sys.executable, "-m", "checker.cli", "explore", "--model", "spec", *flags, "--engine", engine,
           "--quiet", "--out", str(out), "--json", str(js)]
    proc, wall, cpu = timed(cmd)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-500:]}")
    if engine == "compiled" and FELL_BACK in proc.stdout:
        raise SystemExit(f"{' '.join(cmd)} ran the Python engine: {proc.stdout[:500]}")
    summary = json.loads(js.read_text())
    return {"wall": wall, "cpu": cpu, "states": summary["states"], "transitions": summary["transitions"],
            "depth": summary["depth"], "rss": summary["peak_rss_mb"], "rate": summary["states"] / cpu,
            "per_state": summary["peak_rss_mb"] * 2**20 / summary["states"]}


def help_time(runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `paxos-check --help` over `runs` fresh processes."""
    walls, cpus = [], []
    for _ in range(runs):
        _, wall, cpu = timed([sys.executable, "-m", "checker.cli", "--help"])
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="add Spec 3/4/2 (8.2 M states)")
    ap.add_argument("--big-only", action="store_true", help="Spec 3/4/2 alone")
    ap.add_argument("--help-runs", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_engines.md"))
    args = ap.parse_args()
    rows = [BIG] if args.big_only else [*ROWS, BIG] if args.big else ROWS
    lines = ["# Compiled vs Python engine (bench/bench_engines.py)", "",
             f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. The machine is shared with other "
             "engineers' jobs (load average per row: 1/5/15 min), so wall seconds are inflated; CPU seconds "
             "and the ratio of the two engines run back to back are the figures to read.", "",
             "| check | states | transitions | depth | engine | wall s | CPU s | states per CPU s | peak RSS MB "
             "| bytes RSS/state | python/compiled CPU | same results | load |",
             "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        explore(["--acceptors", "2", "--ballots", "1", "--values", "1"], "compiled", tmp)  # numba's cache, warm
        for label, flags in rows:
            lo = load()
            py = explore(flags, "python", tmp)
            co = explore(flags, "compiled", tmp)
            same = all(py[k] == co[k] for k in ("states", "transitions", "depth"))
            for engine, r in (("python", py), ("compiled", co)):
                ratio = f"x{py['cpu'] / co['cpu']:.1f}" if engine == "compiled" else ""
                lines.append(f"| {label} | {r['states']:,} | {r['transitions']:,} | {r['depth']} | {engine} | "
                             f"{r['wall']:.1f} | {r['cpu']:.1f} | {r['rate']:,.0f} | {r['rss']:.0f} | "
                             f"{r['per_state']:.1f} | {ratio} | {'yes' if same else 'NO'} | {lo} |")
            print(lines[-2], lines[-1], sep="\n", flush=True)
    wall, cpu = help_time(args.help_runs)
    lines += ["", f"`paxos-check --help`: median of {args.help_runs} fresh processes {wall:.2f} s wall, "
              f"{cpu:.2f} s CPU (load {load()}).", ""]
    atomic_write_text(Path(args.out), "\n".join(lines))
    print("\n".join(lines[-3:]))


if __name__ == "__main__":
    main()
