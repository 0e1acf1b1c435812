"""The partitions of a BFS as Ray actors, and the walks of a swarm as Ray tasks: on one machine or many.

Each actor owns a `Partition` (partition.py): its visited fingerprints and its frontier. Batches
of states go from actor to actor through Ray's object store (an actor's `expand` returns one
object per destination; the driver hands the references on without fetching them), so the
driver sees counts, property events, fingerprints and progress only. Ray is an optional extra
(`pip install -e '.[cluster]'`); this module is imported only when `--cluster` is given. It must
not decide the visiting order or what a level means: that is bfs.py and partition.py.
A swarm (swarm.py) hands chunks of walks to `walk_chunks`, which runs each as a Ray task and gives
back their picklable summaries as they finish; what a walk does is swarm.py's.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from checker.errors import UsageError
from checker.model import Model
from checker.search.common import Clock, SearchOptions
from checker.search.partition import LevelOut, Partition, serve
from checker.search.remote import RemoteCluster, clean_options

ModelFactory = Callable[[], Model]


def ray_module() -> Any:
    """The `ray` package, or ImportError with what to install."""
    try:
        import ray
    except ImportError:
        raise ImportError("--cluster needs Ray: pip install -e '.[cluster]' (or pip install 'ray[client]')") from None
    return ray


class PartitionActor:
    """One partition in a Ray worker process (decorated with `ray.remote` when the cluster starts)."""

    def __init__(self, model: Model | ModelFactory, options: SearchOptions, index: int, parts: int,
                 directory: str | None) -> None:
        built = model() if callable(model) and not hasattr(model, "initial_states") else model
        self.part = Partition(built, options, index, parts, directory)  # type: ignore[arg-type]

    def ask(self, cmd: str, args: Any) -> Any:
        if cmd == "noop":
            return None
        if cmd == "absorb":  # the batches are object references: fetched here, from the actors that made them
            incoming, cap = args
            srcs = [src for src, _ in incoming]
            blobs = ray_module().get([ref for _, ref in incoming]) if incoming else []
            return serve(self.part, cmd, (list(zip(srcs, blobs, strict=True)), cap))
        return serve(self.part, cmd, args)

    def expand(self, remaining: float | None) -> tuple[Any, ...]:
        """Expand the frontier (`remaining` seconds at most: clocks differ between machines); the
        level's summary, then one batch (bytes) per partition, an empty one for this one's own."""
        deadline = None if remaining is None else time.monotonic() + remaining
        out, blobs = serve(self.part, "expand", deadline)
        return (out, *[b"" if b is None else b for b in blobs])

    def node(self) -> str:
        """The Ray node this actor runs on (tests check that partitions spread over nodes)."""
        return str(ray_module().get_runtime_context().get_node_id())

    def close(self) -> None:
        self.part.close()


def connect(address: str, cpus: int) -> bool:
    """Ray ready for `cpus` one-CPU workers: "auto" starts a local Ray instance, anything else is given to
    `ray.init` (e.g. ray://HOST:10001); a Ray already initialised in this process (a test's simulated
    cluster) is used as it is. True if this call started or joined it (then `disconnect` ends it)."""
    ray = ray_module()
    started = False
    if not ray.is_initialized():
        try:
            with warnings.catch_warnings():  # Ray's own warnings would make a refusal more than one line
                warnings.simplefilter("ignore")
                if address == "auto":  # "local": a new instance of our own, never one RAY_ADDRESS names
                    ray.init(address="local", num_cpus=max(cpus, os.cpu_count() or 1), include_dashboard=False,
                             log_to_driver=False, logging_level=logging.ERROR)
                else:  # a Ray client connection: the server's ray.init takes few options
                    ray.init(address=address, logging_level=logging.ERROR)
        except Exception as exc:  # unreachable head, wrong port, version mismatch: bad input
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise UsageError(f"--cluster {address}: Ray could not start or connect: {first}") from None
        started = True
    try:
        have = ray.cluster_resources().get("CPU", 0)
        if have < cpus:
            raise UsageError(f"--cluster {address}: the Ray cluster has {have:g} CPUs for {cpus} workers "
                             "(--workers); add nodes or lower --workers")
    except BaseException:
        disconnect(started)
        raise
    return started


def disconnect(started: bool) -> None:
    if started:
        ray_module().shutdown()


#: What runs one chunk of walks (swarm.py's `walk_chunk`; passed in, so this module does not import swarm.py).
ChunkFn = Callable[[Model, SearchOptions, int, int, "float | None"], dict[str, Any]]


def _walk_chunk_task(run: ChunkFn, recipe: Model | ModelFactory, options: SearchOptions, first: int, count: int,
                     remaining: float | None) -> dict[str, Any]:
    model = recipe() if callable(recipe) and not hasattr(recipe, "initial_states") else recipe
    deadline = None if remaining is None else time.monotonic() + remaining
    return run(model, options, first, count, deadline)  # type: ignore[arg-type]


def walk_chunks(run: ChunkFn, model: Model, options: SearchOptions, chunks: Sequence[tuple[int, int]],
                deadline: float | None) -> Iterator[dict[str, Any]]:
    """Each chunk (first walk, count) of a swarm as a Ray task running `run`, at most two per worker in
    flight; their summaries in the order they finish. The model reaches the tasks as
    `options.model_factory` if given."""
    ray = ray_module()
    recipe: Model | ModelFactory = options.model_factory or model
    task = ray.remote(num_cpus=1, scheduling_strategy="SPREAD")(_walk_chunk_task)
    clean = clean_options(options, options.workers)
    shared = ray.put(recipe)
    todo = list(chunks)
    running: list[Any] = []
    try:
        while todo or running:
            while todo and len(running) < 2 * options.workers:
                first, count = todo.pop(0)
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                running.append(task.remote(run, shared, clean, first, count, remaining))
            done, running = ray.wait(running, num_returns=1)
            yield ray.get(done[0])
    finally:
        for ref in running:
            ray.cancel(ref, force=True)


class RayCluster(RemoteCluster):
    """A BFS split over Ray actors; actor i owns the states `partition.owners` gives it.

    `address`: "auto" starts a local Ray instance for this run (stopped at `close`); anything else
    is given to `ray.init` (e.g. ray://HOST:10001). If Ray is already initialised in this process
    (a test's simulated cluster), that is used and left running. The model reaches the actors as
    `options.model_factory` (a picklable recipe) if given, else pickled.
    """

    def __init__(self, model: Model, options: SearchOptions, parts: int, address: str,
                 directory: str | None = None) -> None:
        super().__init__(model, options, parts)
        ray = ray_module()
        self.ray = ray
        self.actors: list[Any] = []
        self.started = connect(address, parts)
        try:
            recipe: Model | ModelFactory = options.model_factory or model
            actor_cls = ray.remote(num_cpus=1, scheduling_strategy="SPREAD")(PartitionActor)
            clean = clean_options(options, parts)
            self.actors = [actor_cls.remote(recipe, clean, i, parts, directory) for i in range(parts)]
            ray.get([a.ask.remote("noop", None) for a in self.actors])
        except BaseException:
            self._stop()
            raise

    def _ask_all(self, requests: Sequence[tuple[str, Any]]) -> list[Any]:
        refs = [a.ask.remote(cmd, args) for a, (cmd, args) in zip(self.actors, requests, strict=True)]
        return list(self.ray.get(refs))

    def expand(self, deadline: float | None, clock: Clock) -> LevelOut:
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        calls = [a.expand.options(num_returns=self.parts + 1).remote(remaining) for a in self.actors]
        merged = LevelOut()
        for out in self.ray.get([c[0] for c in calls]):
            merged.transitions += out.transitions
            merged.events.extend(out.events)
            merged.aborted = merged.aborted or out.aborted
        self._pending = [list(c[1:]) for c in calls]  # references: the batches stay in the object store
        return merged

    def close(self) -> None:
        super().close()
        self._stop()

    def _stop(self) -> None:
        try:
            if self.actors:
                self.ray.get([a.close.remote() for a in self.actors], timeout=30)
        except Exception:  # an actor already lost: nothing of its to clean up from here
            pass
        for a in self.actors:
            self.ray.kill(a)
        self.actors = []
        disconnect(self.started)
        self.started = False
