"""Benchmark of the sound reductions of the implementation model (saturation, crash, learners_apart, prompt_restart,
por: quiet blocks).

Each row runs `paxos-check explore ... --quiet --json PATH --out DIR` as a subprocess, so peak RSS
is that run's own; CPU seconds are the user+sys time of the subprocess (getrusage(RUSAGE_CHILDREN)
deltas). One table per configuration, written to bench/results_reductions.md after every row (an
interrupted run keeps the rows done). Usage:

    python bench/bench_reductions.py [--only A,B,C,D,E,F] [--time-limit S] [--out PATH]

E and F compare quiet blocks (the partial-order reduction, `--no-por`) on and off, the other four on.

No assertions: figures are for people; tests pin counts (tests/test_reach.py), never timings.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REDUCTIONS = ("saturation", "crash", "learners_apart", "prompt_restart", "por")
NO_FLAG = {"saturation": "--no-saturation", "crash": "--no-crash-reduction", "learners_apart": "--no-learners-apart",
           "prompt_restart": "--no-prompt-restart", "por": "--no-por"}


@dataclass(frozen=True)
class Row:
    label: str
    flags: tuple[str, ...]  # reduction / symmetry flags of this row
    baseline: bool = False  # the no-reduction row the factors compare against


def _only(kind: str) -> Row:
    return Row(f"{kind} only", tuple(NO_FLAG[k] for k in REDUCTIONS if k != kind))


NONE = Row("no reductions", ("--no-reductions",), baseline=True)
ALL = Row("all five", ())
EACH = [NONE, *(_only(k) for k in REDUCTIONS), ALL]
NO_POR = Row("all but quiet blocks", ("--no-por",), baseline=True)
POR = [NO_POR, ALL]


@dataclass(frozen=True)
class Config:
    key: str
    title: str
    args: tuple[str, ...]
    rows: list[Row]
    time_limit: float | None = None  # overrides --time-limit
    notes: str = ""
    per_depth: bool = False  # print states per BFS depth for each row
    extra: list[Row] = field(default_factory=list)


CONFIGS = [
    Config("A", "A. `--ballots 1` (3 acceptors, 2 proposers, 1 learner, 1 crash; the former default)",
           ("--ballots", "1"), EACH),
    Config("B", "B. the current default (no flags: 3a/2p/1l, ballots 1,2, 1 crash)", (),
           [*EACH, Row("all five + --symmetry", ("--symmetry",))],
           notes="The last row adds acceptor symmetry to all five reductions; its factor column is vs the "
                 "no-reduction row, and the symmetry factor alone is stated below the table."),
    Config("C", "C. `--ballots 2 --crashes 1 --symmetry` (the issue's target: exhaustive in at most 10 minutes)",
           ("--ballots", "2", "--crashes", "1", "--symmetry"),
           [NONE, ALL, Row("all five, 2 workers", ("--workers", "2"))],
           time_limit=600.0, per_depth=True,
           notes="The last row is the issue's target as a user would run it on this 2-core machine: "
                 "`--workers 2` (hash-partitioned BFS over two processes; CPU s counts both)."),
    Config("D", "D. `--ballots 2 --crashes 0 --learners 0`", ("--ballots", "2", "--crashes", "0", "--learners", "0"),
           [NONE, ALL]),
    Config("E", "E. quiet blocks on the default check (no flags: 3a/2p/1l, ballots 1,2, 1 crash)", (), POR,
           notes="Here the baseline is the other four reductions without quiet blocks (`--no-por`): the factor "
                 "column is what quiet blocks add."),
    Config("F", "F. quiet blocks without crashes (`--crashes 0`: 3a/2p/1l, ballots 1,2)", ("--crashes", "0"), POR,
           notes="The baseline is `--no-por` as in E. Without crashes every proposer-only interleaving is a "
                 "quiet one."),
]
RUN_ORDER = "EFACDB"  # most informative first; tables are written in A..F order


def paxos_check() -> list[str]:
    exe = shutil.which("paxos-check", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    return [exe] if exe else [sys.executable, "-m", "checker.cli"]


def command_of(cfg: Config, row: Row, limit: float) -> list[str]:
    return ["explore", *cfg.args, *row.flags, "--time-limit", f"{limit:g}"]


def run_row(cfg: Config, row: Row, limit: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-red-") as tmp:
        summary = Path(tmp) / "summary.json"
        argv = [*paxos_check(), *command_of(cfg, row, limit), "--quiet", "--json", str(summary),
                "--out", str(Path(tmp) / "run")]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)
        wall = time.perf_counter() - wall0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if not summary.exists():
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode} without a summary:\n{proc.stderr}")
        data = json.loads(summary.read_text())
    data["wall"] = wall
    data["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    data["returncode"] = proc.returncode
    data["violated"] = [p["name"] for p in data.get("properties", []) if p.get("status") == "violated"]
    return data


def _search(r: dict[str, Any]) -> str:
    if r["exhaustive"]:
        text = "yes"
    elif r.get("stopped_by") == "time_limit" or r.get("stopped_by") is None:
        text = f"bounded at {r['config'].get('time_limit') or 0:g} s"
    else:
        text = f"bounded ({r['stopped_by']})"
    if r["violated"]:
        text += f", VIOLATED {','.join(r['violated'])}"
    return text


def factor(base: dict[str, Any] | None, r: dict[str, Any]) -> str:
    if base is None:
        return "-"
    b, s = int(base["states"]), max(int(r["states"]), 1)
    if base["exhaustive"] and r["exhaustive"]:
        return f"{b / s:,.1f}"
    if r["exhaustive"]:  # the bounded baseline count is a lower bound of the unreduced count
        return f"> {b / s:,.1f} (lower bound)"
    if base["exhaustive"]:  # the bounded count of this row is a lower bound of its own
        return f"< {b / s:,.1f} (upper bound)"
    return "unknown (both bounded)"


def table(cfg: Config, done: dict[Row, dict[str, Any]]) -> str:
    lines = ["| reductions | flags | states | depth | exhaustive | wall s | CPU s | states/s (wall) "
             "| states/s (CPU) | peak RSS MB | factor vs none |",
             "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    base = next((r for row, r in done.items() if row.baseline), None)
    for row in cfg.rows:
        if row not in done:
            lines.append(f"| {row.label} | {' '.join(row.flags) or '(none)'} | not run | | | | | | | | |")
            continue
        r = done[row]
        states, wall, cpu = int(r["states"]), max(float(r["wall"]), 1e-9), max(float(r["cpu"]), 1e-9)
        lines.append(
            f"| {row.label} | {' '.join(f'`{f}`' for f in row.flags) or '(none)'} | {states:,} | {r['depth']} "
            f"| {_search(r)} | {wall:.1f} | {cpu:.1f} | {states / wall:,.0f} | {states / cpu:,.0f} "
            f"| {float(r['peak_rss_mb']):,.0f} | {'1.0 (baseline)' if row.baseline else factor(base, r)} |")
    return "\n".join(lines) + "\n"


def section(cfg: Config, done: dict[Row, dict[str, Any]], limit: float) -> str:
    cmd = " ".join(["paxos-check", *command_of(cfg, ALL, limit)])
    text = f"## {cfg.title}\n\nBase command: `{cmd}` plus each row's flags.\n\n"
    if cfg.notes:
        text += cfg.notes + "\n\n"
    text += table(cfg, done)
    rec = [f"`{row.label}`: {', '.join(done[row]['config'].get('reductions') or []) or 'none'}"
           for row in cfg.rows if row in done]
    if rec:
        text += "\nReductions recorded in each summary's `config.reductions`: " + "; ".join(rec) + ".\n"
    sym = next((done[row] for row in cfg.rows if row in done and "--symmetry" in row.flags), None)
    plain = done.get(ALL)
    if sym is not None and plain is not None and "--symmetry" not in cfg.args:
        ratio = int(plain["states"]) / max(int(sym["states"]), 1)
        exact = "" if plain["exhaustive"] and sym["exhaustive"] else " (a bounded row is involved: not exact)"
        text += (f"\nSymmetry factor on top of all five reductions: {int(plain['states']):,} / "
                 f"{int(sym['states']):,} = **{ratio:.2f}**{exact}")
        if sym.get("symmetry_reduction") is not None:
            text += (f"; the summary's `symmetry_reduction` (unreduced / representatives) says "
                     f"{sym['symmetry_reduction']:.2f}")
        text += ".\n"
    if cfg.per_depth:
        for row in cfg.rows:
            if row in done:
                r = done[row]
                per = r.get("states_per_depth") or []
                tail = per[-8:]
                growth = ", ".join(f"{b / a:.2f}" for a, b in itertools.pairwise(tail) if a)
                text += (f"\nStates per BFS depth, {row.label} ({'exhaustive' if r['exhaustive'] else 'bounded'}, "
                         f"{int(r['states']):,} states, depth {r['depth']}, {int(r['transitions']):,} transitions):\n\n"
                         f"```\n{', '.join(f'{d + 1}:{n:,}' for d, n in enumerate(per))}\n```\n\n"
                         f"Growth per level over the last levels: {growth}.\n")
        text += ("\nEvery listed level is complete (BFS stores a level only once it is fully generated); a "
                 "bounded run stopped while generating the next one.\n")
    return text + "\n"


def render(selected: list[Config], done: dict[str, dict[Row, dict[str, Any]]], args: argparse.Namespace,
           started: str, command: str, load: tuple[float, float]) -> str:
    header = (
        "# Reductions benchmark (implementation model)\n\n"
        f"Command: `{command}`; started {started}; machine: `nproc` = {os.cpu_count()}, {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}; load average at start / now: "
        f"{load[0]:.2f} / {load[1]:.2f}. The machine is shared with other jobs, so wall time is inflated; CPU s is "
        "the run's own user+sys time (getrusage of the subprocess), so states/s (CPU) is the steadier rate.\n\n"
        "Each row is one `paxos-check explore ... --quiet --json PATH --out DIR` subprocess (BFS, 1 worker, "
        "set network, refinement checked). states = distinct states stored; depth = BFS levels; peak RSS = "
        "the summary's `peak_rss_mb` of that run; wall s includes the interpreter's start (about 0.3 s). "
        "An \"only\" row is `--no-reductions` except that one "
        "reduction (the two other `--no-*` flags). A row that says \"bounded at N s\" stopped at its time "
        "limit: its count is a lower bound, never a verification; the factor column then says `>` or `<` "
        "with the bounded count used as a bound. The reductions and why each keeps every verdict: "
        "`checker/models/reductions.py`.\n\n"
    )
    body = "".join(section(cfg, done.get(cfg.key, {}), cfg.time_limit or args.time_limit) for cfg in selected)
    return header + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", default="A,B,C,D,E,F", help="configurations to run, e.g. A,B (default all)")
    parser.add_argument("--time-limit", type=float, default=300.0,
                        help="per-row time limit in seconds (default 300; C always uses 600)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results_reductions.md"), help="Markdown file to write")
    args = parser.parse_args(argv)
    keys = [k.strip().upper() for k in args.only.split(",") if k.strip()]
    unknown = [k for k in keys if k not in {c.key for c in CONFIGS}]
    if unknown:
        parser.error(f"unknown configuration(s) {unknown}; choose from A,B,C,D,E,F")
    selected = [c for c in CONFIGS if c.key in keys]
    command = "python bench/bench_reductions.py" + ("" if args.only == "A,B,C,D,E,F" else f" --only {args.only}") + (
        "" if args.time_limit == 300.0 else f" --time-limit {args.time_limit:g}")
    started = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load0 = os.getloadavg()[0]
    done: dict[str, dict[Row, dict[str, Any]]] = {}
    for cfg in sorted(selected, key=lambda c: RUN_ORDER.index(c.key)):
        limit = cfg.time_limit or args.time_limit
        for row in cfg.rows:
            r = run_row(cfg, row, limit)
            done.setdefault(cfg.key, {})[row] = r
            print(f"  {cfg.key} {row.label}: {int(r['states']):,} states, {_search(r)}, wall {r['wall']:.1f}s, "
                  f"CPU {r['cpu']:.1f}s, {float(r['peak_rss_mb']):.0f} MB", file=sys.stderr, flush=True)
            text = render(selected, done, args, started, command, (load0, os.getloadavg()[0]))
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(args.out).with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(args.out)
    print(Path(args.out).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
