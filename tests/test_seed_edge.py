"""Seed category "edge cases": minimal clusters, value persistence, broadcasts, duplicates, bad input.

Bad input must raise a typed error whose message says what was wrong and
how to fix it; nothing is silently clamped. Logs go to test_edge.csv.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from conftest import Rows, seed_nodes

from paxos import (
    BOTTOM,
    Accepted,
    Ballot,
    Cluster,
    ClusterConfig,
    ConfigurationError,
    NodeRole,
    PaxosLogger,
    PaxosNode,
    Prepare,
    Promise,
    Proposal,
    ProtocolError,
    resolve,
)

if TYPE_CHECKING:
    from conftest import Layout

LOG_CATEGORY = "edge"




def full_round(nodes: dict[int, PaxosNode], proposal: Proposal, promisers: tuple[int, ...] | None = None) -> int:
    proposer = nodes[proposal.node_id]
    proposer.send_prepare(nodes, proposal)
    for i in promisers if promisers is not None else tuple(nodes):
        nodes[i].send_promise(proposal)
    return proposer.send_accept(nodes, proposal)


# -- minimal clusters ---------------------------------------------------------------------------


def test_single_node_cluster_reaches_consensus_alone(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(1, paxos_log)
    proposal = Proposal(1, 1, "solo")
    assert nodes[1].send_prepare(nodes, proposal) == 0, "no other node to send Prepare to"
    assert nodes[1].send_promise(proposal) is not None  # its own acceptor: a majority of 1
    assert nodes[1].send_accept(nodes, proposal) == 1
    assert nodes[1].decided_value == "solo"
    rows = saved_rows()
    assert [(r["event"], r["node"], r["peer"]) for r in rows if r["msg_type"] == "Promise"] == [
        ("send", "1", "1"), ("receive", "1", "1"),
    ]
    assert [r["value"] for r in rows if r["event"] == "learn"] == ["solo"]


@pytest.mark.parametrize(
    "config",
    [ClusterConfig.colocated(1), ClusterConfig.separate(1, 1, 1), ClusterConfig.colocated(2)],
    ids=["colocated-1", "separate-1-1-1", "colocated-2"],
)
def test_minimal_clusters_choose(config: ClusterConfig) -> None:
    cluster = Cluster(config)
    cluster.run(["v"], seed=3)
    assert cluster.chosen() == {"v"}
    assert set(cluster.learned().values()) == {"v"}


def test_two_acceptors_need_both() -> None:
    assert ClusterConfig.colocated(2).quorums.phase2_quorums() == [frozenset({1, 2})]
    nodes = seed_nodes(2, None)
    nodes[2].fail()
    assert full_round(nodes, Proposal(1, 1, "v"), promisers=(1, 2)) == 0


def test_cluster_without_learners_still_chooses() -> None:
    cluster = Cluster(ClusterConfig.separate(3, 1, 0))
    cluster.run(["v"], seed=0)
    assert cluster.chosen() == {"v"} and cluster.learned() == {}


# -- value persistence ---------------------------------------------------------------------------


def test_a_chosen_value_persists_through_later_proposals(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(5, paxos_log)
    assert full_round(nodes, Proposal(1, 1, "first")) == 5
    for proposer, number, value in [(2, 2, "second"), (5, 3, "third"), (1, 7, "fourth")]:
        assert full_round(nodes, Proposal(proposer, number, value), promisers=(2, 3, 4)) == 5
    assert {n.decided_value for n in nodes.values()} == {"first"}
    assert {n.acceptor.accepted_val for n in nodes.values()} == {"first"}
    rows = saved_rows()
    accepts = {(r["bal"], r["value"]) for r in rows if r["event"] == "send" and r["msg_type"] == "Accept"}
    assert accepts == {("1@1", "first"), ("2@2", "first"), ("3@5", "first"), ("7@1", "first")}
    assert {r["value"] for r in rows if r["event"] == "propose"} == {"first", "second", "third", "fourth"}


@pytest.mark.parametrize("value", [0, 42, ("a", 1), frozenset({1, 2}), "", b"bytes", 2.5])
def test_any_hashable_value_can_be_chosen(value: object) -> None:
    nodes = seed_nodes(3, None)
    assert full_round(nodes, Proposal(1, 1, value)) == 3
    assert {n.decided_value for n in nodes.values()} == {value}


# -- broadcasts ----------------------------------------------------------------------------------


def test_broadcasts_reach_every_node(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(4, paxos_log)
    assert nodes[2].send_prepare(nodes, Proposal(2, 1, "v")) == 3
    rows = saved_rows()
    assert sorted(r["peer"] for r in rows if r["msg_type"] == "Prepare") == ["1", "3", "4"]
    assert full_round(nodes, Proposal(2, 2, "v"), promisers=(1, 3, 4)) == 4  # Accept goes to the proposer too
    rows = saved_rows()
    accepted = [r for r in rows if r["event"] == "send" and r["msg_type"] == "Accepted"]
    assert sorted(r["node"] for r in accepted) == ["1", "2", "3", "4"]
    assert {r["peer"] for r in accepted} == {""}, "Accepted is a broadcast to the learners"
    received = [r for r in rows if r["event"] == "receive" and r["msg_type"] == "Accepted"]
    assert len(received) == 16, "each of 4 learners receives each of 4 Accepted"


def test_cluster_broadcast_destinations(layout: Layout) -> None:
    config = layout.config(3)
    assert resolve(config, NodeRole.ACCEPTOR) == config.acceptors
    assert resolve(config, NodeRole.LEARNER) == config.learners
    assert resolve(config, config.acceptors[0]) == (config.acceptors[0],)
    with pytest.raises(ProtocolError, match="not in the cluster"):
        resolve(config, 99)


# -- duplicates ----------------------------------------------------------------------------------


def test_duplicated_promises_do_not_complete_phase_one(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(5, paxos_log)
    proposal = Proposal(1, 1, "v")
    nodes[1].send_prepare(nodes, proposal)
    promises = [nodes[i].send_promise(proposal) for i in (2, 3)]
    for promise in promises * 3:
        assert promise is not None
        nodes[1].deliver_promise(promise)
    assert nodes[1].send_accept(nodes, proposal) == 0, "2 distinct acceptors are not a majority of 5"
    rows = saved_rows()
    counts = [r["state_change"] for r in rows if r["event"] == "receive" and r["msg_type"] == "Promise"]
    assert counts == ["promises 1", "promises 2"] + ["promises 2"] * 6
    nodes[4].send_promise(proposal)
    assert nodes[1].send_accept(nodes, proposal) == 5


def test_duplicated_accepted_do_not_make_a_learner_learn(layout: Layout) -> None:
    config = layout.config(5)
    learner = PaxosNode(config.learners[0], config=config)
    bal = Ballot(0, config.proposers[0])
    a1, a2, a3 = config.acceptors[:3]
    for _ in range(3):
        for a in (a1, a2):
            assert learner.on_message(Accepted(a, bal, "v")) == []
    assert learner.learned() is None
    learner.on_message(Accepted(a3, bal, "v"))
    assert learner.learned() == "v"


def test_same_prepare_twice_is_promised_once(layout: Layout) -> None:
    config = layout.config(3)
    p, a = config.proposers[0], config.acceptors[0]
    acceptor = PaxosNode(a, config=config)
    msg = Prepare(p, Ballot(0, p))
    assert acceptor.on_message(msg) == [(p, Promise(a, Ballot(0, p), BOTTOM, None))]
    assert acceptor.on_message(msg) == []


def test_resending_a_proposal_keeps_its_promises_but_a_reused_number_is_refused(
    paxos_log: PaxosLogger, saved_rows: Rows
) -> None:
    nodes = seed_nodes(3, paxos_log)
    proposal = Proposal(1, 1, "v")
    nodes[1].send_prepare(nodes, proposal)
    nodes[2].send_promise(proposal)
    assert nodes[1].send_prepare(nodes, proposal) == 2, "a retransmission of the same Prepare"
    assert nodes[3].send_promise(proposal) is not None
    assert nodes[1].send_accept(nodes, proposal) == 3
    with pytest.raises(ProtocolError, match=r"node 1 already used proposal number 1; a new proposal needs a higher"):
        nodes[1].send_prepare(nodes, Proposal(1, 1, "other"))
    rows = saved_rows()
    assert len([r for r in rows if r["event"] == "propose"]) == 1
    assert len([r for r in rows if r["event"] == "send" and r["msg_type"] == "Prepare"]) == 4


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, -1, -5])
def test_node_count_must_be_positive(count: int) -> None:
    with pytest.raises(ConfigurationError, match=rf"node count must be a positive integer, got {count}; "):
        PaxosNode(node_id=1, role=NodeRole.ACCEPTOR, node_count=count)


@pytest.mark.parametrize("node_id", [0, 4, -1, True, "1"])
def test_node_id_outside_the_cluster(node_id: object) -> None:
    with pytest.raises(ConfigurationError, match=r"outside the cluster; valid ids are \[1, 2, 3\]"):
        PaxosNode(node_id=node_id, node_count=3)  # type: ignore[arg-type]


def test_proposal_from_a_node_without_the_proposer_role() -> None:
    config = ClusterConfig.separate(3, 1, 1)
    acceptor = PaxosNode(config.acceptors[0], config=config)
    with pytest.raises(ProtocolError, match=r"node 2 has roles \['acceptor'\] and cannot propose; propose from a node"):
        acceptor.propose("v")
    with pytest.raises(ProtocolError, match=r"node 2 has roles \['acceptor'\] and is not a proposer; send proposals"):
        acceptor.send_prepare({}, Proposal(2, 1, "v"))


def test_seed_nodes_are_colocated_whatever_their_role() -> None:
    node = PaxosNode(node_id=2, role=NodeRole.ACCEPTOR, node_count=3)
    assert node.role is NodeRole.ACCEPTOR
    assert node.roles == frozenset(NodeRole)


def test_proposal_sent_by_another_node() -> None:
    nodes = seed_nodes(3, None)
    with pytest.raises(ProtocolError, match=r"proposal names node 2 but is sent by node 1; make Proposal\(node_id"):
        nodes[1].send_prepare(nodes, Proposal(2, 1, "v"))


def test_none_and_unhashable_values_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="None cannot be proposed: it means 'no value'; propose any other"):
        Proposal(1, 1, None)
    with pytest.raises(ConfigurationError, match=r"proposed value \[1, 2\] is not hashable; use an immutable value"):
        Proposal(1, 1, [1, 2])  # type: ignore[arg-type]
    node = PaxosNode(1, node_count=1)
    with pytest.raises(ConfigurationError, match="None cannot be proposed"):
        node.propose(None)
    with pytest.raises(ConfigurationError, match="is not hashable"):
        node.propose({"a": 1})  # type: ignore[arg-type]
    assert node.proposer.value is None, "a refused value changes nothing"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"node_id": 1, "proposal_number": -1, "value": "v"}, r"proposal_number must be an integer >= 0, got -1"),
        ({"node_id": 0, "proposal_number": 1, "value": "v"}, r"node_id must be the proposing node's id"),
        ({"node_id": 1, "proposal_number": 1.5, "value": "v"}, r"proposal_number must be an integer >= 0, got 1.5"),
    ],
)
def test_bad_proposal_fields(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Proposal(**kwargs)  # type: ignore[arg-type]


def test_constructor_misuse_is_explained() -> None:
    with pytest.raises(ConfigurationError, match="needs config=ClusterConfig"):
        PaxosNode(1)
    with pytest.raises(ConfigurationError, match="got both config= and node_count="):
        PaxosNode(1, node_count=3, config=ClusterConfig.colocated(3))
    with pytest.raises(ConfigurationError, match=r"role must be a NodeRole \(e.g. NodeRole.ACCEPTOR\), got 'acceptor'"):
        PaxosNode(1, role="acceptor", node_count=3)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"node 1 has roles \['proposer'\], not acceptor"):
        PaxosNode(1, role=NodeRole.ACCEPTOR, config=ClusterConfig.separate(3))
    with pytest.raises(ConfigurationError, match="logger must be a PaxosLogger"):
        PaxosNode(1, logger="log.csv", node_count=3)
