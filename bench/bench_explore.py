"""Benchmark of the search engine on the Spec: states/s, bytes per state, peak RSS, symmetry.

Each row runs in a fresh interpreter (so peak RSS is per row) and the table is printed
and written to bench/results.md. Usage: python bench/bench_explore.py [--quick] [--out PATH].
No assertions: figures are for people; tests pin counts, never timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from paxos._atomic import atomic_write_text  # noqa: E402

# (label, acceptors, ballots, values, strategy, workers, symmetry, walks)
Row = tuple[str, int, int, int, str, int, bool, int]
QUICK: list[Row] = [
    ("spec", 3, 2, 2, "bfs", 1, False, 0),
    ("spec", 3, 3, 2, "bfs", 1, False, 0),
    ("spec", 3, 3, 2, "bfs", 2, False, 0),
    ("spec", 3, 3, 2, "bfs", 1, True, 0),
    ("spec", 3, 3, 2, "dfs", 1, False, 0),
    ("spec", 3, 3, 2, "random", 1, False, 2000),
    ("spec", 3, 3, 2, "swarm", 2, False, 4000),
]
FULL: list[Row] = [
    *QUICK,
    ("spec", 5, 2, 2, "bfs", 1, False, 0),
    ("spec", 3, 4, 2, "bfs", 1, True, 0),
    ("spec", 3, 4, 2, "bfs", 2, False, 0),
    ("spec", 3, 4, 2, "bfs", 1, False, 0),
]


def run_row(row: Row) -> dict[str, object]:
    """Run one row in this process and return its figures."""
    from checker.models.spec_model import SpecModel
    from checker.search.common import SearchOptions
    from checker.search.strategies import search
    from properties.spec import SpecConfig

    _, acceptors, ballots, values, strategy, workers, symmetry, walks = row
    model = SpecModel(SpecConfig(acceptors=acceptors, ballots=ballots, values=values))
    options = SearchOptions(workers=workers, symmetry=symmetry, walks=walks or 1000)
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    result = search(model, strategy, options)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "states": result.states,
        "transitions": result.transitions,
        "depth": result.depth,
        "exhaustive": result.exhaustive,
        "wall": wall,
        "cpu": cpu + kids.ru_utime + kids.ru_stime,
        "bytes_per_state": result.bytes_per_state,
        "peak_rss_mb": result.peak_rss_mb,
        "reduction": result.symmetry_reduction,
        "unreduced": result.unreduced_states,
        "collision": result.collision_probability,
        "violated": [p.name for p in result.violated],
    }


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(rows: list[tuple[Row, dict[str, object]]]) -> str:
    head = (
        "| model | A/B/V | strategy | workers | symmetry | states | transitions | depth | exhaustive | wall s "
        "| CPU s | states/s (wall) | states/s (CPU) | bytes/state | peak RSS MB | reduction | collision p |\n"
        "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | --- "
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    )
    lines = []
    for row, r in rows:
        label, a, b, v, strategy, workers, symmetry, walks = row
        strat = f"{strategy} ({walks} walks)" if walks else strategy
        wall = float(r["wall"])  # type: ignore[arg-type]
        states = int(r["states"])  # type: ignore[call-overload]
        cpu = max(float(r["cpu"]), 1e-9)  # type: ignore[arg-type]
        lines.append(
            f"| {label} | {a}/{b}/{v} | {strat} | {workers} | {'yes' if symmetry else 'no'} | {states:,} "
            f"| {int(r['transitions']):,} | {r['depth']} | {'yes' if r['exhaustive'] else 'no'} "  # type: ignore[call-overload]
            f"| {wall:.2f} | {cpu:.2f} | {states / wall:,.0f} | {states / cpu:,.0f} "
            f"| {_fmt(r['bytes_per_state'], '.1f')} | {float(r['peak_rss_mb']):.0f} "  # type: ignore[arg-type]
            f"| {_fmt(r['reduction'], '.2f')} | {_fmt(r['collision'], '.1e')} |"  # type: ignore[arg-type]
        )
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="skip the multi-million-state rows")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"), help="Markdown table to write")
    parser.add_argument("--row", type=int, help=argparse.SUPPRESS)  # internal: run one row, print JSON
    args = parser.parse_args(argv)
    rows = QUICK if args.quick else FULL
    if args.row is not None:
        print(json.dumps(run_row(FULL[args.row])))
        return 0
    done: list[tuple[Row, dict[str, object]]] = []
    load_before = os.getloadavg()
    for row in rows:
        index = FULL.index(row)
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--row", str(index)],
            capture_output=True, text=True, env=env, check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        done.append((row, result))
        print(f"  done: {row[0]} {row[1]}/{row[2]}/{row[3]} {row[4]} w={row[5]} sym={row[6]}: "
              f"{result['states']:,} states in {result['wall']:.2f}s", file=sys.stderr)
    text = (
        "# Explorer benchmark\n\n"
        f"`python bench/bench_explore.py{' --quick' if args.quick else ''}` on {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}; "
        f"load average before/after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f} "
        "(other jobs on a shared machine inflate wall time; CPU s is this run's own time, workers included).\n\n"
        "A/B/V = acceptors / ballots / values (majority quorums). states/s counts distinct states. "
        "bytes/state is the visited store only (BFS: fingerprint + parent fingerprint). "
        "reduction = unreduced states / stored representatives under acceptor and value symmetry. "
        "collision p is TLC's optimistic fingerprint-collision estimate.\n\n" + table(done)
    )
    atomic_write_text(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
