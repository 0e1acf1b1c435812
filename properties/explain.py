"""Why a property fails at a step, in the words of the protocol.

Owns the explanations, not the verdicts: `properties/invariants.py` and
`properties/refinement.py` decide whether a property holds; this module is asked
only after they said it does not, and says which rule of Paxos the step broke and
which messages make it fail. For `refines_spec`: the Spec action the step should
have been (Phase1a/1b/2a/2b of Paxos.tla), its enabling condition that fails, and
the messages behind it; for `agreement`: the two values, their ballots and the
quorums that chose them; for the other invariants: the node and its fields.

It reads what a `WorldView` shows plus every message sent before and after the
step (ghost history), never a node's private fields; it runs nothing and prints
nothing. Ballots keep the implementation's notation (`0@2`): the refinement
mapping is order-preserving, so every comparison of Paxos.tla reads the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from paxos import (
    BOTTOM,
    Accept,
    Accepted,
    AcceptorDurable,
    Ballot,
    ClusterConfig,
    Message,
    Nack,
    Prepare,
    Promise,
    Value,
    message_text,
)
from properties import inductive
from properties.invariants import BY_NAME, WorldView, chosen, inductive_failures

#: What a refinement failure says when no finer reason was found (the verdict's own words).
GENERIC_REFINEMENT = "this step is no step of the Spec (nor a stutter)"
#: The properties `explain` knows; any other keeps the reason its own check gave.
EXPLAINED = frozenset({"refines_spec", "agreement", "validity", "learner_integrity", "inv_accepted_le_promised",
                       "inv_accepted_was_sent", "inv_one_value_per_ballot", "promise_monotonic",
                       "accepted_monotonic", *inductive.BY_NAME})


@dataclass(frozen=True)
class Explanation:
    """Why `property` fails: `action` (the Spec action the step should have been, or ""), the failing
    `condition` in the protocol's words, and the `evidence` (messages written whole, or fields)."""

    property: str
    condition: str
    evidence: tuple[str, ...] = ()
    action: str = ""

    def text(self) -> str:
        """One sentence (no truncation: callers wrap it)."""
        head = f"{self.action} needs {self.condition}" if self.action else self.condition
        return head + ("; " + "; ".join(self.evidence) if self.evidence else "")


@dataclass(frozen=True)
class StepView:
    """A step as the explanations see it: the views before and after, and every message sent by then."""

    before: WorldView
    after: WorldView
    sent_before: frozenset[Message]
    sent_after: frozenset[Message]


def explain(name: str, step: StepView) -> Explanation:
    """Why property `name` fails after `step` (the property's verdict is taken as given)."""
    if name == "refines_spec":
        return explain_refinement(step.after.config, step.before.acceptors, step.sent_before,
                                  step.after.acceptors, step.sent_after)
    if name == "agreement":
        return _agreement(step.after)
    if name == "validity":
        return _validity(step.after)
    if name == "learner_integrity":
        return _learner_integrity(step.after)
    if name == "inv_one_value_per_ballot":
        return _one_value_per_ballot(step.after)
    if name in inductive.BY_NAME:
        return _conjunct(name, step.after)
    prop = BY_NAME.get(name)
    if prop is None:
        return Explanation(name, f"{name} fails")
    why = prop.check(step.before, step.after) if prop.kind == "step" else prop.check(step.after)
    return Explanation(name, why or f"{name} fails")


def _conjunct(name: str, view: WorldView) -> Explanation:
    """A conjunct of Paxos.tla's inductive invariant: what it says, the part of `Inv` it comes from, and the
    acceptor or message of the state after the step that breaks it (over the refinement mapping)."""
    c = inductive.BY_NAME[name]
    why = inductive_failures(view).get(name)
    return Explanation(name, f"{c.description} ({c.part} of Paxos.tla's inductive invariant, which implies "
                       "agreement)", (why,) if why else ())


# -- refinement: which action of Paxos.tla, which enabling condition ----------------------------------


def _vote(state: AcceptorDurable | None) -> str:
    if state is None or state.accepted_bal.is_bottom:
        return "nothing"
    return f"{state.accepted_bal}:{state.accepted_val}"


def _state(a: int, state: AcceptorDurable | None) -> str:
    if state is None:
        return f"acceptor {a} (no state)"
    return f"acceptor {a} (promised {state.promised}, accepted {_vote(state)})"


def _spec_messages(config: ClusterConfig, msgs: Iterable[Message]) -> set[Message]:
    """The messages with an image in Paxos.tla's `msgs` (no Nacks; 1b/2b only from acceptors)."""
    acceptors = set(config.acceptors)
    return {m for m in msgs if not isinstance(m, Nack)
            and not (isinstance(m, (Promise, Accepted)) and m.src not in acceptors)}


def explain_refinement(
    config: ClusterConfig,
    before: Mapping[int, AcceptorDurable],
    sent_before: Iterable[Message],
    after: Mapping[int, AcceptorDurable],
    sent_after: Iterable[Message],
) -> Explanation:
    """Why the step `before -> after` is no step of Paxos.tla (nor a stutter)."""
    old = _spec_messages(config, sent_before)
    new = sorted(_spec_messages(config, sent_after) - old, key=message_text)
    changed = [a for a in config.acceptors if before.get(a) != after.get(a)]
    if len(new) > 1:
        return Explanation("refines_spec", "one message per step, but this step sent several",
                           tuple(message_text(m) for m in new), "a step of Paxos.tla")
    if not new:
        return _silent_change(changed, before, after)
    (m,) = new
    if isinstance(m, Prepare):
        return _unchanged(f"Phase1a({m.bal})", changed, before, after)
    if isinstance(m, Promise):
        return _phase1b(m, old, changed, before, after)
    if isinstance(m, Accept):
        found = _phase2a(config, m, old)
        return found if found is not None else _unchanged(f"Phase2a({m.bal}, {m.val})", changed, before, after)
    assert isinstance(m, Accepted)
    return _phase2b(m, old, changed, before, after)


def _unchanged(action: str, changed: list[int], before: Mapping[int, AcceptorDurable],
               after: Mapping[int, AcceptorDurable], but: int | None = None) -> Explanation:
    """The action's only state change is its message (and acceptor `but`'s, checked by the caller)."""
    others = [a for a in changed if a != but]
    if others:
        a = others[0]
        return Explanation("refines_spec", f"no change to acceptor {a}'s state", (
            f"{_state(a, before.get(a))} became {_state(a, after.get(a))[len(f'acceptor {a} '):]}",), action)
    return Explanation("refines_spec", GENERIC_REFINEMENT)


def _silent_change(changed: list[int], before: Mapping[int, AcceptorDurable],
                   after: Mapping[int, AcceptorDurable]) -> Explanation:
    if not changed:
        return Explanation("refines_spec", GENERIC_REFINEMENT)
    a = changed[0]
    b, t = before.get(a), after.get(a)
    evidence = f"{_state(a, b)} became {_state(a, t)[len(f'acceptor {a} '):]} and sent nothing"
    if b is not None and t is not None and t.promised < b.promised:
        return Explanation("refines_spec", f"maxBal[{a}] never to decrease: only Phase1b and Phase2b change it, "
                           "and only upward", (evidence,), f"a step of acceptor {a}")
    return Explanation("refines_spec", f"a message for every change of acceptor {a}'s state: Phase1b sends a 1b "
                       "(Promise), Phase2b a 2b (Accepted)", (evidence,), f"a step of acceptor {a}")


def _phase1b(m: Promise, old: set[Message], changed: list[int], before: Mapping[int, AcceptorDurable],
             after: Mapping[int, AcceptorDurable]) -> Explanation:
    a, b = m.src, m.bal
    action = f"Phase1b(acceptor {a}, {b})"
    prior = before.get(a)
    promised = prior.promised if prior is not None else BOTTOM
    if not any(isinstance(x, Prepare) and x.bal == b for x in old):
        return Explanation("refines_spec", f"a 1a message (Prepare {b}) to have been sent", (
            f"none was; acceptor {a} sent {message_text(m)}",), action)
    if not b > promised:
        return Explanation("refines_spec", f"{b} > maxBal[{a}] (the ballot acceptor {a} has promised)", (
            f"acceptor {a} had already promised {promised} and still sent {message_text(m)}",), action)
    vbal = prior.accepted_bal if prior is not None else BOTTOM
    vval = prior.accepted_val if prior is not None and not vbal.is_bottom else None
    reported = None if m.max_vbal.is_bottom else (m.max_vbal, m.max_val)
    if reported != (None if vbal.is_bottom else (vbal, vval)):
        want = "no vote" if vbal.is_bottom else f"({vbal}, {vval})"
        return Explanation("refines_spec", f"the 1b to report acceptor {a}'s last vote <<maxVBal, maxVal>> = {want}",
                           (f"acceptor {a} sent {message_text(m)}",), action)
    now = after.get(a)
    if now is None or now.promised != b or _vote(now) != _vote(prior):
        return Explanation("refines_spec", f"maxBal[{a}] to become {b} and its vote to stay {_vote(prior)}", (
            f"after the step {_state(a, now)}",), action)
    return _unchanged(action, changed, before, after, but=a)


def _phase2a(config: ClusterConfig, m: Accept, old: set[Message]) -> Explanation | None:
    b, v = m.bal, m.val
    action = f"Phase2a({b}, {v})"
    earlier = sorted((x for x in old if isinstance(x, Accept) and x.bal == b), key=message_text)
    if earlier:
        return Explanation("refines_spec", f"no 2a message of ballot {b} to have been sent before", (
            f"{message_text(earlier[0])} was sent already, and now {message_text(m)}",), action)
    promises: dict[int, Promise] = {}
    for x in sorted((x for x in old if isinstance(x, Promise) and x.bal == b), key=message_text):
        promises.setdefault(x.src, x)
    quorums = [q for q in config.quorums.phase1_quorums() if all(a in promises for a in q)]
    if not quorums:
        got = ", ".join(f"node {a}: {message_text(p)}" for a, p in sorted(promises.items()))
        evidence = [f"only {len(promises)} acceptor(s) sent one ({got})" if promises else "no acceptor sent one"]
        stale = sorted((x for x in old if isinstance(x, Promise) and x.bal < b and x.bal.node_id == b.node_id),
                       key=message_text)
        if stale:
            evidence.append(f"1b messages of earlier ballots of proposer {b.node_id} do not count: "
                            + ", ".join(f"node {x.src}: {message_text(x)}" for x in stale))
        return Explanation("refines_spec", f"1b messages of ballot {b} from every acceptor of a quorum "
                           f"({config.quorums.describe()})", tuple(evidence), action)
    worst: tuple[frozenset[int], Promise] | None = None
    for q in quorums:
        votes = [promises[a] for a in sorted(q) if not promises[a].max_vbal.is_bottom]
        if not votes:
            return None
        top = max(votes, key=lambda p: (p.max_vbal, p.src))
        if top.max_val == v:
            return None
        worst = worst or (frozenset(q), top)
    assert worst is not None
    q, top = worst
    return Explanation("refines_spec", f"{v} to be the value of the highest-ballot vote among a quorum's 1b "
                       "messages", (f"in quorum {{{', '.join(map(str, sorted(q)))}}} the 1b from node {top.src} "
                                    f"({message_text(top)}) reports ({top.max_vbal}, {top.max_val})",), action)


def _phase2b(m: Accepted, old: set[Message], changed: list[int], before: Mapping[int, AcceptorDurable],
             after: Mapping[int, AcceptorDurable]) -> Explanation:
    a, b, v = m.src, m.bal, m.val
    action = f"Phase2b(acceptor {a}, {b}, {v})"
    prior = before.get(a)
    promised = prior.promised if prior is not None else BOTTOM
    if not any(isinstance(x, Accept) and x.bal == b and x.val == v for x in old):
        others = sorted((x for x in old if isinstance(x, Accept) and x.bal == b), key=message_text)
        seen = f"; the 2a of {b} sent was {message_text(others[0])}" if others else ""
        return Explanation("refines_spec", f"a 2a message (Accept {b}:{v}) to have been sent", (
            f"none was, yet acceptor {a} sent {message_text(m)}{seen}",), action)
    if not b >= promised:
        return Explanation("refines_spec", f"{b} >= maxBal[{a}] (the ballot acceptor {a} has promised)", (
            f"acceptor {a} had promised {promised} and still sent {message_text(m)}",), action)
    now = after.get(a)
    if now is None or now.promised != b or now.accepted_bal != b or now.accepted_val != v:
        return Explanation("refines_spec", f"maxBal[{a}] and maxVBal[{a}] to become {b} and maxVal[{a}] {v}", (
            f"after the step {_state(a, now)}",), action)
    return _unchanged(action, changed, before, after, but=a)


# -- safety properties: values, ballots, quorums --------------------------------------------------------


def _choosers(view: WorldView) -> dict[Value, list[tuple[Ballot, list[int]]]]:
    """Per chosen value: each ballot at which a phase-2 quorum accepted it, with the acceptors."""
    voters: dict[tuple[Ballot, Value], set[int]] = {}
    for m in view.history:
        voters.setdefault((m.bal, m.val), set()).add(m.src)
    out: dict[Value, list[tuple[Ballot, list[int]]]] = {}
    for (bal, val), srcs in sorted(voters.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if view.config.quorums.is_phase2_quorum(srcs):
            out.setdefault(val, []).append((bal, sorted(srcs)))
    return out


def _chosen_text(val: Value, ways: list[tuple[Ballot, list[int]]]) -> str:
    bal, accs = ways[0]
    return (f"{val} chosen at ballot {bal} by acceptors {{{', '.join(map(str, accs))}}} "
            f"(Accepted {bal}:{val} from each)")


def _agreement(view: WorldView) -> Explanation:
    ways = _choosers(view)
    count = "two" if len(ways) == 2 else str(len(ways))
    return Explanation("agreement", f"{count} values chosen (agreement allows at most one)",
                       tuple(_chosen_text(v, w) for v, w in ways.items()))


def _validity(view: WorldView) -> Explanation:
    ways = _choosers(view)
    bad = [v for v in ways if v not in view.proposed]
    if not bad:
        return Explanation("validity", "only a proposed value can be chosen")
    proposed = ", ".join(sorted(map(str, view.proposed))) or "none"
    return Explanation("validity", f"only a proposed value can be chosen; {bad[0]} never was (proposed: {proposed})",
                       (_chosen_text(bad[0], ways[bad[0]]),))


def _learner_integrity(view: WorldView) -> Explanation:
    values = chosen(view)
    for learner, value in sorted(view.learned.items()):
        if value is not None and value not in values:
            accs = sorted(f"{m.bal} from {m.src}" for m in view.history if m.val == value)
            return Explanation("learner_integrity", f"learner {learner} learned {value}, which is not chosen: no "
                               f"phase-2 quorum ({view.config.quorums.describe()}) accepted {value} at one ballot",
                               (f"the Accepteds of {value}: {', '.join(accs) or 'none'}",))
    return Explanation("learner_integrity", "a learner learns only a chosen value")


def _one_value_per_ballot(view: WorldView) -> Explanation:
    by_ballot: dict[Ballot, dict[Value, list[int]]] = {}
    for m in view.history:
        by_ballot.setdefault(m.bal, {}).setdefault(m.val, []).append(m.src)
    for bal in sorted(by_ballot):
        values = by_ballot[bal]
        if len(values) > 1:
            return Explanation("inv_one_value_per_ballot", f"one value per ballot, but ballot {bal} was accepted "
                               f"with {len(values)}", tuple(
                                   f"Accepted {bal}:{v} from {', '.join(map(str, sorted(srcs)))}"
                                   for v, srcs in sorted(values.items(), key=lambda kv: str(kv[0]))))
    return Explanation("inv_one_value_per_ballot", "all Accepted of one ballot carry one value")
