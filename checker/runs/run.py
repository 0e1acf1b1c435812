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

from checker.config import DEFAULT_IMPL, IMPL_HELP, CheckConfig, bounds_text, default_ballots, parse_ballots
from checker.errors import UsageError
from checker.fingerprint import fp_hex
from checker.inputs import (
    MAX_ACCEPTORS,
    MAX_LEARNERS,
    MAX_PROPOSERS,
    MAX_SPEC_BALLOTS,
    MAX_VALUES,
    absolute,
    check_output_paths,
    check_size,
    input_files,
    positive_float,
    positive_int,
)
from checker.model import Model
from checker.models.contract import check_node_contract
from checker.models.reductions import LearnersNotApart, Reductions
from checker.runs import node_checks
from checker.runs.amnesia import crash_amnesia_note
from checker.search.common import (
    Limits,
    Path,
    Progress,
    SearchOptions,
    SearchResult,
    ctrl_c_stops_search,
    judge_last_steps,
    peak_rss_mb,
    physical_memory_mb,
    state_key_fn,
)
from checker.traces.replay import explain_marked
from checker.traces.trace_csv import Trace, TraceStep, write_trace
from checker.user_properties import check_user_properties
from checker.watchdog import GRACE_SECONDS, HandlerHung, handler_watchdog
from paxos import NODE_ERROR, ConfigurationError, atomic_write_text

EXIT_OK, EXIT_VIOLATED, EXIT_INCOMPLETE = 0, 1, 3
#: The property whose failure is a deviation from Paxos.tla rather than by itself a safety violation.
DEVIATION = "refines_spec"
#: --deviation's words: `warn` (default) and `error`; `fail` is the old word for `error`.
DEVIATION_MODES = {"warn": "warn", "error": "error", "fail": "error"}
#: Deviation versus danger in two sentences; the report says the same (reports/_content.py, whose import
#: pulls in matplotlib, so the text is not imported from there: tests/test_deviation.py keeps them equal).
DEVIATION_VS_DANGER = (
    "A deviation is a step that is no step of Lamport's Paxos.tla (refines_spec fails) but keeps every conjunct "
    "of Paxos.tla's inductive invariant, the argument that makes Paxos safe: it is reported with its trace and "
    "reason, and by default it neither stops --stop-on-first nor sets the exit code. A state that breaks a "
    "conjunct (inv_*) or a safety property (agreement, validity, ...) is a violation, exit 1.")
STRATEGY_FUNCS = {
    "bfs": ("checker.search.bfs", "bfs"),
    "dfs": ("checker.search.dfs", "dfs"),
    "random": ("checker.search.random_walk", "random_walk"),
    "swarm": ("checker.search.swarm", "swarm"),
    "guided": ("checker.search.guided", "guided"),
    "pct": ("checker.search.pct", "pct"),
}
SPEC_DEFAULTS = {"acceptors": 3, "ballots": 2, "values": 2}
DEFAULT_OUT = "paxos-check-run"
#: --max-memory by default: this share of physical memory, so a search too big for the machine
#: stops with its results written instead of being killed with nothing written.
DEFAULT_MEMORY_SHARE = 0.8
DEFAULT_GRAPH_LIMIT = 50_000  # states kept by --graph (checker/traces/graph.py); the search goes on past it
#: What a random mode (simulate, fuzz) says of a property it checked and never saw fail.
NOT_VIOLATED = "not_violated"
#: Flags of the implementation model that mean nothing to the Spec (flag, argparse dest).
IMPL_ONLY_FLAGS = (("--impl", "impl"), ("--proposers", "proposers"), ("--learners", "learners"),
                   ("--crashes", "crashes"), ("--drops", "drops"), ("--duplicates", "duplicates"),
                   ("--network", "network"), ("--q1", "q1"), ("--q2", "q2"), ("--colocated", "colocated"),
                   ("--unsafe-quorums", "unsafe_quorums"), ("--no-refinement", "no_refinement"),
                   ("--no-saturation", "no_saturation"), ("--no-crash-reduction", "no_crash_reduction"),
                   ("--no-learners-apart", "no_learners_apart"), ("--no-prompt-restart", "no_prompt_restart"),
                   ("--no-reductions", "no_reductions"),
                   ("--max-round", "max_round"), ("--property", "property"), ("--deviation", "deviation"))
#: The exit codes of explore and simulate, for their --help (README "Exit codes" says the same).
EXIT_CODES_HELP = (
    "Exit codes: 0 every property held within the stated bounds (explore: in every reachable state; "
    "simulate: not violated in any of the walks run, which is not a proof); 1 a property was violated "
    "(node_error included: a node that raised or returned malformed outputs), with its trace written; "
    "2 bad usage or bad input (one line), before any work; 3 the run stopped early (--max-states, "
    "--max-depth, --time-limit, --max-memory, Ctrl-C, or a node handler still running at the time "
    "limit) with nothing violated so far, its partial results written."
)


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """Flags that choose the model and its bounds."""
    g = p.add_argument_group("model and bounds")
    g.add_argument("--model", choices=("impl", "spec"), default="impl",
                   help="impl: a cluster of real nodes (default); spec: Lamport's Paxos.tla")
    add_cluster_arguments(g, "ballots per proposer (spec: ballots in all)")
    g.add_argument("--symmetry", action="store_true", help="reduce interchangeable acceptors (and spec values)")
    g.add_argument("--spec-bug", default=None, help="spec model only: a planted bug of the Spec (for teaching)")
    r = p.add_argument_group("sound reductions of the implementation model (on by default; see "
                             "checker/models/reductions.py for why each keeps every verdict)")
    r.add_argument("--no-saturation", action="store_true",
                   help="do not take inert deliveries (Nacks nobody reads) eagerly")
    r.add_argument("--no-crash-reduction", action="store_true",
                   help="also branch on crashes that leave the node's state unchanged")
    r.add_argument("--no-learners-apart", action="store_true",
                   help="keep pure learners in the explored state instead of judging their reach per state")
    r.add_argument("--no-prompt-restart", action="store_true",
                   help="keep crashed nodes down until a separate restart step (default: a crash and its "
                        "restart are one step; a down node can do nothing a delay cannot)")
    r.add_argument("--no-reductions", action="store_true", help="all four of the above")
    node_checks.add_arguments(p.add_argument_group("checks of the node along the explored graph (on by default)"))


def add_cluster_arguments(g: argparse._ActionsContainer, ballots_help: str = "ballots per proposer") -> None:
    """The implementation, the cluster's bounds and its fault model (explore, simulate, fuzz)."""
    g.add_argument("--impl", default=None, metavar="MODULE:FACTORY",
                   help=f"node implementation to check (default {DEFAULT_IMPL}): {IMPL_HELP}")
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
    g.add_argument("--property", action="append", default=None, metavar="MODULE:FUNCTION",
                   help="also check your own property, a function of a WorldView (repeatable; PATH.py:FUNCTION "
                        "loads a file): one argument "
                        "(view) is an always invariant, two (before, after) a step property; @sometimes from "
                        "properties.user marks a witness. See examples/my_properties.py")
    g.add_argument("--max-round", type=int, default=None, metavar="R",
                   help="state constraint: messages of ballot round > R are sent but never delivered; bounds "
                        "nodes that start ballots by themselves (e.g. after Nacks), which --ballots does not")


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("limits and output")
    g.add_argument("--max-states", type=positive_int, default=None, metavar="N", help="stop after N distinct states")
    g.add_argument("--max-depth", type=positive_int, default=None, metavar="N",
                   help="explore paths of at most N states")
    g.add_argument("--time-limit", type=positive_float, default=None, metavar="SECONDS",
                   help="stop after this long (also a node handler still running then)")
    g.add_argument("--max-memory", type=positive_float, default=None, metavar="MB",
                   help=f"stop (bounded, results written) when the search uses this much memory "
                        f"(default {DEFAULT_MEMORY_SHARE * 100:.0f}%% of physical memory or of a container limit)")
    g.add_argument("--stop-on-first", action="store_true", help="stop at the first violation")
    g.add_argument("--deviation", choices=tuple(DEVIATION_MODES), default=None,
                   help=DEVIATION_VS_DANGER.replace("%", "%%") + " 'warn' (default) is that; 'error' makes a "
                        "deviation a violation too (exit 1, ends --stop-on-first), for strict conformance to "
                        "Paxos.tla ('fail' is the old word for 'error'). Implementation model with refines_spec only")
    g.add_argument("--seed", type=int, default=None, help="random seed (simulate only; default 0)")
    g.add_argument("--workers", type=positive_int, default=1, metavar="N", help="processes (bfs, swarm)")
    g.add_argument("--engine", choices=("compiled", "python"), default="compiled",
                   help="bfs of --model spec: compiled (default: numba, one process without --symmetry; "
                        "otherwise the Python engine runs) or python (the pure-Python reference)")
    g.add_argument("--json", default=None, metavar="PATH", help="also write the run summary here")
    g.add_argument("--out", default=None, metavar="DIR",
                   help=f"run directory for summary.json and traces (default ./{DEFAULT_OUT})")
    g.add_argument("--report", action="store_true", help="render report.md and report.html into the run directory")
    g.add_argument("--graph", action="store_true",
                   help="keep the state graph for the report (GraphML; DOT too up to 5,000 states)")
    g.add_argument("--graph-limit", type=positive_int, default=None, metavar="N",
                   help=f"with --graph: keep the first N states of the graph (default {DEFAULT_GRAPH_LIMIT:,}); the "
                        "search goes on past them and the summary and report say the graph is partial")
    g.add_argument("--quiet", action="store_true", help="no progress line")


def check_config(args: argparse.Namespace) -> CheckConfig:
    fields: dict[str, Any] = {}
    for name in ("acceptors", "proposers", "learners", "values", "ballots", "crashes", "drops", "duplicates",
                 "network", "q1", "q2", "max_round"):
        value = getattr(args, name, None)
        if value is not None:
            fields[name] = parse_ballots(value) if name == "ballots" else value
    if "ballots" not in fields:
        proposers = fields.get("proposers") or (fields.get("acceptors", 3) if args.colocated else 2)
        fields["ballots"] = default_ballots(proposers)
    config = CheckConfig(colocated=args.colocated, unsafe_quorums=args.unsafe_quorums,
                         impl=args.impl or DEFAULT_IMPL, properties=tuple(getattr(args, "property", None) or ()),
                         **fields)
    for flag, value, largest in (("--acceptors", config.acceptors, MAX_ACCEPTORS),
                                 ("--proposers", config.proposers, MAX_PROPOSERS),
                                 ("--learners", config.learners, MAX_LEARNERS),
                                 ("--values", config.values, MAX_VALUES)):
        check_size(flag, value, largest)
    return config


def reductions(args: argparse.Namespace) -> Reductions:
    """The reductions the flags leave on (all of them unless switched off)."""
    if getattr(args, "no_reductions", False):
        return Reductions.none()
    return Reductions(saturation=not getattr(args, "no_saturation", False),
                      crash=not getattr(args, "no_crash_reduction", False),
                      learners_apart=not getattr(args, "no_learners_apart", False),
                      prompt_restart=not getattr(args, "no_prompt_restart", False))


def build_model(args: argparse.Namespace) -> Model:
    """The model the flags describe; bad flags are a UsageError."""
    if args.model == "spec":
        for flag, dest in IMPL_ONLY_FLAGS:
            if getattr(args, dest, None) not in (None, False):
                raise UsageError(f"{flag} applies to --model impl only, not to --model spec (the Spec has "
                                 "--acceptors, --ballots, --values); drop it or use --model impl")
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
        check_size("--acceptors", sizes["acceptors"], MAX_ACCEPTORS)
        check_size("--ballots", sizes["ballots"], MAX_SPEC_BALLOTS)
        check_size("--values", sizes["values"], MAX_VALUES)
        try:
            return SpecModel(SpecConfig(sizes["acceptors"], sizes["ballots"], sizes["values"]), bug=args.spec_bug)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.spec_bug:
        raise UsageError("--spec-bug applies to --model spec only")
    if getattr(args, "deviation", None) is not None and args.no_refinement:
        raise UsageError("--deviation judges refines_spec, which --no-refinement turns off; drop one of them")
    from checker.models.impl_model import ImplModel

    config = check_config(args)
    try:
        return cast(Model, ImplModel(config, refinement=not args.no_refinement, reductions=reductions(args),
                                     deviation_stops=deviation_mode(args) == "error"))
    except ConfigurationError as exc:  # the factory refused this configuration: bad input, not a finding
        raise UsageError(f"--impl {config.impl}: {exc}") from None


def deviation_mode(args: argparse.Namespace) -> str:
    """`warn` or `error`: what --deviation says (its old word `fail` is `error`); `warn` if not given."""
    return DEVIATION_MODES[getattr(args, "deviation", None) or "warn"]


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


#: More processes than this per core only slow a run down (and a typo of --workers 1000 would fork them all).
WORKERS_PER_CORE = 8


def limits(args: argparse.Namespace) -> Limits:
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    most = WORKERS_PER_CORE * (os.cpu_count() or 1)
    if args.workers > most and getattr(args, "cluster", None) is None:
        raise UsageError(f"--workers {args.workers}: this machine has {os.cpu_count()} cores, so at most {most} "
                         "processes; use about one per core (or --cluster to spread them over machines)")
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
    """Run one search as the flags say; write the run directory; print verdicts; return the exit code.

    Everything the user gave is checked first (output paths, flags, sizes, the node contract),
    so a bad input costs no search. A node handler still running at `--time-limit` ends the
    run as bounded (`_stopped_in_handler`).
    """
    out = FsPath(os.path.abspath(args.out or DEFAULT_OUT))  # resolved once: a node or property may chdir
    args.json = absolute(args.json)
    check_output_paths(dirs=[("--out", out)], files=[("--json", args.json)], inputs=input_files(args))
    if strategy in ("bfs", "dfs") and args.seed is not None:
        raise UsageError(f"--seed applies to simulate (random walks, swarm); explore's {strategy} is not random: "
                         "drop --seed")
    if args.graph_limit is not None and not args.graph:
        raise UsageError("--graph-limit applies with --graph only; add --graph or drop --graph-limit")
    bounds = limits(args)
    started = time.monotonic()
    last: list[Progress] = []
    model: Model | None = None
    with handler_watchdog(args.time_limit):
        try:
            if args.model == "impl":
                check_node_contract(check_config(args))
                check_user_properties(check_config(args))
                if args.symmetry and args.property:
                    raise UsageError("--symmetry assumes every property treats acceptors alike, which a user's "
                                     "--property need not do; drop --symmetry or the --property")
            model = build_model(args)
            try:
                return _search(args, model, strategy, command, out, bounds, last, started, extra)
            except LearnersNotApart as why:  # the reduction does not apply to this node: search without it
                print(f"paxos-check: {why}, so learners-apart does not apply; searching again without it",
                      flush=True)
                args.no_learners_apart = True
                model = build_model(args)
                return _search(args, model, strategy, command, out, bounds, last, time.monotonic(), extra)
        except HandlerHung as hung:
            return _stopped_in_handler(args, model, strategy, command, out, bounds, hung, last, started)


def _search(args: argparse.Namespace, model: Model, strategy: str, command: str, out: FsPath, bounds: Limits,
            last: list[Progress], started: float, extra: dict[str, Any]) -> int:
    if args.workers > 1 and strategy not in ("bfs", "swarm"):
        raise UsageError(f"--workers > 1 is for --strategy bfs and simulate --strategy swarm, not {strategy}; "
                         "drop --workers or pick one of those")
    if args.symmetry and not hasattr(model, "canonical"):
        raise UsageError(f"--symmetry is not available for --model {args.model} yet; run without it")
    recorder = None
    if args.graph:
        from checker.traces.graph import GraphRecorder

        if args.workers != 1:
            raise UsageError("--graph records the graph in one process; use --workers 1")
        recorder = GraphRecorder(args.graph_limit or DEFAULT_GRAPH_LIMIT)
        graph_key = state_key_fn(model, args.symmetry)  # before initial_states: it may change the model's keys
    show = _progress_printer(not args.quiet and sys.stderr.isatty())

    def progress(p: Progress) -> None:
        last[:] = [p]
        if show is not None:
            show(p)

    checks = node_checks.NodeChecks(args, model, resumed=bool(extra.get("resume")))  # node_checks.py
    options = SearchOptions(
        limits=bounds, stop_on_first_violation=args.stop_on_first, symmetry=args.symmetry,
        progress=checks.sampling(progress),
        on_transition=recorder.transition_hook(model, lambda s: _chosen_text(model, s), model.initial_states(),
                                               graph_key)
        if recorder is not None else None,
        coverage=True, seed=args.seed or 0, workers=args.workers, engine=getattr(args, "engine", "compiled"),
        **extra,
    )
    _announce(args, model, strategy)
    with ctrl_c_stops_search():  # Ctrl-C: the search stops and what it found is written, whole
        result = judge_last_steps(model, _strategy(strategy)(model, options))
        if show is not None:
            sys.stderr.write("\n")
        checks.after_search()
        summary = summarize(model, result, out, command, args, options.limits)
        checks.add_to(summary, out, result, trace_of)
        if recorder is not None:
            summary["graph"] = recorder.write(out, exhaustive=bool(summary.get("exhaustive")))
            if recorder.capped:
                print(f"paxos-check: --graph kept the first {recorder.states:,} states of the graph "
                      f"(--graph-limit {recorder.limit:,}); the search went on and the report says the graph is "
                      "partial", flush=True)
        summary["seconds"] = round(max(result.seconds, time.monotonic() - started), 3)
        after = getattr(args, "after_search", None)  # simulate --coverage: the coverage report
        if after is not None:
            after(model, result, summary, out)
        write_summary(summary, out, args.json)
    if args.report:
        from checker.traces.states import write_run_states
        from reports import render_report

        write_run_states(out)  # the full state at every step, for the report's state view
        render_report(out)
    print_verdicts(summary, out, extra.get("walks"))
    note = crash_amnesia_note(summary, out)  # the first violation is a crash wiping unpersisted state?
    if note:
        print(note)
    return exit_code(summary)


def _stopped_in_handler(args: argparse.Namespace, model: Model | None, strategy: str, command: str, out: FsPath,
                        bounds: Limits, hung: HandlerHung, last: list[Progress], started: float) -> int:
    """A node method was still running at the time limit: a bounded run; write what is known of it."""
    from checker.user_properties import run_properties

    config = dict(model.config()) if model is not None else check_config(args).to_json()
    memory = bounds.max_memory_mb
    config.update(model="impl", max_states=args.max_states, max_depth=args.max_depth, time_limit=args.time_limit,
                  max_memory_mb=None if memory is None else round(memory), seed=args.seed or 0,
                  workers=args.workers, symmetry=args.symmetry)
    progress = last[0] if last else None
    names = [(p.name, p.kind) for p in run_properties(check_config(args))] + [("refines_spec", "step"),
                                                                              (NODE_ERROR, "step")]
    summary: dict[str, Any] = {
        "version": 1, "command": command, "config": config, "model": "impl", "strategy": strategy,
        "exhaustive": False, "stopped_by": "time_limit",
        "states": progress.states if progress else 0, "transitions": 0, "depth": progress.depth if progress else 0,
        "seconds": round(time.monotonic() - started, 3), "peak_rss_mb": round(peak_rss_mb(), 1),
        "states_per_depth": [], "coverage": {}, "symmetry_reduction": None,
        "properties": [{"name": n, "kind": k, "status": "unknown", "trace": None} for n, k in names],
        "proofs": None, "graph": None, "run_dir": str(out.resolve()),
        "error": f"{hung}; stopped {GRACE_SECONDS:g} s after the time limit",
    }
    write_summary(summary, out, args.json)
    print(f"STOPPED: {hung}, {GRACE_SECONDS:g} s after --time-limit {args.time_limit:g}: that code may loop "
          "forever on this input (or be slow); the run is bounded, not a verification")
    print_verdicts(summary, out)
    return EXIT_INCOMPLETE


def _chosen_text(model: Model, state: Any) -> str:
    """The chosen value of a state for the graph ("" if none): the model's `chosen_text` hook if it has one."""
    fn = getattr(model, "chosen_text", None)
    if fn is not None:
        return str(fn(state))
    return "chosen" if "sometimes_chosen" in model.witnessed(state) else ""


def real_path(model: Model, path: Path, prop: str | None) -> Path:
    """`path` as real steps of the unreduced model, for the trace of `prop` (the model's `spell_out`
    hook: reduced steps spelled out, learners' own steps appended). Other models: `path` itself."""
    spell_out = getattr(model, "spell_out", None)
    if spell_out is None:
        return path
    return Path(path.initial, tuple(spell_out(path.initial, path.steps, prop)))


def trace_of(model: Model, path: Path, prop: str | None, kind: str) -> Trace:
    """A counterexample or witness path as a trace of real steps (`real_path`); the property is
    marked on its last step."""
    path = real_path(model, path, prop)
    impl = getattr(getattr(model, "cfg", None), "impl", None)
    trace = Trace(model.kind, impl, dict(model.config()), prop,
                  initial_fingerprint=fp_hex(model.fingerprint(path.initial)))
    prev = path.initial
    detail_of = getattr(model, "step_detail", None)
    for n, (action, state) in enumerate(path.steps, start=1):
        row = model.describe(prev, action, state)
        mark = prop if (prop and kind != "sometimes" and n == len(path.steps)) else ""
        detail = detail_of(prev, action) if mark and detail_of is not None else ""
        trace.steps.append(TraceStep(row, fp_hex(model.fingerprint(state)), mark or "", detail))
        prev = state
    if prop and kind == "sometimes" and trace.steps:
        last = trace.steps[-1]
        trace.steps[-1] = TraceStep(last.row, last.fingerprint, "", f"witness of {prop}")
    return trace


def _retrace(model: Model, prop: str, kind: str) -> Callable[[Path], Trace]:
    return lambda path: trace_of(model, path, prop, kind)


def summarize(
    model: Model, result: SearchResult, out: FsPath, command: str, args: argparse.Namespace, bounds: Limits
) -> dict[str, Any]:
    """The JSON summary of docs/formats.md; writes a trace per violation or witness."""
    config = dict(model.config())
    memory = bounds.max_memory_mb
    config.update(model=model.kind, max_states=args.max_states, max_depth=args.max_depth,
                  time_limit=args.time_limit, max_memory_mb=None if memory is None else round(memory),
                  seed=args.seed, workers=args.workers, symmetry=args.symmetry,
                  reductions=_reduction_names(model))
    props = []
    random_mode_done = command == "simulate" and result.stopped_by is None
    for p in result.properties:
        # a random mode that ran every walk asked of it: what never failed is "not violated" (not a proof)
        status = NOT_VIOLATED if random_mode_done and p.status == "unknown" and p.kind != "sometimes" else p.status
        entry: dict[str, Any] = {"name": p.name, "kind": p.kind, "status": status, "trace": None}
        if p.path is not None:
            rel = f"traces/{p.name}.csv"
            trace = trace_of(model, p.path, p.name, p.kind)
            if getattr(args, "minimize", False) and p.kind != "sometimes":  # simulate: delta debugging
                from checker.runs.shorten import shorten

                trace, entry["found_length"] = shorten(model, p.path, p.name, trace,
                                                       _retrace(model, p.name, p.kind))
            elif p.kind != "sometimes" and len(trace.steps) > len(p.path):
                # explore under reductions: the real spelling of the reduced graph's shortest path can
                # carry steps the violation does not need (which inert deliveries, where a crash falls)
                from checker.runs.shorten import minimized

                spelled = len(trace.steps)
                trace = minimized(trace)
                if len(trace.steps) < spelled:
                    entry["spelled_length"] = spelled
            if p.kind != "sometimes":
                trace = explain_marked(trace)  # why it fails, in the protocol's words (properties/explain.py)
            write_trace(out / rel, trace)
            entry["trace"] = rel
            entry["witness_length" if p.kind == "sometimes" else "length"] = len(trace.steps)
            if len(trace.steps) != len(p.path):  # shortest in the reduced graph, not necessarily of real traces
                entry["reduced_length"] = len(p.path)
            if trace.steps and trace.steps[-1].detail:
                entry["detail"] = trace.steps[-1].detail
        props.append(entry)
    summary: dict[str, Any] = {"version": 1, "command": command, "config": config, "model": model.kind,
                               "run_dir": str(out.resolve())}
    summary.update(result.summary_fields())
    coverage = summary.get("coverage") or {}
    extra = getattr(model, "coverage_summary", None)
    if extra is not None:
        coverage.update(extra())
    summary["coverage"] = coverage
    summary.update(properties=props, proofs=None, graph=None, bytes_per_state=result.bytes_per_state,
                   collision_probability=result.collision_probability)
    summary["deviation"] = deviation_of(summary, deviation_mode(args))
    return summary


def write_summary(summary: dict[str, Any], out: FsPath, json_path: str | None) -> None:
    """Write the summary to the run directory and to `--json`; a file that cannot be written (a full
    disk) is a UsageError naming it, after the other one was tried, so what can be written is."""
    summary.setdefault("run_dir", str(out.resolve()))
    text = json.dumps(summary, indent=2, sort_keys=False) + "\n"
    failed = []
    for path in (out / "summary.json", json_path):
        if path:
            try:
                atomic_write_text(path, text)
            except OSError as exc:
                failed.append(f"{path} ({exc.strerror or exc})")
    if failed:
        raise UsageError(f"could not write {' and '.join(failed)}; the traces written are in {out}")


def deviation_of(summary: dict[str, Any], mode: str) -> dict[str, Any] | None:
    """The summary's `deviation` (docs/formats.md): null unless refines_spec failed; else whether it is the
    only failure (a harmless deviation: every conjunct of the inductive invariant and every safety property
    held in the states explored, at the deviating step too), the step, its reason, the mode (`warn`: not
    counted in the exit code; `error`) and one plain sentence."""
    ref = next((p for p in summary["properties"] if p["name"] == DEVIATION and p["status"] == "violated"), None)
    if ref is None:
        return None
    unsafe = [p["name"] for p in summary["properties"]
              if p["status"] == "violated" and p["kind"] != "sometimes" and p["name"] != DEVIATION]
    step = ref.get("length")
    where = f" at step {step}" if step else ""
    reason = ref.get("detail") or ""
    why = f" ({reason})" if reason else ""
    if unsafe:
        text = (f"the node deviates from Paxos.tla{where}{why}, and it is dangerous: "
                f"{', '.join(unsafe)} fail{'s' if len(unsafe) == 1 else ''}")
    else:
        stopped = summary.get("stopped_by")
        scope = f"in the {summary['states']:,} states explored"
        if stopped == "violation":
            scope += " before --stop-on-first ended the search there"
        elif stopped is not None:
            scope += f" before the search stopped ({stopped})"
        text = (f"the node deviates from Paxos.tla{where}{why}; the safety argument still holds: every conjunct "
                f"of Paxos.tla's inductive invariant and every safety property held {scope}, the deviating step "
                "included")
        if stopped == "violation" and mode != "warn":
            text += "; drop --deviation error to keep searching for safety violations past the deviation"
    return {"property": DEVIATION, "only": not unsafe, "step": step, "mode": mode, "reason": reason, "text": text}


def exit_code(summary: dict[str, Any]) -> int:
    """1 a violation; 3 stopped early (bounded) with none; 0 otherwise (explore: exhaustive; simulate: every walk
    ran and nothing failed, which is not a proof). Under `--deviation warn` (the default) refines_spec does not
    count."""
    warn = (summary.get("deviation") or {}).get("mode") == "warn"
    if any(p["status"] == "violated" and not (warn and p["name"] == DEVIATION) for p in summary["properties"]):
        return EXIT_VIOLATED
    if summary["stopped_by"] is not None:
        return EXIT_INCOMPLETE
    return EXIT_OK


def _reduction_names(model: Model) -> list[str]:
    active = getattr(model, "reductions", None)
    return active.names() if isinstance(active, Reductions) else []


def _announce(args: argparse.Namespace, model: Model, strategy: str) -> None:
    cfg = model.config()
    bounds = bounds_text(cfg)
    what = f"{cfg.get('impl', 'Paxos.tla')}" if model.kind == "impl" else "Lamport's Paxos.tla"
    names = _reduction_names(model)
    sound = f"; sound reductions: {', '.join(names)} (--no-reductions to compare)" if names else ""
    print(f"paxos-check: {strategy} over {what} ({model.kind} model): {bounds}{sound}", flush=True)


def print_verdicts(summary: dict[str, Any], out: FsPath, walks: int | None = None) -> None:
    """The verdict table and one honest sentence about what it means."""
    rows = [("property", "kind", "verdict", "evidence")]
    for p in summary["properties"]:
        if p["trace"]:
            n = p.get("length", p.get("witness_length"))
            evidence = f"{'witness' if p['kind'] == 'sometimes' else 'counterexample'}: {n} steps, {out / p['trace']}"
        elif p["status"] == NOT_VIOLATED:
            evidence = f"{summary['states']:,} states in {walks:,} walks" if walks else f"{summary['states']:,} states"
        else:
            evidence = f"{summary['states']:,} states" if p["status"] == "held" else "-"
        verdict = p["status"].replace("_", " ")
        warned = (summary.get("deviation") or {}).get("mode") == "warn"
        if p["name"] == DEVIATION and p["status"] == "violated" and warned:
            verdict = "deviates"  # a warning (docs/formats.md): not counted in the exit code
        rows.append((p["name"], p["kind"], verdict, evidence))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print(f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    states, depth, secs = summary["states"], summary["depth"], summary["seconds"]
    rate = states / secs if secs else 0.0
    stats = (f"{states:,} distinct states, {summary['transitions']:,} transitions, depth {depth}, "
             f"{secs:.1f}s ({rate:,.0f} states/s)")
    deviation = summary.get("deviation")
    warn = deviation is not None and deviation["mode"] == "warn"
    violated = [p["name"] for p in summary["properties"]
                if p["status"] == "violated" and not (warn and p["name"] == DEVIATION)]
    for p in summary["properties"]:
        if p["status"] == "violated" and p.get("detail"):
            print(f"  {p['name']}: {p['detail']}")
    if warn and deviation is not None:
        kind = "harmless deviation" if deviation["only"] else "dangerous deviation"
        print(f"WARNING ({kind}, not counted in the exit code): {deviation['text']}; replay it with: "
              f"paxos-check replay {out / 'traces' / (DEVIATION + '.csv')}")
    if violated and deviation is not None and deviation["only"] and not warn:
        print(f"VIOLATED (--deviation error): {DEVIATION} only: {deviation['text']}. {stats}. "
              f"Replay with: paxos-check replay {out / 'traces' / (DEVIATION + '.csv')}")
    elif violated:
        print(f"VIOLATED: {', '.join(violated)}. {stats}. "
              f"Replay with: paxos-check replay {out / 'traces'}/<property>.csv")
    elif summary["stopped_by"] is not None:
        print(f"BOUNDED: no violation found, but the search stopped early ({summary['stopped_by']}): "
              f"this is not a verification. {stats}.")
    elif not summary["exhaustive"]:
        runs = f" in {walks:,} walks" if walks else ""
        print(f"NOT VIOLATED{runs} of a random search ({summary['strategy']}): not a proof and not a verification; "
              f"exit 0 means only that no walk broke a property. {stats}.")
    else:
        held = ("every safety property and every conjunct of the inductive invariant holds (refines_spec is a "
                "deviation, above)") if warn else "every property holds"
        print(f"HELD: {held} in every reachable state within the stated bounds (exhaustive). {stats}.")
    print(f"Run directory: {out}{os.sep} (summary.json)")
