"""The compiled BFS's store: visited states, and the rows of one level packed column by column.

Owns the open-addressing visited table (uint32 ids by fingerprint: about 6 bytes per state), the
fingerprint of each id (8 bytes), the parents (of the level being stored in memory, of the levels
before in an anonymous temporary file), and a level's rows packed: each uint64 column in the fewest
bytes (0, 1, 2, 4 or 8) that hold every value it has had so far, the core's fingerprint column not
at all (the fingerprint of each id is kept anyway), and the columns from `shared_from` on (the
implementation model's network and sent messages, which many states of a level share) once per
distinct value in a dictionary of the level, the row holding its index (but a `tail` of columns at
the end, each row's own: the orbit lanes under symmetry, packed per row, or with a `derive` hook not
kept at all: the hook writes them into rows read back). A value that outgrows its column repacks the
rows stored so far, once per column and size. It knows no model: rows are uint64 columns to it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from checker.jit import mix64_jit, njit, njit_inline

#: The visited table grows when this full, to this load: 4 / 0.6..0.7 bytes per state, short probes.
_MAX_LOAD, _GROWN_LOAD = 0.7, 0.6
#: Rows reserved for one level (virtual memory: np.empty pages cost memory only once written).
_LEVEL_ROWS = 1 << 24
#: Rows decoded or repacked at once
_CHUNK = 1 << 16
#: Bytes a column can take; the packed arrays by size, and their dtypes
SIZES = (1, 2, 4, 8)
_DTYPES = (np.uint8, np.uint16, np.uint32, np.uint64)
FP = -1  # the size of the core's fingerprint column: not stored
DERIVED = -2  # the size of a tail column the core's `derive` writes into rows read back: not stored


_FIBONACCI = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, odd


@njit_inline
def _slot(fp: Any, size: Any) -> Any:
    """The home slot of a fingerprint in a table of `size` (< 2**32) slots: the top 32 bits of its Fibonacci
    hash, scaled. (Not the fingerprint's own top bits: an orbit fingerprint is the least of several, so its
    top bits crowd towards 0, and linear probing would crawl.)"""
    return np.int64((((fp * _FIBONACCI) >> np.uint64(32)) * size) >> np.uint64(32))


@njit_inline
def _size_of(v: Any) -> Any:
    """The bytes a uint64 value needs: 0 (zero), 1, 2, 4 or 8."""
    if v == np.uint64(0):
        return 0
    if v < np.uint64(1 << 8):
        return 1
    if v < np.uint64(1 << 16):
        return 2
    if v < np.uint64(1 << 32):
        return 4
    return 8


@njit_inline
def _put(a1: Any, a2: Any, a4: Any, a8: Any, r: Any, k: Any, i: Any, v: Any) -> None:
    """Value v into row r, column i of the array of size SIZES[k] (k < 0: not stored)."""
    if k == 3:
        a8[r, i] = v
    elif k == 0:
        a1[r, i] = np.uint8(v)
    elif k == 1:
        a2[r, i] = np.uint16(v)
    elif k == 2:
        a4[r, i] = np.uint32(v)


@njit_inline
def _tail_hash(rows: Any, j: Any, lo: Any) -> Any:
    h = np.uint64(0x9E3779B97F4A7C15)
    for c in range(lo, rows.shape[1]):
        h = mix64_jit(h ^ rows[j, c]) + np.uint64(c - lo)
    return h


@njit_inline
def _intern(rows: Any, j: Any, lo: Any, dkeys: Any, dtable: Any, dcount: Any) -> Any:
    """The index of rows[j, lo:] in the dictionary (dkeys: its values; dtable: index + 1 by hash, a power
    of two in size; dcount[0]: how many), entered if new. The caller keeps room for it."""
    mask = np.uint64(dtable.shape[0] - 1)
    slot = np.int64(_tail_hash(rows, j, lo) & mask)
    width = rows.shape[1] - lo
    while True:
        e = dtable[slot]
        if e == 0:
            d = dcount[0]
            for c in range(width):
                dkeys[d, c] = rows[j, lo + c]
            dtable[slot] = np.uint32(d + 1)
            dcount[0] = d + 1
            return np.uint64(d)
        d = np.int64(e) - 1
        same = True
        for c in range(width):
            if dkeys[d, c] != rows[j, lo + c]:
                same = False
                break
        if same:
            return np.uint64(d)
        slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)


@njit
def _rehash_dict(dkeys: Any, count: Any, dtable: Any) -> None:
    mask = np.uint64(dtable.shape[0] - 1)
    for d in range(count):
        slot = np.int64(_tail_hash(dkeys, d, 0) & mask)
        while dtable[slot] != 0:
            slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
        dtable[slot] = np.uint32(d + 1)


@njit
def _pack(rows: Any, j: Any, r: Any, lo: Any, limit: Any, kind: Any, at: Any, a1: Any, a2: Any, a4: Any, a8: Any,
          dkeys: Any, dtable: Any, dcount: Any) -> bool:
    """rows[j] packed into row r, if it fits (else False, nothing written but its dictionary entry)."""
    for c in range(lo):
        if rows[j, c] > limit[c]:
            return False
    d = np.uint64(0)
    if kind.shape[0] > lo:
        d = _intern(rows, j, lo, dkeys, dtable, dcount)
        if d > limit[lo]:
            return False
    for c in range(lo):
        _put(a1, a2, a4, a8, r, kind[c], at[c], rows[j, c])
    if kind.shape[0] > lo:
        _put(a1, a2, a4, a8, r, kind[lo], at[lo], d)
    return True


@njit
def _unpack(sel: Any, lo: Any, kind: Any, at: Any, fp_col: Any, a1: Any, a2: Any, a4: Any, a8: Any, dkeys: Any,
            fps_of: Any, ids: Any, out: Any) -> None:
    """out[r] = the row packed at position sel[r] (its fingerprint column, if fp_col >= 0, from
    fps_of[base + sel[r]]; its columns from lo on from the dictionary, if lo < its width)."""
    d = np.int64(0)
    for r in range(sel.shape[0]):  # (no helper taking the arrays: see _insert)
        p = sel[r]
        for c in range(kind.shape[0]):
            k = kind[c]
            if k == 3:
                v = a8[p, at[c]]
            elif k == 0:
                v = np.uint64(a1[p, at[c]])
            elif k == 1:
                v = np.uint64(a2[p, at[c]])
            elif k == 2:
                v = np.uint64(a4[p, at[c]])
            else:
                v = np.uint64(0)
            if c < lo:
                out[r, c] = v
            else:
                d = np.int64(v)
        if fp_col >= 0:
            out[r, fp_col] = fps_of[ids[r]]
        if lo < out.shape[1]:
            for c in range(lo, out.shape[1]):
                out[r, c] = dkeys[d, c - lo]


@njit
def _column_sizes(rows: Any, size: Any) -> None:
    """size[c] = max(size[c], bytes of column c of any row) (columns not stored stay FP or DERIVED)."""
    for j in range(rows.shape[0]):
        for c in range(rows.shape[1]):
            if size[c] >= 0:
                size[c] = max(size[c], _size_of(rows[j, c]))


@njit
def _pack_rows(rows: Any, first: Any, lo: Any, limit: Any, kind: Any, at: Any, a1: Any, a2: Any, a4: Any, a8: Any,
               dkeys: Any, dtable: Any, dcount: Any) -> None:
    """rows[j] packed at first + j (each must fit)."""
    for j in range(rows.shape[0]):
        _pack(rows, j, first + j, lo, limit, kind, at, a1, a2, a4, a8, dkeys, dtable, dcount)


@njit
def _insert(table: Any, fps_of: Any, parent_of: Any, count: int, level_start: int, cand_fps: Any,
            cand_parents: Any, cand_rows: Any, first: int, lo: Any, limit: Any, kind: Any, at: Any, a1: Any, a2: Any,
            a4: Any, a8: Any, dkeys: Any, dtable: Any, dcount: Any, members: bool) -> tuple[int, int]:
    """Store each candidate from `first` on not seen before (id = count; its parent and packed row at
    id - level_start); a candidate already new in this level keeps its largest-fingerprint parent (and
    with `members`, an orbit, the row that came with that parent: packed over the one stored).
    Returns (the new count, the candidate reached: len(cand_fps), or one whose row does not fit
    the packing, not stored). This is `_pack` and `_intern` spelled out: numba's inlined helpers with
    array arguments cost reference counting per call here (measured: 300 ns a row against 30)."""
    tsize = np.int64(table.shape[0])
    usize = np.uint64(tsize)
    shared = kind.shape[0] > lo
    width = cand_rows.shape[1] - lo
    dmask = np.uint64(dtable.shape[0] - 1)
    for j in range(first, cand_fps.shape[0]):
        fp = cand_fps[j]
        pid = cand_parents[j]
        slot = _slot(fp, usize)
        r = np.int64(-1)  # the row to write, if any
        new = False
        while True:
            e = table[slot]
            if e == 0:
                r = count - level_start
                new = True
                break
            sid = np.int64(e) - 1
            if fps_of[sid] == fp:
                if sid >= level_start and fps_of[pid] > fps_of[parent_of[sid - level_start]]:
                    if members:
                        r = sid - level_start  # its parent changes once the row is written
                    else:
                        parent_of[sid - level_start] = pid
                break
            slot += 1
            if slot == tsize:
                slot = 0
        if r < 0:
            continue
        fits = True
        for c in range(lo):
            if cand_rows[j, c] > limit[c]:
                fits = False
        d = np.uint64(0)
        if fits and shared:  # the index of cand_rows[j, lo:] in the dictionary, entered if new
            h = np.uint64(0x9E3779B97F4A7C15)
            for c in range(width):
                h = mix64_jit(h ^ cand_rows[j, lo + c]) + np.uint64(c)
            ds = np.int64(h & dmask)
            while True:
                de = dtable[ds]
                if de == 0:
                    dn = dcount[0]
                    for c in range(width):
                        dkeys[dn, c] = cand_rows[j, lo + c]
                    dtable[ds] = np.uint32(dn + 1)
                    dcount[0] = dn + 1
                    d = np.uint64(dn)
                    break
                same = True
                for c in range(width):
                    if dkeys[de - 1, c] != cand_rows[j, lo + c]:
                        same = False
                        break
                if same:
                    d = np.uint64(de - 1)
                    break
                ds = np.int64((np.uint64(ds) + np.uint64(1)) & dmask)
            fits = d <= limit[lo]
        if not fits:
            return count, j
        for c in range(kind.shape[0]):
            k = kind[c]
            v = cand_rows[j, c] if c < lo else d
            if k == 3:
                a8[r, at[c]] = v
            elif k == 0:
                a1[r, at[c]] = np.uint8(v)
            elif k == 1:
                a2[r, at[c]] = np.uint16(v)
            elif k == 2:
                a4[r, at[c]] = np.uint32(v)
        parent_of[r] = pid
        if new:
            table[slot] = np.uint32(count + 1)
            fps_of[count] = fp
            count += 1
    return count, cand_fps.shape[0]


@njit
def _find(table: Any, fps_of: Any, fp: Any) -> Any:
    """The id of the stored state with fingerprint `fp`, or -1."""
    tsize = np.int64(table.shape[0])
    slot = _slot(fp, np.uint64(tsize))
    while True:
        e = table[slot]
        if e == 0:
            return -1
        if fps_of[np.int64(e) - 1] == fp:
            return np.int64(e) - 1
        slot += 1
        if slot == tsize:
            slot = 0


@njit
def _distinct(table: Any, fps_of: Any, count: int) -> bool:
    """Whether each of ids 0..count-1 is the one the table finds by its fingerprint (no two share one)."""
    for sid in range(count):
        if _find(table, fps_of, fps_of[sid]) != sid:
            return False
    return True


@njit
def _rehash(table: Any, fps_of: Any, count: int) -> None:
    size = np.int64(table.shape[0])
    usize = np.uint64(size)
    for sid in range(count):
        slot = _slot(fps_of[sid], usize)
        while table[slot] != 0:
            slot += 1
            if slot == size:
                slot = 0
        table[slot] = np.uint32(sid + 1)


class Packed:
    """Rows of `width` columns packed: columns 0..lo-1, then (if lo < width) the index of columns
    lo..width-1 in the dictionary `dkeys` (the virtual row); virtual column c takes `size[c]` bytes (0:
    always zero; FP: the fingerprint column, read from the store's fingerprints; DERIVED: zero, the store's
    `derive` writes it), in one array per size
    (`kind[c]`: which, an index into SIZES, -1 for none; `at[c]`: its column there)."""

    def __init__(self, size: np.ndarray, width: int, lo: int, rows: int = _LEVEL_ROWS) -> None:
        """`size`: of the virtual columns (`width` of them if lo == width, else lo + 1)."""
        assert len(size) == (width if lo == width else lo + 1)
        self.size = size.astype(np.int64)
        self.width, self.lo = width, lo
        #: per virtual column: the array it is in (index into SIZES; -1: none) and its column there
        self.kind = np.array([SIZES.index(s) if s in SIZES else -1 for s in self.size.tolist()], dtype=np.int64)
        self.at = np.zeros(len(size), dtype=np.int64)
        for k in range(len(SIZES)):
            where = np.flatnonzero(self.kind == k)
            self.at[where] = np.arange(len(where))
        fp = np.flatnonzero(self.size == FP)
        self.fp_col = int(fp[0]) if len(fp) else -1
        #: the largest value each column holds (a fingerprint column: any)
        self.limit = np.array([(1 << (8 * s)) - 1 if s >= 0 else (1 << 64) - 1 for s in self.size.tolist()],
                              dtype=np.uint64)
        self.arrays = [np.empty((rows, int((self.kind == k).sum())), dtype=dt) for k, dt in enumerate(_DTYPES)]
        self.dkeys = np.empty((1 << 10 if self.lo < width else 0, width - self.lo), dtype=np.uint64)
        self.dtable = np.zeros(1 << 11 if self.lo < width else 1, dtype=np.uint32)
        self.dcount = np.zeros(1, dtype=np.int64)

    @property
    def capacity(self) -> int:
        return int(self.arrays[0].shape[0])

    def grown(self, rows: int, keep: int) -> Packed:
        """The same packing with room for `rows` rows, the first `keep` copied (the dictionary shared)."""
        new = Packed.__new__(Packed)
        new.__dict__.update(self.__dict__)
        new.arrays = [np.empty((rows, a.shape[1]), dtype=a.dtype) for a in self.arrays]
        for a, b in zip(new.arrays, self.arrays, strict=True):
            a[:keep] = b[:keep]
        return new

    def view(self, n: int) -> Packed:
        """The first n rows (no copy)."""
        new = Packed.__new__(Packed)
        new.__dict__.update(self.__dict__)
        new.arrays = [a[:n] for a in self.arrays]
        new.dkeys = self.dkeys[: int(self.dcount[0])]
        return new

    def reserve(self, more: int) -> None:
        """Room in the dictionary for `more` new entries."""
        if self.lo == self.width:
            return
        need = int(self.dcount[0]) + more
        if need > len(self.dkeys):
            dkeys = np.empty((max(need, 2 * len(self.dkeys)), self.width - self.lo), dtype=np.uint64)
            dkeys[: self.dcount[0]] = self.dkeys[: self.dcount[0]]
            self.dkeys = dkeys
        if 2 * need > len(self.dtable):
            size = len(self.dtable)
            while size < 2 * need:
                size *= 2
            self.dtable = np.zeros(0, dtype=np.uint32)  # the old table freed before the new one is made
            self.dtable = np.zeros(size, dtype=np.uint32)
            _rehash_dict(self.dkeys, int(self.dcount[0]), self.dtable)

    def unpack(self, pos: np.ndarray, fps_of: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The rows at positions `pos` as uint64 (the fingerprint column from fps_of[ids])."""
        out = np.empty((len(pos), self.width), dtype=np.uint64)
        a1, a2, a4, a8 = self.arrays
        _unpack(np.ascontiguousarray(pos, dtype=np.int64), self.lo, self.kind, self.at, self.fp_col, a1, a2, a4, a8,
                self.dkeys, fps_of, np.ascontiguousarray(ids, dtype=np.int64), out)
        return out

    def gathered(self, pos: np.ndarray) -> Packed:
        """The rows at positions `pos`, in that order (a copy; the dictionary shared)."""
        new = Packed.__new__(Packed)
        new.__dict__.update(self.__dict__)
        new.arrays = [a[pos] for a in self.arrays]
        return new

    def virtual(self, row: np.ndarray) -> np.ndarray:
        """The virtual row of `row`: its columns before lo, then (with a dictionary) its index there,
        entered if new."""
        if self.lo == self.width:
            return np.array(row, dtype=np.uint64)
        self.reserve(1)
        d = _intern(row[None], 0, self.lo, self.dkeys, self.dtable, self.dcount)
        return np.concatenate([row[: self.lo], np.array([d], dtype=np.uint64)])

    def pack(self, rows: np.ndarray, first: int) -> None:
        self.reserve(len(rows))
        a1, a2, a4, a8 = self.arrays
        _pack_rows(rows, first, self.lo, self.limit, self.kind, self.at, a1, a2, a4, a8, self.dkeys, self.dtable,
                   self.dcount)

    @property
    def row_bytes(self) -> int:
        return sum(a.shape[1] * a.itemsize for a in self.arrays)

    @property
    def nbytes(self) -> int:
        """Bytes of the dictionary."""
        return int(self.dkeys.nbytes + self.dtable.nbytes)


class Level:
    """The packed rows of one stored level (ids base..base+n-1), in the order the search takes them:
    position order, or `sel`'s (`select`)."""

    def __init__(self, packed: Packed, base: int, n: int, store: Store) -> None:
        self.packed, self.base, self.n, self.store = packed, base, n, store
        self.sel: np.ndarray | None = None

    def __len__(self) -> int:
        return self.n if self.sel is None else len(self.sel)

    def select(self, sel: np.ndarray) -> None:
        """Take the rows at positions `sel`, in that order (the packed rows are put in it: read in order
        after, not at random)."""
        self.packed = self.packed.gathered(sel)
        self.sel = sel

    def rows(self, where: np.ndarray) -> np.ndarray:
        """The rows at these indices (in the search's order) as uint64."""
        rows = self.store.outward(self.packed.unpack(where, self.store.fps, self.ids(where)))
        if self.store.derive is not None:
            self.store.derive(rows)
        return rows

    def ids(self, where: np.ndarray) -> np.ndarray:
        """The state ids of the rows at these indices (in the search's order)."""
        return self.base + (where if self.sel is None else self.sel[where])


class Store:
    """Visited states: fingerprint per state id in memory, a table of ids by fingerprint, parent ids
    in an anonymous temporary file (raw uint32, one level appended at a time; only the level being
    stored keeps them in memory), and the packed rows of the level being stored (columns from
    `shared_from` on in the level's dictionary, but the last `tail` ones, each row's own (orbit lanes);
    `fp_col`: the fingerprint column, not stored). Inside, a row's tail comes before its shared columns
    (`inward`, `outward`). With `derive` (the core's: it writes a row's tail, and its `derived` columns
    (before `shared_from`), from its other columns, in place, rows in the core's column order) those are not
    stored: a level's rows are read back through it."""

    def __init__(self, words: int, fp_col: int | None = None, shared_from: int | None = None, tail: int = 0,
                 derive: Callable[[np.ndarray], None] | None = None, derived: tuple[int, ...] = ()) -> None:
        self.words = words
        self.fp_col = fp_col
        self.shared_from = shared_from
        self.tail = tail
        self.derive = derive if tail or derived else None
        self.derived = tuple(derived) if derive is not None else ()
        assert all(c < (shared_from if shared_from is not None else words - tail) for c in self.derived)
        self.count = 0
        self.table = np.zeros(1 << 10, dtype=np.uint32)  # id + 1 per slot, 0 = empty
        self.fps = np.empty(1 << 24, dtype=np.uint64)  # reserved, written as states come
        self.parents = np.empty(1 << 16, dtype=np.uint32)  # of ids level_start.. (the level being stored)
        self.nxt = self._packed(np.zeros(self._lo(words) + (self._lo(words) < words), dtype=np.int64))
        self.file = tempfile.TemporaryFile(prefix="paxos-check-parents-", buffering=0)
        self.on_disk = 0  # ids whose parents are in the file
        self.repacks = 0

    def _shared(self, words: int) -> bool:
        return self.shared_from is not None and self.shared_from < words - self.tail

    def _lo(self, words: int) -> int:
        """The columns of a row (inside) before its dictionary index."""
        return self.shared_from + self.tail if self.shared_from is not None and self._shared(words) else words

    def _perm(self, words: int) -> np.ndarray | None:
        """Inside column i holds column perm[i] of the core's rows (None: the same)."""
        if not self.tail or not self._shared(words):
            return None
        lo, end = int(self.shared_from or 0), words - self.tail
        return np.concatenate([np.arange(lo), np.arange(end, words), np.arange(lo, end)])

    def inward(self, rows: np.ndarray) -> np.ndarray:
        """The core's rows in the store's column order."""
        perm = self._perm(rows.shape[1])
        return rows if perm is None else rows[:, perm]

    def outward(self, rows: np.ndarray) -> np.ndarray:
        """Rows in the store's column order back in the core's."""
        perm = self._perm(rows.shape[1])
        if perm is None:
            return rows
        out = np.empty_like(rows)
        out[:, perm] = rows
        return out

    def _packed(self, size: np.ndarray, rows: int = _LEVEL_ROWS) -> Packed:
        """An empty packing of rows of `self.words` columns with virtual column sizes `size`."""
        size = size.astype(np.int64)
        if self.fp_col is not None:
            size[self.fp_col] = FP
        if self.derive is not None:  # the tail, inside: after the columns before `shared_from`, or last
            first = self.shared_from if self._perm(self.words) is not None else self.words - self.tail
            size[int(first or 0):int(first or 0) + self.tail] = DERIVED
            size[list(self.derived)] = DERIVED  # before `shared_from`: the same place inside
        return Packed(size, self.words, self._lo(self.words), rows)

    def reserve(self, level_start: int, more: int) -> None:
        """Room for `more` candidates."""
        need = self.count + more
        if need > len(self.fps):
            fps = np.empty(max(need, 2 * len(self.fps)), dtype=np.uint64)
            fps[: self.count] = self.fps[: self.count]
            self.fps = fps
        if need > _MAX_LOAD * len(self.table):
            size = int(need / _GROWN_LOAD) + 1
            self.table = np.zeros(0, dtype=np.uint32)  # free the old table before the new one is made
            self.table = np.zeros(size, dtype=np.uint32)
            _rehash(self.table, self.fps, self.count)
        rows = need - level_start
        if rows > len(self.parents):
            parents = np.empty(max(rows, 2 * len(self.parents)), dtype=np.uint32)
            parents[: self.count - level_start] = self.parents[: self.count - level_start]
            self.parents = parents
        if rows > self.nxt.capacity:
            self.nxt = self.nxt.grown(max(rows, 2 * self.nxt.capacity), self.count - level_start)
        self.nxt.reserve(more)

    def insert(self, level_start: int, fps: np.ndarray, parents: np.ndarray, rows: np.ndarray,
               members: bool = False) -> None:
        """Store the candidates not seen before; one already new in this level keeps its largest-fingerprint
        parent, and with `members` (fingerprints of orbits) the row that came with that parent."""
        self.reserve(level_start, len(fps))
        fps = np.ascontiguousarray(fps, dtype=np.uint64)
        parents = np.ascontiguousarray(parents, dtype=np.int64)
        rows = self.inward(rows)
        j = 0
        while True:
            p = self.nxt
            a1, a2, a4, a8 = p.arrays
            self.count, j = _insert(self.table, self.fps, self.parents, self.count, level_start, fps, parents, rows,
                                    j, p.lo, p.limit, p.kind, p.at, a1, a2, a4, a8, p.dkeys, p.dtable, p.dcount,
                                    members)
            if j == len(fps):
                return
            size = p.size.copy()  # rows[j] outgrew its packing: wider columns for the level stored so far
            _column_sizes(p.virtual(rows[j])[None], size)
            self._repack(level_start, size, lambda r: r)
            self.nxt.reserve(len(fps) - j)

    def widen(self, level_start: int, words: int, widen: Callable[[np.ndarray], np.ndarray]) -> None:
        """Rows of the level being stored made `words` wide by `widen` (the core's rows grew)."""
        n = self.count - level_start
        lo = self._lo(words)

        def convert(rows: np.ndarray) -> np.ndarray:  # inside, old width -> inside, new width
            return self.inward(widen(self.outward(rows)))

        size = np.zeros(lo + (lo < words), dtype=np.int64)
        for start in range(0, n, _CHUNK):  # the sizes the widened rows need (a dictionary index: below n)
            _column_sizes(convert(self._unpacked(level_start, start, min(n, start + _CHUNK)))[:, :lo], size[:lo])
        self.words = words
        self._repack(level_start, size, convert)

    def _unpacked(self, level_start: int, start: int, end: int) -> np.ndarray:
        pos = np.arange(start, end, dtype=np.int64)
        return self.nxt.unpack(pos, self.fps, level_start + pos)

    def _repack(self, level_start: int, size: np.ndarray, convert: Callable[[np.ndarray], np.ndarray]) -> None:
        """The level's rows so far repacked with virtual column sizes `size` (after `convert`), in a new
        dictionary."""
        n = self.count - level_start
        if len(size) > self._lo(self.words):  # the dictionary index of a row: below n
            size[-1] = max(size[-1], _size_of(np.uint64(n)))
        new = self._packed(size, max(_LEVEL_ROWS, self.nxt.capacity))
        for start in range(0, n, _CHUNK):
            new.pack(convert(self._unpacked(level_start, start, min(n, start + _CHUNK))), start)
        self.nxt = new
        self.repacks += 1

    def take(self, level_start: int) -> Level:
        """The level stored since `level_start` (ids level_start..count-1); their parents are final now
        and go to the file; the next level is packed as this one ends, in a fresh reservation."""
        n = self.count - level_start
        self.file.write(self.parents[:n].astype("<u4").tobytes())
        self.on_disk = self.count
        level = Level(self.nxt.view(n), level_start, n, self)
        self.nxt = self._packed(self.nxt.size)
        return level

    def find(self, fp: int) -> int:
        """The id of the stored state with this fingerprint (it must be stored)."""
        sid = int(_find(self.table, self.fps, np.uint64(fp)))
        if sid < 0:
            raise ValueError(f"no stored state has fingerprint {fp:#x}")
        return sid

    def parent(self, sid: int) -> int:
        if sid >= self.on_disk:
            raise ValueError(f"state {sid} has not been stored yet")
        raw = os.pread(self.file.fileno(), 4, 4 * sid)
        return int(np.frombuffer(raw, dtype="<u4")[0])

    def chain(self, sid: int) -> list[int]:
        ids = [sid]
        while self.parent(ids[-1]) != ids[-1]:
            ids.append(self.parent(ids[-1]))
        return [int(self.fps[i]) for i in reversed(ids)]

    def parent_ids(self, lo: int, hi: int) -> np.ndarray:
        """The parent ids of states lo..hi-1 (stored levels: their parents are in the file)."""
        if hi > self.on_disk:
            raise ValueError(f"states up to {hi} have not all been stored yet")
        raw = os.pread(self.file.fileno(), 4 * (hi - lo), 4 * lo)
        return np.frombuffer(raw, dtype="<u4").astype(np.int64)

    def restore(self, fps: np.ndarray, n: int, parents: np.ndarray) -> bool:
        """An empty store given whole levels back (a checkpoint's: flat_checkpoint.py): states 0..n-1 with the
        fingerprints fps[:n] (the array is kept: room for more) and these parent ids; the next level is stored
        from id n on. False if two of them have one fingerprint (nothing else is checked)."""
        assert self.count == 0 and len(parents) == n <= len(fps)
        self.fps = fps
        if n > _MAX_LOAD * len(self.table):
            self.table = np.zeros(int(n / _GROWN_LOAD) + 1, dtype=np.uint32)
        self.count = self.on_disk = n
        _rehash(self.table, self.fps, self.count)
        self.file.write(np.ascontiguousarray(parents, dtype="<u4").tobytes())
        return bool(_distinct(self.table, self.fps, n))

    def close(self) -> None:
        self.file.close()

    @property
    def nbytes(self) -> int:
        """Bytes per stored state in memory (the table and fingerprints; parents are on disk)."""
        return int(self.table.nbytes) + 8 * self.count
