"""z3 proof that Lamport's single-decree Paxos has an inductive invariant implying agreement.

Owns the first-order model of the Spec (Paxos.tla), its named invariant conjuncts, the planted
weakenings, and the per-(action, conjunct) obligations. Must not explore states or import the
executable Spec (properties/spec.py): counterexamples leave here as plain data.

Encoding (our own, in the style of mypyvy's examples/fol/paxos_forall.pyv and paxos_epr.pyv
and Ivy's paxos examples, e.g. Padon et al., "Paxos made EPR", OOPSLA 2017):

* uninterpreted sorts ``Acceptor``, ``Value``, ``Ballot``, ``Quorum1``, ``Quorum2``, so one
  proof covers every finite (or infinite) number of acceptors, values and ballots;
* ballots are ordered by ``le``, axiomatised as a total order with least element ``none_b``
  (Paxos.tla's ``-1``); every total order qualifies, in particular the naturals;
* ``Value`` holds a distinguished ``None`` (Paxos.tla's ``None``, not a proposable value);
* state as in Paxos.tla: functions ``maxBal``, ``maxVBal``: Acceptor -> Ballot and
  ``maxVal``: Acceptor -> Value; ``msgs`` as four relations ``m1a(bal)``,
  ``m1b(acc, bal, mbal, mval)``, ``m2a(bal, val)``, ``m2b(acc, bal, val)``;
* quorums: ``member1(a, q1)``, ``member2(a, q2)`` with the one axiom that every phase-1 quorum
  meets every phase-2 quorum (classic Paxos: both are majorities; flexible Paxos: any
  system for which ``prove quorums`` succeeds). Phase2a uses phase-1 quorums of 1b messages,
  "chosen" uses phase-2 quorums of 2b messages.

Post-states are Python closures over the pre-state, so no frame axioms are needed. The
obligations are ``Init => C`` for each conjunct ``C``, ``Inv /\\ Action => C'`` for each action
and conjunct, and ``Inv => agreement``; ``Inv`` is the conjunction of the undropped conjuncts.
Each obligation gets fresh solvers (nothing learnt for one pair leaks into another):

1. a quick search for a counterexample with small finite universes (``QUICK_BOUNDS``);
2. the proof proper over unbounded sorts: ``unsat`` is a proof for every size;
3. only if z3 answers ``unknown``: larger bounded searches (``CTI_BOUNDS``).

The negated goal is Skolemised at fresh constants and the unprimed conjunct is added at the
same constants, and two obligations (Phase2a/inv_2a_safe, agreement) get a few more instances
of their hypotheses. Such hints are instances of hypotheses, hence sound; they make the proof
fast and independent of z3's random seed (z3's quantifier instantiation alone finds these
proofs only sometimes: ``maxBal`` maps acceptors to ballots and ``inv_2a_safe`` ballots to
acceptors, so the formulas are outside the decidable EPR fragment the Ivy models keep to).
Non-vacuity checks (each action enabled under ``Inv``, and ``Inv`` consistent with a chosen
value; witnesses searched with at most ``ENABLED_BOUND`` elements per sort) are reported as
goal ``spec_enabled``, where ``proved`` means a witness was found.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from properties.proof import FAILED, PROVED, UNKNOWN, ProofResult, ProofStatus
from properties.z3_cti import bound_sort, extract_state, minimize_model
from properties.z3_cti import format_state as format_state  # re-exported: prove_spec models
from properties.z3_vocab import _State, _Step, _Vocab

ACTIONS: tuple[str, ...] = ("Phase1a", "Phase1b", "Phase2a", "Phase2b")

GOAL_INDUCTIVE = "spec_inductive"
GOAL_AGREEMENT = "spec_agreement"
GOAL_ENABLED = "spec_enabled"

#: The planted weakenings selectable with `weaken=`; each makes the Spec unsafe or the
#: invariant non-inductive, and the proof must name a failing pair.
WEAKENINGS: dict[str, str] = {
    "phase1b_ignore_maxbal": "Phase1b answers a 1a message whose ballot is not above maxBal[a]",
    "phase1b_no_promise": "Phase1b sends the 1b but does not raise maxBal[a] (promise forgotten)",
    "phase2a_any_value": "Phase2a proposes any value, ignoring the values reported in 1b messages",
    "phase2a_lowest_vote": "Phase2a takes the value of the lowest, not the highest, reported vote",
    "phase2a_no_quorum": "Phase2a does not wait for 1b messages from a whole phase-1 quorum",
    "phase2a_reuse_ballot": "Phase2a may send a second 2a message in a ballot that has one",
    "phase2b_ignore_maxbal": "Phase2b votes in a ballot below maxBal[a] (breaks its promise)",
    "phase2b_no_record": "Phase2b sends the 2b but does not record maxVBal[a], maxVal[a]",
    "quorums_disjoint": "no quorum-intersection axiom: a phase-1 and a phase-2 quorum may be disjoint",
}


def _vocab() -> _Vocab:
    acc, bal, val = z3.DeclareSort("Acceptor"), z3.DeclareSort("Ballot"), z3.DeclareSort("Value")
    q1, q2 = z3.DeclareSort("Quorum1"), z3.DeclareSort("Quorum2")
    boolean = z3.BoolSort()
    return _Vocab(
        acc, bal, val, q1, q2,
        z3.Const("none_b", bal), z3.Const("None", val),
        z3.Function("le", bal, bal, boolean),
        z3.Function("member1", acc, q1, boolean),
        z3.Function("member2", acc, q2, boolean),
    )


def _axioms(k: _Vocab, quorum_intersection: bool) -> list[Any]:
    x, y, z = z3.Consts("X Y Z", k.bal)
    axioms = [
        z3.ForAll([x], k.le(x, x)),
        z3.ForAll([x, y, z], z3.Implies(z3.And(k.le(x, y), k.le(y, z)), k.le(x, z))),
        z3.ForAll([x, y], z3.Implies(z3.And(k.le(x, y), k.le(y, x)), x == y)),
        z3.ForAll([x, y], z3.Or(k.le(x, y), k.le(y, x))),
        z3.ForAll([x], k.le(k.none_b, x)),
    ]
    p, q, a = z3.Const("QP", k.q1), z3.Const("QQ", k.q2), z3.Const("QA", k.acc)
    # Quorums are non-empty (implied by intersection, stated so `quorums_disjoint` keeps it).
    axioms.append(z3.ForAll([p], z3.Exists([a], k.member1(a, p))))
    axioms.append(z3.ForAll([q], z3.Exists([a], k.member2(a, q))))
    if quorum_intersection:
        axioms.append(z3.ForAll([p, q], z3.Exists([a], z3.And(k.member1(a, p), k.member2(a, q)))))
    return axioms


def _pre_state(k: _Vocab) -> _State:
    boolean = z3.BoolSort()
    return _State(
        z3.Function("maxBal", k.acc, k.bal),
        z3.Function("maxVBal", k.acc, k.bal),
        z3.Function("maxVal", k.acc, k.val),
        z3.Function("m1a", k.bal, boolean),
        z3.Function("m1b", k.acc, k.bal, k.bal, k.val, boolean),
        z3.Function("m2a", k.bal, k.val, boolean),
        z3.Function("m2b", k.acc, k.bal, k.val, boolean),
    )


def _init_state(k: _Vocab) -> _State:
    no = z3.BoolVal(False)
    return _State(
        lambda a: k.none_b, lambda a: k.none_b, lambda a: k.none_v,
        lambda b: no, lambda a, b, mb, mv: no, lambda b, v: no, lambda a, b, v: no,
    )


# --- the invariant, one named conjunct each ------------------------------------------------


@dataclass(frozen=True)
class _Conjunct:
    """A conjunct ``forall vars. body``: `sorts` names the `_Vocab` sort of each variable.

    Keeping the body separate lets an obligation negate the primed conjunct at fresh constants
    and add the unprimed instance at the same constants as a hint (sound: it is an instance
    of a hypothesis), which keeps z3's quantifier instantiation on track.
    """

    description: str
    sorts: tuple[str, ...]
    body: Callable[..., Any]

    def consts(self, k: _Vocab, prefix: str) -> list[Any]:
        return [z3.Const(f"{prefix}{i}", getattr(k, sort)) for i, sort in enumerate(self.sorts)]

    def forall(self, k: _Vocab, s: _State) -> Any:
        xs = self.consts(k, "X")
        return z3.ForAll(xs, self.body(k, s, *xs))


def _inv_types(k: _Vocab, s: _State, a: Any, b: Any, v: Any) -> Any:
    return z3.And(
        z3.Implies(s.m1a(b), b != k.none_b),
        z3.Implies(s.m2a(b, v), z3.And(b != k.none_b, v != k.none_v)),
        z3.Implies(s.m2b(a, b, v), b != k.none_b),
    )


def _inv_maxval_none_iff(k: _Vocab, s: _State, a: Any) -> Any:
    return (s.max_val(a) == k.none_v) == (s.max_vbal(a) == k.none_b)


def _inv_maxvbal_le_maxbal(k: _Vocab, s: _State, a: Any) -> Any:
    return k.le(s.max_vbal(a), s.max_bal(a))


def _inv_maxvbal_voted(k: _Vocab, s: _State, a: Any) -> Any:
    return z3.Implies(s.max_vbal(a) != k.none_b, s.m2b(a, s.max_vbal(a), s.max_val(a)))


def _inv_2b_le_maxvbal(k: _Vocab, s: _State, a: Any, b: Any, v: Any) -> Any:
    return z3.Implies(s.m2b(a, b, v), k.le(b, s.max_vbal(a)))


def _inv_1b_le_maxbal(k: _Vocab, s: _State, a: Any, b: Any, mb: Any, mv: Any) -> Any:
    return z3.Implies(s.m1b(a, b, mb, mv), k.le(b, s.max_bal(a)))


def _inv_1b_sound(k: _Vocab, s: _State, a: Any, b: Any, mb: Any, mv: Any) -> Any:
    # Paxos.tla's MsgInv asks no mb < b; mb <= b admits re-promising a ballot one voted in (harmless).
    return z3.Implies(s.m1b(a, b, mb, mv), z3.And(
        k.le(mb, b),
        (mb == k.none_b) == (mv == k.none_v),
        z3.Implies(mb != k.none_b, s.m2b(a, mb, mv)),
    ))


def _inv_1b_no_vote_between(k: _Vocab, s: _State, a: Any, b: Any, mb: Any, mv: Any,
                            c: Any, v: Any) -> Any:
    return z3.Implies(z3.And(s.m1b(a, b, mb, mv), k.lt(mb, c), k.lt(c, b)),
                      z3.Not(s.m2b(a, c, v)))


def _inv_2a_unique(k: _Vocab, s: _State, b: Any, v: Any, w: Any) -> Any:
    return z3.Implies(z3.And(s.m2a(b, v), s.m2a(b, w)), v == w)


def _inv_2a_safe(k: _Vocab, s: _State, b: Any, v: Any, c: Any, w: Any, q: Any) -> Any:
    x = z3.Const("safe_x", k.acc)
    return z3.Implies(
        z3.And(s.m2a(b, v), c != k.none_b, k.lt(c, b), w != v, w != k.none_v),
        z3.Exists([x], z3.And(k.member2(x, q), k.lt(c, s.max_bal(x)), z3.Not(s.m2b(x, c, w)))))


def _inv_2b_has_2a(k: _Vocab, s: _State, a: Any, b: Any, v: Any) -> Any:
    return z3.Implies(s.m2b(a, b, v), s.m2a(b, v))


_ABV = ("acc", "bal", "val")
_1B = ("acc", "bal", "bal", "val")

#: The invariant's conjuncts in check order (Lamport's TypeOK/AccInv/MsgInv, split and named).
CONJUNCTS: dict[str, _Conjunct] = {
    "inv_types": _Conjunct("1a/2a/2b carry a real ballot; 2a a real value", _ABV, _inv_types),
    "inv_maxval_none_iff": _Conjunct("maxVal[a] = None iff maxVBal[a] = -1", ("acc",),
                                     _inv_maxval_none_iff),
    "inv_maxvbal_le_maxbal": _Conjunct("maxVBal[a] <= maxBal[a]", ("acc",),
                                       _inv_maxvbal_le_maxbal),
    "inv_maxvbal_voted": _Conjunct("a real maxVBal[a] is a 2b of a with maxVal[a]", ("acc",),
                                   _inv_maxvbal_voted),
    "inv_2b_le_maxvbal": _Conjunct("every 2b of a has bal <= maxVBal[a]", _ABV,
                                   _inv_2b_le_maxvbal),
    "inv_1b_le_maxbal": _Conjunct("every 1b of a has bal <= maxBal[a]", _1B, _inv_1b_le_maxbal),
    "inv_1b_sound": _Conjunct("a 1b reports mbal <= bal and a real vote at mbal, or -1/None", _1B,
                              _inv_1b_sound),
    "inv_1b_no_vote_between": _Conjunct("no 2b of a strictly between a 1b's mbal and bal",
                                        (*_1B, "bal", "val"), _inv_1b_no_vote_between),
    "inv_2a_unique": _Conjunct("at most one 2a value per ballot", ("bal", "val", "val"),
                               _inv_2a_unique),
    "inv_2a_safe": _Conjunct(
        "SafeAt as in the EPR models: below a 2a(b, v), every phase-2 quorum has a member "
        "that left ballot c without voting any other value w",
        ("bal", "val", "bal", "val", "q2"), _inv_2a_safe),
    "inv_2b_has_2a": _Conjunct("every 2b(a, b, v) has a 2a(b, v)", _ABV, _inv_2b_has_2a),
}


def _chosen(k: _Vocab, s: _State, b: Any, v: Any, tag: str) -> Any:
    """Some phase-2 quorum has all voted (2b) for v in ballot b."""
    q, a = z3.Const(f"cq_{tag}", k.q2), z3.Const(f"ca_{tag}", k.acc)
    return z3.Exists([q], z3.ForAll([a], z3.Implies(k.member2(a, q), s.m2b(a, b, v))))


def _two_values_chosen(k: _Vocab, s: _State) -> tuple[Any, list[Any]]:
    """The negation of agreement, Skolemised: v1 != v2 chosen by phase-2 quorums q1, q2 in
    ballots b1, b2; and the consts (b1, v1, q1, b2, v2, q2) for hints."""
    b1, b2 = z3.Consts("agr_b1 agr_b2", k.bal)
    v1, v2 = z3.Consts("agr_v1 agr_v2", k.val)
    q1, q2 = z3.Consts("agr_q1 agr_q2", k.q2)
    a = z3.Const("agr_a", k.acc)
    negation = z3.And(
        v1 != v2,
        z3.ForAll([a], z3.Implies(k.member2(a, q1), s.m2b(a, b1, v1))),
        z3.ForAll([a], z3.Implies(k.member2(a, q2), s.m2b(a, b2, v2))),
    )
    return negation, [b1, v1, q1, b2, v2, q2]


# --- the actions -----------------------------------------------------------------------------


def _update(f: Callable[[Any], Any], at: Any, value: Any) -> Callable[[Any], Any]:
    return lambda x: z3.If(x == at, value, f(x))


def _phase1a(k: _Vocab, s: _State, weak: frozenset[str]) -> _Step:
    b = z3.Const("p1a_b", k.bal)
    post = _State(s.max_bal, s.max_vbal, s.max_val,
                  lambda x: z3.Or(s.m1a(x), x == b), s.m1b, s.m2a, s.m2b)
    return _Step({"b": b}, b != k.none_b, post)


def _phase1b(k: _Vocab, s: _State, weak: frozenset[str]) -> _Step:
    a, b = z3.Const("p1b_a", k.acc), z3.Const("p1b_b", k.bal)
    guard = [s.m1a(b)]
    if "phase1b_ignore_maxbal" not in weak:
        guard.append(k.lt(s.max_bal(a), b))
    max_bal = s.max_bal if "phase1b_no_promise" in weak else _update(s.max_bal, a, b)
    vb, vv = s.max_vbal(a), s.max_val(a)

    def m1b(x: Any, y: Any, mb: Any, mv: Any) -> Any:
        return z3.Or(s.m1b(x, y, mb, mv), z3.And(x == a, y == b, mb == vb, mv == vv))

    post = _State(max_bal, s.max_vbal, s.max_val, s.m1a, m1b, s.m2a, s.m2b)
    return _Step({"a": a, "b": b}, z3.And(*guard), post)


def _phase2a(k: _Vocab, s: _State, weak: frozenset[str]) -> _Step:
    b, v, q = z3.Const("p2a_b", k.bal), z3.Const("p2a_v", k.val), z3.Const("p2a_q", k.q1)
    # The 1b message that justifies v (when some member of q reported a vote): Skolem constants.
    a0, mb0 = z3.Const("p2a_a0", k.acc), z3.Const("p2a_mb0", k.bal)
    x, mb, mv, w = z3.Const("x", k.acc), z3.Const("mb", k.bal), z3.Const("mv", k.val), z3.Const("w", k.val)
    guard = [b != k.none_b, v != k.none_v]
    if "phase2a_reuse_ballot" not in weak:
        guard.append(z3.Not(z3.Exists([w], s.m2a(b, w))))
    if "phase2a_no_quorum" not in weak:
        guard.append(z3.ForAll([x], z3.Implies(
            k.member1(x, q), z3.Exists([mb, mv], s.m1b(x, b, mb, mv)))))
    if "phase2a_any_value" not in weak:
        in_q1bv = z3.And(k.member1(x, q), s.m1b(x, b, mb, mv), mb != k.none_b)
        highest = mb0 if "phase2a_lowest_vote" in weak else mb
        lowest = mb if "phase2a_lowest_vote" in weak else mb0
        guard.append(z3.Or(
            z3.Not(z3.Exists([x, mb, mv], in_q1bv)),
            z3.And(k.member1(a0, q), s.m1b(a0, b, mb0, v), mb0 != k.none_b,
                   z3.ForAll([x, mb, mv], z3.Implies(in_q1bv, k.le(highest, lowest)))),
        ))
    post = _State(s.max_bal, s.max_vbal, s.max_val, s.m1a, s.m1b,
                  lambda y, u: z3.Or(s.m2a(y, u), z3.And(y == b, u == v)), s.m2b)
    return _Step({"b": b, "v": v, "q": q}, z3.And(*guard), post)


def _phase2b(k: _Vocab, s: _State, weak: frozenset[str]) -> _Step:
    a, b, v = z3.Const("p2b_a", k.acc), z3.Const("p2b_b", k.bal), z3.Const("p2b_v", k.val)
    guard = [s.m2a(b, v)]
    if "phase2b_ignore_maxbal" not in weak:
        guard.append(k.le(s.max_bal(a), b))
    recorded = "phase2b_no_record" not in weak
    post = _State(
        _update(s.max_bal, a, b),
        _update(s.max_vbal, a, b) if recorded else s.max_vbal,
        _update(s.max_val, a, v) if recorded else s.max_val,
        s.m1a, s.m1b, s.m2a,
        lambda x, y, u: z3.Or(s.m2b(x, y, u), z3.And(x == a, y == b, u == v)),
    )
    return _Step({"a": a, "b": b, "v": v}, z3.And(*guard), post)


_ACTION_BUILDERS: dict[str, Callable[[_Vocab, _State, frozenset[str]], _Step]] = {
    "Phase1a": _phase1a, "Phase1b": _phase1b, "Phase2a": _phase2a, "Phase2b": _phase2b,
}


# --- running the obligations -------------------------------------------------------------------


def _status(answer: Any) -> ProofStatus:
    if answer == z3.unsat:
        return PROVED
    if answer == z3.sat:
        return FAILED
    return UNKNOWN


def _timed_check(solver: z3.Solver) -> tuple[Any, float]:
    start = time.perf_counter()
    answer = solver.check()
    return answer, time.perf_counter() - start


def _validate(drop: Iterable[str], weaken: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    dropped, weak = frozenset(drop), frozenset(weaken)
    unknown_c = sorted(dropped - CONJUNCTS.keys())
    if unknown_c:
        raise ValueError(f"unknown conjunct {', '.join(unknown_c)}; "
                         f"choose from {', '.join(CONJUNCTS)}")
    unknown_w = sorted(weak - WEAKENINGS.keys())
    if unknown_w:
        raise ValueError(f"unknown weakening {', '.join(unknown_w)}; "
                         f"choose from {', '.join(WEAKENINGS)}")
    return dropped, weak


def prove_spec(
    *,
    drop: Iterable[str] = (),
    weaken: Iterable[str] = (),
    timeout_ms: int = 2_000,
    minimize: bool = True,
    check_enabled: bool = True,
    seed: int = 0,
) -> list[ProofResult]:
    """Check every obligation of the inductive-invariant proof; one `ProofResult` each.

    `drop` removes named conjuncts from the invariant (they are then neither assumed nor
    checked); `weaken` plants weakenings from `WEAKENINGS`. A failed obligation's `model`
    is a concrete Spec state (see `format_state`), minimised over sort sizes if `minimize`.
    `timeout_ms` bounds each z3 call; the whole proof normally needs a few ms per obligation.
    When z3 answers `unknown` on an obligation, a bounded counterexample search follows
    (`CTI_BOUNDS`): a model it finds is a real counterexample; finding none leaves `unknown`.
    `seed` is z3's random seed (the proof must not depend on it; tests vary it).
    Raises ValueError for unknown names.
    """
    dropped, weak = _validate(drop, weaken)
    k = _vocab()
    axioms = _axioms(k, quorum_intersection="quorums_disjoint" not in weak)
    names = [name for name in CONJUNCTS if name not in dropped]
    pre = _pre_state(k)
    inv = [CONJUNCTS[name].forall(k, pre) for name in names]
    results: list[ProofResult] = []

    def new_solver(facts: Sequence[Any]) -> z3.Solver:
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.set("random_seed", seed)
        solver.add(*axioms, *facts)
        return solver

    def run(goal: str, action: str, conjunct: str, facts: Sequence[Any],
            step: _Step | None, shown: _State) -> None:
        # Fresh solvers for every obligation and search: nothing learnt for one pair leaks
        # into another, and z3 keeps its (stronger) non-incremental preprocessing.
        # A quick bounded search comes first (a CTI usually has a tiny model, and z3 finds
        # finite models far more easily than it refutes their absence), then the real proof.
        answer, seconds, solver, _ = _bounded_counterexample(new_solver, facts, k, QUICK_BOUNDS)
        reason = ""
        if answer != z3.sat:
            solver = new_solver(facts)
            answer, more = _timed_check(solver)
            seconds += more
        if answer == z3.unknown:
            reason = f"z3: {solver.reason_unknown()}"
            answer, more, solver, bound = _bounded_counterexample(new_solver, facts, k, CTI_BOUNDS)
            seconds += more
            if answer != z3.sat:
                reason += f"; no counterexample with at most {bound} elements per sort"
        model: dict[str, Any] | None = None
        if answer == z3.sat:
            found = minimize_model(solver, k) if minimize else solver.model()
            model = extract_state(k, found, shown, step, action, conjunct)
        results.append(ProofResult(goal, action, conjunct, _status(answer), seconds, model, reason))

    init = _init_state(k)
    for name in names:
        conj = CONJUNCTS[name]
        sk = conj.consts(k, "sk")
        run(GOAL_INDUCTIVE, "Init", name, [z3.Not(conj.body(k, init, *sk))], None, init)
    for action in ACTIONS:
        step = _ACTION_BUILDERS[action](k, pre, weak)
        for name in names:
            conj = CONJUNCTS[name]
            sk = conj.consts(k, "sk")
            hint = conj.body(k, pre, *sk)
            facts = [*inv, step.guard, hint, z3.Not(conj.body(k, step.post, *sk))]
            if action == "Phase2a" and name == "inv_2a_safe":
                facts += _phase2a_safe_hints(k, pre, step, sk, names, weak)
            run(GOAL_INDUCTIVE, action, name, facts, step, pre)
    negation, (b1, v1, q1, b2, v2, q2) = _two_values_chosen(k, pre)
    hints = [z3.Const("some_phase1_quorum", k.q1) == z3.Const("some_phase1_quorum", k.q1)]
    if "inv_2a_safe" in names:
        # The proof's case b1 < b2 (and symmetrically): the 2a behind the votes at b2 is safe.
        hints += [_inv_2a_safe(k, pre, b2, v2, b1, v1, q1), _inv_2a_safe(k, pre, b1, v1, b2, v2, q2)]
    run(GOAL_AGREEMENT, "Safety", "agreement", [*inv, negation, *hints], None, pre)
    if check_enabled:
        results.extend(_enabled_checks(k, axioms, inv, pre, weak, timeout_ms))
    return results


def _phase2a_safe_hints(k: _Vocab, pre: _State, step: _Step, sk: Sequence[Any],
                        names: Sequence[str], weak: frozenset[str]) -> list[Any]:
    """Instances that guide z3 through the one hard obligation (each is an instance of a
    hypothesis, so adding it is sound): the quorum q of 1b messages meets the phase-2 quorum
    of the claim, and the 2a behind the highest reported vote (ballot mb0) is itself safe."""
    _, _, c, w, q2 = sk
    x = z3.Const("hint_x", k.acc)
    hints = []
    if "quorums_disjoint" not in weak:
        hints.append(z3.Exists([x], z3.And(k.member1(x, step.params["q"]), k.member2(x, q2))))
    if "inv_2a_safe" in names:
        mb0 = z3.Const("p2a_mb0", k.bal)
        hints.append(_inv_2a_safe(k, pre, mb0, step.params["v"], c, w, q2))
    return hints


#: Universe sizes (acceptors, ballots, values, phase-1 quorums, phase-2 quorums) of the quick
#: counterexample search that precedes each proof attempt (a few ms per obligation), and of
#: the larger searches tried when z3 answers `unknown` on the unbounded obligation. With
#: finite universes z3's model-based quantifier instantiation is complete; a model found this
#: way is a real counterexample to induction, while finding none proves nothing.
QUICK_BOUNDS: tuple[tuple[int, int, int, int, int], ...] = ((3, 3, 3, 2, 2),)
CTI_BOUNDS: tuple[tuple[int, int, int, int, int], ...] = ((3, 4, 3, 3, 3), (4, 5, 3, 3, 3))


def _bounded_counterexample(
    new_solver: Callable[[Sequence[Any]], z3.Solver], facts: Sequence[Any], k: _Vocab,
    bounds: Sequence[tuple[int, ...]],
) -> tuple[Any, float, z3.Solver, str]:
    """Search `bounds` in order for a model of `facts`, each bound in a fresh solver.

    Returns (answer, seconds, the last solver, largest bound as text); `unknown` if no model.
    """
    seconds = 0.0
    solver = new_solver(facts)
    for sizes in bounds:
        solver = new_solver([*facts, *[bound_sort(sort, size) for sort, size in
                                        zip((k.acc, k.bal, k.val, k.q1, k.q2), sizes, strict=True)]])
        answer, spent = _timed_check(solver)
        seconds += spent
        if answer == z3.sat:
            return answer, seconds, solver, ""
    largest = "x".join(str(n) for n in bounds[-1]) if bounds else "0"
    return z3.unknown, seconds, solver, f"{largest} (acceptors x ballots x values x quorums)"


#: Largest universe per sort in the non-vacuity witness search.
ENABLED_BOUND = 3


def _enabled_checks(k: _Vocab, axioms: Sequence[Any], inv: Sequence[Any], pre: _State,
                    weak: frozenset[str], timeout_ms: int) -> list[ProofResult]:
    """Non-vacuity: `proved` means z3 found a witness: a state satisfying Inv in which the
    action is enabled (or a value is chosen). The witness search is bounded to at most
    `ENABLED_BOUND` elements per sort, so `failed` only means "none within that bound"."""
    out: list[ProofResult] = []
    bounds = [bound_sort(sort, ENABLED_BOUND) for sort in (k.acc, k.bal, k.val, k.q1, k.q2)]
    b, v = z3.Const("eb", k.bal), z3.Const("ev", k.val)
    witnesses = [(a, _ACTION_BUILDERS[a](k, pre, weak).guard, "enabled") for a in ACTIONS]
    witnesses.append(("Safety", z3.Exists([b, v], _chosen(k, pre, b, v, "e")), "value_chosen"))
    for action, formula, label in witnesses:
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(*axioms, *inv, *bounds, formula)
        answer, seconds = _timed_check(solver)
        status = PROVED if answer == z3.sat else FAILED if answer == z3.unsat else UNKNOWN
        reason = ""
        if answer == z3.unsat:
            reason = f"no witness with at most {ENABLED_BOUND} elements per sort"
        elif answer == z3.unknown:
            reason = str(solver.reason_unknown())
        out.append(ProofResult(GOAL_ENABLED, action, label, status, seconds, None, reason))
    return out
