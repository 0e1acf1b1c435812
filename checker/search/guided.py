"""Coverage-guided random walks: prefer steps into states no walk has visited yet.

Owns the guidance only; the walk itself is random_walk.py's `Walker`. The default, chosen by
measurement (bench/results_simulate.md: transitions to the first violation of the two 17-step
catalog bugs over 40 seeds), combines two habits:

- novelty: at each step choose uniformly among the successors whose fingerprint no walk has
  visited yet, and among all of them only when every successor is known (`NOVELTY` = 1);
- fault delay (swarm testing in time): each walk holds each budgeted kind of step (`DELAYED`:
  timeout, crash, drop, duplicate) back until a depth of its own, drawn uniformly up to the
  mean walk length so far, so a crash or retry budget is not spent on the first steps.

Also measured and kept as options, off by default because they did not win: a swarm mix of
action-kind weights per walk (`swarm`, `mixer`), a corpus of frontier prefixes that walks
resume from (`resume`), and novelty for only a share of the walks (`share`).
Paths stay real paths of the model.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from checker.model import Action, Model, State
from checker.search.common import Path, SearchOptions, SearchResult, action_kind
from checker.search.random_walk import Mix, Walker, WalkFn, lazy_mix, run_walks, walk_seed, weighted_index

NOVELTY = 1.0
RESUME = 0.0
SWARM = 0.0
DELAY = True
CORPUS = 4096
#: Action kinds that spend a budget (a crash, a retry, a lost or duplicated message): with `delay`,
#: each walk holds each of them back until a random depth of its own.
DELAYED = ("timeout", "crash", "drop", "duplicate")


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
                 mixer: Callable[[random.Random, Model], Mix] = lazy_mix, share: float = 1.0,
                 delay: bool = DELAY) -> None:
        self.model, self.walker = model, walker
        self.novelty, self.swarm, self.mixer, self.share, self.delay = novelty, swarm, mixer, share, delay
        self.p = novelty
        self.until: dict[str, int] = {}
        self._kinds: dict[Action, str] = {}
        self.fp = model.fingerprint
        self.weights: dict[str, float] | None = None
        self._mix = lazy_mix(random.Random(0), model)

    def begin(self, rng: random.Random, walker: Walker) -> None:
        self.p = self.novelty if self.share >= 1.0 or rng.random() < self.share else 0.0
        if self.delay:  # each fault kind waits until a random depth within the walks' mean length
            w = self.walker
            mean = max(1, w.transitions // max(1, w.walks_done))
            self.until = {k: rng.randint(1, mean) for k in DELAYED}
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
        if self.delay:
            kinds = self._kinds
            for a in actions:
                if a not in kinds:
                    kinds[a] = action_kind(self.model, a)
            until = self.until
            allowed = [i for i, a in enumerate(actions) if until.get(kinds[a], 0) <= depth]
            if allowed:
                candidates = allowed
        if self.p and rng.random() < self.p:
            seen, fp = self.walker.seen, self.fp
            fresh = [i for i in candidates if fp(states[i]) not in seen]
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
               swarm: float = SWARM, mixer: Callable[[random.Random, Model], Mix] = lazy_mix, share: float = 1.0,
               delay: bool = DELAY) -> tuple[SearchResult, Walker]:
    """Coverage-guided walks (see the module text); walk i is seeded by `walk_seed(seed, i)`."""
    corpus = Corpus()

    def one_walk(walker: Walker) -> WalkFn:
        policy = Novelty(model, walker, novelty, swarm, mixer, share, delay)

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
