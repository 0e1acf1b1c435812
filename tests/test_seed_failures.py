"""Seed category "failures": failed nodes, proposers and acceptors, and crash/restart in the Cluster.

A failed node answers nothing; a restarted acceptor keeps its promise and
its accepted value; a restarted proposer never reuses a ballot; a value
accepted before a failure is the one later chosen. Logs go to test_failures.csv.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from conftest import Rows, seed_nodes

from paxos import (
    BOTTOM,
    Accept,
    Ballot,
    Budgets,
    Cluster,
    Crash,
    Deliver,
    Nack,
    NodeState,
    PaxosLogger,
    PaxosNode,
    Prepare,
    Promise,
    Proposal,
    Propose,
    ProtocolError,
    Restart,
    Timeout,
)

if TYPE_CHECKING:
    from conftest import Layout

LOG_CATEGORY = "failures"




def test_a_failed_node_does_not_answer(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(5, paxos_log)
    nodes[3].fail()
    assert nodes[3].state is NodeState.FAILED and not nodes[3].is_active
    proposal = Proposal(1, 1, "v")
    nodes[1].send_prepare(nodes, proposal)
    assert nodes[3].send_promise(proposal) is None
    for i in (2, 4, 5):
        assert nodes[i].send_promise(proposal) is not None
    assert nodes[1].send_accept(nodes, proposal) == 4
    assert nodes[3].acceptor.accepted_bal == BOTTOM and nodes[3].decided_value is None
    assert {nodes[i].decided_value for i in (1, 2, 4, 5)} == {"v"}

    rows = saved_rows()
    assert [r["state_change"] for r in rows if r["event"] == "fail"] == ["active -> failed"]
    from_3 = [r for r in rows if r["node"] == "3" and r["event"] in ("send", "receive", "learn")]
    assert from_3 == [], "the failed node neither received, sent nor learned anything"
    # The proposer still addressed it: the message was sent and lost.
    assert any(r["event"] == "send" and r["peer"] == "3" and r["msg_type"] == "Accept" for r in rows)

    nodes[3].recover()
    assert nodes[3].is_active
    assert nodes[3].send_promise(Proposal(2, 2, "w")) is not None
    assert [r["state_change"] for r in saved_rows() if r["event"] == "recover"] == ["failed -> active"]


def test_restarted_acceptor_keeps_its_promise(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(5, paxos_log)
    low, high = Proposal(1, 1, "low"), Proposal(2, 2, "high")
    nodes[1].send_prepare(nodes, low)
    for i in (2, 4, 5):
        nodes[i].send_promise(low)
    nodes[2].send_prepare(nodes, high)
    assert nodes[3].send_promise(high) is not None  # node 3 promises 2@2 ...
    nodes[3].fail()  # ... crashes between promise and accept ...
    nodes[3].recover()
    assert nodes[3].acceptor.promised == Ballot(2, 2)
    assert nodes[1].send_accept(nodes, low) == 4  # ... and refuses the lower Accept 1@1
    assert nodes[3].acceptor.accepted_bal == BOTTOM

    nacks = [r for r in saved_rows() if r["event"] == "send" and r["msg_type"] == "Nack"]
    assert [(r["node"], r["peer"], r["bal"]) for r in nacks] == [("3", "1", "1@1")]
    assert nacks[0]["max_vbal"] == "2@2"  # the Nack carries the higher promise


def test_core_acceptor_keeps_its_promise_across_a_crash(layout: Layout) -> None:
    config = layout.config(3)
    p, a = config.proposers[0], config.acceptors[-1]
    node = PaxosNode(a, config=config)
    high, low = Ballot(2, p), Ballot(1, p)
    assert node.on_message(Prepare(p, high)) == [(p, Promise(a, high, BOTTOM, None))]
    node.crash()
    assert node.on_message(Accept(p, low, "x")) == [(p, Nack(a, low, high))]
    assert node.on_message(Accept(p, high, "y"))[0][1].bal == high
    node.crash()
    state = node.acceptor_state()
    assert state is not None and (state.accepted_bal, state.accepted_val) == (high, "y")


def test_failed_proposer_must_recover_and_use_a_new_number(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(3, paxos_log)
    first = Proposal(1, 1, "v")
    nodes[1].send_prepare(nodes, first)
    for i in (2, 3):
        nodes[i].send_promise(first)
    nodes[1].fail()
    with pytest.raises(ProtocolError, match="node 1 has failed; call recover"):
        nodes[1].send_accept(nodes, first)
    nodes[1].recover()
    # The collected promises were volatile: they are gone.
    assert nodes[1].send_accept(nodes, first) == 0
    with pytest.raises(ProtocolError, match=r"already used proposal number 1.*Proposal\(1, 2, \.\.\.\)"):
        nodes[1].send_prepare(nodes, first)
    second = Proposal(1, 2, "v")
    nodes[1].send_prepare(nodes, second)
    for i in (2, 3):
        nodes[i].send_promise(second)
    assert nodes[1].send_accept(nodes, second) == 3
    assert {n.decided_value for n in nodes.values()} == {"v"}

    rows = saved_rows()
    assert [r["state_change"] for r in rows if r["event"] == "accept_skipped"] == [
        "ballot 1@1: no phase-1 quorum of promises"
    ]
    assert {r["bal"] for r in rows if r["msg_type"] == "Accept"} == {"2@1"}


def test_value_accepted_before_the_proposer_failed_is_the_one_chosen(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(5, paxos_log)
    first = Proposal(1, 1, "first")
    nodes[1].send_prepare(nodes, first)
    for i in (1, 2, 3):
        nodes[i].send_promise(first)
    # The proposer gets its Accept to nodes 1 and 2 only, then fails.
    assert nodes[1].send_accept({1: nodes[1], 2: nodes[2]}, first) == 2
    nodes[1].fail()
    later = Proposal(4, 5, "later")
    nodes[4].send_prepare(nodes, later)
    for i in (2, 3, 4):
        promise = nodes[i].send_promise(later)
        assert promise is not None
    assert nodes[4].send_accept(nodes, later) == 4  # every active node
    assert {nodes[i].decided_value for i in (2, 3, 4, 5)} == {"first"}

    rows = saved_rows()
    report = [r for r in rows if r["msg_type"] == "Promise" and r["node"] == "2" and r["event"] == "send"]
    assert [(r["bal"], r["max_vbal"], r["max_val"]) for r in report] == [("1@1", "-", ""), ("5@4", "1@1", "first")]
    assert {r["value"] for r in rows if r["msg_type"] == "Accept" and r["bal"] == "5@4"} == {"first"}


@pytest.mark.parametrize("failed", [0, 1, 2, 3])
def test_consensus_survives_a_minority_of_failures(failed: int, paxos_log: PaxosLogger) -> None:
    nodes = seed_nodes(5, paxos_log)
    for i in range(5, 5 - failed, -1):
        nodes[i].fail()
    proposal = Proposal(1, 1, "v")
    nodes[1].send_prepare(nodes, proposal)
    answers = [n.send_promise(proposal) for n in nodes.values()]  # the proposer's own acceptor included
    assert sum(a is not None for a in answers) == 5 - failed
    accepted = nodes[1].send_accept(nodes, proposal)
    assert accepted == (5 - failed if failed <= 2 else 0)
    chosen = {n.decided_value for n in nodes.values() if n.is_active}
    assert chosen == ({"v"} if failed <= 2 else {None})


def test_cluster_crash_and_restart(layout: Layout, paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    config = layout.config(3)
    cluster = Cluster(config, budgets=Budgets(crashes=2), logger=paxos_log)
    p, a = config.proposers[0], config.acceptors[-1]
    cluster.step(Propose(p, "v"))
    [prepare] = [e for e in cluster.in_flight if e.dst == a and isinstance(e.msg, Prepare)]
    cluster.step(Deliver(prepare))
    cluster.step(Crash(a))
    with pytest.raises(ProtocolError, match=f"node {a} is crashed; restart it first"):
        cluster.step(Deliver(prepare))
    assert Deliver(prepare) not in cluster.enabled()
    cluster.step(Restart(a))
    state = cluster.nodes[a].acceptor_state()
    assert state is not None and state.promised == Ballot(0, p)

    # A restarted proposer starts above every round it used.
    cluster.step(Crash(p))
    cluster.step(Restart(p))
    sent = cluster.step(Timeout(p))
    assert {e.msg.bal for e in sent} == {Ballot(1, p)}
    with pytest.raises(ProtocolError, match=r"crashes budget \(2\) is used up"):
        cluster.step(Crash(a))
    assert not any(isinstance(x, Crash) for x in cluster.enabled())

    rows = saved_rows()
    assert [(r["event"], r["node"]) for r in rows if r["event"] in ("crash", "restart")] == [
        ("crash", str(a)), ("restart", str(a)), ("crash", str(p)), ("restart", str(p)),
    ]
    timeouts = [r for r in rows if r["event"] == "timeout"]
    assert len(timeouts) == 1 and timeouts[0]["node"] == str(p)


@pytest.mark.parametrize("network", ["set", "bag"])
def test_crashes_never_make_two_values_chosen(layout: Layout, network: str) -> None:
    config = layout.config(3, proposers=2)
    values = ["a", "b"]
    progress = 0
    for seed in range(150):
        cluster = Cluster(config, network=network, budgets=Budgets(crashes=3, ballots=3))
        cluster.run(values, seed=seed, crash_rate=0.3, timeout_rate=0.2)
        chosen = cluster.chosen()
        assert len(chosen) <= 1, f"seed {seed}: chose {chosen}"
        assert chosen <= set(values)
        learned = {v for v in cluster.learned().values() if v is not None}
        assert learned <= chosen, f"seed {seed}: learned {learned} but chose {chosen}"
        progress += bool(chosen)
    assert progress > 50, "crashes within budget still let most runs choose a value"
