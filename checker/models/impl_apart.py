"""Reduction 3 of the implementation model, learners apart: pure learners kept out of the state.

Owns which learners are apart, the values they can have learned from the mail waiting for them
(through learners.LearnerReach), and their own steps appended to a trace that needs them. It does
not judge properties itself: it hands the combinations to impl_verdicts.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from checker.models.impl_encoding import CRASH, DELIVER, RESTART, ImplState
from checker.models.impl_layout import FP
from checker.models.impl_tables import ImplTables, NodeStep
from checker.models.impl_views import Views
from checker.models.learners import LearnerReach
from paxos import Value
from properties.invariants import Property, WorldView

Step = tuple[tuple[int, int, int], ImplState]


class LearnersApart:
    """The apart learners of one model (none when the reduction is off)."""

    def __init__(self, tables: ImplTables, views: Views, apart: Sequence[int]) -> None:
        self.t = tables
        self.views = views
        self.apart = list(apart)
        mask = 0
        for i in self.apart:
            mask |= 1 << i
        self.mask = mask
        self.reach = {i: LearnerReach(tables.ids[i], self._learner_step(i), self._learned_fn(i), tables.cfg.crashes)
                      for i in self.apart}
        #: per key, each combination as (node id, value) pairs: a dict per combination held ~700 bytes a key
        self._combo_cache: dict[tuple[Any, ...], tuple[tuple[tuple[int, Value], ...], ...]] = {}

    def _learner_step(self, i: int) -> Callable[[int, str, int], NodeStep]:
        t = self.t

        def step(sid: int, kind: str, eid: int) -> NodeStep:
            if kind == "deliver":
                return t.node_step(i, sid, DELIVER, t.envs[eid][1])
            return t.node_step(i, sid, CRASH, 0)
        return step

    def _learned_fn(self, i: int) -> Callable[[int], Value]:
        def learned(sid: int) -> Value:
            return self.t.learned_of(i, sid)
        return learned

    def key(self, state: ImplState) -> tuple[Any, ...]:
        """What the apart learners' outcomes depend on: their snapshots and mail, and the crashes left."""
        t = self.t
        lay, masks = t.layout, t.dst_mask
        net = state[lay.net]
        return (tuple((state[i], net & masks[i]) for i in self.apart), t.cfg.crashes - state[lay.crashes])

    def combos(self, state: ImplState) -> list[dict[int, Value]]:
        """Every combination of values the apart learners can have learned by now, within the crash budget."""
        key = self.key(state)
        hit = self._combo_cache.get(key)
        if hit is None:
            (places, budget) = key
            options = [sorted(self.reach[i].outcomes(sid, bits).items(), key=repr)
                       for i, (sid, bits) in zip(self.apart, places, strict=True)]
            hit = tuple(tuple((self.t.ids[i], v) for i, (v, _) in zip(self.apart, combo, strict=True))
                        for combo in itertools.product(*options) if sum(c for _, c in combo) <= budget)
            self._combo_cache[key] = hit
        return [dict(combo) for combo in hit]

    def completion(self, state: ImplState, prop_info: Property | None) -> list[Step]:
        """The apart learners' own steps that make `prop_info` fail (or, for `sometimes`, hold) after `state`.

        Empty when the state shows it without them. Deliveries to a learner can come last
        because the set network keeps every message; crashes fit in the remaining budget.
        """
        if not self.apart or prop_info is None or prop_info.kind == "step":
            return []
        info = prop_info

        def shows(view: WorldView) -> bool:
            holds = info.check(view) is None
            return holds if info.kind == "sometimes" else not holds
        if shows(self.views.view(state)):
            return []
        for learned in self.combos(state):
            if shows(self.views.view(state, learned)):
                return self._learner_suffix(state, learned)
        return []

    def _learner_suffix(self, state: ImplState, learned: dict[int, Value]) -> list[Step]:
        t = self.t
        lay, zs, z = t.layout, t.z_snap, t.z
        at_crashed, at_crashes = lay.crashed, lay.crashes
        steps: list[Step] = []
        cur = list(state)
        for i in self.apart:
            n = t.ids[i]
            reach = self.reach[i]
            if reach.learned(cur[i]) == learned[n]:
                continue
            for (how, arg), (sid, _crashed, _used) in reach.path_to(state[i], state[lay.net] & t.dst_mask[i],
                                                                    learned[n]):
                fp = cur[FP] ^ zs[i][cur[i]] ^ zs[i][sid]
                if how == "deliver":
                    action = (DELIVER, i, arg)
                elif how == "crash":
                    action, c = (CRASH, i, 0), cur[at_crashes]
                    cur[at_crashed] |= 1 << i
                    cur[at_crashes] = c + 1
                    fp ^= z[("crashed", n)] ^ z[("crashes", c)] ^ z[("crashes", c + 1)]
                else:
                    action = (RESTART, i, 0)
                    cur[at_crashed] &= ~(1 << i)
                    fp ^= z[("crashed", n)]
                cur[i], cur[FP] = sid, fp
                steps.append((action, tuple(cur)))
        return steps
