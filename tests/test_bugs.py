"""The bug catalog (paxos.bugs): each bug breaks a named property on a minimal hand-written schedule.

A schedule is a list of steps in the words of a trace ("deliver Promise 3->1"). The buggy node
must follow it step by step and break the property exactly at its last step; the correct
`PaxosNode` (or the correct variant the bug is built on) follows the same schedule as far as
its own messages allow and breaks nothing.
"""

from __future__ import annotations

import dataclasses

import pytest

import paxos.bugs as bugs
from checker.config import CheckConfig, load_factory
from paxos import (
    Action,
    Cluster,
    Crash,
    Deliver,
    Drop,
    Duplicate,
    Envelope,
    NodeFactory,
    NodeSnapshot,
    Propose,
    ProtocolError,
    Restart,
    Timeout,
    paxos_node_factory,
)
from properties.invariants import BY_NAME, failing, failing_steps, view_of_cluster


def cluster_for(name: str, factory: NodeFactory | None = None, **overrides: object) -> tuple[Cluster, CheckConfig]:
    """A cluster in the catalog configuration of bug `name`, with `factory` (default: the bug)."""
    config = dataclasses.replace(CheckConfig(**dict(bugs.CATALOG[name].config)), **overrides)  # type: ignore[arg-type]
    return config.new_cluster(factory), config


def parse_step(cluster: Cluster, config: CheckConfig, text: str, strict: bool = True) -> Action | None:
    """The action a schedule step names, or None if it names a message that does not exist.

    Steps: `propose P`, `timeout P`, `crash N`, `restart N`, and `deliver|drop|duplicate TYPE SRC->DST
    [BAL] [VALUE]` (BAL and VALUE pick among several matching messages).
    """
    words = text.split()
    kind = words[0]
    if kind in ("propose", "timeout", "crash", "restart"):
        node = int(words[1])
        if kind == "propose":
            return Propose(node, config.proposer_values()[node])
        if kind == "timeout":
            return Timeout(node)
        return Crash(node) if kind == "crash" else Restart(node)
    msg_type, route, *selectors = words[1:]
    src, dst = (int(x) for x in route.split("->"))

    def matches(env: Envelope) -> bool:
        m = env.msg
        if type(m).__name__ != msg_type or m.src != src or env.dst != dst:
            return False
        return all(s in (str(m.bal), str(getattr(m, "val", None))) for s in selectors)

    found = sorted((e for e in cluster.in_flight if matches(e)), key=Envelope.sort_key)
    if not found:
        return None
    assert len(found) == 1 or not strict, f"step {text!r} is ambiguous: {found}; add the ballot or the value"
    env = max(found, key=lambda e: e.msg.bal)
    if kind == "deliver":
        return Deliver(env)
    return Drop(env) if kind == "drop" else Duplicate(env)


def run_schedule(cluster: Cluster, config: CheckConfig, schedule: list[str], strict: bool) -> dict[str, int]:
    """Run `schedule`; returns {property: 1-based step where it first failed}.

    strict: every step must be possible (the buggy node); else impossible steps are skipped.
    """
    first: dict[str, int] = {}
    for i, text in enumerate(schedule, start=1):
        action = parse_step(cluster, config, text, strict)
        if action is None:
            assert not strict, f"step {i} {text!r}: no such message in flight"
            continue
        before = view_of_cluster(cluster)
        cluster.step(action)
        after = view_of_cluster(cluster)
        for name, _ in failing(after) + failing_steps(before, after):
            first.setdefault(name, i)
    return first


#: bug -> (the property it breaks, the schedule that breaks it at its last step). Node ids follow
#: `ClusterConfig.separate`: proposers 1..P, then acceptors, then learners.
SCHEDULES: dict[str, tuple[str, list[str]]] = {
    # 1 acceptor (3): P2's Accept 0@2 is accepted, then P1's older Accept 0@1 overwrites it.
    "overwrite_accept": ("agreement", [
        "propose 1", "deliver Prepare 1->3", "deliver Promise 3->1",
        "propose 2", "deliver Prepare 2->3", "deliver Promise 3->2",
        "deliver Accept 2->3", "deliver Accept 1->3"]),
    # 1 acceptor: v1 chosen at 0@1; P2's promise reports it, P2 proposes v2 anyway.
    "own_value": ("agreement", [
        "propose 1", "deliver Prepare 1->3", "deliver Promise 3->1", "deliver Accept 1->3",
        "propose 2", "deliver Prepare 2->3", "deliver Promise 3->2", "deliver Accept 2->3"]),
    # Same schedule; here the acceptor hides v1 from P2.
    "promise_drops_value": ("agreement", [
        "propose 1", "deliver Prepare 1->3", "deliver Promise 3->1", "deliver Accept 1->3",
        "propose 2", "deliver Prepare 2->3", "deliver Promise 3->2", "deliver Accept 2->3"]),
    # Acceptors 3,4,5: v1 accepted by 3 at 0@1, v2 chosen by {4,5} at 0@2; P1's ballot 1@1 hears
    # of both from {3,4} and takes acceptor 3's v1.
    "highest_promised_value": ("agreement", [
        "propose 1", "deliver Prepare 1->3", "deliver Prepare 1->4", "deliver Promise 3->1",
        "deliver Promise 4->1", "deliver Accept 1->3",
        "propose 2", "deliver Prepare 2->4", "deliver Prepare 2->5", "deliver Promise 4->2",
        "deliver Promise 5->2", "deliver Accept 2->4", "deliver Accept 2->5",
        "timeout 1", "deliver Prepare 1->3 1@1", "deliver Prepare 1->4 1@1", "deliver Promise 3->1 1@1",
        "deliver Promise 4->1 1@1", "deliver Accept 1->3 1@1", "deliver Accept 1->4 1@1"]),
    # 1 acceptor: P1's promise for 0@1 arrives after P1 moved on to 1@1 and v2 was chosen at 0@2.
    "stale_promises": ("agreement", [
        "propose 1", "deliver Prepare 1->3", "timeout 1",
        "propose 2", "deliver Prepare 2->3", "deliver Promise 3->2", "deliver Accept 2->3",
        "deliver Promise 3->1 0@1", "deliver Accept 1->3"]),
    # Acceptors 3,4,5: P2 uses 0@2 with v2 (accepted by 4), crashes, reuses 0@2 and adopts v1 from
    # acceptor 3 (old promise of 5 redelivered): ballot 0@2 carries two values.
    "volatile_ballot": ("inv_one_value_per_ballot", [
        "propose 1", "deliver Prepare 1->3", "deliver Prepare 1->4", "deliver Promise 3->1",
        "deliver Promise 4->1", "deliver Accept 1->3",
        "propose 2", "deliver Prepare 2->4", "deliver Prepare 2->5", "deliver Promise 4->2",
        "deliver Promise 5->2", "deliver Accept 2->4",
        "crash 2", "restart 2", "timeout 2",
        "deliver Prepare 2->3", "deliver Promise 3->2", "deliver Promise 5->2", "deliver Accept 2->3 v1"]),
    # Acceptors 3,4,5: v2 accepted by 3 at 0@2; P1 (volatile counter) climbs to 1@1, adopts v2 from
    # 3's promise and 4 accepts it; P1 crashes, times out twice back to 1@1, and the old promises of
    # 4 and 5 (no vote reported) make it send v1 at 1@1, which 5 accepts: two values in ballot 1@1.
    "volatile_ballot_deep": ("inv_one_value_per_ballot", [
        "propose 2", "deliver Prepare 2->3", "deliver Promise 3->2", "deliver Prepare 2->4",
        "deliver Promise 4->2", "deliver Accept 2->3",
        "propose 1", "timeout 1", "deliver Prepare 1->3 1@1", "deliver Promise 3->1 1@1",
        "deliver Prepare 1->4 1@1", "deliver Promise 4->1 1@1", "deliver Accept 1->4 1@1",
        "deliver Prepare 1->5 1@1", "crash 1", "restart 1", "timeout 1", "timeout 1",
        "deliver Promise 4->1 1@1", "deliver Promise 5->1 1@1", "deliver Accept 1->5 1@1 v1"]),
    # 1 acceptor that re-promises: both proposers get a promise for 0@0 and send different values.
    "no_tiebreak": ("agreement", [
        "propose 1", "propose 2", "deliver Prepare 1->3", "deliver Promise 3->1",
        "deliver Prepare 2->3", "deliver Promise 3->2", "deliver Accept 1->3", "deliver Accept 2->3"]),
    # 1 proposer (1), 1 acceptor (2): the crash forgets the promise.
    "volatile_acceptor": ("promise_monotonic", ["propose 1", "deliver Prepare 1->2", "crash 2"]),
    # Acceptors 3,4,5: one promise is a "majority" of 3; v1 chosen by {3,4}, v2 by {4,5}.
    "minority_quorum": ("agreement", [
        "propose 1", "deliver Prepare 1->3", "deliver Promise 3->1", "deliver Accept 1->3", "deliver Accept 1->4",
        "propose 2", "deliver Prepare 2->5", "deliver Promise 5->2", "deliver Accept 2->5", "deliver Accept 2->4"]),
    # Acceptors 3,4,5, set network: each proposer's single promise, delivered twice, makes a quorum.
    "duplicate_promises": ("agreement", [
        "propose 1", "deliver Prepare 1->3", "deliver Promise 3->1", "deliver Promise 3->1",
        "deliver Accept 1->3", "deliver Accept 1->4",
        "propose 2", "deliver Prepare 2->5", "deliver Promise 5->2", "deliver Promise 5->2",
        "deliver Accept 2->5", "deliver Accept 2->4"]),
    # Proposer 1, acceptors 2,3, learner 4: one Accepted is not a quorum of 2.
    "eager_learner": ("learner_integrity", [
        "propose 1", "deliver Prepare 1->2", "deliver Prepare 1->3", "deliver Promise 2->1",
        "deliver Promise 3->1", "deliver Accept 1->2", "deliver Accepted 2->4"]),
}

#: The correct node each bug is compared with (the bug's own correct base where it has one).
CORRECT: dict[str, NodeFactory] = {"no_tiebreak": bugs.repromising}


def test_every_catalogued_bug_has_a_schedule_and_a_factory() -> None:
    assert set(SCHEDULES) == set(bugs.CATALOG)
    required = {"overwrite_accept", "own_value", "highest_promised_value", "stale_promises", "volatile_ballot",
                "no_tiebreak", "volatile_acceptor", "minority_quorum", "duplicate_promises"}
    assert required <= set(bugs.CATALOG)
    for name, info in bugs.CATALOG.items():
        assert info.factory == f"paxos.bugs:{name}"
        assert callable(load_factory(info.factory))
        assert CheckConfig(**dict(info.config)).impl == info.factory  # the stored config is valid
        assert all(p in BY_NAME or p == "refines_spec" for p in info.breaks)
        assert SCHEDULES[name][0] in info.breaks
        cls = type(getattr(bugs, name)(1, CheckConfig(**dict(info.config)).cluster_config()))
        assert cls.__doc__ and "Faulty rule" in cls.__doc__
        assert info.hook in vars(cls), f"{cls.__name__} does not override its hook {info.hook}"


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_bug_breaks_its_property_at_the_last_step(name: str) -> None:
    prop, schedule = SCHEDULES[name]
    cluster, config = cluster_for(name)
    first = run_schedule(cluster, config, schedule, strict=True)
    assert first.get(prop) == len(schedule), f"{prop} first failed at {first.get(prop)}, all: {first}"


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_correct_node_survives_the_same_schedule(name: str) -> None:
    _, schedule = SCHEDULES[name]
    cluster, config = cluster_for(name, CORRECT.get(name, paxos_node_factory))
    assert run_schedule(cluster, config, schedule, strict=False) == {}


def test_no_tiebreak_is_masked_by_the_silent_acceptor() -> None:
    """Our PaxosNode does not answer a repeated Prepare, so same-ballot proposers cannot both win phase 1."""
    class SilentNoTiebreak(bugs.BugNode):
        make_ballot = bugs.NoTiebreak.make_ballot

    _, schedule = SCHEDULES["no_tiebreak"]
    cluster, config = cluster_for("no_tiebreak", lambda i, c: SilentNoTiebreak(i, config=c))
    assert run_schedule(cluster, config, schedule, strict=False) == {}


def test_volatile_acceptor_also_breaks_agreement() -> None:
    schedule = [
        "propose 1", "deliver Prepare 1->3", "deliver Promise 3->1", "deliver Accept 1->3",
        "crash 3", "restart 3",
        "propose 2", "deliver Prepare 2->3", "deliver Promise 3->2", "deliver Accept 2->3"]
    cluster, config = cluster_for("volatile_acceptor", proposers=2, values=2)
    first = run_schedule(cluster, config, schedule, strict=True)
    assert first == {"promise_monotonic": 5, "accepted_monotonic": 5, "agreement": 10,
                     # the inductive invariant: the restart forgets the promise and the vote at once
                     "inv_2b_le_maxvbal": 5, "inv_1b_le_maxbal": 5, "inv_2a_safe": 5, "inv_1b_no_vote_between": 8}


def test_volatile_ballot_also_breaks_agreement() -> None:
    """Both uses of ballot 0@2 reach a quorum: v1 with {3,5} before the crash, v2 with {4,5} after."""
    schedule = [
        "propose 1", "deliver Prepare 1->3", "deliver Prepare 1->4", "deliver Promise 3->1",
        "deliver Promise 4->1", "deliver Accept 1->3",
        "propose 2", "deliver Prepare 2->3", "deliver Prepare 2->5", "deliver Promise 3->2",
        "deliver Promise 5->2", "deliver Accept 2->3", "deliver Accept 2->5",
        "crash 2", "restart 2", "timeout 2",
        "deliver Prepare 2->4", "deliver Promise 4->2", "deliver Promise 5->2",
        "deliver Accept 2->4 v2", "deliver Accept 2->5 v2"]
    cluster, config = cluster_for("volatile_ballot")
    first = run_schedule(cluster, config, schedule, strict=True)
    assert first == {"inv_2a_unique": 19, "inv_one_value_per_ballot": 20, "agreement": 21}
    cluster, config = cluster_for("volatile_ballot", paxos_node_factory)
    assert run_schedule(cluster, config, schedule, strict=False) == {}


def test_duplicate_promises_on_the_bag_network_needs_a_duplicate() -> None:
    """On the bag network a delivery consumes the message: the bug needs the duplicate action."""
    schedule = [
        "propose 1", "deliver Prepare 1->3", "deliver Prepare 1->4", "deliver Promise 3->1", "deliver Promise 4->1",
        "deliver Accept 1->3", "deliver Accept 1->4",
        "propose 2", "deliver Prepare 2->5", "duplicate Promise 5->2", "deliver Promise 5->2",
        "deliver Promise 5->2", "deliver Accept 2->5", "deliver Accept 2->3"]
    cluster, config = cluster_for("duplicate_promises", network="bag", duplicates=1)
    assert run_schedule(cluster, config, schedule, strict=True) == {"inv_2a_safe": 12, "agreement": 14}
    cluster, config = cluster_for("duplicate_promises", network="bag", duplicates=0)
    with pytest.raises(ProtocolError, match="duplicates budget"):
        run_schedule(cluster, config, schedule, strict=True)
    cluster, config = cluster_for("duplicate_promises", paxos_node_factory, network="bag", duplicates=1)
    assert run_schedule(cluster, config, schedule, strict=False) == {}


def test_duplicate_promises_state_stays_canonical() -> None:
    """The counter lives in a frozen dataclass, so snapshots hash and fingerprint stably."""
    from checker.models.impl_steps import world_fingerprint

    _, schedule = SCHEDULES["duplicate_promises"]
    cluster, config = cluster_for("duplicate_promises")
    run_schedule(cluster, config, schedule[:3], strict=True)
    snap = cluster.nodes[1].snapshot()
    assert isinstance(snap, NodeSnapshot)
    assert isinstance(snap.proposer_volatile, bugs.CountedProposerVolatile)
    assert snap.proposer_volatile.count == 1
    hash(cluster.snapshot())
    assert len(world_fingerprint(cluster)) == 16


def test_seeded_random_runs_expose_own_value() -> None:
    """Not only hand-written schedules: some seeded `Cluster.run` breaks agreement with own_value."""
    broke = 0
    for seed in range(200):
        cluster, config = cluster_for("own_value", acceptors=3)
        cluster.run(list(config.proposer_values().values()), seed=seed)
        broke += bool([n for n, _ in failing(view_of_cluster(cluster)) if n == "agreement"])
        correct, _ = cluster_for("own_value", paxos_node_factory, acceptors=3)
        correct.run(list(config.proposer_values().values()), seed=seed)
        assert failing(view_of_cluster(correct)) == []
    assert broke > 0


def test_volatile_ballot_deep_forgets_only_the_first_proposers_round() -> None:
    """P1 (lowest id) counts again from round 0 after a crash; P2 keeps its round, as PaxosNode does."""
    cluster, config = cluster_for("volatile_ballot_deep", ballots=(4, 2), crashes=2)
    run_schedule(cluster, config, ["propose 1", "timeout 1", "propose 2", "timeout 2", "crash 1", "restart 1",
                                   "crash 2", "restart 2"], strict=True)
    rounds = {n: cluster.nodes[n].snapshot().proposer.last_round for n in (1, 2)}
    assert rounds == {1: -1, 2: 1}
