"""`python -m checker.cli ...`: the same as `paxos-check ...`."""

from checker.cli.main import main_entry

main_entry()
