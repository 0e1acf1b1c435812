"""Is a counterexample to induction reachable? Hand the concrete state z3 found to an exhaustive search.

A failed induction step shows a state satisfying the invariant whose successor does not. If that
state is reachable in Paxos.tla with the same constants, the Spec (or the weakened action) is
really unsafe; if an exhaustive search of the real Spec never reaches it, the invariant is only
too weak there. Uses the readable Spec (properties/spec.py); no z3 here.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from properties.spec import (
    Msg1a,
    Msg1b,
    Msg2a,
    Msg2b,
    SpecConfig,
    SpecState,
    initial_state,
    next_states,
)


class NotConcrete(ValueError):
    """The z3 model cannot be read as one state of the explorer's Spec."""


def spec_state_of(model: dict[str, Any]) -> tuple[SpecConfig, SpecState]:
    """The Spec constants and state of a `spec_state` counterexample (properties/z3_spec.py's shape)."""
    accs: list[str] = list(model["acceptors"])
    ballots = sorted(int(b) for b in model["ballots"])
    values = tuple(model["values"])
    phase1 = [frozenset(accs.index(a) for a in q) for q in model["quorums"]["phase1"]]
    phase2 = [frozenset(accs.index(a) for a in q) for q in model["quorums"]["phase2"]]
    if sorted(map(sorted, phase1)) != sorted(map(sorted, phase2)):
        raise NotConcrete("its phase-1 and phase-2 quorums differ; Paxos.tla has one quorum system")
    rank = {b: i for i, b in enumerate(ballots)}

    def bal(b: Any) -> int:
        return -1 if b is None or int(b) < 0 else rank[int(b)]

    msgs: set[Any] = set()
    for m in model["msgs"]:
        kind = m["type"]
        if kind == "1a":
            msgs.add(Msg1a(bal(m["bal"])))
        elif kind == "1b":
            msgs.add(Msg1b(accs.index(m["acc"]), bal(m["bal"]), bal(m["mbal"]), m.get("mval")))
        elif kind == "2a":
            msgs.add(Msg2a(bal(m["bal"]), m["val"]))
        elif kind == "2b":
            msgs.add(Msg2b(accs.index(m["acc"]), bal(m["bal"]), m["val"]))
        else:
            raise NotConcrete(f"unknown message type {kind!r}")
    try:
        cfg = SpecConfig(len(accs), len(ballots), values, tuple(phase1))
    except ValueError as exc:
        raise NotConcrete(str(exc)) from None
    state = SpecState(
        tuple(bal(model["maxBal"][a]) for a in accs),
        tuple(bal(model["maxVBal"][a]) for a in accs),
        tuple(model["maxVal"][a] for a in accs),
        frozenset(msgs),
    )
    return cfg, state


def reachability(model: dict[str, Any], max_states: int = 300_000) -> dict[str, Any]:
    """{"verdict": "reachable"|"unreachable"|"unknown", "states": searched, "steps": path length or None,
    "text": one sentence} for a counterexample-to-induction state, by BFS of the real Spec."""
    try:
        cfg, target = spec_state_of(model)
    except (KeyError, ValueError, NotConcrete) as exc:
        return {"verdict": "unknown", "states": 0, "steps": None,
                "text": f"not concrete enough for the explorer: {exc}"}
    start = initial_state(cfg)
    depth = {start: 0}
    queue = deque([start])
    while queue:
        s = queue.popleft()
        if s == target:
            return {"verdict": "reachable", "states": len(depth), "steps": depth[s],
                    "text": f"reachable in Paxos.tla with these constants, in {depth[s]} steps"}
        if len(depth) >= max_states:
            return {"verdict": "unknown", "states": len(depth), "steps": None,
                    "text": f"not found within {len(depth):,} states of Paxos.tla (search bounded)"}
        for _, _, t in next_states(cfg, s):
            if t not in depth:
                depth[t] = depth[s] + 1
                queue.append(t)
    return {"verdict": "unreachable", "states": len(depth), "steps": None,
            "text": f"unreachable: an exhaustive search of all {len(depth):,} states of Paxos.tla with these "
                    "constants never reaches it; it is a counterexample to induction, not an execution"}
