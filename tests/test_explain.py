"""Why a property fails, in the words of the protocol (properties/explain.py, issue 12 item 2).

For catalog bugs, the counterexample found by the explorer is replayed on the reference cluster
and its explanation must name the Spec action, the enabling condition that fails and the message
that makes it fail. Unit tests pin the wording on hand-built steps.
"""

from __future__ import annotations

import re

import pytest

from checker.config import CheckConfig
from checker.models.impl_model import ImplModel
from checker.runs.summarize import trace_of
from checker.search.dfs import dfs
from checker.traces.replay import ImplReplayer
from paxos import BOTTOM, Accept, Accepted, AcceptorDurable, Ballot, ClusterConfig, Prepare, Promise
from paxos.bugs import CATALOG
from properties.explain import StepView, explain, explain_refinement
from properties.invariants import WorldView


def _reasons(name: str) -> dict[str, str]:
    """Each violated property of bug `name` (its smallest catalog configuration) -> the replay's reason."""
    config = CheckConfig(**dict(CATALOG[name].config))
    model = ImplModel(config)
    out = {}
    for p in dfs(model).violated:
        assert p.path is not None
        trace = trace_of(model, p.path, p.name, p.kind)
        outcome = ImplReplayer(config).run([s.row for s in trace.steps], stop_at_violation=False)
        out[p.name] = next(why for _, prop, why in outcome.violations if prop == p.name)
    return out


B = r"\d+@\d+"
#: bug -> property -> (the failing enabling condition, the message or fields that make it fail), as regexes
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "own_value": {
        "refines_spec": (rf"^Phase2a\({B}, v\d\) needs v\d to be the value of the highest-ballot vote among a "
                         r"quorum's 1b messages",
                         rf"the 1b from node \d \(Promise {B} \(accepted {B}:v\d\)\) reports \({B}, v\d\)"),
        "agreement": (r"^two values chosen \(agreement allows at most one\)",
                      rf"v1 chosen at ballot {B} by acceptors \{{[\d, ]+\}}.*v2 chosen at ballot {B}"),
    },
    "overwrite_accept": {
        "refines_spec": (rf"^Phase2b\(acceptor \d, {B}, v\d\) needs {B} >= maxBal\[\d\]",
                         rf"acceptor \d had promised {B} and still sent Accepted {B}:v\d"),
    },
    "promise_drops_value": {
        "refines_spec": (rf"^Phase1b\(acceptor \d, {B}\) needs the 1b to report acceptor \d's last vote "
                         rf"<<maxVBal, maxVal>> = \({B}, v\d\)",
                         rf"acceptor \d sent Promise {B} \(accepted nothing\)"),
    },
    "no_tiebreak": {
        "refines_spec": (rf"^Phase2a\({B}, v\d\) needs no 2a message of ballot {B} to have been sent before",
                         rf"Accept {B}:v\d was sent already, and now Accept {B}:v\d"),
        "inv_one_value_per_ballot": (rf"^one value per ballot, but ballot {B} was accepted with 2",
                                     rf"Accepted {B}:v1 from [\d, ]+; Accepted {B}:v2 from [\d, ]+$"),
    },
    "volatile_acceptor": {
        "refines_spec": (r"^a step of acceptor \d needs maxBal\[\d\] never to decrease",
                         rf"acceptor \d \(promised {B}, accepted {B}:v\d\) became \(promised -, accepted nothing\)"),
        "promise_monotonic": (rf"acceptor \d's promise went down from {B} to -", ""),
    },
    "eager_learner": {
        "learner_integrity": (r"^learner \d learned v\d, which is not chosen: no phase-2 quorum",
                              rf"the Accepteds of v\d: {B} from \d$"),
    },
}


@pytest.mark.parametrize("bug", sorted(EXPECTED))
def test_catalog_bug_explained(bug: str) -> None:
    reasons = _reasons(bug)
    for prop, (condition, message) in EXPECTED[bug].items():
        assert prop in reasons, f"{bug}: {prop} not violated"
        assert re.search(condition, reasons[prop]), reasons[prop]
        assert re.search(message, reasons[prop]), reasons[prop]


@pytest.mark.slow
def test_minority_quorum_explained() -> None:
    why = _reasons("minority_quorum")["refines_spec"]
    assert re.search(rf"^Phase2a\({B}, v\d\) needs 1b messages of ballot {B} from every acceptor of a quorum "
                     r"\(majority of 3\); only 1 acceptor\(s\) sent one \(node \d: Promise", why), why


# -- hand-built steps ------------------------------------------------------------------------------------

CONFIG = ClusterConfig((1, 2), (3, 4, 5), (6,))
B1, B2 = Ballot(0, 1), Ballot(0, 2)
FRESH = AcceptorDurable(BOTTOM, BOTTOM, None)


def test_phase2a_value_not_the_highest_vote() -> None:
    """The issue's own sentence: the 1b from node 4 reports (0@1, v1), yet v2 is proposed."""
    sent = {Prepare(1, B1), Accept(1, B1, "v1"), Accepted(4, B1, "v1"), Prepare(2, B2),
            Promise(3, B2, BOTTOM, None), Promise(4, B2, B1, "v1")}
    acc = {3: AcceptorDurable(B2), 4: AcceptorDurable(B2, B1, "v1"), 5: FRESH}
    why = explain_refinement(CONFIG, acc, sent, acc, sent | {Accept(2, B2, "v2")})
    assert why.action == "Phase2a(0@2, v2)"
    assert why.condition == "v2 to be the value of the highest-ballot vote among a quorum's 1b messages"
    assert why.evidence == ("in quorum {3, 4} the 1b from node 4 (Promise 0@2 (accepted 0@1:v1)) reports (0@1, v1)",)


def test_repromise_of_an_equal_ballot_is_a_phase1b_that_needs_a_higher_ballot() -> None:
    sent = {Prepare(1, B1), Promise(3, B1, BOTTOM, None)}
    before = {3: AcceptorDurable(B1), 4: FRESH, 5: FRESH}
    why = explain_refinement(CONFIG, before, sent, before, sent | {Promise(3, B1, B1, "v1")})
    assert why.action == "Phase1b(acceptor 3, 0@1)"
    assert why.condition == "0@1 > maxBal[3] (the ballot acceptor 3 has promised)"
    assert "Promise 0@1 (accepted 0@1:v1)" in why.evidence[0]


def test_agreement_names_values_ballots_and_quorums() -> None:
    history = frozenset({Accepted(3, B1, "v1"), Accepted(4, B1, "v1"), Accepted(4, B2, "v2"),
                         Accepted(5, B2, "v2")})
    view = WorldView(CONFIG, {}, {}, history, frozenset({"v1", "v2"}))
    why = explain("agreement", StepView(view, view, frozenset(), frozenset(history)))
    assert why.evidence == ("v1 chosen at ballot 0@1 by acceptors {3, 4} (Accepted 0@1:v1 from each)",
                            "v2 chosen at ballot 0@2 by acceptors {4, 5} (Accepted 0@2:v2 from each)")
    assert "\n" not in why.text() and "..." not in why.text()
