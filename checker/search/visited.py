"""Compact visited-state storage: 64-bit fingerprints in sorted numpy arrays, not Python objects.

`ParentStore` (BFS) keeps each state's fingerprint and its BFS parent's fingerprint, 16 bytes
per state, enough to rebuild a counterexample. `FingerprintSet` (DFS, walks) keeps 8 bytes
per state plus a small insertion buffer. Neither knows about models or properties.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from checker.fingerprint import FpArray

_EMPTY: FpArray = np.zeros(0, dtype=np.uint64)


def collision_probability(distinct: int, generated: int) -> float:
    """TLC's "calculated (optimistic)" fingerprint collision estimate: d * (g - d) / 2**64.

    `distinct` fingerprints stored, `generated` states produced (initial states plus transitions).
    """
    return float(distinct) * float(max(0, generated - distinct)) / float(2**64)


def _member(sorted_fps: FpArray, fps: FpArray) -> npt.NDArray[np.bool_]:
    if len(sorted_fps) == 0 or len(fps) == 0:
        return np.zeros(len(fps), dtype=bool)
    idx = np.searchsorted(sorted_fps, fps)
    idx[idx == len(sorted_fps)] = 0
    found: npt.NDArray[np.bool_] = sorted_fps[idx] == fps
    return found


class ParentStore:
    """Sorted fingerprints with their BFS parent fingerprints (a root is its own parent).

    A BFS adds one whole level at a time (`add`), so merging is a linear insert into the
    sorted arrays; lookups are vectorised binary searches.
    """

    def __init__(self) -> None:
        self._fps: FpArray = _EMPTY
        self._parents: FpArray = _EMPTY

    def __len__(self) -> int:
        return len(self._fps)

    @property
    def nbytes(self) -> int:
        """Bytes held by the stored arrays."""
        return int(self._fps.nbytes + self._parents.nbytes)

    def contains(self, fps: FpArray) -> npt.NDArray[np.bool_]:
        """For each fingerprint: is it stored?"""
        return _member(self._fps, fps)

    def add(self, fps: FpArray, parents: FpArray) -> None:
        """Store new, distinct, not-yet-stored fingerprints with their parents."""
        if len(fps) == 0:
            return
        order = np.argsort(fps, kind="stable")
        fps = fps[order]
        parents = parents[order]
        if len(self._fps) == 0:
            self._fps, self._parents = fps.copy(), parents.copy()
            return
        where = np.searchsorted(self._fps, fps)
        self._fps = np.insert(self._fps, where, fps)
        self._parents = np.insert(self._parents, where, parents)

    def parent(self, fp: int) -> int | None:
        """The parent fingerprint of a stored fingerprint (itself for a root), None if absent."""
        i = int(np.searchsorted(self._fps, np.uint64(fp)))
        if i < len(self._fps) and int(self._fps[i]) == fp:
            return int(self._parents[i])
        return None

    def chain(self, fp: int) -> list[int]:
        """Fingerprints from a root down to `fp` by following parents."""
        out = [fp]
        seen = {fp}
        while True:
            p = self.parent(out[-1])
            if p is None:
                raise KeyError(f"fingerprint {fp:016x} has no stored ancestry")
            if p == out[-1]:
                break
            if p in seen:
                raise RuntimeError("parent pointers form a cycle (fingerprint collision?)")
            seen.add(p)
            out.append(p)
        out.reverse()
        return out


class FingerprintSet:
    """A set of 64-bit fingerprints for one-at-a-time insertion (DFS, random walks).

    New fingerprints go into a Python set; when it reaches `buffer` entries it is merged
    into a sorted numpy array, so the steady cost is 8 bytes per stored state.
    """

    def __init__(self, buffer: int = 1 << 18) -> None:
        self._sorted: FpArray = _EMPTY
        self._recent: set[int] = set()
        self._buffer = buffer

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    @property
    def nbytes(self) -> int:
        """Bytes of the sorted array (the buffer is bounded and not counted per state)."""
        return int(self._sorted.nbytes)

    def __contains__(self, fp: int) -> bool:
        if fp in self._recent:
            return True
        s = self._sorted
        if len(s) == 0:
            return False
        i = int(s.searchsorted(np.uint64(fp)))
        return i < len(s) and int(s[i]) == fp

    def add(self, fp: int) -> bool:
        """Insert; True if it was new."""
        if fp in self:
            return False
        self._recent.add(fp)
        if len(self._recent) >= self._buffer:
            self.flush()
        return True

    def flush(self) -> None:
        """Merge the buffer into the sorted array."""
        if not self._recent:
            return
        new = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
        new.sort()
        self._sorted = np.insert(self._sorted, np.searchsorted(self._sorted, new), new)
        self._recent = set()

    def to_array(self) -> FpArray:
        """All fingerprints, sorted."""
        self.flush()
        return self._sorted

    def update(self, fps: Iterable[int]) -> None:
        for fp in fps:
            self.add(fp)
