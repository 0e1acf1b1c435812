"""Seed category "basic consensus": a simple round reaches consensus, and only with a majority.

Drives both the seed API (PaxosNode.send_prepare/send_promise/send_accept)
and the core Cluster; every test logs into test_basic.csv and checks what
the saved log says.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

import pytest
from conftest import Rows, seed_nodes

from paxos import (
    LOG_COLUMNS,
    LOG_FORMAT,
    Cluster,
    Deliver,
    NodeState,
    PaxosLogger,
    Prepare,
    Promise,
    Proposal,
    Propose,
    read_csv_rows,
)

if TYPE_CHECKING:
    from conftest import Layout

LOG_CATEGORY = "basic"




def test_seed_readme_example_chooses_the_value(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    # The README's usage example, verbatim apart from the logger.
    node_count = 5
    nodes = seed_nodes(node_count, paxos_log)
    proposer = nodes[1]
    proposal = Proposal(node_id=1, proposal_number=1, value="my_value")
    proposer.send_prepare(nodes, proposal)
    promises = []
    for node_id, node in nodes.items():
        if node_id != proposer.node_id:
            promise = node.send_promise(proposal)
            if promise:
                promises.append(promise)
    assert len(promises) == 4
    if len(promises) >= (node_count // 2 + 1):
        proposer.send_accept(nodes, proposal)

    assert {n.decided_value for n in nodes.values()} == {"my_value"}
    assert all(n.state is NodeState.ACTIVE for n in nodes.values())

    rows = saved_rows()
    assert {r["format"] for r in rows} == {LOG_FORMAT}
    prepares = [r for r in rows if r["event"] == "send" and r["msg_type"] == "Prepare"]
    assert sorted(r["peer"] for r in prepares) == ["2", "3", "4", "5"]
    assert {r["bal"] for r in prepares} == {"1@1"}
    promised = [r for r in rows if r["event"] == "send" and r["msg_type"] == "Promise"]
    assert sorted(r["node"] for r in promised) == ["2", "3", "4", "5"]
    assert all(r["state_change"] == "promised - -> 1@1" and r["max_vbal"] == "-" for r in promised)
    accepts = [r for r in rows if r["event"] == "send" and r["msg_type"] == "Accept"]
    assert sorted(r["peer"] for r in accepts) == ["1", "2", "3", "4", "5"]
    assert {(r["bal"], r["value"]) for r in accepts} == {("1@1", "my_value")}
    learned = [r for r in rows if r["event"] == "learn"]
    assert sorted(r["node"] for r in learned) == ["1", "2", "3", "4", "5"]
    assert {r["value"] for r in learned} == {"my_value"}


def test_saved_log_is_plain_csv_with_the_log_columns(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(3, paxos_log)
    proposal = Proposal(1, 1, "v")
    nodes[1].send_prepare(nodes, proposal)
    for i in (2, 3):
        nodes[i].send_promise(proposal)
    assert nodes[1].send_accept(nodes, proposal) == 3
    rows = saved_rows()
    assert rows, "the test's rows are in the saved file"
    with open(paxos_log.filename, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        body = list(reader)
    assert tuple(header) == LOG_COLUMNS
    assert all(len(line) == len(LOG_COLUMNS) and line[0] == LOG_FORMAT for line in body)
    assert read_csv_rows(paxos_log.filename)[-1]["step"] == str(len(body))


@pytest.mark.parametrize("promisers", [0, 1, 2, 3, 4])
def test_accept_needs_a_majority_of_promises(promisers: int, paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(5, paxos_log)
    proposal = Proposal(1, 1, "v")
    nodes[1].send_prepare(nodes, proposal)
    for i in range(2, 2 + promisers):
        assert nodes[i].send_promise(proposal) is not None
    accepted = nodes[1].send_accept(nodes, proposal)
    majority = promisers >= 3
    assert accepted == (5 if majority else 0)
    assert {n.decided_value for n in nodes.values()} == ({"v"} if majority else {None})
    rows = saved_rows()
    skipped = [r for r in rows if r["event"] == "accept_skipped"]
    assert len(skipped) == (0 if majority else 1)
    if skipped:
        assert "no phase-1 quorum" in skipped[0]["state_change"]
    assert any(r["event"] == "learn" for r in rows) == majority


def test_promises_beyond_the_quorum_change_nothing(paxos_log: PaxosLogger) -> None:
    nodes = seed_nodes(5, paxos_log)
    proposal = Proposal(1, 1, "v")
    nodes[1].send_prepare(nodes, proposal)
    for i in (2, 3, 4):
        nodes[i].send_promise(proposal)
    after_quorum = nodes[1].snapshot()
    nodes[5].send_promise(proposal)
    assert nodes[1].snapshot() == after_quorum
    assert nodes[1].send_accept(nodes, proposal) == 5


def test_cluster_run_chooses_the_only_value(layout: Layout, paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    config = layout.config(3)
    cluster = Cluster(config, logger=paxos_log)
    cluster.run(["v"], seed=0)
    assert cluster.chosen() == {"v"}
    assert set(cluster.learned().values()) == {"v"}
    rows = saved_rows()
    proposed = [r for r in rows if r["event"] == "propose"]
    assert [(r["node"], r["value"]) for r in proposed] == [(str(config.proposers[0]), "v")]
    learns = [r for r in rows if r["event"] == "learn"]
    assert sorted(r["node"] for r in learns) == sorted(str(n) for n in config.learners)
    accepted = {r["node"] for r in rows if r["event"] == "send" and r["msg_type"] == "Accepted"}
    assert len(accepted) >= 2, "a majority of 3 acceptors sent Accepted"


def test_cluster_phase_one_completes_at_exactly_a_majority(layout: Layout, paxos_log: PaxosLogger) -> None:
    config = layout.config(5)
    cluster = Cluster(config, logger=paxos_log)
    p = config.proposers[0]
    cluster.step(Propose(p, "v"))
    acceptors = config.acceptors
    for count, a in enumerate(acceptors[:3], start=1):
        [prepare] = [e for e in cluster.in_flight if e.dst == a and isinstance(e.msg, Prepare)]
        [reply] = cluster.step(Deliver(prepare))
        assert isinstance(reply.msg, Promise) and reply.dst == p
        sent = cluster.step(Deliver(reply))
        # The third distinct promise (a majority of 5) and only it sends Accept to all acceptors.
        assert len(sent) == (5 if count == 3 else 0)
    assert {e.msg.val for e in sent} == {"v"}  # type: ignore[union-attr]


def test_proposer_log_counts_promises(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(5, paxos_log)
    proposal = Proposal(1, 1, "v")
    nodes[1].send_prepare(nodes, proposal)
    for i in (2, 3, 4, 5):
        nodes[i].send_promise(proposal)
    counts = [r["state_change"] for r in saved_rows() if r["event"] == "receive" and r["msg_type"] == "Promise"]
    assert counts == [
        "promises 1", "promises 2", "promises 3; phase-1 quorum reached, will propose 'v'",
        "not counted: phase 1 of this ballot is already complete",
    ]
