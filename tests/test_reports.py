"""Tests of reports/ and `paxos-check report`: content, bad input, graph export, progress, browser rendering."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import cast

import networkx as nx
import pytest

from checker.cli import cmd_report
from checker.errors import UsageError
from checker.model import Model, StepRow
from checker.traces.graph import DEFAULT_GRAPH_LIMIT, GraphRecorder, format_action
from reports import ReportInputError, analyse, compare_runs, load_run, render_report
from reports._charts import CHART_COLOR
from reports._graphml import StateGraph, load_graphml
from reports._load import load_trace
from reports._msc import MscEvent, events_from_trace, parse_action, render_msc
from tests.report_fixtures import AGREEMENT_STEPS, build_run, trace_csv

CHROMIUM = Path("/usr/bin/chromium")


def _report(tmp_path: Path, **kw: object) -> tuple[str, str]:
    run = build_run(tmp_path / "run", **kw)  # type: ignore[arg-type]
    paths = render_report(run)
    return paths.markdown.read_text(), paths.html.read_text()


# --- content ---------------------------------------------------------------------------------------------


def test_violated_run_reports_counterexample_with_faults_and_breaking_step(tmp_path: Path) -> None:
    md, html = _report(tmp_path, kind="violated")
    assert "VIOLATED: agreement" in md and "VIOLATED: agreement" in html
    row = re.search(r'<tr class="bad property-row" data-property="agreement">(.*?)</tr>', html)
    assert row is not None
    assert "always" in row.group(1) and "VIOLATED" in row.group(1)
    assert "counterexample of 18 steps, fails at step 18; needs 1 crash, 1 drop, 1 duplicate, 1 restart" in row.group(1)
    # The search stopped at the violation: the other safety properties are unknown, never held.
    for name in ("validity", "refines_spec"):
        other = re.search(rf'<tr class="(\w+) property-row" data-property="{name}">(.*?)</tr>', html)
        assert other is not None and other.group(1) == "unknown" and "UNKNOWN" in other.group(2)
    assert "| sometimes_chosen | sometimes | ✅ WITNESSED | witnessed; shortest witness 7 steps" in md


def test_msc_marks_the_breaking_step_and_draws_every_fault(tmp_path: Path) -> None:
    _, html = _report(tmp_path, kind="violated")
    svg = re.search(r'<svg class="msc" id="msc0".*?</svg>', html, re.S)
    assert svg is not None
    chart = svg.group(0)
    assert len(re.findall(r'class="breaking-step" data-step="18"', chart)) == 1
    assert "breaking-step" not in html.split('id="msc1"')[1].split("</svg>")[0]  # the witness is not "broken"
    assert 'class="witness-step" data-step="7"' in html
    delivers = sum(1 for s in AGREEMENT_STEPS if s[0] == "deliver")
    assert chart.count('<g class="deliver">') == delivers
    for mark in ("drop", "duplicate", "crash", "restart", "propose"):
        assert f'<g class="{mark}">' in chart, mark
    assert chart.count('class="head"') == 6  # lifelines: nodes 1..5 and the learner 6, which is only sent to
    assert "node 6" in chart and "learner" in chart and "proposer" in chart
    # Node 4 is down between its crash (step 10) and restart (step 11): a dashed segment.
    assert '<line class="down"' in chart
    assert re.search(r'<tr class="breaking-row"><td>18</td>', html)


def test_coverage_numbers_and_first_screen_facts(tmp_path: Path) -> None:
    md, html = _report(tmp_path, kind="violated")
    for text in ("Prepare 2,101", "Accepted 1,489", "drop 511, duplicate 430, crash 97, restart 90",
                 "highest ballot reached", "2@2", "7 steps (traces/sometimes_chosen.csv)"):
        assert text in md and text in html, text
    first_screen = html.split('<h2 id="coverage">')[0]
    for text in ("acceptors", "ballots", "network", "bag", "crashes", "max_states", "no limit",
                 "tests.buggy:ForgetfulNode", "strategy", "bfs", "bounded", "stopped at the first violation"):
        assert text in first_screen, text


def test_bounded_run_never_reads_as_verified(tmp_path: Path) -> None:
    md, html = _report(tmp_path, kind="bounded")
    assert "bounded: no violation found within 3,215 states, depth 16 (not verified)" in md
    assert "HELD" not in md.replace("NO VIOLATION", "")
    assert "exhaustive" not in md.split("## Properties")[0].replace("search | bounded", "")
    assert re.search(r"verified", md.replace("not verified", "").replace("not a verification", "")) is None
    assert md.count("⚠️ UNKNOWN") == 3
    assert "(stopped by max_states)" in md
    assert '<div class="verdict unknown"' in html


def test_exhaustive_run_says_held_in_every_state(tmp_path: Path) -> None:
    md, html = _report(tmp_path, kind="held")
    assert "All 4 properties held in every one of 3,215 reachable states (exhaustive within the bounds below)" in md
    assert "| agreement | always | ✅ HELD | checked in all 3,215 reachable states |" in md
    assert "| refines_spec | step | ✅ HELD | checked in all 9,645 transitions |" in md
    assert '<div class="verdict ok"' in html


def test_z3_section_lists_each_check_and_the_counterexample_to_induction(tmp_path: Path) -> None:
    md, html = _report(tmp_path, kind="held", proofs=True)
    assert "| inductive_invariant | Phase1b | Inv2 | proved | 0.031 |" in md
    assert "| inductive_invariant | Phase2a | Inv3 | failed | 0.118 |" in md
    assert "Counterexample to induction for Phase2a / Inv3" in md
    assert '"2a(1, v2)"' in md and "&quot;2a(1, v2)&quot;" in html


def test_html_is_self_contained(tmp_path: Path) -> None:
    _, html = _report(tmp_path, kind="violated", graph_states=500)
    assert "<script" not in html and "<link" not in html and "@import" not in html and "url(http" not in html
    assert re.search(r'\b(src|href)="(https?:)?//', html) is None
    # growth and two MSCs; no progress path: the run stopped at its violation, so its graph is partial and
    # cannot show a state from which no value can be chosen
    assert html.count("<svg") == 3
    assert "not known (partial graph)" in html


def test_report_written_elsewhere_links_traces_back(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", kind="violated")
    paths = render_report(run, tmp_path / "out")
    md = paths.markdown.read_text()
    assert "([trace](../run/traces/agreement.csv))" in md
    assert all(p.exists() for p in paths.assets)
    assert "![distinct states per BFS depth](report_assets/growth.svg)" in md


def test_spec_trace_and_long_traces_draw(tmp_path: Path) -> None:
    steps = [("phase1a", "", "", "1a", "1", "", "", "", "msgs += 1a(1)"),
             ("phase1b", "1", "", "1b", "1", "", "-1", "", "a1: maxBal 0 -> 1"),
             ("phase2a", "", "", "2a", "1", "v1", "", "", "msgs += 2a(1, v1)"),
             ("phase2b", "2", "", "2b", "1", "v1", "", "", "a2: maxVBal -1 -> 1")]
    trace = tmp_path / "t.csv"
    trace.write_text(trace_csv(steps, prop="agreement"))
    events = events_from_trace(load_trace(trace))
    svg = render_msc(events, chart_id="s", title="spec")
    assert svg.count('<g class="spec">') == 4 and "(system)" in svg and 'data-step="4"' in svg
    many = [MscEvent(i, "deliver", "2", "1", "Prepare 1@1") for i in range(1, 451)]
    long_svg = render_msc(many, chart_id="l", title="long")
    assert long_svg.count('<g class="deliver">') == 400 and "50 more steps not drawn" in long_svg


def test_reads_traces_written_by_the_checker(tmp_path: Path) -> None:
    traces = pytest.importorskip("checker.traces.trace_csv",
                                 reason="checker/traces/trace_csv.py is written by another engineer")
    step = traces.TraceStep(StepRow("deliver", node="3", peer="1", msg_type="Prepare", bal="1@1",
                                    state_change="acceptor 3: promised - -> 1@1"), "0123456789abcdef", "agreement")
    path = traces.write_trace(tmp_path / "t.csv", traces.Trace("impl", "paxos:PaxosNode", {"acceptors": 3},
                                                                "agreement", [step], "fedcba9876543210"))
    trace = load_trace(path)
    assert trace.header["impl"] == "paxos:PaxosNode" and trace.breaking_step == 1
    assert (trace.rows[0].event, trace.rows[0].node, trace.rows[0].peer) == ("deliver", "3", "1")


# --- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda s: "{ not json", "summary.json: not valid JSON at line 1"),
        (lambda s: "[]", "summary.json: must hold a JSON object"),
        (lambda s: s.replace('"states": 3215', '"states": "many"'), "field 'states' must be an integer"),
        (lambda s: s.replace('"version": 1', '"version": 7'), "field 'version' must be 1"),
        (lambda s: s.replace('"status": "violated"', '"status": "broken"'), "properties[0]: field 'status'"),
        (lambda s: s.replace('"exhaustive": false,', ""), "field 'exhaustive' is missing"),
    ],
)
def test_corrupt_summary_is_one_line_naming_the_file(tmp_path: Path, mutate: object, expected: str) -> None:
    run = build_run(tmp_path / "run", kind="violated")
    summary = run / "summary.json"
    summary.write_text(mutate(summary.read_text()))  # type: ignore[operator]
    with pytest.raises(ReportInputError) as info:
        render_report(run)
    message = str(info.value)
    assert "\n" not in message and str(summary) in message and expected in message


def test_missing_files_name_the_file(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", kind="violated")
    (run / "traces" / "agreement.csv").unlink()
    with pytest.raises(ReportInputError, match=r"traces/agreement\.csv: file is missing \(summary\.json property "
                       r"'agreement' refers to it\)"):
        render_report(run)
    with pytest.raises(ReportInputError, match=r"summary\.json: file is missing"):
        render_report(tmp_path / "run" / "traces")
    with pytest.raises(ReportInputError, match="not a directory"):
        render_report(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda lines: lines[:3] + lines[4:], "line 4: step is '3', expected 2"),
        (lambda lines: [lines[0].replace(",detail", ""), *lines[1:]], "line 1: header lacks column(s) detail"),
        (lambda lines: [lines[0], lines[1].replace("paxos-trace/1", "paxos-trace/9"), *lines[2:]],
         "line 2: format is 'paxos-trace/9'"),
        (lambda lines: [*lines[:5], lines[5].replace("deliver", "teleport"), *lines[6:]],
         "line 6: unknown event 'teleport'"),
        (lambda lines: [*lines[:2], lines[2] + ",extra", *lines[3:]], "line 3: 15 cells, expected 14"),
    ],
)
def test_malformed_trace_names_file_and_line(tmp_path: Path, edit: object, expected: str) -> None:
    run = build_run(tmp_path / "run", kind="violated")
    trace = run / "traces" / "agreement.csv"
    trace.write_text("\n".join(edit(trace.read_text().splitlines())) + "\n")  # type: ignore[operator]
    with pytest.raises(ReportInputError) as info:
        render_report(run)
    assert str(info.value).startswith(f"{trace}: ") and expected in str(info.value)


def test_corrupt_graphml_names_the_file(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", kind="held", graph_states=50)
    graphml = run / "graph.graphml"
    graphml.write_text(graphml.read_text()[:-40])
    with pytest.raises(ReportInputError, match=r"graph\.graphml: not valid GraphML/XML at line"):
        render_report(run)
    graphml.unlink()
    with pytest.raises(ReportInputError, match=r"graph\.graphml: file is missing"):
        render_report(run)


def _args(run_dir: Path, compare: Path | None = None, out: Path | None = None) -> argparse.Namespace:
    return argparse.Namespace(run_dir=str(run_dir), compare=str(compare) if compare else None,
                              out=str(out) if out else None)


def test_cmd_report_run_writes_reports_and_maps_bad_input_to_usage_error(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    run = build_run(tmp_path / "run", kind="violated")
    assert cmd_report.run(_args(run)) == 0
    assert f"wrote {run / 'report.html'}" in capsys.readouterr().out
    (run / "summary.json").write_text("{")
    with pytest.raises(UsageError, match=r"summary\.json: not valid JSON"):
        cmd_report.run(_args(run))


def test_cli_exit_code_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        from checker.cli import main as cli
    except ImportError as exc:
        pytest.skip(f"checker.cli.main does not import: {exc}")
    try:
        cli.build_parser()
    except ImportError:  # other subcommands are still being written: drive the real main() with ours alone
        monkeypatch.setattr(cli, "COMMANDS", {"report": cli.COMMANDS["report"]})
    run = build_run(tmp_path / "run", kind="violated")
    assert cli.main(["report", str(run)]) == 0
    (run / "traces" / "agreement.csv").unlink()
    capsys.readouterr()
    assert cli.main(["report", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "agreement.csv: file is missing" in err and "Traceback" not in err


def test_compare_two_runs(tmp_path: Path) -> None:
    a = build_run(tmp_path / "a", kind="violated")
    b = build_run(tmp_path / "b", kind="bounded")
    paths = compare_runs(a, b, tmp_path / "cmp")
    md = paths.markdown.read_text()
    assert "| max_states | no limit | 5,000 | **yes** |" in md
    assert "| acceptors | 3 | 3 |  |" in md
    assert "| agreement | VIOLATED | UNKNOWN |" in md
    assert "| stopped by | violation | max_states |" in md
    assert 'class="breaking-row"><td>max_states</td>' in paths.html.read_text()
    assert cmd_report.run(_args(a, compare=b, out=tmp_path / "both")) == 0
    assert (tmp_path / "both" / "compare.html").exists() and (tmp_path / "both" / "report.md").exists()


# --- graph export and progress ---------------------------------------------------------------------------


def _hand_graph(tmp_path: Path) -> Path:
    """init -> a -> c(chosen); init -> b -> d (terminal); b <-> e (a cycle, no way out)."""
    rec = GraphRecorder()
    fp = {name: f"{i + 1:016x}" for i, name in enumerate("iabcde")}
    for name, depth in (("i", 0), ("a", 1), ("b", 1), ("c", 2), ("d", 2), ("e", 2)):
        rec.add_node(fp[name], depth, name == "i", "v1" if name == "c" else "", f"state {name} <&>")
    pairs = (("i", "a"), ("a", "c"), ("i", "b"), ("b", "d"), ("b", "e"), ("e", "b"))
    actions = ("timeout 1 bal=1@1", "deliver Accepted 1@1 3->1", "timeout 2 bal=2@2", "crash 2",
               "duplicate Prepare 2@2 2->3", "deliver Prepare 2@2 2->3")
    for (src, dst), action in zip(pairs, actions, strict=True):
        rec.add_edge(fp[src], fp[dst], action)
    rec.add_edge(fp["d"], "00000000000000ff", "deliver Promise 1@1 3->1")  # successor never recorded: left out
    block = rec.write(tmp_path, exhaustive=True)
    # d's transition to a state never recorded is left out, so the graph is not whole although the search was
    assert block == {"graphml": "graph.graphml", "dot": "graph.dot", "states": 6, "edges": 6,
                     "limit": DEFAULT_GRAPH_LIMIT, "complete": False, "capped": False}
    return tmp_path / "graph.graphml"


def test_graphml_follows_the_format_as_networkx_reads_it(tmp_path: Path) -> None:
    g = nx.read_graphml(_hand_graph(tmp_path))
    assert g.number_of_nodes() == 6 and g.number_of_edges() == 6
    init = g.nodes["0000000000000001"]
    assert init == {"depth": 0, "init": True, "chosen": "", "label": "state i <&>"}
    assert g.nodes["0000000000000004"]["chosen"] == "v1"
    assert g.edges["0000000000000001", "0000000000000003"]["action"] == "timeout 2 bal=2@2"
    dot = (tmp_path / "graph.dot").read_text()
    assert dot.startswith("digraph states {") and '"0000000000000002" -> "0000000000000004"' in dot


def test_fast_and_general_graphml_readers_agree(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", kind="held", graph_states=400)
    fast = load_graphml(run / "graph.graphml")
    general = load_graphml(run / "graph.graphml", fast=False)
    assert fast == general and len(fast.ids) == 400 and len(fast.src) > 400
    # GraphML from another writer (networkx: key ids d0, d1, ...) takes the general path.
    g = nx.read_graphml(run / "graph.graphml")
    nx.write_graphml(g, tmp_path / "nx.graphml")
    other = load_graphml(tmp_path / "nx.graphml")
    assert sorted(other.ids) == sorted(fast.ids) and len(other.src) == len(fast.src)
    assert dict(zip(other.ids, other.label, strict=True)) == dict(zip(fast.ids, fast.label, strict=True))


def test_progress_finds_states_that_cannot_reach_a_choice(tmp_path: Path) -> None:
    graph = load_graphml(_hand_graph(tmp_path))
    a = analyse(graph, complete=True)
    assert (a.states, a.edges, a.max_depth, a.initial, a.reachable) == (6, 6, 2, 1, 6)
    assert (a.chosen_states, a.terminal, a.stuck, a.stuck_terminal) == (1, 2, 3, 1)  # b, d, e stuck; c, d terminal
    assert a.path_ids == ["0000000000000001", "0000000000000003"]
    assert a.path_actions == ["timeout 2 bal=2@2"]


def test_progress_with_no_chosen_state_marks_every_state(tmp_path: Path) -> None:
    graph = StateGraph(tmp_path, ids=["0" * 16, "1" * 16], init=[True, False], chosen=["", ""], label=["x", "y"])
    graph.depth.extend([0, 1])
    graph.src.append(0)
    graph.dst.append(1)
    graph.action.append("timeout 1")
    a = analyse(graph, complete=True)
    assert a.stuck == 2 and a.path_ids == ["0" * 16]


ToyState = tuple[int, int, int, str, int]


class DuelingToy:
    """A toy model: two proposers with two ballots each (p1: 1, 3; p2: 2, 4), one crash allowed.

    State: (ballots started by p1, by p2, votes for the leading ballot, chosen value, crashed
    proposer or 0). A new leading ballot wipes the votes; two votes choose the leader's value.
    When the leader crashes and the other proposer has no ballot left that beats it, no value
    can ever be chosen: the dead end the progress analysis must find.
    """

    def initial_states(self) -> list[ToyState]:
        return [(0, 0, 0, "", 0)]

    def successors(self, s: ToyState) -> list[tuple[str, ToyState]]:
        r1, r2, votes, chosen, crashed = s
        if chosen:
            return []
        ballot = {1: 2 * r1 - 1 if r1 else 0, 2: 2 * r2 if r2 else 0}
        leader = max((1, 2), key=lambda p: ballot[p]) if r1 or r2 else 0
        out: list[tuple[str, ToyState]] = []
        for p, r in ((1, r1), (2, r2)):
            if r < 2 and p != crashed:
                n1, n2 = (r + 1, r2) if p == 1 else (r1, r + 1)
                new = 2 * n1 - 1 if p == 1 else 2 * n2
                out.append((f"timeout {p}", (n1, n2, 0 if new > ballot[leader or p] else votes, "", crashed)))
        if leader and leader != crashed:
            value = "ab"[leader - 1] if votes + 1 == 2 else ""
            out.append(("vote", (r1, r2, votes + 1, value, crashed)))
            if not crashed:
                out.append((f"crash {leader}", (r1, r2, votes, "", leader)))
        return out

    def fingerprint(self, s: ToyState) -> int:
        r1, r2, votes, chosen, crashed = s
        return 1 + r1 + 3 * r2 + 9 * votes + 27 * " ab".index(chosen or " ") + 81 * crashed

    def describe_state(self, s: ToyState) -> str:
        return f"p1 {s[0]} p2 {s[1]} votes {s[2]} chosen {s[3] or '-'} crashed {s[4] or '-'}"

    def describe(self, s: ToyState, action: str, t: ToyState) -> StepRow:
        event, _, node = action.partition(" ")
        if event == "vote":
            return StepRow("deliver", node="1", peer="3", msg_type="Accepted", bal=f"{max(t[0], t[1])}")
        return StepRow(event, node=node)


def test_transition_hook_records_a_bfs_and_reports_read_it(tmp_path: Path) -> None:
    model = DuelingToy()
    rec = GraphRecorder()
    hook = rec.transition_hook(cast(Model, model), lambda s: cast(ToyState, s)[3], model.initial_states())
    frontier, seen = model.initial_states(), set(model.initial_states())
    depth = {model.initial_states()[0]: 0}
    while frontier:  # a plain BFS, calling the hook as the engine does
        nxt = []
        for s in frontier:
            for action, t in model.successors(s):
                hook(s, action, t)
                if t not in seen:
                    seen.add(t)
                    depth[t] = depth[s] + 1
                    nxt.append(t)
        frontier = nxt
    assert rec.write(tmp_path)["states"] == len(seen)
    graph = load_graphml(tmp_path / "graph.graphml")
    assert dict(zip(graph.label, graph.depth, strict=True)) == {model.describe_state(s): d for s, d in depth.items()}
    a = analyse(graph, complete=True)


    def can_choose(s: ToyState, path: frozenset[ToyState] = frozenset()) -> bool:  # brute force, the oracle
        return bool(s[3]) or any(can_choose(t, path | {s}) for _, t in model.successors(s) if t not in path)

    dead = {s for s in seen if not can_choose(s)}
    assert a.stuck == len(dead) > 0
    assert a.stuck_examples[0][1] in {model.describe_state(s) for s in dead}
    assert a.path_actions[-1].startswith("crash") and "crashed" in a.path_labels[-1]
    assert a.chosen_states == sum(1 for s in seen if s[3])


def test_graph_recorder_is_capped_at_the_limit_and_says_so(tmp_path: Path) -> None:
    rec = GraphRecorder(limit=3)
    for i in range(3):
        rec.add_node(f"{i:016x}", 0, True, "", "")
    rec.add_node(f"{0:016x}", 5, False, "", "")  # a repeat is not a new state
    assert not rec.capped
    rec.add_node(f"{9:016x}", 1, False, "", "")  # past the cap: not kept, and the graph is marked partial
    rec.add_edge(f"{0:016x}", f"{9:016x}", "crash 1")
    assert rec.states == 3 and rec.capped
    block = rec.write(tmp_path)
    assert block["complete"] is False and block["limit"] == 3 and block["edges"] == 0
    with pytest.raises(UsageError, match="positive"):
        GraphRecorder(limit=0)


def test_graph_is_cheap_and_dot_only_for_small_graphs(tmp_path: Path) -> None:
    """Issue 12: --graph made a run 8-40x slower. Now the edge text is made once per distinct action, the
    graph is capped, and graph.dot (which Graphviz cannot lay out beyond a few thousand states) is skipped."""
    from checker.traces.graph import DOT_LIMIT

    rec = GraphRecorder(limit=DOT_LIMIT + 10)
    for i in range(DOT_LIMIT + 1):
        rec.add_node(f"{i + 1:016x}", 0, i == 0, "", "s")
    block = rec.write(tmp_path, exhaustive=True)
    assert block["dot"] is None and not (tmp_path / "graph.dot").exists() and block["complete"] is True


@pytest.mark.parametrize(
    "row",
    [
        StepRow("deliver", node="3", peer="1", msg_type="Prepare", bal="1@1"),
        StepRow("drop", node="4", peer="2", msg_type="Accept", bal="2@2", value="b c"),
        StepRow("crash", node="2"),
        StepRow("propose", node="1", bal="1@1", value="a"),
        StepRow("phase1a", bal="1"),
        StepRow("deliver", node="2", peer="4", msg_type="Promise", bal="0@2", max_vbal="0@1", max_val="v1"),
        StepRow("deliver", node="1", peer="3", msg_type="Nack", bal="0@1", max_vbal="0@2"),
    ],
)
def test_action_text_round_trips_into_the_chart(row: StepRow) -> None:
    event, node, peer, label = parse_action(format_action(row))
    assert (event, node, peer) == (row.event, row.node, row.peer)
    assert row.msg_type in label and row.value in label
    if row.msg_type == "Promise":  # messages whole in graph paths too (issue 12)
        assert label == "Promise 0@2 (accepted 0@1:v1)"
    if row.msg_type == "Nack":
        assert label == "Nack 0@1 (promised 0@2)"


def test_report_of_a_run_with_graph_has_progress_section(tmp_path: Path) -> None:
    md, html = _report(tmp_path, kind="held", graph_states=3000)
    assert "## State graph and progress" in md
    assert "Paxos guarantees safety in every execution" in html and "FLP" in html
    assert re.search(r"In this graph [\d,]+ of 3,000 reachable states \([\d.]+%\) can no longer reach", md)
    svg = re.search(r'<svg class="msc" id="progress-msc".*?</svg>', html, re.S)
    assert svg is not None and svg.group(0).count('class="breaking-step"') == 1
    assert '<g class="timeout">' in svg.group(0)  # the fixture's dueling turn is a timeout into the last ballot


def _render_big(tmp_path: Path, states: int) -> float:
    run = build_run(tmp_path / "big", kind="violated", graph_states=states)
    start = time.perf_counter()
    paths = render_report(run)
    seconds = time.perf_counter() - start
    md = paths.markdown.read_text()
    assert f"| states | {states:,} |" in md
    print(f"\nrendered a {states:,}-state report in {seconds:.2f} s")  # figures, not assertions
    return seconds


def test_report_of_20000_state_graph(tmp_path: Path) -> None:
    _render_big(tmp_path, 20_000)


@pytest.mark.slow
def test_report_of_100000_state_graph(tmp_path: Path) -> None:
    _render_big(tmp_path, 100_000)


# --- in a browser ----------------------------------------------------------------------------------------


def screenshot(html: Path, png: Path, profile: Path, height: int = 1600) -> None:
    """Headless Chromium screenshot of a local page."""
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size=1280,{height}",
         html.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    pil = pytest.importorskip("PIL.Image", reason="needs Pillow to read the screenshot")
    run = build_run(tmp_path / "run", kind="violated")
    html = render_report(run).html
    png = tmp_path / "shot.png"
    screenshot(html, png, tmp_path / "profile")
    image = pil.open(png).convert("RGB")
    assert image.size == (1280, 1600)
    colours = image.getcolors(maxcolors=1280 * 1600)  # (count, (r, g, b)) per distinct colour
    assert colours is not None
    non_white = sum(n for n, rgb in colours if min(rgb) < 240)
    assert non_white > 0.05 * 1280 * 1600, "page looks blank"
    assert len(colours) > 200, "too few colours for a report with tables and a chart"
    want = tuple(int(CHART_COLOR[i:i + 2], 16) for i in (1, 3, 5))
    chart = sum(n for n, rgb in colours if all(abs(a - b) <= 12 for a, b in zip(rgb, want, strict=True)))
    assert chart > 300, f"the growth chart line ({CHART_COLOR}) was not drawn"
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_summary_fixture_is_the_documented_shape(tmp_path: Path) -> None:
    summary = json.loads((build_run(tmp_path / "run", kind="violated") / "summary.json").read_text())
    documented = {"version", "command", "config", "model", "strategy", "exhaustive", "stopped_by", "states",
                  "transitions", "depth", "seconds", "peak_rss_mb", "states_per_depth", "coverage",
                  "symmetry_reduction", "properties", "proofs", "graph"}
    assert set(summary) == documented
    assert load_run(tmp_path / "run").summary.states == 3215
