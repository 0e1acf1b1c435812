"""Which properties an implementation-model state or step breaks, cached by what each one reads.

Owns the run's properties (built-ins, the user's, `refines_spec`, `node_error`), the verdict
caches and the step verdicts the successor function attaches to each transition. Properties are
defined in properties/; nothing here defines one, and nothing here enumerates successors.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from checker.model import PropertyInfo
from checker.models.impl_apart import LearnersApart
from checker.models.impl_encoding import ImplState
from checker.models.impl_inductive import NAMES as INDUCTIVE_NAMES
from checker.models.impl_inductive import InductiveIndex
from checker.models.impl_layout import PROPOSED, SENT
from checker.models.impl_refinement import RefinementIndex
from checker.models.impl_tables import ImplTables
from checker.models.impl_views import Views
from paxos import NODE_ERROR, NODE_ERROR_DESCRIPTION
from properties.invariants import PROPERTIES, Property, WorldView, failing
from properties.refinement import Refinement, SpecImage


def picker(positions: Sequence[int]) -> Callable[[ImplState], tuple[Any, ...]]:
    """A fast `lambda state: tuple(state[p] for p in positions)`."""
    if not positions:
        return lambda state: ()
    get = operator.itemgetter(*positions)
    if len(positions) == 1:
        return lambda state: (get(state),)
    return get


class Verdicts:
    """The properties of one model and their verdicts on its states and steps."""

    def __init__(self, tables: ImplTables, views: Views, props: Sequence[Property], refinement: Refinement | None,
                 apart: LearnersApart, deviation_stops: bool) -> None:
        """`deviation_stops=False` (`--deviation warn`): a `refines_spec` violation is reported but does
        not end a search that stops on the first violation."""
        self.t = tables
        self.views = views
        self.props = tuple(props)
        self.by_name = {p.name: p for p in self.props}
        self.user_steps = tuple(p for p in self.props if p.kind == "step" and p not in PROPERTIES)
        self.user_sometimes = any(p.kind == "sometimes" and p not in PROPERTIES for p in self.props)
        self.infos = tuple(PropertyInfo(p.name, p.kind, p.description) for p in self.props)
        self.refinement = refinement
        self.refine_index: RefinementIndex | None = None
        acceptor_pos = {i: pos for pos, i in enumerate(tables.acceptor_idx)}
        self.acceptor_at = [acceptor_pos.get(i, -1) for i in range(tables.k)]  # -1: not an acceptor
        if refinement is not None:
            self.refine_index = RefinementIndex(refinement, tables.msgs, tables.acceptor_idx,
                                                list(tables.cc.acceptors), tables.acceptor_of)
            self.infos += (PropertyInfo("refines_spec", "step", refinement.description, stops=deviation_stops),)
        self.infos += (PropertyInfo(NODE_ERROR, "step", NODE_ERROR_DESCRIPTION),)
        self.acceptors_of = picker(tables.acceptor_idx)
        self.learners_of = picker(tables.learner_idx)
        self.apart = apart
        self._always_cache: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._sometimes_cache: dict[tuple[int, int], tuple[str, ...]] = {}
        self._view_cache: dict[tuple[Any, ...], WorldView] = {}
        # the built-in conjuncts of the inductive invariant are judged by InductiveIndex, the others over views
        fast = frozenset(p.name for p in self.props if p in PROPERTIES and p.name in INDUCTIVE_NAMES)
        self.view_props = tuple(p for p in self.props if p.name not in fast)
        reads = [p.reads for p in self.view_props if p.kind != "sometimes"]
        tables.view_kinds = None if None in reads else frozenset(k for r in reads if r is not None for k in r)
        tables.view_mask = 0
        for mid, msg in enumerate(tables.msgs):  # messages interned before the kinds were known
            if tables.view_kinds is None or type(msg).__name__ in tables.view_kinds:
                tables.view_mask |= 1 << mid
        image = SpecImage(tables.cc)
        q2 = tuple(frozenset(image.acc_index[a] for a in q) for q in tables.cc.quorums.phase2_quorums())
        self.inductive = InductiveIndex(image, q2, tables.msgs, tables.acceptor_idx, tables.acceptor_of, fast)

    def violated(self, state: ImplState) -> Sequence[str]:
        hit = self.view_violated(state)
        inv = self.inductive.failing(self.acceptors_of(state), state[SENT])
        if inv:
            return tuple(p.name for p in self.props if p.name in hit or p.name in inv)
        return hit

    def view_violated(self, state: ImplState) -> tuple[str, ...]:
        """The `always` properties judged over views (all but the inductive invariant's conjuncts) that
        `state` breaks, cached by what they read: the whole view, the Python engine's reference (the
        compiled core judges them in the parts they declare, impl_view_parts.py, tested against this)."""
        sent_read = state[SENT] & self.t.view_mask  # the messages an always property judged over views reads
        key: tuple[Any, ...] = (self.acceptors_of(state), self.learners_of(state), sent_read, state[PROPOSED])
        if self.apart.apart:
            key += self.apart.key(state)
        hit = self._always_cache.get(key)
        if hit is None:
            names: set[str] = set()
            for view in self.views_of(state):
                names.update(name for name, _ in failing(view, "always", self.view_props))
            hit = self._always_cache[key] = tuple(p.name for p in self.props if p.name in names)
        return hit

    def witnessed(self, state: ImplState) -> Sequence[str]:
        key: tuple[Any, ...] = (state[SENT] & self.t.accepted_mask, state[PROPOSED])
        if self.user_sometimes:  # a user's witness may read acceptors and learners, not only the history
            key += (self.acceptors_of(state), self.learners_of(state))
        if self.apart.apart:
            key += self.apart.key(state)
        hit = self._sometimes_cache.get(key)
        if hit is None:
            names = {p.name for view in self.views_of(state) for p in self.props
                     if p.kind == "sometimes" and p.check(view) is None}
            hit = self._sometimes_cache[key] = tuple(p.name for p in self.props if p.name in names)
        return hit

    def views_of(self, state: ImplState) -> Iterator[WorldView]:
        """The views properties judge: one, or one per learner combination when learners are apart."""
        if not self.apart.apart:
            yield self.views.view(state)
            return
        for learned in self.apart.combos(state):
            yield self.views.view(state, learned)

    def step(self, i: int, before: int, after: int, sent: int, new_sent: int,
             broken: tuple[str, ...]) -> tuple[str, ...]:
        """The step properties node `i`'s step breaks: its own (`broken`) plus `refines_spec`."""
        index, pos = self.refine_index, self.acceptor_at[i]
        if index is None or NODE_ERROR in broken or (sent == new_sent and (before == after or pos < 0)):
            return broken  # no new message and no acceptor change: a Spec stutter
        if index.allows(pos, before, after, sent, new_sent):
            return broken
        return (*broken, "refines_spec")

    def judge_user_steps(self, state: ImplState, states: list[ImplState],
                         broken: list[tuple[int, tuple[str, ...]]]) -> None:
        """The user's step properties (properties/user.py) over the whole views before and after each transition."""
        before = self._cached_view(state)
        extra: dict[int, tuple[str, ...]] = {}
        for j, succ in enumerate(states):
            after = self._cached_view(succ)
            names = tuple(p.name for p in self.user_steps if p.check(before, after) is not None)
            if names:
                extra[j] = names
        if extra:
            merged = dict(broken)
            for j, names in extra.items():
                merged[j] = (*merged.get(j, ()), *names)
            broken[:] = sorted(merged.items())

    def _cached_view(self, state: ImplState) -> WorldView:
        key = (self.acceptors_of(state), self.learners_of(state), state[SENT] & self.t.view_mask, state[PROPOSED])
        hit = self._view_cache.get(key)
        if hit is None:
            hit = self._view_cache[key] = self.views.view(state)
        return hit

    def shows(self, state: ImplState, prop: str | None) -> bool | None:
        """Does `state` show `prop` (an `always` property failing, a `sometimes` one holding)? None for a
        step property or an unknown name."""
        info = self.by_name.get(prop or "")
        if info is None or info.kind == "step":
            return None
        holds = info.check(self.views.view(state)) is None
        return holds == (info.kind == "sometimes")
