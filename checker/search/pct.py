"""PCT-style priority schedules (Burckhardt et al., ASPLOS 2010), adapted to message passing.

Owns the schedule only; the walk is random_walk.py's `Walker`. Each walk gives every actor
(the node an action belongs to: the model's `action_actor(action)` hook, else the second
element of a tuple action, else its kind) a random distinct priority, and draws `d - 1`
change points among the walk's steps. At each step the enabled actor of highest priority
acts (uniformly among its enabled actions); at the i-th change point the actor that just
acted drops to priority -i, below every initial one. For a bug that needs d ordering
constraints among n actors over k steps, one walk finds it with probability at least
1 / (n * k^(d-1)) in the original setting (threads); here an actor's choice among its own
messages is random, so the bound is a guide, not a guarantee. `d` is drawn per walk from
1..`MAX_DEPTH` (bugs of unknown depth).
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence

from checker.model import Action, Model, State, capabilities
from checker.search.common import SearchOptions, SearchResult, action_kind
from checker.search.random_walk import Walker, WalkFn, run_walks, walk_seed

MAX_DEPTH = 6


def actor_of(model: Model, action: Action) -> Hashable:
    fn = capabilities(model).action_actor
    if fn is not None:
        return fn(action)
    if isinstance(action, tuple) and len(action) > 1 and isinstance(action[1], int):
        return action[1]
    return action_kind(model, action)


class Priorities:
    """One walk's priority schedule."""

    def __init__(self, model: Model, length: int, max_depth: int = MAX_DEPTH) -> None:
        self.model, self.length, self.max_depth = model, length, max_depth
        self.priority: dict[Hashable, float] = {}
        self.changes: list[int] = []
        self.rng = random.Random(0)
        self.lowered = 0

    def begin(self, rng: random.Random, walker: Walker) -> None:
        self.rng = rng
        self.priority = {}
        d = rng.randint(1, self.max_depth)
        self.changes = sorted(rng.randrange(1, max(2, self.length)) for _ in range(d - 1))
        self.lowered = 0

    def _prio(self, actor: Hashable) -> float:
        p = self.priority.get(actor)
        if p is None:
            p = self.priority[actor] = self.rng.random() + 1.0  # initial priorities are in [1, 2)
        return p

    def choose(self, rng: random.Random, actions: Sequence[Action], states: Sequence[State], depth: int) -> int:
        actors = [actor_of(self.model, a) for a in actions]
        best = max(self._prio(a) for a in actors)
        mine = [i for i, a in enumerate(actors) if self.priority[a] == best]
        i = mine[rng.randrange(len(mine))]
        while self.changes and self.changes[0] <= depth:
            self.changes.pop(0)
            self.lowered += 1
            self.priority[actors[i]] = -float(self.lowered)
        return i


def pct_run(model: Model, options: SearchOptions) -> tuple[SearchResult, Walker]:
    """Walks under PCT priority schedules; walk i is seeded by `walk_seed(seed, i)`."""
    lim = options.limits.max_depth
    length = lim if lim is not None else options.walk_depth

    def one_walk(walker: Walker) -> WalkFn:
        policy = Priorities(model, length)
        return lambda w, i: w.walk(random.Random(walk_seed(options.seed, i)), policy)

    return run_walks("pct", model, options, one_walk)


def pct(model: Model, options: SearchOptions | None = None) -> SearchResult:
    """`options.walks` walks under PCT priority schedules."""
    result, _ = pct_run(model, options or SearchOptions())
    return result
