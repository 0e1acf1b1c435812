"""One checking run from flags to files: `run` (explore and simulate: model -> search -> run directory)
and `fuzz` (Hypothesis stateful fuzzing). Imports everything below it in `checker/`; never cli/.
"""
