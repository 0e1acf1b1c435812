"""Counterexamples as files: trace CSV, replay against the reference cluster, minimization, the state graph.

Imports the base of `checker/` and `models/`; never search/, runs/ or cli/.
"""
