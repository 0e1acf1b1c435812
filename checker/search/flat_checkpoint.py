"""Checkpoints of the compiled BFS (flat_bfs.py): `--checkpoint DIR` and `resume` on flat_store.py's store.

Owns writing the compiled search's state at a level boundary into checkpoint.py's layout, and reading such a
checkpoint back into an empty store, a frontier level and the counters. It must not choose when a search
stops (flat_bfs.py) nor define the files (checkpoint.py, docs/formats.md).

Design. The compiled engine writes exactly the files the Python engine writes for one partition (`p0of1`):
per level its fingerprints, sorted, and its parents' fingerprints (raw little-endian uint64: 16 bytes per
state, written once, when the first checkpoint after the level is taken), the frontier (the last level
stored and checked, none of it expanded) as a plain-data file through the model's own codecs (an
implementation state through its wire codec, so every snapshot, message and envelope behind an interned id
is written as plain data, tables from id 0; a Spec state as its bit set, byte rows), and checkpoint.json
last and atomically, with the counters of both engines (`engine` says which wrote it). Its own store's
shape (ids in insertion order, uint32 parent ids, packed rows, verdict maps, node-step entries) is not
written: ids are rebuilt on resume (each level's ids in fingerprint order, parents found in the level
before), rows from the states (`core.rows`), the kernel's tables and verdict maps are caches and fill
again. So a checkpoint costs 16 bytes per stored state plus the frontier once, and the same directory
resumes on either engine (a run whose compiled engine is refused, e.g. without numba, continues a compiled
checkpoint on the Python engine, and the other way round), with the uninterrupted run's results: the
frontier is re-read in fingerprint order (the order both engines expand a level in), each state's parent is
the one stored, and the wire codec re-interns the tables in id order, so ids, node runs and orbit members
are those of the uninterrupted run.

Besides the periodic checkpoints (`--checkpoint-every`), a search stopped by Ctrl-C, its time limit or its
memory limit writes one at its last level boundary (the level being expanded, not the states it reached):
`resume` then loses no finished level. Every file is checked (checkpoint.verify_checkpoint) before any is
read, and the contents again as they are rebuilt (levels sorted and distinct, each parent stored one level
up, the frontier's states with the fingerprints it gives them): a defect is one line, CheckpointError.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from checker.model import Model, capabilities, wire_codec
from checker.plaindata import Columns, dumps
from checker.search.checkpoint import (
    CHECKPOINT_FILE,
    FRONTIER_KIND,
    FRONTIER_VERSION,
    CheckpointError,
    level_name,
    levels_dir,
    read_frontier,
    settle_saved,
    write_checkpoint,
    write_frontier,
)
from checker.search.common import Clock, SearchOptions, StopReason, Verdicts, extend_step, replay_fingerprints
from checker.search.flat_store import Level, Store
from checker.search.frontier import packable
from checker.search.partition import add_coverage, read_frontier_file
from checker.search.visited import sorted_level, write_level_file

_CHUNK = 1 << 15  # frontier rows decoded at once
#: why a search stopped that leaves a checkpoint at its last level boundary (the run could go on)
RESUMABLE: frozenset[str] = frozenset({"interrupted", "time_limit", "max_memory"})
_RESTART = "nothing in it can be resumed: start the run again in a new --checkpoint directory"


@dataclass
class _Mark:
    """The search's counters at a level boundary (its last level stored and checked, none of it expanded)."""

    per_depth: list[int]
    transitions: int
    events: int  # how many of the event log
    coverage: dict[str, dict[str, int]]
    unreduced: int


class FlatCheckpoints:
    """The checkpoints of one compiled search: `boundary` at each level boundary (writes one when due), `stopped`
    when it stops early (writes the last boundary), `resume` to continue one; `events` is the log of every
    property event recorded (`[name, fingerprint, successor fingerprint or None]`, as bfs.py's)."""

    def __init__(self, model: Model, core: Any, store: Store, opts: SearchOptions, clock: Clock) -> None:
        assert opts.checkpoint is not None
        self.root = opts.checkpoint
        self.every = opts.checkpoint_every
        self.model, self.core, self.store, self.clock = model, core, store, clock
        self.symmetry = opts.symmetry
        self.kinds = {p.name: p.kind for p in model.properties()}
        self.events: list[list[Any]] = []
        self.files: list[str] = []  # level files written (fingerprints, parents per level), and their SHA-256
        self.digests: list[str] = []
        self.mark: _Mark | None = None
        self.saved = 0  # levels of the last checkpoint written
        self.before = 0.0  # search seconds before a resume
        self.coverage_base: dict[str, dict[str, int]] = {}
        self.last_save = time.monotonic()
        os.makedirs(levels_dir(self.root), exist_ok=True)

    # -- writing ---------------------------------------------------------------------------------

    def boundary(self, level: Level, stopped: StopReason | None, per_depth: list[int], transitions: int,
                 coverage: Callable[[], dict[str, dict[str, int]]]) -> None:
        """A level was stored and checked (`stopped`: why the search stops now, if it does): remember the
        counters, and write a checkpoint if one is due. A level cut by --max-states is no boundary."""
        if stopped not in (None, "interrupted") or not len(level):
            return
        self.mark = _Mark(list(per_depth), transitions, len(self.events), coverage(),
                          int(getattr(self.core, "unreduced", 0)))
        if stopped is None and time.monotonic() - self.last_save >= self.every:
            self._save(level)

    def stopped(self, level: Level | None, stopped: StopReason | None) -> None:
        """The search stops: if it could go on (Ctrl-C, time, memory), a checkpoint of its last boundary (the
        level `level`, being expanded or just checked) unless that one is written already."""
        if stopped in RESUMABLE and level is not None and self.mark is not None and \
                len(self.mark.per_depth) > self.saved:
            self._save(level)

    def _save(self, level: Level) -> None:
        m = self.mark
        assert m is not None
        store = self.store
        base = sum(m.per_depth[: len(self.files) // 2])
        for k in range(len(self.files) // 2, len(m.per_depth)):  # each level's files once
            n = m.per_depth[k]
            fps, parents = sorted_level(store.fps[base:base + n], store.fps[store.parent_ids(base, base + n)])
            for ext, arr in (("fps", fps), ("par", parents)):
                name = level_name(0, 1, k, ext)
                self.digests.append(write_level_file(os.path.join(levels_dir(self.root), name), arr))
                self.files.append(name)
            base += n
        blob, packed = self._frontier(level)
        depth = len(m.per_depth)
        name = write_frontier(self.root, 0, 1, depth, blob)
        events = self.events[: m.events]
        logged = {e[0] for e in events}
        sometimes = {n for n, k in self.kinds.items() if k == "sometimes"}
        part = {"index": 0, "frontier": name, "sizes": m.per_depth, "levels": depth,
                "reported": sorted(logged - sometimes), "pending": sorted(sometimes - logged),
                "unreduced": m.unreduced, "coverage": add_coverage(self.coverage_base, m.coverage), "packed": packed,
                "levels_files": list(self.files), "digests": [hashlib.sha256(blob).hexdigest(), *self.digests]}
        write_checkpoint(self.root, {"parts": 1, "per_depth": m.per_depth, "transitions": m.transitions,
                                     "events": events, "seconds": self.before + self.clock.elapsed(),
                                     "partitions": [part], "engine": "compiled"})
        self.saved = depth
        self.last_save = time.monotonic()

    def _frontier(self, level: Level) -> tuple[bytes, bool]:
        """The level as a frontier file (states in fingerprint order), and whether its states are byte rows.

        No state is made as a tuple: a core with `state_columns` (the implementation model's) gives the slots
        of its states as columns, written with the model's wire tables (impl_wire.Wire, every entry from id 0)
        as the list of tuples they stand for (plaindata.Columns); the Spec's rows are its bit sets already."""
        core, n = self.core, len(level)
        widen = getattr(core, "widen", None)
        ids = level.ids(np.arange(n, dtype=np.int64))
        fps = self.store.fps[ids]
        order = np.argsort(fps, kind="stable")
        pieces = []
        for start in range(0, n, _CHUNK):
            rows = level.rows(order[start:start + _CHUNK])
            pieces.append(widen(rows) if widen is not None else rows)  # a level stored before rows grew
        rows = np.concatenate(pieces) if len(pieces) != 1 else pieces[0]
        del pieces
        states: Any
        wired = capabilities(self.model).wired
        columns = getattr(core, "state_columns", None)
        if wired is not None and columns is not None:
            tables: Any = wired.to_wire([], None)  # impl_wire.Wire: every table entry from id 0
            states = dataclasses.replace(tables, states=Columns(columns(rows), n))
            packed = False
        else:
            listed = [core.state(row) for row in rows[:1]]
            packed = packable(listed, self.model)
            if packed:  # bit sets: the rows' limbs are their little-endian bytes
                states = np.ascontiguousarray(rows, dtype="<u8").view(np.uint8).reshape(n, -1)
            else:
                states = wire_codec(self.model)[0]([core.state(row) for row in rows], None)
        doc = {"packed": packed, "states": states, "fps": np.ascontiguousarray(fps[order], dtype="<u8")}
        return dumps(FRONTIER_KIND, FRONTIER_VERSION, doc), packed  # partition.frontier_file's document

    # -- resuming ---------------------------------------------------------------------------------

    def resume(self, saved: dict[str, Any], verdicts: Verdicts) -> tuple[Level, list[int], int]:
        """Come back to the checkpoint `saved` (from checkpoint.open_checkpoint: every file checked) in this
        empty store: (the frontier level to expand next, states per level, transitions so far). Records its
        property events in `verdicts`; CheckpointError (one line) if anything in it does not fit."""
        part = saved["partitions"][0]
        per_depth = list(saved["per_depth"])
        if not per_depth or part["sizes"] != per_depth:
            raise CheckpointError(f"{self.root}/{CHECKPOINT_FILE}: its levels do not add up to its states per level; "
                                  f"{_RESTART}")
        folder = levels_dir(self.root)
        top = len(per_depth) - 1
        base = sum(per_depth[:top])
        fps_all = np.empty(max(sum(per_depth), 1 << 16), dtype=np.uint64)  # the store's, once restored
        parents = np.empty(sum(per_depth), dtype=np.uint32)
        at = 0
        for k, n in enumerate(per_depth):  # each level read once; its parents found in the level before
            fps, par = self._level_file(folder, k, n)
            fps_all[at:at + n] = fps
            if k == 0:
                if not np.array_equal(fps, par):
                    raise self._bad(k, "gives an initial state a parent")
                parents[:n] = np.arange(n)
            else:
                start = at - per_depth[k - 1]
                above = fps_all[start:at]
                where = np.minimum(np.searchsorted(above, par), len(above) - 1)
                if not np.array_equal(above[where], par):
                    raise self._bad(k, "gives states parents that are not in the level before")
                parents[at:at + n] = start + where
            at += n
        top_fps = fps_all[base:at].copy()
        if not self.store.restore(fps_all, base, parents[:base]):
            raise CheckpointError(f"{folder} holds a fingerprint in two levels: the checkpoint was altered; {_RESTART}")
        level = self._frontier_level(part, top_fps, parents[base:].astype(np.int64), base)
        self.files, self.digests = list(part["levels_files"]), list(part["digests"][1:])
        self.saved = len(per_depth)
        self.before = float(saved["seconds"])
        self.coverage_base = part["coverage"]
        if hasattr(self.core, "unreduced"):
            self.core.unreduced = part["unreduced"]
        self.events[:] = [list(e) for e in saved["events"]]  # the list the search appends to
        settle_saved(self.root, saved["events"], self.kinds, lambda evs: self._settle(evs, verdicts))
        self.mark = _Mark(per_depth, saved["transitions"], len(self.events), {}, part["unreduced"])
        return level, per_depth, int(saved["transitions"])

    def _bad(self, k: int, what: str) -> CheckpointError:
        return CheckpointError(f"{levels_dir(self.root)}/{level_name(0, 1, k, 'par')} {what}: the checkpoint was "
                               f"altered; {_RESTART}")

    def _level_file(self, folder: str, k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        out = []
        for ext in ("fps", "par"):
            path = os.path.join(folder, level_name(0, 1, k, ext))
            arr = np.fromfile(path, dtype="<u8").astype(np.uint64)
            if len(arr) != n:  # checked by verify_checkpoint; a file changed since is refused here
                raise CheckpointError(f"{path} holds {len(arr)} fingerprints, {CHECKPOINT_FILE} says {n}; {_RESTART}")
            out.append(arr)
        if n > 1 and not bool(np.all(out[0][1:] > out[0][:-1])):
            raise CheckpointError(f"{os.path.join(folder, level_name(0, 1, k, 'fps'))} is not sorted: the checkpoint "
                                  f"was altered; {_RESTART}")
        return out[0], out[1]

    def _frontier_level(self, part: dict[str, Any], fps: np.ndarray, parents: np.ndarray, base: int) -> Level:
        """The frontier file's states as the store's last level (ids base.., in fingerprint order)."""
        core, store = self.core, self.store
        name = part["frontier"]
        path = os.path.join(levels_dir(self.root), name)

        def fps_of(states: Any) -> np.ndarray:
            return np.asarray(core.fingerprints(core.rows(list(states))), dtype=np.uint64)

        block, given = read_frontier_file(self.model, read_frontier(self.root, name), path, fps_of)
        try:
            rows = core.rows(list(block.states()))
            ok = np.array_equal(given, fps) and np.array_equal(np.asarray(core.fingerprints(rows), np.uint64), fps)
        except Exception as exc:  # states that do not fit this model can break it in any way
            raise CheckpointError(f"{path} holds states this run's compiled core cannot read ({type(exc).__name__}: "
                                  f"{str(exc)[:80]}): the checkpoint belongs to another run or was altered; "
                                  f"{_RESTART}") from None
        if not ok:
            raise CheckpointError(f"{path} holds states whose fingerprints are not those of the last level: the "
                                  f"checkpoint belongs to another run or was altered; {_RESTART}")
        if rows.shape[1] != store.words:  # reading the tables widened the core's rows
            store.widen(base, rows.shape[1], core.widen)
        store.insert(base, fps, parents, rows)
        if store.count != base + len(fps):
            raise CheckpointError(f"{path} holds states stored in an earlier level: the checkpoint was altered; "
                                  f"{_RESTART}")
        return store.take(base)

    def _settle(self, events: list[tuple[str, int, int | None]], verdicts: Verdicts) -> None:
        """The recorded events as paths again (each property's first, as the search recorded it)."""
        for name, fp, target in events:
            if name in verdicts.paths:
                continue
            path = replay_fingerprints(self.model, self.store.chain(self.store.find(fp)), self.symmetry)
            if self.kinds.get(name) == "step" and target is not None:
                path = extend_step(self.model, path, name, target, self.symmetry)
            verdicts.record(name, path)
