"""The protocol core: ballots, messages, quorum systems, the three roles, PaxosNode, Cluster, the CSV log.

Role tests run against single-role nodes (ClusterConfig.separate) and again
against composed nodes (ClusterConfig.colocated) through the `layout` fixture.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from paxos import (
    BOTTOM,
    HANDLERS,
    INITIAL_SNAPSHOT,
    LOG_COLUMNS,
    LOG_FORMAT,
    MESSAGE_TYPES,
    REQUIRED_METHODS,
    TRACE_COLUMNS,
    Accept,
    Accepted,
    Ballot,
    Budgets,
    Cluster,
    ClusterConfig,
    ConfigurationError,
    Crash,
    Deliver,
    Drop,
    Duplicate,
    ExplicitQuorums,
    FlexibleQuorums,
    GridQuorums,
    MajorityQuorums,
    Message,
    Nack,
    NodeProtocol,
    NodeRole,
    PaxosError,
    PaxosLogger,
    PaxosNode,
    Prepare,
    Promise,
    Propose,
    ProtocolError,
    Restart,
    Timeout,
    chosen_values,
    message_fields,
    missing_methods,
    paxos_node_factory,
    read_csv_rows,
    render_csv,
)

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Layout


# -- ballots -------------------------------------------------------------------------------------


def test_ballots_order_by_round_then_node() -> None:
    assert BOTTOM < Ballot(0, 0) < Ballot(0, 1) < Ballot(1, 0) < Ballot(2, 5) < Ballot(3, 1)
    assert BOTTOM.is_bottom and not Ballot(0, 1).is_bottom
    assert max([Ballot(1, 2), BOTTOM, Ballot(1, 3)]) == Ballot(1, 3)


@pytest.mark.parametrize("ballot", [BOTTOM, Ballot(0, 1), Ballot(12, 3)])
def test_ballot_text_round_trips(ballot: Ballot) -> None:
    assert Ballot.parse(str(ballot)) == ballot
    assert str(BOTTOM) == "-" and str(Ballot(1, 2)) == "1@2"


@pytest.mark.parametrize("text", ["", "1", "1@", "@2", "a@b", "1@2@3", "-1@2"])
def test_bad_ballot_text_is_refused(text: str) -> None:
    with pytest.raises(ConfigurationError, match=r"expected ROUND@NODE such as 1@2, or - for no ballot"):
        Ballot.parse(text)


def test_bad_ballots_are_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"round and node id must be >= 0; use paxos.BOTTOM"):
        Ballot(-2, 1)
    with pytest.raises(ConfigurationError, match="ballot round must be an integer, got '1'"):
        Ballot("1", 2)  # type: ignore[arg-type]


# -- messages ------------------------------------------------------------------------------------


def test_messages_are_frozen_slotted_and_equal_by_value() -> None:
    b = Ballot(1, 1)
    msgs: list[Message] = [
        Prepare(1, b), Promise(2, b, BOTTOM, None), Accept(1, b, "v"), Accepted(2, b, "v"), Nack(2, b, b),
    ]
    assert [type(m) for m in msgs] == list(MESSAGE_TYPES)
    for m in msgs:
        assert m == dataclasses.replace(m) and hash(m) == hash(dataclasses.replace(m))
        assert not hasattr(m, "__dict__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            m.src = 9  # type: ignore[misc]  # frozen
    assert len({Accept(1, b, "v"), Accept(1, b, "v"), Accept(1, b, "w")}) == 2
    assert set(HANDLERS) == set(MESSAGE_TYPES)


# -- quorum systems ------------------------------------------------------------------------------


def test_majority_quorums() -> None:
    q = MajorityQuorums(5)
    assert q.members == (1, 2, 3, 4, 5) and q.describe() == "majority of 5"
    assert q.is_phase1_quorum({1, 2, 3}) and q.is_phase2_quorum({2, 4, 5, 9})
    assert not q.is_phase1_quorum({1, 2}) and not q.is_phase2_quorum({1, 2, 9})
    assert len(q.phase1_quorums()) == 10 and all(len(s) == 3 for s in q.phase2_quorums())
    assert q.disjoint_pair() is None
    big = MajorityQuorums(101)  # construction and membership stay cheap for large systems
    assert big.is_phase1_quorum(set(range(1, 52))) and not big.is_phase1_quorum(set(range(1, 51)))


def test_flexible_quorums_need_q1_plus_q2_above_n() -> None:
    q = FlexibleQuorums(5, 4, 2)
    assert q.is_phase2_quorum({1, 5}) and not q.is_phase1_quorum({1, 2, 3})
    message = r"q1 \+ q2 = 4 <= 5 acceptors.*choose q1 \+ q2 > 5, or pass unsafe=True"
    with pytest.raises(ConfigurationError, match=message):
        FlexibleQuorums(5, 2, 2)
    unsafe = FlexibleQuorums(5, 2, 2, unsafe=True)
    pair = unsafe.disjoint_pair()
    assert pair is not None and not pair[0] & pair[1] and len(pair[0]) == 2 and len(pair[1]) == 2


@pytest.mark.parametrize(("q1", "q2", "which"), [(4, 2, "phase-1"), (2, 4, "phase-2")])
def test_quorum_larger_than_the_cluster(q1: int, q2: int, which: str) -> None:
    message = rf"{which} quorum size 4 is larger than the 3 acceptors; use at most 3"
    with pytest.raises(ConfigurationError, match=message):
        FlexibleQuorums(3, q1, q2)


@pytest.mark.parametrize("bad", [0, -2])
def test_quorum_system_needs_acceptors(bad: int) -> None:
    with pytest.raises(ConfigurationError, match=rf"at least one acceptor, got {bad}; pass a positive count"):
        MajorityQuorums(bad)
    with pytest.raises(ConfigurationError, match=rf"phase-1 quorum size must be a positive integer, got {bad}"):
        FlexibleQuorums(3, bad, 3)


def test_grid_quorums_rows_meet_columns() -> None:
    grid = GridQuorums(2, 3)
    assert grid.phase1_quorums() == [frozenset({1, 2, 3}), frozenset({4, 5, 6})]
    assert grid.phase2_quorums() == [frozenset({1, 4}), frozenset({2, 5}), frozenset({3, 6})]
    assert grid.disjoint_pair() is None
    assert grid.is_phase2_quorum({2, 5}) and not grid.is_phase2_quorum({1, 5})
    with pytest.raises(ConfigurationError, match=r"positive integer rows and columns, got 0x3"):
        GridQuorums(0, 3)


def test_non_intersecting_explicit_quorums_are_refused_unless_unsafe() -> None:
    message = r"phase-1 quorum \[1, 2\] and phase-2 quorum \[3, 4\] do not intersect.*pass unsafe=True"
    with pytest.raises(ConfigurationError, match=message):
        ExplicitQuorums([{1, 2}], [{3, 4}])
    unsafe = ExplicitQuorums([{1, 2}], [{3, 4}], unsafe=True)
    assert unsafe.disjoint_pair() == (frozenset({1, 2}), frozenset({3, 4}))
    with pytest.raises(ConfigurationError, match=r"quorums name acceptors \[9\] that are not members \[1, 2\]"):
        ExplicitQuorums([{1, 2}, {9, 1}], members=[1, 2])


def test_quorum_systems_compare_by_their_quorums() -> None:
    explicit = ExplicitQuorums([{1, 2}, {1, 3}, {2, 3}])
    assert explicit == MajorityQuorums(3) and hash(explicit) == hash(MajorityQuorums(3))
    assert MajorityQuorums(3) != FlexibleQuorums(3, 3, 1)
    assert MajorityQuorums(3) != MajorityQuorums([2, 3, 4])


# -- cluster configuration -----------------------------------------------------------------------


def test_separate_and_colocated_numbering() -> None:
    sep = ClusterConfig.separate(3, 2, 1)
    assert (sep.proposers, sep.acceptors, sep.learners) == ((1, 2), (3, 4, 5), (6,))
    assert sep.roles_of(4) == frozenset({NodeRole.ACCEPTOR}) and sep.node_ids == (1, 2, 3, 4, 5, 6)
    assert sep.quorums == MajorityQuorums([3, 4, 5])
    col = ClusterConfig.colocated(3)
    assert col.proposers == col.acceptors == col.learners == (1, 2, 3)
    assert col.roles_of(2) == frozenset(NodeRole)
    assert ClusterConfig([1], [2, 3, 4], [5]) == ClusterConfig((1,), (2, 3, 4), (5,))  # type: ignore[arg-type]
    assert hash(ClusterConfig([1], [2], []))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ClusterConfig.separate(0), r"acceptors must be an integer >= 1, got 0; pass a count"),
        (lambda: ClusterConfig.separate(3, proposers=-1), r"proposers must be an integer >= 1, got -1"),
        (lambda: ClusterConfig.separate(3, learners=-1), r"learners must be an integer >= 0, got -1"),
        (lambda: ClusterConfig.colocated(0), r"node count must be a positive integer, got 0; a cluster needs"),
        (lambda: ClusterConfig((1,), (), (3,)), r"at least one acceptor; list at least one acceptor id"),
        (lambda: ClusterConfig((0,), (1,), ()), r"proposer ids must be positive integers, got 0"),
        (lambda: ClusterConfig((1,), (2, 2), ()), r"acceptor ids must be distinct, got \[2, 2\]"),
        (
            lambda: ClusterConfig.separate(3, quorums=MajorityQuorums(3)),
            r"separate\(\) numbers acceptors \[2, 3, 4\]; build the quorum system over those ids",
        ),
        (
            lambda: ClusterConfig.colocated(4, FlexibleQuorums(4, 2, 2)),
            r"q1 \+ q2 = 4 <= 4 acceptors",
        ),
    ],
)
def test_bad_cluster_configs_are_explained(build: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build()  # type: ignore[operator]


def test_node_id_outside_the_config() -> None:
    config = ClusterConfig.separate(3)
    with pytest.raises(ConfigurationError, match=r"node id 9 is not in the cluster; valid ids are \[1, 2, 3, 4, 5\]"):
        config.roles_of(9)
    with pytest.raises(ConfigurationError, match=r"node id 9 is outside the cluster; valid ids are \[1, 2, 3, 4, 5\]"):
        PaxosNode(9, config=config)
    assert issubclass(ConfigurationError, PaxosError) and issubclass(ConfigurationError, ValueError)


def test_unsafe_quorums_can_be_built_on_purpose() -> None:
    config = ClusterConfig.colocated(4, FlexibleQuorums(4, 2, 2, unsafe=True))
    assert config.quorums.unsafe


# -- roles, on single-role and on composed nodes --------------------------------------------------


def test_acceptor_promises_higher_nacks_lower_ignores_equal(layout: Layout) -> None:
    config = layout.config(3)
    a, p = config.acceptors[0], config.proposers[0]
    node = PaxosNode(a, config=config)
    b1, b2 = Ballot(1, p), Ballot(2, p)
    assert node.on_message(Prepare(p, b2)) == [(p, Promise(a, b2, BOTTOM, None))]
    assert node.on_message(Prepare(p, b1)) == [(p, Nack(a, b1, b2))]
    assert node.on_message(Prepare(p, b2)) == []
    assert node.on_message(Accept(p, b1, "x")) == [(p, Nack(a, b1, b2))]
    assert node.on_message(Accept(p, b2, "y")) == [(NodeRole.LEARNER, Accepted(a, b2, "y"))]
    b3 = Ballot(3, p)
    assert node.on_message(Prepare(p, b3)) == [(p, Promise(a, b3, b2, "y"))], "reports what it accepted"
    assert node.acceptor_state() == dataclasses.replace(node.acceptor, promised=b3)


def test_accept_above_the_promise_also_promises(layout: Layout) -> None:
    config = layout.config(3)
    a, p = config.acceptors[0], config.proposers[0]
    node = PaxosNode(a, config=config)
    node.on_message(Accept(p, Ballot(4, p), "v"))
    assert node.acceptor.promised == Ballot(4, p)
    assert node.on_message(Prepare(p, Ballot(3, p))) == [(p, Nack(a, Ballot(3, p), Ballot(4, p)))]


def _proposer_with_prepare(layout: Layout, acceptors: int) -> tuple[PaxosNode, ClusterConfig, Ballot]:
    config = layout.config(acceptors)
    p = config.proposers[0]
    node = PaxosNode(p, config=config)
    [(dest, prepare)] = node.propose("mine")
    assert dest is NodeRole.ACCEPTOR and prepare == Prepare(p, Ballot(0, p))
    return node, config, prepare.bal


def test_proposer_counts_each_acceptor_once(layout: Layout) -> None:
    node, config, bal = _proposer_with_prepare(layout, 5)
    a1, a2, a3 = config.acceptors[:3]
    for _ in range(3):  # duplicates of two distinct promises: not a majority of 5
        for a in (a1, a2):
            assert node.on_message(Promise(a, bal, BOTTOM, None)) == []
    assert len(node.proposer_volatile.promises) == 2 and node.proposer_volatile.phase == 1
    [(dest, accept)] = node.on_message(Promise(a3, bal, BOTTOM, None))
    assert dest is NodeRole.ACCEPTOR and accept == Accept(node.node_id, bal, "mine")
    assert node.on_message(Promise(config.acceptors[3], bal, BOTTOM, None)) == [], "phase 2 already"


def test_proposer_adopts_the_highest_accepted_value(layout: Layout) -> None:
    node, config, _ = _proposer_with_prepare(layout, 3)
    p = node.node_id
    node.on_timeout()
    node.on_timeout()
    bal = node.proposer_volatile.bal
    assert bal == Ballot(2, p)
    a1, a2 = config.acceptors[:2]
    node.on_message(Promise(a1, bal, Ballot(0, p), "old"))
    [(_, accept)] = node.on_message(Promise(a2, bal, Ballot(1, p), "newer"))
    assert accept == Accept(p, bal, "newer")


def test_proposer_ignores_stale_promises_and_gives_up_on_nack(layout: Layout) -> None:
    node, config, bal = _proposer_with_prepare(layout, 3)
    a1, a2 = config.acceptors[:2]
    assert node.on_message(Promise(a1, Ballot(7, 9), BOTTOM, None)) == []
    assert node.proposer_volatile.promises == frozenset()
    higher = Ballot(5, 9)
    assert node.on_message(Nack(a2, bal, higher)) == []
    assert node.proposer_volatile.phase == 0
    assert node.on_message(Promise(a1, bal, BOTTOM, None)) == [], "an abandoned ballot collects nothing"
    [(_, prepare)] = node.on_timeout()
    assert isinstance(prepare, Prepare) and prepare.bal == Ballot(6, node.node_id), "above what the Nack reported"


def test_learner_needs_a_quorum_at_one_ballot(layout: Layout) -> None:
    config = layout.config(3)
    node = PaxosNode(config.learners[0], config=config)
    a1, a2, a3 = config.acceptors
    p = config.proposers[0]
    node.on_message(Accepted(a1, Ballot(0, p), "v"))
    node.on_message(Accepted(a2, Ballot(1, p), "v"))
    assert node.learned() is None, "two acceptors at different ballots are not a quorum"
    node.on_message(Accepted(a3, Ballot(1, p), "v"))
    assert node.learned() == "v"


def test_messages_for_a_missing_role_are_ignored() -> None:
    config = ClusterConfig.separate(3, 1, 1)
    acceptor = PaxosNode(config.acceptors[0], config=config)
    before = acceptor.snapshot()
    assert acceptor.on_message(Promise(3, Ballot(0, 1), BOTTOM, None)) == []
    assert acceptor.on_message(Accepted(3, Ballot(0, 1), "v")) == []
    assert acceptor.snapshot() == before and acceptor.learned() is None
    learner = PaxosNode(config.learners[0], config=config)
    assert learner.on_message(Prepare(1, Ballot(0, 1))) == [] and learner.acceptor_state() is None
    assert learner.on_timeout() == []


def test_roles_can_be_narrowed_but_not_invented() -> None:
    col = ClusterConfig.colocated(3)
    only = PaxosNode(1, config=col, roles=frozenset({NodeRole.ACCEPTOR}))
    assert only.on_message(Promise(2, Ballot(0, 1), BOTTOM, None)) == []
    sep = ClusterConfig.separate(3)
    with pytest.raises(ConfigurationError, match=r"must be a non-empty subset of its configured roles \['acceptor'\]"):
        PaxosNode(2, config=sep, roles=frozenset({NodeRole.PROPOSER}))


# -- the node protocol ---------------------------------------------------------------------------


def test_snapshot_restore_and_crash(layout: Layout) -> None:
    config = layout.config(3)
    p = config.proposers[0]
    node = PaxosNode(p, config=config)
    assert node.snapshot() == INITIAL_SNAPSHOT
    node.propose("v")
    taken = node.snapshot()
    copy = PaxosNode(p, config=config)
    copy.restore(taken)
    assert copy.snapshot() == taken and hash(copy.snapshot()) == hash(taken)
    node.crash()
    assert node.proposer == taken.proposer, "the round used and the client's value are durable"
    assert node.proposer_volatile.phase == 0 and node.learner.accepted == frozenset()
    with pytest.raises(ProtocolError, match="restore\\(\\) needs a NodeSnapshot from snapshot\\(\\), got tuple"):
        node.restore(tuple(taken))


def test_paxos_node_follows_the_node_protocol() -> None:
    node = paxos_node_factory(1, ClusterConfig.separate(3))
    assert isinstance(node, NodeProtocol) and missing_methods(node) == []
    assert missing_methods(object()) == list(REQUIRED_METHODS)
    with pytest.raises(ProtocolError, match="messages must be one of Accept, Accepted, Nack, Prepare, Promise"):
        node.on_message("hello")  # type: ignore[arg-type]


# -- the cluster ---------------------------------------------------------------------------------


def test_set_network_keeps_messages_deliverable(layout: Layout) -> None:
    config = layout.config(3)
    cluster = Cluster(config)
    sent = cluster.step(Propose(config.proposers[0], "v"))
    env = sent[0]
    cluster.step(Deliver(env))
    assert env in cluster.in_flight and Deliver(env) in cluster.enabled()
    assert cluster.step(Deliver(env)) == [], "the redelivered Prepare is promised once"
    with pytest.raises(ProtocolError, match="drop and duplicate need the bag network"):
        cluster.step(Drop(env))
    assert not any(isinstance(a, (Drop, Duplicate)) for a in cluster.enabled())


def test_bag_network_consumes_and_counts_copies(layout: Layout) -> None:
    config = layout.config(3)
    cluster = Cluster(config, network="bag", budgets=Budgets(drops=1, duplicates=1))
    env = cluster.step(Propose(config.proposers[0], "v"))[0]
    cluster.step(Duplicate(env))
    assert cluster.in_flight[env] == 2
    cluster.step(Deliver(env))
    cluster.step(Drop(env))
    assert env not in cluster.in_flight
    with pytest.raises(ProtocolError, match="is not in the network"):
        cluster.step(Deliver(env))
    other = sorted(cluster.in_flight, key=lambda e: e.sort_key())[0]
    with pytest.raises(ProtocolError, match=r"the drops budget \(1\) is used up; raise Budgets\(drops=...\)"):
        cluster.step(Drop(other))
    assert cluster.used["drops"] == 1 and cluster.used["duplicates"] == 1


def test_ballot_budget_limits_timeouts(layout: Layout) -> None:
    config = layout.config(3)
    cluster = Cluster(config, budgets=Budgets(ballots=2))
    p = config.proposers[0]
    assert Propose(p, "v") in cluster.enabled(["v"])
    cluster.step(Propose(p, "v"))
    assert Timeout(p) in cluster.enabled()
    cluster.step(Timeout(p))
    assert Timeout(p) not in cluster.enabled()
    with pytest.raises(ProtocolError, match=rf"proposer {p} has used all 2 ballot\(s\) of its budget"):
        cluster.step(Timeout(p))


def test_ballot_budget_per_proposer() -> None:
    config = ClusterConfig.separate(3, 2, 0)
    first, second = config.proposers
    cluster = Cluster(config, budgets=Budgets(ballots=(1, 2)))
    cluster.step(Propose(first, "v1"))
    cluster.step(Propose(second, "v2"))
    assert Timeout(first) not in cluster.enabled() and Timeout(second) in cluster.enabled()
    with pytest.raises(ProtocolError, match=rf"proposer {first} has used all 1 ballot\(s\) of its budget"):
        cluster.step(Timeout(first))
    cluster.step(Timeout(second))
    assert Timeout(second) not in cluster.enabled()


def test_cluster_refuses_impossible_steps() -> None:
    config = ClusterConfig.separate(3, 1, 1)
    cluster = Cluster(config)
    before = cluster.snapshot()
    with pytest.raises(ProtocolError, match=r"node 2 is not a proposer \(proposers: \[1\]\)"):
        cluster.step(Propose(2, "v"))
    with pytest.raises(ConfigurationError, match="None cannot be proposed"):
        cluster.step(Propose(1, None))
    with pytest.raises(ProtocolError, match=r"node 9 is not in the cluster \[1, 2, 3, 4, 5\]"):
        cluster.step(Crash(9))
    with pytest.raises(ProtocolError, match="node 3 is not crashed, so it cannot restart"):
        cluster.step(Restart(3))
    assert cluster.snapshot() == before and cluster.steps == 0


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Cluster(ClusterConfig.separate(3), network="tcp"), "unknown network 'tcp'; use one of set, bag"),
        (lambda: Budgets(ballots=0),
         r"budget ballots must be None \(unlimited\) or an integer \(or a tuple of them, one per proposer\) >= 1"),
        (lambda: Budgets(ballots=(1, 0)), r"budget ballots .* >= 1, got \(1, 0\)"),
        (lambda: Cluster(ClusterConfig.separate(3, 2), budgets=Budgets(ballots=(1, 2, 3))),
         r"gives 3 limit\(s\) for 2 proposer\(s\); give one per proposer, or one integer for all"),
        (lambda: Budgets(crashes=-1), r"budget crashes must be None \(unlimited\) or an integer >= 0, got -1"),
        (lambda: Cluster(ClusterConfig.separate(3)).run(["a", "b"], seed=0), r"2 values for 1 proposer\(s\)"),
        (lambda: Cluster(ClusterConfig.separate(3)).run(["a"], seed=0, crash_rate=2), "crash_rate must be a probab"),
        (lambda: Cluster(3), r"Cluster needs a ClusterConfig \(e.g. ClusterConfig.separate\(3\)\), got 3"),  # type: ignore[arg-type]
    ],
)
def test_bad_cluster_arguments_are_explained(build: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build()  # type: ignore[operator]


def test_factory_nodes_must_follow_the_protocol() -> None:
    with pytest.raises(ConfigurationError, match="node 1 built by the factory lacks propose, on_message"):
        Cluster(ClusterConfig.separate(1), factory=lambda node_id, config: object())  # type: ignore[arg-type,return-value]


def test_chosen_needs_a_phase2_quorum_at_one_ballot() -> None:
    config = ClusterConfig.colocated(3)
    b0, b1 = Ballot(0, 1), Ballot(1, 2)
    assert chosen_values(config, [Accepted(1, b0, "a"), Accepted(2, b1, "a")]) == set()
    assert chosen_values(config, [Accepted(1, b0, "a"), Accepted(2, b0, "a"), Accepted(2, b0, "a")]) == {"a"}


@pytest.mark.parametrize("network", ["set", "bag"])
def test_seeded_runs_are_reproducible_and_safe(layout: Layout, network: str) -> None:
    config = layout.config(3, proposers=2)
    budgets = Budgets(crashes=2, ballots=3, duplicates=2 if network == "bag" else 0)

    def run(seed: int) -> Cluster:
        cluster = Cluster(config, network=network, budgets=budgets)
        cluster.run(["a", "b"], seed=seed, crash_rate=0.25, timeout_rate=0.25)
        return cluster

    for seed in range(200):
        cluster = run(seed)
        assert len(cluster.chosen()) <= 1, f"seed {seed} chose {cluster.chosen()}"
        if seed % 40 == 0:
            assert run(seed).snapshot() == cluster.snapshot()


# -- the CSV log ---------------------------------------------------------------------------------


def test_log_columns_and_message_fields() -> None:
    assert LOG_COLUMNS[:3] == ("format", "step", "round") and LOG_COLUMNS[3:] == TRACE_COLUMNS[2:]
    b = Ballot(1, 2)
    assert message_fields(Promise(3, b, Ballot(0, 1), "x")) == {
        "msg_type": "Promise", "bal": "1@2", "value": "", "max_vbal": "0@1", "max_val": "x",
    }
    assert message_fields(Accept(2, b, 7))["value"] == "7"
    assert message_fields(Nack(3, b, Ballot(4, 1)))["max_vbal"] == "4@1"
    assert render_csv(["a", "b"], [{"a": 1}, {"b": None}]) == "a,b\n1,\n,\n"


def test_logger_saves_atomically_and_reads_back(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "dir" / "log.csv"
    logger = PaxosLogger(round=3, filename=target)
    logger.log("propose", 1, value="v")
    logger.log("send", 1, 2, Prepare(1, Ballot(0, 1)))
    logger.log("send", 2, 1, Nack(2, Ballot(0, 1), Ballot(1, 3)), "refused")
    assert logger.save_to_csv() == str(target)
    rows = read_csv_rows(target)
    assert [(r["format"], r["step"], r["round"], r["event"]) for r in rows] == [
        (LOG_FORMAT, "1", "3", "propose"), (LOG_FORMAT, "2", "3", "send"), (LOG_FORMAT, "3", "3", "send"),
    ]
    assert rows[0]["value"] == "v" and rows[1]["bal"] == "0@1" and rows[2]["state_change"] == "refused"
    assert [e["event"] for e in logger.events(msg_type="Prepare")] == ["send"]
    assert list(tmp_path.joinpath("deep", "dir").iterdir()) == [target], "no temporary file left behind"


def test_atomic_writes_get_the_usual_file_mode(tmp_path: Path) -> None:
    import os
    import stat

    from paxos import atomic_write_text

    mask = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "out.csv", "a,b\n")
    finally:
        os.umask(mask)
    assert path.read_text(encoding="utf-8") == "a,b\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
