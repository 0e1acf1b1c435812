"""What every search strategy shares: limits, options, progress, paths, results and verdicts.

Owns the meaning of a verdict (held / violated / unknown, exhaustive or bounded) and the
rebuilding of a concrete path from fingerprints. It must not choose a visiting order: that
is bfs.py, dfs.py, random_walk.py and swarm.py, one strategy each; strategies.py picks one by
name. It must not import any of them (they import this).
"""

from __future__ import annotations

import itertools
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from checker.model import Action, Model, PropertyInfo, State, capabilities
from checker.signals import stop_requested

StopReason = Literal["max_states", "max_depth", "time_limit", "max_memory", "interrupted", "violation"]
Status = Literal["held", "violated", "unknown"]


@dataclass(frozen=True)
class Limits:
    """Bounds of one search; None means unbounded.

    `max_depth` counts states on a path as TLC does (the initial state is depth 1), so
    `max_depth=1` checks only the initial states. `time_limit` is in seconds.
    `max_memory_mb`: stop (bounded, partial results written) once the searching process's
    peak resident memory reaches this many MiB, rather than be killed by the system with
    nothing written. The command line sets it to 80% of physical memory (or of a container
    limit) unless told.
    """

    max_states: int | None = None
    max_depth: int | None = None
    time_limit: float | None = None
    max_memory_mb: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_states", "max_depth"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 (or None for no limit), got {value}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError(f"time_limit must be positive seconds (or None), got {self.time_limit}")
        if self.max_memory_mb is not None and self.max_memory_mb <= 0:
            raise ValueError(f"max_memory_mb must be positive MiB (or None), got {self.max_memory_mb}")


@dataclass(frozen=True)
class Progress:
    """What a progress line shows: distinct states, frontier size, depth, rate."""

    states: int
    frontier: int
    depth: int
    seconds: float
    states_per_sec: float


ProgressFn = Callable[[Progress], None]
TransitionFn = Callable[[State, Action, State], None]


@dataclass(frozen=True)
class SearchOptions:
    """How to search. Strategies ignore the options that do not apply to them.

    `stop_on_first_violation`: stop at the first violated property (stopped_by
    'violation', not exhaustive) instead of continuing to settle every property.
    `symmetry`: store one state per orbit (the model's orbit fingerprints or `canonical(state)` hook:
    `state_key_fn`).
    `on_transition(state, action, succ)`: called for every transition (BFS/DFS, one
    process; `succ` is the stored form, i.e. canonical under symmetry).
    `coverage`: count the model's `coverage_keys(action)` over all transitions.
    `walks`, `seed`, `workers`: random walks and swarm; `workers` also for BFS (its partitions).
    """

    limits: Limits = Limits()
    stop_on_first_violation: bool = False
    symmetry: bool = False
    progress: ProgressFn | None = None
    progress_interval: float = 1.0
    on_transition: TransitionFn | None = None
    coverage: bool = False
    walks: int = 1000
    walk_depth: int = 60
    seed: int = 0
    workers: int = 1
    #: BFS only: a directory for checkpoints (bfs.py, checkpoint.py), at most every
    #: `checkpoint_every` seconds; `resume`: continue from the checkpoint there instead of starting.
    checkpoint: str | None = None
    checkpoint_every: float = 60.0
    resume: bool = False
    #: BFS only: run the partitions as Ray actors: "auto" (a local Ray) or a Ray address;
    #: `model_factory`: a picklable recipe that builds the model there (else the model is pickled).
    cluster: str | None = None
    model_factory: Callable[[], Model] | None = None
    #: BFS only: "compiled" runs a model with a compiled core (`flat_core()`: the Spec, the implementation
    #: model) on flat_bfs.py when it applies (one process, no symmetry or checkpoint); "python" never does.
    engine: str = "compiled"
    #: BFS over worker processes: at the end, bring their node transitions to the model here
    #: (`gather_node_transitions`), for the node checks of checker/runs/node_checks.py.
    node_transitions: bool = False


@dataclass(frozen=True)
class Path:
    """A real path of the model: an initial state, then (action, state) per step."""

    initial: State
    steps: tuple[tuple[Action, State], ...] = ()

    def __len__(self) -> int:
        return len(self.steps)

    def states(self) -> list[State]:
        return [self.initial] + [s for _, s in self.steps]

    def actions(self) -> list[Action]:
        return [a for a, _ in self.steps]

    @property
    def last(self) -> State:
        return self.steps[-1][1] if self.steps else self.initial


@dataclass(frozen=True)
class PropertyResult:
    """The verdict on one property; `path` is the counterexample (always/step) or witness (sometimes)."""

    name: str
    kind: str
    status: Status
    path: Path | None = None


@dataclass
class SearchResult:
    """Everything a run found. `exhaustive` is True only if every reachable state was visited."""

    strategy: str
    states: int
    transitions: int
    depth: int
    seconds: float
    exhaustive: bool
    stopped_by: StopReason | None
    properties: list[PropertyResult]
    states_per_depth: list[int] = field(default_factory=list)
    coverage: dict[str, dict[str, int]] | None = None
    bytes_per_state: float | None = None
    collision_probability: float | None = None
    symmetry_reduction: float | None = None
    unreduced_states: int | None = None
    peak_rss_mb: float = 0.0
    workers: int = 1
    #: The BFS engine that ran: "compiled", or "python" (with why when the compiled one was asked for)
    engine: str | None = None
    #: Random modes only: what the walks saw (`checker.search.random_walk.WalkStats`: visited
    #: fingerprints, growth of distinct states over time, first hit of each property).
    walk_stats: Any = None

    def status(self, name: str) -> Status:
        for p in self.properties:
            if p.name == name:
                return p.status
        raise KeyError(f"no property named {name!r}; known: {[p.name for p in self.properties]}")

    def prop(self, name: str) -> PropertyResult:
        for p in self.properties:
            if p.name == name:
                return p
        raise KeyError(f"no property named {name!r}")

    @property
    def violated(self) -> list[PropertyResult]:
        return [p for p in self.properties if p.status == "violated"]

    @property
    def states_per_sec(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0

    def summary_fields(self) -> dict[str, Any]:
        """The run-summary keys of docs/formats.md that come from the search itself."""
        return {
            "strategy": self.strategy,
            "exhaustive": self.exhaustive,
            "stopped_by": self.stopped_by,
            "states": self.states,
            "transitions": self.transitions,
            "depth": self.depth,
            "seconds": round(self.seconds, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "states_per_depth": list(self.states_per_depth),
            "coverage": self.coverage,
            "symmetry_reduction": self.symmetry_reduction,
            **({"engine": self.engine} if self.engine is not None else {}),
        }


_RSS_UNIT = 1.0 if sys.platform == "darwin" else 1024.0  # ru_maxrss: bytes on macOS, KiB on Linux


def peak_rss_mb() -> float:
    """Peak resident set size of this process and its finished children, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) * _RSS_UNIT / (1024.0 * 1024.0)


def own_peak_rss_mb() -> float:
    """Peak resident set size of this process alone, in MiB (one cheap system call)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_UNIT / (1024.0 * 1024.0)


_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def physical_memory_mb() -> float | None:
    """The memory this process may use in MiB: the machine's physical memory, or the container's
    (cgroup) limit where that is lower; None where the system does not say."""
    sizes = []
    try:
        sizes.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        pass
    for path in _CGROUP_LIMITS:
        try:
            with open(path, encoding="ascii") as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit():  # "max" (cgroup v2) means no limit
            sizes.append(int(text))
    return min(sizes) / (1024.0 * 1024.0) if sizes else None


def limit_reached(deadline: float | None, max_memory_mb: float | None) -> StopReason | None:
    """Why a search must stop now: Ctrl-C, its time limit or its memory limit (None: go on)."""
    if stop_requested():
        return "interrupted"
    if deadline is not None and time.monotonic() >= deadline:
        return "time_limit"
    if max_memory_mb is not None and own_peak_rss_mb() >= max_memory_mb:
        return "max_memory"
    return None


class Verdicts:
    """Collects the first violation / witness per property and turns them into statuses.

    Rules: a violated `always`/`step` property is `violated`; otherwise `held` if the
    search was exhaustive, else `unknown`. A witnessed `sometimes` property is `held`;
    otherwise `violated` after an exhaustive search (the model is vacuous), else `unknown`.
    """

    def __init__(self, props: Sequence[PropertyInfo]) -> None:
        self.props = list(props)
        self.paths: dict[str, Path] = {}
        self.found_depth: dict[str, int] = {}

    def pending_sometimes(self) -> set[str]:
        return {p.name for p in self.props if p.kind == "sometimes" and p.name not in self.paths}

    def has_step_properties(self) -> bool:
        return any(p.kind == "step" for p in self.props)

    def record(self, name: str, path: Path) -> bool:
        """Keep `path` if it is the first or shorter than the one kept; True if kept."""
        old = self.paths.get(name)
        if old is not None and len(old) <= len(path):
            return False
        self.paths[name] = path
        return True

    def any_violation(self) -> bool:
        """A violation that ends a search with `stop_on_first_violation` (one whose property `stops`)."""
        stopping = {p.name for p in self.props if p.kind != "sometimes" and p.stops}
        return any(n in stopping for n in self.paths)

    def results(self, exhaustive: bool) -> list[PropertyResult]:
        out = []
        for p in self.props:
            path = self.paths.get(p.name)
            status: Status
            if p.kind == "sometimes":
                status = "held" if path is not None else ("violated" if exhaustive else "unknown")
            else:
                status = "violated" if path is not None else ("held" if exhaustive else "unknown")
            out.append(PropertyResult(p.name, p.kind, status, path))
        return out


class Clock:
    """Time limit, Ctrl-C stop requests and progress throttling for one search."""

    def __init__(self, options: SearchOptions) -> None:
        self.start = time.monotonic()
        self.deadline = None if options.limits.time_limit is None else self.start + options.limits.time_limit
        self.max_memory_mb = options.limits.max_memory_mb
        self.progress = options.progress
        self.interval = options.progress_interval
        self._next_report = self.start + self.interval

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def stop_reason(self) -> StopReason | None:
        """Why the search must stop now (Ctrl-C, time, memory), or None."""
        return limit_reached(self.deadline, self.max_memory_mb)

    def tick(self, states: int, frontier: int, depth: int, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now < self._next_report:
            return
        self._next_report = now + self.interval
        secs = now - self.start
        self.progress(Progress(states, frontier, depth, secs, states / secs if secs > 0 else 0.0))


def orbit_fingerprints(model: Model, symmetry: bool) -> bool:
    """True if the search keeps states as they are reached and stores, per state, the least fingerprint
    among its images: the model's `symmetric_fingerprints()` hook (called here, once per model) with
    `orbit_fingerprint(state)`, `orbit_fingerprints(states)` and `orbit_sizes(states)`. No state is
    renamed then; without the hook, states are replaced by their `canonical` form."""
    keyed = capabilities(model).orbit_keyed if symmetry else None
    if keyed is None:
        return False
    keyed.symmetric_fingerprints()
    return True


def canonical_fn(model: Model, symmetry: bool) -> Callable[[State], State] | None:
    """The model's `canonical` hook if symmetry is asked for and the model has no orbit fingerprints
    (`orbit_fingerprints`); a clear error if it has neither."""
    if not symmetry or orbit_fingerprints(model, symmetry):
        return None
    fn = capabilities(model).canonical
    if fn is None:
        raise ValueError(f"symmetry reduction needs a model with canonical(state); {type(model).__name__} has none")
    return fn


def state_key_fn(model: Model, symmetry: bool) -> Callable[[State], int]:
    """The fingerprint a search stores for a state: its own, or under symmetry its orbit's (the
    model's `orbit_fingerprint`, else the fingerprint of its canonical form)."""
    if orbit_fingerprints(model, symmetry):
        return model.orbit_fingerprint  # type: ignore[attr-defined,no-any-return]
    canon = canonical_fn(model, symmetry)
    if canon is None:
        return model.fingerprint

    def key(s: State) -> int:
        return model.fingerprint(canon(s))

    return key


def replay_fingerprints(model: Model, fps: Sequence[int], symmetry: bool = False) -> Path:
    """Rebuild a concrete path whose states have the stored fingerprints `fps` (`state_key_fn`).

    Under symmetry a stored fingerprint names an orbit; each step here picks a concrete
    successor of the concrete state so far in the next orbit, so the result is a real path of
    the unreduced model.
    """
    key = state_key_fn(model, symmetry)
    initial = _first_state(model, fps[0], key)
    current = initial
    steps: list[tuple[Action, State]] = []
    for target in fps[1:]:
        for action, t in model.successors(current):
            if key(t) == target:
                steps.append((action, t))
                current = t
                break
        else:
            raise RuntimeError(f"no successor matches fingerprint {target:016x} (non-deterministic model?)")
    return Path(initial, tuple(steps))


def extend_step(model: Model, path: Path, name: str, target: int, symmetry: bool = False) -> Path:
    """`path` and the step after its last state that reaches the state stored as `target` and breaks the
    step property `name` (the first such in the model's order)."""
    key = state_key_fn(model, symmetry)
    last = path.last
    for action, t in model.successors(last):
        if key(t) == target and name in model.step_violated(last, action, t):
            return Path(path.initial, (*path.steps, (action, t)))
    raise RuntimeError(f"could not re-derive the step violating {name}")


def _first_state(model: Model, fp: int, key: Callable[[State], int]) -> State:
    for s in model.initial_states():
        if key(s) == fp:
            return s
    raise RuntimeError("no initial state has the first fingerprint of the path")


def path_from_states(model: Model, states: Sequence[State]) -> Path:
    """Attach actions to a sequence of states in which each is a successor of the previous one."""
    steps: list[tuple[Action, State]] = []
    for s, t in itertools.pairwise(states):
        for action, u in model.successors(s):
            if u == t:
                steps.append((action, t))
                break
        else:
            raise RuntimeError("consecutive states are not a transition of the model")
    return Path(states[0], tuple(steps))


def action_kind(model: Model, action: Action) -> str:
    """The model's `action_kind(action)` hook, else the first element of a tuple action, else str."""
    fn = capabilities(model).action_kind
    if fn is not None:
        return str(fn(action))
    if isinstance(action, tuple) and action and isinstance(action[0], str):
        return action[0]
    return str(action)


def aggregate_coverage(model: Model, per_action: dict[Action, int]) -> dict[str, dict[str, int]]:
    """Coverage counts from transitions counted per action.

    Each action counts under the model's `coverage_keys(action) -> [(category, key), ...]`
    hook, else under ("actions", its kind). Strategies count per action object (one dict
    increment per transition) and call this once at the end.
    """
    fn = capabilities(model).coverage_keys
    counts: dict[str, dict[str, int]] = {}
    for action, n in per_action.items():
        pairs = fn(action) if fn is not None else (("actions", action_kind(model, action)),)
        for category, key in pairs:
            bucket = counts.setdefault(category, {})
            bucket[key] = bucket.get(key, 0) + n
    return counts



def judge_last_steps(model: Model, result: SearchResult) -> SearchResult:
    """`result` with every `always` and `step` property judged at the last step of each counterexample.

    A search that stops (at a step property under `stop_on_first_violation`, or at a limit) may not
    have judged the state a violating step reached, nor the other step properties of that step; a
    property found broken there is recorded as violated with that same path, so a verdict lists
    everything broken at the step where the search stopped. An exhaustive search judged every state
    and step already and is returned as it is.
    """
    if result.exhaustive:
        return result
    found = {p.name: p for p in result.properties}
    for p in result.properties:
        if p.status != "violated" or p.kind == "sometimes" or p.path is None:
            continue
        path = p.path
        broken = set(model.violated(path.last))
        if path.steps:
            prev = path.steps[-2][1] if len(path.steps) > 1 else path.initial
            broken.update(model.step_violated(prev, path.steps[-1][0], path.last))
        for name in broken:
            q = found.get(name)
            if q is not None and q.kind != "sometimes" and q.path is None:
                found[name] = PropertyResult(name, q.kind, "violated", path)
    return replace(result, properties=[found[p.name] for p in result.properties])
