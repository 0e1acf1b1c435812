"""Each example runs as a user would run it (a subprocess, from a scratch directory) and says what happened."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from paxos import LOG_FORMAT, read_csv_rows

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name: str, cwd: Path) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_seed_usage_chooses_the_proposed_value(tmp_path: Path) -> None:
    out = run_example("seed_usage.py", tmp_path)
    assert "4 of the other 4 nodes promised; a majority is 3." in out
    assert "Consensus: all 5 active nodes decided 'my_value'." in out
    rows = read_csv_rows(tmp_path / "paxosresult.csv")
    assert {r["format"] for r in rows} == {LOG_FORMAT}
    assert sorted(r["node"] for r in rows if r["event"] == "learn") == ["1", "2", "3", "4", "5"]
    assert f"{len(rows)} events logged to paxosresult.csv." in out


def test_failure_scenario_recovers_safely(tmp_path: Path) -> None:
    out = run_example("failure_scenario.py", tmp_path)
    assert "Acceptor 3 recovers and still remembers its promise: ballot 1@1." in out
    assert "Node 5 must propose 'blue', not 'green'" in out
    assert "re-using its proposal number is refused: node 1 already used proposal number 1" in out
    assert "Every node decided 'blue': consensus reached, and only one value was ever chosen." in out
    assert "none chose two values" in out and "UNSAFE" not in out
    assert list(tmp_path.iterdir()) == [], "the example writes no file"


def test_dueling_proposers_preempt_then_one_wins(tmp_path: Path) -> None:
    out = run_example("dueling_proposers.py", tmp_path)
    assert "Proposer 1's Accept arrives late: 3 acceptors refuse it (Nack), and it gives up 0@1." in out
    assert "Proposer 2's Accept arrives late in turn: 3 Nacks, and it gives up 0@2." in out
    assert "times out first and starts ballot 1@1" in out
    wins = [line for line in out.splitlines() if " wins: " in line]
    assert len(wins) == 1 and "is chosen at ballot" in wins[0]
    assert out == run_example("dueling_proposers.py", tmp_path), "the seeded run is the same every time"


@pytest.mark.parametrize("name", ["seed_usage.py", "failure_scenario.py", "dueling_proposers.py"])
def test_examples_are_documented(name: str) -> None:
    assert f"python examples/{name}" in (EXAMPLES / "README.md").read_text(encoding="utf-8")
