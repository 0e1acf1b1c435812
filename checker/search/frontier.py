"""Blocks of BFS states kept between levels: compact byte rows for bit-set states, lists otherwise.

A BFS holds a whole level (its frontier) and the candidates of the next one between two steps.
States that are non-negative Python ints (the Spec's bit sets) are kept as fixed-width rows of
bytes in one numpy array (a few bytes per state instead of a Python object, a list slot and a
dict entry); any other state stays a Python object in a list. Blocks know nothing of models,
properties or the visiting order; they only store, select, join and hand back states.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from checker.model import State, capabilities


class Packed:
    """Non-negative ints as rows of `width` little-endian bytes (a (n, width) uint8 array)."""

    __slots__ = ("rows",)

    def __init__(self, rows: npt.NDArray[np.uint8]) -> None:
        self.rows = rows

    @classmethod
    def of(cls, states: Sequence[int]) -> Packed:
        width = max(1, (max((s.bit_length() for s in states), default=0) + 7) // 8)
        buf = b"".join([s.to_bytes(width, "little") for s in states])
        return cls(np.frombuffer(buf, dtype=np.uint8).reshape(len(states), width))

    @property
    def width(self) -> int:
        return int(self.rows.shape[1])

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def states(self, start: int = 0, stop: int | None = None) -> list[State]:
        width = self.width
        buf = self.rows[start:stop].tobytes()
        frm = int.from_bytes
        return [frm(buf[k : k + width], "little") for k in range(0, len(buf), width)]

    def take(self, idx: npt.NDArray[np.int64]) -> Packed:
        return Packed(self.rows[idx])

    @property
    def nbytes(self) -> int:
        return int(self.rows.nbytes)

    def __getstate__(self) -> tuple[bytes, int]:
        return self.rows.tobytes(), self.width

    def __setstate__(self, st: tuple[bytes, int]) -> None:
        buf, width = st
        self.rows = np.frombuffer(buf, dtype=np.uint8).reshape(-1, width)


class Objects:
    """States as Python objects in a list."""

    __slots__ = ("items",)

    def __init__(self, items: Sequence[State]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def states(self, start: int = 0, stop: int | None = None) -> Sequence[State]:
        if start == 0 and (stop is None or stop >= len(self.items)):
            return self.items
        return self.items[start:stop]

    def take(self, idx: npt.NDArray[np.int64]) -> Objects:
        items = self.items
        return Objects([items[j] for j in idx.tolist()])

    @property
    def nbytes(self) -> int:
        return 0  # not measured: Python objects


Block = Packed | Objects


def make_block(states: Sequence[State], packed: bool) -> Block:
    """`states` as a block: packed rows if asked (every state a non-negative int), else a list."""
    if packed:
        return Packed.of(states)  # type: ignore[arg-type]
    return Objects(states)


def packable(states: Sequence[State], model: Any) -> bool:
    """True if the model's states can be packed: non-negative ints, and no wire codec of its own
    (a model with `to_wire` has states that mean something only in one process)."""
    if capabilities(model).wired is not None or not states:
        return False
    return all(type(s) is int and s >= 0 for s in states)


def empty_like(packed: bool) -> Block:
    return Packed(np.zeros((0, 1), dtype=np.uint8)) if packed else Objects([])


def concat(blocks: Sequence[Block]) -> Block:
    """The blocks laid end to end (all packed or all lists)."""
    if not blocks:
        return Objects([])
    if len(blocks) == 1:
        return blocks[0]
    if isinstance(blocks[0], Packed):
        packs = [b for b in blocks if isinstance(b, Packed)]
        assert len(packs) == len(blocks), "cannot join packed and unpacked states"
        width = max(b.width for b in packs)
        out = np.zeros((sum(len(b) for b in packs), width), dtype=np.uint8)
        at = 0
        for b in packs:
            out[at : at + len(b), : b.width] = b.rows
            at += len(b)
        return Packed(out)
    items: list[State] = []
    for o in blocks:
        assert isinstance(o, Objects), "cannot join packed and unpacked states"
        items.extend(o.items)
    return Objects(items)


def take_joined(blocks: Sequence[Block], idx: npt.NDArray[np.int64]) -> Block:
    """`concat(blocks).take(idx)` without building the joined block first (one copy, not two)."""
    if len(blocks) == 1:
        if _identity(idx, len(blocks[0])):  # every row, in order: no copy
            return blocks[0]
        return blocks[0].take(idx)
    ends = np.cumsum([len(b) for b in blocks])
    which = np.searchsorted(ends, idx, side="right")
    starts = ends - np.array([len(b) for b in blocks])
    if isinstance(blocks[0], Packed):
        packs = [b for b in blocks if isinstance(b, Packed)]
        assert len(packs) == len(blocks), "cannot join packed and unpacked states"
        out = np.zeros((len(idx), max(b.width for b in packs)), dtype=np.uint8)
        for k, b in enumerate(packs):
            at = np.flatnonzero(which == k)
            if len(at):
                out[at, : b.width] = b.rows[idx[at] - starts[k]]
        return Packed(out)
    seqs = [b.states() for b in blocks]
    offsets = starts.tolist()
    items = [seqs[b][j - offsets[b]] for b, j in zip(which.tolist(), idx.tolist(), strict=True)]
    return Objects(items)


def _identity(idx: npt.NDArray[np.int64], n: int) -> bool:
    """True if `idx` is 0, 1, ..., n-1."""
    if len(idx) != n:
        return False
    return n == 0 or (int(idx[0]) == 0 and int(idx[-1]) == n - 1 and bool(np.all(idx[1:] > idx[:-1])))


def chunks(block: Block, size: int) -> Iterator[tuple[int, Sequence[State]]]:
    """(start index, states) for consecutive slices of at most `size` states."""
    for start in range(0, len(block), size):
        yield start, block.states(start, start + size)
