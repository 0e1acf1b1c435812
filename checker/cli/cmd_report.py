"""`paxos-check report RUN_DIR [--compare OTHER_DIR] [--out DIR]`: render a run directory.

Owns the command-line face of reports/: arguments, printing the written paths, and
turning a bad input file into a `UsageError` (exit 2, one line). It checks nothing.
"""

from __future__ import annotations

import argparse

from checker.errors import UsageError
from checker.inputs import check_output_paths
from checker.traces.states import write_run_states
from reports import ReportInputError, compare_runs, render_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by 'explore --out DIR'")
    parser.add_argument("--compare", metavar="OTHER_DIR", default=None,
                        help="a second run directory: also write compare.md/compare.html side by side")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="where to write the report (default: RUN_DIR itself)")


def run(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else args.run_dir
    check_output_paths(dirs=[("--out", args.out)])  # RUN_DIR itself is checked by render_report
    write_run_states(args.run_dir)  # the full state at every step, for the report's state view
    try:
        paths = render_report(args.run_dir, out)
        written = [paths.markdown, paths.html]
        if args.compare is not None:
            written += list(compare_runs(args.run_dir, args.compare, out))
    except ReportInputError as exc:
        raise UsageError(str(exc)) from None
    for path in written:
        print(f"wrote {path}")
    return 0
