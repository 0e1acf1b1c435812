"""A pool of N threads for the compiled cores' kernels (`--workers N` on the compiled engine).

Owns the threads and the split of a batch of rows into N contiguous slices, each handed to a function run in a
thread of its own (the calling thread runs the first), results in slice order. It must not know a kernel: the
cores (impl_core_threads.py, spec_core.py) say what a slice does, and their kernels release the GIL
(checker/jit.py: numba's nogil), so the slices run on N cores; no numba threading layer (TBB, OpenMP) is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

R = TypeVar("R")


class SliceThreads:
    """N threads (the calling one and N - 1 in a pool); `close` ends the pool."""

    def __init__(self, workers: int) -> None:
        if workers < 2:
            raise ValueError(f"threads are for 2 or more workers, got {workers}")
        self.workers = workers
        self.pool: ThreadPoolExecutor | None = ThreadPoolExecutor(workers - 1, thread_name_prefix="paxos-kernel")

    def cuts(self, n: int) -> np.ndarray:
        """The bounds of `workers` contiguous slices of n items, as equal as can be."""
        return np.linspace(0, n, self.workers + 1).astype(np.int64)

    def map(self, fn: Callable[..., R], args: Sequence[tuple[Any, ...]]) -> list[R]:
        """fn(*args[s]) for each slice s, at once (the first in the calling thread); results in slice order."""
        assert self.pool is not None, "the threads were closed"
        futures = [self.pool.submit(fn, *a) for a in args[1:]]
        first = fn(*args[0])
        return [first] + [f.result() for f in futures]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None
