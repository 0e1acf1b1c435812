"""`paxos-check prove [quorums|spec|all]`: z3 proofs of quorum intersection and of the Spec's invariant.

Owns the flags, the input checks, the result table, the JSON summary of a prove run and its
exit code (0 all proved, 1 a goal failed, 2 bad input, 3 z3 gave up). The encodings live in
properties/z3_quorums.py and properties/z3_spec.py; nothing here talks to z3.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from checker.errors import UsageError
from checker.exit_codes import EXIT_INCOMPLETE, EXIT_OK, EXIT_VIOLATED
from checker.inputs import check_output_paths, positive_int
from checker.runs.summarize import write_summary
from paxos._summary import PropertyEntry, RunSummary
from properties import z3_quorums, z3_spec
from properties.cti_reach import reachability
from properties.proof import FAILED, PROVED, UNKNOWN, ProofResult, format_table, overall_status

GOALS = ("all", "quorums", "spec")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "quorums: every phase-1 quorum meets every phase-2 quorum (majority of --acceptors by "
        "default; --q1/--q2 flexible; --grid RxC rows are phase-1 and columns phase-2 quorums; "
        "--quorums '1,2;2,3;1,3' explicit), plus for majority/flexible the theorem for every N. "
        "spec: the inductive invariant of Lamport's Paxos.tla for any number of acceptors, "
        "ballots and values. Use --list for the conjunct and weakening names."
    )
    parser.add_argument("goal", nargs="?", choices=GOALS, default="all",
                        help="what to prove (default: all)")
    q = parser.add_argument_group("quorum systems (prove quorums)")
    q.add_argument("--acceptors", type=int, default=None, metavar="N",
                   help="number of acceptors, numbered 1..N (default 3)")
    q.add_argument("--q1", type=int, default=None, metavar="K", help="phase-1 quorum size")
    q.add_argument("--q2", type=int, default=None, metavar="K", help="phase-2 quorum size")
    q.add_argument("--grid", default=None, metavar="RxC",
                   help="grid quorums: a full row is a phase-1 quorum, a full column a phase-2 quorum")
    q.add_argument("--quorums", default=None, metavar="LIST",
                   help="explicit phase-1 quorums, e.g. '1,2;2,3;1,3'")
    q.add_argument("--q2-quorums", default=None, metavar="LIST",
                   help="explicit phase-2 quorums (default: the --quorums list)")
    q.add_argument("--no-parametric", action="store_true",
                   help="skip the theorem for every cluster size")
    s = parser.add_argument_group("inductive invariant (prove spec)")
    s.add_argument("--drop-conjunct", action="append", default=[], metavar="NAME",
                   help="remove a conjunct from the invariant (repeatable) to see its counterexample")
    s.add_argument("--weaken", action="append", default=[], metavar="NAME",
                   help="plant a weakening of an action (repeatable); see --list")
    s.add_argument("--no-minimize", action="store_true",
                   help="print z3's first counterexample instead of a smallest one")
    s.add_argument("--list", action="store_true",
                   help="list the invariant conjuncts and planted weakenings, then exit")
    o = parser.add_argument_group("solver and output")
    o.add_argument("--timeout-ms", type=positive_int, default=2000, metavar="MS",
                   help="z3 time limit per solver call (default 2000)")
    o.add_argument("--seed", type=int, default=0, help="z3 random seed (default 0)")
    o.add_argument("--json", default=None, metavar="PATH", help="write the JSON summary here")
    o.add_argument("--out", default=None, metavar="DIR", help="write DIR/summary.json")
    o.add_argument("--report", action="store_true", help="also render DIR/report.md and report.html (needs --out)")


# --- input ------------------------------------------------------------------------------------


def parse_quorum_list(text: str, flag: str) -> list[frozenset[int]]:
    """'1,2;2,3' -> [{1, 2}, {2, 3}]; raises UsageError naming the flag on malformed input."""
    quorums: list[frozenset[int]] = []
    for part in text.split(";"):
        items = [item.strip() for item in part.split(",")]
        if not part.strip() or any(not item for item in items):
            raise UsageError(f"{flag} {text!r}: empty quorum or id; write quorums as "
                             "comma-separated ids separated by ';', e.g. '1,2;2,3;1,3'")
        try:
            ids = [int(item) for item in items]
        except ValueError:
            raise UsageError(f"{flag} {text!r}: ids must be integers, e.g. '1,2;2,3;1,3'") from None
        if any(i <= 0 for i in ids):
            raise UsageError(f"{flag} {text!r}: acceptor ids must be positive (1, 2, ...)")
        quorums.append(frozenset(ids))
    return quorums


def _parse_grid(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise UsageError(f"--grid {text!r}: write rows x columns, e.g. --grid 2x3")
    rows, cols = int(match.group(1)), int(match.group(2))
    if rows <= 0 or cols <= 0:
        raise UsageError(f"--grid {text!r}: rows and columns must be at least 1")
    return rows, cols


def _check_flags(args: argparse.Namespace) -> None:
    quorum_flags = [f for f, v in (("--acceptors", args.acceptors), ("--q1", args.q1),
                                   ("--q2", args.q2), ("--grid", args.grid),
                                   ("--quorums", args.quorums), ("--q2-quorums", args.q2_quorums))
                    if v is not None]
    spec_flags = [f for f, v in (("--drop-conjunct", args.drop_conjunct),
                                 ("--weaken", args.weaken)) if v]
    if args.goal == "spec" and quorum_flags:
        raise UsageError(f"{quorum_flags[0]} describes a quorum system; use it with "
                         "'prove quorums' (the spec proof assumes only quorum intersection)")
    if args.goal == "quorums" and spec_flags:
        raise UsageError(f"{spec_flags[0]} changes the Spec; use it with 'prove spec'")
    kinds = [name for name, used in (("--q1/--q2", args.q1 is not None or args.q2 is not None),
                                     ("--grid", args.grid is not None),
                                     ("--quorums", args.quorums is not None)) if used]
    if len(kinds) > 1:
        raise UsageError(f"{' and '.join(kinds)} describe different quorum systems; give one")
    if args.q2_quorums is not None and args.quorums is None:
        raise UsageError("--q2-quorums needs --quorums (the phase-1 list)")
    if (args.q1 is None) != (args.q2 is None):
        raise UsageError("give both --q1 and --q2 for flexible quorums, or neither for majorities")
    if args.grid is not None and args.acceptors is not None:
        raise UsageError("--grid RxC fixes the acceptors (R*C of them); drop --acceptors")


# --- running the goals ------------------------------------------------------------------------


def _quorum_results(args: argparse.Namespace) -> tuple[str, list[ProofResult]]:
    """Prove the described quorum system; returns its description and the results."""
    timeout = args.timeout_ms
    try:
        if args.grid is not None:
            rows, cols = _parse_grid(args.grid)
            return f"grid {rows}x{cols}", [z3_quorums.prove_grid(rows, cols, timeout_ms=timeout)]
        if args.quorums is not None:
            first = parse_quorum_list(args.quorums, "--quorums")
            second = (parse_quorum_list(args.q2_quorums, "--q2-quorums")
                      if args.q2_quorums is not None else None)
            members = (list(range(1, args.acceptors + 1)) if args.acceptors is not None else None)
            if args.acceptors is not None and args.acceptors <= 0:
                raise UsageError(f"--acceptors must be at least 1, got {args.acceptors}")
            result = z3_quorums.prove_explicit(first, second, members, timeout_ms=timeout)
            return result.action, [result]
        n = 3 if args.acceptors is None else args.acceptors
        if n <= 0:
            raise UsageError(f"--acceptors must be at least 1, got {n}")
        if args.q1 is None:
            results = [z3_quorums.prove_majority(n, timeout_ms=timeout)]
            parametric_majority = True
        else:
            results = [z3_quorums.prove_threshold(n, args.q1, args.q2, timeout_ms=timeout)]
            parametric_majority = False
        if not args.no_parametric:
            results += z3_quorums.prove_parametric(majority=parametric_majority,
                                                   timeout_ms=timeout)
        return results[0].action, results
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _spec_results(args: argparse.Namespace) -> list[ProofResult]:
    try:
        return z3_spec.prove_spec(drop=args.drop_conjunct, weaken=args.weaken,
                                  timeout_ms=args.timeout_ms, minimize=not args.no_minimize,
                                  seed=args.seed)
    except ValueError as exc:
        raise UsageError(f"{exc} (see 'paxos-check prove --list')") from None


def _print_list() -> None:
    print("invariant conjuncts (--drop-conjunct NAME):")
    for name, conj in z3_spec.CONJUNCTS.items():
        print(f"  {name:<24} {conj.description}")
    print("planted weakenings (--weaken NAME):")
    for name, text in z3_spec.WEAKENINGS.items():
        print(f"  {name:<24} {text}")


def _describe_counterexample(result: ProofResult) -> str:
    model = result.model or {}
    if model.get("kind") == "spec_state":
        reach = model.get("reachability")
        suffix = f"\n  explorer: {reach['text']}" if reach else ""
        return z3_spec.format_state(model) + suffix
    if model.get("kind") == "disjoint_quorums":
        sizes = f" (q1={model['q1']}, q2={model['q2']})" if "q1" in model else ""
        return (f"counterexample ({result.action}, {result.conjunct}){sizes}: phase-1 quorum "
                f"{model['phase1_quorum']} and phase-2 quorum {model['phase2_quorum']} of "
                f"acceptors {model['acceptors']} are disjoint")
    return f"counterexample ({result.action}, {result.conjunct}): {json.dumps(model)}"


def _properties(results: Sequence[ProofResult]) -> list[PropertyEntry]:
    """The summary's `properties`: what the proof says about named safety properties."""
    props: list[PropertyEntry] = []
    quorum = [r for r in results if r.goal == z3_quorums.GOAL_CONCRETE]
    if quorum:
        status = {PROVED: "held", FAILED: "violated", UNKNOWN: "unknown"}[overall_status(quorum)]
        props.append({"name": "quorum_intersection", "kind": "always", "status": status,
                      "trace": None})
    spec = [r for r in results if r.goal in (z3_spec.GOAL_INDUCTIVE, z3_spec.GOAL_AGREEMENT)]
    if spec:
        inductive = overall_status([r for r in spec if r.goal == z3_spec.GOAL_INDUCTIVE])
        invariant = {PROVED: "held", FAILED: "violated", UNKNOWN: "unknown"}[inductive]
        props.append({"name": "inductive_invariant", "kind": "always", "status": invariant,
                      "trace": None})
        # Agreement is established only by a complete proof; a counterexample to induction
        # is not a reachable violation, so anything short of a proof is `unknown`.
        agreement = "held" if overall_status(spec) == PROVED else "unknown"
        props.append({"name": "agreement", "kind": "always", "status": agreement, "trace": None})
    return props


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _effective_acceptors(args: argparse.Namespace) -> int | None:
    """The acceptor count the quorum proof used (3 by default), None if it did not run or
    the system fixes it (grid, explicit lists without --acceptors)."""
    if args.goal == "spec" or args.grid is not None:
        return None
    if args.quorums is not None:
        return int(args.acceptors) if args.acceptors is not None else None
    return 3 if args.acceptors is None else int(args.acceptors)


def build_summary(args: argparse.Namespace, results: Sequence[ProofResult],
                  seconds: float) -> RunSummary:
    """The JSON summary of docs/formats.md for a prove run."""
    config = {
        "goal": args.goal, "acceptors": _effective_acceptors(args), "q1": args.q1, "q2": args.q2,
        "grid": args.grid, "quorums": args.quorums, "q2_quorums": args.q2_quorums,
        "parametric": not args.no_parametric, "drop_conjuncts": list(args.drop_conjunct),
        "weaken": list(args.weaken), "timeout_ms": args.timeout_ms, "seed": args.seed,
    }
    return {
        "version": 1,
        "command": "prove",
        "config": config,
        "model": "spec",
        "strategy": "z3",
        # A proof covers every state of every size; only a complete one is "exhaustive".
        "exhaustive": overall_status(results) == PROVED,
        "stopped_by": None,
        "states": None,
        "transitions": None,
        "depth": None,
        "seconds": round(seconds, 6),
        "peak_rss_mb": _peak_rss_mb(),
        "states_per_depth": None,
        "coverage": None,
        "symmetry_reduction": None,
        "properties": _properties(results),
        "proofs": [r.to_json() for r in results],
        "graph": None,
    }


def run(args: argparse.Namespace) -> int:
    if args.list:
        _print_list()
        return EXIT_OK
    _check_flags(args)
    if args.report and args.out is None:
        raise UsageError("--report renders into the run directory: give --out DIR as well")
    check_output_paths(dirs=[("--out", args.out)], files=[("--json", args.json)])
    start = time.perf_counter()
    results: list[ProofResult] = []
    headline: list[str] = []
    if args.goal in ("all", "quorums"):
        description, quorum_results = _quorum_results(args)
        results += quorum_results
        extra = " and the theorem for every cluster size" if len(quorum_results) > 1 else ""
        headline.append(f"quorum intersection of {description}{extra}")
    if args.goal in ("all", "spec"):
        results += _spec_results(args)
        changes = [f"without {c}" for c in args.drop_conjunct] + [f"weakened by {w}"
                                                                    for w in args.weaken]
        headline.append("the inductive invariant of Lamport's Paxos.tla for any number of "
                        "acceptors, ballots and values" + (f" ({', '.join(changes)})"
                                                           if changes else ""))
    seconds = time.perf_counter() - start
    for result in results:  # hand each concrete counterexample to induction to the explorer
        if result.status == FAILED and result.model is not None and result.model.get("kind") == "spec_state":
            result.model["reachability"] = reachability(result.model)
    print(f"paxos-check prove (z3): {'; '.join(headline)}")
    print(format_table(results))
    for result in results:
        if result.status == FAILED and result.model is not None:
            print()
            print(_describe_counterexample(result))
    for result in results:
        if result.status == UNKNOWN:
            print(f"unknown: {result.action} / {result.conjunct}: {result.reason}")
    summary = build_summary(args, results, seconds)
    write_summary(summary, None if args.out is None else Path(args.out), args.json, run_dir=False)
    if args.report:
        if args.out is None:
            raise UsageError("--report renders into the run directory: give --out DIR")
        from reports import render_report

        paths = render_report(args.out)
        print(f"report: {paths.html}")
    verdict = overall_status(results)
    proved = sum(r.status == PROVED for r in results)
    print()
    if verdict == PROVED:
        print(f"PROVED: all {len(results)} obligations ({seconds:.2f} s)")
        return EXIT_OK
    failed = [f"{r.action}/{r.conjunct}" for r in results if r.status == FAILED]
    if verdict == FAILED:
        print(f"FAILED: {len(failed)} of {len(results)} obligations failed "
              f"({', '.join(failed[:6])}{', ...' if len(failed) > 6 else ''}); "
              f"{proved} proved ({seconds:.2f} s)")
        return EXIT_VIOLATED
    print(f"INCOMPLETE: z3 could not decide {len(results) - proved} of {len(results)} "
          f"obligations; nothing failed, nothing more is claimed ({seconds:.2f} s)")
    return EXIT_INCOMPLETE
