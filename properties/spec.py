"""Lamport's single-decree Paxos (`Paxos.tla` of the TLA+ examples) as plain, readable Python.

This module is the reference: it owns the Spec's state, its four actions, `chosen` and the
step explanation used for refinement checking. It is written for clarity, not speed
(checker/models/spec_model.py is the fast encoding and is tested to reach the same states).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field, replace
from itertools import combinations

Value = Hashable
#: `None` of Paxos.tla: the value of an acceptor that has not voted.
NONE_VALUE: None = None
#: `-1`: the "no ballot" of maxBal and maxVBal before any promise or vote.
NO_BALLOT = -1


@dataclass(frozen=True, slots=True, order=True)
class Msg1a:
    """Phase 1a: the leader of ballot `bal` asks acceptors to join it."""

    bal: int


@dataclass(frozen=True, slots=True, order=True)
class Msg1b:
    """Phase 1b: acceptor `acc` joins ballot `bal` and reports its last vote (`mbal`, `mval`)."""

    acc: int
    bal: int
    mbal: int
    mval: Value


@dataclass(frozen=True, slots=True, order=True)
class Msg2a:
    """Phase 2a: the leader of ballot `bal` asks acceptors to vote for `val`."""

    bal: int
    val: Value


@dataclass(frozen=True, slots=True, order=True)
class Msg2b:
    """Phase 2b: acceptor `acc` voted for `val` in ballot `bal`."""

    acc: int
    bal: int
    val: Value


Message = Msg1a | Msg1b | Msg2a | Msg2b


def _majorities(n: int) -> tuple[frozenset[int], ...]:
    need = n // 2 + 1
    return tuple(frozenset(q) for q in combinations(range(n), need))


@dataclass(frozen=True)
class SpecConfig:
    """The constants of Paxos.tla: acceptors `0..acceptors-1`, ballots `0..ballots-1`, values.

    `values` is a count (named `v1, v2, ...`) or a tuple of hashable values. `quorums`
    defaults to every majority of the acceptors; an explicit list must be pairwise
    intersecting subsets of the acceptors (the QuorumAssumption of Paxos.tla).
    """

    acceptors: int = 3
    ballots: int = 2
    values: int | tuple[Value, ...] = 2
    quorums: tuple[frozenset[int], ...] | None = None
    value_names: tuple[Value, ...] = field(init=False, repr=False, compare=False)
    quorum_list: tuple[frozenset[int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.acceptors < 1:
            raise ValueError(f"acceptors must be at least 1, got {self.acceptors}")
        if self.ballots < 1:
            raise ValueError(f"ballots must be at least 1, got {self.ballots}")
        if isinstance(self.values, int):
            if self.values < 1:
                raise ValueError(f"values must be at least 1, got {self.values}")
            names: tuple[Value, ...] = tuple(f"v{i + 1}" for i in range(self.values))
        else:
            names = tuple(self.values)
            if not names or len(set(names)) != len(names) or None in names:
                raise ValueError("values must be a non-empty tuple of distinct values, none of them None")
        object.__setattr__(self, "value_names", names)
        quorums = _majorities(self.acceptors) if self.quorums is None else tuple(
            frozenset(q) for q in self.quorums
        )
        if self.quorums is not None:
            object.__setattr__(self, "quorums", quorums)
        for q in quorums:
            if not q or not q <= frozenset(range(self.acceptors)):
                raise ValueError(f"quorum {sorted(q)} must be a non-empty subset of acceptors 0..{self.acceptors - 1}")
        for q1 in quorums:
            for q2 in quorums:
                if not q1 & q2:
                    raise ValueError(f"quorums {sorted(q1)} and {sorted(q2)} do not intersect")
        if not quorums:
            raise ValueError("at least one quorum is needed")
        object.__setattr__(self, "quorum_list", quorums)


@dataclass(frozen=True, slots=True)
class SpecState:
    """One state of Paxos.tla: per-acceptor `maxBal`, `maxVBal`, `maxVal`, and `msgs` (all sent)."""

    max_bal: tuple[int, ...]
    max_vbal: tuple[int, ...]
    max_val: tuple[Value, ...]
    msgs: frozenset[Message]


Step = tuple[str, tuple[Value, ...], SpecState]


def initial_state(cfg: SpecConfig) -> SpecState:
    """Init: every acceptor at -1/None and no message sent."""
    n = cfg.acceptors
    return SpecState((NO_BALLOT,) * n, (NO_BALLOT,) * n, (NONE_VALUE,) * n, frozenset())


def _set(t: tuple[Value, ...], i: int, x: Value) -> tuple[Value, ...]:
    return (*t[:i], x, *t[i + 1 :])


def phase1a(cfg: SpecConfig, s: SpecState, b: int) -> SpecState:
    """Phase1a(b): send a 1a message for ballot b (a stutter if it was sent already)."""
    return replace(s, msgs=s.msgs | {Msg1a(b)})


def phase1b(cfg: SpecConfig, s: SpecState, a: int, b: int) -> SpecState | None:
    """Phase1b(a) on the 1a message of ballot b: promise b if b > maxBal[a]; else None."""
    if Msg1a(b) not in s.msgs or not b > s.max_bal[a]:
        return None
    m = Msg1b(a, b, s.max_vbal[a], s.max_val[a])
    return replace(s, max_bal=_set(s.max_bal, a, b), msgs=s.msgs | {m})  # type: ignore[arg-type]


def phase2a_enabled(cfg: SpecConfig, s: SpecState, b: int, v: Value) -> bool:
    """The two enabling conjuncts of Phase2a(b, v), exactly as in Paxos.tla."""
    if any(isinstance(m, Msg2a) and m.bal == b for m in s.msgs):
        return False
    for q in cfg.quorum_list:
        q1b = [m for m in s.msgs if isinstance(m, Msg1b) and m.acc in q and m.bal == b]
        if not all(any(m.acc == a for m in q1b) for a in q):
            continue
        q1bv = [m for m in q1b if m.mbal >= 0]
        if not q1bv:
            return True
        if any(m.mval == v and all(m.mbal >= mm.mbal for mm in q1bv) for m in q1bv):
            return True
    return False


def phase2a(cfg: SpecConfig, s: SpecState, b: int, v: Value) -> SpecState | None:
    """Phase2a(b, v): send the 2a message (b, v) if enabled; else None."""
    if not phase2a_enabled(cfg, s, b, v):
        return None
    return replace(s, msgs=s.msgs | {Msg2a(b, v)})


def phase2b(cfg: SpecConfig, s: SpecState, a: int, b: int, v: Value) -> SpecState | None:
    """Phase2b(a) on the 2a message (b, v): vote if b >= maxBal[a]; else None."""
    if Msg2a(b, v) not in s.msgs or not b >= s.max_bal[a]:
        return None
    return SpecState(
        _set(s.max_bal, a, b),  # type: ignore[arg-type]
        _set(s.max_vbal, a, b),  # type: ignore[arg-type]
        _set(s.max_val, a, v),
        s.msgs | {Msg2b(a, b, v)},
    )


def _all_steps(cfg: SpecConfig, s: SpecState) -> Iterator[Step]:
    for b in range(cfg.ballots):
        yield "phase1a", (b,), phase1a(cfg, s, b)
    for a in range(cfg.acceptors):
        for m in sorted(x for x in s.msgs if isinstance(x, Msg1a)):
            t = phase1b(cfg, s, a, m.bal)
            if t is not None:
                yield "phase1b", (a, m.bal), t
    for b in range(cfg.ballots):
        for v in cfg.value_names:
            t = phase2a(cfg, s, b, v)
            if t is not None:
                yield "phase2a", (b, v), t
    for a in range(cfg.acceptors):
        for m2 in sorted((x for x in s.msgs if isinstance(x, Msg2a)), key=lambda x: x.bal):
            t = phase2b(cfg, s, a, m2.bal, m2.val)
            if t is not None:
                yield "phase2b", (a, m2.bal, m2.val), t


def next_states(cfg: SpecConfig, s: SpecState) -> list[Step]:
    """Every Next step from `s` that changes the state: (action name, parameters, successor).

    Parameters: phase1a (b,), phase1b (a, b), phase2a (b, v), phase2b (a, b, v), where
    b is the ballot of the message received. Stuttering steps are left out.
    """
    return [(name, params, t) for name, params, t in _all_steps(cfg, s) if t != s]


def explain_step(cfg: SpecConfig, s: SpecState, t: SpecState) -> str | None:
    """Which Spec step takes `s` to `t`: e.g. "phase2b(a=1, b=0, v=v1)", "stutter" if t == s, else None.

    Used for refinement checking: an implementation step is correct iff its image under
    the refinement mapping is a Spec step or a stutter.
    """
    if t == s:
        return "stutter"
    if not s.msgs <= t.msgs:
        return None
    new = t.msgs - s.msgs
    if len(new) > 1:
        return None
    candidates: list[tuple[str, tuple[Value, ...]]] = []
    if new:
        (m,) = tuple(new)
        if isinstance(m, Msg1a):
            candidates.append(("phase1a", (m.bal,)))
        elif isinstance(m, Msg1b):
            candidates.append(("phase1b", (m.acc, m.bal)))
        elif isinstance(m, Msg2a):
            candidates.append(("phase2a", (m.bal, m.val)))
        else:
            candidates.append(("phase2b", (m.acc, m.bal, m.val)))
    else:
        # Only a re-vote whose 2b message was already sent can change the state without a new message.
        for a in range(cfg.acceptors):
            if (s.max_bal[a], s.max_vbal[a], s.max_val[a]) != (t.max_bal[a], t.max_vbal[a], t.max_val[a]):
                candidates.append(("phase2b", (a, t.max_vbal[a], t.max_val[a])))
    for name, params in candidates:
        if _apply(cfg, s, name, params) == t:
            args = ", ".join(f"{k}={p}" for k, p in zip(_PARAM_NAMES[name], params, strict=True))
            return f"{name}({args})"
    return None


_PARAM_NAMES: dict[str, tuple[str, ...]] = {
    "phase1a": ("b",),
    "phase1b": ("a", "b"),
    "phase2a": ("b", "v"),
    "phase2b": ("a", "b", "v"),
}


def _apply(cfg: SpecConfig, s: SpecState, name: str, params: tuple[Value, ...]) -> SpecState | None:
    if name == "phase1a":
        return phase1a(cfg, s, int(params[0]))  # type: ignore[call-overload]
    if name == "phase1b":
        return phase1b(cfg, s, int(params[0]), int(params[1]))  # type: ignore[call-overload]
    if name == "phase2a":
        return phase2a(cfg, s, int(params[0]), params[1])  # type: ignore[call-overload]
    if name == "phase2b":
        return phase2b(cfg, s, int(params[0]), int(params[1]), params[2])  # type: ignore[call-overload]
    raise ValueError(f"unknown Spec action {name!r}")


def apply_step(cfg: SpecConfig, s: SpecState, name: str, params: tuple[Value, ...]) -> SpecState | None:
    """Perform the named action with its parameters (as in `next_states`); None if not enabled."""
    return _apply(cfg, s, name, params)


def votes(s: SpecState) -> dict[int, frozenset[tuple[int, Value]]]:
    """The refinement mapping's `votes[a]`: the <<bal, val>> pairs of a's 2b messages."""
    out: dict[int, set[tuple[int, Value]]] = {}
    for m in s.msgs:
        if isinstance(m, Msg2b):
            out.setdefault(m.acc, set()).add((m.bal, m.val))
    return {a: frozenset(v) for a, v in out.items()}


def chosen(cfg: SpecConfig, s: SpecState) -> set[Value]:
    """Voting's `chosen`: values some quorum voted for in one ballot (from the 2b messages)."""
    voters: dict[tuple[int, Value], set[int]] = {}
    for m in s.msgs:
        if isinstance(m, Msg2b):
            voters.setdefault((m.bal, m.val), set()).add(m.acc)
    return {
        v for (_, v), accs in voters.items() if any(q <= accs for q in cfg.quorum_list)
    }


def describe_state(cfg: SpecConfig, s: SpecState) -> str:
    """A compact text: per acceptor maxBal/maxVBal/maxVal, then the messages sent."""
    accs = " ".join(
        f"a{a}:{s.max_bal[a]}/{s.max_vbal[a]}/{'-' if s.max_val[a] is None else s.max_val[a]}"
        for a in range(cfg.acceptors)
    )
    order = {Msg1a: 0, Msg1b: 1, Msg2a: 2, Msg2b: 3}
    msgs = sorted(s.msgs, key=lambda m: (order[type(m)], repr(m)))
    return f"{accs} | msgs={{{', '.join(_msg_text(m) for m in msgs)}}}"


def _msg_text(m: Message) -> str:
    if isinstance(m, Msg1a):
        return f"1a({m.bal})"
    if isinstance(m, Msg1b):
        return f"1b(a{m.acc},{m.bal},{m.mbal},{'-' if m.mval is None else m.mval})"
    if isinstance(m, Msg2a):
        return f"2a({m.bal},{m.val})"
    return f"2b(a{m.acc},{m.bal},{m.val})"


def reachable(cfg: SpecConfig) -> tuple[set[SpecState], int]:
    """All reachable states and the TLC depth (BFS levels, the initial state is level 1).

    A plain BFS for tests and cross-checks on small configurations.
    """
    init = initial_state(cfg)
    seen = {init}
    frontier = [init]
    depth = 0
    while frontier:
        depth += 1
        nxt: list[SpecState] = []
        for s in frontier:
            for _, _, t in next_states(cfg, s):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return seen, depth
