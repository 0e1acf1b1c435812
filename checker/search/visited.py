"""Compact visited-state storage: 64-bit fingerprints in sorted numpy arrays, not Python objects.

`ParentStore` keeps each state's fingerprint and its BFS parent's fingerprint in memory, 16 bytes
per state, enough to rebuild a counterexample. `LevelStore` (the BFS's) keeps the same 16 bytes
per state but only the 8 of the fingerprint in memory: parents go to one file per level on disk,
read back only to rebuild a path (and by a checkpoint). `FingerprintSet` (DFS, walks) keeps 8
bytes per state plus a small insertion buffer. None knows about models or properties.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt

from checker.fingerprint import FpArray
from paxos import atomic_write_bytes

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
        return _chain(self.parent, fp)


def sorted_level(fps: FpArray, parents: FpArray) -> tuple[FpArray, FpArray]:
    """A level's fingerprints in ascending order and their parents in the same order (as its files hold them)."""
    order = np.argsort(fps, kind="stable")
    return (np.ascontiguousarray(fps[order], dtype=np.uint64), np.ascontiguousarray(parents[order], dtype=np.uint64))


def write_level_file(path: str, arr: FpArray) -> str:
    """One level file of a checkpoint (little-endian uint64), durable before a checkpoint names it; its SHA-256."""
    raw = np.ascontiguousarray(arr, dtype="<u8").tobytes()
    atomic_write_bytes(path, raw)
    return hashlib.sha256(raw).hexdigest()


class LevelStore:
    """Visited fingerprints in one sorted array in memory; each level's (fingerprints, parents) in files.

    `add` takes one whole BFS level: its fingerprints are written, sorted, to `<prefix>-L<k>.fps`
    and their parents, aligned, to `<prefix>-L<k>.par` in `directory` (a temporary one if None),
    and merged into the in-memory array in place (the array grows by `realloc`, which moves pages
    rather than copying them, and a stable sort of two sorted runs is one linear merge needing a
    buffer the size of the new level only), so memory stays at 8 bytes per state with no
    doubling spike at the end. A parent is looked up by binary search in the memory-mapped level
    files (a few pages each). Files of level k are never rewritten once level k+1 exists, which
    is what makes a checkpoint of a BFS cheap (checker/search/checkpoint.py).
    """

    def __init__(self, directory: str | None = None, prefix: str = "p0") -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None  # made at the first level (none if none)
        self._given = directory
        self.prefix = prefix
        self._buf: FpArray = np.zeros(1024, dtype=np.uint64)
        self._n = 0
        self.sizes: list[int] = []  # states per stored level, in order
        self.digests: list[str] = []  # SHA-256 of each level file as written (a checkpoint's), in level_files order

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes per stored state times states: 8 in memory (fingerprint) and 8 on disk (parent)."""
        return 16 * self._n

    @property
    def directory(self) -> str:
        """Where the level files are: the given directory, else a temporary one made on first use."""
        if self._given is not None:
            os.makedirs(self._given, exist_ok=True)
            return self._given
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="paxos-check-levels-")
        return self._tmp.name

    def _path(self, level: int, ext: str) -> str:
        return os.path.join(self.directory, f"{self.prefix}-L{level}.{ext}")

    def level_files(self) -> list[str]:
        """The file names (no directory) of every stored level, fingerprints then parents."""
        return [os.path.basename(self._path(k, e)) for k in range(len(self.sizes)) for e in ("fps", "par")]

    def contains(self, fps: FpArray) -> npt.NDArray[np.bool_]:
        """For each fingerprint: is it stored?"""
        return _member(self._buf[: self._n], fps)

    def add(self, fps: FpArray, parents: FpArray) -> None:
        """Store one level: new, distinct, not-yet-stored fingerprints with their parents."""
        fps, parents = sorted_level(fps, parents)
        level = len(self.sizes)
        for ext, arr in (("fps", fps), ("par", parents)):
            if self._given is None:  # scratch files of this run only
                arr.tofile(self._path(level, ext))
            else:  # a checkpoint's: durable before a checkpoint can name them
                self.digests.append(write_level_file(self._path(level, ext), arr))
        self._merge(fps)
        self.sizes.append(len(fps))

    def _merge(self, fps: FpArray) -> None:
        need = self._n + len(fps)
        if need > len(self._buf):
            self._buf.resize(max(need, len(self._buf) + len(self._buf) // 4), refcheck=False)
        self._buf[self._n : need] = fps
        self._buf[:need].sort(kind="stable")  # timsort: two sorted runs, one merge
        self._n = need

    def restore(self, sizes: Sequence[int], digests: Sequence[str] = ()) -> None:
        """Read back the levels a checkpoint recorded (their files are in `directory`; their checksums
        were checked by checkpoint.verify_checkpoint)."""
        self._n = 0
        self.sizes = []
        self.digests = list(digests)
        for level, size in enumerate(sizes):
            fps = np.fromfile(self._path(level, "fps"), dtype=np.uint64)
            if len(fps) != size:
                raise ValueError(f"{self._path(level, 'fps')} holds {len(fps)} fingerprints, "
                                 f"the checkpoint says {size}")
            self._merge(fps)
            self.sizes.append(size)

    def parent(self, fp: int) -> int | None:
        """The parent fingerprint of a stored fingerprint (itself for a root), None if absent."""
        key = np.uint64(fp)
        for level in range(len(self.sizes) - 1, -1, -1):
            if not self.sizes[level]:
                continue
            run = np.memmap(self._path(level, "fps"), dtype=np.uint64, mode="r")
            i = int(np.searchsorted(run, key))
            found = i < len(run) and int(run[i]) == fp
            del run
            if found:
                par = np.memmap(self._path(level, "par"), dtype=np.uint64, mode="r")
                out = int(par[i])
                del par
                return out
        return None

    def chain(self, fp: int) -> list[int]:
        """Fingerprints from a root down to `fp` by following parents."""
        return _chain(self.parent, fp)

    def close(self) -> None:
        """Remove the level files if they live in a temporary directory (a checkpoint's stay)."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _chain(parent: Callable[[int], int | None], fp: int) -> list[int]:
    out = [fp]
    seen = {fp}
    while True:
        p = parent(out[-1])
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
