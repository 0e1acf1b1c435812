"""The compiled engine's split verdicts equal the Python engine's whole-view ones, state by state.

checker/models/impl_view_parts.py judges the view properties in parts (history, learners, per acceptor,
the rest whole) and checker/models/impl_core_safe.py judges inv_2a_safe compiled; `ImplCore.check` puts
them together with the inductive invariant's other parts. Here every `always` verdict of `ImplCore.check`
on a row must equal `ImplModel.violated` (Verdicts: the whole view, and InductiveIndex) on the same state:
on states of random walks and on scrambled ones (random acceptor snapshots, sent messages and proposed
values out of those met: far more violations than walks reach), for the correct node with and without
learners apart, the bug catalog, mutants, deviations, two learners, and a user's `always` property.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from checker.config import CheckConfig
from checker.models.impl_core import ImplCore
from checker.models.impl_layout import PROPOSED, SENT
from checker.models.impl_model import ImplModel
from checker.models.impl_view_parts import ViewParts
from checker.models.reductions import Reductions
from properties.invariants import BY_NAME, PROPERTIES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

APART_OFF = Reductions(learners_apart=False, por=False)


def _walks(model: ImplModel, rng: random.Random, walks: int, steps: int) -> list[Any]:
    states = []
    for _ in range(walks):
        state = next(iter(model.initial_states()))
        for _ in range(steps):
            states.append(state)
            succ = list(model.successors(state))
            if not succ:
                break
            state = rng.choice(succ)[1]
    return states


def _scrambled(model: ImplModel, states: list[Any], rng: random.Random, n: int) -> list[Any]:
    """States with acceptor and learner snapshots, sent messages and proposed values drawn from those interned."""
    t = model.tables
    out = []
    for _ in range(n):
        s = list(rng.choice(states))
        for i in (*t.acceptor_idx, *t.learner_idx):
            s[i] = rng.randrange(len(t.snaps[i]))
        s[SENT] = rng.getrandbits(len(t.msgs)) & rng.getrandbits(len(t.msgs)) if t.msgs else 0
        s[PROPOSED] = rng.getrandbits(len(t.values))
        out.append(tuple(s))
    return out


def _compare(model: ImplModel, states: list[Any]) -> Counter[str]:
    """ImplCore.check's `always` bits of each state equal Verdicts' names; how many states break each."""
    core = ImplCore(model)
    assert core.safe_twin is not None
    bad, _ = core.check(core.rows(states))
    mapped = ImplCore(model)
    mapped.safe_twin = None  # SAFE_PART through its map and InductiveIndex.safe_part, as without the twin
    bad_mapped, _ = mapped.check(mapped.rows(states))
    broken: Counter[str] = Counter()
    for state, bits, bits_mapped in zip(states, bad.tolist(), bad_mapped.tolist(), strict=True):
        got = {name for j, name in enumerate(core.always) if bits >> j & 1}
        want = set(model.violated(state))
        assert got == want, (model.verdicts.views.describe_state(state), got, want)
        assert bits_mapped == bits
        broken.update(want)
    return broken


def _check(cfg: CheckConfig, reductions: Reductions | None = None, seed: int = 3, walks: int = 12,
           steps: int = 14, scrambled: int = 300) -> tuple[Counter[str], Counter[str]]:
    model = ImplModel(cfg, reductions=reductions or Reductions())
    rng = random.Random(seed)
    states = _walks(model, rng, walks, steps)
    walked = _compare(model, states)
    mixed = _compare(model, _scrambled(model, states, rng, scrambled))
    return walked, mixed


#: every part's properties, and the compiled inv_2a_safe: the scrambled states must break each somewhere
EVERY_PART = {"agreement", "validity", "inv_one_value_per_ballot", "learner_integrity", "inv_accepted_le_promised",
              "inv_accepted_was_sent", "inv_2a_safe"}


@pytest.mark.parametrize("reductions", [Reductions(), APART_OFF], ids=["apart", "not-apart"])
@pytest.mark.parametrize("learners", [1, 2])
def test_the_correct_node_split_equals_whole(reductions: Reductions, learners: int) -> None:
    walked, mixed = _check(CheckConfig(acceptors=3, proposers=2, learners=learners, ballots=2, crashes=1),
                           reductions, walks=40, steps=24, scrambled=400)
    assert not walked  # the correct node breaks nothing on its walks
    # (a correct acceptor never accepts above its promise, in any snapshot: accept_keeps_promise below does)
    missing = EVERY_PART - {"inv_accepted_le_promised"} - set(mixed)
    assert not missing, f"scrambled states should break every part (else this compares nothing): {missing}"


@pytest.mark.parametrize("impl", ["paxos.bugs:own_value", "paxos.bugs:overwrite_accept", "paxos.bugs:eager_learner",
                                  "paxos.bugs:volatile_acceptor", "paxos.bugs:minority_quorum",
                                  "paxos.bugs:promise_drops_value", "paxos.deviations:promise_inflates_vote",
                                  "tests.mutants:accept_checks_accepted_bal", "tests.mutants:accept_keeps_promise",
                                  "tests.mutants:learner_one_fewer", "tests.mutants:crash_loses_acceptor"])
def test_bugs_and_mutants_split_equals_whole(impl: str) -> None:
    _, mixed = _check(CheckConfig(acceptors=3, proposers=2, learners=1, ballots=2, crashes=1, impl=impl),
                      walks=20, steps=18)
    assert mixed
    if impl == "tests.mutants:accept_keeps_promise":
        assert mixed["inv_accepted_le_promised"]


def test_flexible_quorums_one_acceptor_and_colocated_roles_split_equals_whole() -> None:
    _check(CheckConfig(acceptors=1, proposers=2, learners=1, values=2, ballots=2, crashes=1,
                       impl="paxos.bugs:own_value"))
    _check(CheckConfig(acceptors=3, proposers=2, learners=1, ballots=2, crashes=0, q1=3, q2=1))
    _, mixed = _check(CheckConfig(acceptors=2, proposers=2, learners=2, ballots=2, crashes=1, colocated=True))
    assert mixed["learner_integrity"] and mixed["inv_2a_safe"]


@pytest.mark.parametrize("reductions", [Reductions(), APART_OFF], ids=["apart", "not-apart"])
def test_a_user_always_property_is_judged_on_the_whole_view(reductions: Reductions) -> None:
    cfg = CheckConfig(acceptors=3, proposers=2, learners=1, ballots=2, crashes=1,
                      properties=("tests.user_property_fixtures:one_value_accepted",))
    model = ImplModel(cfg, reductions=reductions)
    v = model.verdicts
    parts = ViewParts(model.tables, v.views, v.view_props, v.apart, v.views_of)
    assert [p.name for p in parts.whole] == ["one_value_accepted"]
    _, mixed = _check(cfg, reductions)
    assert mixed["one_value_accepted"]


def test_the_declared_parts_are_the_built_ins_and_only_theirs() -> None:
    """A part is declared, never guessed: the built-ins say theirs, the inductive conjuncts and the user's
    properties have none (judged elsewhere or on the whole view)."""
    declared = {p.name: p.part for p in PROPERTIES if p.part is not None}
    assert declared == {"agreement": "history", "validity": "history", "inv_one_value_per_ballot": "history",
                        "learner_integrity": "learners", "inv_accepted_le_promised": "acceptor",
                        "inv_accepted_was_sent": "acceptor"}
    assert BY_NAME["inv_2a_safe"].part is None
