"""One checking run from flags to files: build the model, search, write traces and the summary, print verdicts.

Shared by `explore` and `simulate`. Owns the model flags, the run directory
layout (docs/formats.md), the verdict table and the exit code. Search
strategies live in their own modules and are only called from here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path as FsPath
from typing import Any, cast

from checker.config import DEFAULT_IMPL, CheckConfig, bounds_text, parse_ballots
from checker.errors import UsageError
from checker.fingerprint import fp_hex
from checker.model import Model
from checker.search.common import (
    Limits,
    Path,
    Progress,
    SearchOptions,
    SearchResult,
    ctrl_c_stops_search,
    physical_memory_mb,
)
from checker.traces.trace_csv import Trace, TraceStep, write_trace
from paxos import ConfigurationError, atomic_write_text

EXIT_OK, EXIT_VIOLATED, EXIT_INCOMPLETE = 0, 1, 3
STRATEGY_FUNCS = {
    "bfs": ("checker.search.bfs", "bfs"),
    "dfs": ("checker.search.dfs", "dfs"),
    "random": ("checker.search.random_walk", "random_walk"),
    "swarm": ("checker.search.swarm", "swarm"),
}
SPEC_DEFAULTS = {"acceptors": 3, "ballots": 2, "values": 2}
DEFAULT_OUT = "paxos-check-run"
#: --max-memory by default: this share of physical memory, so a search too big for the machine
#: stops with its results written instead of being killed with nothing written.
DEFAULT_MEMORY_SHARE = 0.8


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """Flags that choose the model and its bounds."""
    g = p.add_argument_group("model and bounds")
    g.add_argument("--model", choices=("impl", "spec"), default="impl",
                   help="impl: a cluster of real nodes (default); spec: Lamport's Paxos.tla")
    add_cluster_arguments(g, "ballots per proposer (spec: ballots in all)")
    g.add_argument("--symmetry", action="store_true", help="reduce interchangeable acceptors (and spec values)")
    g.add_argument("--spec-bug", default=None, help="spec model only: a planted bug of the Spec (for teaching)")


def add_cluster_arguments(g: argparse._ActionsContainer, ballots_help: str = "ballots per proposer") -> None:
    """The implementation, the cluster's bounds and its fault model (explore, simulate, fuzz)."""
    g.add_argument("--impl", default=DEFAULT_IMPL, metavar="MODULE:FACTORY",
                   help=f"node implementation to check (default {DEFAULT_IMPL})")
    for name, text in (("acceptors", "acceptors"), ("proposers", "proposers (each proposes its own value)"),
                       ("learners", "learners"), ("values", "distinct values"),
                       ("crashes", "crash budget"), ("drops", "message drop budget (bag network)"),
                       ("duplicates", "message duplication budget (bag network)")):
        g.add_argument(f"--{name}", type=int, default=None, metavar="N", help=text)
    g.add_argument("--ballots", default=None, metavar="N[,N...]",
                   help=f"{ballots_help}; N1,N2,... gives each proposer its own budget")
    g.add_argument("--network", choices=("set", "bag"), default=None,
                   help="set: every sent message stays deliverable (default); bag: in-flight multiset")
    g.add_argument("--colocated", action="store_true", help="every node is proposer, acceptor and learner")
    g.add_argument("--q1", type=int, default=None, help="phase-1 quorum size (flexible quorums)")
    g.add_argument("--q2", type=int, default=None, help="phase-2 quorum size (flexible quorums)")
    g.add_argument("--unsafe-quorums", action="store_true", help="allow non-intersecting quorums on purpose")
    g.add_argument("--no-refinement", action="store_true", help="do not check refines_spec (faster)")


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("limits and output")
    g.add_argument("--max-states", type=int, default=None, metavar="N", help="stop after N distinct states")
    g.add_argument("--max-depth", type=int, default=None, metavar="N", help="explore paths of at most N states")
    g.add_argument("--time-limit", type=float, default=None, metavar="SECONDS", help="stop after this long")
    g.add_argument("--max-memory", type=float, default=None, metavar="MB",
                   help=f"stop (bounded, results written) when the search uses this much memory "
                        f"(default {DEFAULT_MEMORY_SHARE:.0%} of physical memory or of a container limit)")
    g.add_argument("--stop-on-first", action="store_true", help="stop at the first violation")
    g.add_argument("--seed", type=int, default=0, help="random seed (random walks, swarm)")
    g.add_argument("--workers", type=int, default=1, metavar="N", help="processes (bfs, swarm)")
    g.add_argument("--json", default=None, metavar="PATH", help="also write the run summary here")
    g.add_argument("--out", default=None, metavar="DIR",
                   help=f"run directory for summary.json and traces (default ./{DEFAULT_OUT})")
    g.add_argument("--report", action="store_true", help="render report.md and report.html into the run directory")
    g.add_argument("--graph", action="store_true", help="keep the state graph (GraphML, DOT) for the report")
    g.add_argument("--graph-limit", type=int, default=200_000, metavar="N",
                   help="refuse --graph above N states (default 200000)")
    g.add_argument("--quiet", action="store_true", help="no progress line")


def check_config(args: argparse.Namespace) -> CheckConfig:
    fields: dict[str, Any] = {}
    for name in ("acceptors", "proposers", "learners", "values", "ballots", "crashes", "drops", "duplicates",
                 "network", "q1", "q2"):
        value = getattr(args, name, None)
        if value is not None:
            fields[name] = parse_ballots(value) if name == "ballots" else value
    return CheckConfig(colocated=args.colocated, unsafe_quorums=args.unsafe_quorums, impl=args.impl, **fields)


def build_model(args: argparse.Namespace) -> Model:
    """The model the flags describe; bad flags are a UsageError."""
    if args.model == "spec":
        for flag in ("proposers", "learners", "crashes", "drops", "duplicates", "network", "q1", "q2"):
            if getattr(args, flag, None) is not None:
                raise UsageError(f"--{flag} applies to --model impl only; the Spec has acceptors, ballots, values")
        from checker.models.spec_model import SpecModel
        from properties.spec import SpecConfig

        sizes = {k: getattr(args, k) if getattr(args, k) is not None else v for k, v in SPEC_DEFAULTS.items()}
        ballots = parse_ballots(str(sizes["ballots"]))
        if isinstance(ballots, tuple):
            raise UsageError("--ballots for --model spec is the number of ballots in all: one integer")
        sizes["ballots"] = ballots
        for k, v in sizes.items():
            if v < 1:
                raise UsageError(f"--{k} must be at least 1, got {v}")
        try:
            return SpecModel(SpecConfig(sizes["acceptors"], sizes["ballots"], sizes["values"]), bug=args.spec_bug)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.spec_bug:
        raise UsageError("--spec-bug applies to --model spec only")
    from checker.models.impl_model import ImplModel

    config = check_config(args)
    try:
        return cast(Model, ImplModel(config, refinement=not args.no_refinement))
    except ConfigurationError as exc:  # the factory refused this configuration: bad input, not a finding
        raise UsageError(f"--impl {config.impl}: {exc}") from None


def _strategy(name: str) -> Callable[[Model, SearchOptions], SearchResult]:
    module, attr = STRATEGY_FUNCS[name]
    fn: Callable[[Model, SearchOptions], SearchResult] = getattr(importlib.import_module(module), attr)
    return fn


def _progress_printer(enabled: bool) -> Callable[[Progress], None] | None:
    if not enabled:
        return None

    def show(p: Progress) -> None:
        sys.stderr.write(f"\r  {p.states:>10,} states  frontier {p.frontier:>9,}  depth {p.depth:>3}  "
                         f"{p.states_per_sec:>9,.0f} states/s  {p.seconds:6.1f}s ")
        sys.stderr.flush()

    return show


def limits(args: argparse.Namespace) -> Limits:
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    memory = args.max_memory
    if memory is None:
        physical = physical_memory_mb()
        memory = None if physical is None else DEFAULT_MEMORY_SHARE * physical
    try:
        return Limits(args.max_states, args.max_depth, args.time_limit, memory)
    except ValueError as exc:  # Limits names the field; the flag is the same with dashes
        text = str(exc).replace("max_memory_mb", "--max-memory")
        for field in ("max_states", "max_depth", "time_limit"):
            text = text.replace(field, "--" + field.replace("_", "-"))
        raise UsageError(text) from None


def execute(args: argparse.Namespace, strategy: str, command: str, **extra: Any) -> int:
    """Run one search as the flags say; write the run directory; print verdicts; return the exit code."""
    model = build_model(args)
    if model.kind == "impl" and strategy in ("bfs", "dfs") and args.workers > 1:
        raise UsageError(
            "--workers > 1 is for the Spec model and for simulate --strategy swarm: the implementation model "
            "interns node states per process; run explore with --workers 1"
        )
    if args.symmetry and not hasattr(model, "canonical"):
        raise UsageError(f"--symmetry is not available for --model {args.model} yet; run without it")
    recorder = None
    if args.graph:
        from checker.traces.graph import GraphRecorder

        if args.workers != 1:
            raise UsageError("--graph records the graph in one process; use --workers 1")
        recorder = GraphRecorder(args.graph_limit)
    options = SearchOptions(
        limits=limits(args), stop_on_first_violation=args.stop_on_first, symmetry=args.symmetry,
        progress=_progress_printer(not args.quiet and sys.stderr.isatty()),
        on_transition=recorder.transition_hook(model, lambda s: _chosen_text(model, s), model.initial_states())
        if recorder is not None else None,
        coverage=True, seed=args.seed, workers=args.workers, **extra,
    )
    out = FsPath(args.out or DEFAULT_OUT)
    _announce(args, model, strategy)
    started = time.monotonic()
    with ctrl_c_stops_search():  # Ctrl-C: the search stops and what it found is written, whole
        result = _strategy(strategy)(model, options)
        if options.progress is not None:
            sys.stderr.write("\n")
        summary = summarize(model, result, out, command, args, options.limits)
        if recorder is not None:
            summary["graph"] = recorder.write(out)
        summary["seconds"] = round(max(result.seconds, time.monotonic() - started), 3)
        write_summary(summary, out, args.json)
    if args.report:
        from reports import render_report

        render_report(out)
    print_verdicts(summary, out)
    return exit_code(summary)


def _chosen_text(model: Model, state: Any) -> str:
    """The chosen value of a state for the graph ("" if none): the model's `chosen_text` hook if it has one."""
    fn = getattr(model, "chosen_text", None)
    if fn is not None:
        return str(fn(state))
    return "chosen" if "sometimes_chosen" in model.witnessed(state) else ""


def trace_of(model: Model, path: Path, prop: str | None, kind: str) -> Trace:
    """A counterexample or witness path as a trace; the property is marked on its last step."""
    impl = getattr(getattr(model, "cfg", None), "impl", None)
    trace = Trace(model.kind, impl, dict(model.config()), prop,
                  initial_fingerprint=fp_hex(model.fingerprint(path.initial)))
    prev = path.initial
    for n, (action, state) in enumerate(path.steps, start=1):
        row = model.describe(prev, action, state)
        mark = prop if (prop and kind != "sometimes" and n == len(path.steps)) else ""
        trace.steps.append(TraceStep(row, fp_hex(model.fingerprint(state)), mark or ""))
        prev = state
    if prop and kind == "sometimes" and trace.steps:
        last = trace.steps[-1]
        trace.steps[-1] = TraceStep(last.row, last.fingerprint, "", f"witness of {prop}")
    return trace


def summarize(
    model: Model, result: SearchResult, out: FsPath, command: str, args: argparse.Namespace, bounds: Limits
) -> dict[str, Any]:
    """The JSON summary of docs/formats.md; writes a trace per violation or witness."""
    config = dict(model.config())
    memory = bounds.max_memory_mb
    config.update(model=model.kind, max_states=args.max_states, max_depth=args.max_depth,
                  time_limit=args.time_limit, max_memory_mb=None if memory is None else round(memory),
                  seed=args.seed, workers=args.workers, symmetry=args.symmetry)
    props = []
    for p in result.properties:
        entry: dict[str, Any] = {"name": p.name, "kind": p.kind, "status": p.status, "trace": None}
        if p.path is not None:
            rel = f"traces/{p.name}.csv"
            write_trace(out / rel, trace_of(model, p.path, p.name, p.kind))
            entry["trace"] = rel
            entry["witness_length" if p.kind == "sometimes" else "length"] = len(p.path)
        props.append(entry)
    summary: dict[str, Any] = {"version": 1, "command": command, "config": config, "model": model.kind}
    summary.update(result.summary_fields())
    coverage = summary.get("coverage") or {}
    extra = getattr(model, "coverage_summary", None)
    if extra is not None:
        coverage.update(extra())
    summary["coverage"] = coverage
    summary.update(properties=props, proofs=None, graph=None, bytes_per_state=result.bytes_per_state,
                   collision_probability=result.collision_probability)
    return summary


def write_summary(summary: dict[str, Any], out: FsPath, json_path: str | None) -> None:
    text = json.dumps(summary, indent=2, sort_keys=False) + "\n"
    atomic_write_text(out / "summary.json", text)
    if json_path:
        atomic_write_text(json_path, text)


def exit_code(summary: dict[str, Any]) -> int:
    if any(p["status"] == "violated" for p in summary["properties"]):
        return EXIT_VIOLATED
    if summary["stopped_by"] is not None:
        return EXIT_INCOMPLETE
    return EXIT_OK


def _announce(args: argparse.Namespace, model: Model, strategy: str) -> None:
    cfg = model.config()
    bounds = bounds_text(cfg)
    what = f"{cfg.get('impl', 'Paxos.tla')}" if model.kind == "impl" else "Lamport's Paxos.tla"
    print(f"paxos-check: {strategy} over {what} ({model.kind} model): {bounds}", flush=True)


def print_verdicts(summary: dict[str, Any], out: FsPath) -> None:
    """The verdict table and one honest sentence about what it means."""
    rows = [("property", "kind", "verdict", "evidence")]
    for p in summary["properties"]:
        if p["trace"]:
            n = p.get("length", p.get("witness_length"))
            evidence = f"{'witness' if p['kind'] == 'sometimes' else 'counterexample'}: {n} steps, {out / p['trace']}"
        else:
            evidence = f"{summary['states']:,} states" if p["status"] == "held" else "-"
        rows.append((p["name"], p["kind"], p["status"], evidence))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print(f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    states, depth, secs = summary["states"], summary["depth"], summary["seconds"]
    rate = states / secs if secs else 0.0
    stats = (f"{states:,} distinct states, {summary['transitions']:,} transitions, depth {depth}, "
             f"{secs:.1f}s ({rate:,.0f} states/s)")
    violated = [p["name"] for p in summary["properties"] if p["status"] == "violated"]
    if violated:
        print(f"VIOLATED: {', '.join(violated)}. {stats}. "
              f"Replay with: paxos-check replay {out / 'traces'}/<property>.csv")
    elif summary["stopped_by"] is not None:
        print(f"BOUNDED: no violation found, but the search stopped early ({summary['stopped_by']}): "
              f"this is not a verification. {stats}.")
    elif not summary["exhaustive"]:
        print(f"NO VIOLATION FOUND by a non-exhaustive search ({summary['strategy']}): not a verification. {stats}.")
    else:
        print(f"HELD: every property holds in every reachable state within the stated bounds (exhaustive). {stats}.")
    print(f"Run directory: {out}{os.sep} (summary.json)")
