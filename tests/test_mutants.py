"""Fast checks of the mutant catalog (tests/mutants.py): every mutant is a well-behaved node.

No checker verdict is pinned here: the mutants are for comparing verdicts elsewhere. Here each
one must build, follow the node protocol, round-trip its snapshot, and survive short random walks
on the reference `paxos.Cluster` (crashes, timeouts, redeliveries included) without raising.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Hashable

import pytest

import tests.mutants as mutants
from paxos import (
    Ballot,
    Budgets,
    Cluster,
    ClusterConfig,
    Crash,
    Deliver,
    Duplicate,
    Nack,
    NodeProtocol,
    Prepare,
    Propose,
    Restart,
    Timeout,
    missing_methods,
)
from tests.mutants import HARMLESS, INFO, MUTANTS, SELF_RETRYING

NAMES = sorted(MUTANTS)
LAYOUTS = {
    "separate-3-2-1": ClusterConfig.separate(3, 2, 1),
    "separate-2-1-2": ClusterConfig.separate(2, 1, 2),
    "colocated-3": ClusterConfig.colocated(3),
}


def test_catalog_shape() -> None:
    assert len(MUTANTS) >= 24
    assert set(INFO) == set(MUTANTS)
    assert SELF_RETRYING <= set(MUTANTS) and "self_retry_on_nack" in SELF_RETRYING
    assert HARMLESS <= set(MUTANTS) and len(HARMLESS) >= 3
    for name, info in INFO.items():
        doc = info.description
        assert doc and "\n" not in doc, f"{name}: docstring must be one line"
        assert "expect" in doc, f"{name}: docstring must say what is expected to break"
        assert info.expect in ("safety", "refinement", "nothing")
        # the `--impl tests.mutants:NAME` factory is the dict's factory
        assert getattr(mutants, name) is MUTANTS[name]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_builds_and_follows_protocol(name: str, layout: str) -> None:
    config = LAYOUTS[layout]
    for node_id in config.node_ids:
        node = MUTANTS[name](node_id, config)
        assert missing_methods(node) == []
        assert isinstance(node, NodeProtocol)
        assert node.node_id == node_id
        snap = node.snapshot()
        assert isinstance(snap, Hashable)
        hash(snap)
        node.restore(snap)
        assert node.snapshot() == snap
        assert node.learned() is None


def _walk(cluster: Cluster, rng: random.Random, steps: int, values: tuple[str, ...]) -> None:
    for _ in range(steps):
        actions = cluster.enabled(values)
        if not actions:
            return
        # favour deliveries so that runs get somewhere; faults and timeouts now and then
        deliveries = [a for a in actions if isinstance(a, Deliver)]
        others = [a for a in actions if isinstance(a, (Propose, Timeout, Crash, Restart, Duplicate))]
        pool = deliveries if deliveries and rng.random() < 0.8 else (others or actions)
        action = rng.choice(pool)
        before = {n: cluster.nodes[n].snapshot() for n in cluster.config.node_ids}
        cluster.step(action)
        for n, node in cluster.nodes.items():
            snap = node.snapshot()
            hash(snap)
            # restore() round-trips mid-run too (the checker restores nodes from cached snapshots)
            node.restore(before[n])
            node.restore(snap)
            assert node.snapshot() == snap
        cluster.snapshot()
        cluster.learned()
        cluster.chosen()


@pytest.mark.parametrize("name", NAMES)
def test_random_walks_do_not_raise(name: str) -> None:
    factory = MUTANTS[name]
    rng = random.Random(zlib.crc32(name.encode()))
    for seed in range(6):
        layout = LAYOUTS[sorted(LAYOUTS)[seed % len(LAYOUTS)]]
        budgets = Budgets(crashes=1 + seed % 2, ballots=3)
        cluster = Cluster(layout, factory=factory, network="set" if seed % 2 else "bag", budgets=budgets)
        _walk(cluster, rng, 60, ("v1", "v2"))


def test_self_retrying_mutant_retries_by_itself() -> None:
    """A Nack alone (no Timeout) makes `self_retry_on_nack` start a higher ballot."""
    config = ClusterConfig.separate(1, 2, 0)
    p = MUTANTS["self_retry_on_nack"](config.proposers[0], config)
    out = p.propose("v1")
    ((_, prepare),) = out
    assert isinstance(prepare, Prepare)
    higher = Ballot(prepare.bal.round + 3, config.proposers[1])
    retry = p.on_message(Nack(config.acceptors[0], prepare.bal, higher))
    assert [type(m) for _, m in retry] == [Prepare]
    assert retry[0][1].bal > higher
