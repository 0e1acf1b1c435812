"""`paxos-check simulate`: seeded random walks, one process (`random`) or a swarm of processes.

Only flags and the hand-off to `checker.runs.run`. A simulation is never exhaustive: a run of
every walk asked for with no violation exits 0 with the verdict "not violated" (not a proof).
"""

from __future__ import annotations

import argparse

from checker.inputs import positive_int
from checker.runs.run import EXIT_CODES_HELP, add_model_arguments, add_output_arguments, execute


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("--strategy", choices=("random", "swarm"), default="random",
                        help="random: seeded walks (default); swarm: many walks with varied fault mixes")
    parser.add_argument("--walks", type=positive_int, default=1000, help="number of random walks (default 1000)")
    parser.add_argument("--walk-depth", type=positive_int, default=60, help="steps per walk at most (default 60)")
    add_model_arguments(parser)
    add_output_arguments(parser)


def run(args: argparse.Namespace) -> int:
    return execute(args, args.strategy, "simulate", walks=args.walks, walk_depth=args.walk_depth)
