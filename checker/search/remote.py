"""The driver's side of BFS partitions that live in other processes or on other machines.

`RemoteCluster` sends one request per partition (partition.py's `serve` answers it there) and
moves each level's batches from the partition that made them to the one that owns them; its
subclasses say how a request travels: pipes to worker processes (bfs.py's `ProcessCluster`),
Ray actor calls (ray_cluster.py). It must not run a partition itself, nor choose the visiting order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from checker.model import Model, State
from checker.search.checkpoint import CheckpointError
from checker.search.common import Clock, SearchOptions
from checker.search.partition import LevelIn, LevelOut, Partition, add_coverage, owners, pack_batch


class RemoteCluster:
    """The driver's side of partitions that live elsewhere, one request at a time to each.

    Subclasses say how a request reaches partition p (`_ask_all`) and may keep the batches that go
    from partition to partition out of the driver (`expand`/`absorb`, as Ray's object store does).
    """

    parts: int

    def __init__(self, model: Model, options: SearchOptions, parts: int) -> None:
        if options.on_transition is not None:
            raise ValueError("on_transition needs workers=1 (transitions are generated in worker processes)")
        self.parts = parts
        self.model = model
        self.local = Partition(model, clean_options(options, parts))  # canonical forms and fingerprints of roots
        self.sizes = [0] * parts
        self._pending: list[list[Any]] = []

    def _ask_all(self, requests: Sequence[tuple[str, Any]]) -> list[Any]:
        raise NotImplementedError

    def _split_max(self, max_new: int | None) -> list[int | None]:
        if max_new is None:
            return [None] * self.parts
        share, extra = divmod(max_new, self.parts)
        return [share + (1 if i < extra else 0) for i in range(self.parts)]

    def start(self, states: Sequence[State], max_new: int | None, clock: Clock) -> LevelIn:
        roots = self.local.seed(states)
        owner = owners(self.model, roots, self.parts)
        requests = [("absorb_roots", (pack_batch(self.model, roots.take(np.flatnonzero(owner == p))), cap))
                    for p, cap in enumerate(self._split_max(max_new))]
        return self._merge_absorbed(self._ask_all(requests))

    def _merge_absorbed(self, replies: Sequence[tuple[LevelIn, int]]) -> LevelIn:
        merged = LevelIn()
        for p, (level, size) in enumerate(replies):
            merged.merge(level)
            self.sizes[p] = size
        return merged

    def expand(self, deadline: float | None, clock: Clock) -> LevelOut:
        merged = LevelOut()
        self._pending = []
        for out, blobs in self._ask_all([("expand", deadline)] * self.parts):
            merged.transitions += out.transitions
            merged.events.extend(out.events)
            merged.aborted = merged.aborted or out.aborted
            self._pending.append(blobs)
        return merged

    def node_transitions(self) -> list[Any]:
        """Every node transition the partitions computed, as values (an implementation model's
        `node_transitions` rows less their process-local keys), for the driver's node checks."""
        return [row for rows in self._ask_all([("node_transitions", None)] * self.parts) for row in rows]

    def absorb(self, max_new: int | None, clock: Clock) -> LevelIn:
        requests = []
        for p, cap in enumerate(self._split_max(max_new)):
            incoming = [(src, blobs[p]) for src, blobs in enumerate(self._pending) if src != p and blobs[p] is not None]
            requests.append(("absorb", (incoming, cap)))
        self._pending = []
        return self._merge_absorbed(self._ask_all(requests))

    def chain(self, fp: int) -> list[int]:
        out = [fp]
        while True:
            # the owner is not known from a fingerprint alone (a model may partition by `partition_key`):
            # ask every partition; a chain is as long as the trace, so this is a few dozen requests
            parent = next((q for q in self._ask_all([("parent", fp)] * self.parts) if q is not None), None)
            if parent is None:
                raise KeyError(f"fingerprint {fp:016x} has no stored ancestry")
            if parent == fp:
                break
            out.append(parent)
            fp = parent
        out.reverse()
        return out

    def frontier_size(self) -> int:
        return sum(self.sizes)

    def stored(self) -> tuple[int, int, int]:
        n = nbytes = unreduced = 0
        for a, b, c, _ in self._ask_all([("stored", None)] * self.parts):
            n, nbytes, unreduced = n + a, nbytes + b, unreduced + c
        return n, nbytes, unreduced

    def coverage(self) -> dict[str, dict[str, int]]:
        total: dict[str, dict[str, int]] = {}
        for reply in self._ask_all([("stored", None)] * self.parts):
            total = add_coverage(total, reply[3])
        return total

    def save(self, root: str, tag: int) -> list[dict[str, Any]]:
        return list(self._ask_all([("save", (root, tag))] * self.parts))

    def load(self, root: str, saved: Sequence[dict[str, Any]]) -> None:
        by_index = {s["index"]: s for s in saved}
        replies = list(self._ask_all([("load", (root, by_index[p])) for p in range(self.parts)]))
        refused = [r for r in replies if isinstance(r, str)]
        if refused:  # a frontier that does not fit this run (partition.serve says why)
            raise CheckpointError(refused[0])
        self.sizes = replies

    def close(self) -> None:
        self.local.close()


def clean_options(options: SearchOptions, parts: int) -> SearchOptions:
    """Options for a partition away from the driver: no callbacks; a share of the memory limit."""
    clean = replace(options, progress=None, on_transition=None)
    memory = options.limits.max_memory_mb
    if memory is not None and parts > 1:  # each partition checks its own memory: share the limit
        clean = replace(clean, limits=replace(options.limits, max_memory_mb=memory / parts))
    return clean


