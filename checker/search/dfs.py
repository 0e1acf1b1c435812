"""Depth-first exhaustive search: little memory (the current path plus 8 bytes per visited state).

Owns the depth-first visiting order only. Its counterexamples are real paths but not the
shortest (use bfs.py for those). Under a depth limit it is never exhaustive: a state
first reached deep may have been cut off although it is reachable on a shorter path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from checker.model import Action, Model, State, capabilities
from checker.search.common import (
    Clock,
    Path,
    SearchOptions,
    SearchResult,
    StopReason,
    Verdicts,
    aggregate_coverage,
    canonical_fn,
    path_from_states,
    peak_rss_mb,
    replay_fingerprints,
    state_key_fn,
)
from checker.search.visited import FingerprintSet, collision_probability


def dfs(model: Model, options: SearchOptions | None = None) -> SearchResult:
    """Exhaustive depth-first search within `options.limits` (one process)."""
    opts = options or SearchOptions()
    limits = opts.limits
    canon = canonical_fn(model, opts.symmetry)
    # the fingerprint stored for a state as kept (renamed by `canon`, or as reached with orbit keys)
    key = model.fingerprint if canon is not None else state_key_fn(model, opts.symmetry)
    caps = capabilities(model)
    orbit = caps.orbit_size if opts.symmetry else None
    clock = Clock(opts)
    verdicts = Verdicts(model.properties())
    step_props = verdicts.has_step_properties()
    seen = FingerprintSet()
    per_action: dict[Action, int] = {}
    hook = opts.on_transition
    transitions = 0
    max_depth_seen = 0
    unreduced = 0
    stopped: StopReason | None = None
    cut_by_depth = False
    stack: list[tuple[State, int, Iterator[tuple[Action, State, Sequence[str] | None]]]] = []
    expand = caps.expand

    def moves(s: State) -> Iterator[tuple[Action, State, Sequence[str] | None]]:
        """(action, successor, step properties broken or None if not known yet) per transition."""
        if expand is None:
            return ((a, t, None) for a, t in model.successors(s))
        actions, states, broken = expand(s)  # verdicts now: the model's cache is per state
        names: list[Sequence[str]] = [()] * len(states)
        for j, bad in broken:
            names[j] = bad
        return iter(zip(actions, states, names, strict=True))

    pending = verdicts.pending_sometimes()

    def path_to(states: list[State], fps: list[int]) -> Path:
        if canon is not None:  # stored states are renamed: find a real path (with orbit keys they are real)
            return replay_fingerprints(model, fps, symmetry=True)
        return path_from_states(model, states)

    def here(s: State, fp: int) -> Path:
        return path_to([e[0] for e in stack] + [s], [e[1] for e in stack] + [fp])

    def visit(s: State, fp: int) -> bool:
        """Check a new state; push it unless cut by depth. False if the search must stop."""
        nonlocal max_depth_seen, cut_by_depth, unreduced
        depth = len(stack) + 1
        max_depth_seen = max(max_depth_seen, depth)
        if orbit is not None:
            unreduced += orbit(s)
        for name in model.violated(s):
            if name not in verdicts.paths:
                verdicts.record(name, here(s, fp))
        if pending:
            for name in model.witnessed(s):
                if name in pending:
                    pending.discard(name)
                    verdicts.record(name, here(s, fp))
        if opts.stop_on_first_violation and verdicts.any_violation():
            return False
        if limits.max_depth is not None and depth >= limits.max_depth:
            if any(True for _ in model.successors(s)):
                cut_by_depth = True
            return True
        stack.append((s, fp, moves(s)))
        return True

    try:
        for init in model.initial_states():
            c = canon(init) if canon is not None else init
            fp = key(c)
            if seen.add(fp) and not visit(c, fp):
                stopped = "violation"
                break
        while stopped is None and stack:
            s, _, it = stack[-1]
            step = next(it, None)
            if step is None:
                stack.pop()
                continue
            action, t, known = step
            transitions += 1
            c = canon(t) if canon is not None else t
            if hook is not None:
                hook(s, action, c)
            if opts.coverage:
                per_action[action] = per_action.get(action, 0) + 1
            if step_props:
                for name in known if known is not None else model.step_violated(s, action, t):
                    if name not in verdicts.paths:
                        base = path_to([e[0] for e in stack], [e[1] for e in stack])
                        verdicts.record(name, _with_step(model, base, action, t, canon is not None))
                if opts.stop_on_first_violation and verdicts.any_violation():
                    stopped = "violation"
                    break
            if not transitions % 1024:  # every 1024 transitions, also where all of them reach known states
                stopped = clock.stop_reason()
                if stopped is not None:
                    break
                clock.tick(len(seen), len(stack), len(stack))
            fp = key(c)
            if not seen.add(fp):
                continue
            if limits.max_states is not None and len(seen) > limits.max_states:
                stopped = "max_states"
                break
            if not visit(c, fp):  # checked when first seen: a state counted is a state checked
                stopped = "violation"
                break
    except KeyboardInterrupt:
        stopped = "interrupted"
    if stopped is None and cut_by_depth:
        stopped = "max_depth"
    exhaustive = stopped is None
    seen.flush()  # report the steady-state cost: the sorted array, 8 bytes per state
    n = min(len(seen), limits.max_states) if limits.max_states is not None else len(seen)
    return SearchResult(
        strategy="dfs",
        states=n,
        transitions=transitions,
        depth=max_depth_seen,
        seconds=clock.elapsed(),
        exhaustive=exhaustive,
        stopped_by=stopped,
        properties=verdicts.results(exhaustive),
        states_per_depth=[],
        coverage=aggregate_coverage(model, per_action) if opts.coverage else None,
        bytes_per_state=(seen.nbytes / len(seen)) if len(seen) else None,
        collision_probability=collision_probability(len(seen), transitions + 1),
        symmetry_reduction=(unreduced / n) if orbit is not None and n and unreduced else None,
        unreduced_states=unreduced if orbit is not None and unreduced else None,
        peak_rss_mb=peak_rss_mb(),
    )


def _with_step(model: Model, base: Path, action: Action, t: State, symmetric: bool) -> Path:
    if not symmetric:
        return Path(base.initial, (*base.steps, (action, t)))
    for a, u in model.successors(base.last):
        if model.step_violated(base.last, a, u):
            return Path(base.initial, (*base.steps, (a, u)))
    raise RuntimeError("could not re-derive a violating step under symmetry")
