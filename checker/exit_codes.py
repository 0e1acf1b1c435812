"""The exit codes of every `paxos-check` subcommand, in one place (README "Exit codes" says the same).

Owns the numbers only; each subcommand decides which one its outcome is.
"""

from __future__ import annotations

#: Everything checked held (explore: exhaustively within the bounds; random modes: not violated, not a proof);
#: replay: the recorded violation did not reproduce; export, report, minimize: done.
EXIT_OK = 0
#: A property was violated (node_error included), its trace written; prove: a proof failed;
#: replay: the recorded violation reproduced.
EXIT_VIOLATED = 1
#: Bad usage or bad input: one line, before any work.
EXIT_USAGE = 2
#: Stopped early (a limit, Ctrl-C, a hung node handler) with nothing violated so far; prove: unknown.
EXIT_INCOMPLETE = 3
