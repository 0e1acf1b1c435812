"""Deviation versus danger (issue 21): a step that is no Paxos.tla step but keeps every conjunct of the
inductive invariant is a deviation, reported with its trace and reason, which neither stops --stop-on-first
nor sets the exit code (the default; `--deviation error` restores strictness, `fail` is its old word). A
state that breaks a conjunct is a violation, and every property is judged at the step where a search stops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli.main import main
from paxos.deviations import DEVIATIONS

#: A correct variant that re-promises an equal ballot after accepting (Paxos.tla's Phase1b needs b > maxBal).
REPROMISING = ["explore", "--impl", "paxos.bugs:repromising", "--ballots", "1", "--crashes", "0", "--quiet"]


def _summary(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "summary.json").read_text())


def _flags(name: str) -> list[str]:
    config = dict(DEVIATIONS[name].config)
    out = ["explore", "--impl", config.pop("impl"), "--quiet"]
    for key, value in config.items():
        out += [f"--{key}", str(value)]
    return out


def test_a_harmless_deviation_is_a_warning_with_its_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*REPROMISING, "--stop-on-first", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert ("WARNING (harmless deviation, not counted in the exit code): the node deviates from Paxos.tla at "
            "step 7") in text
    assert "needs 0@1 > maxBal" in text and "the safety argument still holds" in text
    assert "HELD: every safety property and every conjunct of the inductive invariant holds" in text
    summary = _summary(tmp_path)
    assert summary["exhaustive"]  # the deviation did not stop --stop-on-first
    dev = summary["deviation"]
    assert dev["only"] is True and dev["mode"] == "warn" and dev["step"] == 7 and "Phase1b" in dev["reason"]
    statuses = {p["name"]: p["status"] for p in summary["properties"]}
    assert statuses["refines_spec"] == "violated" and statuses["agreement"] == "held"
    assert statuses["inv_1b_sound"] == "held" and statuses["inv_2a_safe"] == "held"
    assert (tmp_path / "traces" / "refines_spec.csv").exists()
    for key in ("version", "config", "model", "strategy", "exhaustive", "states", "properties"):
        assert key in summary  # the contract's keys stay


@pytest.mark.parametrize("word", ["error", "fail"])
def test_deviation_error_restores_strict_conformance(word: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*REPROMISING, "--deviation", word, "--stop-on-first", "--out", str(tmp_path)]) == 1
    text = capsys.readouterr().out
    assert "VIOLATED (--deviation error): refines_spec only: the node deviates from Paxos.tla at step 7" in text
    assert "drop --deviation error to keep searching" in text
    assert _summary(tmp_path)["deviation"]["mode"] == "error"


def test_deviation_warn_is_the_default_and_still_accepted(tmp_path: Path) -> None:
    assert main([*REPROMISING, "--deviation", "warn", "--out", str(tmp_path)]) == 0
    assert _summary(tmp_path)["deviation"]["mode"] == "warn"


@pytest.mark.parametrize("flags", [["--model", "spec", "--deviation", "warn"],
                                   ["--no-refinement", "--deviation", "error"]])
def test_deviation_is_refused_where_there_is_no_refinement(flags: list[str], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", *flags, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--deviation" in err[0]
    assert not (tmp_path / "summary.json").exists()


def test_a_real_bug_is_a_conjunct_at_the_deviating_step(tmp_path: Path) -> None:
    """own_value's wrong Accept is no Phase2a step and breaks inv_2a_safe there (step 7), long before two
    values are chosen: exit 1 on the conjunct, never on refines_spec alone."""
    code = main(["explore", "--impl", "paxos.bugs:own_value", "--acceptors", "1", "--proposers", "2",
                 "--learners", "0", "--ballots", "1", "--crashes", "0", "--stop-on-first",
                 "--out", str(tmp_path), "--quiet"])
    assert code == 1
    summary = _summary(tmp_path)
    lengths = {p["name"]: p.get("length") for p in summary["properties"] if p["status"] == "violated"}
    assert lengths == {"inv_2a_safe": 7, "refines_spec": 7}
    assert summary["deviation"]["only"] is False and "dangerous" in summary["deviation"]["text"]


def test_every_property_is_judged_where_a_strict_search_stops(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Under --deviation error the search stops at the deviating step in the middle of expanding a level,
    before the state it reached was judged; the verdict must still list the conjunct broken there and
    never read "deviation only"."""
    assert main([*_flags("promise_inflates_vote"), "--deviation", "error", "--stop-on-first",
                 "--out", str(tmp_path)]) == 1
    text = capsys.readouterr().out
    assert "only" not in text.split("VIOLATED")[-1].split(".")[0]
    summary = _summary(tmp_path)
    assert summary["stopped_by"] == "violation"
    lengths = {p["name"]: p.get("length") for p in summary["properties"] if p["status"] == "violated"}
    assert lengths == {"inv_1b_sound": 6, "refines_spec": 6}
    assert summary["deviation"]["only"] is False
    assert main(["replay", str(tmp_path / "traces" / "inv_1b_sound.csv")]) == 1


@pytest.mark.parametrize("name", [n for n, d in DEVIATIONS.items() if d.harmless])
def test_harmless_deviations_exit_0_with_a_warning(name: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*_flags(name), "--out", str(tmp_path)]) == 0
    assert "WARNING (harmless deviation" in capsys.readouterr().out
    summary = _summary(tmp_path)
    assert summary["exhaustive"] and summary["deviation"]["only"] is True
    assert [p["name"] for p in summary["properties"] if p["status"] == "violated"] == ["refines_spec"]


@pytest.mark.parametrize("name", [n for n, d in DEVIATIONS.items() if not d.harmless])
def test_dangerous_deviations_break_a_conjunct_at_the_deviating_step(name: str, tmp_path: Path) -> None:
    assert main([*_flags(name), "--stop-on-first", "--out", str(tmp_path)]) == 1
    summary = _summary(tmp_path)
    lengths = {p["name"]: p.get("length") for p in summary["properties"] if p["status"] == "violated"}
    assert DEVIATIONS[name].breaks in lengths
    assert lengths[DEVIATIONS[name].breaks] == lengths["refines_spec"]
    assert not any(p["name"] == "agreement" for p in summary["properties"] if p["status"] == "violated")


def test_deviation_vs_danger_reads_the_same_in_help_and_report(capsys: pytest.CaptureFixture[str]) -> None:
    from checker.runs.summarize import DEVIATION_VS_DANGER
    from reports._content import DEVIATION_VS_DANGER as in_report

    assert DEVIATION_VS_DANGER == in_report
    with pytest.raises(SystemExit):
        main(["explore", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "A deviation is a step that is no step of Lamport's Paxos.tla" in help_text
    assert "'warn' (default)" in help_text and "'error'" in help_text
