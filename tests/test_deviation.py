"""Deviation versus danger (issue 12 item 3): refines_spec alone is reported as a deviation from
Paxos.tla, plainly, and `--deviation warn` keeps searching for safety violations past it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli.main import main

#: A correct variant that re-promises an equal ballot after accepting (Paxos.tla's Phase1b needs b > maxBal).
REPROMISING = ["explore", "--impl", "paxos.bugs:repromising", "--ballots", "1", "--crashes", "0", "--quiet"]


def _summary(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "summary.json").read_text())


def test_refinement_alone_is_a_deviation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*REPROMISING, "--out", str(tmp_path)]) == 1
    text = capsys.readouterr().out
    assert "VIOLATED: refines_spec only: the node deviates from Paxos.tla at step 7; no safety property failed" in text
    assert "Phase1b(acceptor" in text and "needs 0@1 > maxBal" in text
    summary = _summary(tmp_path)
    assert summary["deviation"]["only"] is True and summary["deviation"]["mode"] == "fail"
    assert summary["deviation"]["step"] == 7
    statuses = {p["name"]: p["status"] for p in summary["properties"]}
    assert statuses["refines_spec"] == "violated" and statuses["agreement"] == "held"
    for key in ("version", "config", "model", "strategy", "exhaustive", "states", "properties"):
        assert key in summary  # the contract's keys stay


def test_deviation_warn_keeps_the_exit_code_of_safety(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*REPROMISING, "--deviation", "warn", "--stop-on-first", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "WARNING (--deviation warn): the node deviates from Paxos.tla at step 7" in text
    assert "HELD: every safety property holds" in text
    summary = _summary(tmp_path)
    assert summary["exhaustive"] and summary["deviation"]["mode"] == "warn"
    assert (tmp_path / "traces" / "refines_spec.csv").exists()


def test_stop_on_first_stops_at_a_deviation_and_says_how_to_go_on(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*REPROMISING, "--stop-on-first", "--out", str(tmp_path)]) == 1
    assert "add --deviation warn to keep searching for safety violations" in capsys.readouterr().out


def test_a_real_bug_past_the_deviation_is_found(tmp_path: Path) -> None:
    code = main(["explore", "--impl", "paxos.bugs:own_value", "--acceptors", "1", "--proposers", "2",
                 "--learners", "0", "--ballots", "1", "--crashes", "0", "--stop-on-first", "--deviation", "warn",
                 "--out", str(tmp_path), "--quiet"])
    assert code == 1
    summary = _summary(tmp_path)
    statuses = {p["name"]: p["status"] for p in summary["properties"]}
    assert statuses["agreement"] == "violated" and summary["deviation"]["only"] is False
