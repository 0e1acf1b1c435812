"""Benchmark of random search (issue 13): time to find each catalog bug, trace lengths, fuzz, coverage.

Per catalog bug (paxos/bugs.py), N seeds (default 10) of

    paxos-check simulate <the bug's catalog configuration> --stop-on-first --walks 100000000 \
        --time-limit 30 --seed S --quiet --json PATH --out DIR

each a subprocess on one core (no --workers): wall seconds of the whole process (start-up,
search, minimization, writing), its CPU seconds (getrusage(RUSAGE_CHILDREN) deltas), the length of
the minimized trace against the catalog's BFS-shortest length, and whether it replays
(`paxos-check replay`). Then the `ci` fuzz profile per bug (derandomized: one run each), and the
coverage of the default configuration's exhaustive state set after 10 s of `simulate`.
The table is rewritten after every bug (an interrupted run keeps the rows done). Usage:

    python bench/bench_simulate.py [--seeds 10] [--time-limit 30] [--bugs a,b] [--strategy NAME]
                                   [--no-fuzz] [--no-coverage] [--out bench/results_simulate.md]

No assertions: figures are for people; tests pin behaviour, never timings.
"""

from __future__ import annotations

import argparse
import datetime
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.config import config_flags  # noqa: E402
from paxos.bugs import CATALOG  # noqa: E402

WALKS = "100000000"  # effectively unbounded: the run ends at the first violation or the time limit


def catalog_flags(name: str) -> list[str]:
    """The bug's catalog configuration as command-line flags."""
    return config_flags(CATALOG[name].config)


@dataclass
class Run:
    seed: int
    found: bool
    wall: float
    cpu: float
    length: int | None = None  # minimized trace of the first violated property
    found_length: int | None = None  # before minimization
    prop: str = ""
    replays: bool | None = None
    search_seconds: float = 0.0


@dataclass
class BugRow:
    name: str
    bfs: int | None
    runs: list[Run] = field(default_factory=list)


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(cmd: list[str]) -> tuple[int, float, float, str]:
    cpu0, t0 = _child_cpu(), time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    return proc.returncode, time.monotonic() - t0, _child_cpu() - cpu0, proc.stdout + proc.stderr


def simulate_once(name: str, seed: int, time_limit: float, strategy: str | None, work: Path) -> Run:
    out = work / f"{name}-{seed}"
    js = work / f"{name}-{seed}.json"
    cmd = ["paxos-check", "simulate", *catalog_flags(name), "--stop-on-first", "--walks", WALKS,
           "--time-limit", str(time_limit), "--seed", str(seed), "--quiet", "--json", str(js), "--out", str(out)]
    if strategy:
        cmd += ["--strategy", strategy]
    code, wall, cpu, text = _timed(cmd)
    if code not in (0, 1, 3):
        raise SystemExit(f"{' '.join(cmd)} failed with exit {code}:\n{text}")
    summary = json.loads(js.read_text())
    violated = [p for p in summary["properties"] if p["status"] == "violated" and p["trace"]]
    run = Run(seed, bool(violated), wall, cpu, search_seconds=float(summary.get("search_seconds", summary["seconds"])))
    if violated:
        best = min(violated, key=lambda p: p["length"])
        run.prop, run.length = best["name"], best["length"]
        run.found_length = best.get("found_length", best["length"])
        rc, _, _, _ = _timed(["paxos-check", "replay", str(out / best["trace"]), "--quiet"]
                             if _replay_has_quiet() else ["paxos-check", "replay", str(out / best["trace"])])
        run.replays = rc == 1  # replay exits 1 when the trace reproduces its violation
    shutil.rmtree(out, ignore_errors=True)
    return run


_QUIET: list[bool] = []


def _replay_has_quiet() -> bool:
    if not _QUIET:
        text = subprocess.run(["paxos-check", "replay", "--help"], capture_output=True, text=True).stdout
        _QUIET.append("--quiet" in text)
    return _QUIET[0]


def fuzz_once(name: str, work: Path, seed: int | None = None) -> dict[str, Any]:
    """One `fuzz --profile ci` run: derandomized (the profile's own), or with `--seed`."""
    out = work / f"fuzz-{name}"
    js = work / f"fuzz-{name}.json"
    cmd = ["paxos-check", "fuzz", *catalog_flags(name), "--profile", "ci", "--quiet", "--json", str(js),
           "--out", str(out), *(["--seed", str(seed)] if seed is not None else [])]
    code, wall, cpu, text = _timed(cmd)
    if code not in (0, 1, 3):
        raise SystemExit(f"{' '.join(cmd)} failed with exit {code}:\n{text}")
    summary = json.loads(js.read_text())
    violated = [p for p in summary["properties"] if p["status"] == "violated"]
    shutil.rmtree(out, ignore_errors=True)
    return {"found": bool(violated), "wall": wall, "cpu": cpu,
            "props": ", ".join(p["name"] for p in violated) or "-",
            "length": min((p.get("length") or 0 for p in violated), default=None),
            "steps": summary.get("transitions"), "cases": summary["coverage"].get("cases")}


def coverage_once(seconds: float, work: Path) -> str:
    js = work / "coverage.json"
    cmd = ["paxos-check", "simulate", "--coverage", "--coverage-states", "3000000", "--walks", WALKS,
           "--time-limit", str(seconds), "--quiet", "--json", str(js), "--out", str(work / "coverage")]
    code, _wall, _cpu, text = _timed(cmd)
    if code not in (0, 1, 3):
        return f"(coverage run failed, exit {code}: {text.strip().splitlines()[-1] if text.strip() else ''})"
    return "```\n$ " + " ".join(cmd[:-4]) + "\n" + text.rstrip() + "\n```\n"


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def _section(title: str, intro: str, columns: list[str], text_columns: int) -> list[str]:
    """A titled markdown table's head: the first `text_columns` columns left-aligned, the rest numbers."""
    aligns = ["---"] * text_columns + ["---:"] * (len(columns) - text_columns)
    return ["", title, "", intro, "", "| " + " | ".join(columns) + " |", "| " + " | ".join(aligns) + " |"]


def render(rows: list[BugRow], fuzz: dict[str, dict[str, Any]], coverage: str, args: argparse.Namespace,
           started: str, seeded: dict[str, list[dict[str, Any]]] | None = None) -> str:
    strategy = args.strategy or "(default)"
    lines = [
        "# Random search: time to find each catalog bug (issue 13)",
        "",
        f"Written by `python bench/bench_simulate.py` on {started} ({platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores shared with other sessions: wall times are noisy, "
        "so medians are the figures to read; CPU seconds are the process's own).",
        "",
        f"Each cell: `paxos-check simulate <catalog configuration> --stop-on-first --walks {WALKS} "
        f"--time-limit {args.time_limit:g} --seed S` with strategy {strategy}, one process, seeds 0..{args.seeds - 1}; "
        "the time is the whole process (start-up ~0.3 s, search, minimization of the trace, writing). "
        "`min len` is the minimized trace of the first violation against the catalog's BFS-shortest length "
        "(`paxos.bugs.CATALOG[...].bfs_length`); `replays`: `paxos-check replay` reproduces it.",
        "",
        "| bug | BFS len | found | median wall s | worst wall s | median CPU s | worst CPU s | "
        "found len (median) | min len (max) | <= BFS | replays |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        runs = row.runs
        if not runs:
            continue
        found = [r for r in runs if r.found]
        walls = [r.wall if r.found else float("inf") for r in runs]
        cpus = [r.cpu if r.found else float("inf") for r in runs]
        worst_wall = max(walls)
        med = statistics.median(walls)
        lens = [r.length for r in found if r.length is not None]
        flens = [r.found_length for r in found if r.found_length is not None]
        within = all(row.bfs is None or r.length is None or r.length <= row.bfs for r in found)
        lines.append(
            f"| {row.name} | {row.bfs if row.bfs is not None else '?'} | {len(found)}/{len(runs)} | "
            f"{_fmt(med) if med != float('inf') else 'not found'} | "
            f"{_fmt(worst_wall) if worst_wall != float('inf') else f'>{args.time_limit:g}'} | "
            f"{_fmt(statistics.median(cpus)) if statistics.median(cpus) != float('inf') else '-'} | "
            f"{_fmt(max(cpus)) if max(cpus) != float('inf') else '-'} | "
            f"{statistics.median(flens) if flens else '-'} | {max(lens) if lens else '-'} | "
            f"{'yes' if within and found else ('no' if found else '-')} | "
            f"{'yes' if found and all(r.replays for r in found) else ('no' if found else '-')} |")
    all_runs = [r for row in rows for r in row.runs]
    if all_runs:
        meds = [statistics.median([r.wall if r.found else float("inf") for r in row.runs]) for row in rows if row.runs]
        worsts = [max(r.wall if r.found else float("inf") for r in row.runs) for row in rows if row.runs]
        lines += ["", f"Largest median: {max(meds):.2f} s (target <= 5 s); largest worst case: "
                      f"{max(worsts):.2f} s (target <= 30 s)."]
    if fuzz:
        lines += _section("## The `ci` fuzz profile per bug",
                          "`paxos-check fuzz <catalog configuration> --profile ci` (derandomized, so one run per "
                          "bug; the profile's cases and steps; stops at the first failure).",
                          ["bug", "found", "properties", "length", "cases run", "steps run", "wall s", "CPU s"], 3)
        for name, f in fuzz.items():
            lines.append(f"| {name} | {'yes' if f['found'] else 'no'} | {f['props']} | {f['length'] or '-'} | "
                         f"{f.get('cases') or '-'} | {f['steps'] or '-'} | {f['wall']:.1f} | {f['cpu']:.1f} |")
    if seeded:
        lines += _section("### The same, with other seeds",
                          "`paxos-check fuzz <catalog configuration> --profile ci --seed S` (random, not "
                          "derandomized): how robust the derandomized result is.",
                          ["bug", "seeds", "found", "cases to the bug (median, worst found)", "wall s (median)"], 2)
        for name, tries in seeded.items():
            hits = [t["cases"] for t in tries if t["found"]]
            lines.append(f"| {name} | {', '.join(str(t['seed']) for t in tries)} | {len(hits)}/{len(tries)} | "
                         f"{statistics.median(hits) if hits else '-'}, {max(hits) if hits else '-'} | "
                         f"{statistics.median(t['wall'] for t in tries):.1f} |")
    if coverage:
        lines += ["", "## Coverage of the default configuration after 10 s of `simulate`", "", coverage]
    return "\n".join(lines) + "\n"


#: Strategy variants compared by `--compare` (in process: transitions to the first violation do not
#: depend on the machine's load, unlike seconds). name -> (strategy run function name, keyword arguments)
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "uniform (random)": ("uniform", {}),
    "pct": ("pct", {}),
    "swarm mix only": ("guided", {"novelty": 0.0, "resume": 0.0, "swarm": 1.0, "delay": False}),
    "corpus resume only": ("guided", {"novelty": 0.0, "resume": 0.5, "swarm": 0.0, "delay": False}),
    "novelty 0.9 + resume + swarm": ("guided", {"novelty": 0.9, "resume": 0.5, "swarm": 0.5, "delay": False}),
    "novelty 1.0": ("guided", {"novelty": 1.0, "resume": 0.0, "swarm": 0.0, "delay": False}),
    "novelty 1.0 + wide swarm 25%": ("guided", {"novelty": 1.0, "resume": 0.0, "swarm": 0.25, "wide": True,
                                               "delay": False}),
    "novelty on half the walks": ("guided", {"novelty": 1.0, "resume": 0.0, "swarm": 0.0, "share": 0.5,
                                            "delay": False}),
    "novelty 1.0 + fault delay (default guided)": ("guided", {}),
}


def compare(seeds: int, time_limit: float, bugs: list[str], out: Path) -> None:
    """Transitions to the first violation per strategy variant, seeds 0..seeds-1, one process."""
    from checker.config import CheckConfig
    from checker.models.impl_model import ImplModel
    from checker.search.common import Limits, SearchOptions
    from checker.search.guided import guided_run, wide_mix
    from checker.search.pct import pct_run
    from checker.search.random_walk import uniform_run

    runs: dict[str, Any] = {"uniform": uniform_run, "pct": pct_run, "guided": guided_run}
    lines = ["# Random search strategies compared (issue 13)", "",
             f"Written by `python bench/bench_simulate.py --compare {seeds}`: per catalog bug and strategy variant, "
             f"seeds 0..{seeds - 1}, thousands of transitions (steps taken by all walks) until the first violation, "
             f"in one process with `--stop-on-first` semantics and a {time_limit:g} s limit per run "
             "(`inf`: not found). "
             "Transitions, unlike seconds, do not depend on the load of this shared machine; on it one core does "
             "roughly 20-45 thousand transitions per second.", "",
             "| bug | variant | found | median k | worst k | mean k |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for bug in bugs:
        for label, (kind, kwargs) in VARIANTS.items():
            args = dict(kwargs)
            if args.pop("wide", False):
                args["mixer"] = wide_mix
            costs = []
            for seed in range(seeds):
                model = ImplModel(CheckConfig(**dict(CATALOG[bug].config)))
                options = SearchOptions(stop_on_first_violation=True, walks=10**9, seed=seed,
                                        limits=Limits(time_limit=time_limit))
                result, _ = runs[kind](model, options, **args)
                costs.append(result.transitions / 1000 if result.violated else float("inf"))
            found = sum(c != float("inf") for c in costs)
            finite = [c for c in costs if c != float("inf")]
            mean = f"{statistics.mean(finite):.1f}" if len(finite) == len(costs) else "-"
            lines.append(f"| {bug} | {label} | {found}/{seeds} | {statistics.median(costs):.1f} | {max(costs):.1f} | "
                         f"{mean} |")
            print(lines[-1], flush=True)
            out.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--bugs", default=None, help="comma-separated catalog names (default: all)")
    ap.add_argument("--strategy", default=None, help="simulate --strategy (default: simulate's default)")
    ap.add_argument("--no-fuzz", action="store_true")
    ap.add_argument("--fuzz-seeds", type=int, default=0, metavar="N",
                    help="also run the ci fuzz profile with --seed 1..N per bug (default: derandomized only)")
    ap.add_argument("--no-coverage", action="store_true")
    ap.add_argument("--coverage-seconds", type=float, default=10.0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_simulate.md"))
    ap.add_argument("--compare", type=int, default=None, metavar="SEEDS",
                    help="instead: compare strategy variants on the two 17-step bugs (transitions to find)")
    args = ap.parse_args()
    if args.compare is not None:
        compare(args.compare, args.time_limit, args.bugs.split(",") if args.bugs else
                ["volatile_ballot", "highest_promised_value"],
                Path(args.out if args.out != ap.get_default("out") else
                     ROOT / "bench" / "results_simulate_strategies.md"))
        return
    names = args.bugs.split(",") if args.bugs else list(CATALOG)
    for n in names:
        if n not in CATALOG:
            raise SystemExit(f"--bugs: unknown bug {n!r}; known: {', '.join(CATALOG)}")
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = Path(args.out)
    rows: list[BugRow] = []
    fuzz: dict[str, dict[str, Any]] = {}
    coverage = ""
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as tmp:
        work = Path(tmp)
        for name in names:
            row = BugRow(name, CATALOG[name].bfs_length)
            rows.append(row)
            for seed in range(args.seeds):
                run = simulate_once(name, seed, args.time_limit, args.strategy, work)
                row.runs.append(run)
                print(f"{name} seed {seed}: {'found' if run.found else 'NOT found'} wall {run.wall:.2f}s "
                      f"cpu {run.cpu:.2f}s len {run.found_length}->{run.length} (bfs {row.bfs}) {run.prop}",
                      flush=True)
            out.write_text(render(rows, fuzz, coverage, args, started))
        seeded: dict[str, list[dict[str, Any]]] = {}
        if not args.no_fuzz:
            for name in names:
                fuzz[name] = fuzz_once(name, work)
                print(f"fuzz ci {name}: {fuzz[name]}", flush=True)
                out.write_text(render(rows, fuzz, coverage, args, started, seeded))
            for name in names:
                for seed in range(1, args.fuzz_seeds + 1):
                    seeded.setdefault(name, []).append({"seed": seed, **fuzz_once(name, work, seed)})
                    print(f"fuzz ci {name} seed {seed}: {seeded[name][-1]}", flush=True)
                    out.write_text(render(rows, fuzz, coverage, args, started, seeded))
        if not args.no_coverage:
            coverage = coverage_once(args.coverage_seconds, work)
            print(coverage, flush=True)
    out.write_text(render(rows, fuzz, coverage, args, started, seeded))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
