"""Guidance for Hypothesis fuzzing: prefer steps into worlds no case has reached yet, hold faults back.

Owns the bookkeeping only; `checker/runs/fuzz.py`'s state machine asks `Guide.fresh` which of its
options to offer. It is the fuzzing twin of `checker/search/guided.py` (chosen there by
measurement, bench/results_simulate_strategies.md): with uniform choices Hypothesis spends its
budget on interleavings it has already tried, and the two 17-step catalog bugs stayed out of reach
of the `ci` profile (bench/results_simulate.md).

**Novelty.** An option is *fresh* when the world it leads to has not been reached by any case
before. The state machine offers only fresh options while there are any (as `guided` walks do),
else every option. The world after an option is predicted without running it, from node-local
transitions already seen: the world key is the XOR of a hash per node snapshot, per in-flight
envelope (with its count) and per crashed node, and a local transition `(node, snapshot, input)`
-> `(snapshot after, envelopes sent)` once taken tells exactly how those terms change. An input a
node has never received in that snapshot counts as fresh. The key leaves out budget counters and
the ghost history, so it is a guide, not the model checker's fingerprint: it only orders choices,
and every step taken is a real step of `paxos.Cluster`, checked like any other.

**Replay.** Hypothesis replays the failing case at the end and while shrinking, and needs the same
choices to give the same run; novelty depends on earlier cases. So each step draws a token first.
Steps are numbered as they run (over all cases), and each fact is stamped with the number of the
step that first recorded it. A step sees the facts stamped below the number of the first step
that drew its token (and its own case's facts). Steps run one after another, so every fact stamped
below k was recorded before step k ran, and none can be added later: a replay (the same tokens, as
the same choices) sees exactly what the first run saw, step by step, while still recording what it
finds under its own later numbers. Hypothesis checks this: a difference is its error
FlakyStrategyDefinition ("inconsistent data generation"). A token per step, not per case: when
Hypothesis builds a case from an old one (about two cases in three, measured), the copied steps
repeat the old case's actions and the new steps are guided by all that is known now.

**Fault delay.** Each case draws, per budgeted kind (timeout, crash, drop, duplicate), a step
count before which that kind is held back while anything else can run, so a case does not spend
its crash or retry on its first steps.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.search.guided import DELAYED  # the kinds held back, as guided walks do
from paxos import Action, Crash, Deliver, Drop, Duplicate, Envelope, Propose, Restart, Timeout

#: Each delay is drawn uniformly from 0..FAULT_DELAY steps.
FAULT_DELAY = 24
_NEVER = 1 << 62

#: A node-local transition's effect: the node's snapshot hash after it, and the envelopes it sent.
Effect = tuple[int, tuple[Envelope, ...]]


def _h(*parts: Hashable) -> int:
    return hash(parts)


@dataclass
class Memory:
    """What every case of one fuzzing run has seen, each fact stamped with the number of the step that found it."""

    first_drawn: dict[int, int] = field(default_factory=dict)
    worlds: dict[int, int] = field(default_factory=dict)
    effects: dict[tuple[int, int, Hashable], tuple[Effect, int]] = field(default_factory=dict)
    clock: int = 0

    def step(self, token: int) -> tuple[int, int]:
        """A step starts: (what it may see: the number of the step that first drew `token`, its own number)."""
        now = self.clock
        self.clock += 1
        return self.first_drawn.setdefault(token, now), now


class Guide:
    """One case's view of `Memory`: predicts the world after an option and says whether it is fresh."""

    def __init__(self, memory: Memory, bag: bool) -> None:
        self.memory, self.bag = memory, bag
        self.view = self.stamp = 0
        self.own_worlds: set[int] = set()
        self.own_effects: dict[tuple[int, int, Hashable], Effect] = {}
        self.snaps: dict[int, int] = {}
        self.in_flight: dict[Envelope, int] = {}
        self.key = 0

    # -- the world key ------------------------------------------------------------------------

    def start(self, snapshots: dict[int, Hashable]) -> None:
        """The initial world: node snapshots, nothing in flight, nobody crashed."""
        self.view = self.stamp = self.memory.clock  # the first step draws its own token
        for node, snap in snapshots.items():
            self.snaps[node] = hash(snap)
            self.key ^= _h("node", node, self.snaps[node])
        self._see(self.key)

    def _see(self, key: int) -> None:
        self.own_worlds.add(key)
        self.memory.worlds.setdefault(key, self.stamp)

    def _seen(self, key: int) -> bool:
        return key in self.own_worlds or self.memory.worlds.get(key, _NEVER) < self.view

    def _known(self, local: tuple[int, int, Hashable]) -> Effect | None:
        own = self.own_effects.get(local)
        if own is not None:
            return own
        entry = self.memory.effects.get(local)
        return entry[0] if entry is not None and entry[1] < self.view else None

    @staticmethod
    def local(action: Action) -> tuple[int, Hashable] | None:
        """(node, input) of a node-local transition, or None for an action no node takes part in."""
        if isinstance(action, Deliver):
            return action.env.dst, ("msg", action.env.msg)
        if isinstance(action, Propose):
            return action.node, ("propose", action.value)
        if isinstance(action, Timeout):
            return action.node, ("timeout",)
        if isinstance(action, Crash):
            return action.node, ("crash",)
        return None

    def _after(self, action: Action, effect: Effect | None) -> tuple[int, dict[Envelope, int]]:
        """The world key after `action` given its node-local effect (None: no node takes part), and
        the in-flight counts it changes."""
        key = self.key
        counts: dict[Envelope, int] = {}

        def add(env: Envelope, delta: int) -> None:
            nonlocal key
            old = counts.get(env, self.in_flight.get(env, 0))
            new = 1 if not self.bag and delta > 0 else max(0, old + delta)
            key ^= (_h("env", env, old) if old else 0) ^ (_h("env", env, new) if new else 0)
            counts[env] = new

        if isinstance(action, Duplicate):
            add(action.env, +1)
        elif isinstance(action, (Deliver, Drop)) and self.bag:
            add(action.env, -1)
        elif isinstance(action, (Crash, Restart)):
            key ^= _h("crashed", action.node)
        if effect is not None:
            local = self.local(action)
            assert local is not None
            node = local[0]
            key ^= _h("node", node, self.snaps[node]) ^ _h("node", node, effect[0])
            for env in effect[1]:
                add(env, +1)
        return key, counts

    # -- what the state machine asks ----------------------------------------------------------

    def fresh(self, token: int, actions: Sequence[Action]) -> list[Action]:
        """The options whose world is new to this case and to every step before the first to draw
        `token` (a step's token, drawn by Hypothesis); the step then records under its own number."""
        self.view, self.stamp = self.memory.step(token)
        out = []
        for action in actions:
            local = self.local(action)
            effect = None
            if local is not None:
                node, what = local
                effect = self._known((node, self.snaps[node], what))
                if effect is None:  # an input this node never took in this snapshot: fresh
                    out.append(action)
                    continue
            if not self._seen(self._after(action, effect)[0]):
                out.append(action)
        return out

    def took(self, action: Action, snapshot_after: Hashable | None, sent: Iterable[Envelope]) -> None:
        """Record a step that ran: its node's snapshot after it (None if no node took part) and what it sent."""
        local = self.local(action)
        effect: Effect | None = None
        if local is not None and snapshot_after is not None:
            node, what = local
            effect = (hash(snapshot_after), tuple(sent))
            fact = (node, self.snaps[node], what)
            self.own_effects[fact] = effect
            self.memory.effects.setdefault(fact, (effect, self.stamp))
        self.key, counts = self._after(action, effect)
        for env, n in counts.items():
            if n:
                self.in_flight[env] = n
            else:
                self.in_flight.pop(env, None)
        if effect is not None and local is not None:
            self.snaps[local[0]] = effect[0]
        self._see(self.key)


def delays(kinds: Iterable[str], draw: Any) -> dict[str, int]:
    """Per delayed kind, the step before which it waits (drawn with Hypothesis's `draw`)."""
    from hypothesis import strategies as st

    return {k: draw(st.integers(0, FAULT_DELAY)) for k in DELAYED if k in kinds}  # a fixed order: replayable
