"""Breadth-first exhaustive search: shortest counterexamples, one or more processes.

Owns the level-by-level visiting order, the per-level bookkeeping (states per depth,
limits) and the split of the state space over worker processes by fingerprint. Visited
states live in `ParentStore` (16 bytes each); paths are rebuilt by replaying fingerprints.
A state's `always` and `sometimes` properties are checked when it is first stored (new in its
level, after deduplication), as TLC does, so each state is checked exactly once and a search
stopped right after generating a level has looked at every state of it; `step` properties are
judged on transitions, while expanding.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import signal
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from checker.fingerprint import FpArray
from checker.model import Model, State, wire_codec
from checker.search.common import (
    Clock,
    Path,
    SearchOptions,
    SearchResult,
    StopReason,
    Verdicts,
    aggregate_coverage,
    canonical_fn,
    limit_reached,
    peak_rss_mb,
    replay_fingerprints,
)
from checker.search.visited import ParentStore, collision_probability

_CHECK_EVERY = 1024


@dataclass
class Batch:
    """Candidate successors of one level from one partition: states, fingerprints, parents."""

    states: Sequence[State]
    fps: FpArray
    parents: FpArray


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
    bulk = getattr(model, "fingerprints", None)
    if bulk is not None:
        return bulk  # type: ignore[no-any-return]
    one = model.fingerprint

    def each(states: Sequence[State]) -> FpArray:
        return np.fromiter((one(s) for s in states), dtype=np.uint64, count=len(states))

    return each


class Partition:
    """The part of a BFS owned by one process: its visited store, frontier and expansion."""

    def __init__(self, model: Model, options: SearchOptions, index: int = 0, parts: int = 1) -> None:
        self.model = model
        self.options = options
        self.index = index
        self.parts = parts
        self.store = ParentStore()
        self.frontier: list[State] = []
        self.frontier_fps: FpArray = np.zeros(0, dtype=np.uint64)
        self.canon = canonical_fn(model, options.symmetry)
        self.orbit = getattr(model, "orbit_size", None) if options.symmetry else None
        self.unreduced = 0
        self.fps_of = fingerprints_fn(model)
        props = list(model.properties())
        self.always = {p.name for p in props if p.kind == "always"}
        self.pending = {p.name for p in props if p.kind == "sometimes"}
        self.step_props = any(p.kind == "step" for p in props)
        self.reported: set[str] = set()
        self.per_action: Counter[Any] = Counter()
        self.fast = getattr(model, "successor_states", None)
        self.batch = getattr(model, "expand", None) if options.on_transition is None else None
        self.slow = (
            self.fast is None or self.step_props or options.coverage or options.on_transition is not None
        )
        self.outgoing: list[Batch] = []
        self.canon_memo: dict[State, State] = {}  # successor -> canonical form, for one level
        self.levels = 0

    # -- one level -------------------------------------------------------------------------
    def expand(self, deadline: float | None, clock: Clock | None = None) -> LevelOut:
        """Collect every frontier state's successors (judging step properties on the way)."""
        out = LevelOut()
        cand: dict[State, int] = {}
        self.canon_memo = {}
        ntrans = 0
        fast = self.fast
        batch = self.batch
        slow = self.slow or fast is None
        canon = self.canon
        frontier = self.frontier
        for i, s in enumerate(frontier):
            if not i % _CHECK_EVERY and i:
                out.aborted = limit_reached(deadline, self.options.limits.max_memory_mb)
                if out.aborted is not None:
                    break
                if clock is not None:
                    clock.tick(len(self.store), len(frontier) - i, self.levels)
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
        out.transitions = ntrans
        self.canon_memo = {}
        if out.aborted is not None:
            self.outgoing = []
            return out
        states = list(cand)
        fps = self.fps_of(states)
        parents = self.frontier_fps[np.fromiter(cand.values(), dtype=np.int64, count=len(cand))]
        self.outgoing = self._split(Batch(states, fps, parents))
        return out

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
            self._report(names, int(self.frontier_fps[i]), out.events, self.model.fingerprint(ts[j]))
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
                    self._report(bad, int(self.frontier_fps[i]), out.events, model.fingerprint(c))
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

    def _check(self, states: Sequence[State], fps: FpArray, out: LevelIn, clock: Clock | None) -> int:
        """Check the `always` and `sometimes` properties of new states in order; how many were checked.

        Only Ctrl-C cuts this short (a time or memory limit waits for the level to be checked:
        checking costs far less than the expansion that generated it).
        """
        violated = self.model.violated
        witnessed = self.model.witnessed
        for i, s in enumerate(states):
            if not i % _CHECK_EVERY and i:
                out.aborted = limit_reached(None, None)
                if out.aborted is not None:
                    return i
                if clock is not None:
                    clock.tick(len(self.store) + i, len(states) - i, self.levels + 1)
            bad = violated(s)
            if bad:
                self._report(bad, int(fps[i]), out.events)
            if self.pending:
                seen = witnessed(s)
                if seen:
                    self._witness(seen, int(fps[i]), out.events)
        return len(states)

    def _split(self, batch: Batch) -> list[Batch]:
        if self.parts == 1:
            return [batch]
        owner = (batch.fps % np.uint64(self.parts)).astype(np.int64)
        out = []
        for p in range(self.parts):
            idx = np.flatnonzero(owner == p)
            out.append(Batch([batch.states[j] for j in idx.tolist()], batch.fps[idx], batch.parents[idx]))
        return out

    # -- merging a level -------------------------------------------------------------------
    def absorb(self, batches: Sequence[Batch], max_new: int | None, clock: Clock | None = None) -> LevelIn:
        """Check and store the candidates not yet visited; they are the next frontier."""
        out = LevelIn()
        batches = [b for b in batches if len(b.fps)]
        if not batches:
            self.frontier, self.frontier_fps = [], np.zeros(0, dtype=np.uint64)
            return out
        fps = np.concatenate([b.fps for b in batches])
        parents = np.concatenate([b.parents for b in batches])
        first = _one_per_state(fps, parents)
        first = first[~self.store.contains(fps[first])]
        if max_new is not None and len(first) > max_new:
            first = first[:max_new]
            out.truncated = True
        frontier = _pick(batches, first)
        checked = self._check(frontier, fps[first], out, clock)
        if checked < len(first):  # Ctrl-C: keep only what was checked
            first, frontier = first[:checked], frontier[:checked]
        self.store.add(fps[first], parents[first])
        if len(first):
            self.levels += 1
        self.frontier = frontier
        self.frontier_fps = fps[first]
        if self.orbit is not None:
            orbit = self.orbit
            self.unreduced += sum(orbit(s) for s in self.frontier)
        out.new = len(first)
        return out

    def seed(self, states: Sequence[State]) -> Batch:
        """The initial states (canonical under symmetry) as a batch of roots."""
        canon = self.canon
        roots = [canon(s) if canon is not None else s for s in states]
        fps = self.fps_of(roots)
        return Batch(roots, fps, fps.copy())


class LocalCluster:
    """A BFS in this process: one partition."""

    def __init__(self, model: Model, options: SearchOptions) -> None:
        self.part = Partition(model, options)
        self.parts = 1

    def start(self, states: Sequence[State], max_new: int | None, clock: Clock) -> LevelIn:
        return self.part.absorb([self.part.seed(states)], max_new, clock)

    def expand(self, deadline: float | None, clock: Clock) -> LevelOut:
        return self.part.expand(deadline, clock)

    def absorb(self, max_new: int | None, clock: Clock) -> LevelIn:
        return self.part.absorb(self.part.outgoing, max_new, clock)

    def chain(self, fp: int) -> list[int]:
        return self.part.store.chain(fp)

    def frontier_size(self) -> int:
        return len(self.part.frontier)

    def stored(self) -> tuple[int, int, int]:
        return len(self.part.store), self.part.store.nbytes, self.part.unreduced

    def coverage(self) -> dict[str, dict[str, int]]:
        return aggregate_coverage(self.part.model, self.part.per_action)

    def close(self) -> None:
        pass


def _worker(conn: Connection, model: Model, options: SearchOptions, index: int, parts: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    part = Partition(model, options, index, parts)
    while True:
        cmd, args = conn.recv()
        if cmd == "seed":
            conn.send(part.seed(args))
        elif cmd == "absorb":
            batches, max_new = args
            own = [part.outgoing[index]] if part.outgoing else []
            result = part.absorb([_unpack(model, b) for b in batches] + own, max_new)
            part.outgoing = []
            conn.send((result, len(part.frontier)))
        elif cmd == "absorb_roots":
            blob, max_new = args
            conn.send((part.absorb([_unpack(model, blob)], max_new), len(part.frontier)))
        elif cmd == "expand":
            out = part.expand(args)
            blobs = [None if p == index else _pack(model, b) for p, b in enumerate(part.outgoing)]
            conn.send((out, blobs))
        elif cmd == "parent":
            conn.send(part.store.parent(args))
        elif cmd == "stored":
            coverage = aggregate_coverage(model, part.per_action)  # actions hold this process's ids
            conn.send((len(part.store), part.store.nbytes, part.unreduced, coverage))
        elif cmd == "stop":
            conn.close()
            return


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
    order = np.lexsort((parents, fps))
    sorted_fps = fps[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = sorted_fps[1:] != sorted_fps[:-1]
    return order[last]


def _pick(batches: Sequence[Batch], picks: np.ndarray) -> list[State]:
    """The states at positions `picks` of the batches laid end to end."""
    ends = np.cumsum([len(b.fps) for b in batches])
    which = np.searchsorted(ends, picks, side="right")
    starts = ends - np.array([len(b.fps) for b in batches])
    return [batches[b].states[j - starts[b]] for b, j in zip(which.tolist(), picks.tolist(), strict=True)]


def _pack(model: Model, b: Batch) -> bytes:
    """A batch as bytes another process reads with `_unpack` (states through the model's wire codec)."""
    to_wire, _ = wire_codec(model)
    return pickle.dumps((to_wire(b.states), b.fps.tobytes(), b.parents.tobytes()), protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(model: Model, blob: bytes) -> Batch:
    _, from_wire = wire_codec(model)
    states, fps, parents = pickle.loads(blob)
    return Batch(from_wire(states), np.frombuffer(fps, dtype=np.uint64), np.frombuffer(parents, dtype=np.uint64))


class ProcessCluster:
    """A BFS split over worker processes; each owns the states whose fingerprint is its index mod N."""

    def __init__(self, model: Model, options: SearchOptions, parts: int) -> None:
        if options.on_transition is not None:
            raise ValueError("on_transition needs workers=1 (transitions are generated in worker processes)")
        self.parts = parts
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        clean = replace(options, progress=None, on_transition=None)
        memory = options.limits.max_memory_mb
        if memory is not None:  # each worker checks its own memory: share the limit between them
            clean = replace(clean, limits=replace(options.limits, max_memory_mb=memory / parts))
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        for i in range(parts):
            here, there = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(there, model, clean, i, parts), daemon=True)  # type: ignore[attr-defined]
            proc.start()
            there.close()
            self.conns.append(here)
            self.procs.append(proc)
        self.local = Partition(model, clean)  # fingerprints and canonical forms of roots only
        self.sizes = [0] * parts
        self._pending: list[list[Any]] = []

    def _split_max(self, max_new: int | None) -> list[int | None]:
        if max_new is None:
            return [None] * self.parts
        share, extra = divmod(max_new, self.parts)
        return [share + (1 if i < extra else 0) for i in range(self.parts)]

    def start(self, states: Sequence[State], max_new: int | None, clock: Clock) -> LevelIn:
        roots = self.local.seed(states)
        owner = (roots.fps % np.uint64(self.parts)).astype(np.int64)
        for p, (conn, cap) in enumerate(zip(self.conns, self._split_max(max_new), strict=True)):
            idx = np.flatnonzero(owner == p)
            batch = Batch([roots.states[j] for j in idx.tolist()], roots.fps[idx], roots.parents[idx])
            conn.send(("absorb_roots", (_pack(self.local.model, batch), cap)))
        return self._gather_absorb()

    def _gather_absorb(self) -> LevelIn:
        merged = LevelIn()
        for p, conn in enumerate(self.conns):
            level, size = conn.recv()
            merged.merge(level)
            self.sizes[p] = size
        return merged

    def expand(self, deadline: float | None, clock: Clock) -> LevelOut:
        for conn in self.conns:
            conn.send(("expand", deadline))
        merged = LevelOut()
        self._pending = []
        for conn in self.conns:
            out, blobs = conn.recv()
            merged.transitions += out.transitions
            merged.events.extend(out.events)
            merged.aborted = merged.aborted or out.aborted
            self._pending.append(blobs)
        return merged

    def absorb(self, max_new: int | None, clock: Clock) -> LevelIn:
        for p, (conn, cap) in enumerate(zip(self.conns, self._split_max(max_new), strict=True)):
            incoming = [blobs[p] for src, blobs in enumerate(self._pending) if src != p and blobs[p] is not None]
            conn.send(("absorb", (incoming, cap)))
        self._pending = []
        return self._gather_absorb()

    def chain(self, fp: int) -> list[int]:
        out = [fp]
        while True:
            conn = self.conns[fp % self.parts]
            conn.send(("parent", fp))
            parent = conn.recv()
            if parent is None:
                raise KeyError(f"fingerprint {fp:016x} has no stored ancestry")
            if parent == fp:
                break
            out.append(parent)
            fp = parent
        out.reverse()
        return out

    def frontier_size(self) -> int:
        return sum(self.sizes)

    def stored(self) -> tuple[int, int, int]:
        n = nbytes = unreduced = 0
        for conn in self.conns:
            conn.send(("stored", None))
            a, b, c, _ = conn.recv()
            n, nbytes, unreduced = n + a, nbytes + b, unreduced + c
        return n, nbytes, unreduced

    def coverage(self) -> dict[str, dict[str, int]]:
        total: dict[str, dict[str, int]] = {}
        for conn in self.conns:
            conn.send(("stored", None))
            for category, counts in conn.recv()[3].items():
                bucket = total.setdefault(category, {})
                for key, n in counts.items():
                    bucket[key] = bucket.get(key, 0) + n
        return total

    def close(self) -> None:
        for conn, proc in zip(self.conns, self.procs, strict=True):
            try:
                conn.send(("stop", None))
            except (BrokenPipeError, OSError):
                pass
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()


def bfs(model: Model, options: SearchOptions | None = None) -> SearchResult:
    """Exhaustive breadth-first search within `options.limits`; `options.workers` processes."""
    opts = options or SearchOptions()
    if opts.workers < 1:
        raise ValueError(f"workers must be at least 1, got {opts.workers}")
    cluster: LocalCluster | ProcessCluster = (
        LocalCluster(model, opts) if opts.workers == 1 else ProcessCluster(model, opts, opts.workers)
    )
    clock = Clock(opts)
    verdicts = Verdicts(model.properties())
    kinds = {p.name: p.kind for p in model.properties()}
    limits = opts.limits
    per_depth: list[int] = []
    transitions = 0
    stopped: StopReason | None = None
    initial = list(model.initial_states())
    total = 0
    try:
        level = cluster.start(initial, limits.max_states, clock)
        per_depth.append(level.new)
        total = new = level.new
        stopped = _after_storing(model, opts, cluster, verdicts, kinds, level)
        while new and stopped is None:
            at_bound = limits.max_depth is not None and len(per_depth) >= limits.max_depth
            out = cluster.expand(clock.deadline, clock)
            transitions += out.transitions
            _settle(model, opts, cluster, verdicts, kinds, out.events)
            if out.aborted is not None:
                stopped = out.aborted
                break
            if opts.stop_on_first_violation and verdicts.any_violation():
                stopped = "violation"
                break
            if at_bound:  # states beyond max_depth are neither stored nor checked: only counted as "more"
                if cluster.absorb(0, clock).truncated:
                    stopped = "max_depth"
                break
            remaining = None if limits.max_states is None else limits.max_states - total
            level = cluster.absorb(remaining, clock)
            new = level.new
            if new:
                per_depth.append(new)
                total += new
            stopped = _after_storing(model, opts, cluster, verdicts, kinds, level)
            if stopped is not None:
                break
            clock.tick(total, cluster.frontier_size(), len(per_depth), force=True)
            stopped = clock.stop_reason()
    except KeyboardInterrupt:
        stopped = "interrupted"
    try:
        if stopped == "interrupted" and isinstance(cluster, ProcessCluster):
            # Workers may be mid-reply: do not talk to them again; every stored state costs 16 bytes.
            stored, nbytes, unreduced, coverage = total, 16 * total, 0, None
        else:
            stored, nbytes, unreduced = cluster.stored()
            coverage = cluster.coverage() if opts.coverage else None
    finally:
        cluster.close()
    exhaustive = stopped is None
    result = SearchResult(
        strategy="bfs",
        states=stored,
        transitions=transitions,
        depth=len(per_depth) if stored else 0,
        seconds=clock.elapsed(),
        exhaustive=exhaustive,
        stopped_by=stopped,
        properties=verdicts.results(exhaustive),
        states_per_depth=per_depth,
        coverage=coverage,
        bytes_per_state=(nbytes / stored) if stored else None,
        collision_probability=collision_probability(stored, transitions + len(initial)),
        symmetry_reduction=(unreduced / stored) if opts.symmetry and stored and unreduced else None,
        unreduced_states=unreduced if opts.symmetry and unreduced else None,
        peak_rss_mb=peak_rss_mb(),
        workers=opts.workers,
    )
    return result


def _after_storing(
    model: Model,
    opts: SearchOptions,
    cluster: LocalCluster | ProcessCluster,
    verdicts: Verdicts,
    kinds: Mapping[str, str],
    level: LevelIn,
) -> StopReason | None:
    """Settle a stored level's events; why the search stops right here (None: go on)."""
    _settle(model, opts, cluster, verdicts, kinds, level.events)
    if level.aborted is not None:
        return level.aborted
    if opts.stop_on_first_violation and verdicts.any_violation():
        return "violation"
    if level.truncated:  # the level that hit max_states is checked, never expanded
        return "max_states"
    return None


def _settle(
    model: Model,
    opts: SearchOptions,
    cluster: LocalCluster | ProcessCluster,
    verdicts: Verdicts,
    kinds: Mapping[str, str],
    events: list[Event],
) -> None:
    """Turn this level's events into paths; keep the first (shallowest, then smallest fp) per property."""
    for ev in sorted(events, key=lambda e: (e.name, e.fp, e.target or 0)):
        if ev.name in verdicts.paths:
            continue
        path = replay_fingerprints(model, cluster.chain(ev.fp), opts.symmetry)
        if kinds.get(ev.name) == "step" and ev.target is not None:
            path = _extend_step(model, opts, path, ev)
        verdicts.record(ev.name, path)


def _extend_step(model: Model, opts: SearchOptions, path: Path, ev: Event) -> Path:
    canon = canonical_fn(model, opts.symmetry)
    last = path.last
    for action, t in model.successors(last):
        c = canon(t) if canon is not None else t
        if model.fingerprint(c) == ev.target and ev.name in model.step_violated(last, action, t):
            return Path(path.initial, (*path.steps, (action, t)))
    raise RuntimeError(f"could not re-derive the step violating {ev.name}")
