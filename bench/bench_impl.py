"""Benchmark of the implementation model (`--model impl`): states/s, bytes per state, peak RSS, symmetry.

Each row runs in a fresh interpreter (so peak RSS is per row); the table is printed and written to
bench/results_impl.md, with one Spec row (3 acceptors, 3 ballots, 2 values) so the impl/spec rate
ratio is in the same run. Usage: python bench/bench_impl.py [--quick] [--profile] [--out PATH].
No assertions: figures are for people; tests pin counts, never timings.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from paxos._atomic import atomic_write_text  # noqa: E402

# (label, model, config fields, strategy, symmetry, time limit in seconds or None)
Row = tuple[str, str, dict[str, Any], str, bool, float | None]
ONE_P = {"acceptors": 3, "proposers": 1, "learners": 1, "ballots": 1, "crashes": 1}
TWO_P = {"acceptors": 3, "proposers": 2, "learners": 1, "ballots": 1, "crashes": 0}
TWO_P_CRASH = {**TWO_P, "crashes": 1}
ISSUE_DEFAULT = {"acceptors": 3, "proposers": 2, "learners": 1, "ballots": 2, "crashes": 1}  # the issue's default
SPEC = {"acceptors": 3, "ballots": 3, "values": 2}

QUICK: list[Row] = [
    ("3a/1p/1l, 1 ballot, 1 crash", "impl", ONE_P, "bfs", False, None),
    ("3a/1p/1l, 1 ballot, 1 crash", "impl", ONE_P, "bfs", True, None),
    ("3a/2p/1l, 1 ballot, 0 crashes", "impl", TWO_P, "bfs", False, None),
    ("3a/2p/1l, 1 ballot, 0 crashes", "impl", TWO_P, "bfs", True, None),
    ("issue #3 default 3a/2p/1l, 2 ballots each, 1 crash", "impl", ISSUE_DEFAULT, "bfs", False, 20.0),
    ("issue #3 default 3a/2p/1l, 2 ballots each, 1 crash", "impl", ISSUE_DEFAULT, "bfs", True, 20.0),
    ("spec 3 acceptors, 3 ballots, 2 values", "spec", SPEC, "bfs", False, None),
]
FULL: list[Row] = [
    *QUICK[:4],
    ("3a/2p/1l, 1 ballot, 0 crashes", "impl", TWO_P, "dfs", False, None),
    ("3a/2p/1l, 1 ballot, 1 crash", "impl", TWO_P_CRASH, "bfs", False, None),
    ("3a/2p/1l, 1 ballot, 1 crash", "impl", TWO_P_CRASH, "bfs", True, None),
    ("issue #3 default 3a/2p/1l, 2 ballots each, 1 crash", "impl", ISSUE_DEFAULT, "bfs", False, 120.0),
    ("issue #3 default 3a/2p/1l, 2 ballots each, 1 crash", "impl", ISSUE_DEFAULT, "bfs", True, 120.0),
    QUICK[-1],
]
ROWS = {id(r): r for r in FULL + QUICK}
ALL: list[Row] = list(ROWS.values())


def build_model(model: str, fields: dict[str, Any]) -> Any:
    if model == "spec":
        from checker.models.spec_model import SpecModel
        from properties.spec import SpecConfig

        return SpecModel(SpecConfig(**fields))
    from checker.config import CheckConfig
    from checker.models.impl_model import ImplModel

    return ImplModel(CheckConfig(**fields))


def run_row(row: Row) -> dict[str, Any]:
    """Run one row in this process and return its figures."""
    import resource

    from checker.search.common import Limits, SearchOptions
    from checker.search.strategies import search

    _, model_kind, fields, strategy, symmetry, time_limit = row
    model = build_model(model_kind, fields)
    options = SearchOptions(symmetry=symmetry, limits=Limits(time_limit=time_limit))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = search(model, strategy, options)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "states": result.states, "transitions": result.transitions, "depth": result.depth,
        "exhaustive": result.exhaustive, "stopped_by": result.stopped_by, "wall": wall,
        "cpu": cpu + kids.ru_utime + kids.ru_stime, "bytes_per_state": result.bytes_per_state,
        "peak_rss_mb": result.peak_rss_mb, "reduction": result.symmetry_reduction,
        "unreduced": result.unreduced_states, "violated": [p.name for p in result.violated],
    }


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(rows: list[tuple[Row, dict[str, Any]]]) -> str:
    head = ("| configuration | model | strategy | symmetry | states | transitions | depth | search | wall s | CPU s "
            "| states/s (wall) | states/s (CPU) | bytes/state | peak RSS MB | RSS bytes/state | reduction |\n"
            "| --- | --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
            "| ---: |\n")
    lines = []
    for row, r in rows:
        label, model, _, strategy, symmetry, _ = row
        states, wall, cpu = int(r["states"]), float(r["wall"]), max(float(r["cpu"]), 1e-9)
        search = "exhaustive" if r["exhaustive"] else f"BOUNDED ({r['stopped_by']})"
        if r["violated"]:
            search += f", violated {','.join(r['violated'])}"
        rss = float(r["peak_rss_mb"])
        lines.append(
            f"| {label} | {model} | {strategy} | {'yes' if symmetry else 'no'} | {states:,} "
            f"| {int(r['transitions']):,} | {r['depth']} | {search} | {wall:.2f} | {cpu:.2f} "
            f"| {states / wall:,.0f} | {states / cpu:,.0f} "
            f"| {_fmt(r['bytes_per_state'], '.1f')} | {rss:.0f} | {rss * 1048576 / max(states, 1):,.0f} "
            f"| {_fmt(r['reduction'], '.2f')} |"
        )
    return head + "\n".join(lines) + "\n"


def ratio_text(rows: list[tuple[Row, dict[str, Any]]]) -> str:
    """impl/spec distinct-state rate (CPU), using the largest exhaustive impl row without symmetry."""
    spec = [r for row, r in rows if row[1] == "spec"]
    impl = [(row, r) for row, r in rows if row[1] == "impl" and not row[4] and r["exhaustive"]]
    if not spec or not impl:
        return ""
    row, best = max(impl, key=lambda x: int(x[1]["states"]))
    impl_rate = best["states"] / max(best["cpu"], 1e-9)
    spec_rate = spec[0]["states"] / max(spec[0]["cpu"], 1e-9)
    return (f"impl/spec rate (distinct states per CPU second): {impl_rate:,.0f} ({row[0]}, {row[3]}) / "
            f"{spec_rate:,.0f} (Spec 3/3/2) = **{impl_rate / spec_rate:.2f}** (target >= 0.33).\n")


def profile_text(seconds: float = 15.0) -> str:
    """cProfile of the impl hot loop: BFS over 3a/2p/1l, 1 ballot, 0 crashes, no symmetry."""
    from checker.search.common import Limits, SearchOptions
    from checker.search.strategies import search

    model = build_model("impl", TWO_P)
    prof = cProfile.Profile()
    prof.enable()
    search(model, "bfs", SearchOptions(limits=Limits(time_limit=seconds)))
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(14)
    body = "\n".join(line for line in out.getvalue().splitlines() if line.strip())
    return ("\n## Profile of the impl hot loop\n\n`cProfile`, BFS over 3a/2p/1l, 1 ballot, 0 crashes, no symmetry "
            f"(at most {seconds:.0f} s; times are inflated by the profiler):\n\n```\n{body}\n```\n")


NOTES = (
    "configuration: acceptors/proposers/learners (impl, set network, 2 values, majority quorums, refinement "
    "checked as the CLI does); the Spec row is Paxos.tla with 3 acceptors, ballots 0..2, 2 values. "
    "states = distinct states stored (orbit representatives under symmetry). A BOUNDED row stopped at its "
    "time limit: its figures are a rate, never a verification. bytes/state = the BFS visited store "
    "(fingerprint + parent fingerprint); RSS bytes/state = peak RSS of the row's interpreter / states "
    "(includes the frontier, the interning tables and Python itself). reduction = unreduced states / "
    "representatives under acceptor symmetry (the unreduced figure is the exact sum of orbit sizes; "
    "proposers are not symmetric: ballots break ties by proposer id).\n"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="rows that finish in about a minute")
    parser.add_argument("--profile", action="store_true", help="append a cProfile of the impl hot loop")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results_impl.md"), help="Markdown file to write")
    parser.add_argument("--row", type=int, help=argparse.SUPPRESS)  # internal: run one row, print JSON
    args = parser.parse_args(argv)
    if args.row is not None:
        print(json.dumps(run_row(ALL[args.row])))
        return 0
    rows = QUICK if args.quick else FULL
    done: list[tuple[Row, dict[str, Any]]] = []
    load_before = os.getloadavg()
    for row in rows:
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--row", str(ALL.index(row))],
                              capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        done.append((row, result))
        print(f"  done: {row[0]} {row[3]} symmetry={row[4]}: {result['states']:,} states in {result['wall']:.1f}s",
              file=sys.stderr)
    command = "python bench/bench_impl.py" + (" --quick" if args.quick else "") + (" --profile" if args.profile else "")
    text = (
        "# Implementation-model benchmark\n\n"
        f"`{command}` on {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}; load average before/after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f} "
        "(the machine is shared: other jobs inflate wall time; CPU s is this row's own time).\n\n"
        + NOTES + "\n" + table(done) + "\n" + ratio_text(done)
    )
    if args.profile:
        text += profile_text(8.0 if args.quick else 20.0)
    atomic_write_text(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
