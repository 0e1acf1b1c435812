"""The shortest violation within what a walk did: a BFS that may take only the walk's own actions.

A random walk reaches a violation by a long way round. Breadth-first search over the model,
restricted to the actions (deliveries, proposals, crashes, ...) that occur on the walk's path,
finds the shortest path to the same property's violation that uses them: it keeps the walk's
ingredients and drops the detours and the ordering accidents, which delta debugging over the
trace (checker/traces/minimize.py, run afterwards) cannot reorder. The restricted space is small
(a few dozen actions); `max_states` bounds it anyway, and the walk's path is kept if it is hit.
It must not choose what a walk does: it only shortens a path it is given.
"""

from __future__ import annotations

from checker.model import Action, Model, State, capabilities
from checker.search.common import Path

DEFAULT_MAX_STATES = 100_000
#: States a BFS of every action (not only the walk's) may visit before the restricted one is used.
OPEN_MAX_STATES = 20_000


def shortest(model: Model, path: Path, prop: str) -> Path:
    """A shortest path breaking `prop` no longer than `path`: first a BFS of every action to depth
    len(path) - 1, exact when it fits in `OPEN_MAX_STATES` states (small configurations); else the
    shortest that uses only the walk's own actions (`shortest_within`)."""
    found = shortest_within(model, path, prop, OPEN_MAX_STATES, restrict=False)
    if found is not None:
        return found
    return shortest_within(model, path, prop) or path


def shortest_within(model: Model, path: Path, prop: str, max_states: int = DEFAULT_MAX_STATES,
                    restrict: bool = True) -> Path | None:
    """The shortest path from `path.initial` that breaks `prop` (an `always` property in its last
    state, or a `step` property on its last step) using only actions of `path` (all actions if not
    `restrict`), searched to depth len(path); None if the search would pass `max_states` states."""
    allowed = set(path.actions()) if restrict else None
    fp = model.fingerprint
    expand = capabilities(model).expand
    start = path.initial
    parents: dict[int, tuple[int, Action, State] | None] = {fp(start): None}

    def rebuild(last_fp: int) -> list[tuple[Action, State]]:
        steps: list[tuple[Action, State]] = []
        link = parents[last_fp]
        while link is not None:
            parent_fp, action, state = link
            steps.append((action, state))
            link = parents[parent_fp]
        steps.reverse()
        return steps

    if prop in model.violated(start):
        return Path(start)
    frontier: list[tuple[int, State]] = [(fp(start), start)]
    depth = 0
    while frontier and depth < len(path):
        depth += 1
        nxt: list[tuple[int, State]] = []
        for f, s in frontier:
            if expand is not None:
                actions, states, broken_list = expand(s)
                broken = dict(broken_list)
            else:
                pairs = list(model.successors(s))
                actions, states = [a for a, _ in pairs], [t for _, t in pairs]
                broken = {i: tuple(model.step_violated(s, a, t)) for i, (a, t) in enumerate(pairs)}
            for i, (a, t) in enumerate(zip(actions, states, strict=True)):
                if allowed is not None and a not in allowed:
                    continue
                if prop in broken.get(i, ()):
                    return Path(start, (*rebuild(f), (a, t)))
                g = fp(t)
                if g in parents:
                    continue
                parents[g] = (f, a, t)
                if prop in model.violated(t):
                    return Path(start, tuple(rebuild(g)))
                nxt.append((g, t))
                if len(parents) > max_states:
                    return None
        frontier = nxt
    return path  # nothing shorter (the walk's own path is within reach at its own depth)
