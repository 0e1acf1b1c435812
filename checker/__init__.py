"""Exploration of Paxos models: strategies (BFS, DFS, random walks, swarm), fingerprints, traces, CLI.

Import strategies from their modules (`checker.bfs`, `checker.search`); this package file
stays tiny so that importing one submodule does not drag in the others.
"""
