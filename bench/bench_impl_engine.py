"""Benchmark of the implementation model's compiled engine (issue 23): `paxos-check explore` with
`--engine compiled` (checker/models/impl_core.py on checker/search/flat_bfs.py) against `--engine python`.

Every run is a fresh `paxos-check explore ... --json` subprocess (start-up, numba import and loading its
cached machine code included), timed from outside: CPU seconds of the child, wall seconds, peak RSS and
bytes of peak RSS per distinct state from its summary. The node checks after the search (fidelity,
hash_order) are turned off: they cost the same on both engines and are not the search. The two engines
run back to back per row and must report the same states, transitions and depth. The machine is shared:
CPU seconds and the python/compiled ratio are the figures to read; the load average is recorded.
Writes bench/results_impl_engine.md.

Usage: python bench/bench_impl_engine.py [--rows default,...] [--out PATH]
No assertions: figures are for people; tests pin counts and results, never timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
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

#: name: (what the row runs, its flags, whether --engine python runs it too (the big rows take it hours))
ROWS = {"default": ("the default bounds (`--ballots 1,2 --crashes 1 --no-por`)",
                    ["--ballots", "1,2", "--crashes", "1", "--no-por"], True),
        "b2": ("`--ballots 2 --crashes 1 --no-por --max-states 12000000` (bounded: the first 12 M states in BFS order)",
               ["--ballots", "2", "--crashes", "1", "--no-por", "--max-states", "12000000"], False),
        "deep": ("`--impl paxos.bugs:volatile_ballot_deep --ballots 4,1 --crashes 1 --stop-on-first --no-por`",
                 ["--impl", "paxos.bugs:volatile_ballot_deep", "--ballots", "4,1", "--crashes", "1", "--stop-on-first",
                  "--no-por"], False)}
QUIET = ["--quiet", "--no-hash-order-check", "--no-fidelity-check"]
#: The results file keeps what follows this line as it is (figures measured by hand, their analysis)
BY_HAND = "<!-- measured by hand: kept by bench_impl_engine.py -->"
NOTES = """Rows `b2` and `deep` run the compiled engine only (`--engine python` would take hours there). Peak RSS per
state includes numba and the modules (160-200 MB), which a run of a million states does not amortize."""


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def explore(flags: list[str], engine: str, tmp: Path) -> dict[str, Any]:
    out = tmp / engine
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "checker.cli", "explore", *flags, "--engine", engine, *QUIET, "--out", str(out),
           "--json", str(tmp / f"{engine}.json")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-500:]}")
    summary = json.loads((tmp / f"{engine}.json").read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu": cpu, "wall": wall, "states": summary["states"], "transitions": summary["transitions"],
            "depth": summary["depth"], "rss": summary["peak_rss_mb"], "engine": summary.get("engine")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="default", help=f"comma-separated: {', '.join(ROWS)}")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_impl_engine.md"))
    args = ap.parse_args()
    lines = ["# The implementation model: --engine compiled against --engine python", "",
             f"`python bench/bench_impl_engine.py --rows {args.rows}` on {platform.machine()}, "
             f"{os.cpu_count()} cores shared with other work (load average per row: 1 / 5 / 15 min).",
             "CPU seconds are the whole `paxos-check explore` process (start-up and numba's cached code included), "
             "node checks off.", "",
             "| run | states | transitions | depth | python CPU s | compiled CPU s | states/s ratio | "
             "python B/state | compiled B/state | engine | load |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    with tempfile.TemporaryDirectory() as tmp:
        for key in args.rows.split(","):
            name, flags, both = ROWS[key]
            co = explore(flags, "compiled", Path(tmp))
            n = co["states"]
            py_cpu = ratio = py_bytes = "-"
            if both:
                py = explore(flags, "python", Path(tmp))
                if (py["states"], py["transitions"], py["depth"]) != (co["states"], co["transitions"], co["depth"]):
                    raise SystemExit(f"{name}: the engines disagree: {py} vs {co}")
                py_cpu, ratio = f"{py['cpu']:.1f}", f"{py['cpu'] / co['cpu']:.1f}x"
                py_bytes = f"{py['rss'] * 2**20 / n:.0f}"
            lines.append(f"| {name} | {n:,} | {co['transitions']:,} | {co['depth']} | {py_cpu} | "
                         f"{co['cpu']:.1f} | {ratio} | {py_bytes} | {co['rss'] * 2**20 / n:.0f} | {co['engine']} | "
                         f"{load()} |")
            print(lines[-1], flush=True)
    out = Path(args.out)
    kept = out.read_text().split(BY_HAND, 1)[1] if out.exists() and BY_HAND in out.read_text() else "\n"
    atomic_write_text(out, "\n".join([*lines, "", NOTES, "", BY_HAND]) + kept)


if __name__ == "__main__":
    main()
