"""`replay --states` (issue 12 item 4) and messages written whole in replay (item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.cli.main import main
from checker.traces.states import write_states


@pytest.fixture(scope="module")
def own_value_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("own_value")
    code = main(["explore", "--impl", "paxos.bugs:own_value", "--acceptors", "1", "--proposers", "2",
                 "--learners", "0", "--ballots", "1", "--crashes", "0", "--out", str(out), "--quiet"])
    assert code == 1
    return out / "traces" / "refines_spec.csv"


def test_replay_shows_messages_whole_and_why(own_value_trace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(own_value_trace)]) == 1
    text = capsys.readouterr().out
    assert "deliver Promise 0@2 (accepted 0@1:v1)" in text
    assert "sent Accept 0@2:v2" in text
    assert "Phase2a(0@2, v2) needs v2 to be the value of the highest-ballot vote" in text


def test_replay_states_prints_every_node_under_its_roles(own_value_trace: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--states", str(own_value_trace)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any("node 1 (proposer)" in line and "bal=-" in line for line in lines)
    assert any(line.strip().startswith("node 3 (acceptor)") for line in lines)
    # a changed field and its node are marked; the network is shown whole
    assert any(line.lstrip().startswith("* node 3 (acceptor)") and "*promised=0@1" in line for line in lines)
    assert any("network (set)" in line and "Prepare 0@1 1->3" in line for line in lines)


def test_states_file_for_the_report(own_value_trace: Path) -> None:
    import json

    path = write_states(own_value_trace)
    assert path is not None and path.name == "refines_spec.states.json"
    data = json.loads(path.read_text())
    steps = data["steps"]
    assert len(steps) == 1 + sum(1 for line in own_value_trace.read_text().splitlines()[2:] if line)
    first_acceptor = next(p for p in steps[1] + steps[2] if p["label"].startswith("node 3"))
    assert first_acceptor["fields"][0][0] == "promised"
