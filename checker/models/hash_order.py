"""`hash_order`: does a node's step depend on Python's hash seed (the iteration order of its sets and dicts)?

Every node transition the implementation model cached, (snapshot, input) -> (snapshot, outputs), is re-run
in child processes under other PYTHONHASHSEED values (checker/models/rerun.py) and compared as the model
consumes it (outputs as sets). A difference is a finding with the transition, both outcomes and the advice;
`MarkedModel` marks the steps that take such a transition, so a search finds the shortest trace to one.
Owns the comparison and the finding's words; no search, no files.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.hashseed import current_hash_seed, other_seeds, seed_text
from checker.model import PropertyInfo
from checker.models.contract import first_differing_field
from checker.models.impl_encoding import DELIVER, PROPOSE, TIMEOUT
from checker.models.impl_model import ImplModel
from checker.models.reductions import Reductions
from checker.models.rerun import METHOD_OF, Outcome, rerun_in_children
from paxos import message_text

HASH_ORDER = "hash_order"
DESCRIPTION = ("every node step gives the same snapshot and outputs under every PYTHONHASHSEED (it does not "
               "depend on the iteration order of a set or dict)")
ADVICE = ("sort before iterating a set or dict, or break ties explicitly (e.g. max by (round, node id), not by "
          "round alone)")
#: How many other hash seeds every transition is re-run under.
SEEDS = 2


def _short(value: object, width: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def input_text(what: tuple[str, Any]) -> str:
    kind, arg = what
    if kind == "deliver":
        return f"on_message({message_text(arg)})"
    return f"{METHOD_OF[kind]}({'' if arg is None else _short(arg)})"


def _only(a: Outcome, b: Outcome) -> list[str]:
    """What `a` sends that `b` does not: messages, else envelopes (a message to another node)."""
    return sorted(message_text(m) for m in a[1] - b[1]) or sorted(f"{message_text(m)} to {d}" for d, m in a[2] - b[2])


def outcome_difference(a: Outcome, b: Outcome, here: str, there: str) -> str:
    """The first difference of two outcomes, in words."""
    if bool(a[3]) != bool(b[3]):
        return f"{here} it {'failed: ' + a[3] if a[3] else 'ran'}, {there} it {'failed: ' + b[3] if b[3] else 'ran'}"
    if a[1] != b[1] or a[2] != b[2]:
        only_a = _only(a, b)
        only_b = _only(b, a)
        return f"{here} it sent {', '.join(only_a) or 'nothing more'}, {there} {', '.join(only_b) or 'nothing more'}"
    sa, sb = a[0], b[0]
    found = first_differing_field(sa, sb)
    if found is not None:
        name, x, y = found
        return f"the snapshot's {name} is {_short(x)} {here} but {_short(y)} {there}"
    return f"the snapshot is {_short(sa)} {here} but {_short(sb)} {there}"


@dataclass(frozen=True)
class HashOrderFinding:
    """One node transition whose outcome differs between two hash seeds."""

    node: int
    snapshot: Hashable
    input: tuple[str, Any]
    here: Outcome  # under this process's seed (the model's)
    there: Outcome
    seed_here: str | None
    seed_there: str
    #: The step also came out otherwise under this process's own seed, re-run in a child: not the hash seed
    #: but a clock, randomness or object ids decide it.
    nondeterministic: bool = False

    def text(self) -> str:
        here, there = f"under {seed_text(self.seed_here)}", f"under {seed_text(self.seed_there)}"
        why = (f"the step depends on the iteration order of a set or dict: {ADVICE}" if not self.nondeterministic
               else f"the step comes out otherwise even under {seed_text(self.seed_here)} again: it is not a function "
                    "of (snapshot, input) (a clock, randomness, object ids?), which the checker needs")
        return (f"node {self.node} {input_text(self.input)} from snapshot {_short(self.snapshot, 240)}: "
                f"{outcome_difference(self.here, self.there, here, there)}; {why}")


@dataclass
class HashOrderCheck:
    """The transitions compared so far (a long search checks samples as it goes, then the rest)."""

    seeds: list[str] = field(default_factory=lambda: other_seeds(SEEDS))
    checked: set[tuple[int, int, int, int]] = field(default_factory=set)
    findings: list[HashOrderFinding] = field(default_factory=list)
    error: str | None = None

    def run(self, model: ImplModel, limit: int | None = None) -> None:
        """Compare the transitions of `model` not compared yet (at most `limit` of them)."""
        if self.error is not None:
            return
        keys, items = [], []
        for key, i, snap, what, after, msgs, envs, fault in model.node_transitions():
            if key in self.checked:
                continue
            keys.append(key)
            items.append((i, snap, what, (after, msgs, envs, fault)))
            if limit is not None and len(items) >= limit:
                break
        if not items:
            return
        try:
            differ = rerun_in_children(model.cfg, items, self.seeds)
        except (RuntimeError, ValueError) as exc:
            self.error = str(exc)
            return
        self.checked.update(keys)
        first: dict[int, tuple[str, Outcome]] = {}
        for seed, rows in differ.items():
            for n, got in rows:
                first.setdefault(n, (seed, got))
        mine = current_hash_seed()
        again: set[int] = set()
        if first and mine is not None:  # the same seed as here, in a child: a difference there is no hash order
            try:
                redo = rerun_in_children(model.cfg, [items[n] for n in sorted(first)], [mine])[mine]
                again = {sorted(first)[m] for m, _ in redo}
            except (RuntimeError, ValueError):
                again = set()
        for n, (seed, got) in sorted(first.items()):
            i, snap, what, here = items[n]
            self.findings.append(HashOrderFinding(model.ids[i], snap, what, here, got, mine, seed, n in again))

    def status(self, exhaustive: bool) -> str:
        if self.findings:
            return "violated"
        return "held" if exhaustive and self.error is None else "unknown"

    def summary(self) -> dict[str, Any]:
        return {"seeds": self.seeds, "transitions": len(self.checked), "differ": len(self.findings),
                "error": self.error}


def _node_input(model: ImplModel, kind: int, arg: int) -> tuple[str, Any]:
    if kind == DELIVER:
        return ("deliver", model.msgs[arg])
    if kind == PROPOSE:
        return ("propose", model.proposal_of[arg])
    return ("timeout" if kind == TIMEOUT else "crash", None)


#: The marked model's `always` property for random walks: a step that takes a finding's transition is
#: enabled here (a walk records it at every state it visits, not only on the step it happens to take).
ENABLED = "hash_order_enabled"


class MarkedModel:
    """An implementation model whose only property is `hash_order`, broken by every step that takes one of
    `findings`' transitions: a BFS of it gives the shortest trace to one, and every other hook is the
    model's own, so the trace is written (and spelled out from reductions) as any other. A reduced step
    takes a transition when its action does or one of the inert deliveries saturation folded into it does
    (`real_steps`). `unreduced`: a fresh copy of the model without reductions, where every node step is a
    step of its own (a transition only taken by a learner kept apart is marked there). `by_state`: also
    the `always` property ENABLED, for a re-run of random walks, which see every state's steps but take one."""

    kind = "impl"

    def __init__(self, model: ImplModel, findings: Sequence[HashOrderFinding], unreduced: bool = False,
                 by_state: bool = False) -> None:
        self.model = (ImplModel(model.cfg, factory=model.factory, refinement=False, reductions=Reductions.none())
                      if unreduced else model)
        self.by_state = by_state
        index = {n: i for i, n in enumerate(self.model.ids)}
        self.bad = {(index[f.node], f.snapshot, f.input): f for f in findings}
        self._unresolved = {(index[f.node], f.snapshot) for f in findings}  # (node index, snapshot) not interned yet
        self._sids: dict[int, set[int]] = {}  # node index -> the ids of its wanted snapshots, once interned
        self._stash: tuple[Any, Any, Any, Any] = (None, [], [], [])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def properties(self) -> Sequence[PropertyInfo]:
        own = (PropertyInfo(HASH_ORDER, "step", DESCRIPTION),)
        return (*own, PropertyInfo(ENABLED, "always", "a step taking a transition found to differ is enabled")) \
            if self.by_state else own

    def violated(self, state: Any) -> Sequence[str]:
        return (ENABLED,) if self.by_state and self.marked_step(state) is not None else ()

    def witnessed(self, state: Any) -> Sequence[str]:
        return ()

    def finding_at(self, state: Any, action: Any, real: bool = False) -> HashOrderFinding | None:
        """The finding a step takes by itself, if any (`real`: a real step that `real_steps` spelled out)."""
        key = self.model.transition_key(state, action, real)
        if key is None:
            return None
        i, sid, kind, arg = key
        return self.bad.get((i, self.model.snaps[i][sid], _node_input(self.model, kind, arg)))

    def _may_take(self, state: Any, succ: Any) -> bool:
        """Can a reduced step from `state` to `succ` take a wanted transition inside it? Inert deliveries
        leave the receiver's snapshot as it is, so every node runs from its snapshot in `state` or `succ`."""
        if self._unresolved:  # a wanted snapshot this model had not met yet: look again (ids never change)
            snap_id = self.model.tables.snap_id
            for i, snap in list(self._unresolved):
                sid = snap_id[i].get(snap)
                if sid is not None:
                    self._sids.setdefault(i, set()).add(sid)
                    self._unresolved.discard((i, snap))
        return any(state[i] in sids or succ[i] in sids for i, sids in self._sids.items())

    def finding_in(self, state: Any, action: Any, succ: Any) -> tuple[int, HashOrderFinding] | None:
        """(n, finding): the n-th real step of this (possibly reduced) step takes `finding`'s transition."""
        direct = self.finding_at(state, action)
        if direct is not None:
            return 0, direct
        por = self.model.por
        blocked = por is not None and action[1] in por.eligible  # a quiet block may run before the step
        if not blocked and (not self.model.reductions.saturation or not self._may_take(state, succ)):
            return None
        prev = state
        for n, (real, cur) in enumerate(self.model.real_steps(state, action, succ)):
            found = self.finding_at(prev, real, real=True)
            if found is not None:
                return n, found
            prev = cur
        return None

    def expand(self, state: Any) -> tuple[list[Any], list[Any], list[tuple[int, tuple[str, ...]]]]:
        if self._stash[0] is state:
            return self._stash[1], self._stash[2], self._stash[3]
        actions, states, _ = self.model.expand(state)
        broken: list[tuple[int, tuple[str, ...]]] = [
            (j, (HASH_ORDER,)) for j, (a, t) in enumerate(zip(actions, states, strict=True))
            if self.finding_in(state, a, t) is not None]
        self._stash = (state, actions, states, broken)
        return actions, states, broken

    def marked_step(self, state: Any) -> tuple[Any, Any] | None:
        """A step from `state` that takes a finding's transition, if one is enabled."""
        actions, states, broken = self.expand(state)
        return (actions[broken[0][0]], states[broken[0][0]]) if broken else None

    def successors(self, state: Any) -> Iterator[tuple[Any, Any]]:
        actions, states, _ = self.expand(state)
        return zip(actions, states, strict=True)

    def step_violated(self, state: Any, action: Any, succ: Any) -> Sequence[str]:
        return (HASH_ORDER,) if self.finding_in(state, action, succ) is not None else ()

    def step_detail(self, state: Any, action: Any) -> str:
        found = self.finding_at(state, action)
        return found.text() if found is not None else ""

    def spell_out(self, initial: Any, steps: Sequence[tuple[Any, Any]], prop: str | None) -> list[tuple[Any, Any]]:
        """`steps` as real steps of the unreduced model, cut right after the first that takes a finding's
        transition (the model's own spelling may leave out the very inert delivery that takes it)."""
        real: list[tuple[Any, Any]] = []
        prev = initial
        for action, state in steps:
            real.extend(self.model.real_steps(prev, action, state))
            prev = state
        prev = initial
        for n, (action, state) in enumerate(real):
            if self.finding_at(prev, action) is not None:
                real = real[: n + 1]
                break
            prev = state
        return self.model.spelling.unreduced_path(initial, [a for a, _ in real])

    def last_finding(self, initial: Any, steps: Sequence[tuple[Any, Any]]) -> HashOrderFinding | None:
        """The finding the last of `steps` takes (a path this model's search found)."""
        if not steps:
            return None
        prev = steps[-2][1] if len(steps) > 1 else initial
        found = self.finding_in(prev, *steps[-1])
        return found[1] if found is not None else None

    def initial_states(self) -> Iterable[Any]:
        return self.model.initial_states()
