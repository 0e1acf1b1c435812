"""The compiled breadth-first search: one process, states as rows of 64-bit limbs, a jitted visited set.

Owns the level loop of `--engine compiled` for a model with a `flat_core()` hook (the Spec model:
checker/models/spec_core.py gives successors, fingerprints and invariant bits of a batch of rows; the
implementation model: checker/models/impl_core.py, which also reports step properties, may widen its
rows as the run goes, and wants each level expanded and checked in fingerprint order)
over flat_store.py's store (the visited table and the packed rows of a level; a level is expanded and
checked a chunk at a time). It gives the same results as bfs.py's partitions: each state's parent is
its largest-fingerprint parent, each level is checked in fingerprint order, and the first
violation of a property is the smallest fingerprint of the shallowest level, so paths (rebuilt by
replaying fingerprints) are identical; a step property's first violation is the first in that order (least
parent fingerprint, then the parent's first such transition), as a partition reports it. Under
`--symmetry` (a model with orbit fingerprints, whose core gives them) it stores orbit fingerprints and
keeps, of each orbit, the member a partition keeps (`_one_per_orbit`). With `--checkpoint` it hands each
level boundary, and a stop by Ctrl-C, time or memory, to flat_checkpoint.py, and resumes from it. It must not
choose the engine (bfs.py does) nor know a model.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from checker.model import Model, capabilities
from checker.search.checkpoint import open_checkpoint
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
from checker.search.flat_checkpoint import FlatCheckpoints
from checker.search.flat_store import Level, Store
from checker.search.partition import add_coverage
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
                         (opts.workers != 1 and not getattr(model, "flat_core_workers", False),
                          f"--workers {opts.workers} (this model's compiled core runs in one thread)"),
                         (opts.symmetry and capabilities(model).orbit_keyed is None, "--symmetry"),
                         (opts.checkpoint is not None and opts.workers != 1, "--checkpoint with --workers"),
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
    saved = open_checkpoint(opts.checkpoint, opts.resume, 1)  # checked whole before any state is read
    if opts.workers > 1:
        core.set_workers(opts.workers)  # --workers N: the core's kernel in N threads of this process
    clock = Clock(opts)
    verdicts = Verdicts(model.properties())
    limits = opts.limits
    store = Store(core.words, getattr(core, "fp_column", None), getattr(core, "shared_from", None),
                  getattr(core, "row_tail", 0), getattr(core, "derive", None), getattr(core, "derived_columns", ()))
    kinds = np.zeros(len(getattr(core, "KINDS", ())), dtype=np.int64)
    ck = FlatCheckpoints(model, core, store, opts, clock) if opts.checkpoint is not None else None
    events = ck.events if ck is not None else None
    initial = list(model.initial_states())
    per_depth: list[int] = []
    transitions = 0
    stopped: StopReason | None = None
    level: Level | None = None
    raised = False
    try:
        if saved is not None and ck is not None:
            level, per_depth, transitions = ck.resume(saved, verdicts)
        else:
            roots = core.rows(initial)
            rfps = core.fingerprints(roots)
            first = np.sort(np.unique(rfps, return_index=True)[1])  # one row per initial state
            roots, rfps = roots[first], rfps[first]
            store.insert(0, rfps, np.arange(len(rfps), dtype=np.int64), roots)  # a root is its own parent
            level, stopped = _take_level(model, core, store, 0, limits.max_states, verdicts, per_depth, opts, events)
            if ck is not None:
                ck.boundary(level, stopped, per_depth, transitions, lambda: _coverage(model, core, kinds))
        while len(level) and stopped is None:
            at_bound = limits.max_depth is not None and len(per_depth) >= limits.max_depth
            level_start = store.count
            for start in range(0, len(level), _CHUNK):
                stopped = limit_reached(clock.deadline, limits.max_memory_mb)
                if stopped is not None:
                    break
                clock.tick(level_start, len(level) - start, len(per_depth))
                where = np.arange(start, min(start + _CHUNK, len(level)), dtype=np.int64)
                transitions += _expand(core, store, level_start, level.rows(where), level.ids(where), kinds,
                                       opts.symmetry)
            settled = _settle_steps(model, core, store, verdicts, opts.symmetry, events)
            if settled and opts.stop_on_first_violation and stopped is None:
                stopped = "violation" if verdicts.any_violation() else None
            if stopped is not None:
                break
            if at_bound:
                if store.count > level_start:
                    stopped = "max_depth"
                break
            remaining = None if limits.max_states is None else limits.max_states - sum(per_depth)
            level = None  # the rows just expanded: freed before the next level is sorted and checked
            level, stopped = _take_level(model, core, store, level_start, remaining, verdicts, per_depth, opts,
                                         events)
            if ck is not None:
                ck.boundary(level, stopped, per_depth, transitions, lambda: _coverage(model, core, kinds))
            if stopped is None:
                clock.tick(sum(per_depth), len(level), len(per_depth), force=True)
                stopped = clock.stop_reason()
    except KeyboardInterrupt:  # raised anywhere (outside ctrl_c_stops_search): no checkpoint of this moment
        stopped, raised = "interrupted", True
    except BaseException:  # a refused checkpoint, a node refused or hung: nothing to write
        _close(store, core)
        raise
    try:
        if ck is not None and not raised:
            ck.stopped(level, stopped)  # Ctrl-C, time or memory: a checkpoint of the last level boundary
    finally:
        _close(store, core)
    stored = sum(per_depth)
    unreduced = int(getattr(core, "unreduced", 0))  # the states of the orbits it checked (under symmetry)
    exhaustive = stopped is None
    coverage = None
    if opts.coverage:
        coverage = _coverage(model, core, kinds)
        if ck is not None and ck.coverage_base:  # the counts before a resume
            coverage = add_coverage(ck.coverage_base, coverage)
    return SearchResult(
        strategy="bfs", states=stored, transitions=transitions, depth=len(per_depth) if stored else 0,
        seconds=clock.elapsed() + (ck.before if ck is not None else 0.0), exhaustive=exhaustive, stopped_by=stopped,
        properties=verdicts.results(exhaustive), states_per_depth=per_depth, coverage=coverage,
        bytes_per_state=(store.nbytes / stored) if stored else None,
        collision_probability=collision_probability(stored, transitions + len(initial)),
        peak_rss_mb=peak_rss_mb(), workers=opts.workers,
        engine="compiled" if opts.workers == 1 else f"compiled ({opts.workers} threads)",
        symmetry_reduction=(unreduced / stored) if opts.symmetry and stored and unreduced else None,
        unreduced_states=unreduced if opts.symmetry and unreduced else None,
    )


def _close(store: Store, core: Any) -> None:
    """The store's temporary files and the core's kernel threads (`--workers N`), however the search ended."""
    store.close()
    if hasattr(core, "close"):
        core.close()


def _coverage(model: Model, core: Any, kinds: np.ndarray) -> dict[str, dict[str, int]]:
    """Transitions per coverage key so far (a core's own count per action, or per kind of its `KINDS`)."""
    if hasattr(core, "per_action"):
        return aggregate_coverage(model, dict(core.per_action))
    return {"actions": {k: int(n) for k, n in zip(core.KINDS, kinds, strict=True) if n}}


def _expand(core: Any, store: Store, level_start: int, rows: np.ndarray, ids: np.ndarray, kinds: np.ndarray,
            symmetry: bool = False) -> int:
    """Expand `rows` (the states `ids`, one chunk of the level) and store their successors; returns the
    transitions. A core that `emits` hands each batch of successors to the store as its kernel writes them
    (no copies); under symmetry the chunk's successors come at once, and of each orbit the member a
    partition keeps is stored (`_one_per_orbit`; a later chunk's member replaces it: `members`)."""
    def insert(out: np.ndarray, fps: np.ndarray, local: np.ndarray, members: bool = False) -> int:
        if out.shape[1] != store.words:  # the core's rows grew wider
            store.widen(level_start, out.shape[1], core.widen)
        store.insert(level_start, fps, ids[local], out, members=members)
        return len(fps)

    order = np.arange(len(rows), dtype=np.int64)
    if symmetry:
        out, fps, local = core.expand(rows, order, kinds)
        keep, parents = _one_per_orbit(core.own_fingerprints(out), fps, local)
        insert(out[keep], fps[keep], parents, members=True)
        return len(fps)
    if getattr(core, "emits", False):
        return int(core.expand(rows, order, kinds, emit=insert))
    return insert(*core.expand(rows, order, kinds))


def _take_level(model: Model, core: Any, store: Store, level_start: int, max_new: int | None,
                verdicts: Verdicts, per_depth: list[int], opts: SearchOptions,
                events: list[list[Any]] | None = None) -> tuple[Level, StopReason | None]:
    """The states stored since `level_start` (only the `max_new` of least fingerprint if there are
    more), checked; (the level, in the order it is expanded, why the search stops now or None). A
    property's first violation (witness) in a level is its state of least fingerprint, as in bfs.py;
    each one recorded goes to `events` too (a checkpoint's log)."""
    level = store.take(level_start)
    n = len(level)
    truncated = max_new is not None and n > max_new
    if truncated or (getattr(core, "ordered", False) and n > 1):  # in fingerprint order
        level.select(np.argsort(store.fps[level_start : store.count], kind="stable")[:max_new])
        n = len(level)
    if not n:
        return level, None
    per_depth.append(n)
    if hasattr(core, "pending_sometimes"):
        core.pending_sometimes = verdicts.pending_sometimes()
    if hasattr(core, "check_level"):
        bad, seen = core.check_level(n, level.rows)
    else:  # a check of each row on its own: in chunks, not one copy of the level
        parts = [core.check(level.rows(np.arange(start, min(n, start + _CHUNK), dtype=np.int64)))
                 for start in range(0, n, _CHUNK)]
        bad, seen = (np.concatenate([p[i] for p in parts]) for i in (0, 1))
    flagged = np.flatnonzero(bad)  # few rows, if any: no per-property pass over the level
    hits = [(name, flagged[(bad[flagged] >> j) & 1 == 1]) for j, name in enumerate(core.always)]
    if getattr(core, "seen_bits", False):
        hits += [(name, np.flatnonzero((seen >> np.uint64(j)) & np.uint64(1))) for j, name in enumerate(core.sometimes)]
    else:
        hits += [(name, np.flatnonzero(seen)) for name in core.sometimes]
    for name, where in hits:
        if name not in verdicts.paths and len(where):
            sids = level.ids(where)
            sid = int(sids[np.argmin(store.fps[sids])])
            verdicts.record(name, replay_fingerprints(model, store.chain(sid), opts.symmetry))
            if events is not None:
                events.append([name, int(store.fps[sid]), None])
    if limit_reached(None, None) is not None:
        return level, "interrupted"
    if opts.stop_on_first_violation and verdicts.any_violation():
        return level, "violation"
    if truncated:
        return level, "max_states"
    return level, None


def _settle_steps(model: Model, core: Any, store: Store, verdicts: Verdicts, symmetry: bool = False,
                  events: list[list[Any]] | None = None) -> bool:
    """Record the first violation of each step property in the level just expanded (the core's
    `take_step_events`, if it has any: the parent's and the successor's fingerprints; to `events` too);
    True if one was recorded."""
    take = getattr(core, "take_step_events", None)
    found = False
    for name, parent_fp, target in take() if take is not None else ():
        if name in verdicts.paths:
            continue
        chain = store.chain(store.find(parent_fp))
        path = extend_step(model, replay_fingerprints(model, chain, symmetry), name, target, symmetry)
        found = verdicts.record(name, path) or found
        if events is not None:
            events.append([name, int(parent_fp), int(target)])
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

