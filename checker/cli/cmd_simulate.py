"""`paxos-check simulate`: seeded random walks, one process (`random`) or a swarm of processes.

Only flags and the hand-off to `checker.runs.run`. A simulation is never exhaustive.
"""

from __future__ import annotations

import argparse

from checker.errors import UsageError
from checker.runs.run import add_model_arguments, add_output_arguments, execute


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategy", choices=("random", "swarm"), default="random",
                        help="random: seeded walks (default); swarm: many walks with varied fault mixes")
    parser.add_argument("--walks", type=int, default=1000, help="number of random walks (default 1000)")
    parser.add_argument("--walk-depth", type=int, default=60, help="steps per walk at most (default 60)")
    add_model_arguments(parser)
    add_output_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if args.walks < 1 or args.walk_depth < 1:
        raise UsageError("--walks and --walk-depth must be at least 1")
    return execute(args, args.strategy, "simulate", walks=args.walks, walk_depth=args.walk_depth)
