"""A report of a real run of a catalog bug (not a fixture): `explore --graph --report` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli.main import main


def test_report_of_a_catalog_bug_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "own_value"
    code = main(["explore", "--impl", "paxos.bugs:own_value", "--acceptors", "1", "--proposers", "2",
                 "--learners", "0", "--crashes", "0", "--ballots", "1", "--graph", "--report", "--quiet",
                 "--out", str(out)])
    assert code == 1
    summary = json.loads((out / "summary.json").read_text())
    status = {p["name"]: p["status"] for p in summary["properties"]}
    assert status["agreement"] == "violated" and status["refines_spec"] == "violated"
    html = (out / "report.html").read_text()
    md = (out / "report.md").read_text()
    # one row per property, with its verdict
    for name in status:
        assert f'data-property="{name}"' in html
    assert "VIOLATED" in md and "counterexample of 8 steps" in md
    # the counterexample's message sequence chart, breaking step highlighted
    assert html.count('<svg class="msc"') >= 2 and 'class="breaking-step"' in html
    # coverage numbers, taken from the run
    delivered = summary["coverage"]["messages"]
    assert delivered["Prepare"] > 0 and f"Prepare {delivered['Prepare']:,}" in md
    assert summary["coverage"]["max_ballot"] == "0@2" and "0@2" in md
    # the state graph and the progress section
    assert summary["graph"]["states"] == summary["states"]
    assert "State graph and progress" in md and (out / "graph.graphml").exists()
    for attr in ('src="http', "src='http", 'href="http', "@import", "<script src"):
        assert attr not in html  # self-contained: nothing fetched from the network
