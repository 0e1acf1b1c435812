"""Seed category "concurrent proposals": dueling proposers, ties on proposal numbers, random interleavings.

Two proposers preempt each other (Nacks, timeouts) and still at most one
value is chosen; a value a quorum may have accepted is carried forward.
Logs go to test_concurrent.csv.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from conftest import Rows, seed_nodes

from paxos import (
    Accept,
    Accepted,
    Ballot,
    Budgets,
    Cluster,
    Deliver,
    Envelope,
    Nack,
    PaxosLogger,
    Prepare,
    Promise,
    Proposal,
    Propose,
    Timeout,
)

if TYPE_CHECKING:
    from conftest import Layout

LOG_CATEGORY = "concurrent"




def test_seed_dueling_proposers_preempt_then_one_wins(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(3, paxos_log)
    a1, b1, a2 = Proposal(1, 1, "a"), Proposal(2, 1, "b"), Proposal(1, 2, "a")
    nodes[1].send_prepare(nodes, a1)
    assert all(nodes[i].send_promise(a1) for i in (2, 3))
    # Same proposal number from node 2: ballot 1@2 > 1@1, node id breaks the tie.
    nodes[2].send_prepare(nodes, b1)
    assert all(nodes[i].send_promise(b1) for i in (1, 3))
    assert nodes[2].send_promise(b1) is not None  # node 2's own acceptor
    assert nodes[1].send_accept(nodes, a1) == 0, "every acceptor promised 1@2 and refuses 1@1"
    # Node 1 retries above 1@2 before node 2 sends its Accept.
    nodes[1].send_prepare(nodes, a2)
    assert all(nodes[i].send_promise(a2) for i in (1, 2, 3))
    assert nodes[2].send_accept(nodes, b1) == 0, "preempted by 2@1"
    assert nodes[1].send_accept(nodes, a2) == 3
    assert {n.decided_value for n in nodes.values()} == {"a"}

    rows = saved_rows()
    nacks = [r for r in rows if r["event"] == "send" and r["msg_type"] == "Nack"]
    assert sorted((r["bal"], r["max_vbal"]) for r in nacks) == [  # a Nack's max_vbal: the higher promise
        ("1@1", "1@2"), ("1@1", "1@2"), ("1@1", "1@2"),
        ("1@2", "2@1"), ("1@2", "2@1"), ("1@2", "2@1"),
    ]
    abandoned = [
        r for r in rows if r["event"] == "receive" and r["msg_type"] == "Nack" and "abandoned" in r["state_change"]
    ]
    assert sorted(r["node"] for r in abandoned) == ["1", "2"]
    assert [r["value"] for r in rows if r["event"] == "send" and r["msg_type"] == "Accepted"] == ["a", "a", "a"]


def test_a_possibly_chosen_value_is_carried_forward(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = seed_nodes(5, paxos_log)
    a, b = Proposal(1, 1, "a"), Proposal(5, 2, "b")
    nodes[1].send_prepare(nodes, a)
    for i in (1, 2, 3):
        nodes[i].send_promise(a)
    # Meanwhile node 5 starts a higher ballot: acceptors 4 and 5 promise it first.
    nodes[5].send_prepare(nodes, b)
    for i in (4, 5):
        nodes[i].send_promise(b)
    # Node 1's Accept reaches acceptors 1, 2, 3 (not yet promised to 2@5): "a" is chosen.
    assert nodes[1].send_accept({i: nodes[i] for i in (1, 2, 3)}, a) == 3
    # Node 5 completes phase 1 with acceptor 3, which reports "a": node 5 must propose "a", not "b".
    nodes[3].send_promise(b)
    assert nodes[5].send_accept(nodes, b) == 5
    assert {n.decided_value for n in nodes.values()} == {"a"}
    rows = saved_rows()
    accepts = {(r["bal"], r["value"]) for r in rows if r["event"] == "send" and r["msg_type"] == "Accept"}
    assert accepts == {("1@1", "a"), ("2@5", "a")}


def _find(cluster: Cluster, kind: type, bal: Ballot, dst: int | None = None) -> list[Envelope]:
    return sorted(
        (e for e in cluster.in_flight if isinstance(e.msg, kind) and e.msg.bal == bal and dst in (None, e.dst)),
        key=Envelope.sort_key,
    )


def test_cluster_duel_with_nacks_and_timeouts(layout: Layout, paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    config = layout.config(3, proposers=2)
    cluster = Cluster(config, logger=paxos_log)  # the set network: delivery does not consume
    p1, p2 = config.proposers[:2]
    b1, b2, b1_next = Ballot(0, p1), Ballot(0, p2), Ballot(1, p1)

    def deliver(envelopes: list[Envelope]) -> list[Envelope]:
        return [out for env in envelopes for out in cluster.step(Deliver(env))]

    cluster.step(Propose(p1, "a"))
    deliver(_find(cluster, Prepare, b1))
    accept_a = deliver(_find(cluster, Promise, b1))
    assert {e.msg.bal for e in accept_a} == {b1}
    cluster.step(Propose(p2, "b"))  # 0@p2 > 0@p1
    deliver(_find(cluster, Prepare, b2))
    nacks = deliver(accept_a)
    assert nacks and all(isinstance(e.msg, Nack) and e.msg.promised == b2 for e in nacks)
    deliver(nacks[:1])  # p1 gives up ballot 0@p1
    accept_b = deliver(_find(cluster, Promise, b2))
    assert {(e.msg.bal, e.msg.val) for e in accept_b if isinstance(e.msg, Accept)} == {(b2, "b")}
    # p1 times out first and preempts p2 in turn.
    assert {e.msg.bal for e in cluster.step(Timeout(p1))} == {b1_next}
    deliver(_find(cluster, Prepare, b1_next))
    assert all(isinstance(e.msg, Nack) for e in deliver(accept_b))
    deliver(_find(cluster, Promise, b1_next))
    deliver(_find(cluster, Accept, b1_next))
    assert cluster.chosen() == {"a"}
    deliver(_find(cluster, Accepted, b1_next))
    assert cluster.learned() == {n: "a" for n in config.learners}
    deliver(sorted(cluster.in_flight, key=Envelope.sort_key))  # anything left: still one value
    assert cluster.chosen() == {"a"}

    rows = saved_rows()
    assert [r["node"] for r in rows if r["event"] == "timeout"] == [str(p1)]
    refused = {(r["node"], r["bal"]) for r in rows if r["event"] == "send" and r["msg_type"] == "Nack"}
    assert {bal for _, bal in refused} == {str(b1), str(b2)}
    assert {r["value"] for r in rows if r["event"] == "learn"} == {"a"}


@pytest.mark.parametrize("network", ["set", "bag"])
def test_random_duels_choose_at_most_one_value(layout: Layout, network: str) -> None:
    config = layout.config(3, proposers=3)
    proposers = config.proposers[:3]
    values = ["a", "b", "c"][: len(proposers)]
    preempted = chosen_runs = 0
    for seed in range(80):
        cluster = Cluster(config, network=network, budgets=Budgets(ballots=4))
        cluster.run(values, seed=seed, timeout_rate=0.3)
        chosen = cluster.chosen()
        assert len(chosen) <= 1, f"seed {seed}: {chosen}"
        chosen_runs += bool(chosen)
        preempted += any(isinstance(m, Nack) for m in cluster.sent)
    assert preempted > 8, "the runs do exercise preemption"
    assert chosen_runs > 40
