"""The compiled BFS's store (checker/search/flat_store.py): rows packed column by column come back as
they went in, whatever their values grow to mid-level (a repack), when the rows widen, with the
fingerprint column kept apart; duplicates keep their largest-fingerprint parent; `find` finds.
"""

from __future__ import annotations

import numpy as np
import pytest

from checker.search.flat_store import Store

pytest.importorskip("numba")

FP_COL = 2
_made = [0]  # fingerprints handed out so far


def _rows(rng: np.random.Generator, n: int, width: int, top: int) -> tuple[np.ndarray, np.ndarray]:
    """n rows of `width` columns with values below 2**top (column FP_COL: a distinct fingerprint)."""
    rows = rng.integers(0, 1 << min(top, 62), size=(n, width), dtype=np.int64).astype(np.uint64)
    rows[:, 0] = 0  # a column that stays zero takes no bytes
    if top >= 64:
        rows[:, 1] |= np.uint64(1 << 63)
    _made[0] += n
    fps = np.arange(_made[0] - n + 1, _made[0] + 1, dtype=np.uint64)
    fps = fps * np.uint64(0x9E3779B97F4A7C15)  # distinct (an odd factor), spread over the bits the table's slots read
    rows[:, FP_COL] = fps
    return rows, fps


def _level_rows(store: Store, level_start: int) -> np.ndarray:
    level = store.take(level_start)
    return level.rows(np.arange(len(level), dtype=np.int64))


@pytest.mark.parametrize("shared_from", [None, 4])
def test_rows_come_back_as_stored_while_their_columns_grow(shared_from: int | None) -> None:
    rng = np.random.default_rng(7)
    store = Store(6, fp_col=FP_COL, shared_from=shared_from)
    roots, rfps = _rows(rng, 3, 6, 1)
    store.insert(0, rfps, np.arange(3), roots)
    assert (_level_rows(store, 0) == roots).all()
    parts = [_rows(rng, 500, 6, top) for top in (4, 9, 17, 33, 64)]  # each batch outgrows the packing so far
    for rows, fps in parts:
        store.insert(3, fps, np.zeros(len(fps), dtype=np.int64), rows)
    assert store.repacks >= 4
    if shared_from is None:
        assert store.nxt.row_bytes == 8 * 4  # 8 bytes for each column but the zero one and the fingerprint
    else:  # columns 1 and 3, and the index of columns 4 and 5 in the level's dictionary (2,500 of them)
        assert store.nxt.row_bytes == 8 * 2 + 2
    want = np.concatenate([r for r, _ in parts])
    assert (_level_rows(store, 3) == want).all()
    assert [store.parent(i) for i in (3, 2002)] == [0, 0]
    assert store.find(int(want[1234, FP_COL])) == 3 + 1234


@pytest.mark.parametrize("shared_from", [None, 3])
def test_duplicates_keep_the_parent_of_largest_fingerprint(shared_from: int | None) -> None:
    rng = np.random.default_rng(3)
    store = Store(4, fp_col=FP_COL, shared_from=shared_from)
    roots, rfps = _rows(rng, 4, 4, 8)
    store.insert(0, rfps, np.arange(4), roots)
    store.take(0)
    best = int(np.argmax(rfps))
    child, cfp = _rows(rng, 1, 4, 8)
    for parent in range(4):
        store.insert(4, cfp, np.array([parent]), child)
    assert store.count == 5
    store.take(4)
    assert store.parent(4) == best


@pytest.mark.parametrize("shared_from", [None, 3])
def test_rows_widened_mid_level_keep_their_values(shared_from: int | None) -> None:
    rng = np.random.default_rng(5)
    store = Store(5, fp_col=FP_COL, shared_from=shared_from)
    rows, fps = _rows(rng, 300, 5, 20)

    def widen(r: np.ndarray) -> np.ndarray:  # two zero columns inserted after column 3
        return np.concatenate([r[:, :4], np.zeros((len(r), 2), dtype=np.uint64), r[:, 4:]], axis=1)

    store.insert(0, fps[:100], np.arange(100), rows[:100])
    store.widen(0, 7, widen)
    more, mfps = _rows(rng, 50, 7, 30)
    more[:, FP_COL] = fps[100:150]
    store.insert(0, mfps[:0], np.arange(0), more[:0])
    store.insert(0, fps[100:150], np.arange(50), more)
    got = _level_rows(store, 0)
    assert got.shape == (150, 7)
    assert (got[:100] == widen(rows[:100])).all()
    assert (got[100:] == more).all()


def test_a_level_keeps_each_shared_value_once() -> None:
    """Rows that share their columns from `shared_from` on keep them once in the level's dictionary."""
    rng = np.random.default_rng(11)
    store = Store(8, fp_col=FP_COL, shared_from=4)
    rows, fps = _rows(rng, 2000, 8, 40)
    nets = _rows(rng, 7, 8, 64)[0][:, 4:]
    rows[:, 4:] = nets[rng.integers(0, 7, size=2000)]
    store.insert(0, fps, np.arange(2000), rows)
    assert int(store.nxt.dcount[0]) == 7
    assert store.nxt.row_bytes == 8 * 2 + 1  # columns 1 and 3 (40 bits), the index; not the four shared ones
    assert (_level_rows(store, 0) == rows).all()


@pytest.mark.parametrize("shared_from", [None, 3])
def test_a_tail_of_own_columns_and_members_replacing_rows(shared_from: int | None) -> None:
    """Rows with a `tail` (the orbit lanes under symmetry: each row's own, not in the dictionary) come back as
    they went in, also across a widening; with `members` a duplicate reached from a larger-fingerprint parent
    replaces the row stored (its packing grown if it must), one from a smaller parent does not."""
    rng = np.random.default_rng(11)
    store = Store(7, fp_col=None, shared_from=shared_from, tail=2)
    roots, rfps = _rows(rng, 4, 7, 8)
    store.insert(0, rfps, np.arange(4), roots)
    assert (_level_rows(store, 0) == roots).all()
    small, fps = _rows(rng, 300, 7, 6)
    small[:, 3:5] = small[:10, 3:5][np.arange(300) % 10]  # shared columns: 10 distinct values
    low = np.argmin(rfps)
    high = np.argmax(rfps)
    store.insert(4, fps, np.full(300, low), small)
    if shared_from is not None:  # the two tail columns stored per row, the shared ones once per value
        assert int(store.nxt.dcount[0]) == 10
    big = small[:50].copy()
    big[:, 5:] = np.uint64(1 << 40)  # another tail, wider than the packing so far
    big[:, 0] = np.uint64(7)
    store.insert(4, fps[:50], np.full(50, high), big, members=True)  # a larger parent: replaced
    again = small[50:60].copy()
    again[:, 5:] = np.uint64(3)
    mid = next(i for i in range(4) if i not in (low, high))
    store.insert(4, fps[50:60], np.full(10, mid), again, members=True)  # replaces only a smaller parent's
    none = np.zeros((0, 9), dtype=np.uint64)  # an insert at the new width

    def widen(rows: np.ndarray) -> np.ndarray:  # two more shared columns, zero, before the tail
        out = np.zeros((len(rows), 9), dtype=np.uint64)
        out[:, :5], out[:, 7:] = rows[:, :5], rows[:, 5:]
        return out

    store.widen(4, 9, widen)
    store.insert(4, fps[:0], np.zeros(0, dtype=np.int64), none)
    want = small.copy()
    want[:50] = big
    want[50:60] = again if rfps[mid] > rfps[low] else small[50:60]
    got = _level_rows(store, 4)
    assert (got == widen(want)).all()
    assert [store.parent(4 + i) for i in (0, 55, 100)] == [high, mid if rfps[mid] > rfps[low] else low, low]


@pytest.mark.parametrize("shared_from", [None, 3])
def test_a_derived_tail_is_not_stored_and_is_written_back_when_rows_are_read(shared_from: int | None) -> None:
    """With `derive` (the implementation core's: the orbit lanes and the own fingerprint follow from a row's other
    columns) the tail and the `derived` columns are not packed at all, and rows read back get them from the hook:
    the same rows as a store keeping them, in fewer bytes a row, also after a widening and a member replacing a
    row."""
    mix = np.uint64(0x9E3779B97F4A7C15)

    def derive(rows: np.ndarray) -> None:  # column 1 and a tail of two columns: functions of columns 2 and 3
        rows[:, 1] = rows[:, 2] ^ (rows[:, 3] * mix)
        rows[:, -2] = rows[:, 1] * mix + rows[:, 3]
        rows[:, -1] = rows[:, 1] ^ (rows[:, 3] * mix)

    rng = np.random.default_rng(13)
    stores = [Store(7, fp_col=None, shared_from=shared_from, tail=2, derive=d, derived=(1,)) for d in (None, derive)]
    roots, rfps = _rows(rng, 4, 7, 8)
    rows, fps = _rows(rng, 400, 7, 12)
    derive(roots), derive(rows)
    again = rows[:40].copy()
    again[:, 3] += np.uint64(1)  # another member of the same orbits (fingerprints), from a larger parent
    derive(again)

    def widen(r: np.ndarray) -> np.ndarray:  # two more zero columns before the tail
        out = np.zeros((len(r), 9), dtype=np.uint64)
        out[:, :5], out[:, 7:] = r[:, :5], r[:, 5:]
        return out

    got = []
    for store in stores:
        store.insert(0, rfps, np.arange(4), roots)
        assert (_level_rows(store, 0) == roots).all()
        store.insert(4, fps, np.full(400, int(np.argmin(rfps))), rows)
        store.insert(4, fps[:40], np.full(40, int(np.argmax(rfps))), again, members=True)
        store.widen(4, 9, widen)
        got.append((store.nxt.row_bytes, _level_rows(store, 4)))
    want = rows.copy()
    want[:40] = again
    assert (got[0][1] == widen(want)).all() and (got[1][1] == widen(want)).all()
    assert got[1][0] == got[0][0] - 3 * 8  # column 1 and the tail's two, 8 bytes each, are not stored
