"""Breadth-first exhaustive search: shortest counterexamples, in one process or over partitions.

Owns the level-by-level loop (expand a level, store the next, settle property events into
paths), the limits, checkpoints and resuming, and two ways to run the partitions of
partition.py: `LocalCluster` (this process) and `ProcessCluster` (worker processes); Ray actors
are ray_cluster.py's `RayCluster`, with the same interface. Visited states live in
`LevelStore` (16 bytes each, 8 of them in memory), the frontier in compact blocks (frontier.py);
paths are rebuilt by replaying fingerprints. Each state's parent is its largest-fingerprint
parent and each level is checked in fingerprint order, so results are the same for any number
of partitions.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from typing import Any, Protocol

from checker.model import Model, State
from checker.search.checkpoint import (
    CheckpointError,
    levels_dir,
    open_checkpoint,
    settle_saved,
    write_checkpoint,
)
from checker.search.common import (
    Clock,
    SearchOptions,
    SearchResult,
    StopReason,
    Verdicts,
    extend_step,
    peak_rss_mb,
    replay_fingerprints,
)
from checker.search.partition import Batch, Event, LevelIn, LevelOut, Partition, serve
from checker.search.remote import RemoteCluster, clean_options
from checker.search.visited import collision_probability
from checker.signals import ignore_ctrl_c


class Cluster(Protocol):
    """Where the partitions of a BFS run; the driver (`bfs`) sees counts, events and fingerprints only."""

    parts: int

    def start(self, states: Sequence[State], max_new: int | None, clock: Clock) -> LevelIn: ...
    def expand(self, deadline: float | None, clock: Clock) -> LevelOut: ...
    def absorb(self, max_new: int | None, clock: Clock) -> LevelIn: ...
    def chain(self, fp: int) -> list[int]: ...
    def frontier_size(self) -> int: ...
    def stored(self) -> tuple[int, int, int]: ...
    def coverage(self) -> dict[str, dict[str, int]]: ...
    def save(self, root: str, tag: int) -> list[dict[str, Any]]: ...
    def load(self, root: str, saved: Sequence[dict[str, Any]]) -> None: ...
    def close(self) -> None: ...


class LocalCluster:
    """A BFS in this process: one partition."""

    def __init__(self, model: Model, options: SearchOptions, directory: str | None = None) -> None:
        self.part = Partition(model, options, directory=directory)
        self.parts = 1

    def start(self, states: Sequence[State], max_new: int | None, clock: Clock) -> LevelIn:
        return self.part.absorb([self.part.seed(states)], max_new, clock)

    def expand(self, deadline: float | None, clock: Clock) -> LevelOut:
        return self.part.expand(deadline, clock)

    def absorb(self, max_new: int | None, clock: Clock) -> LevelIn:
        return self.part.absorb(self._take_outgoing(), max_new, clock)

    def _take_outgoing(self) -> list[Batch]:
        out, self.part.outgoing = self.part.outgoing, []
        return out

    def chain(self, fp: int) -> list[int]:
        return self.part.store.chain(fp)

    def frontier_size(self) -> int:
        return len(self.part.frontier)

    def stored(self) -> tuple[int, int, int]:
        return len(self.part.store), self.part.store.nbytes, self.part.unreduced

    def coverage(self) -> dict[str, dict[str, int]]:
        return self.part.coverage()

    def save(self, root: str, tag: int) -> list[dict[str, Any]]:
        return [self.part.save(root, tag)]

    def load(self, root: str, saved: Sequence[dict[str, Any]]) -> None:
        self.part.load(root, saved[0])

    def close(self) -> None:
        self.part.close()


def _worker(conn: Connection, model: Model, options: SearchOptions, index: int, parts: int,
            directory: str | None) -> None:
    ignore_ctrl_c()  # the parent handles Ctrl-C and stops us
    part = Partition(model, options, index, parts, directory)
    try:
        while True:
            try:
                cmd, args = conn.recv()
            except (EOFError, OSError):  # the driver is gone (killed): so are we
                return
            if cmd == "stop":
                conn.close()
                return
            conn.send(None if cmd == "noop" else serve(part, cmd, args))
    finally:
        part.close()


class ProcessCluster(RemoteCluster):
    """A BFS split over worker processes; each owns the states whose fingerprint is its index mod N."""

    def __init__(self, model: Model, options: SearchOptions, parts: int, directory: str | None = None) -> None:
        super().__init__(model, options, parts)
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        clean = clean_options(options, parts)
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        for i in range(parts):
            here, there = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(there, model, clean, i, parts, directory),  # type: ignore[attr-defined]
                               daemon=True)
            proc.start()
            there.close()
            self.conns.append(here)
            self.procs.append(proc)

    def _ask_all(self, requests: Sequence[tuple[str, Any]]) -> list[Any]:
        for conn, req in zip(self.conns, requests, strict=True):
            conn.send(req)
        return [conn.recv() for conn in self.conns]

    def close(self) -> None:
        super().close()
        for conn, proc in zip(self.conns, self.procs, strict=True):
            try:
                conn.send(("stop", None))
            except (BrokenPipeError, OSError):
                pass
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()


def make_cluster(model: Model, opts: SearchOptions) -> Cluster:
    """Where the partitions run: this process, `opts.workers` processes, or Ray actors (`opts.cluster`)."""
    directory = levels_dir(opts.checkpoint) if opts.checkpoint else None
    if opts.cluster is not None:
        from checker.search.ray_cluster import RayCluster

        return RayCluster(model, opts, opts.workers, opts.cluster, directory)
    if opts.workers == 1:
        return LocalCluster(model, opts, directory)
    return ProcessCluster(model, opts, opts.workers, directory)


def engine_refusal(model: Model, options: SearchOptions) -> str | None:
    """Why `--engine compiled` (the default) runs this BFS on the Python engine, for the run to say so;
    None when it runs compiled, when `--engine python` was asked for, or for a model with no compiled core."""
    if options.engine != "compiled" or getattr(model, "flat_core", None) is None:
        return None
    from checker.search import flat_bfs  # numba: imported only for a model with a compiled core

    return flat_bfs.refusal(model, options)


def bfs(model: Model, options: SearchOptions | None = None) -> SearchResult:
    """Exhaustive breadth-first search within `options.limits`; `options.workers` partitions.

    With `options.checkpoint` a checkpoint is written there at level boundaries, at most every
    `options.checkpoint_every` seconds; with `options.resume` the search continues from the one
    there instead of starting (same partitions), and ends as the uninterrupted search would have.
    """
    opts = options or SearchOptions()
    if opts.workers < 1:
        raise ValueError(f"workers must be at least 1, got {opts.workers}")
    engine = "python"
    if opts.engine == "compiled" and getattr(model, "flat_core", None) is not None:
        from checker.search import flat_bfs  # numba: imported only for a model with a compiled core

        core, why = flat_bfs.core_for(model, opts)
        if core is not None:
            return flat_bfs.flat_bfs(model, opts, core)
        engine = f"python ({why})"
    saved = open_checkpoint(opts.checkpoint, opts.resume, opts.workers)
    cluster = make_cluster(model, opts)
    clock = Clock(opts)
    verdicts = Verdicts(model.properties())
    kinds = {p.name: p.kind for p in model.properties()}
    limits = opts.limits
    per_depth: list[int] = []
    log: list[Event] = []  # every event settled so far (a checkpoint keeps them)
    transitions = 0
    before = 0.0  # seconds spent before a resume
    stopped: StopReason | None = None
    initial = list(model.initial_states())
    total = 0
    last_save = time.monotonic()

    def settle(events: list[Event]) -> None:
        log.extend(events)
        _settle(model, opts, cluster, verdicts, kinds, events)

    def checkpoint() -> None:
        nonlocal last_save
        if opts.checkpoint is None or time.monotonic() - last_save < opts.checkpoint_every:
            return
        meta = {"parts": cluster.parts, "per_depth": per_depth, "transitions": transitions,
                "events": [[e.name, e.fp, e.target] for e in log], "seconds": before + clock.elapsed(),
                "partitions": cluster.save(opts.checkpoint, len(per_depth)), "engine": "python"}
        write_checkpoint(opts.checkpoint, meta)
        last_save = time.monotonic()

    try:
        if saved is not None:
            assert opts.checkpoint is not None
            try:
                cluster.load(opts.checkpoint, saved["partitions"])
                per_depth = list(saved["per_depth"])
                transitions, before = saved["transitions"], saved["seconds"]
                total = sum(per_depth)
                new = per_depth[-1] if per_depth else 0
                settle_saved(opts.checkpoint, saved["events"], kinds,
                             lambda evs: settle([Event(name, fp, target) for name, fp, target in evs]))
            except CheckpointError:
                cluster.close()
                raise
        else:
            level = cluster.start(initial, limits.max_states, clock)
            per_depth.append(level.new)
            total = new = level.new
            settle(level.events)
            stopped = _stop_after_storing(opts, verdicts, level)
            if stopped is None:
                checkpoint()
        while new and stopped is None:
            at_bound = limits.max_depth is not None and len(per_depth) >= limits.max_depth
            out = cluster.expand(clock.deadline, clock)
            transitions += out.transitions
            settle(out.events)
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
            settle(level.events)
            stopped = _stop_after_storing(opts, verdicts, level)
            if stopped is not None:
                break
            if new:
                checkpoint()
            clock.tick(total, cluster.frontier_size(), len(per_depth), force=True)
            stopped = clock.stop_reason()
    except KeyboardInterrupt:
        stopped = "interrupted"
    try:
        if stopped == "interrupted" and not isinstance(cluster, LocalCluster):
            # Workers may be mid-reply: do not talk to them again; every stored state costs 16 bytes.
            stored, nbytes, unreduced, coverage = total, 16 * total, 0, None
        else:
            stored, nbytes, unreduced = cluster.stored()
            coverage = cluster.coverage() if opts.coverage else None
            gather = getattr(model, "gather_node_transitions", None)
            if opts.node_transitions and gather is not None and isinstance(cluster, ProcessCluster):
                gather(cluster.node_transitions())  # the node checks (checker/runs/node_checks.py) read them
    finally:
        cluster.close()
    exhaustive = stopped is None
    result = SearchResult(
        strategy="bfs",
        states=stored,
        transitions=transitions,
        depth=len(per_depth) if stored else 0,
        seconds=before + clock.elapsed(),
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
        engine=engine,
    )
    return result


def _stop_after_storing(opts: SearchOptions, verdicts: Verdicts, level: LevelIn) -> StopReason | None:
    """Why the search stops right after storing a level (None: go on); its events are settled."""
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
    cluster: Cluster,
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
            path = extend_step(model, path, ev.name, ev.target, opts.symmetry)
        verdicts.record(ev.name, path)
