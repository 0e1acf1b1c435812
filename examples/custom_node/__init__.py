"""An example of checking someone else's Paxos node: `their_node.py` (their code) and `adapter.py`.

Run `paxos-check explore --impl examples.custom_node.adapter:make_node` from the repository root.
"""
