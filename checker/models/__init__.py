"""What is explored: the implementation model (with its refinement index, steps and acceptor
symmetry) and the Spec model.

Imports only the base of `checker/` (and paxos/, properties/); never search/, traces/, runs/ or cli/.
"""
