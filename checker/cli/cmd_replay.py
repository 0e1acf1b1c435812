"""`paxos-check replay TRACE.csv [--impl ...]`: re-run a trace step by step and show each state change.

Exit 1 where a violation reproduces (naming the property and the step), 0
where the trace runs through without one, 2 for a malformed or impossible trace.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from checker.config import IMPL_HELP, add_trust_argument, check_named_files
from checker.errors import UsageError
from checker.exit_codes import EXIT_OK, EXIT_VIOLATED
from checker.hashseed import run_under_seed
from checker.traces.replay import ImplReplayer, ImpossibleStep, Replayer, replayer_for
from checker.traces.seed_replay import fingerprints_under
from checker.traces.states import Part, cluster_state, format_state
from checker.traces.text import step_line
from checker.traces.trace_csv import Trace, TraceStep, read_trace
from paxos import NODE_ERROR

HASH_ORDER = "hash_order"  # checker/models/hash_order.py's property (cli/ reads traces, not models)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("trace", help="a trace CSV written by explore, simulate, fuzz or minimize")
    parser.add_argument("--impl", default=None, metavar="MODULE:FACTORY",
                        help="replay against another implementation (default: the one recorded; " + IMPL_HELP + ")")
    parser.add_argument("--all", action="store_true",
                        help="report every property that fails, not only the recorded one")
    parser.add_argument("--states", action="store_true",
                        help="print the whole state after every step, as TLC does: each node under its roles "
                             "and the network, with the fields that changed marked *")
    add_trust_argument(parser)


def run(args: argparse.Namespace) -> int:
    trace = read_trace(args.trace)
    check_named_files(args.trace, None if args.impl else trace.impl, trace.config.get("properties") or ())
    if trace.hash_seed is not None:  # replay under the seed the trace was made under (checker/hashseed.py)
        argv = ["replay", args.trace, *(["--impl", args.impl] if args.impl else []), *(["--all"] if args.all else []),
                *(["--states"] if args.states else []),
                *(a for spec in (args.trust or ()) for a in ("--trust", spec))]
        code = run_under_seed(trace.hash_seed, argv)
        if code is not None:
            return code
    replayer = replayer_for(trace, args.impl)
    rows = [s.row for s in trace.steps]
    seen: list[Any] = []  # with --states: the state before the first step, then after each step
    try:
        outcome = replayer.run(rows, [s.fingerprint for s in trace.steps], stop_at_violation=False,
                               on_state=_collector(replayer, seen) if args.states else None)
    except ImpossibleStep as exc:
        if args.impl is not None and args.impl != trace.impl:
            print(f"replaying {args.trace} against {args.impl}: the run diverges at step {exc.index + 1} ({exc}); "
                  f"the recorded violation of {trace.property or 'nothing'} does NOT reproduce")
            return EXIT_OK
        raise UsageError(f"{args.trace}:{exc.index + 3}: step {exc.index + 1} is impossible in the recorded "
                         f"configuration: {exc}") from None
    impl = args.impl or trace.impl or "Paxos.tla"
    print(f"replaying {args.trace}: {len(rows)} steps of the {trace.model} model ({impl})")
    print(f"  step 0  initial state  fp={outcome.initial_fingerprint}")
    _print_state(seen, 0)
    for n, step in enumerate(outcome.steps, start=1):
        r = step.row
        print(step_line(n, r, step.property, step.fingerprint))
        _print_state(seen, n)
    if outcome.mismatched_fingerprints:
        print(f"note: fingerprints differ from the recorded ones at steps {outcome.mismatched_fingerprints[:10]}: "
              "this implementation reaches other states than the recorded run")
    if trace.property == HASH_ORDER and not args.all:
        return _hash_order(args, trace, outcome.steps)
    # a witness of a `sometimes` property (explore marks its last step) records no violation to reproduce
    witness = trace.property if trace.steps and trace.steps[-1].detail.startswith("witness of") else None
    expected = None if witness else trace.property
    for at, prop, reason in outcome.violations:
        if prop == NODE_ERROR and expected not in (None, NODE_ERROR) and not args.all:
            print(f"VIOLATION: {prop} fails at step {at}: {reason} (a node fault ends the replay there, so the "
                  f"recorded violation of {expected} cannot be reached with {impl})")
            return EXIT_VIOLATED
        if expected is None or prop == expected or args.all:
            print(f"VIOLATION reproduced: {prop} fails at step {at}" + (f": {reason}" if reason else ""))
            if not args.all:
                others = [f"{p} at step {n}" for n, p, _ in outcome.violations if p != prop]
                if others:
                    print(f"  (also broken on the way: {', '.join(others)})")
                elif prop == "refines_spec":
                    print("  (a deviation from Paxos.tla, harmless here: every conjunct of its inductive invariant "
                          "and every safety property held on this trace; explore reports it as a warning and "
                          "searches on, unless --deviation error)")
                return EXIT_VIOLATED
    if args.all and outcome.violations:
        return EXIT_VIOLATED
    if expected:
        failed = ", ".join(f"{p} at step {n}" for n, p, _ in outcome.violations)
        print(f"the recorded violation of {expected} does NOT reproduce with {impl}"
              + (f" (other properties failed: {failed})" if failed else ": every property held"))
        return EXIT_VIOLATED if outcome.violations else EXIT_OK
    else:
        print("every property held at every step"
              + (f" (the trace is a witness of {witness}, not a counterexample)" if witness else ""))
    return EXIT_OK


def _hash_order(args: argparse.Namespace, trace: Trace, steps: list[TraceStep]) -> int:
    """A `hash_order` trace: replay it again under the other seed it records; a step reaching another state
    there reproduces the finding."""
    here = [s.fingerprint for s in steps]
    if trace.other_seed is None:
        print("the trace records no other hash seed to compare with; replayed under this one only")
        return EXIT_OK
    there = fingerprints_under(trace.other_seed, args.trace, args.impl)
    seeds = f"PYTHONHASHSEED={trace.hash_seed} and PYTHONHASHSEED={trace.other_seed}"
    if isinstance(there, tuple):
        print(f"VIOLATION reproduced: hash_order at step {there[0]}: under PYTHONHASHSEED={trace.other_seed} that step "
              f"is not possible ({there[1]}): the run depends on the hash seed")
        return EXIT_VIOLATED
    differ = next((n for n, (a, b) in enumerate(zip(here, there, strict=False), start=1) if a != b), None)
    if differ is None:
        print(f"the recorded violation of hash_order does NOT reproduce: every step reaches one state under {seeds}")
        return EXIT_OK
    print(f"VIOLATION reproduced: hash_order at step {differ}: it reaches state {here[differ - 1]} under "
          f"PYTHONHASHSEED={trace.hash_seed} but {there[differ - 1]} under PYTHONHASHSEED={trace.other_seed}")
    detail = steps[-1].detail or next((s.detail for s in trace.steps if s.property == HASH_ORDER), "")
    if detail:
        print(f"  {detail}")
    return EXIT_VIOLATED


def _collector(replayer: Replayer, seen: list[Any]) -> Callable[[Any], None]:
    """Keep each state as printable parts (implementation) or the model's own text (the Spec)."""
    if isinstance(replayer, ImplReplayer):
        return lambda cluster: seen.append(cluster_state(cluster))
    model = getattr(replayer, "model", None)
    describe = getattr(model, "describe_state", repr)
    return lambda state: seen.append(describe(state))


def _print_state(seen: list[Any], n: int) -> None:
    if n >= len(seen):
        return
    now = seen[n]
    if isinstance(now, list) and all(isinstance(p, Part) for p in now):
        for line in format_state(seen[n - 1] if n else None, now):
            print(line)
    else:
        print(f"        {now}")
