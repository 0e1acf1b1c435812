"""The BFS over Ray actors (checker/search/ray_cluster.py) on a two-node Ray cluster simulated on this machine
(`ray.cluster_utils.Cluster`: a head and a worker node, one CPU each, so the two partitions' actors land on
different nodes and their batches cross between nodes through the object store): the same states,
transitions, levels, verdicts, shortest counterexamples and coverage as one process. Skipped when Ray is
not installed (pip install -e '.[cluster]'); few and small, as a Ray start costs seconds."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")
cluster_utils = pytest.importorskip("ray.cluster_utils")

from checker.cli.main import main  # noqa: E402
from checker.config import CheckConfig  # noqa: E402
from checker.model import Model  # noqa: E402
from checker.models.impl_model import ImplModel  # noqa: E402
from checker.models.spec_model import SpecModel  # noqa: E402
from checker.search.common import SearchOptions, SearchResult  # noqa: E402
from checker.search.ray_cluster import RayCluster  # noqa: E402
from checker.search.strategies import search  # noqa: E402
from properties.spec import SpecConfig  # noqa: E402


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[str]:
    cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
        yield cluster.address
    finally:
        ray.shutdown()
        cluster.shutdown()


def _facts(model: Model, r: SearchResult) -> tuple[Any, ...]:
    paths = {p.name: (p.status, None if p.path is None else [model.fingerprint(s) for s in p.path.states()])
             for p in r.properties}
    return (r.states, r.transitions, r.depth, r.states_per_depth, r.exhaustive, paths, r.coverage)


def _node_of_each_actor(cluster: RayCluster) -> list[str]:
    return list(ray.get([a.node.remote() for a in cluster.actors]))


def test_one_actor_per_node(two_nodes: str) -> None:
    model = SpecModel(SpecConfig(2, 1, 1))
    cluster = RayCluster(model, SearchOptions(), 2, two_nodes)
    try:
        assert len(set(_node_of_each_actor(cluster))) == 2
    finally:
        cluster.close()


@pytest.mark.parametrize("make", [
    functools.partial(ImplModel, CheckConfig(learners=1, ballots=1, crashes=0, impl="paxos.bugs:own_value")),
    functools.partial(SpecModel, SpecConfig(3, 2, 2), bug="phase2a_ignores_1b"),
], ids=["impl-own_value", "spec-bug"])
def test_ray_actors_on_two_nodes_find_what_one_process_finds(two_nodes: str, make: Any) -> None:
    one: Model = make()
    alone = search(one, "bfs", SearchOptions(coverage=True))
    there: Model = make()
    spread = search(there, "bfs", SearchOptions(coverage=True, workers=2, cluster=two_nodes, model_factory=make))
    assert _facts(there, spread) == _facts(one, alone)
    assert any(p.status == "violated" for p in spread.properties)


def test_cluster_flag_writes_the_summary_of_one_process(two_nodes: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["explore", "--impl", "paxos.bugs:own_value", "--ballots", "1", "--crashes", "0", "--quiet"]
    assert main([*flags, "--out", str(tmp_path / "one")]) == 1
    # Ray is already up (the simulated cluster): --cluster auto uses it rather than starting another
    assert main([*flags, "--cluster", "auto", "--workers", "2", "--out", str(tmp_path / "ray")]) == 1
    one, spread = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("one", "ray"))
    for key in ("states", "transitions", "depth", "states_per_depth", "coverage"):
        assert spread[key] == one[key], key
    # the node checks after a search (hash_order) run in one process only: docs/node_checks.md
    searched = [[p for p in s["properties"] if p["name"] != "hash_order"] for s in (spread, one)]
    assert searched[0] == searched[1]
    assert {p["name"]: p["status"] for p in spread["properties"]}["hash_order"] == "unknown"
    for trace in ("agreement.csv", "refines_spec.csv"):
        assert (tmp_path / "ray" / "traces" / trace).read_text() == (tmp_path / "one" / "traces" / trace).read_text()
    capsys.readouterr()


@pytest.mark.parametrize("impl", ["paxos:PaxosNode", "paxos.bugs:own_value"])
def test_a_swarm_on_two_nodes_runs_the_walks_of_one_process(two_nodes: str, impl: str) -> None:
    """`simulate --strategy swarm --cluster`: the same walks (each seeded by its number), run as Ray tasks
    spread over both nodes: the same distinct states, transitions and walks as one process, and the bug
    found (the shortest path per property may come from another walk only if it is as short)."""
    cfg = CheckConfig(learners=1, ballots=1, crashes=0, impl=impl)
    # with the default reductions, quiet blocks included (a walk over a fresh model, each Ray task's, once
    # visited a state more than over the model of the earlier walks: walks followed the order of the
    # model's interned ids; tests/test_simulate_search.py checks that no more without Ray)
    make = functools.partial(ImplModel, cfg)
    opts = SearchOptions(walks=200, seed=7)
    alone = search(make(), "swarm", opts)
    there: Model = make()
    spread = search(there, "swarm", SearchOptions(walks=200, seed=7, workers=2, cluster=two_nodes, model_factory=make))
    assert (spread.states, spread.transitions, spread.depth) == (alone.states, alone.transitions, alone.depth)
    assert {p.name: p.status for p in spread.properties} == {p.name: p.status for p in alone.properties}
    assert {p.name: len(p.path) for p in spread.properties if p.path is not None} == {
        p.name: len(p.path) for p in alone.properties if p.path is not None}
    if impl != "paxos:PaxosNode":
        assert any(p.status == "violated" for p in spread.properties)


def test_simulate_cluster_flag(two_nodes: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["simulate", "--impl", "paxos.bugs:own_value", "--ballots", "1", "--crashes", "0", "--walks", "300",
             "--strategy", "swarm", "--workers", "2", "--quiet"]
    assert main([*flags, "--cluster", "auto", "--out", str(tmp_path / "ray")]) == 1
    summary = json.loads((tmp_path / "ray" / "summary.json").read_text())
    assert summary["strategy"] == "swarm" and any(p["status"] == "violated" for p in summary["properties"])
    assert main(["simulate", "--cluster", "auto", "--out", str(tmp_path / "x")]) == 2  # swarm only
    assert "--strategy swarm" in capsys.readouterr().err
