"""Seeded random walks: depth-bounded simulation for state spaces too big to exhaust.

Owns one walk (`Walker`) and the single-process run of many walks. Walks are never
exhaustive; a violation they find is a real path, but not necessarily the shortest.
Action mixes (weights per action kind) come from swarm.py or the model's `swarm_mix` hook.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from checker.model import Action, Model, State
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


def walk_seed(seed: int, index: int) -> int:
    """The seed of walk `index` of a run seeded `seed` (stable across processes and versions)."""
    return (seed * 1_000_003 + index * 7919 + 1) & ((1 << 63) - 1)


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
        lim = options.limits.max_depth
        self.length = lim if lim is not None else options.walk_depth

    def walk(self, rng: random.Random, mix: Mix | None) -> bool:
        """One walk of at most `length` states; False if a violation says stop."""
        model = self.model
        inits = list(model.initial_states())
        s = inits[rng.randrange(len(inits))]
        steps: list[tuple[Action, State]] = []
        initial = s
        while True:
            self.seen.add(model.fingerprint(s))
            depth = len(steps) + 1
            self.max_depth = max(self.max_depth, depth)
            for name in model.violated(s):
                self.verdicts.record(name, Path(initial, tuple(steps)))
            for name in model.witnessed(s):
                self.verdicts.record(name, Path(initial, tuple(steps)))
            if self.options.stop_on_first_violation and self.verdicts.any_violation():
                return False
            if depth >= self.length:
                break
            succs = list(model.successors(s))
            if not succs:
                break
            action, t = self._choose(rng, succs, mix)
            self.transitions += 1
            if self.options.coverage:
                self.per_action[action] = self.per_action.get(action, 0) + 1
            if self.step_props:
                for name in model.step_violated(s, action, t):
                    self.verdicts.record(name, Path(initial, (*steps, (action, t))))
                if self.options.stop_on_first_violation and self.verdicts.any_violation():
                    return False
            steps.append((action, t))
            s = t
        self.walks_done += 1
        return True

    def _choose(
        self, rng: random.Random, succs: list[tuple[Action, State]], mix: Mix | None
    ) -> tuple[Action, State]:
        if mix is None:
            return succs[rng.randrange(len(succs))]
        weights = [mix(action_kind(self.model, a)) for a, _ in succs]
        if sum(weights) <= 0:
            return succs[rng.randrange(len(succs))]  # every enabled kind is switched off: go uniform
        return rng.choices(succs, weights=weights)[0]


def lazy_mix(rng: random.Random, model: Model) -> Mix:
    """A swarm mix: each action kind gets a random weight the first time it is seen.

    About a third of the kinds are switched off (weight 0), the rest weigh 1, 2 or 4.
    The model's `swarm_mix(rng) -> dict[kind, weight]` hook, if present, is used instead.
    """
    hook = getattr(model, "swarm_mix", None)
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
) -> SearchResult:
    """A walk result: never exhaustive; unfound violations and witnesses stay unknown."""
    n = len(walker.seen) if states is None else states
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
    )


def random_walks(model: Model, options: SearchOptions | None = None) -> SearchResult:
    """`options.walks` uniform random walks of at most `max_depth` (else `walk_depth`) states."""
    opts = options or SearchOptions()
    walker = Walker(model, opts)
    clock = Clock(opts)
    stopped: StopReason | None = None
    try:
        for i in range(opts.walks):
            if not walker.walk(random.Random(walk_seed(opts.seed, i)), None):
                stopped = "violation"
                break
            stopped = clock.stop_reason()
            if stopped is not None:
                break
            if opts.limits.max_states is not None and len(walker.seen) >= opts.limits.max_states:
                stopped = "max_states"
                break
            clock.tick(len(walker.seen), 0, walker.max_depth)
    except KeyboardInterrupt:
        stopped = "interrupted"
    return finish("random", walker, clock, stopped)


#: The same strategy under the module's name (what `checker.runs.run.STRATEGY_FUNCS` imports).
random_walk = random_walks
