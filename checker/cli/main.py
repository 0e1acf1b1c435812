"""The `paxos-check` command line: parses arguments and dispatches to one module per subcommand.

Each subcommand lives in `checker/cli/cmd_<name>.py` with `add_arguments(parser)` and
`run(args) -> int`. This module owns exit codes for bad usage (2) and Ctrl-C;
it does no checking itself.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from checker.errors import UsageError
from checker.exit_codes import EXIT_INCOMPLETE, EXIT_USAGE
from checker.hashseed import fix_seed_at_startup
from checker.signals import ctrl_c_raises
from paxos import command_line_trust

COMMANDS: dict[str, str] = {
    "explore": "Exhaustively explore every interleaving and fault within bounds (BFS or DFS).",
    "simulate": "Run seeded random walks (one process or a swarm).",
    "fuzz": "Hypothesis stateful fuzzing of an implementation.",
    "prove": "z3 proofs: quorum intersection, inductive invariant of the Spec.",
    "replay": "Re-run a trace CSV step by step and show each state change.",
    "minimize": "Shorten a counterexample trace while the same property still fails.",
    "report": "Render a run directory as report.md and report.html.",
    "resume": "Continue a killed explore --checkpoint DIR run from its last checkpoint.",
    "export": "Write a trace as ITF JSON (Apalache, Quint) or as a pytest regression test.",
    "validate": "Check a real execution's event log (PaxosLogger CSV) against the properties and the Spec.",
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one line and exit code 2 (its default code too)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; subcommand modules are imported only for `only` (all if None, none if ""), so
    start-up stays fast: `paxos-check --help` lists the subcommands from `COMMANDS` alone."""
    parser = _Parser(
        prog="paxos-check",
        description="Model-check single-decree Paxos: explore, fuzz, prove, replay, report. "
        "With no arguments: the default exhaustive check of our PaxosNode.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, summary in COMMANDS.items():
        child = sub.add_parser(name, help=summary, description=summary)
        if only is None or only == name:
            importlib.import_module(f"checker.cli.cmd_{name}").add_arguments(child)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        # The default job: an exhaustive check of our PaxosNode with the documented bounds.
        args_list = ["explore", "--default-announce"]
    elif args_list[0].startswith("-") and args_list[0] not in ("-h", "--help"):
        args_list = ["explore", "--default-announce", *args_list]  # `paxos-check --quiet`: the default job
    # Only the subcommand asked for is imported (none for `--help` or a bad name): some pull in
    # numpy, matplotlib, hypothesis, z3, which take about a second to import.
    parser = build_parser(args_list[0] if args_list[0] in COMMANDS else "")
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    module = importlib.import_module(f"checker.cli.cmd_{args.command}")
    try:
        with command_line_trust(args_list):  # code from a file path loads only if this command line names it
            code: int = module.run(args)
    except UsageError as exc:
        print(f"paxos-check {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"paxos-check {args.command}: interrupted", file=sys.stderr)
        return EXIT_INCOMPLETE
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def main_entry() -> None:
    """Console-script entry point.

    SIGINT gets Python's own handler back even when the shell that started us ignored it (a
    script's `paxos-check ... &`): `kill -INT` then stops fuzz as it stops explore and simulate
    (which install their own handler), with the partial results written, instead of being lost.
    """
    fix_seed_at_startup()  # a known PYTHONHASHSEED: every run reproducible (checker/hashseed.py)
    ctrl_c_raises()  # checker/signals.py
    sys.exit(main())
