"""`paxos-check fuzz` judges a deviation from Paxos.tla as explore does (docs/deviation.md).

Under `--deviation warn` (the default) a harmless deviation (`refines_spec` fails, every conjunct and safety
property holds) is reported with its trace and fuzzing goes on: exit 0. A dangerous one is a failure by the
conjunct it breaks. `--deviation error` makes any deviation a failure. The nodes are paxos.deviations'.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.cli.main import main
from paxos.deviations import DEVIATIONS

HARMLESS = [d for d in DEVIATIONS.values() if d.harmless]
DANGEROUS = [d for d in DEVIATIONS.values() if not d.harmless]


def _flags(name: str) -> list[str]:
    cfg = DEVIATIONS[name].config
    return ["fuzz", "--impl", DEVIATIONS[name].factory, "--acceptors", str(cfg["acceptors"]), "--ballots",
            str(cfg["ballots"]), "--crashes", str(cfg["crashes"]), "--seed", "1", "--examples", "40", "--quiet"]


def _fuzz(name: str, out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main([*_flags(name), "--out", str(out), *extra])
    return code, json.loads((out / "summary.json").read_text())


def _statuses(summary: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["status"] for p in summary["properties"]}


@pytest.mark.parametrize("info", HARMLESS, ids=lambda d: d.name)
def test_a_harmless_deviation_is_reported_not_failed(info: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    code, summary = _fuzz(info.name, tmp_path / "run")
    text = capsys.readouterr().out
    assert code == 0, text
    statuses = _statuses(summary)
    assert statuses["refines_spec"] == "violated"
    assert all(s == "not_violated" for n, s in statuses.items() if n != "refines_spec" and n != "sometimes_chosen")
    deviation = summary["deviation"]
    assert deviation is not None and deviation["only"] is True and deviation["mode"] == "warn"
    assert "WARNING (harmless deviation, not counted in the exit code)" in text
    entry = next(p for p in summary["properties"] if p["name"] == "refines_spec")
    assert main(["replay", str(tmp_path / "run" / entry["trace"])]) == 1  # the deviation reproduces
    assert "harmless here" in capsys.readouterr().out


def test_deviation_error_makes_it_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, summary = _fuzz("promise_before_vote", tmp_path / "run", "--deviation", "error")
    assert code == 1
    assert _statuses(summary)["refines_spec"] == "violated" and summary["deviation"]["mode"] == "error"
    assert "VIOLATED: refines_spec" in capsys.readouterr().out


@pytest.mark.parametrize("info", DANGEROUS, ids=lambda d: d.name)
def test_a_dangerous_deviation_fails_by_the_conjunct_it_breaks(info: Any, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, summary = _fuzz(info.name, tmp_path / "run")
    text = capsys.readouterr().out
    assert code == 1, text
    statuses = _statuses(summary)
    broken = [n for n, s in statuses.items() if s == "violated" and n != "refines_spec"]
    # explore finds info.breaks at the deviating step; a fuzzing case may break another conjunct first
    assert len(broken) == 1 and broken[0].startswith("inv_") and statuses["refines_spec"] == "violated", statuses
    assert summary["deviation"]["only"] is False
    assert "dangerous deviation" in text and f"VIOLATED: {broken[0]}" in text


def test_deviation_with_no_refinement_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*_flags("promise_before_vote"), "--no-refinement", "--deviation", "warn",
                 "--out", str(tmp_path / "run")]) == 2
    assert "--no-refinement" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
