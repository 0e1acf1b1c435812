"""`paxos-check fuzz`: Hypothesis stateful fuzzing of an implementation, outside pytest.

Flags, progress, the run directory and the verdict only; the state machine is
checker/runs/fuzz.py. A fuzzing run is a bounded random search: finding nothing is
never reported as a proof. Exit 0 nothing found, 1 a property failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from checker.cli.flags import add_cluster_arguments, cluster_of, named_inputs, refuse_budget
from checker.config import CheckConfig, bounds_text, load_factory
from checker.errors import UsageError
from checker.exit_codes import EXIT_INCOMPLETE, EXIT_OK, EXIT_VIOLATED
from checker.inputs import absolute, check_output_paths, positive_float, positive_int
from checker.models.contract import check_node_contract
from checker.runs.build import DEFAULT_OUT, DEVIATION_MODES, check_config
from checker.runs.fuzz import (
    PROFILES,
    FuzzResult,
    FuzzStats,
    format_trace,
    profile_settings,
    run_fuzz,
    trace_of_actions,
)
from checker.runs.summarize import DEVIATION_VS_DANGER, NOT_VIOLATED, deviation_of, write_summary
from checker.search.common import peak_rss_mb
from checker.signals import TimeUp, deadline
from checker.traces.trace_csv import write_trace
from checker.user_properties import check_user_properties, run_properties
from paxos import NODE_ERROR
from paxos._summary import PropertyEntry, RunSummary
from properties.refinement import Refinement

EXIT_CODES_HELP = (
    "Exit codes: 0 every test case ran and no property failed (verdict 'not violated': a bounded random "
    "search, not a proof); 1 a property failed (node_error included: a node that raised or returned "
    "malformed outputs), its trace written and replayable; 2 bad usage or bad input (one line), before any "
    "work; 3 interrupted (Ctrl-C) with nothing violated so far, the partial summary written."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    add_cluster_arguments(parser.add_argument_group("what to fuzz"))
    h = parser.add_argument_group("search budget and output")
    h.add_argument("--profile", default=None, choices=tuple(PROFILES),
                   help="Hypothesis settings profile (default: $HYPOTHESIS_PROFILE, else default)")
    h.add_argument("--examples", type=positive_int, default=None, metavar="N",
                   help="test cases to run (default: the profile's)")
    h.add_argument("--steps", type=positive_int, default=None, metavar="N",
                   help="steps per test case (default: the profile's)")
    h.add_argument("--seed", type=int, default=None,
                   help="random seed (default: a fresh one, printed; the ci profile is derandomized)")
    h.add_argument("--uniform", action="store_true",
                   help="choose uniformly among the enabled actions (default: guided, preferring actions "
                        "that lead to worlds no case reached yet and holding faults back to a drawn step)")
    h.add_argument("--deviation", choices=tuple(DEVIATION_MODES), default=None,
                   help=DEVIATION_VS_DANGER.replace("%", "%%") + " 'warn' (default): the shortest deviating case is "
                        "reported with its trace and fuzzing goes on; 'error': a deviation is a failure (exit 1)")
    h.add_argument("--no-minimize", action="store_true",
                   help="keep the failing case as Hypothesis reported it (no delta debugging)")
    h.add_argument("--out", default=None, metavar="DIR",
                   help=f"run directory for summary.json and traces (default ./{DEFAULT_OUT})")
    h.add_argument("--json", default=None, metavar="PATH", help="also write the run summary here")
    h.add_argument("--time-limit", type=positive_float, default=None, metavar="SECONDS",
                   help="stop after this long, as bounded (exit 3), even inside a node handler that never returns")
    h.add_argument("--quiet", action="store_true", help="no progress line")
    refuse_budget(parser, "fuzzing ends after --examples cases or at --time-limit")
    h.add_argument("--report", action="store_true", help="render report.md and report.html into the run directory")


def run(args: argparse.Namespace) -> int:
    out = Path(os.path.abspath(args.out or DEFAULT_OUT))  # resolved once: a node or property may chdir
    args.json = absolute(args.json)
    check_output_paths(dirs=[("--out", out)], files=[("--json", args.json)], inputs=named_inputs(args))
    config = check_config(cluster_of(args))
    if args.deviation is not None and args.no_refinement:
        raise UsageError("--deviation judges refines_spec, which --no-refinement turns off; drop one of them")
    mode = DEVIATION_MODES[args.deviation or "warn"]
    started = time.monotonic()
    time_up: str | None = None
    try:
        with deadline(args.time_limit):  # a node that never returns even here stops at the time limit
            check_node_contract(config)
            check_user_properties(config)
    except TimeUp as up:
        time_up = up.where or "the node contract check was still running"
    base = profile_settings(args.profile)
    seed = args.seed
    if seed is None and not base.derandomize:
        seed = random.SystemRandom().randrange(2**32)
    stats = FuzzStats()
    if not args.quiet and sys.stderr.isatty():
        stats.on_case = _progress_printer()
    examples = args.examples if args.examples is not None else base.max_examples
    steps = args.steps if args.steps is not None else base.stateful_step_count
    profile = args.profile or "from $HYPOTHESIS_PROFILE/default"
    bounds = bounds_text(config.to_json())
    print(f"paxos-check fuzz: Hypothesis stateful fuzzing of {config.impl}: {bounds}; profile {profile}, "
          f"{examples} cases of up to {steps} steps, "
          f"{'seed ' + str(seed) if seed is not None else 'derandomized'}", flush=True)
    if time_up is not None:
        result = FuzzResult(None, stats, base, time.monotonic() - started, time_up=time_up)
    else:
        left = None if args.time_limit is None else max(0.01, args.time_limit - (time.monotonic() - started))
        result = run_fuzz(config, profile=args.profile, examples=examples, steps=steps, seed=seed, out_dir=out,
                          refinement=not args.no_refinement, minimize=not args.no_minimize, stats=stats,
                          time_limit=left, guidance=not args.uniform, deviation=mode)
    if stats.on_case is not None:
        sys.stderr.write("\n")
    summary = _summary(config, result, out, seed, args, examples, steps)
    summary["deviation"] = deviation_of(cast(dict[str, Any], summary), mode)
    write_summary(summary, out, args.json)
    if args.report:
        from reports import render_report

        render_report(out)
    return _verdict(result, summary, out, seed)


def _progress_printer() -> Any:
    started = time.monotonic()
    last = [0.0]

    def show(stats: FuzzStats) -> None:
        now = time.monotonic()
        if now - last[0] < 0.25:
            return
        last[0] = now
        secs = now - started
        sys.stderr.write(f"\r  {stats.cases:>7,} cases  {stats.steps:>9,} steps  {len(stats.distinct):>9,} states"
                         f"  depth {stats.depth:>3}  {stats.steps / secs if secs else 0:>7,.0f} steps/s  {secs:6.1f}s ")
        sys.stderr.flush()

    return show


def _summary(config: CheckConfig, result: FuzzResult, out: Path, seed: int | None, args: argparse.Namespace,
             examples: int, steps: int) -> RunSummary:
    stats, failure = result.stats, result.failure
    props: list[PropertyEntry] = []
    kinds = [(p.name, p.kind) for p in run_properties(config)]
    refinement = Refinement(config.cluster_config(), config.value_names(), config.max_ballots)
    if not args.no_refinement and refinement.applicable:
        kinds.insert(len(kinds) - 1, ("refines_spec", "step"))
    kinds.insert(len(kinds) - 1, (NODE_ERROR, "step"))
    # every case ran and none failed: what was checked is "not violated" (a bounded random search, not a proof)
    done = failure is None and result.error is None and not result.interrupted and result.time_up is None
    for name, kind in kinds:
        status = NOT_VIOLATED if done and kind != "sometimes" else "unknown"
        entry: PropertyEntry = {"name": name, "kind": kind, "status": status, "trace": None}
        found = failure if failure is not None and failure.property == name else (
            result.deviation if result.deviation is not None and result.deviation.property == name else None)
        if found is not None:
            entry.update({"status": "violated", "trace": f"traces/{name}.csv", "length": len(found.trace.steps),
                          "detail": found.reason})
        elif kind == "sometimes" and stats.witnesses.get(name) is not None:
            witness = trace_of_actions(config, load_factory(config.impl), stats.witnesses[name], None,
                                       f"witness of {name}")
            write_trace(out / "traces" / f"{name}.csv", witness)
            entry.update({"status": "held", "trace": f"traces/{name}.csv", "witness_length": len(witness.steps)})
        props.append(entry)
    faults = {k: stats.actions[k] for k in ("crash", "restart", "drop", "duplicate", "timeout") if stats.actions[k]}
    cfg = dict(config.to_json())
    cfg.update(model="impl", seed=seed, profile=args.profile, max_examples=examples, stateful_step_count=steps,
               refinement=not args.no_refinement, guidance=not args.uniform, max_states=None, max_depth=None,
               time_limit=args.time_limit,
               workers=1,
               symmetry=False)
    return {
        "version": 1, "command": "fuzz", "config": cfg, "model": "impl", "strategy": "hypothesis",
        "exhaustive": False,
        "stopped_by": "violation" if failure is not None else "interrupted" if result.interrupted
        else "time_limit" if result.time_up is not None else None,
        "states": len(stats.distinct), "transitions": stats.steps, "depth": stats.depth,
        "seconds": round(result.seconds, 3), "peak_rss_mb": round(peak_rss_mb(), 1),
        "states_per_depth": list(stats.states_per_depth),
        "coverage": {"actions": dict(stats.actions), "messages": dict(stats.messages), "faults": faults,
                     "max_ballot": str(stats.max_ballot) if stats.max_ballot is not None else None,
                     "cases": stats.cases},
        "symmetry_reduction": None, "properties": props, "proofs": None, "graph": None,
        "error": None if result.error is None else f"{type(result.error).__name__}: {result.error}",
    }


def _verdict(result: FuzzResult, summary: Mapping[str, Any], out: Path, seed: int | None) -> int:
    stats = result.stats
    what = (f"{stats.cases:,} cases, {stats.steps:,} steps, {len(stats.distinct):,} distinct states, "
            f"depth {stats.depth}, {result.seconds:.1f}s")
    again = f"--seed {seed}" if seed is not None else "the same profile (derandomized)"
    failure = result.failure
    deviation = summary.get("deviation")
    if deviation is not None and deviation["mode"] == "warn" and result.deviation is not None:
        kind = "harmless deviation" if deviation["only"] else "dangerous deviation"
        print(f"WARNING ({kind}, not counted in the exit code): {deviation['text']}; replay it with: "
              f"paxos-check replay {result.deviation.path}")
    if failure is not None:
        print(f"VIOLATED: {failure.property}: {failure.reason}")
        print(f"counterexample: {len(failure.trace.steps)} steps (Hypothesis reported a case of "
              f"{failure.shrunk_length} steps; minimized: {failure.minimized})")
        print(format_trace(failure.trace))
        print(f"trace written to {failure.path}; replay with: paxos-check replay {failure.path}")
        print(f"({what}; rerun with {again})")
        print(f"Run directory: {out}/ (summary.json)")
        return EXIT_VIOLATED
    if result.error is not None:
        print(f"ERROR: the implementation raised {type(result.error).__name__}: {result.error}")
        print(f"({what}; rerun with {again}, or fuzz it under pytest to see the steps)")
        print(f"Run directory: {out}/ (summary.json)")
        return EXIT_VIOLATED
    if result.time_up is not None:
        hung = f"; {result.time_up}" if result.time_up else ""
        print(f"BOUNDED: --time-limit reached with no violation so far ({what}{hung}); the partial summary is "
              "written: this is not a verification.")
        print(f"Run directory: {out}/ (summary.json)")
        return EXIT_INCOMPLETE
    if result.interrupted:
        print(f"BOUNDED: interrupted (Ctrl-C) with no violation so far ({what}); the partial summary is written: "
              "this is not a verification.")
        print(f"Run directory: {out}/ (summary.json)")
        return EXIT_INCOMPLETE
    print(f"NOT VIOLATED in {stats.cases:,} random test cases ({what}): not a proof, exit 0 means only that no "
          "case broke a property; run paxos-check explore for an exhaustive check of small bounds.")
    print(f"Run directory: {out}/ (summary.json)")
    return EXIT_OK
