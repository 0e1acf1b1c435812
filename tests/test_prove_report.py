"""`prove --report`: a proof run's report says proved (for any size), not "checked in N states"."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.cli.main import main


def test_prove_spec_report_reads_as_a_proof(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "spec", "--out", str(tmp_path), "--report"]) == 0
    md = (tmp_path / "report.md").read_text()
    assert "PROVED" in md and "any number of acceptors" in md
    assert "## Coverage" not in md and "reachable states" not in md
    html = (tmp_path / "report.html").read_text()
    assert "z3 proof" in html and "inv_2a_safe" in html


def test_prove_report_needs_a_run_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "spec", "--report"]) == 2
    assert "--out" in capsys.readouterr().err
