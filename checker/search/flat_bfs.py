"""The compiled breadth-first search: one process, states as rows of 64-bit limbs, a jitted visited set.

Owns the level loop of `--engine compiled` for a model with a `flat_core()` hook (the Spec model:
checker/models/spec_core.py gives successors, fingerprints and invariant bits of a batch of rows; the
implementation model: checker/models/impl_core.py, which also reports step properties, may widen its
rows as the run goes, and wants each level expanded and checked in fingerprint order)
and the open-addressing visited table (uint32 ids into per-state fingerprint and parent arrays:
about 20 bytes per state). It gives the same results as bfs.py's partitions: each state's parent is
its largest-fingerprint parent, each level is checked in fingerprint order, and the first
violation of a property is the smallest fingerprint of the shallowest level, so paths (rebuilt by
replaying fingerprints) are identical; a step property's first violation is the first in that order (least
parent fingerprint, then the parent's first such transition), as a partition reports it. Under
`--symmetry` (a model with orbit fingerprints, whose core gives them) it stores orbit fingerprints and
keeps, of each orbit, the member a partition keeps (`_one_per_orbit`). It must not
choose the engine (bfs.py does) nor know a model.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

import numpy as np

from checker.jit import njit
from checker.model import Model, capabilities
from checker.search.common import (
    Clock,
    SearchOptions,
    SearchResult,
    StopReason,
    Verdicts,
    aggregate_coverage,
    extend_step,
    limit_reached,
    orbit_fingerprints,
    peak_rss_mb,
    replay_fingerprints,
)
from checker.search.visited import collision_probability

_CHUNK = 8192  # frontier rows expanded per call of the core


def refusal(model: Model, opts: SearchOptions) -> str | None:
    """Why this engine cannot run the search `opts` asks for on `model` (bfs.py's partitions run it
    then), or None when it can. Cheap: builds no core. The words follow "the compiled engine does not
    apply: "."""
    hook = getattr(model, "flat_core", None)
    if hook is None:
        return "this model has no compiled core"
    if getattr(hook, "__self__", model) is not model:  # e.g. hash_order.MarkedModel: its own properties, expand
        return "a model wrapping another"
    for refused, why in ((opts.engine != "compiled", "--engine python"),
                         (opts.cluster is not None, "--cluster (the compiled engine runs in one process)"),
                         (opts.workers != 1, f"--workers {opts.workers} (the compiled engine runs in one process)"),
                         (opts.symmetry and capabilities(model).orbit_keyed is None, "--symmetry"),
                         (opts.checkpoint is not None or opts.resume, "--checkpoint"),
                         (opts.on_transition is not None, "every transition is recorded (--graph)")):
        if refused:
            return why
    orbit_fingerprints(model, opts.symmetry)  # under symmetry: keys carry orbit changes before a core is made
    why_not = getattr(model, "flat_core_refusal", None)
    return why_not() if why_not is not None else None


def core_for(model: Model, opts: SearchOptions) -> tuple[Any, str | None]:
    """(the model's compiled core, None) if this engine runs the search, else (None, why not)."""
    why = refusal(model, opts)
    if why is not None:
        return None, why
    core = model.flat_core()  # type: ignore[attr-defined]
    if core is None:
        return None, "its compiled core refuses this model"
    if bool(getattr(core, "symmetric", False)) != opts.symmetry:
        return None, "orbit keys on without --symmetry" if opts.symmetry is False else "--symmetry"
    return core, None


def applies(model: Model, opts: SearchOptions) -> bool:
    """Whether this engine can run the search `opts` asks for (else bfs.py's partitions run it)."""
    return core_for(model, opts)[0] is not None


_FIBONACCI = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, odd


@njit
def _slot(fp: Any, size: Any) -> Any:
    """The home slot of a fingerprint in a table of `size` (< 2**32) slots: the top 32 bits of its Fibonacci
    hash, scaled. (Not the fingerprint's own top bits: an orbit fingerprint is the least of several, so its
    top bits crowd towards 0, and linear probing would crawl.)"""
    return np.int64((((fp * _FIBONACCI) >> np.uint64(32)) * size) >> np.uint64(32))


@njit
def _insert(table: Any, fps_of: Any, parent_of: Any, count: int, level_start: int, cand_fps: Any,
            cand_parents: Any, cand_rows: Any, nxt: Any, members: bool) -> int:
    """Store each candidate not seen before (id = count; its parent and row at id - level_start of
    `parent_of` and `nxt`); a candidate already new in this level keeps its largest-fingerprint
    parent (and with `members`, an orbit the row that came with it). Returns the new count."""
    size = np.int64(table.shape[0])
    usize = np.uint64(size)
    for j in range(cand_fps.shape[0]):
        fp = cand_fps[j]
        pid = cand_parents[j]
        slot = _slot(fp, usize)
        while True:
            e = table[slot]
            if e == 0:
                table[slot] = np.uint32(count + 1)
                fps_of[count] = fp
                parent_of[count - level_start] = pid
                nxt[count - level_start, :] = cand_rows[j]
                count += 1
                break
            sid = np.int64(e) - 1
            if fps_of[sid] == fp:
                if sid >= level_start and fps_of[pid] > fps_of[parent_of[sid - level_start]]:
                    parent_of[sid - level_start] = pid
                    if members:
                        nxt[sid - level_start, :] = cand_rows[j]
                break
            slot += 1
            if slot == size:
                slot = 0
    return count


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


#: The visited table grows when this full, to this load: 4 / 0.6..0.7 bytes per state, short probes.
_MAX_LOAD, _GROWN_LOAD = 0.7, 0.6
#: Rows reserved for one level (virtual memory: np.empty pages cost memory only once written).
_LEVEL_ROWS = 1 << 24


class _Store:
    """Visited states: fingerprint per state id in memory, a table of ids by fingerprint, parent ids
    in an anonymous temporary file (raw uint32, one level appended at a time; only the level being
    stored keeps them in memory), and the rows of the level being stored (`nxt`)."""

    def __init__(self, words: int) -> None:
        self.words = words
        self.count = 0
        self.table = np.zeros(1 << 10, dtype=np.uint32)  # id + 1 per slot, 0 = empty
        self.fps = np.empty(1 << 24, dtype=np.uint64)  # reserved, written as states come
        self.parents = np.empty(1 << 16, dtype=np.uint32)  # of ids level_start.. (the level being stored)
        self.nxt = np.empty((_LEVEL_ROWS, words), dtype=np.uint64)
        self.file = tempfile.TemporaryFile(prefix="paxos-check-parents-", buffering=0)
        self.on_disk = 0  # ids whose parents are in the file

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
        for name in ("parents", "nxt"):
            old = getattr(self, name)
            if rows > len(old):
                new = np.empty((max(rows, 2 * len(old)), *old.shape[1:]), dtype=old.dtype)
                new[: self.count - level_start] = old[: self.count - level_start]
                setattr(self, name, new)

    def insert(self, level_start: int, fps: np.ndarray, parents: np.ndarray, rows: np.ndarray,
               members: bool = False) -> None:
        self.reserve(level_start, len(fps))
        self.count = _insert(self.table, self.fps, self.parents, self.count, level_start, fps, parents, rows,
                             self.nxt, members)

    def widen(self, level_start: int, words: int, widen: Any) -> None:
        """Rows of the level being stored made `words` wide by `widen` (the core's rows grew)."""
        n = self.count - level_start
        nxt = np.empty((max(_LEVEL_ROWS, len(self.nxt)), words), dtype=np.uint64)
        nxt[:n] = widen(self.nxt[:n])
        self.nxt, self.words = nxt, words

    def take(self, level_start: int) -> np.ndarray:
        """The rows stored since `level_start` (ids level_start..count-1); their parents are final now
        and go to the file; the next level's rows go to a fresh reservation."""
        n = self.count - level_start
        self.file.write(self.parents[:n].astype("<u4").tobytes())
        self.on_disk = self.count
        rows = self.nxt[:n]
        self.nxt = np.empty((_LEVEL_ROWS, self.words), dtype=np.uint64)
        return rows

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

    def close(self) -> None:
        self.file.close()

    @property
    def nbytes(self) -> int:
        """Bytes per stored state in memory (the table and fingerprints; parents are on disk)."""
        return int(self.table.nbytes) + 8 * self.count


def _fixed_mmap_threshold() -> None:
    """glibc raises its mmap threshold each time a large block is freed, after which the per-batch
    arrays come from the heap and fragment it (about 30 MB on Spec 3/4/2); a fixed threshold keeps
    them in mmap blocks, returned to the system when freed. Elsewhere this does nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 18)  # M_MMAP_THRESHOLD = 256 KiB
    except (OSError, AttributeError):
        pass


def flat_bfs(model: Model, opts: SearchOptions, core: Any = None) -> SearchResult:
    """`bfs(model, opts)` on the model's compiled core (`core`, else made here); see the module docstring."""
    _fixed_mmap_threshold()
    core = core if core is not None else model.flat_core()  # type: ignore[attr-defined]
    if core is None:
        raise ValueError("this model has no compiled core for these sizes; check applies() first")
    clock = Clock(opts)
    verdicts = Verdicts(model.properties())
    limits = opts.limits
    store = _Store(core.words)
    kinds = np.zeros(len(getattr(core, "KINDS", ())), dtype=np.int64)
    initial = list(model.initial_states())
    per_depth: list[int] = []
    transitions = 0
    stopped: StopReason | None = None
    try:
        roots = core.rows(initial)
        rfps = core.fingerprints(roots)
        first = np.sort(np.unique(rfps, return_index=True)[1])  # one row per initial state
        roots, rfps = roots[first], rfps[first]
        store.insert(0, rfps, np.arange(len(rfps), dtype=np.int64), roots)  # a root is its own parent
        frontier, ids, stopped = _take_level(model, core, store, 0, limits.max_states, verdicts, per_depth,
                                             opts)
        while len(frontier) and stopped is None:
            at_bound = limits.max_depth is not None and len(per_depth) >= limits.max_depth
            level_start = store.count
            for start in range(0, len(frontier), _CHUNK):
                stopped = limit_reached(clock.deadline, limits.max_memory_mb)
                if stopped is not None:
                    break
                clock.tick(level_start, len(frontier) - start, len(per_depth))
                order = np.arange(start, min(start + _CHUNK, len(frontier)), dtype=np.int64)
                rows, fps, local = core.expand(frontier, order, kinds)
                transitions += len(fps)
                if opts.symmetry:
                    keep, local = _one_per_orbit(core.own_fingerprints(rows), fps, local)
                    rows, fps = rows[keep], fps[keep]
                parents = order[local] + ids if isinstance(ids, int) else ids[order[local]]
                if rows.shape[1] != store.words:  # the core's rows grew wider
                    store.widen(level_start, rows.shape[1], core.widen)
                store.insert(level_start, fps, parents, rows, opts.symmetry)
            settled = _settle_steps(model, core, store, ids, verdicts, opts.symmetry)
            if settled and opts.stop_on_first_violation and stopped is None:
                stopped = "violation" if verdicts.any_violation() else None
            if stopped is not None:
                break
            if at_bound:
                if store.count > level_start:
                    stopped = "max_depth"
                break
            remaining = None if limits.max_states is None else limits.max_states - sum(per_depth)
            frontier, ids, stopped = _take_level(model, core, store, level_start, remaining, verdicts,
                                                 per_depth, opts)
            if stopped is None:
                clock.tick(sum(per_depth), len(frontier), len(per_depth), force=True)
                stopped = clock.stop_reason()
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        store.close()
    stored = sum(per_depth)
    unreduced = int(getattr(core, "unreduced", 0))  # the states of the orbits it checked (under symmetry)
    exhaustive = stopped is None
    coverage = None
    if opts.coverage and hasattr(core, "per_action"):
        coverage = aggregate_coverage(model, dict(core.per_action))
    elif opts.coverage:
        coverage = {"actions": {k: int(n) for k, n in zip(core.KINDS, kinds, strict=True) if n}}
    return SearchResult(
        strategy="bfs", states=stored, transitions=transitions, depth=len(per_depth) if stored else 0,
        seconds=clock.elapsed(), exhaustive=exhaustive, stopped_by=stopped,
        properties=verdicts.results(exhaustive), states_per_depth=per_depth, coverage=coverage,
        bytes_per_state=(store.nbytes / stored) if stored else None,
        collision_probability=collision_probability(stored, transitions + len(initial)),
        peak_rss_mb=peak_rss_mb(), workers=1, engine="compiled",
        symmetry_reduction=(unreduced / stored) if opts.symmetry and stored and unreduced else None,
        unreduced_states=unreduced if opts.symmetry and unreduced else None,
    )


def _take_level(model: Model, core: Any, store: _Store, level_start: int, max_new: int | None,
                verdicts: Verdicts, per_depth: list[int], opts: SearchOptions
                ) -> tuple[np.ndarray, np.ndarray | int, StopReason | None]:
    """The states stored since `level_start` (only the `max_new` of least fingerprint if there are
    more), checked; (frontier rows, their ids (an array, or the first id of a run), why the search
    stops now or None). A property's
    first violation (witness) in a level is its state of least fingerprint, as in bfs.py."""
    frontier = store.take(level_start)
    ids: np.ndarray | int = level_start  # the id of frontier row i: level_start + i, or ids[i]
    n = len(frontier)
    truncated = max_new is not None and n > max_new
    if truncated or (getattr(core, "ordered", False) and n > 1):  # in fingerprint order
        order = np.argsort(store.fps[level_start : store.count], kind="stable")[:max_new]
        frontier, ids, n = frontier[order], level_start + order, len(order)
    if not n:
        return frontier, ids, None
    per_depth.append(n)
    if hasattr(core, "pending_sometimes"):
        core.pending_sometimes = verdicts.pending_sometimes()
    bad, seen = core.check(frontier)
    flagged = np.flatnonzero(bad)  # few rows, if any: no per-property pass over the level
    hits = [(name, flagged[(bad[flagged] >> j) & 1 == 1]) for j, name in enumerate(core.always)]
    if getattr(core, "seen_bits", False):
        hits += [(name, np.flatnonzero((seen >> np.uint64(j)) & np.uint64(1))) for j, name in enumerate(core.sometimes)]
    else:
        hits += [(name, np.flatnonzero(seen)) for name in core.sometimes]
    for name, where in hits:
        if name not in verdicts.paths and len(where):
            sids = where + ids if isinstance(ids, int) else ids[where]
            sid = int(sids[np.argmin(store.fps[sids])])
            verdicts.record(name, replay_fingerprints(model, store.chain(sid), opts.symmetry))
    if limit_reached(None, None) is not None:
        return frontier, ids, "interrupted"
    if opts.stop_on_first_violation and verdicts.any_violation():
        return frontier, ids, "violation"
    if truncated:
        return frontier, ids, "max_states"
    return frontier, ids, None


def _settle_steps(model: Model, core: Any, store: _Store, ids: np.ndarray | int, verdicts: Verdicts,
                  symmetry: bool = False) -> bool:
    """Record the first violation of each step property in the level just expanded (the core's
    `take_step_events`, if it has any); True if one was recorded."""
    take = getattr(core, "take_step_events", None)
    found = False
    for name, index, target in take() if take is not None else ():
        if name in verdicts.paths:
            continue
        sid = index + ids if isinstance(ids, int) else int(ids[index])
        path = extend_step(model, replay_fingerprints(model, store.chain(sid), symmetry), name, target, symmetry)
        found = verdicts.record(name, path) or found
    return found


def _one_per_orbit(own: np.ndarray, fps: np.ndarray, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of one chunk's successors (own fingerprints, orbit fingerprints, parents, in the order the Python
    engine makes them), the positions of the members a partition keeps, one per orbit, and their parents.

    A partition (partition.py) keeps a chunk's successors in a dict, state -> its last parent, in the
    order each was first reached, and of the states of one orbit keeps the one with the largest parent,
    then the last in that dict; parents come in fingerprint order, so a later chunk's member replaces an
    earlier one (`_insert` with `members`)."""
    n = len(own)
    if not n:
        return np.zeros(0, dtype=np.int64), parents
    by_state = np.lexsort((np.arange(n), own))
    sorted_own = own[by_state]
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_own[1:] != sorted_own[:-1]
    ends = np.ones(n, dtype=bool)
    ends[:-1] = starts[1:]
    first, last = by_state[starts], by_state[ends]  # per distinct state: where first reached, its last parent
    best = np.lexsort((first, parents[last], fps[first]))
    sorted_fps = fps[first][best]
    top = np.ones(len(best), dtype=bool)
    top[:-1] = sorted_fps[1:] != sorted_fps[:-1]
    chosen = best[top]
    return first[chosen], parents[last[chosen]]

