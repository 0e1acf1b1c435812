"""Reach (issue 10): the default check covers a retry, `--max-round` bounds nodes that retry by
themselves, and the reductions' declared reads match what the refinement mapping really reads.
Verdict equality with and without the reductions is tests/test_reductions_sound.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli.main import main
from checker.config import default_ballots
from checker.models.reductions import inert_kinds
from paxos import (
    BOTTOM,
    MESSAGE_TYPES,
    Accept,
    Accepted,
    Ballot,
    Budgets,
    Cluster,
    ClusterConfig,
    Nack,
    Prepare,
    Promise,
    Propose,
    Timeout,
)
from properties.invariants import PROPERTIES
from properties.refinement import Refinement

TINY = ["--acceptors", "2", "--learners", "0", "--crashes", "0", "--quiet"]


def test_refinement_reads_exactly_the_kinds_that_have_a_spec_image() -> None:
    config = ClusterConfig.separate(3, 2, 1)
    ref = Refinement(config, ("v1", "v2"), 2)
    b = Ballot(0, 4)
    a = config.acceptors[0]
    samples = [Prepare(4, b), Promise(a, b, BOTTOM, None), Accept(4, b, "v1"), Accepted(a, b, "v1"),
               Nack(a, b, Ballot(1, 5))]
    assert {type(m) for m in samples} == set(MESSAGE_TYPES)
    with_image = {type(m).__name__ for m in samples if ref.message(m) is not None}
    assert with_image == Refinement.READS
    # so with the built-in properties, only Nacks are inert
    assert inert_kinds([p.reads for p in PROPERTIES] + [Refinement.READS]) == {"Nack"}
    assert inert_kinds([None]) == frozenset()


def test_default_ballots_give_the_last_proposer_a_retry(tmp_path: Path) -> None:
    assert default_ballots(2) == (1, 2) and default_ballots(3) == (1, 1, 2) and default_ballots(1) == 2
    assert main(["explore", "--impl", "paxos.bugs:stale_promises", *TINY, "--proposers", "1",
                 "--out", str(tmp_path)]) == 1  # its bug needs a retry: found with no --ballots flag
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["config"]["ballots"] == 2
    assert main(["explore", "--impl", "paxos.bugs:stale_promises", *TINY, "--proposers", "1", "--ballots", "1",
                 "--out", str(tmp_path / "one")]) == 0


def test_cluster_loses_messages_above_max_round() -> None:
    config = ClusterConfig.separate(2, 1, 0)
    cluster = Cluster(config, budgets=Budgets(ballots=3, max_round=0))
    proposer = config.proposers[0]
    assert cluster.step(Propose(proposer, "v1"))  # round 0: delivered
    assert cluster.step(Timeout(proposer)) == []  # round 1: sent, never delivered
    assert any(isinstance(m, Prepare) and m.bal.round == 1 for m in cluster.sent)
    assert cluster.in_flight and all(env.msg.bal.round == 0 for env in cluster.in_flight)


def test_max_round_makes_a_self_retrying_node_exhaustible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """tests/mutants.py:self_retry_on_nack starts a ballot on every Nack: --ballots does not bound it."""
    impl = ["--impl", "tests.mutants:self_retry_on_nack"]
    small = [*impl, *TINY, "--values", "1", "--ballots", "1"]
    # without --max-round it is not exhausted within 3,000 states (the bounded run below has 921)
    assert main(["explore", *small, "--max-states", "3000", "--out", str(tmp_path / "open")]) == 3
    assert main(["explore", *small, "--max-round", "1", "--out", str(tmp_path / "small")]) == 0
    assert "max_round=1" in capsys.readouterr().out  # the constraint is stated with the verdict
    # Saturation matters most here (every Nack starts a ballot): 921 states reduced (1,841 with --no-por),
    # 38,781 not.
    assert main(["explore", *small, "--max-round", "1", "--no-reductions", "--out", str(tmp_path / "all")]) == 0
    reduced, unreduced = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("small", "all"))
    assert reduced["exhaustive"] and unreduced["exhaustive"] and reduced["config"]["max_round"] == 1
    assert (reduced["states"], unreduced["states"]) == (921, 38_781)


def test_max_round_is_validated(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", *TINY, "--max-round", "-1"]) == 2
    assert "--max-round" in capsys.readouterr().err
    assert main(["explore", "--model", "spec", "--max-round", "1"]) == 2
