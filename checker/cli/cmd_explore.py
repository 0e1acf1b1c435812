"""`paxos-check explore`: exhaustive search (BFS or DFS) of the implementation or the Spec.

Only flags and the hand-off to `checker.runs.run`; no search logic here.
"""

from __future__ import annotations

import argparse

from checker.cli.flags import (
    EXIT_CODES_HELP,
    add_model_arguments,
    add_output_arguments,
    add_scale_arguments,
    recorded_flags,
    run_request,
)
from checker.inputs import positive_float
from checker.runs.run import execute
from checker.runs.scale import check_scale_arguments, scale_options, write_run_file
from checker.runs.sweep import BOUND_FLAGS, DEFAULT_BUDGET, execute_sweep, sweep_applies


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("--strategy", choices=("bfs", "dfs"), default="bfs",
                        help="bfs: shortest counterexamples (default); dfs: little memory")
    parser.add_argument("--default-announce", action="store_true", help=argparse.SUPPRESS)
    add_model_arguments(parser)
    add_output_arguments(parser)
    add_scale_arguments(parser)
    parser.add_argument("--budget", type=positive_float, default=None, metavar="SECONDS",
                        help=f"with no bound flag ({', '.join(f for f, _ in BOUND_FLAGS)}): grow the bounds from the "
                             f"default ones for this long (wall clock; default {DEFAULT_BUDGET:g}), each configuration "
                             "exhausted before the next, stopping at the first violation; --time-limit caps it. Exit "
                             "0 if the default bounds were exhausted and held (docs/sweep.md)")


def run(args: argparse.Namespace) -> int:
    if args.default_announce:
        print("paxos-check with no arguments: the default exhaustive check of our PaxosNode "
              "(3 acceptors, 2 proposers with one value each, 1 learner, 1 ballot for proposer 1 and 2 for "
              "proposer 2 (it may time out and retry once), 1 crash, "
              "set network: every message may be lost, duplicated or reordered), then larger bounds while "
              f"--budget ({DEFAULT_BUDGET:g} s) lasts. See 'paxos-check explore --help' for the bounds.")
    request = run_request(args, "explore", args.strategy, budget=args.budget)
    check_scale_arguments(request)
    if sweep_applies(request):
        return execute_sweep(request, scale_options)
    if request.checkpoint is not None:
        write_run_file(request.checkpoint, recorded_flags(args))
    return execute(request, **scale_options(request))
