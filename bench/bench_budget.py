"""Benchmark of the default sweep of bounds (`paxos-check explore --impl X` with no bound flag, issue 23).

Runs `paxos-check explore --impl X [FLAGS] --quiet --json PATH --out DIR` as a subprocess for each node named
(default: paxos.bugs:volatile_ballot_deep, paxos.bugs:repromising, our PaxosNode) and writes one table row per
configuration the sweep ran, from the summary's `sweep` field: bounds, symmetry, status, states, depth,
seconds, stop reason; plus the run's exit code and wall time. The engine is whatever `--engine` the flags give
(default: the CLI's default), so the same script measures a compiled implementation engine when it exists.
Writes bench/results_budget.md (or --out). Usage:

    python bench/bench_budget.py [--impl MODULE:FACTORY ...] [--out PATH] [-- EXTRA EXPLORE FLAGS]

No assertions: figures are for people; tests never time anything.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NODES = ("paxos.bugs:volatile_ballot_deep", "paxos.bugs:repromising", "paxos:PaxosNode")


def run_sweep(impl: str, extra: list[str]) -> dict[str, Any]:
    """One sweep in a subprocess under PYTHONHASHSEED=0: its exit code, wall time, summary and output tail."""
    with tempfile.TemporaryDirectory() as tmp:
        out, js = Path(tmp) / "run", Path(tmp) / "s.json"
        cmd = [sys.executable, "-m", "checker.cli", "explore", "--impl", impl, *extra, "--quiet", "--json", str(js),
               "--out", str(out)]
        started = time.monotonic()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False,
                              env=dict(os.environ, PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0")))
        wall = time.monotonic() - started
        if not js.exists():
            raise SystemExit(f"{impl}: run failed ({done.returncode}): {done.stderr.strip()[-300:]}")
        summary = json.loads(js.read_text())
    verdict = [line for line in done.stdout.splitlines() if line.startswith(("SWEEP", "WARNING"))]
    return {"impl": impl, "exit": done.returncode, "wall": wall, "summary": summary, "verdict": verdict}


def table(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["| node | exit | wall s | # | ballots | crashes | symmetry | status | states | depth | seconds | "
             "stopped by | violated |",
             "| --- | ---: | ---: | ---: | --- | ---: | --- | --- | ---: | ---: | ---: | --- | --- |"]
    for r in runs:
        sweep = r["summary"].get("sweep") or {}
        for i, c in enumerate(sweep.get("configurations", [])):
            head = f"| {r['impl']} | {r['exit']} | {r['wall']:.1f} |" if i == 0 else "| | | |"
            ballots = ",".join(map(str, c["bounds"]["ballots"]))
            lines.append(f"{head} {c['index']} | {ballots} | {c['bounds']['crashes']} | "
                         f"{'on' if c['symmetry'] else 'off'} | {c['status']}{' (deviates)' if c['deviation'] else ''}"
                         f" | {c['states']:,} | {c['depth']} | {c['seconds']:.1f} | {c['stopped_by'] or '-'} | "
                         f"{', '.join(c['violated']) or '-'} |")
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impl", action="append", default=None, help=f"node to sweep (repeatable; default {NODES})")
    p.add_argument("--out", default=str(ROOT / "bench" / "results_budget.md"))
    p.add_argument("extra", nargs="*", help="more explore flags (no bound flag, or no sweep runs), e.g. --budget 120")
    args = p.parse_args()
    nodes = args.impl or list(NODES)
    load0 = os.getloadavg()[0]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    runs = [run_sweep(impl, args.extra) for impl in nodes]
    extra = " ".join(args.extra)
    lines = [
        "# The default sweep of bounds (issue 23): `paxos-check explore --impl X` with no bound flag", "",
        f"Command: `python bench/bench_budget.py {' '.join(f'--impl {n}' for n in args.impl or [])} {extra}`"
        f"; started {stamp}; machine: `nproc` = {os.cpu_count()}, {platform.machine()}, CPython "
        f"{platform.python_version()}; load average at start / end: {load0:.2f} / {os.getloadavg()[0]:.2f}. "
        "The machine is shared with other engineers' jobs, so seconds are inflated and noisy.", "",
        f"Each node is one `paxos-check explore --impl X {extra} --quiet --json PATH --out DIR` subprocess under "
        "PYTHONHASHSEED=0; one row per configuration the sweep ran (the summary's `sweep.configurations`). "
        "`seconds` is each configuration's own run (search and node checks); `wall s` the whole process.", "",
        *table(runs), "",
    ]
    for r in runs:
        lines += [f"`{r['impl']}`, exit {r['exit']}:", "", *(f"    {v}" for v in r["verdict"]), ""]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
