"""Seeded random walks: depth-bounded simulation for state spaces too big to exhaust.

Owns one walk (`Walker`), the choice of the next step (`Policy`: uniform here; a swarm mix of
action kinds, coverage guidance in guided.py, priority schedules in pct.py) and the
single-process run of many walks (`run_walks`). Walks are never exhaustive; a violation they
find is a real path, but not necessarily the shortest (the run minimizes its trace afterwards).
It must not know which model it walks: states are opaque, fingerprints come from the model.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, field
from typing import Protocol

from checker.fingerprint import FpArray
from checker.model import Action, Model, State, capabilities
from checker.search.common import (
    Clock,
    Path,
    SearchOptions,
    SearchResult,
    StopReason,
    Verdicts,
    action_kind,
    aggregate_coverage,
    peak_rss_mb,
)
from checker.search.visited import FingerprintSet, collision_probability

Mix = Callable[[str], float]
Steps = tuple[tuple[Action, State], ...]

#: Expansions kept per walker (by fingerprint); about 2 KB each on the catalog configurations.
EXPANSION_CACHE = 20_000
Expansion = tuple[Sequence[Action], Sequence[State], dict[int, tuple[str, ...]]]

#: How often (seconds) a run samples its distinct-state count for the growth curve.
GROWTH_INTERVAL = 0.5


def walk_seed(seed: int, index: int) -> int:
    """The seed of walk `index` of a run seeded `seed` (stable across processes and versions)."""
    return (seed * 1_000_003 + index * 7919 + 1) & ((1 << 63) - 1)


class Policy(Protocol):
    """How a walk picks its next step. `begin` is called once per walk, before its first step."""

    def begin(self, rng: random.Random, walker: Walker) -> None: ...

    def choose(self, rng: random.Random, actions: Sequence[Action], states: Sequence[State], depth: int) -> int:
        """The index of the chosen transition among `actions`/`states` (both non-empty)."""
        ...


class Uniform:
    """Every enabled transition equally likely."""

    def begin(self, rng: random.Random, walker: Walker) -> None:
        pass

    def choose(self, rng: random.Random, actions: Sequence[Action], states: Sequence[State], depth: int) -> int:
        return rng.randrange(len(actions))


class Mixed:
    """A swarm walk: each action kind has its own weight (`lazy_mix`), drawn afresh per walk."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.mix: Mix = lambda kind: 1.0

    def begin(self, rng: random.Random, walker: Walker) -> None:
        self.mix = lazy_mix(random.Random(rng.getrandbits(64)), self.model)

    def choose(self, rng: random.Random, actions: Sequence[Action], states: Sequence[State], depth: int) -> int:
        weights = [self.mix(action_kind(self.model, a)) for a in actions]
        total = sum(weights)
        if total <= 0:
            return rng.randrange(len(actions))  # every enabled kind is switched off: go uniform
        return weighted_index(rng, weights, total)


def weighted_index(rng: random.Random, weights: Sequence[float], total: float) -> int:
    r = rng.random() * total
    for i, w in enumerate(weights):
        r -= w
        if r < 0:
            return i
    return len(weights) - 1


@dataclass
class FirstHit:
    """When a property was first violated (or witnessed) in a run."""

    seconds: float
    transitions: int
    walks: int
    length: int


@dataclass
class WalkStats:
    """What a random run saw, for coverage reports (checker/runs/coverage.py): the visited
    fingerprints (sorted), distinct states over time as (seconds, distinct states, transitions)
    samples, and the first hit of each property."""

    fingerprints: FpArray
    growth: list[tuple[float, int, int]] = field(default_factory=list)
    first_hits: dict[str, FirstHit] = field(default_factory=dict)
    walks: int = 0


class Walker:
    """Runs walks against one model, collecting distinct states, transitions and verdicts."""

    def __init__(self, model: Model, options: SearchOptions) -> None:
        self.model = model
        self.options = options
        self.verdicts = Verdicts(model.properties())
        self.step_props = self.verdicts.has_step_properties()
        self.seen = FingerprintSet()
        self.transitions = 0
        self.max_depth = 0
        self.walks_done = 0
        self.per_action: dict[Action, int] = {}
        self.first_hits: dict[str, FirstHit] = {}
        self.started = time.monotonic()
        self._expand = capabilities(model).expand
        self._inits = list(model.initial_states())
        self._cache: dict[int, Expansion] = {}
        #: states hold ids interned per process (the `Wired` hook): successors are put in a stable order
        self._interned = capabilities(model).wired is not None
        lim = options.limits.max_depth
        self.length = lim if lim is not None else options.walk_depth
        #: The last walk's path and the index of its last state that was new when visited.
        self.last_steps: Steps = ()
        self.last_initial: State | None = None
        self.last_novel = -1

    def _record(self, name: str, initial: State, steps: Steps) -> None:
        if self.verdicts.record(name, Path(initial, steps)) and name not in self.first_hits:
            self.first_hits[name] = FirstHit(time.monotonic() - self.started, self.transitions, self.walks_done,
                                             len(steps))

    def _successors(self, s: State, fp: int) -> Expansion:
        """Every transition of `s`, cached by fingerprint: walks re-walk their first steps, so the
        states near the initial one are expanded again and again (the cache is emptied when full)."""
        hit = self._cache.get(fp)
        if hit is not None:
            return hit
        if self._expand is not None:
            actions, states, broken = self._expand(s)
            out: Expansion = (actions, states, dict(broken) if broken else {})
        else:
            pairs = list(self.model.successors(s))
            out = ([a for a, _ in pairs], [t for _, t in pairs], {})
        if self._interned:
            out = self._stable_order(s, out)
        if len(self._cache) >= EXPANSION_CACHE:
            self._cache.clear()
        self._cache[fp] = out
        return out

    def _stable_order(self, s: State, expansion: Expansion) -> Expansion:
        """`expansion` in an order that is the same in every process: by successor fingerprint, then (for
        different steps to the same state) by the model's `stable_action` and the step verdicts.

        A model whose states hold ids it interns per process (the implementation model's envelopes)
        lists successors in the order of those ids, i.e. in the order this process first met them; a
        walk that chose by that position would depend on the walks run before it in the process, so a
        swarm's chunk would walk elsewhere in a fresh process (a Ray task, a pool worker) than after
        other chunks, and a run's result would depend on which worker ran which chunk."""
        actions, states, broken = expansion
        fingerprint = self.model.fingerprint
        fps = [fingerprint(t) for t in states]
        order = sorted(range(len(fps)), key=fps.__getitem__)
        n = len(order)
        if len(set(fps)) < n:  # steps to one state: equal ones (the same action and verdicts) stay as they are
            k = 0
            while k < n:
                end = k + 1
                while end < n and fps[order[end]] == fps[order[k]]:
                    end += 1
                if end - k > 1:
                    order[k:end] = self._ties(s, expansion, order[k:end])
                k = end
        if all(k == j for k, j in enumerate(order)):
            return expansion
        where = {j: k for k, j in enumerate(order)}
        return ([actions[j] for j in order], [states[j] for j in order],
                {where[j]: v for j, v in broken.items()})

    def _ties(self, s: State, expansion: Expansion, group: list[int]) -> list[int]:
        """Steps of `group` (indexes into `expansion`, all to one state) in a stable order if they differ in
        action or verdicts: by the model's `stable_action` (else the trace row), then the step verdicts."""
        actions, states, broken = expansion

        def names(j: int) -> tuple[str, ...]:
            got = broken.get(j) if self._expand is not None else self.model.step_violated(s, actions[j], states[j])
            return tuple(sorted(got or ()))

        if len({(actions[j], names(j)) for j in group}) == 1:
            return group
        stable = capabilities(self.model).stable_action
        if stable is not None:
            return sorted(group, key=lambda j: (stable(actions[j]), names(j)))
        describe = self.model.describe
        return sorted(group, key=lambda j: (astuple(describe(s, actions[j], states[j])), names(j)))

    def walk(self, rng: random.Random, policy: Policy, start: Path | None = None) -> bool:
        """One walk of at most `length` states (from `start`'s last state if given, its steps kept
        as the prefix); False if a violation says stop."""
        model, options = self.model, self.options
        policy.begin(rng, self)
        if start is None:
            initial = self._inits[rng.randrange(len(self._inits))] if len(self._inits) > 1 else self._inits[0]
            steps: list[tuple[Action, State]] = []
        else:
            initial, steps = start.initial, list(start.steps)
        s = steps[-1][1] if steps else initial
        fast = self._expand is not None
        seen, coverage = self.seen, options.coverage
        novel = -1
        fingerprint = model.fingerprint
        while True:
            fp = fingerprint(s)
            if seen.add(fp):
                novel = len(steps)
            depth = len(steps) + 1
            if depth > self.max_depth:
                self.max_depth = depth
            for name in model.violated(s):
                self._record(name, initial, tuple(steps))
            for name in model.witnessed(s):
                self._record(name, initial, tuple(steps))
            if options.stop_on_first_violation and self.verdicts.any_violation():
                self._keep(initial, steps, novel)
                return False
            if depth >= self.length:
                break
            actions, states, broken = self._successors(s, fp)
            if not actions:
                break
            i = policy.choose(rng, actions, states, depth)
            action, t = actions[i], states[i]
            self.transitions += 1
            if coverage:
                self.per_action[action] = self.per_action.get(action, 0) + 1
            if self.step_props:
                names = broken.get(i, ()) if fast else model.step_violated(s, action, t)
                if names:
                    for name in names:
                        self._record(name, initial, (*steps, (action, t)))
                    if options.stop_on_first_violation and self.verdicts.any_violation():
                        self._keep(initial, steps, novel)
                        return False
            steps.append((action, t))
            s = t
        self.walks_done += 1
        self._keep(initial, steps, novel)
        return True

    def _keep(self, initial: State, steps: list[tuple[Action, State]], novel: int) -> None:
        self.last_initial, self.last_steps, self.last_novel = initial, tuple(steps), novel


def lazy_mix(rng: random.Random, model: Model) -> Mix:
    """A swarm mix: each action kind gets a random weight the first time it is seen.

    About a third of the kinds are switched off (weight 0), the rest weigh 1, 2 or 4.
    The model's `swarm_mix(rng) -> dict[kind, weight]` hook, if present, is used instead.
    """
    hook = capabilities(model).swarm_mix
    if hook is not None:
        table: dict[str, float] = dict(hook(rng))
        return lambda kind: table.get(kind, 1.0)
    drawn: dict[str, float] = {}

    def weight(kind: str) -> float:
        w = drawn.get(kind)
        if w is None:
            w = drawn[kind] = rng.choice((0.0, 1.0, 2.0, 4.0, 0.0, 1.0))
        return w

    return weight


def finish(
    strategy: str, walker: Walker, clock: Clock, stopped: StopReason | None, workers: int = 1,
    states: int | None = None, coverage: dict[str, dict[str, int]] | None = None,
    growth: list[tuple[float, int, int]] | None = None, fingerprints: FpArray | None = None,
) -> SearchResult:
    """A walk result: never exhaustive; unfound violations and witnesses stay unknown."""
    n = len(walker.seen) if states is None else states
    stats = WalkStats(walker.seen.to_array() if fingerprints is None else fingerprints, list(growth or []),
                      dict(walker.first_hits), walker.walks_done)
    return SearchResult(
        strategy=strategy,
        states=n,
        transitions=walker.transitions,
        depth=walker.max_depth,
        seconds=clock.elapsed(),
        exhaustive=False,
        stopped_by=stopped,
        properties=walker.verdicts.results(exhaustive=False),
        coverage=coverage if coverage is not None else (
            aggregate_coverage(walker.model, walker.per_action) if walker.options.coverage else None),
        bytes_per_state=8.0 if n else None,
        collision_probability=collision_probability(n, walker.transitions + walker.walks_done),
        peak_rss_mb=peak_rss_mb(),
        workers=workers,
        walk_stats=stats,
    )


WalkFn = Callable[[Walker, int], bool]


def run_walks(strategy: str, model: Model, options: SearchOptions, one_walk: Callable[[Walker], WalkFn]
              ) -> tuple[SearchResult, Walker]:
    """`options.walks` walks in this process, walk i by `one_walk(walker)(walker, i)`, until a
    violation (with --stop-on-first), a limit or Ctrl-C; samples the growth of distinct states."""
    walker = Walker(model, options)
    clock = Clock(options)
    walker.started = clock.start
    growth: list[tuple[float, int, int]] = []
    step = one_walk(walker)
    stopped: StopReason | None = None
    next_sample = clock.start + GROWTH_INTERVAL
    max_states = options.limits.max_states
    try:
        for i in range(options.walks):
            if not step(walker, i):
                stopped = "violation"
                break
            if i & 7 == 7 or options.limits.time_limit is None:
                stopped = clock.stop_reason()
                if stopped is not None:
                    break
                now = time.monotonic()
                if now >= next_sample:
                    growth.append((now - clock.start, len(walker.seen), walker.transitions))
                    next_sample = now + GROWTH_INTERVAL
            if max_states is not None and len(walker.seen) >= max_states:
                stopped = "max_states"
                break
            clock.tick(len(walker.seen), 0, walker.max_depth)
    except KeyboardInterrupt:
        stopped = "interrupted"
    growth.append((clock.elapsed(), len(walker.seen), walker.transitions))
    return finish(strategy, walker, clock, stopped, growth=growth), walker


def random_walks(model: Model, options: SearchOptions | None = None) -> SearchResult:
    """`options.walks` uniform random walks of at most `max_depth` (else `walk_depth`) states."""
    result, _ = uniform_run(model, options or SearchOptions())
    return result


def uniform_run(model: Model, options: SearchOptions) -> tuple[SearchResult, Walker]:
    policy = Uniform()

    def one_walk(walker: Walker) -> WalkFn:
        return lambda w, i: w.walk(random.Random(walk_seed(options.seed, i)), policy)

    return run_walks("random", model, options, one_walk)
