"""Benchmark of the node checks after a search (hash_order, snapshot fidelity) on the default check.

Runs `paxos-check explore [ARGS] --quiet --json PATH --out DIR` as a subprocess, alternately with the checks on
(the default) and off (`--no-hash-order-check --no-fidelity-check`), `--pairs` times. CPU seconds are the
user+sys time of the subprocess and its own children (the hash-seed re-runs are its children:
getrusage(RUSAGE_CHILDREN) deltas). The summary's `node_checks.seconds` is the checks' own wall time inside
the run (samples during the search included), so `checks / search` is measured under one load. Writes
bench/results_node_checks.md. Usage:

    python bench/bench_node_checks.py [--pairs N] [--out PATH] [-- EXTRA EXPLORE FLAGS]

No assertions: figures are for people; tests never time anything.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OFF = ("--no-hash-order-check", "--no-fidelity-check")


def run_once(extra: list[str], checks: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out, js = Path(tmp) / "run", Path(tmp) / "s.json"
        extra = extra or ["--ballots", "1,2", "--crashes", "1"]  # the default bounds, stated: no sweep
        cmd = [sys.executable, "-m", "checker.cli", "explore", *extra, *([] if checks else OFF), "--quiet",
               "--json", str(js), "--out", str(out)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False,
                              env=dict(os.environ, PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0")))
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if not js.exists():
            raise SystemExit(f"run failed ({done.returncode}): {done.stderr.strip()[-300:]}")
        summary = json.loads(js.read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    nc = summary.get("node_checks") or {}
    return {"checks": checks, "exit": done.returncode, "states": summary["states"], "wall": wall, "cpu": cpu,
            "seconds": summary["seconds"], "check_s": nc.get("seconds") if checks else None,
            "transitions": (nc.get("fidelity") or {}).get("transitions") if checks else None,
            "probes": (nc.get("fidelity") or {}).get("probes") if checks else None}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=1)
    p.add_argument("--out", default=str(ROOT / "bench" / "results_node_checks.md"))
    p.add_argument("extra", nargs="*", help="explore flags (default: none, the default check)")
    args = p.parse_args()
    load0 = os.getloadavg()[0]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for _ in range(args.pairs):
        rows.append(run_once(args.extra, True))
        rows.append(run_once(args.extra, False))
    cmd = " ".join(["paxos-check explore", *args.extra]).strip()
    lines = [
        "# Node checks benchmark (hash_order + snapshot fidelity, issue 26)", "",
        f"Command: `python bench/bench_node_checks.py --pairs {args.pairs} {' '.join(args.extra)}`; started {stamp}; "
        f"machine: `nproc` = {os.cpu_count()}, {platform.machine()}, CPython {platform.python_version()}; load "
        f"average at start / end: {load0:.2f} / {os.getloadavg()[0]:.2f}. The machine is shared with other "
        "engineers' jobs, so wall times are inflated and noisy; `checks s` and `search s` come from one run "
        "(the same load), so their ratio is the steadier figure.", "",
        f"Each row is one `{cmd} --quiet --json PATH --out DIR` subprocess under PYTHONHASHSEED=0; `off` adds "
        "`--no-hash-order-check --no-fidelity-check`. CPU s includes the hash-seed re-runs (child processes). "
        "`checks s` is the summary's `node_checks.seconds` (fidelity, hash-seed re-runs, samples during the "
        "search); `search s` is the run's `seconds` minus it.", "",
        "| checks | exit | states | wall s | CPU s | search s | checks s | checks / search | node transitions "
        "| probes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        search = r["seconds"] - (r["check_s"] or 0.0)
        ratio = f"{100 * r['check_s'] / search:.1f}%" if r["check_s"] is not None else "-"
        lines.append(f"| {'on' if r['checks'] else 'off'} | {r['exit']} | {r['states']:,} | {r['wall']:.1f} | "
                     f"{r['cpu']:.1f} | {search:.1f} | {r['check_s'] if r['check_s'] is not None else '-'} | {ratio} | "
                     f"{r['transitions'] if r['transitions'] is not None else '-'} | "
                     f"{r['probes'] if r['probes'] is not None else '-'} |")
    on = [r for r in rows if r["checks"]]
    off = [r for r in rows if not r["checks"]]
    cpu_on, cpu_off = sum(r["cpu"] for r in on) / len(on), sum(r["cpu"] for r in off) / len(off)
    lines += ["", f"Mean CPU s with the checks {cpu_on:.1f}, without {cpu_off:.1f}: "
              f"{100 * (cpu_on - cpu_off) / cpu_off:+.1f}% (CPU time, noisy on a shared machine); "
              f"mean checks / search within a run: "
              f"{100 * sum(r['check_s'] / (r['seconds'] - r['check_s']) for r in on) / len(on):.1f}%.", ""]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
