"""How it is explored: one module per strategy, what they share (`common`), visited storage, and the
dispatcher by name (`strategies`). Imports only the base of `checker/`; knows no concrete model.
"""
