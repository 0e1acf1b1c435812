"""The fuzzer's guidance (checker/runs/fuzz_guidance.py): exact predictions, replay-stable novelty,
and that it reaches the deep catalog bugs the uniform fuzzer misses within the `ci` profile."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_fuzz import replays

from checker.config import CheckConfig
from checker.runs.fuzz import run_fuzz
from checker.runs.fuzz_guidance import Guide, Memory
from paxos import Action, Cluster, Propose
from paxos._guard import checked_snapshot
from paxos.bugs import CATALOG
from properties.inductive import BY_NAME as CONJUNCTS


def _snapshots(cluster: Cluster) -> dict[int, object]:
    return {n: checked_snapshot(n, node.snapshot) for n, node in cluster.nodes.items()}


def _actor_snapshot(cluster: Cluster, action: Action) -> object:
    local = Guide.local(action)
    return None if local is None else checked_snapshot(local[0], cluster.nodes[local[0]].snapshot)


def _options(cluster: Cluster, config: CheckConfig) -> list[Action]:
    own = config.proposer_values()
    return [a for a in cluster.enabled(config.value_names()) if not isinstance(a, Propose) or own[a.node] == a.value]


def _walk(memory: Memory, token: int, config: CheckConfig, seed: int, steps: int) -> list[list[Action]]:
    """A random run under one guide; returns the fresh options offered at each step."""
    cluster = config.new_cluster()
    guide = Guide(memory, config.network == "bag")
    guide.start(_snapshots(cluster))
    rng = random.Random(seed)
    offered = []
    for _ in range(steps):
        options = _options(cluster, config)
        if not options:
            break
        fresh = guide.fresh(token * 1000 + len(offered), options)
        offered.append(fresh)
        action = rng.choice(fresh or options)
        sent = cluster.step(action)
        guide.took(action, _actor_snapshot(cluster, action), sent)
    return offered


@pytest.mark.parametrize("network", ["set", "bag"])
def test_the_predicted_world_key_is_the_key_after_the_step(network: str) -> None:
    """Once a node-local transition is known, the key predicted for an action is exactly the key the
    guide computes after taking it (crashes, restarts, drops and duplicates included)."""
    config = CheckConfig(acceptors=3, proposers=2, ballots=2, crashes=2, network=network,
                         drops=2 if network == "bag" else 0, duplicates=2 if network == "bag" else 0)
    memory = Memory()
    checked = 0
    for seed in range(30):
        cluster = config.new_cluster()
        guide = Guide(memory, network == "bag")
        guide.start(_snapshots(cluster))
        rng = random.Random(seed)
        for step in range(40):
            options = _options(cluster, config)
            if not options:
                break
            guide.fresh(seed * 1000 + step, options)  # a new step: what earlier walks learned is visible
            action = rng.choice(options)
            local = Guide.local(action)
            effect = None if local is None else guide._known((local[0], guide.snaps[local[0]], local[1]))
            predicted = guide._after(action, effect)[0] if local is None or effect is not None else None
            sent = cluster.step(action)
            guide.took(action, _actor_snapshot(cluster, action), sent)
            if predicted is not None:
                assert predicted == guide.key, (seed, action)
                checked += 1
    assert checked > 200  # the check ran on many steps, not only on unknown transitions


def test_a_replayed_case_sees_what_it_saw_when_it_first_ran() -> None:
    """Novelty depends on earlier cases only: a case replayed after later cases ran (as Hypothesis
    replays a failing case) gets the same fresh options at every step."""
    config = CheckConfig(acceptors=3, proposers=2, ballots=2, crashes=1)
    memory = Memory()
    first = {token: _walk(memory, token, config, seed=token, steps=30) for token in (11, 22, 33)}
    for token in (22, 11, 33):  # replays, in another order, after every case ran
        assert _walk(memory, token, config, seed=token, steps=30) == first[token]
    # and the guidance is not a no-op: a later case is offered fewer fresh options than the first
    later = _walk(memory, 44, config, seed=11, steps=30)
    assert later != first[11]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["volatile_ballot", "highest_promised_value"])
def test_ci_profile_finds_the_deep_catalog_bugs(name: str, tmp_path: Path) -> None:
    """The two 17-step catalog bugs, which the uniform fuzzer misses within the ci profile, are found by
    the guided one (derandomized: the same run every time), with a trace that replays."""
    bug = CATALOG[name]
    config = CheckConfig(**dict(bug.config))
    result = run_fuzz(config, profile="ci", out_dir=str(tmp_path))
    assert result.failure is not None, f"{name}: not found in {result.stats.cases} cases, {result.stats.steps} steps"
    # a conjunct of the inductive invariant usually breaks first, where the node deviates
    assert result.failure.property in (*bug.breaks, *CONJUNCTS)
    assert result.failure.path is not None and replays(result.failure.path, result.failure.property)
