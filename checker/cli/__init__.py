"""`paxos-check`: `main` parses and dispatches; one `cmd_<name>` module per subcommand. The top layer.

`python -m checker.cli` runs it (`__main__.py`).
"""
