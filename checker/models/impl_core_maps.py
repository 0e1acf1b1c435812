"""Compiled hash maps of the implementation model's compiled core: fixed-width keys of 64-bit words.

Owns the two maps the compiled core keeps its caches in: `SlotMap`, an open-addressing table of whole
keys (a value slot of 0 meaning empty) that the successor kernel probes itself (refinement verdicts),
and `WordMap`, the verdict caches' map, its keys kept once each in insertion order with a table of
uint32 indices over them (less than half the bytes of a table of whole keys at the same load); their
jitted probe, insert and rehash, and the bit-set helpers the kernels share (iterating set bits lowest
first, XOR of keys over a bit set).
It knows nothing of states, properties or nodes: impl_core_tables.py and impl_core.py decide what
a key holds and what a value means.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checker.jit import mix64_jit, njit, njit_inline

_DEBRUIJN = 0x03F79D71B4CB0A89
#: LOW_INDEX[(low * DEBRUIJN) >> 58] is the position of the single set bit `low` (de Bruijn bit scan)
LOW_INDEX = np.zeros(64, dtype=np.int64)
for _i in range(64):
    LOW_INDEX[(((1 << _i) * _DEBRUIJN) & ((1 << 64) - 1)) >> 58] = _i
DEBRUIJN = np.uint64(_DEBRUIJN)
S58 = np.uint64(58)
ONE = np.uint64(1)
ZERO = np.uint64(0)


@njit_inline
def low_index(x: Any) -> Any:
    """The position of the lowest set bit of a nonzero uint64."""
    low = x & (~x + ONE)
    return LOW_INDEX[np.int64((low * DEBRUIJN) >> S58)]


@njit_inline
def xor_bits(bits: Any, keys: Any) -> Any:
    """The XOR of `keys[b]` over the members b of the bit set whose 64-bit limbs are `bits`."""
    out = ZERO
    for w in range(bits.shape[0]):
        x = bits[w]
        while x != ZERO:
            b = low_index(x)
            out ^= keys[w * 64 + b]
            x &= x - ONE
    return out


@njit_inline
def key_hash(key: Any) -> Any:
    h = np.uint64(0x9E3779B97F4A7C15)
    for w in range(key.shape[0]):
        h = mix64_jit(h ^ key[w]) + np.uint64(w)
    return h


@njit_inline
def _probe(keys: Any, vals: Any, key: Any) -> Any:
    """The slot that holds `key`, or the empty slot where it would go (linear probing from its hash)."""
    mask = np.uint64(keys.shape[0] - 1)
    slot = np.int64(key_hash(key) & mask)
    width = key.shape[0]
    while True:
        if vals[slot] == ZERO:
            return slot
        same = True
        for w in range(width):
            if keys[slot, w] != key[w]:
                same = False
                break
        if same:
            return slot
        slot = np.int64((np.uint64(slot) + ONE) & mask)


@njit_inline
def map_find(keys: Any, vals: Any, key: Any) -> Any:
    """The value stored under `key`, or -1."""
    v = vals[_probe(keys, vals, key)]
    return np.int64(-1) if v == ZERO else np.int64(v - ONE)


@njit
def map_put(keys: Any, vals: Any, key: Any, value: Any) -> bool:
    """Store `value` under `key` (replacing); True if the key is new. The table must have room."""
    slot = _probe(keys, vals, key)
    new: bool = vals[slot] == ZERO
    if new:
        for w in range(key.shape[0]):
            keys[slot, w] = key[w]
    vals[slot] = np.uint64(value) + ONE
    return new


@njit
def map_put_many(keys: Any, vals: Any, new_keys: Any, new_vals: Any) -> int:
    added = 0
    for r in range(new_keys.shape[0]):
        if map_put(keys, vals, new_keys[r], new_vals[r]):
            added += 1
    return added


@njit
def map_find_many(keys: Any, vals: Any, queries: Any, out: Any) -> int:
    """out[r] = the value under queries[r] or -1; returns how many were missing."""
    missing = 0
    for r in range(queries.shape[0]):
        out[r] = map_find(keys, vals, queries[r])
        if out[r] < 0:
            missing += 1
    return missing


@njit
def _rehash(old_keys: Any, old_vals: Any, keys: Any, vals: Any) -> None:
    for s in range(old_keys.shape[0]):
        if old_vals[s] != ZERO:
            map_put(keys, vals, old_keys[s], old_vals[s] - ONE)


class SlotMap:
    """A map from keys of `width` 64-bit words to values (int < 2**64 - 1), kept at most half full; `keys`
    and `vals` are the table `map_find` probes."""

    def __init__(self, width: int, capacity: int = 1 << 10) -> None:
        self.width = width
        self.count = 0
        self.keys = np.zeros((capacity, width), dtype=np.uint64)
        self.vals = np.zeros(capacity, dtype=np.uint64)

    def reserve(self, more: int) -> None:
        need = 2 * (self.count + more)
        if need <= len(self.vals):
            return
        size = len(self.vals)
        while size < need:
            size *= 2
        keys = np.zeros((size, self.width), dtype=np.uint64)
        vals = np.zeros(size, dtype=np.uint64)
        _rehash(self.keys, self.vals, keys, vals)
        self.keys, self.vals = keys, vals

    def put_many(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.reserve(len(keys))
        self.count += map_put_many(self.keys, self.vals, np.ascontiguousarray(keys, dtype=np.uint64),
                                   np.ascontiguousarray(values, dtype=np.uint64))

    def find_many(self, queries: np.ndarray) -> tuple[np.ndarray, int]:
        """(value or -1 per query row, how many were missing)."""
        out = np.empty(len(queries), dtype=np.int64)
        missing = map_find_many(self.keys, self.vals, np.ascontiguousarray(queries, dtype=np.uint64), out)
        return out, int(missing)

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.vals.nbytes)


@njit_inline
def _index_probe(index: Any, keys: Any, key: Any) -> Any:
    """The slot of `index` that holds the row of `key` in `keys` (+1), or the empty slot where it would go."""
    mask = np.uint64(index.shape[0] - 1)
    slot = np.int64(key_hash(key) & mask)
    width = key.shape[0]
    while True:
        e = index[slot]
        if e == 0:
            return slot
        r = np.int64(e) - 1
        same = True
        for w in range(width):
            if keys[r, w] != key[w]:
                same = False
                break
        if same:
            return slot
        slot = np.int64((np.uint64(slot) + ONE) & mask)


@njit
def _dense_find_many(index: Any, keys: Any, vals: Any, queries: Any, out: Any) -> int:
    """out[r] = the value under queries[r] or -1; returns how many were missing."""
    missing = 0
    for r in range(queries.shape[0]):
        e = index[_index_probe(index, keys, queries[r])]
        if e == 0:
            out[r] = -1
            missing += 1
        else:
            out[r] = np.int64(vals[np.int64(e) - 1])
    return missing


@njit
def _dense_put_many(index: Any, keys: Any, vals: Any, count: int, new_keys: Any, new_vals: Any) -> int:
    """Store each new_vals[r] under new_keys[r] (replacing); returns the new count. Room must be made."""
    for r in range(new_keys.shape[0]):
        slot = _index_probe(index, keys, new_keys[r])
        e = index[slot]
        if e == 0:
            for w in range(new_keys.shape[1]):
                keys[count, w] = new_keys[r, w]
            vals[count] = new_vals[r]
            count += 1
            index[slot] = np.uint32(count)
        else:
            vals[np.int64(e) - 1] = new_vals[r]
    return count


@njit
def _dense_rehash(index: Any, keys: Any, count: int) -> None:
    mask = np.uint64(index.shape[0] - 1)
    for r in range(count):
        slot = np.int64(key_hash(keys[r]) & mask)
        while index[slot] != 0:
            slot = np.int64((np.uint64(slot) + ONE) & mask)
        index[slot] = np.uint32(r + 1)


class WordMap:
    """A map from keys of `width` 64-bit words to values (uint64): the keys and values once each, in the
    order first put (grown by doubling), and a power-of-two table of uint32 row + 1 (0: empty) over them,
    kept at most half full."""

    def __init__(self, width: int, capacity: int = 1 << 10) -> None:
        self.width = width
        self.count = 0
        self.keys = np.empty((capacity, width), dtype=np.uint64)
        self.vals = np.empty(capacity, dtype=np.uint64)
        self.index = np.zeros(2 * capacity, dtype=np.uint32)

    def reserve(self, more: int) -> None:
        need = self.count + more
        if need > len(self.vals):
            size = len(self.vals)
            while size < need:
                size *= 2
            keys = np.empty((size, self.width), dtype=np.uint64)
            keys[: self.count] = self.keys[: self.count]
            vals = np.empty(size, dtype=np.uint64)
            vals[: self.count] = self.vals[: self.count]
            self.keys, self.vals = keys, vals
        if 2 * need > len(self.index):
            size = len(self.index)
            while size < 2 * need:
                size *= 2
            self.index = np.zeros(0, dtype=np.uint32)  # the old table freed before the new one is made
            self.index = np.zeros(size, dtype=np.uint32)
            _dense_rehash(self.index, self.keys, self.count)

    def put_many(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.reserve(len(keys))
        self.count = int(_dense_put_many(self.index, self.keys, self.vals, self.count,
                                         np.ascontiguousarray(keys, dtype=np.uint64),
                                         np.ascontiguousarray(values, dtype=np.uint64)))

    def find_many(self, queries: np.ndarray) -> tuple[np.ndarray, int]:
        """(value or -1 per query row, how many were missing)."""
        out = np.empty(len(queries), dtype=np.int64)
        missing = _dense_find_many(self.index, self.keys, self.vals, np.ascontiguousarray(queries, dtype=np.uint64),
                                   out)
        return out, int(missing)

    @property
    def nbytes(self) -> int:
        """Bytes written: the keys and values held, and the index."""
        return int(self.count * (self.width + 1) * 8 + self.index.nbytes)
