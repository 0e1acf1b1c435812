"""`paxos-check simulate`: seeded random walks (coverage-guided by default), PCT schedules, or a swarm.

Only flags and the hand-off to `checker.runs.run` (and `checker.runs.coverage` for --coverage).
A simulation is never exhaustive: a run of every walk asked for with no violation exits 0 with
the verdict "not violated" (not a proof). Counterexamples are minimized (delta debugging) unless
--no-minimize.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from checker.cli.flags import (
    EXIT_CODES_HELP,
    add_cluster_flag,
    add_model_arguments,
    add_output_arguments,
    refuse_budget,
    run_request,
)
from checker.inputs import positive_int
from checker.model import Model
from checker.runs.run import AfterSearch, execute
from checker.runs.scale import check_cluster_flag, scale_options
from checker.search.common import SearchResult

STRATEGIES = ("guided", "random", "pct", "swarm")
DEFAULT_STRATEGY = "guided"
#: 1,000 walks (the former default) missed the catalog bugs that need a retry and a crash
#: (volatile_ballot: median ~2,000 guided walks to the bug, worst of 20 seeds ~7,000).
DEFAULT_WALKS = 10_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from checker.runs.coverage import DEFAULT_COVERAGE_STATES

    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("--strategy", choices=STRATEGIES, default=DEFAULT_STRATEGY,
                        help="guided: walks that prefer unseen states and hold faults (crash, retry, loss, "
                             "duplication) back until a depth of their own (default); random: uniform walks; "
                             "pct: PCT priority schedules; swarm: walks with varied fault mixes over --workers "
                             "processes")
    parser.add_argument("--walks", type=positive_int, default=DEFAULT_WALKS,
                        help=f"number of random walks (default {DEFAULT_WALKS:,}: with no other flag, enough to find "
                             "every catalog bug in the default configuration, a few seconds for a correct node)")
    parser.add_argument("--walk-depth", type=positive_int, default=60, help="steps per walk at most (default 60)")
    parser.add_argument("--no-minimize", action="store_true",
                        help="write counterexamples as the walk found them (default: shortened by a BFS "
                             "bounded by the walk's length, then delta debugging, each candidate replayed)")
    parser.add_argument("--coverage", action="store_true",
                        help="report coverage: the share of the exhaustive state set visited per BFS depth "
                             "(configurations of at most --coverage-states states), first hit of each property, "
                             "growth of distinct states over time")
    parser.add_argument("--coverage-states", type=positive_int, default=None, metavar="N",
                        help=f"with --coverage: compute the exhaustive ground truth only up to N states "
                             f"(default {DEFAULT_COVERAGE_STATES:,})")
    add_model_arguments(parser)
    add_output_arguments(parser)
    add_cluster_flag(parser, "the walks of --strategy swarm (--workers N at a time) as tasks")
    refuse_budget(parser, "a simulation ends after --walks walks or at --time-limit")


def run(args: argparse.Namespace) -> int:
    from checker.errors import UsageError

    if args.coverage_states is not None and not args.coverage:
        raise UsageError("--coverage-states applies with --coverage only; add --coverage or drop --coverage-states")
    if args.coverage and args.strategy == "swarm":
        raise UsageError("--coverage needs a one-process strategy (guided, random, pct), not swarm")
    if args.cluster is not None and args.strategy != "swarm":
        raise UsageError("--cluster runs the walks of --strategy swarm on Ray; add --strategy swarm or drop --cluster")
    check_cluster_flag(args.cluster)
    request = run_request(args, "simulate", args.strategy, minimize=not args.no_minimize)
    texts: list[str] = []
    after = _coverage_hook(args, texts) if args.coverage else None
    code = execute(request, after, walks=args.walks, walk_depth=args.walk_depth, **scale_options(request))
    for text in texts:
        print(text)
    return code


def _coverage_hook(args: argparse.Namespace, texts: list[str]) -> AfterSearch:
    from checker.runs.coverage import (
        DEFAULT_COVERAGE_STATES,
        NoGroundTruth,
        coverage_report,
        format_report,
        ground_truth,
    )

    limit = args.coverage_states or DEFAULT_COVERAGE_STATES
    time_limit = args.time_limit

    def after(model: Model, result: SearchResult, summary: dict[str, Any], out: Path) -> None:
        started = time.monotonic()
        # --time-limit bounds the whole run: the ground truth gets what the walks left of it; Ctrl-C stops it too
        left = None if time_limit is None else max(0.0, time_limit - float(summary.get("seconds", 0.0)))
        truth = ground_truth(model, limit, None if left is None else started + left)
        report = coverage_report(result, truth, limit)
        summary["walk_coverage"] = report
        texts.append(format_report(report))
        if isinstance(truth, NoGroundTruth) and truth.reason == "too_large":
            texts.append(f"  (looked for ground truth for {time.monotonic() - started:.1f} s)")

    return after
