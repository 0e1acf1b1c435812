"""`paxos-check report RUN_DIR [--compare OTHER_DIR] [--out DIR]`: render a run directory.

Owns the command-line face of reports/: arguments, printing the written paths, and
turning a bad input file into a `UsageError` (exit 2, one line). It checks nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from checker.config import IMPL_HELP, add_trust_argument, check_named_files
from checker.errors import UsageError
from checker.exit_codes import EXIT_OK
from checker.inputs import check_output_paths
from checker.traces.states import write_run_states
from reports import ReportInputError, compare_runs, render_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by 'explore --out DIR'")
    parser.add_argument("--compare", metavar="OTHER_DIR", default=None,
                        help="a second run directory: also write compare.md/compare.html side by side")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="where to write the report (default: RUN_DIR itself)")
    parser.add_argument("--impl", default=None, metavar="PATH.py:FACTORY",
                        help="needed only when the run's implementation is a file path: the same PATH.py:FACTORY, "
                             "so that its traces can be re-run (" + IMPL_HELP + ")")
    add_trust_argument(parser)


def run(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else args.run_dir
    check_output_paths(dirs=[("--out", args.out)])  # RUN_DIR itself is checked by render_report
    config = _run_config(args.run_dir)
    check_named_files(f"{args.run_dir}/summary.json", config.get("impl"), config.get("properties") or ())
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
    return EXIT_OK


def _run_config(run_dir: str) -> dict[str, Any]:
    """The run's configuration as its summary records it ({} when unreadable: render_report says why)."""
    try:
        config = json.loads((Path(run_dir) / "summary.json").read_text(encoding="utf-8")).get("config")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return {}
    return config if isinstance(config, dict) else {}
