"""One partition of a breadth-first search: its visited store, its frontier and the expansion of a level.

A BFS splits the state space by fingerprint (owner = fingerprint mod parts, or the model's
`partition_key` mod parts: `owners`); a `Partition` owns
one share, wherever it runs (this process, a worker process, a Ray actor), and talks to the
driver only through small values (`LevelOut`, `LevelIn`, counts) and batches of states as bytes
(`pack_batch`, through the model's wire codec). It must not choose where partitions run or how
they talk: that is bfs.py (this process, worker processes) and ray_cluster.py (Ray actors).
A state's `always` and `sometimes` properties are checked when it is first stored (new in its
level, after deduplication), as TLC does; `step` properties are judged while expanding.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from checker.fingerprint import FpArray
from checker.model import Model, State, capabilities, partition_keys, wire_codec
from checker.plaindata import PlainDataError, dumps, loads
from checker.search.checkpoint import (
    FRONTIER_KIND,
    FRONTIER_VERSION,
    CheckpointError,
    read_frontier,
    write_frontier,
)
from checker.search.common import (
    Clock,
    SearchOptions,
    StopReason,
    aggregate_coverage,
    canonical_fn,
    limit_reached,
    orbit_fingerprints,
    state_key_fn,
)
from checker.search.frontier import (
    Block,
    Objects,
    Packed,
    chunks,
    empty_like,
    make_block,
    packable,
    take_joined,
)
from checker.search.visited import LevelStore

_CHECK_EVERY = 1024
_CHUNK = 8192  # frontier states expanded (or checked) at a time
_COMPACT_FIRST = 1 << 17  # candidates of a level held before duplicates between chunks are dropped


@dataclass
class Batch:
    """Candidate successors of one level from one partition: states, fingerprints, parents."""

    states: Block
    fps: FpArray
    parents: FpArray

    def take(self, idx: np.ndarray) -> Batch:
        return Batch(self.states.take(idx), self.fps[idx], self.parents[idx])


@dataclass(frozen=True)
class Event:
    """A property fact found while expanding: `name` false (or witnessed) at state `fp`.

    For a `step` property, `target` is the fingerprint of the stored successor.
    """

    name: str
    fp: int
    target: int | None = None


@dataclass
class LevelOut:
    """What expanding a level found: transitions made, step events, why it was cut short."""

    transitions: int = 0
    events: list[Event] = field(default_factory=list)
    aborted: StopReason | None = None  # why the level was cut short


@dataclass
class LevelIn:
    """What storing a level found: new states, whether `max_new` cut it, their property events.

    `aborted` is set when Ctrl-C came while checking: the level then holds only the states
    checked before it, so every stored state has been checked.
    """

    new: int = 0
    truncated: bool = False
    events: list[Event] = field(default_factory=list)
    aborted: StopReason | None = None

    def merge(self, other: LevelIn) -> None:
        self.new += other.new
        self.truncated = self.truncated or other.truncated
        self.events.extend(other.events)
        self.aborted = self.aborted or other.aborted


def fingerprints_fn(model: Model) -> Callable[[Sequence[State]], FpArray]:
    """The model's bulk `fingerprints(states)` hook, else `fingerprint` per state."""
    bulk = capabilities(model).fingerprints
    if bulk is not None:
        return bulk
    one = model.fingerprint

    def each(states: Sequence[State]) -> FpArray:
        return np.fromiter((one(s) for s in states), dtype=np.uint64, count=len(states))

    return each


class Partition:
    """The part of a BFS owned by one process: its visited store, frontier and expansion."""

    def __init__(self, model: Model, options: SearchOptions, index: int = 0, parts: int = 1,
                 directory: str | None = None) -> None:
        self.model = model
        self.options = options
        self.index = index
        self.parts = parts
        self.store = LevelStore(directory, f"p{index}of{parts}")
        self.packed: bool | None = None  # states kept as byte rows (decided on the first states seen)
        self.frontier: Block = Objects([])
        self.frontier_fps: FpArray = np.zeros(0, dtype=np.uint64)
        self.coverage_base: dict[str, dict[str, int]] = {}  # coverage counted before a resume
        self.canon = canonical_fn(model, options.symmetry)
        self.key = state_key_fn(model, options.symmetry)
        caps = capabilities(model)
        self.orbit = caps.orbit_size if options.symmetry else None
        self.orbits: Callable[[Sequence[State]], Any] | None = None  # bulk orbit sizes, with orbit fingerprints
        self.unreduced = 0
        self.fps_of = fingerprints_fn(model)
        if orbit_fingerprints(model, options.symmetry) and caps.orbit_keyed is not None:
            self.fps_of = caps.orbit_keyed.orbit_fingerprints
            self.orbits = caps.orbit_keyed.orbit_sizes
        props = list(model.properties())
        self.always = {p.name for p in props if p.kind == "always"}
        self.pending = {p.name for p in props if p.kind == "sometimes"}
        self.step_props = any(p.kind == "step" for p in props)
        self.reported: set[str] = set()
        self.per_action: Counter[Any] = Counter()
        self.fast = caps.successor_states
        self.batch = caps.expand if options.on_transition is None else None
        self.slow = (
            self.fast is None or self.step_props or options.coverage or options.on_transition is not None
        )
        self.outgoing: list[Batch] = []
        self.canon_memo: dict[State, State] = {}  # successor -> canonical form, for one level
        self.levels = 0

    # -- one level -------------------------------------------------------------------------
    def expand(self, deadline: float | None, clock: Clock | None = None) -> LevelOut:
        """Collect every frontier state's successors (judging step properties on the way).

        The frontier is expanded in chunks: each chunk's distinct successors not yet visited
        here become a compact batch at once, so no Python object outlives its chunk.
        """
        out = LevelOut()
        pieces: list[Batch] = []
        fast = self.fast
        batch = self.batch
        slow = self.slow or fast is None
        canon = self.canon
        size = len(self.frontier)
        ntrans = 0
        compact_at = _COMPACT_FIRST
        for start, states in chunks(self.frontier, _CHUNK):
            cand: dict[State, int] = {}
            self.canon_memo = {}
            for i, s in enumerate(states, start):
                if not i % _CHECK_EVERY and i:
                    out.aborted = limit_reached(deadline, self.options.limits.max_memory_mb)
                    if out.aborted is not None:
                        break
                    if clock is not None:
                        clock.tick(len(self.store), size - i, self.levels)
                if batch is not None:
                    ntrans += self._expand_batch(s, i, cand, out)
                elif not slow:
                    ts = fast(s)  # type: ignore[misc]
                    ntrans += len(ts)
                    if canon is None:
                        for t in ts:
                            cand[t] = i
                    else:
                        for t in ts:
                            cand[canon(t)] = i
                else:
                    ntrans += self._expand_slow(s, i, cand, out)
            if out.aborted is not None:
                break
            pieces.append(self._unvisited(cand))
            held = sum(len(b.fps) for b in pieces)
            if held > compact_at:  # many successors are reached from several chunks: keep one of each
                pieces = [_distinct(pieces)]
                compact_at = max(_COMPACT_FIRST, 3 * len(pieces[0].fps) // 2)
        out.transitions = ntrans
        self.canon_memo = {}
        if out.aborted is not None:
            self.outgoing = []
            return out
        if pieces:
            joined = _distinct(pieces)
        else:
            joined = Batch(empty_like(bool(self.packed)), np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64))
        self.outgoing = self._split(joined)
        return out

    def _unvisited(self, cand: dict[State, int]) -> Batch:
        """One chunk's candidates (successor -> frontier index of its parent) as a batch, less those
        this partition has stored already."""
        states = list(cand)
        fps = self.fps_of(states)
        parents = self.frontier_fps[np.fromiter(cand.values(), dtype=np.int64, count=len(cand))]
        keep = np.flatnonzero(~self.store.contains(fps))
        if len(keep) < len(states):
            states = [states[j] for j in keep.tolist()]
            fps, parents = fps[keep], parents[keep]
        return Batch(self._block(states), fps, parents)

    def _block(self, states: Sequence[State]) -> Block:
        if self.packed is None:
            self.packed = packable(states, self.model)
        return make_block(states, self.packed)

    def _expand_batch(self, s: State, i: int, cand: dict[State, int], out: LevelOut) -> int:
        """One state's transitions from the model's `expand(state)` hook: no per-transition call."""
        actions, ts, broken = self.batch(s)  # type: ignore[misc]
        canon = self.canon
        if canon is not None:
            ts = [self._canonical(t) for t in ts]
        for t in ts:
            cand[t] = i
        if self.options.coverage:
            self.per_action.update(actions)
        for j, names in broken:
            self._report(names, int(self.frontier_fps[i]), out.events, self.key(ts[j]))
        return len(ts)

    def _canonical(self, t: State) -> State:
        """The canonical form of successor `t`, computed once per distinct successor of a level."""
        c = self.canon_memo.get(t)
        if c is None:
            c = self.canon_memo[t] = self.canon(t)  # type: ignore[misc]
        return c

    def _expand_slow(self, s: State, i: int, cand: dict[State, int], out: LevelOut) -> int:
        model = self.model
        canon = self.canon
        hook = self.options.on_transition
        n = 0
        for action, t in model.successors(s):
            n += 1
            c = canon(t) if canon is not None else t
            if hook is not None:
                hook(s, action, c)
            if self.options.coverage:
                self.per_action[action] = self.per_action.get(action, 0) + 1
            if self.step_props:
                bad = model.step_violated(s, action, t)
                if bad:
                    self._report(bad, int(self.frontier_fps[i]), out.events, self.key(c))
            cand[c] = i
        return n

    def _report(self, names: Sequence[str], fp: int, events: list[Event], target: int | None = None) -> None:
        """First violations of `names` at state `fp` (and, for a step, its successor `target`)."""
        for name in names:
            if name not in self.reported:
                self.reported.add(name)
                events.append(Event(name, fp, target))

    def _witness(self, names: Sequence[str], fp: int, events: list[Event]) -> None:
        for name in names:
            if name in self.pending:
                self.pending.discard(name)
                events.append(Event(name, fp))

    def _check(self, block: Block, fps: FpArray, out: LevelIn, clock: Clock | None) -> int:
        """Check the `always` and `sometimes` properties of new states in order; how many were checked.

        Only Ctrl-C cuts this short (a time or memory limit waits for the level to be checked:
        checking costs far less than the expansion that generated it).
        """
        violated = self.model.violated
        witnessed = self.model.witnessed
        orbit = self.orbit if self.orbits is None else None
        for start, states in chunks(block, _CHUNK):
            sizes = self.orbits(states) if self.orbits is not None else None
            for i, s in enumerate(states, start):
                if not i % _CHECK_EVERY and i:
                    out.aborted = limit_reached(None, None)
                    if out.aborted is not None:
                        if sizes is not None:
                            self.unreduced += int(sizes[: i - start].sum())
                        return i
                    if clock is not None:
                        clock.tick(len(self.store) + i, len(block) - i, self.levels + 1)
                bad = violated(s)
                if bad:
                    self._report(bad, int(fps[i]), out.events)
                if self.pending:
                    seen = witnessed(s)
                    if seen:
                        self._witness(seen, int(fps[i]), out.events)
                if orbit is not None:
                    self.unreduced += orbit(s)
            if sizes is not None:
                self.unreduced += int(sizes.sum())
        return len(block)

    def _split(self, batch: Batch) -> list[Batch]:
        if self.parts == 1:
            return [batch]
        owner = owners(self.model, batch, self.parts)
        return [batch.take(np.flatnonzero(owner == p)) for p in range(self.parts)]

    # -- merging a level -------------------------------------------------------------------
    def absorb(self, batches: Sequence[Batch], max_new: int | None, clock: Clock | None = None) -> LevelIn:
        """Check and store the candidates not yet visited; they are the next frontier."""
        out = LevelIn()
        self.frontier, self.frontier_fps = empty_like(bool(self.packed)), np.zeros(0, dtype=np.uint64)  # expanded
        batches = [b for b in batches if len(b.fps)]
        if not batches:
            self.frontier, self.frontier_fps = empty_like(bool(self.packed)), np.zeros(0, dtype=np.uint64)
            return out
        if len(batches) == 1:  # no copy: one batch (one partition) is the common case
            fps, parents = batches[0].fps, batches[0].parents
        else:
            fps = np.concatenate([b.fps for b in batches])
            parents = np.concatenate([b.parents for b in batches])
        first = _one_per_state(fps, parents)
        first = first[~self.store.contains(fps[first])]
        if max_new is not None and len(first) > max_new:
            first = first[:max_new]
            out.truncated = True
        frontier = take_joined([b.states for b in batches], first)
        del batches
        checked = self._check(frontier, fps[first], out, clock)
        if checked < len(first):  # Ctrl-C: keep only what was checked
            first = first[:checked]
            frontier = frontier.take(np.arange(checked, dtype=np.int64))
        self.store.add(fps[first], parents[first])
        if len(first):
            self.levels += 1
        self.frontier = frontier
        self.frontier_fps = fps[first]
        out.new = len(first)
        return out

    def seed(self, states: Sequence[State]) -> Batch:
        """The initial states (canonical under symmetry) as a batch of roots."""
        canon = self.canon
        roots = [canon(s) if canon is not None else s for s in states]
        fps = self.fps_of(roots)
        return Batch(self._block(roots), fps, fps.copy())

    def coverage(self) -> dict[str, dict[str, int]]:
        """Transitions per coverage key: what this partition counted, plus what it counted before a resume."""
        return add_coverage(self.coverage_base, aggregate_coverage(self.model, self.per_action))

    # -- checkpoints ----------------------------------------------------------------------
    def save(self, root: str, tag: int) -> dict[str, Any]:
        """Write this partition's frontier for checkpoint `tag`; what `load` needs to come back to now
        (its stored levels are already on disk: `LevelStore` writes each as it is stored)."""
        blob = frontier_file(self.model, self.frontier, self.frontier_fps)
        name = write_frontier(root, self.index, self.parts, tag, blob)
        return {"index": self.index, "frontier": name, "sizes": list(self.store.sizes), "levels": self.levels,
                "reported": sorted(self.reported), "pending": sorted(self.pending), "unreduced": self.unreduced,
                "coverage": self.coverage(), "packed": self.packed, "levels_files": self.store.level_files(),
                "digests": [hashlib.sha256(blob).hexdigest(), *self.store.digests]}

    def load(self, root: str, saved: dict[str, Any]) -> None:
        """Come back to the point `saved` (from `save`, its files checked by checkpoint.verify_checkpoint)
        recorded: stored levels, frontier, counters. CheckpointError if the frontier does not fit this model."""
        self.store.restore(saved["sizes"], saved["digests"][1:])
        name = os.path.join(root, "levels", saved["frontier"])
        self.frontier, self.frontier_fps = read_frontier_file(self.model, read_frontier(root, saved["frontier"]),
                                                              name, self.fps_of)
        self.levels = saved["levels"]
        self.reported = set(saved["reported"])
        self.pending = set(saved["pending"])
        self.unreduced = saved["unreduced"]
        self.coverage_base = saved["coverage"]
        self.per_action = Counter()
        self.packed = saved["packed"]
        self.outgoing = []

    def close(self) -> None:
        self.store.close()


def add_coverage(a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    total: dict[str, dict[str, int]] = {}
    for part in (a, b):
        for category, counts in part.items():
            bucket = total.setdefault(category, {})
            for key, n in counts.items():
                bucket[key] = bucket.get(key, 0) + n
    return total


def owners(model: Model, batch: Batch, parts: int) -> np.ndarray:
    """The partition of each state of `batch`: its fingerprint mod `parts`, or the model's
    `partition_key` mod `parts` (checker/model.py) when it has one."""
    keys = partition_keys(model)
    by: FpArray = batch.fps if keys is None else keys(batch.states.states())
    owner: np.ndarray = (by % np.uint64(parts)).astype(np.int64)
    return owner


def _one_per_state(fps: FpArray, parents: FpArray) -> np.ndarray:
    """One position per distinct fingerprint, in ascending fingerprint order: the one whose parent
    has the largest fingerprint.

    Within a partition a successor already keeps its last parent in a frontier that is itself in
    fingerprint order, which is the largest; taking the largest again here makes each state's
    parent, the order in which a level is checked and expanded, and so every reported path, the
    same whatever the number of partitions and whatever order their batches arrive in.
    """
    if not len(fps):
        return np.zeros(0, dtype=np.int64)
    if bool(np.all(fps[1:] > fps[:-1])):  # already one per state, in order (a merged batch)
        return np.arange(len(fps), dtype=np.int64)
    order = np.lexsort((parents, fps))
    sorted_fps = fps[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = sorted_fps[1:] != sorted_fps[:-1]
    return order[last]


def _distinct(pieces: list[Batch]) -> Batch:
    """The batches as one, one row per fingerprint (the one with the largest parent, as absorb keeps),
    in fingerprint order. Empties `pieces` as it goes, so their memory is freed early."""
    fps = np.concatenate([b.fps for b in pieces])
    parents = np.concatenate([b.parents for b in pieces])
    keep = _one_per_state(fps, parents)
    states = take_joined([b.states for b in pieces], keep)
    pieces.clear()
    return Batch(states, fps[keep], parents[keep])


def pack_batch(model: Model, b: Batch, peer: int | None = None) -> bytes:
    """A batch as bytes another process reads with `unpack_batch`: states through the model's wire
    codec (packed rows are plain ints, kept only for models without one, and travel as they are).
    Pickled: only between this run's own processes (pipes, Ray's authenticated object store), never
    written to disk (a checkpoint's frontier is `frontier_file`, plain data).
    With `peer` (the partition it goes to) the codec may leave out what it sent that peer before."""
    to_wire, _ = wire_codec(model)
    states: object = b.states if isinstance(b.states, Packed) else to_wire(b.states.states(), peer)
    return pickle.dumps((states, b.fps.tobytes(), b.parents.tobytes()), protocol=pickle.HIGHEST_PROTOCOL)


def unpack_batch(model: Model, blob: bytes, peer: int | None = None) -> Batch:
    """A batch from `pack_batch`; with `peer` (the partition that packed it) in the order it packed them."""
    _, from_wire = wire_codec(model)
    states, fps, parents = pickle.loads(blob)
    block = states if isinstance(states, Packed) else Objects(from_wire(states, peer))
    return Batch(block, np.frombuffer(fps, dtype=np.uint64), np.frombuffer(parents, dtype=np.uint64))




def frontier_file(model: Model, block: Block, fps: FpArray) -> bytes:
    """A frontier as a plain-data file (checker/plaindata.py): the states through the model's wire codec
    (every table entry from id 0), packed rows as they are, and the fingerprints."""
    to_wire, _ = wire_codec(model)
    states: object = block.rows if isinstance(block, Packed) else to_wire(block.states(), None)
    return dumps(FRONTIER_KIND, FRONTIER_VERSION, {"packed": isinstance(block, Packed), "states": states,
                                                   "fps": np.ascontiguousarray(fps, dtype="<u8")})


#: States of a frontier read back whose fingerprints are computed again and compared with the file's.
_SPOT_CHECKS = 256
_MASK64 = (1 << 64) - 1


def read_frontier_file(model: Model, data: bytes, name: str,
                       fps_of: Callable[[Sequence[State]], FpArray]) -> tuple[Block, FpArray]:
    """The frontier of `frontier_file` in this model's terms. CheckpointError (one line naming the file) if the
    file is damaged, or its states do not fit this model (another run's, or altered): a spread of states must
    have the fingerprints the file gives them, computed again from their contents."""
    try:
        doc = loads(data, FRONTIER_KIND, FRONTIER_VERSION, name)
        if type(doc) is not dict or set(doc) != {"packed", "states", "fps"}:
            raise PlainDataError(f"{name} is not a frontier")
        fps = doc["fps"]
        if not isinstance(fps, np.ndarray) or fps.dtype != np.uint64 or fps.ndim != 1:
            raise PlainDataError(f"{name} holds no fingerprints")
        if doc["packed"]:
            rows = doc["states"]
            if not isinstance(rows, np.ndarray) or rows.dtype != np.uint8 or rows.ndim != 2:
                raise PlainDataError(f"{name} holds no packed states")
            block: Block = Packed(rows)
        else:
            _, from_wire = wire_codec(model)
            block = Objects(list(from_wire(doc["states"], None)))  # every state rewritten now: errors here
        if len(block) != len(fps):
            raise PlainDataError(f"{name} holds {len(block)} states and {len(fps)} fingerprints")
        picks = np.unique(np.linspace(0, len(fps) - 1, min(len(fps), _SPOT_CHECKS)).astype(np.int64))
        sample = [block.states(int(i), int(i) + 1)[0] for i in picks]
        again = getattr(model, "recompute_fingerprint", None)
        if not np.array_equal(np.asarray(fps_of(sample), dtype=np.uint64), fps[picks]) or (
                again is not None and any(again(s) & _MASK64 != model.fingerprint(s) for s in sample)):
            raise PlainDataError(f"{name} holds states whose fingerprints are not the ones it gives them")
    except PlainDataError as exc:
        raise CheckpointError(f"{exc}: the checkpoint belongs to another run or was altered; nothing in it can be "
                              "resumed: start the run again") from None
    except Exception as exc:  # states that do not fit this model can break it in any way
        raise CheckpointError(f"{name} holds states this run's model cannot read ({type(exc).__name__}: "
                              f"{str(exc)[:80]}): the checkpoint belongs to another run or was altered; nothing "
                              "in it can be resumed: start the run again") from None
    return block, fps


def serve(part: Partition, cmd: str, args: Any) -> Any:
    """One request of the driver to a partition living elsewhere (a worker process, a Ray actor)."""
    model, index = part.model, part.index
    if cmd == "absorb":
        blobs, max_new = args
        own = [part.outgoing[index]] if part.outgoing else []
        part.outgoing = []
        result = part.absorb([unpack_batch(model, b, src) for src, b in blobs] + own, max_new)
        return result, len(part.frontier)
    if cmd == "absorb_roots":
        blob, max_new = args
        return part.absorb([unpack_batch(model, blob)], max_new), len(part.frontier)
    if cmd == "expand":
        out = part.expand(args)
        blobs = [None if p == index else pack_batch(model, b, p) for p, b in enumerate(part.outgoing)]
        return out, blobs
    if cmd == "parent":
        return part.store.parent(args)
    if cmd == "stored":  # coverage is aggregated here: actions hold this process's ids
        return len(part.store), part.store.nbytes, part.unreduced, part.coverage()
    if cmd == "save":
        root, tag = args
        return part.save(root, tag)
    if cmd == "load":  # a checkpoint that does not fit: the driver raises it (the worker lives on)
        root, saved = args
        try:
            part.load(root, saved)
        except CheckpointError as exc:
            return str(exc)
        return len(part.frontier)
    if cmd == "node_transitions":  # values only (ids mean nothing elsewhere): the driver's node checks read them
        rows = getattr(model, "node_transitions", None)
        return [] if rows is None else [row[1:] for row in rows()]
    raise ValueError(f"unknown partition request {cmd!r}")
