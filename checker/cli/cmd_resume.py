"""`paxos-check resume DIR`: continue a BFS that was run with `--checkpoint DIR` and stopped (killed,
a lost worker, a full machine) from its last checkpoint, or start it again from DIR/run.json if it was
killed before its first checkpoint.

Only the hand-off: DIR/run.json is data, so its flags go through explore's own parser and checks as if
typed again (checker/runs/scale.py reads the file and compares it with the checkpoint); the search
continues in checker/search/bfs.py, which checks every checkpoint file before it reads a state, and
the run ends as the uninterrupted run would have (same states, transitions and verdicts, written to
the same --out and --json).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from checker.cli import cmd_explore
from checker.cli.flags import EXIT_CODES_HELP, run_request
from checker.config import IMPL_HELP, add_trust_argument, check_named_files
from checker.errors import UsageError
from checker.runs.run import execute
from checker.runs.scale import (
    check_resumable,
    check_scale_arguments,
    read_run_flags,
    scale_options,
    shared_writable,
)
from checker.search.checkpoint import RUN_FILE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("directory", metavar="DIR", help="the --checkpoint DIR of the run to continue")
    parser.add_argument("--impl", default=None, metavar="PATH.py:FACTORY",
                        help="needed only when the run's implementation is a file path: the same PATH.py:FACTORY "
                             "(" + IMPL_HELP + ")")
    add_trust_argument(parser)


class _FlagsParser(argparse.ArgumentParser):
    """explore's parser, whose refusals are a UsageError about run.json instead of an exit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def explore_flags(flags: dict[str, Any], path: Path) -> argparse.Namespace:
    """The flags run.json records, parsed by explore's parser as a command line would be: every type,
    choice and unknown name refused in one line."""
    parser = _FlagsParser(prog="paxos-check explore", add_help=False)
    cmd_explore.add_arguments(parser)
    actions = {a.dest: a for a in parser._actions if a.option_strings}
    argv: list[str] = []
    for key, value in flags.items():
        if key == "command":
            if value != "explore":
                raise UsageError(f"{path} is the run file of {value!r}; resume continues explore runs only")
            continue
        action = actions.get(key)
        if action is None:
            raise UsageError(f"{path} holds {key!r}, which is no flag of explore: the file was altered or written "
                             "by another paxos-check; start the run again")
        option = max(action.option_strings, key=len)
        texts = value if type(value) is list else [value]
        if any(type(t) is str and (not t.isprintable() or len(t) > 4096) for t in texts):
            raise UsageError(f"{path} gives {option} a value with control characters: the file was altered; put "
                             "the flag back or start the run again")
        if value is None or (value == action.default and type(value) is type(action.default)):
            continue
        if isinstance(action, argparse._StoreTrueAction) and type(value) is bool:
            argv += [option] if value else []
        elif isinstance(action, argparse._AppendAction) and type(value) is list and all(type(v) is str for v in value):
            argv += [f"{option}={v}" for v in value]
        elif action.nargs is None and type(value) in (str, int, float) and action.const is None:
            argv.append(f"{option}={value}")
        else:
            raise UsageError(f"{path} gives {option} the value {str(value)[:40]!r}, which it cannot take: the file "
                             "was altered; put the flag back or start the run again")
    try:
        return parser.parse_args(argv)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}; put the flag back or start the run again") from None


def run(args: argparse.Namespace) -> int:
    directory = args.directory
    flags = read_run_flags(directory)
    saved = explore_flags(flags, Path(directory) / RUN_FILE)
    saved.command = "explore"
    saved.checkpoint = directory
    check_named_files(f"{directory}/{RUN_FILE}", saved.impl, saved.property or ())
    request = run_request(saved, "explore", saved.strategy)
    check_scale_arguments(request, resume=True)
    has_checkpoint = check_resumable(directory, flags)
    for path in shared_writable(directory)[:1]:
        print(f"paxos-check resume: warning: {path} is writable by other users, who can change this run's "
              "results (never run code: see docs/security.md); chmod go-w it", file=sys.stderr)
    where = f"; results go to {saved.out}" + (f" and {saved.json}" if saved.json else "") + f" (from {RUN_FILE})"
    if has_checkpoint:
        print(f"paxos-check resume: continuing the run checkpointed in {directory} from its last checkpoint{where}",
              flush=True)
    else:
        print(f"paxos-check resume: {directory} holds no checkpoint yet (the run was stopped before its first); "
              f"starting the run again from {RUN_FILE}{where}", flush=True)
    return execute(request, **scale_options(request, resume=has_checkpoint))
