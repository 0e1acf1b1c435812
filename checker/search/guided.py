"""Coverage-guided random walks: prefer steps into states no walk has visited yet.

Owns the guidance only; the walk itself is random_walk.py's `Walker`. Two habits of
greybox fuzzers, measured on the bug catalog (bench/results_simulate.md):

- novelty: at each step, with probability `NOVELTY`, choose among the successors whose
  fingerprint is unseen (uniformly), else among all of them;
- a corpus of frontier prefixes: a walk that found new states leaves the prefix that ends
  at its last new state in a bounded corpus; with probability `RESUME` a walk starts from a
  random corpus entry rather than from the initial state, so walks spend their steps past
  what is already known instead of re-walking the same first steps.

Every walk may also draw a swarm mix of action kinds (`SWARM`: probability per walk), so rare
mixes of faults (a crash, a retry) get walks of their own. Paths stay real paths of the model.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from checker.model import Action, Model, State
from checker.search.common import Path, SearchOptions, SearchResult, action_kind
from checker.search.random_walk import Mix, Walker, WalkFn, lazy_mix, run_walks, walk_seed, weighted_index

NOVELTY = 0.9
RESUME = 0.5
SWARM = 0.5
CORPUS = 4096


def wide_mix(rng: random.Random, model: Model) -> Mix:
    """A swarm mix over a wide range: each kind's weight is 2**u, u uniform in [-6, 2], or 0 with
    probability 1/5, drawn when first seen. Small weights delay a kind (a crash, a retry) to late in
    the walk instead of switching it off: a fault budget is not spent on the first steps."""
    drawn: dict[str, float] = {}

    def weight(kind: str) -> float:
        w = drawn.get(kind)
        if w is None:
            w = drawn[kind] = 0.0 if rng.random() < 0.2 else 2.0 ** rng.uniform(-6.0, 2.0)
        return w

    return weight


class Novelty:
    """The step policy: unseen successors first (with probability `novelty`), under an optional swarm mix."""

    def __init__(self, model: Model, walker: Walker, novelty: float = NOVELTY, swarm: float = SWARM,
                 mixer: Callable[[random.Random, Model], Mix] = lazy_mix) -> None:
        self.model, self.walker = model, walker
        self.novelty, self.swarm, self.mixer = novelty, swarm, mixer
        self.fp = model.fingerprint
        self.weights: dict[str, float] | None = None
        self._mix = lazy_mix(random.Random(0), model)

    def begin(self, rng: random.Random, walker: Walker) -> None:
        if rng.random() < self.swarm:
            self._mix = self.mixer(random.Random(rng.getrandbits(64)), self.model)
            self.weights = {}
        else:
            self.weights = None

    def _weight(self, action: Action) -> float:
        assert self.weights is not None
        kind = action_kind(self.model, action)
        w = self.weights.get(kind)
        if w is None:
            w = self.weights[kind] = self._mix(kind)
        return w

    def choose(self, rng: random.Random, actions: Sequence[Action], states: Sequence[State], depth: int) -> int:
        candidates: Sequence[int] = range(len(actions))
        if rng.random() < self.novelty:
            seen, fp = self.walker.seen, self.fp
            fresh = [i for i, t in enumerate(states) if fp(t) not in seen]
            if fresh:
                candidates = fresh
        if self.weights is not None:
            weights = [self._weight(actions[i]) for i in candidates]
            total = sum(weights)
            if total > 0:
                return candidates[weighted_index(rng, weights, total)]
        return candidates[rng.randrange(len(candidates))]


class Corpus:
    """Bounded store of frontier prefixes (paths ending at a state that was new when reached)."""

    def __init__(self, size: int = CORPUS) -> None:
        self.size = size
        self.paths: list[Path] = []

    def offer(self, rng: random.Random, walker: Walker) -> None:
        if walker.last_novel <= 0 or walker.last_initial is None:
            return
        path = Path(walker.last_initial, walker.last_steps[: walker.last_novel])
        if len(self.paths) < self.size:
            self.paths.append(path)
        else:
            self.paths[rng.randrange(self.size)] = path

    def pick(self, rng: random.Random) -> Path | None:
        return self.paths[rng.randrange(len(self.paths))] if self.paths else None


def guided_run(model: Model, options: SearchOptions, novelty: float = NOVELTY, resume: float = RESUME,
               swarm: float = SWARM, mixer: Callable[[random.Random, Model], Mix] = lazy_mix
               ) -> tuple[SearchResult, Walker]:
    """Coverage-guided walks (see the module text); walk i is seeded by `walk_seed(seed, i)`."""
    corpus = Corpus()

    def one_walk(walker: Walker) -> WalkFn:
        policy = Novelty(model, walker, novelty, swarm, mixer)

        def walk(w: Walker, i: int) -> bool:
            rng = random.Random(walk_seed(options.seed, i))
            start = corpus.pick(rng) if rng.random() < resume else None
            ok = w.walk(rng, policy, start)
            corpus.offer(rng, w)
            return ok

        return walk

    return run_walks("guided", model, options, one_walk)


def guided(model: Model, options: SearchOptions | None = None) -> SearchResult:
    """`options.walks` coverage-guided walks of at most `max_depth` (else `walk_depth`) states."""
    result, _ = guided_run(model, options or SearchOptions())
    return result
