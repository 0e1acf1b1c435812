"""Paxos.tla's inductive invariant as named conjuncts over one Spec state: what every state is judged by.

Owns the executable predicate of each conjunct that `properties/z3_spec.py` proves inductive (same
names, same meaning; tests/test_inductive.py evaluates both on enumerated and random small states
and requires equal verdicts) and the sentence a failure reads as. Must not import z3 or map
implementation worlds (properties/refinement.py does that); it runs nothing but these predicates.

Quorums follow Flexible Paxos: `inv_2a_safe` reads *votes* and promises of every phase-2 quorum
("no other value is or can become chosen below b": a value is chosen by a phase-2 quorum), while
the action that makes a 2a safe, Phase2a, reads *promises* (1b messages) of a phase-1 quorum.
So the invariant judges `--q1/--q2` configurations too, whose Paxos.tla refinement does not apply.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from properties.spec import Msg1a, Msg1b, Msg2a, Msg2b, SpecState

Value = Hashable
Reason = str | None


@dataclass(frozen=True)
class Universe:
    """What a conjunct quantifies over besides the state: the phase-2 quorums (acceptor indices), the
    values `w` of "no other value" (None excluded), and how ballots and acceptors read in a sentence."""

    quorums2: tuple[frozenset[int], ...]
    values: tuple[Value, ...]
    ballot_text: Callable[[int], str] = str
    acceptor_text: Callable[[int], str] = lambda a: f"acceptor {a}"


def _vote(u: Universe, b: int, v: Value) -> str:
    return "nothing" if b == -1 else f"{u.ballot_text(b)}:{v}"


def _msgs(s: SpecState, kind: type) -> list:  # type: ignore[type-arg]
    return sorted((m for m in s.msgs if isinstance(m, kind)), key=repr)  # values need not be comparable


def inv_types(s: SpecState, u: Universe) -> Reason:
    for m in s.msgs:
        if isinstance(m, Msg1a) and m.bal == -1:
            return "a 1a (Prepare) was sent for no ballot"
        if isinstance(m, Msg2a) and (m.bal == -1 or m.val is None):
            return f"a 2a (Accept) was sent with no {'ballot' if m.bal == -1 else 'value'}"
        if isinstance(m, Msg2b) and m.bal == -1:
            return f"{u.acceptor_text(m.acc)} sent a 2b (Accepted) for no ballot"
    return None


def inv_maxval_none_iff(s: SpecState, u: Universe) -> Reason:
    for a, (vb, v) in enumerate(zip(s.max_vbal, s.max_val, strict=True)):
        if (v is None) != (vb == -1):
            return f"{u.acceptor_text(a)} holds accepted ballot {u.ballot_text(vb)} with value {v!r}"
    return None


def inv_maxvbal_le_maxbal(s: SpecState, u: Universe) -> Reason:
    for a, (mb, vb) in enumerate(zip(s.max_bal, s.max_vbal, strict=True)):
        if vb > mb:
            return f"{u.acceptor_text(a)} accepted at {u.ballot_text(vb)}, above its promise {u.ballot_text(mb)}"
    return None


def inv_maxvbal_voted(s: SpecState, u: Universe) -> Reason:
    for a, (vb, v) in enumerate(zip(s.max_vbal, s.max_val, strict=True)):
        if vb != -1 and Msg2b(a, vb, v) not in s.msgs:
            return f"{u.acceptor_text(a)} holds the vote {_vote(u, vb, v)} but never sent Accepted for it"
    return None


def inv_2b_le_maxvbal(s: SpecState, u: Universe) -> Reason:
    for m in _msgs(s, Msg2b):
        if m.bal > s.max_vbal[m.acc]:
            return (f"{u.acceptor_text(m.acc)} voted {_vote(u, m.bal, m.val)} but now holds the older vote "
                    f"{_vote(u, s.max_vbal[m.acc], s.max_val[m.acc])} (its latest vote was lost)")
    return None


def inv_1b_le_maxbal(s: SpecState, u: Universe) -> Reason:
    for m in _msgs(s, Msg1b):
        if m.bal > s.max_bal[m.acc]:
            return (f"{u.acceptor_text(m.acc)} promised {u.ballot_text(m.bal)} but its promise is now "
                    f"{u.ballot_text(s.max_bal[m.acc])} (the promise was lost)")
    return None


def inv_1b_sound(s: SpecState, u: Universe) -> Reason:
    for m in _msgs(s, Msg1b):
        head = f"{u.acceptor_text(m.acc)}'s promise of {u.ballot_text(m.bal)} reports {_vote(u, m.mbal, m.mval)}"
        if (m.mbal == -1) != (m.mval is None):
            return f"{head}: a ballot without a value or a value without a ballot"
        if m.mbal > m.bal:
            return f"{head}, a vote above the promised ballot"
        if m.mbal != -1 and Msg2b(m.acc, m.mbal, m.mval) not in s.msgs:
            return f"{head}, a vote it never cast"
    return None


def inv_1b_no_vote_between(s: SpecState, u: Universe) -> Reason:
    votes = _msgs(s, Msg2b)
    for m in _msgs(s, Msg1b):
        for w in votes:
            if w.acc == m.acc and m.mbal < w.bal < m.bal:
                return (f"{u.acceptor_text(m.acc)}'s promise of {u.ballot_text(m.bal)} reports "
                        f"{_vote(u, m.mbal, m.mval)}, hiding its vote {_vote(u, w.bal, w.val)} between the two")
    return None


def inv_2a_unique(s: SpecState, u: Universe) -> Reason:
    seen: dict[int, Value] = {}
    for m in _msgs(s, Msg2a):
        if seen.setdefault(m.bal, m.val) != m.val:
            return f"ballot {u.ballot_text(m.bal)} has Accepts for two values, {seen[m.bal]!r} and {m.val!r}"
    return None


def unsafe_below(s: SpecState, u: Universe, b: int, v: Value) -> tuple[int, Value, frozenset[int]] | None:
    """A ballot c < b, a value w != v and a phase-2 quorum that could still choose w at c (every member
    either voted w at c or has not promised above c), or None if v is safe at b (SafeAt, EPR style)."""
    votes = {(m.acc, m.bal, m.val) for m in s.msgs if isinstance(m, Msg2b)}
    for c in range(b):
        for w in u.values:
            if w == v or w is None:
                continue
            for q in u.quorums2:
                if all(s.max_bal[x] <= c or (x, c, w) in votes for x in q):
                    return c, w, q
    return None


def inv_2a_safe(s: SpecState, u: Universe) -> Reason:
    for m in _msgs(s, Msg2a):
        bad = unsafe_below(s, u, m.bal, m.val)
        if bad is not None:
            c, w, q = bad
            members = ", ".join(u.acceptor_text(x) for x in sorted(q))
            return (f"Accept {u.ballot_text(m.bal)}:{m.val} is not safe: the phase-2 quorum {{{members}}} "
                    f"can still choose {w!r} at the lower ballot {u.ballot_text(c)} (each member voted {w!r} "
                    f"there or has not promised above it)")
    return None


def inv_2b_has_2a(s: SpecState, u: Universe) -> Reason:
    proposed = {(m.bal, m.val) for m in s.msgs if isinstance(m, Msg2a)}
    for m in _msgs(s, Msg2b):
        if (m.bal, m.val) not in proposed:
            return f"{u.acceptor_text(m.acc)} voted {_vote(u, m.bal, m.val)}, which no Accept proposed"
    return None


@dataclass(frozen=True)
class Conjunct:
    """One conjunct: its name (as in z3_spec.CONJUNCTS), what it says, the part of Paxos.tla's `Inv` it
    comes from, the implementation message kinds it reads, and its predicate."""

    name: str
    description: str
    part: str
    reads: frozenset[str]
    check: Callable[[SpecState, Universe], Reason]


_ACC = frozenset({"Accepted"})
#: The conjuncts in z3_spec.CONJUNCTS's order: TypeOK, AccInv, MsgInv (1b, 2a, 2b), Voting's VotesSafe.
CONJUNCTS: tuple[Conjunct, ...] = (
    Conjunct("inv_types", "every Prepare, Accept and Accepted carries a real ballot (and an Accept a value)",
             "TypeOK", frozenset({"Prepare", "Accept", "Accepted"}), inv_types),
    Conjunct("inv_maxval_none_iff", "an acceptor holds an accepted value exactly when it holds an accepted ballot",
             "AccInv", frozenset(), inv_maxval_none_iff),
    Conjunct("inv_maxvbal_le_maxbal", "an acceptor's accepted ballot is at most its promise", "AccInv",
             frozenset(), inv_maxvbal_le_maxbal),
    Conjunct("inv_maxvbal_voted", "an acceptor's current vote is one it announced with Accepted", "AccInv",
             _ACC, inv_maxvbal_voted),
    Conjunct("inv_2b_le_maxvbal", "an acceptor's current vote is its latest: every Accepted it sent is at or "
             "below its accepted ballot", "AccInv", _ACC, inv_2b_le_maxvbal),
    Conjunct("inv_1b_le_maxbal", "every Promise was sent at or below its acceptor's current promise",
             "MsgInv (1b)", frozenset({"Promise"}), inv_1b_le_maxbal),
    Conjunct("inv_1b_sound", "the vote a Promise reports is one its acceptor cast (at or below the promised "
             "ballot), or none", "MsgInv (1b)", frozenset({"Promise", "Accepted"}), inv_1b_sound),
    Conjunct("inv_1b_no_vote_between", "a Promise hides no vote of its acceptor between the vote it reports "
             "and its ballot", "MsgInv (1b)", frozenset({"Promise", "Accepted"}), inv_1b_no_vote_between),
    Conjunct("inv_2a_unique", "at most one value is proposed (Accept) per ballot", "MsgInv (2a)",
             frozenset({"Accept"}), inv_2a_unique),
    Conjunct("inv_2a_safe", "every Accept is safe at its ballot: no other value is or can become chosen by a "
             "phase-2 quorum at a lower ballot (SafeAt; with every vote's Accept this is VotesSafe)",
             "MsgInv (2a) / VotesSafe", frozenset({"Accept", "Accepted"}), inv_2a_safe),
    Conjunct("inv_2b_has_2a", "every vote (Accepted) follows an Accept of its ballot and value", "MsgInv (2b)",
             frozenset({"Accept", "Accepted"}), inv_2b_has_2a),
)
BY_NAME: dict[str, Conjunct] = {c.name: c for c in CONJUNCTS}

#: The conjuncts by what they read, so a model can cache each group's verdict under a small key. Every
#: conjunct is a conjunction of clauses about one acceptor, one message or one pair of them, and the
#: clauses a group leaves out hold on an acceptor's initial values and on no messages. So a conjunct
#: fails in a state iff it fails in the state cut down to one of these groups (other acceptors at their
#: initial values, other messages left out):
#: per acceptor a: a's (maxBal, maxVBal, maxVal) and the 1b and 2b messages *from a*;
ACCEPTOR_PART = ("inv_maxval_none_iff", "inv_maxvbal_le_maxbal", "inv_maxvbal_voted", "inv_2b_le_maxvbal",
                 "inv_1b_le_maxbal", "inv_1b_sound", "inv_1b_no_vote_between")
#: the 1a, 2a and 2b messages, acceptors at their initial values;
MESSAGE_PART = ("inv_types", "inv_2a_unique", "inv_2b_has_2a")
#: every acceptor's maxBal, the 2a and 2b messages.
SAFE_PART = ("inv_2a_safe",)


def failing(s: SpecState, u: Universe) -> list[tuple[str, str]]:
    """(name, reason) of every conjunct false in `s`, in order."""
    out = []
    for c in CONJUNCTS:
        why = c.check(s, u)
        if why is not None:
            out.append((c.name, why))
    return out
