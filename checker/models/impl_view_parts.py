"""The compiled engine's verdicts of the view properties, judged in parts that read little.

Owns the split of the `always` properties judged over views (impl_verdicts.Verdicts.view_props: every
one but the inductive invariant's conjuncts) into parts by what each declares it reads
(`Property.part`, properties/invariants.py), and the judging of each part on a cut-down view. The
compiled core (impl_core.py) caches each part under its own small key; the Python engine keeps the
whole-view verdict (Verdicts.view_violated), the reference this split is tested against
(tests/test_view_parts.py). Must not define a property; impl_core.py builds each part's key from rows,
and a key must hold at least what the part reads here.

Why the split gives the whole-view verdict. The whole view judges each property over every view of
`Verdicts.views_of(state)`: the one view, or (learners apart) one per combination of values the apart
learners can have learned, the apart learners' `learned` replaced by it. A property fails in the state
iff it fails in one of those views. There is always at least one: every apart learner's options hold its
current value at 0 crashes (learners.LearnerReach.reach starts there), and the budget left is >= 0.
- "history" (reads only `history`, `proposed` and the config): the same verdict in every view of a state,
  so one view holding the Accepted messages sent and the proposed values decides it. agreement, validity
  and inv_one_value_per_ballot read `chosen(view)` / `view.history` and `view.proposed`, nothing else.
- "learners" (reads only `learned`, `history` and the config): judged on each combination's view with
  the same learned values the whole views carry (the learners' own, the apart ones' replaced), acceptors
  left out. learner_integrity reads `view.learned` and `chosen(view)` only.
- "acceptor" ("for every acceptor a in `acceptors`: P(a's state, the Accepted messages from a)"): fails
  iff it fails on the view holding one acceptor's state and its own Accepted messages, for some acceptor
  whose `acceptor_state()` is not None (the whole view holds exactly those). Such a property reads no
  learned values, so every view of a state gives the same verdict. inv_accepted_le_promised reads each acceptor's state
  alone; inv_accepted_was_sent asks whether `Accepted(a, its ballot, its value)`, a message from a, is in
  the history.
- anything else (a user's `--property`, any property declaring no part): the whole view, as before.
So the union of the parts' verdicts is the whole view's: same names, same states, same first violations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from checker.bitsets import bit_ids
from checker.models.impl_apart import LearnersApart
from checker.models.impl_encoding import ImplState
from checker.models.impl_layout import SENT
from checker.models.impl_tables import ImplTables
from checker.models.impl_views import Views
from paxos import Accepted, Message, Value
from properties.invariants import Property, WorldView, failing

#: The parts a `Property.part` may name; a property with another (or none) is judged on the whole view.
PARTS = ("history", "learners", "acceptor")


class ViewParts:
    """The view properties of one model grouped by part, and each part's verdict on a cut-down view."""

    def __init__(self, tables: ImplTables, views: Views, props: Sequence[Property], apart: LearnersApart,
                 views_of: Callable[[ImplState], Iterable[WorldView]]) -> None:
        """`props`: the properties judged over views (Verdicts.view_props; only the `always` ones count);
        `views_of`: the whole views of a state (Verdicts.views_of)."""
        self.t = tables
        self.views = views
        self.apart = apart
        self.views_of = views_of
        always = [p for p in props if p.kind == "always"]
        self.history = tuple(p for p in always if p.part == "history")
        self.learners = tuple(p for p in always if p.part == "learners")
        self.acceptor = tuple(p for p in always if p.part == "acceptor")
        self.whole = tuple(p for p in always if p.part not in PARTS)

    def light(self, state: ImplState) -> tuple[str, ...]:
        """The "history" and "learners" properties `state` breaks. With learners apart, every combination of
        their values is asked of LearnersApart.combos, as Verdicts.views_of does for each new view key (the
        node steps it runs come in the Python engine's order), even when no property here reads them."""
        t = self.t
        combos = self.apart.combos(state) if self.apart.apart else [{}]
        learned: dict[int, Value] = {t.ids[i]: t.learned_of(i, state[i]) for i in t.learner_idx}
        history: frozenset[Accepted] = frozenset(t.msgs[m] for m in bit_ids(state[SENT] & t.accepted_mask))  # type: ignore[misc]
        proposed = self.views.proposed(state)
        names = {name for name, _ in failing(WorldView(t.cc, {}, learned, history, proposed), "always", self.history)}
        if self.learners:
            for combo in combos:
                view = WorldView(t.cc, {}, {**learned, **combo}, history, proposed)
                names.update(name for name, _ in failing(view, "always", self.learners))
        return tuple(p.name for p in (*self.history, *self.learners) if p.name in names)

    def acceptor_part(self, pos: int, sid: int, sent: int) -> tuple[str, ...]:
        """The "acceptor" properties the acceptor at `pos` (acceptor order) in snapshot `sid` breaks, with the
        Accepted messages from it among `sent`."""
        if not self.acceptor:
            return ()
        t = self.t
        i = t.acceptor_idx[pos]
        state = t.acceptor_of(i, sid)
        if state is None:
            return ()
        me = t.ids[i]
        accepted: list[Message] = [t.msgs[m] for m in bit_ids(sent & t.accepted_mask)]
        own = frozenset(m for m in accepted if isinstance(m, Accepted) and m.src == me)
        view = WorldView(t.cc, {me: state}, {}, own, frozenset())
        return tuple(name for name, _ in failing(view, "always", self.acceptor))

    def whole_part(self, state: ImplState) -> tuple[str, ...]:
        """The properties of no known part `state` breaks, judged on its whole views (Verdicts.views_of)."""
        names: set[str] = set()
        for view in self.views_of(state):
            names.update(name for name, _ in failing(view, "always", self.whole))
        return tuple(p.name for p in self.whole if p.name in names)

    def violated(self, state: ImplState) -> tuple[str, ...]:
        """Every part's verdict on `state` together, in `props` order of each part (tests compare this with
        Verdicts.view_violated)."""
        t = self.t
        names = set(self.light(state))
        for pos, i in enumerate(t.acceptor_idx):
            names.update(self.acceptor_part(pos, state[i], state[SENT]))
        names.update(self.whole_part(state))
        return tuple(sorted(names))
