"""`paxos-check resume DIR`: continue a BFS that was run with `--checkpoint DIR` and stopped (killed,
a lost worker, a full machine) from its last checkpoint.

Only the hand-off: the run's flags come back from DIR (checker/runs/scale.py), the search
continues in checker/search/bfs.py, and the run ends as the uninterrupted run would have
(same states, transitions and verdicts, written to the same --out and --json).
"""

from __future__ import annotations

import argparse

from checker.config import IMPL_HELP, add_trust_argument, check_named_files
from checker.runs.run import EXIT_CODES_HELP, execute
from checker.runs.scale import read_run_file, scale_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("directory", metavar="DIR", help="the --checkpoint DIR of the run to continue")
    parser.add_argument("--impl", default=None, metavar="PATH.py:FACTORY",
                        help="needed only when the run's implementation is a file path: the same PATH.py:FACTORY "
                             "(" + IMPL_HELP + ")")
    add_trust_argument(parser)


def run(args: argparse.Namespace) -> int:
    saved = read_run_file(args.directory)
    check_named_files(f"{args.directory}/run.json", getattr(saved, "impl", None),
                      getattr(saved, "property", None) or ())
    print(f"paxos-check resume: continuing the run checkpointed in {args.directory} from its last checkpoint",
          flush=True)
    saved.default_announce = False
    return execute(saved, saved.strategy, "explore", **scale_options(saved, resume=True))
