"""An example of checking someone else's Paxos node: `their_node.py` (their code) and `adapter.py`.

From the repository root: `python -m checker.cli explore --impl examples.custom_node.adapter:make_node`
(or `paxos-check ...` with `PYTHONPATH=.`). See README.md.
"""
