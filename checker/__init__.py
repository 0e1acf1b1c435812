"""Exploration of Paxos models: strategies (BFS, DFS, random walks, swarm), fingerprints, traces, CLI.

The folder tree is the layering (imports only go down; tests/test_layout.py checks it):
this folder's modules are the base (errors, bitsets, model, config, fingerprint), then
`models/` and `search/`, then `traces/`, then `runs/`, then `cli/`. Import from the
modules themselves (`checker.search.bfs`, `checker.search.strategies`); this package file
stays tiny so that importing one submodule does not drag in the others.
"""
