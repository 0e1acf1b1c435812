"""`--impl` with a node that is not ours: examples/custom_node (their_node.py behind adapter.py).

The adapter must follow the node protocol with plain-data snapshots and lossless translation;
their correct node must hold every property (refines_spec included) and behave like ours;
their deliberately broken node must be caught, with a trace that replays.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pytest

from checker.cli.main import main
from checker.config import CheckConfig, load_factory
from paxos import (
    BOTTOM,
    Accept,
    Accepted,
    Ballot,
    Cluster,
    ClusterConfig,
    ConfigurationError,
    Deliver,
    GridQuorums,
    Nack,
    NodeProtocol,
    Prepare,
    Promise,
    Propose,
    missing_methods,
)

ROOT = Path(__file__).resolve().parents[1]
IMPL = "examples.custom_node.adapter:make_node"
BROKEN = "examples.custom_node.adapter:make_forgetful_node"
TWO_PROPOSERS = ["--acceptors", "2", "--proposers", "2", "--learners", "1", "--ballots", "1", "--crashes", "0",
                 "--quiet"]
WITH_CRASH = ["--acceptors", "2", "--proposers", "1", "--learners", "1", "--ballots", "1", "--crashes", "1",
              "--quiet"]


@pytest.fixture(autouse=True)
def importable_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    """`examples` is not an installed package: make the repository root importable, as its README says."""
    monkeypatch.syspath_prepend(str(ROOT))


def adapter() -> Any:
    import examples.custom_node.adapter as module

    return module


def summary_of(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return data


# -- the adapter itself ---------------------------------------------------------------------------------


def test_adapter_follows_the_node_protocol() -> None:
    config = ClusterConfig.colocated(3)
    node = adapter().make_node(1, config)
    assert isinstance(node, NodeProtocol) and missing_methods(node) == []
    assert callable(load_factory(IMPL)) and callable(load_factory(BROKEN))
    assert node.acceptor_state() is not None and node.learned() is None
    listener = adapter().make_node(3, ClusterConfig.separate(1, 1, 1))  # node 3: the learner only
    assert listener.acceptor_state() is None


def test_ballots_translate_both_ways_and_keep_their_order() -> None:
    a = adapter()
    ballots = [BOTTOM, Ballot(0, 1), Ballot(0, 2), Ballot(1, 1), Ballot(3, 42), Ballot(7, 99)]
    assert [a.to_ballot(a.to_number(b)) for b in ballots] == ballots
    numbers = [a.to_number(b) for b in ballots]
    assert numbers == sorted(numbers) and numbers[0] == -1


@pytest.mark.parametrize("msg", [
    Prepare(1, Ballot(2, 1)),
    Promise(4, Ballot(2, 1), BOTTOM, None),
    Promise(4, Ballot(2, 1), Ballot(1, 3), "v1"),
    Accept(1, Ballot(2, 1), "v2"),
    Accepted(5, Ballot(0, 2), "v1"),
    Nack(4, Ballot(0, 1), Ballot(1, 2)),
], ids=lambda m: type(m).__name__)
def test_messages_translate_without_loss(msg: Any) -> None:
    a = adapter()
    sender, theirs = a.to_theirs(msg)
    assert isinstance(theirs, tuple) and isinstance(theirs[0], str)
    assert a.to_ours(sender, theirs) == msg


def plain(value: object) -> bool:
    """Built only from int, str, tuples and frozensets."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, str)):
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(plain(v) for v in value)
    return False


def test_snapshots_are_plain_data_and_restore_exactly() -> None:
    cfg = CheckConfig(acceptors=3, proposers=3, ballots=3, crashes=2, colocated=True, impl=IMPL)
    cluster = cfg.new_cluster()
    mine = cfg.proposer_values()
    rng = random.Random(5)
    seen: set[Hashable] = set()
    for _ in range(150):
        actions = [a for a in cluster.enabled(cfg.value_names()) if not isinstance(a, Propose)
                   or a.value == mine[a.node]]
        if not actions:
            break
        cluster.step(rng.choice(actions))
        for node_id, node in cluster.nodes.items():
            snap = node.snapshot()
            assert plain(snap), snap
            hash(snap)
            seen.add(snap)
            twin = adapter().make_node(node_id, cluster.config)
            twin.restore(snap)
            assert twin.snapshot() == snap
            assert (twin.acceptor_state(), twin.learned()) == (node.acceptor_state(), node.learned())
            # restore hands out fresh mutable state: changing it leaves the snapshot alone
            twin.node.state["votes"].setdefault((9999, "x"), set()).add(1)
            twin.node.state["promises"][1] = (5, "y")
            assert node.snapshot() == snap
            twin.restore(snap)
            assert twin.snapshot() == snap
    assert len(seen) > 20


def test_crash_keeps_what_their_node_writes_to_disk() -> None:
    config = ClusterConfig.colocated(3)
    node = adapter().make_node(1, config)
    node.propose("v1")
    node.on_message(Prepare(1, Ballot(0, 1)))
    node.on_message(Promise(2, Ballot(0, 1), BOTTOM, None))
    node.on_message(Promise(3, Ballot(0, 1), BOTTOM, None))
    node.on_message(Accept(1, Ballot(0, 1), "v1"))
    before = node.acceptor_state()
    assert before is not None and before.accepted_val == "v1"
    node.crash()
    assert node.acceptor_state() == before  # the acceptor's promise and vote survive
    assert node.node.state["phase"] == "idle" and node.node.state["round"] == 0  # memory gone, round kept
    (_, retry), *_ = node.on_timeout()
    assert retry == Prepare(1, Ballot(1, 1))  # never reuses ballot 0@1


def test_unsupported_configurations_are_refused_with_a_reason() -> None:
    grid = GridQuorums(2, 2)
    config = ClusterConfig((1,), tuple(grid.members), (9,), grid)
    with pytest.raises(ConfigurationError, match="not a size threshold"):
        adapter().make_node(1, config)
    with pytest.raises(ConfigurationError, match="below 100"):
        adapter().make_node(1, ClusterConfig((1,), (2, 3, 100), (4,)))


def test_their_node_behaves_like_ours_along_random_runs() -> None:
    """The same schedule drives a cluster of theirs and one of ours: same votes, learners, messages.

    Their acceptor also tells the proposer about an acceptance; delivering that extra copy is the
    only action ours lacks, and it changes nothing a property can see.
    """
    cfg = CheckConfig(acceptors=3, proposers=2, learners=1, ballots=3, crashes=2)
    mine = cfg.proposer_values()
    for seed in range(100):
        theirs = cfg.new_cluster(load_factory(IMPL))
        ours = cfg.new_cluster(load_factory("paxos:PaxosNode"))
        rng = random.Random(seed)
        for _ in range(60):
            options = [a for a in theirs.enabled(cfg.value_names())
                       if not isinstance(a, Propose) or a.value == mine[a.node]]
            if not options:
                break
            action = rng.choice(options)
            if action in ours.enabled(cfg.value_names()):
                ours.step(action)
            else:
                assert isinstance(action, Deliver) and isinstance(action.env.msg, Accepted), action
                assert action.env.dst in cfg.cluster_config().proposers
            theirs.step(action)
            same_world(theirs, ours)


def same_world(theirs: Cluster, ours: Cluster) -> None:
    for a in ours.config.acceptors:
        assert theirs.nodes[a].acceptor_state() == ours.nodes[a].acceptor_state()
    assert theirs.learned() == ours.learned()
    assert theirs.sent == ours.sent and theirs.proposed == ours.proposed
    assert theirs.crashed == ours.crashed


# -- through paxos-check ------------------------------------------------------------------------------


# with a crash: 21 states since prompt restarts (reductions.py, 4; 29 before, with the crashed-and-not-yet-
# restarted states); 81 and 9 since quiet blocks (reductions.py, 6; 257 and 21 with --no-por)
@pytest.mark.parametrize(("flags", "states"), [(TWO_PROPOSERS, 81), (WITH_CRASH, 9)],
                         ids=["two-proposers", "crash"])
def test_explore_their_node_holds_everything(flags: list[str], states: int, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "--impl", IMPL, *flags, "--out", str(tmp_path / "theirs")]) == 0
    assert "HELD" in capsys.readouterr().out
    theirs = summary_of(tmp_path / "theirs")
    statuses = {p["name"]: p["status"] for p in theirs["properties"]}
    assert {"agreement", "validity", "learner_integrity", "refines_spec", "sometimes_chosen"} <= set(statuses)
    assert set(statuses.values()) == {"held"}
    assert theirs["exhaustive"] is True and theirs["config"]["impl"] == IMPL
    # their node reaches exactly as many worlds as ours in the same bounds
    assert main(["explore", *flags, "--out", str(tmp_path / "ours")]) == 0
    assert theirs["states"] == summary_of(tmp_path / "ours")["states"] == states
    # and as many without the reductions (1,454 and 112 states)
    for who in (["--impl", IMPL], []):
        assert main(["explore", *who, *flags, "--no-reductions", "--quiet", "--out", str(tmp_path / "all")]) == 0
        assert summary_of(tmp_path / "all")["states"] == {81: 1_454, 9: 112}[states]


def test_broken_variant_is_caught_and_its_trace_replays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "--impl", BROKEN, *TWO_PROPOSERS, "--out", str(tmp_path)]) == 1
    summary = summary_of(tmp_path)
    lengths = {p["name"]: p["length"] for p in summary["properties"] if p["status"] == "violated"}
    # the Promise that forgets the vote breaks the inductive invariant at once (step 8), where it deviates
    assert lengths == {"agreement": 14, "inv_1b_no_vote_between": 8, "inv_2a_safe": 12, "refines_spec": 8}
    trace = tmp_path / "traces" / "agreement.csv"
    capsys.readouterr()
    assert main(["replay", str(trace)]) == 1
    out = capsys.readouterr().out
    assert f"({BROKEN})" in out and "VIOLATION reproduced: agreement fails at step 14" in out
    assert "fingerprints differ" not in out
    assert main(["replay", str(tmp_path / "traces" / "refines_spec.csv")]) == 1
    assert "refines_spec fails at step 8" in capsys.readouterr().out
    # the same schedule against their correct node does not reproduce
    assert main(["replay", str(trace), "--impl", IMPL]) == 0
    assert "does NOT reproduce" in capsys.readouterr().out


def test_the_inductive_invariant_catches_what_agreement_cannot_see(tmp_path: Path) -> None:
    """One proposer can never choose two values, yet the forgetful node's Promise hides a vote: no Spec step
    (refines_spec, a deviation) and a broken conjunct of Paxos.tla's inductive invariant at the same step."""
    flags = ["--acceptors", "3", "--proposers", "1", "--learners", "0", "--ballots", "2", "--crashes", "0",
             "--quiet"]
    assert main(["explore", "--impl", BROKEN, *flags, "--out", str(tmp_path)]) == 1
    violated = {p["name"]: p["length"] for p in summary_of(tmp_path)["properties"] if p["status"] == "violated"}
    assert violated == {"inv_1b_no_vote_between": 8, "refines_spec": 8}


def test_readme_command_runs_from_the_repository_root(tmp_path: Path) -> None:
    """As examples/custom_node/README.md says: from the repository root, as a command."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "checker.cli", "explore", "--impl", IMPL, *TWO_PROPOSERS,
                           "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "81 distinct states" in done.stdout and "HELD" in done.stdout


AMNESIAC = "examples.custom_node.adapter:make_amnesiac_node"


def test_a_third_party_bug_that_needs_a_crash_and_a_retry_is_found_exhaustively(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Their node keeping its round counter in memory: the default exhaustive check (retries and a crash)
    finds a second Accept value in one proposal number (inv_2a_unique, a conjunct of Paxos.tla's inductive
    invariant), 17 real steps deep, two before a second value is accepted in it (inv_one_value_per_ballot at
    19); the trace replays on their node but not on their correct one."""
    out = tmp_path / "run"
    # --no-refinement: the search stops at the first safety invariant, not at the first deviation (step 18)
    assert main(["explore", "--impl", AMNESIAC, "--no-refinement", "--symmetry", "--stop-on-first", "--quiet",
                 "--out", str(out)]) == 1
    summary = summary_of(out)
    assert summary["exhaustive"] is False and summary["stopped_by"] == "violation"
    violated = {p["name"]: p["length"] for p in summary["properties"] if p["status"] == "violated"}
    assert violated == {"inv_2a_unique": 17}
    steps = [row for row in (out / "traces" / "inv_2a_unique.csv").read_text().splitlines()]
    assert sum(",crash," in row for row in steps) == 1  # the crash is in it...
    assert sum(",timeout," in row for row in steps) == 1  # ...and the retry
    trace = out / "traces" / "inv_2a_unique.csv"
    assert main(["replay", str(trace)]) == 1
    assert "inv_2a_unique fails at step 17" in capsys.readouterr().out
    assert main(["replay", str(trace), "--impl", IMPL]) == 0
    assert "does NOT reproduce" in capsys.readouterr().out


def test_without_a_retry_the_amnesiac_node_holds(tmp_path: Path) -> None:
    """One ballot per proposer: the crash alone cannot make it reuse a number (exhaustive, every property)."""
    assert main(["explore", "--impl", AMNESIAC, "--ballots", "1", "--quiet", "--out", str(tmp_path)]) == 0
    assert summary_of(tmp_path)["exhaustive"] is True


@pytest.mark.slow
def test_without_a_crash_the_amnesiac_node_holds(tmp_path: Path) -> None:
    """Retries but no crash: the counter is never lost (exhaustive, every property; about 20 s)."""
    assert main(["explore", "--impl", AMNESIAC, "--crashes", "0", "--quiet", "--out", str(tmp_path)]) == 0
    summary = summary_of(tmp_path)
    assert summary["exhaustive"] is True and summary["states"] == 84_006  # 344,133 without quiet blocks
