"""What `explore --graph` costs: the same run with and without it (issue 12: it once made a run 40x slower).

Each row runs `paxos-check explore --impl paxos.bugs:own_value ... --quiet --out DIR` as a subprocess
and records wall and CPU seconds (getrusage(RUSAGE_CHILDREN) deltas), the peak RSS of the child,
and the size of the graph files written. Writes bench/results_graph.md. Usage:

    python bench/bench_graph.py [--out PATH]

No assertions: figures are for people; tests pin behaviour (tests/test_reports.py), never timings.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "own_value --ballots 1": ("--impl", "paxos.bugs:own_value", "--ballots", "1"),
    "own_value --crashes 0 (the README's report)": ("--impl", "paxos.bugs:own_value", "--crashes", "0"),
}


def _run(flags: tuple[str, ...], out: Path) -> dict[str, object]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "checker.cli", "explore", *flags, "--quiet", "--out", str(out)],
                   cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads((out / "summary.json").read_text())
    files = sum(p.stat().st_size for p in out.glob("graph.*"))
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "rss": after.ru_maxrss / 1024, "states": summary["states"], "graph": summary.get("graph"),
            "files": files}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results_graph.md"))
    args = parser.parse_args()
    lines = ["# What `explore --graph` costs", "",
             f"{datetime.date.today()}, {platform.python_implementation()} {platform.python_version()}, "
             "`python bench/bench_graph.py` (one run each; the machine is shared, so expect noise).", "",
             "| run | states | without --graph | with --graph | graph kept | graph files |",
             "|---|---:|---:|---:|---|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for label, flags in CONFIGS.items():
            plain = _run(flags, Path(tmp) / "plain")
            graph = _run((*flags, "--graph"), Path(tmp) / "graph")
            g = graph["graph"] if isinstance(graph["graph"], dict) else {}
            kept = f"{g.get('states', 0):,} states, {g.get('edges', 0):,} edges" + (
                "" if g.get("complete", True) else f" (capped at --graph-limit {g.get('limit'):,})")
            lines.append(f"| {label} | {plain['states']:,} | {plain['wall']:.1f} s ({plain['cpu']:.1f} s CPU) | "
                         f"{graph['wall']:.1f} s ({graph['cpu']:.1f} s CPU) | {kept} | "
                         f"{int(graph['files']) / 1e6:.1f} MB |")
            print(lines[-1], flush=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
