"""`paxos-check validate LOG.csv`: trace validation of a real execution's event log (`paxos-log/1`).

Flags and printing only; the judgement is checker/traces/validate.py. Exit 0 every step of every
execution is a Spec step (or a stutter) and every property held, 1 a step breaks one, 2 bad input.
"""

from __future__ import annotations

import argparse
from typing import Any

from checker.cli.flags import named_inputs
from checker.errors import UsageError
from checker.exit_codes import EXIT_OK, EXIT_VIOLATED
from checker.inputs import absolute, check_output_paths
from checker.runs.summarize import write_summary
from checker.traces.validate import RoundResult, validate_log
from properties.invariants import PROPERTIES, Property
from properties.user import PropertyError, load_properties, with_builtins


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Each round of the log is one execution, checked from the initial state: after every step (an event "
        "and the messages its node sent) every property must hold and the step's Spec-level image must be a "
        "step of Paxos.tla or a stutter, as replay judges a trace; the first step that breaks one is shown with "
        "its log lines; each sometimes property says in how many executions it held. Roles are read off the log "
        "(or --acceptors, which must name every node acting as an acceptor); quorums are majorities. A row "
        "validate cannot judge (an unknown event, a missing node or message, a value learned in a round with "
        "no acceptor) is refused. Exit codes: 0 the log is explained, 1 a step is not (two nodes learning "
        "different values included), 2 bad usage or bad input (one line)."
    )
    parser.add_argument("log", help="an event log CSV (paxos-log/1) written by PaxosLogger.save_to_csv()")
    parser.add_argument("--property", action="append", default=None, metavar="MODULE:FUNCTION",
                        help="also check your own property (repeatable; see examples/my_properties.py)")
    parser.add_argument("--acceptors", default=None, metavar="ID[,ID...]",
                        help="the acceptors' node ids (default: read off the log)")
    parser.add_argument("--round", default=None, metavar="R", help="validate only this round of the log")
    parser.add_argument("--verbose", action="store_true", help="one line per round, failing or not")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write the verdict of every execution as JSON (docs/formats.md)")


def run(args: argparse.Namespace) -> int:
    args.json = absolute(args.json)  # resolved once: a --property may change the working directory
    check_output_paths(files=[("--json", args.json)], inputs=[args.log, *named_inputs(args)])
    props: tuple[Property, ...] = PROPERTIES
    if args.property:
        try:
            props = with_builtins(load_properties(args.property))
        except PropertyError as exc:
            raise UsageError(str(exc)) from None
    acceptors = None
    if args.acceptors:
        try:
            acceptors = [int(a) for a in args.acceptors.split(",")]
        except ValueError:
            raise UsageError(f"--acceptors {args.acceptors!r}: expected node ids such as 1,2,3") from None
    results = validate_log(args.log, props, acceptors, args.round)
    if args.round is not None:
        if not results:
            raise UsageError(f"{args.log}: no round {args.round!r} in the log")
    if all(r.skipped for r in results):
        raise UsageError(f"{args.log}: no round has a Paxos step (no Prepare, Promise, Accept, Accepted or learn), "
                         "so there is nothing to judge; give the PaxosLogger log of a run")
    if args.json:
        write_summary(_summary(args.log, results, props), None, args.json, run_dir=False)
    bad = [r for r in results if not r.ok]
    checked = [r for r in results if not r.skipped]
    steps = sum(r.steps for r in checked)
    print(f"validating {args.log}: {len(results)} execution(s) (rounds), {steps} steps, against "
          f"{len(props)} properties and the refinement to Paxos.tla")
    for r in results:
        if r.ok and args.verbose:
            what = f"skipped: {r.skipped}" if r.skipped else f"{r.steps} steps explained, every property held"
            print(f"  round {r.round} (lines {r.first_line}-{r.last_line}): {what}")
        if not r.ok:
            _print_failure(r)
    if bad:
        _print_witnesses(checked, props)
        print(f"NOT EXPLAINED: {len(bad)} of {len(checked)} execution(s) have a step that breaks a property or that no "
              "Spec step explains (first shown above).")
        return EXIT_VIOLATED
    _print_witnesses(checked, props)
    print(f"VALID: every step of {len(checked)} execution(s) is a step of the Spec or a stutter, and every property "
          f"held after each ({steps} steps)." + (f" {len(results) - len(checked)} round(s) had no Paxos step."
                                                  if len(checked) < len(results) else ""))
    return EXIT_OK


def _print_witnesses(checked: list[RoundResult], props: tuple[Property, ...]) -> None:
    """Each `sometimes` property: in how many executions it held at some step (a log need not show it)."""
    for p in props:
        if p.kind == "sometimes":
            held = [r for r in checked if p.name in r.witnessed]
            where = f" (first: round {held[0].round}, step {held[0].witnessed[p.name]})" if held else ""
            print(f"  {p.name} (sometimes): held in {len(held)} of {len(checked)} execution(s){where}")


def _print_failure(r: RoundResult) -> None:
    print(f"  round {r.round} (lines {r.first_line}-{r.last_line}, acceptors {', '.join(map(str, r.acceptors))}):")
    for f in r.findings:
        print(f"    step {f.step} (line {f.line}): {f.property} fails: {f.reason}")
        for text in r.step_text.get(f.step, []):
            print(f"      {text}")
        if f.step in r.spec_before and f.property == "refines_spec":
            print(f"      Spec state before: {r.spec_before[f.step]}")
            print(f"      Spec state after:  {r.spec_after[f.step]}")
            print(f"      (acceptor aI is the I-th of {', '.join(map(str, r.acceptors))}; "
                  f"ballot R@N is R * {r.scale} + N; -1: none)")


def _summary(log: str, results: list[RoundResult], props: tuple[Property, ...]) -> dict[str, Any]:
    return {
        "version": 1, "command": "validate", "log": log,
        "properties": [p.name for p in props] + ["refines_spec"],
        "valid": all(r.ok for r in results),
        "executions": [
            {"round": r.round, "lines": [r.first_line, r.last_line], "steps": r.steps, "checked": r.checked,
             "acceptors": list(r.acceptors), "ok": r.ok, "skipped": r.skipped or None,
             "witnessed": dict(r.witnessed),
             "findings": [{"step": f.step, "line": f.line, "property": f.property, "reason": f.reason,
                           "rows": r.step_text.get(f.step, [])} for f in r.findings]}
            for r in results],
    }
