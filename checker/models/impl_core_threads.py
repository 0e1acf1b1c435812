"""`--workers N` on the compiled engine: the implementation core's kernel run over a chunk's rows by N threads.

Owns the parallel pass of `ImplCore.expand`: the chunk's rows split into N contiguous slices, each expanded by
`expand_rows` (numba, nogil) in a thread of its own with its own output buffers, a row that needs a node step the
tables lack put aside (deferred) instead of stopping its slice. It must not resolve a miss, change a table or emit
a successor: the calling thread does all of that, after the threads have returned, in row order.

Why threads of one process, not processes (measured: bench/results_impl_engine.md, "--workers"): a compiled
state is a row of ids interned by this process's tables (snapshots, envelopes, messages), so rows crossing
processes would need their ids translated both ways, and the node steps and verdict misses would run in several
processes in an order that is not one process's. The kernel releases the GIL (`checker/jit.py`: nogil=True), so
a thread pool runs it on N cores with no numba threading layer (no TBB or OpenMP: numba's wheels only), sharing
the tables read-only. What threads cannot speed up stays serial: the node's Python code and the Python verdicts
(GIL-bound), the store's inserts, the symmetry checks.

Why results equal one worker's, node calls included: tables only grow, and an entry once entered never
changes. A row whose every lookup hits is expanded exactly as one worker expands it, whenever it runs. A row
that misses is deferred; the deferred rows (and those a missing `refines_spec` verdict left incomplete) are then
expanded by the one-worker loop in row order (`ImplCore._serial`), which resolves their misses as they come.
So every node step runs at the same point of the same sequence as in one worker (the misses of the rows before
it are resolved first, the rows between them had none), every id is interned alike, and successors carry the
same ids and verdicts. Successors are handed on slice by slice, then the redone rows' (under symmetry
ImplCore.expand puts them back in the order of their parents, as after a refinement miss in one worker).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checker.models.core_threads import SliceThreads
from checker.models.impl_core_kernel import FULL, NODE_MISS, expand_rows

#: below this many rows a chunk is expanded by one thread (a pass costs a thread hand-off per slice)
MIN_ROWS = 256

#: what one slice gives back: its successors' batches (rows, step bits, actions, parents, transition indices),
#: the refinement keys its rows lacked, and its rows to redo in the serial loop
Batch = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
SliceOut = tuple[list[Batch], list[np.ndarray], list[np.ndarray]]


def run_slice(rows: np.ndarray, pending: np.ndarray, head: tuple[Any, ...], bufs: tuple[np.ndarray, ...],
              tail: tuple[Any, ...]) -> SliceOut:
    """Expand rows[pending] with `expand_rows(rows, order, *head, *bufs, *tail)` (bufs: this thread's own);
    a row that misses a node step, or alone outgrows the buffers, is put aside for the serial loop. Runs in a
    worker thread: reads the tables, writes only `bufs` and what it returns."""
    out_rows, out_bits, out_act, out_parent, out_j, _, rmiss, incomplete = bufs
    batches: list[Batch] = []
    keys: list[np.ndarray] = []
    redo: list[np.ndarray] = []
    while len(pending):
        pos, nout, nrm, ninc, status = expand_rows(rows, pending, *head, *bufs, *tail)
        if nout:
            batches.append((out_rows[:nout].copy(), out_bits[:nout].copy(), out_act[:nout].copy(),
                            out_parent[:nout].copy(), out_j[:nout].copy()))
        if nrm:
            keys.append(rmiss[:nrm].copy())
        if ninc:
            redo.append(incomplete[:ninc].copy())
        if status == NODE_MISS or (status == FULL and not pos and not nout):
            redo.append(pending[pos:pos + 1].copy())  # a miss, or one row's successors outgrew the buffers
            pos += 1
        pending = pending[pos:]
    return batches, keys, redo


class KernelThreads(SliceThreads):
    """N threads for ImplCore.expand's kernel (the calling thread is the first of them), each with its own
    output buffers."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self._bufs: list[tuple[np.ndarray, ...]] = []

    def applies(self, n: int) -> bool:
        """Whether a chunk of n rows is worth splitting."""
        return self.pool is not None and n >= MIN_ROWS

    def buffers(self, make: Any, like: tuple[np.ndarray, ...]) -> list[tuple[np.ndarray, ...]]:
        """Each thread's output buffers, made by `make()` again when the core's own (`like`) change shape."""
        if not self._bufs or any(a.shape != b.shape for a, b in zip(self._bufs[0], like, strict=True)):
            self._bufs = [make() for _ in range(self.workers)]
        return self._bufs

    def run(self, rows: np.ndarray, pending: np.ndarray, head: tuple[Any, ...], tail: tuple[Any, ...],
            bufs: list[tuple[np.ndarray, ...]]) -> list[SliceOut]:
        """`run_slice` of each of `workers` contiguous slices of `pending`, at once; their results in slice order."""
        cuts = self.cuts(len(pending))
        return self.map(run_slice, [(rows, pending[cuts[s]:cuts[s + 1]], head, bufs[s], tail)
                                    for s in range(self.workers)])
