"""Swarm testing: many seeded random walks, each with its own action mix, over N processes or Ray
(`options.cluster`: checker/search/ray_cluster.py's `walk_chunks`, on one machine or many).

Owns the split of walks over processes and the merge of their findings (shortest path per
property, union of visited fingerprints). The walk itself is random_walk.py's. Like every
walk-based search, a swarm is never exhaustive.
"""

from __future__ import annotations

import multiprocessing as mp
import random
from dataclasses import replace
from typing import Any

import numpy as np

from checker.model import Model
from checker.search.common import (
    Clock,
    SearchOptions,
    SearchResult,
    StopReason,
    aggregate_coverage,
    extend_step,
    limit_reached,
    replay_fingerprints,
)
from checker.search.random_walk import Mixed, Walker, finish, walk_seed
from checker.signals import ignore_ctrl_c

_CHUNK = 25  # walks per task: small enough to stop promptly, big enough to amortise IPC

_model: Model | None = None
_options: SearchOptions | None = None


def _init(model: Model, options: SearchOptions) -> None:
    global _model, _options
    ignore_ctrl_c()
    _model, _options = model, options


def _run_chunk(first: int, count: int, deadline: float | None) -> dict[str, Any]:
    assert _model is not None and _options is not None
    return walk_chunk(_model, _options, first, count, deadline)


def walk_chunk(model: Model, options: SearchOptions, first: int, count: int, deadline: float | None
               ) -> dict[str, Any]:
    """Walks first..first+count-1, each with its own seed and mix; a picklable summary."""
    walker = Walker(model, options)
    policy = Mixed(model)
    stopped = None
    for i in range(first, first + count):
        rng = random.Random(walk_seed(options.seed, i))
        if not walker.walk(rng, policy):
            stopped = "violation"
            break
        stopped = limit_reached(deadline, options.limits.max_memory_mb)  # Ctrl-C only in the parent
        if stopped is not None:
            break
    # States and actions may only mean something inside this process (the implementation
    # model interns its objects per process), so paths travel as stable fingerprints and
    # coverage as counts; the parent rebuilds each path by replaying the fingerprints.
    return {
        "paths": {name: [model.fingerprint(s) for s in path.states()] for name, path in walker.verdicts.paths.items()},
        "transitions": walker.transitions,
        "depth": walker.max_depth,
        "walks": walker.walks_done,
        "fps": walker.seen.to_array(),
        "stopped": stopped,
        "coverage": aggregate_coverage(model, walker.per_action) if options.coverage else {},
    }


def swarm(model: Model, options: SearchOptions | None = None) -> SearchResult:
    """`options.walks` walks with varied action mixes over `options.workers` processes."""
    opts = options or SearchOptions()
    if opts.workers < 1:
        raise ValueError(f"workers must be at least 1, got {opts.workers}")
    clock = Clock(opts)
    walker = Walker(model, opts)  # the merged totals
    fps: list[np.ndarray] = []
    stopped: StopReason | None = None
    chunks = [(i, min(_CHUNK, opts.walks - i)) for i in range(0, opts.walks, _CHUNK)]
    clean = replace(opts, progress=None, on_transition=None)

    coverage: dict[str, dict[str, int]] = {}

    steps = {p.name for p in model.properties() if p.kind == "step"}

    def merge(part: dict[str, Any]) -> StopReason | None:
        for name, path_fps in part["paths"].items():
            old = walker.verdicts.paths.get(name)
            if old is None or len(path_fps) - 1 < len(old):
                if name in steps and len(path_fps) > 1:  # its last step breaks it: not just any step to that state
                    path = extend_step(model, replay_fingerprints(model, path_fps[:-1]), name, path_fps[-1])
                else:
                    path = replay_fingerprints(model, path_fps)
                walker.verdicts.record(name, path)
        walker.transitions += part["transitions"]
        walker.max_depth = max(walker.max_depth, part["depth"])
        walker.walks_done += part["walks"]
        for category, counts in part["coverage"].items():
            bucket = coverage.setdefault(category, {})
            for key, n in counts.items():
                bucket[key] = bucket.get(key, 0) + n
        fps.append(part["fps"])
        reason: StopReason | None = part["stopped"]
        return reason

    def union() -> np.ndarray:
        return np.unique(np.concatenate(fps)) if fps else np.zeros(0, dtype=np.uint64)

    def distinct() -> int:
        return len(union())

    pool = None
    ray_started: bool | None = None
    results: Any = None
    try:
        if opts.cluster is not None:
            from checker.search.ray_cluster import connect, walk_chunks

            ray_started = connect(opts.cluster, opts.workers)
            results = walk_chunks(walk_chunk, model, opts, chunks, clock.deadline)
        elif opts.workers == 1:
            results = (walk_chunk(model, clean, f, c, clock.deadline) for f, c in chunks)
        else:
            ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
            pool = ctx.Pool(opts.workers, initializer=_init, initargs=(model, clean))
            results = pool.imap_unordered(_star, [(f, c, clock.deadline) for f, c in chunks])
        for part in results:
            reason = merge(part)
            if reason is not None:
                stopped = reason
                break
            if opts.limits.max_states is not None and distinct() >= opts.limits.max_states:
                stopped = "max_states"
                break
            stopped = clock.stop_reason()
            if stopped is not None:
                break
            clock.tick(sum(len(f) for f in fps), 0, walker.max_depth)
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        if ray_started is not None:
            from checker.search.ray_cluster import disconnect

            if results is not None:
                results.close()  # cancels the tasks still running
            disconnect(ray_started)
    seen = union()
    return finish("swarm", walker, clock, stopped, workers=opts.workers, states=len(seen),
                  coverage=coverage if opts.coverage else None, fingerprints=seen,
                  growth=[(clock.elapsed(), len(seen), walker.transitions)])


def _star(args: tuple[int, int, float | None]) -> dict[str, Any]:
    return _run_chunk(*args)


