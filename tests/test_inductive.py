"""Paxos.tla's inductive invariant as the checker judges it (properties/inductive.py) agrees with the z3
encoding `prove spec` proves inductive (properties/z3_spec.py), on enumerated and random small states; the
implementation model's cached evaluation (checker/models/impl_inductive.py) agrees with the whole-state one."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
import z3

from checker.config import CheckConfig
from checker.models.impl_model import ImplModel
from properties import inductive, z3_spec
from properties.invariants import inductive_failures
from properties.spec import Msg1a, Msg1b, Msg2a, Msg2b, SpecConfig, SpecState, reachable
from properties.z3_vocab import _State, _Vocab

_FRESH = itertools.count()


def _z3_verdicts(s: SpecState, n: int, ballots: int, values: tuple[str, ...],
                 quorums: tuple[frozenset[int], ...]) -> set[str]:
    """The conjuncts z3_spec.CONJUNCTS says are false in `s`: each conjunct's own formula, over finite
    enumerated sorts whose functions and relations are `s` itself (z3 decides it exactly)."""
    t = next(_FRESH)  # z3 sort names must be new in its context
    acc_s, accs = z3.EnumSort(f"A{t}", [f"a{i}_{t}" for i in range(n)])
    bal_s, bals = z3.EnumSort(f"B{t}", [f"b{i}_{t}" for i in range(-1, ballots)])  # bals[0] is -1
    val_s, vals = z3.EnumSort(f"V{t}", [f"none_{t}", *(f"{v}_{t}" for v in values)])
    q1_s, _ = z3.EnumSort(f"Q1{t}", [f"q1_{t}"])
    q2_s, q2s = z3.EnumSort(f"Q2{t}", [f"q{i}_{t}" for i in range(len(quorums))])
    b_of = {i - 1: x for i, x in enumerate(bals)}
    v_of: dict[Any, Any] = {None: vals[0], **{v: vals[i + 1] for i, v in enumerate(values)}}

    def le(x: Any, y: Any) -> Any:
        return z3.Or([z3.And(x == bals[i], y == bals[j]) for i in range(len(bals)) for j in range(i, len(bals))])

    def member2(a: Any, q: Any) -> Any:
        return z3.Or([z3.And(a == accs[x], q == q2s[k]) for k, qq in enumerate(quorums) for x in qq] or [False])

    def table(args: tuple[Any, ...], rows: list[tuple[Any, ...]]) -> Any:
        return z3.Or([z3.And(*[a == r for a, r in zip(args, row, strict=True)]) for row in rows] or [False])

    def func(values_: list[Any]) -> Any:
        def f(a: Any) -> Any:
            out = values_[-1]
            for i in range(n - 2, -1, -1):
                out = z3.If(a == accs[i], values_[i], out)
            return out
        return f

    k = _Vocab(acc_s, bal_s, val_s, q1_s, q2_s, bals[0], vals[0], le, lambda a, q: z3.BoolVal(True), member2)
    msgs = s.msgs
    st = _State(
        func([b_of[b] for b in s.max_bal]), func([b_of[b] for b in s.max_vbal]), func([v_of[v] for v in s.max_val]),
        lambda b: table((b,), [(b_of[m.bal],) for m in msgs if isinstance(m, Msg1a)]),
        lambda a, b, mb, mv: table((a, b, mb, mv), [(accs[m.acc], b_of[m.bal], b_of[m.mbal], v_of[m.mval])
                                                     for m in msgs if isinstance(m, Msg1b)]),
        lambda b, v: table((b, v), [(b_of[m.bal], v_of[m.val]) for m in msgs if isinstance(m, Msg2a)]),
        lambda a, b, v: table((a, b, v), [(accs[m.acc], b_of[m.bal], v_of[m.val])
                                          for m in msgs if isinstance(m, Msg2b)]),
    )
    bad = set()
    solver = z3.Solver()
    for name, conj in z3_spec.CONJUNCTS.items():
        solver.push()
        solver.add(z3.Not(conj.forall(k, st)))
        answer = solver.check()
        solver.pop()
        assert answer in (z3.sat, z3.unsat), name
        if answer == z3.sat:
            bad.add(name)
    return bad


def _python_verdicts(s: SpecState, values: tuple[str, ...], quorums: tuple[frozenset[int], ...]) -> set[str]:
    return {name for name, _ in inductive.failing(s, inductive.Universe(quorums, values))}


def _random_state(rng: random.Random, n: int, ballots: int, values: tuple[str, ...]) -> SpecState:
    bal = list(range(-1, ballots))
    vote = [(-1, None)] + [(b, v) for b in range(ballots) for v in values]
    locs = [(rng.choice(bal), rng.choice(vote)) for _ in range(n)]
    pool: list[Any] = [Msg1a(b) for b in bal]
    pool += [Msg1b(a, b, vb, vv) for a in range(n) for b in bal for vb, vv in vote]
    pool += [Msg2a(b, v) for b in bal for v in (None, *values)]
    pool += [Msg2b(a, b, v) for a in range(n) for b in bal for v in values]
    msgs = frozenset(rng.sample(pool, rng.randint(0, 5)))
    return SpecState(tuple(x[0] for x in locs), tuple(x[1][0] for x in locs), tuple(x[1][1] for x in locs), msgs)


def test_z3_and_python_agree_on_every_reachable_state_of_a_small_spec() -> None:
    cfg = SpecConfig(acceptors=2, ballots=2, values=1)
    states, _ = reachable(cfg)
    quorums = cfg.quorum_list
    assert len(states) > 20
    for s in random.Random(0).sample(sorted(states, key=repr), 25):
        assert _python_verdicts(s, cfg.value_names, quorums) == set() == _z3_verdicts(
            s, 2, 2, cfg.value_names, quorums)


@pytest.mark.parametrize("most", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_z3_and_python_agree_on_enumerated_one_acceptor_states(most: int) -> None:
    """Every acceptor state and every set of up to `most` messages from a pool over one acceptor, two ballots
    and two values (so each conjunct is seen both holding and failing)."""
    values = ("v1", "v2")
    quorums = (frozenset({0}),)
    pool: list[Any] = [Msg1a(-1), Msg1a(1), Msg1b(0, 1, 0, "v1"), Msg1b(0, 0, 1, "v1"), Msg1b(0, 1, -1, None),
                       Msg1b(0, 1, -1, "v1"), Msg2a(1, "v2"), Msg2a(1, "v1"), Msg2a(0, None), Msg2b(0, 0, "v1"),
                       Msg2b(0, -1, "v1")]
    locals_ = [(-1, -1, None), (1, 0, "v1"), (0, 1, "v2"), (1, -1, "v1")]
    seen_failing: set[str] = set()
    for (mb, vb, vv), r in itertools.product(locals_, range(most + 1)):
        for msgs in itertools.combinations(pool, r):
            s = SpecState((mb,), (vb,), (vv,), frozenset(msgs))
            py = _python_verdicts(s, values, quorums)
            assert py == _z3_verdicts(s, 1, 2, values, quorums), s
            seen_failing |= py
    assert seen_failing >= set(z3_spec.CONJUNCTS) - {"inv_2a_unique", "inv_1b_no_vote_between", "inv_2b_has_2a"}
    if most >= 2:  # two 2a messages of ballot 1 (v1 and v2) break inv_2a_unique too: every conjunct is seen failing
        assert seen_failing == set(z3_spec.CONJUNCTS)


@pytest.mark.parametrize("seed", range(3))
def test_z3_and_python_agree_on_random_states(seed: int) -> None:
    rng = random.Random(seed)
    values = ("v1", "v2")
    quorums = (frozenset({0, 1}), frozenset({1, 2}), frozenset({0, 2}))
    for _ in range(40):
        s = _random_state(rng, 3, 3, values)
        assert _python_verdicts(s, values, quorums) == _z3_verdicts(s, 3, 3, values, quorums), s


def test_flexible_quorums_read_phase2_quorums_for_votes() -> None:
    """inv_2a_safe quantifies over phase-2 quorums: with q2 = {0,1,2} (q1 = a single acceptor) one acceptor
    that promised above c suffices; with q2 = the singletons, every acceptor must have."""
    s = SpecState((2, -1, -1), (-1, -1, -1), (None, None, None), frozenset({Msg2a(2, "v1")}))
    whole = (frozenset({0, 1, 2}),)
    singletons = tuple(frozenset({a}) for a in range(3))
    assert _python_verdicts(s, ("v1", "v2"), whole) == set() == _z3_verdicts(s, 3, 3, ("v1", "v2"), whole)
    assert _python_verdicts(s, ("v1", "v2"), singletons) == {"inv_2a_safe"} == _z3_verdicts(
        s, 3, 3, ("v1", "v2"), singletons)


@pytest.mark.parametrize("impl", ["paxos.deviations:promise_inflates_vote", "paxos.deviations:round_only_promise",
                                  "paxos.bugs:own_value", "paxos.bugs:overwrite_accept", "paxos:PaxosNode"])
def test_the_models_cached_verdicts_equal_the_whole_state_evaluation(impl: str) -> None:
    """checker/models/impl_inductive.py judges groups of each state under small keys; on random walks its
    verdicts must equal properties.invariants.inductive_failures over the state's whole view."""
    model = ImplModel(CheckConfig(acceptors=1, proposers=2, learners=1, values=2, ballots=2, crashes=1, impl=impl))
    rng = random.Random(7)
    names = set(inductive.BY_NAME)
    failing_seen = 0
    for _ in range(40):
        state = next(iter(model.initial_states()))
        for _ in range(16):
            got = {n for n in model.violated(state) if n in names}
            want = set(inductive_failures(model.view(state)))
            assert got == want
            failing_seen += bool(got)
            succ = list(model.successors(state))
            if not succ:
                break
            state = rng.choice(succ)[1]
    if impl != "paxos:PaxosNode":
        assert failing_seen, "the walks should reach states that break a conjunct"


@pytest.mark.parametrize(("q1", "q2"), [(3, 1), (1, 3)])
def test_flexible_quorums_the_correct_node_keeps_every_conjunct(q1: str, q2: str, tmp_path: Any) -> None:
    """Flexible quorums have no Paxos.tla refinement (refines_spec is off), yet the invariant judges them:
    the correct node holds with either phase carrying the big quorums (reading promises where votes are
    meant, or the reverse, would fail one of the two)."""
    import json

    from checker.cli.main import main

    flags = ["explore", "--acceptors", "3", "--q1", str(q1), "--q2", str(q2), "--learners", "0", "--ballots", "1",
             "--crashes", "0", "--quiet", "--out", str(tmp_path)]
    assert main(flags) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    names = {p["name"] for p in summary["properties"]}
    assert "refines_spec" not in names and set(inductive.BY_NAME) <= names
    assert summary["exhaustive"]


def test_flexible_quorums_a_bug_breaks_a_conjunct(tmp_path: Any) -> None:
    import json

    from checker.cli.main import main

    assert main(["explore", "--impl", "paxos.bugs:own_value", "--acceptors", "3", "--q1", "3", "--q2", "1",
                 "--learners", "0", "--ballots", "1", "--crashes", "0", "--stop-on-first", "--quiet",
                 "--out", str(tmp_path)]) == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [p["name"] for p in summary["properties"] if p["status"] == "violated"] == ["inv_2a_safe"]
