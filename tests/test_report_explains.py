"""Reports of real runs explain themselves (issue 12 items 1-4 and 8): the title names the implementation
and the verdict, lifelines carry roles, messages are whole, 'why it fails' is in the protocol's words,
a deviation alone says so, the full state at every step folds open, and a capped graph says it is partial."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

import pytest

from checker.cli.main import main

SMALL = ["--acceptors", "1", "--proposers", "2", "--learners", "1", "--ballots", "1", "--crashes", "0", "--quiet"]


@pytest.fixture(scope="module")
def own_value(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("own_value")
    assert main(["explore", "--impl", "paxos.bugs:own_value", *SMALL, "--graph", "--graph-limit", "10",
                 "--report", "--out", str(out)]) == 1
    return out


def test_title_roles_whole_messages_and_why(own_value: Path) -> None:
    html = (own_value / "report.html").read_text()
    md = (own_value / "report.md").read_text()
    assert "<title>paxos.bugs:own_value: VIOLATED (agreement, inv_2a_safe) (paxos-check explore)</title>" in html
    assert md.startswith("# paxos.bugs:own_value: VIOLATED (agreement, inv_2a_safe)")
    assert "DEVIATES (DANGEROUS)" in md
    chart = re.search(r'<svg class="msc" id="msc0".*?</svg>', html, re.S)
    assert chart is not None
    svg = chart.group(0)
    # every node of the configuration has a lifeline with its roles: the learner 4 is only sent to
    for node, role in (("1", "proposer"), ("2", "proposer"), ("3", "acceptor"), ("4", "learner")):
        assert re.search(rf">node {node}</text><text class=\"role\"[^>]*>{role}<", svg), (node, role)
    assert "Promise 0@2 (accepted 0@1:v1)" in html and "Accept 0@2:v2" in html
    assert "…" not in svg  # nothing clipped
    why = "Phase2a(0@2, v2) needs v2 to be the value of the highest-ballot vote among a quorum's 1b messages"
    assert escape(why) in html and why in md
    assert "two values chosen (agreement allows at most one); v1 chosen at ballot 0@1 by acceptors {3}" in md


def test_state_view_folds_open(own_value: Path) -> None:
    html = (own_value / "report.html").read_text()
    assert html.count('<details class="states">') >= 2  # one per trace
    section = html.split('<details class="states">')[1]
    assert "node 1 (proposer)" in section and "network (set)" in section and "<b>*" in section
    assert (own_value / "traces" / "agreement.states.json").exists()


def test_capped_graph_says_it_is_partial(own_value: Path) -> None:
    graph = json.loads((own_value / "summary.json").read_text())["graph"]
    assert graph["states"] == 10 and graph["complete"] is False and graph["limit"] == 10
    assert "capped at its first 10 states (--graph-limit)" in (own_value / "report.md").read_text()


def test_deviation_alone_reads_as_such(tmp_path: Path) -> None:
    flags = ["explore", "--impl", "paxos.bugs:repromising", "--ballots", "1", "--crashes", "0", "--quiet", "--report"]
    assert main([*flags, "--out", str(tmp_path / "warn")]) == 0
    md = (tmp_path / "warn" / "report.md").read_text()
    assert "held (exhaustive)" in md.splitlines()[0]
    assert "refines_spec is a warning: the node deviates from Paxos.tla at step 7" in md
    assert "A deviation is a step that is no step of Lamport's Paxos.tla" in md  # deviation vs danger, explained
    assert "| refines_spec | step | ⚠️ DEVIATES (HARMLESS) |" in md
    assert main([*flags, "--deviation", "error", "--out", str(tmp_path / "error")]) == 1
    md = (tmp_path / "error" / "report.md").read_text()
    assert "deviates from Paxos.tla (refines_spec)" in md.splitlines()[0]
    assert "VIOLATED (--deviation error): refines_spec only: the node deviates from Paxos.tla at step 7" in md
    assert "| refines_spec | step | ❌ DEVIATES |" in md


def test_a_step_that_changes_nothing_says_so(tmp_path: Path) -> None:
    from checker.model import StepRow
    from checker.traces.trace_csv import Trace, TraceStep, write_trace
    from reports._load import load_trace
    from reports._markdown import step_table
    from reports._msc import events_from_trace

    row = StepRow("deliver", node="1", peer="3", msg_type="Promise", bal="0@1", max_vbal="-")
    path = write_trace(tmp_path / "t.csv", Trace("impl", "paxos:PaxosNode", {"acceptors": 3}, None,
                                                 [TraceStep(row, "0123456789abcdef")]))
    trace = load_trace(path)
    assert events_from_trace(trace)[0].note == "(no change)"
    assert events_from_trace(trace)[0].text == "Promise 0@1 (accepted nothing)"
    assert "(no change)" in "\n".join(step_table(trace))
