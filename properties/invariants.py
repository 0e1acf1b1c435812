"""The named safety properties of Paxos, over a `WorldView` of an implementation's cluster.

Every checker (explorer, replay, Hypothesis machine) calls these and only
these: there is no second copy of a property anywhere. A view is built from
what the node protocol exposes (acceptor_state, learned) plus ghost history;
nothing here reaches into a node's private fields or runs a node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from paxos import Accepted, AcceptorDurable, ClusterConfig, Message, Value, call_node, chosen_values
from properties import inductive
from properties.refinement import SpecImage
from properties.spec import Msg1b, Msg2a, Msg2b

Kind = Literal["always", "sometimes", "step"]


@dataclass(frozen=True)
class WorldView:
    """What properties may look at: acceptor states, learned values, and ghost history."""

    config: ClusterConfig
    acceptors: Mapping[int, AcceptorDurable]
    learned: Mapping[int, Value]
    history: frozenset[Accepted]  # every Accepted ever sent (ghost)
    proposed: frozenset[Value]  # every value a client asked a proposer to propose
    #: every message ever sent (ghost), or None where only `history` is known: then the conjuncts of the
    #: inductive invariant that read Prepare, Promise or Accept messages are not judged (they hold)
    sent: frozenset[Message] | None = None


@dataclass(frozen=True)
class Property:
    """A named predicate. `check` returns None if it holds, else a sentence saying why not.

    `always`: over one view; `sometimes`: over one view, must be witnessed once;
    `step`: over the views before and after one transition.
    `reads`: the message kinds (type names) of the ghost history whose presence the
    verdict may depend on; None means every kind. Reductions of the state space treat a
    kind no property reads as inert (checker/models/reductions.py), so a property that
    reads more than it declares makes them unsound: declare generously.
    `part` (of an `always` property): what of a view its verdict depends on, so that a model may judge it
    on a cut-down view under a small key (checker/models/impl_view_parts.py has the argument): "history"
    reads only `history` and `proposed`; "learners" only `learned` and `history`; "acceptor" is "for every
    acceptor a in `acceptors`: P(a's state, the Accepted messages from a in `history`)". None (every user
    property): the whole view. A wrong declaration makes verdicts wrong: declare only what the code shows.
    """

    name: str
    kind: Kind
    description: str
    check: Callable[..., str | None]
    reads: frozenset[str] | None = None
    part: Literal["history", "learners", "acceptor"] | None = None


class History(frozenset[Accepted]):
    """A ghost history that also carries what the properties derive from it (the chosen values, whether
    two Accepted of one ballot differ), kept incrementally by `grow`: trace validation adds a message or
    two per step to a history of thousands, and must not recount it all each time (checker/traces/validate.py).
    The derived data is exactly `chosen_values` and `inv_one_value_per_ballot`'s test; tests compare them."""

    config: ClusterConfig
    voters: dict[tuple[object, Value], frozenset[int]]
    ballot_value: dict[object, Value]
    chosen: frozenset[Value]
    two_values: bool

    @classmethod
    def empty(cls, config: ClusterConfig) -> History:
        h = cls()
        h.config, h.voters, h.ballot_value, h.chosen, h.two_values = config, {}, {}, frozenset(), False
        return h

    def grow(self, new: Sequence[Accepted]) -> History:
        """This history with the messages `new` added (self is unchanged)."""
        h = History(self.union(new))
        h.config, h.voters, h.ballot_value = self.config, dict(self.voters), dict(self.ballot_value)
        chosen, h.two_values = set(self.chosen), self.two_values
        for m in new:
            if m in self:
                continue
            key = (m.bal, m.val)
            h.voters[key] = srcs = h.voters.get(key, frozenset()) | {m.src}
            if self.config.quorums.is_phase2_quorum(srcs):
                chosen.add(m.val)
            if h.ballot_value.setdefault(m.bal, m.val) != m.val:
                h.two_values = True
        h.chosen = frozenset(chosen)
        return h


def _derived(view: WorldView) -> History | None:
    h = view.history
    return h if isinstance(h, History) and h.config is view.config else None


def chosen(view: WorldView) -> set[Value]:
    """Values chosen in `view` (a phase-2 quorum accepted it at one ballot; ghost history)."""
    h = _derived(view)
    return set(h.chosen) if h is not None else chosen_values(view.config, view.history)


def agreement(view: WorldView) -> str | None:
    values = chosen(view)
    if len(values) > 1:
        return f"two values chosen: {', '.join(sorted(map(repr, values)))}"
    return None


def validity(view: WorldView) -> str | None:
    bad = [v for v in chosen(view) if v not in view.proposed]
    if bad:
        return f"chosen value {bad[0]!r} was never proposed"
    return None


def learner_integrity(view: WorldView) -> str | None:
    values = chosen(view)
    for learner, value in sorted(view.learned.items()):
        if value is not None and value not in values:
            return f"learner {learner} learned {value!r}, which is not chosen"
    return None


def inv_accepted_le_promised(view: WorldView) -> str | None:
    for a, s in sorted(view.acceptors.items()):
        if s.accepted_bal > s.promised:
            return f"acceptor {a} accepted at {s.accepted_bal} above its promise {s.promised}"
    return None


def inv_accepted_was_sent(view: WorldView) -> str | None:
    for a, s in sorted(view.acceptors.items()):
        if not s.accepted_bal.is_bottom and Accepted(a, s.accepted_bal, s.accepted_val) not in view.history:
            return f"acceptor {a} holds {s.accepted_bal}:{s.accepted_val!r} but never sent Accepted for it"
    return None


def inv_one_value_per_ballot(view: WorldView) -> str | None:
    h = _derived(view)
    if h is not None and not h.two_values:
        return None
    seen: dict[object, Value] = {}
    for m in sorted(view.history, key=lambda m: (m.bal, m.src)):
        if seen.setdefault(m.bal, m.val) != m.val:
            return f"ballot {m.bal} accepted two values {seen[m.bal]!r} and {m.val!r}"
    return None


def sometimes_chosen(view: WorldView) -> str | None:
    return None if chosen(view) else "no value chosen yet"


def _went_down(before: WorldView, after: WorldView, field: str, what: str) -> str | None:
    for a, s in sorted(after.acceptors.items()):
        old = before.acceptors.get(a)
        if old is not None and getattr(s, field) < getattr(old, field):
            return f"acceptor {a}'s {what} went down from {getattr(old, field)} to {getattr(s, field)}"
    return None


def promise_monotonic(before: WorldView, after: WorldView) -> str | None:
    return _went_down(before, after, "promised", "promise")


def accepted_monotonic(before: WorldView, after: WorldView) -> str | None:
    return _went_down(before, after, "accepted_bal", "accepted ballot")


#: What a `WorldView` exposes of the ghost history: the Accepted messages.
HISTORY = frozenset({"Accepted"})

# -- Paxos.tla's inductive invariant over the refinement mapping (properties/inductive.py) ---------------


class _AnotherValue:
    """A value no client proposed: Paxos.tla's `Values` may hold more than were proposed so far."""

    def __repr__(self) -> str:
        return "another value"


ANOTHER_VALUE = _AnotherValue()
_images: dict[ClusterConfig, tuple[SpecImage, tuple[frozenset[int], ...]]] = {}
_last: list[Any] = [None, None]  # the last view judged and its failures (views are immutable)


def _image(config: ClusterConfig) -> tuple[SpecImage, tuple[frozenset[int], ...]]:
    hit = _images.get(config)
    if hit is None:
        image = SpecImage(config)
        q2 = tuple(frozenset(image.acc_index[a] for a in q) for q in config.quorums.phase2_quorums())
        hit = _images[config] = (image, q2)
    return hit


def inductive_failures(view: WorldView) -> dict[str, str]:
    """Conjunct name -> reason, for every conjunct of the inductive invariant false in `view`'s Spec image
    (acceptors -> maxBal/maxVBal/maxVal, every sent message -> msgs). Without `view.sent`, only the
    conjuncts that read acceptors and Accepted messages are judged."""
    if _last[0] is view:
        return _last[1]  # type: ignore[no-any-return]
    image, q2 = _image(view.config)
    sent: frozenset[Message] = view.history if view.sent is None else view.sent
    state = image.abstract(view.acceptors, sent)
    values = set(view.proposed)
    for m in state.msgs:
        if isinstance(m, (Msg1b, Msg2a, Msg2b)):
            values.add(m.mval if isinstance(m, Msg1b) else m.val)
    values.update(state.max_val)
    values.discard(None)
    universe = inductive.Universe(q2, (*sorted(values, key=repr), ANOTHER_VALUE), image.ballot_text,
                                  image.acceptor_text)
    known = inductive.CONJUNCTS if view.sent is not None else [c for c in inductive.CONJUNCTS
                                                                if c.reads <= HISTORY]
    out = {}
    for c in known:
        why = c.check(state, universe)
        if why is not None:
            out[c.name] = why
    _last[0], _last[1] = view, out
    return out


def _conjunct_check(name: str) -> Callable[[WorldView], str | None]:
    def check(view: WorldView) -> str | None:
        return inductive_failures(view).get(name)

    check.__name__ = name
    return check


def _conjunct_property(c: inductive.Conjunct) -> Property:
    return Property(c.name, "always", f"{c.description} ({c.part} of Paxos.tla's Inv)", _conjunct_check(c.name),
                    c.reads | HISTORY)

#: Step properties over acceptor states only read no message.
NO_MESSAGES: frozenset[str] = frozenset()

#: Every implementation property, in report order. Names are stable identifiers (DESIGN.md).
PROPERTIES: tuple[Property, ...] = (
    Property("agreement", "always", "at most one value is chosen", agreement, HISTORY, part="history"),
    Property("validity", "always", "only a proposed value can be chosen", validity, HISTORY, part="history"),
    Property("learner_integrity", "always", "a learner learns only a chosen value", learner_integrity, HISTORY,
             part="learners"),
    Property("inv_accepted_le_promised", "always", "no acceptor accepted above its promise",
             inv_accepted_le_promised, HISTORY, part="acceptor"),
    Property("inv_accepted_was_sent", "always", "an acceptor's accepted proposal was announced",
             inv_accepted_was_sent, HISTORY, part="acceptor"),
    Property("inv_one_value_per_ballot", "always", "all Accepted of one ballot carry one value",
             inv_one_value_per_ballot, HISTORY, part="history"),
    *(_conjunct_property(c) for c in inductive.CONJUNCTS),
    Property("promise_monotonic", "step", "an acceptor's promise never decreases", promise_monotonic, NO_MESSAGES),
    Property("accepted_monotonic", "step", "an acceptor's accepted ballot never decreases", accepted_monotonic,
             NO_MESSAGES),
    Property("sometimes_chosen", "sometimes", "some value can be chosen at all (the model is not vacuous)",
             sometimes_chosen, HISTORY),
)

BY_NAME: dict[str, Property] = {p.name: p for p in PROPERTIES}


def failing(view: WorldView, kind: Kind = "always", props: Sequence[Property] = PROPERTIES) -> list[tuple[str, str]]:
    """(name, reason) of every property of `kind` in `props` (default: the built-ins) false in `view`."""
    out = []
    for p in props:
        if p.kind == kind:
            why = p.check(view)
            if why is not None:
                out.append((p.name, why))
    return out


def failing_steps(before: WorldView, after: WorldView,
                  props: Sequence[Property] = PROPERTIES) -> list[tuple[str, str]]:
    """(name, reason) of every step property of `props` (default: the built-ins) `before -> after` breaks."""
    out = []
    for p in props:
        if p.kind == "step":
            why = p.check(before, after)
            if why is not None:
                out.append((p.name, why))
    return out


def view_of_cluster(cluster: Any) -> WorldView:
    """The view of a `paxos.Cluster` (duck-typed so that any cluster-like harness works)."""
    config: ClusterConfig = cluster.config
    nodes = cluster.nodes
    acceptors = {}
    for a in config.acceptors:  # through paxos's guard: a node that raises here is a NodeFault
        state = call_node(a, "acceptor_state", nodes[a].acceptor_state)
        if state is not None:
            acceptors[a] = state
    return WorldView(
        config=config,
        acceptors=acceptors,
        learned={n: call_node(n, "learned", nodes[n].learned) for n in config.learners},
        history=frozenset(cluster.history),
        proposed=frozenset(cluster.proposed),
        sent=frozenset(cluster.sent),
    )
