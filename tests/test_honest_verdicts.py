"""No wrong verdict, no lost file, no hang (issue 25), each class through the real `paxos-check` script.

validate says VALID only of rows it understood and judged; export refuses a regression test that
would pass on its own node; graphs claim nothing about states whose successors were not all
explored; a user's code that exits is its failure; no output replaces an input; limits stop slow
properties and the coverage ground truth; a node unusable before its first step is refused.
"""

from __future__ import annotations

import csv
import json
import random
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from checker.errors import UsageError
from checker.inputs import read_bounded
from checker.traces.validate import _Execution, read_log, rounds, validate_round
from paxos import (
    LOG_COLUMNS,
    LOG_FORMAT,
    Accepted,
    Ballot,
    Cluster,
    ClusterConfig,
    Deliver,
    PaxosLogger,
    Propose,
    Timeout,
    chosen_values,
)
from properties.invariants import PROPERTIES, History, WorldView, inv_one_value_per_ballot
from properties.spec import SpecState
from tests.test_bad_input import PAXOS_CHECK, ROOT, assert_no_traceback, assert_refused, paxos_check, refused

SMALL = ("--acceptors", "3", "--proposers", "2", "--learners", "1", "--values", "2", "--ballots", "1",
         "--crashes", "0")


def write_log(path: Path, rows: list[dict[str, str]]) -> Path:
    """A paxos-log/1 file of `rows` (event, node, peer, msg_type, bal, value, ...), round 1 unless given."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(LOG_COLUMNS))
        writer.writeheader()
        for i, row in enumerate(rows, start=1):
            writer.writerow({c: "" for c in LOG_COLUMNS} | {"format": LOG_FORMAT, "step": str(i), "round": "1"}
                            | row)
    return path


def run_log(path: Path, steps: int = 60, acceptors: int = 3) -> Path:
    """The PaxosLogger log of a correct run: proposers propose, then messages are delivered in order."""
    logger = PaxosLogger(round=1, filename=path)
    cluster = Cluster(ClusterConfig.separate(acceptors, 2, 1), logger=logger)
    queue = list(cluster.step(Propose(cluster.config.proposers[0], "a")))
    queue += cluster.step(Propose(cluster.config.proposers[1], "b"))
    while queue and steps:
        queue += cluster.step(Deliver(queue.pop(0)))
        steps -= 1
    logger.save_to_csv()
    return path


# -- 1. validate judges every row or refuses it ------------------------------------------------------------


def test_validate_refuses_acceptors_that_leave_out_an_acting_acceptor(tmp_path: Path) -> None:
    log = run_log(tmp_path / "five.csv", acceptors=5)
    acceptors = sorted({int(r.node) for r in read_log(log) if r.event == "send" and r.msg_type == "Promise"
                        and r.node is not None})
    assert len(acceptors) >= 4
    assert paxos_check("validate", log).code == 0
    assert_refused(("validate", log, "--acceptors", ",".join(map(str, acceptors[:3]))),
                   f"node {acceptors[3]} acts as an acceptor", "--acceptors")


def test_validate_refuses_events_it_does_not_know(tmp_path: Path) -> None:
    other = write_log(tmp_path / "other.csv", [{"event": "client_request", "node": "1", "value": "x"},
                                               {"event": "commit", "node": "2", "value": "x"}])
    assert_refused(("validate", other), "other.csv:2", "unknown event 'client_request'")
    log = run_log(tmp_path / "run.csv")
    rows = list(csv.DictReader(open(log, newline="")))
    rows[5]["event"] = "heartbeat"
    mixed = write_log(tmp_path / "mixed.csv", rows)
    assert_refused(("validate", mixed), "mixed.csv:7", "unknown event 'heartbeat'")


@pytest.mark.parametrize(("row", "phrase"), [
    ({"event": "send", "node": "1", "peer": "2"}, "needs the message"),
    ({"event": "receive", "node": "2", "msg_type": "Prepare", "bal": "0@1"}, "needs the message's sender"),
    ({"event": "learn", "node": "4"}, "needs the value learned"),
    ({"event": "propose", "value": "a"}, "needs the node"),
])
def test_validate_refuses_rows_missing_what_it_needs(tmp_path: Path, row: dict[str, str], phrase: str) -> None:
    assert_refused(("validate", write_log(tmp_path / "log.csv", [row])), "log.csv:2", phrase)


def test_two_learners_learning_different_values_without_votes_is_a_violation(tmp_path: Path) -> None:
    log = write_log(tmp_path / "learns.csv", [
        {"event": "propose", "node": "1", "value": "a"}, {"event": "propose", "node": "2", "value": "b"},
        {"event": "learn", "node": "4", "value": "a"}, {"event": "learn", "node": "5", "value": "b"}])
    result = paxos_check("validate", log)
    assert_no_traceback(result)
    assert result.code == 1, result.output
    assert "agreement fails" in result.stdout and "two values decided" in result.stdout
    assert "line 4:" in result.stdout and "line 5:" in result.stdout


def test_a_decision_without_votes_cannot_be_judged(tmp_path: Path) -> None:
    log = write_log(tmp_path / "learns.csv", [
        {"event": "propose", "node": "1", "value": "a"}, {"event": "learn", "node": "4", "value": "a"}])
    assert_refused(("validate", log), "learns.csv:3", "cannot be judged")
    nothing = write_log(tmp_path / "nothing.csv", [{"event": "propose", "node": "1", "value": "a"}])
    assert_refused(("validate", nothing), "nothing to judge")


def test_validate_evaluates_sometimes_properties(tmp_path: Path) -> None:
    log = run_log(tmp_path / "run.csv", steps=200)
    result = paxos_check("validate", log, "--property", "tests.user_property_fixtures:two_acceptors_voted",
                         "--property", "tests.user_property_fixtures:never", "--json", tmp_path / "v.json")
    assert result.code == 0, result.output
    assert "two_acceptors_voted (sometimes): held in 1 of 1 execution(s) (first: round 1, step" in result.stdout
    assert "never (sometimes): held in 0 of 1 execution(s)" in result.stdout
    assert "sometimes_chosen (sometimes): held in 1 of 1" in result.stdout
    (execution,) = json.loads((tmp_path / "v.json").read_text())["executions"]
    assert set(execution["witnessed"]) == {"two_acceptors_voted", "sometimes_chosen"}


def _growing_log(path: Path, rows: int) -> Path:
    """Ballot after ballot, every message delivered once: the world grows with the log (bench/bench_validate.py)."""
    logger = PaxosLogger(round=1, filename=path)
    cluster = Cluster(ClusterConfig.separate(3, 2, 1), logger=logger)
    queue = list(cluster.step(Propose(1, "a"))) + list(cluster.step(Propose(2, "b")))
    turn = 0
    while len(logger.entries) < rows:
        while queue and len(logger.entries) < rows:
            queue += cluster.step(Deliver(queue.pop(0)))
        turn += 1
        queue += cluster.step(Timeout(1 + turn % 2))
    logger.save_to_csv()
    return path


def test_incremental_judgement_equals_the_whole_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """validate keeps the world incrementally (linear in rows); the verdicts are those of recomputing it all:
    the Spec step of every changing step, the history's chosen values and ballot conflicts."""
    compared = []
    fast = _Execution.explains

    def both(world: _Execution, nodes: SpecState, after: SpecState) -> bool:
        whole = world.ref.explain(world.spec(nodes, before=True), world.spec(after)) is not None
        compared.append(whole)
        assert fast(world, nodes, after) == whole
        return whole

    monkeypatch.setattr(_Execution, "explains", both)
    log = _growing_log(tmp_path / "grow.csv", 1500)
    (rows,) = rounds(read_log(log))
    result = validate_round(str(log), rows, PROPERTIES)
    assert result.ok and result.checked == result.steps > 700 and len(compared) > 300
    for edit in range(30):  # and on logs edited at random, where some steps are no Spec step
        rng = random.Random(edit)
        edited = list(rows)
        i = rng.randrange(len(edited))
        if edited[i].msg_type:
            edited[i] = replace(edited[i], bal=f"{rng.randrange(8)}@{rng.choice((1, 2))}")
        validate_round(str(log), edited, PROPERTIES)
    assert not all(compared)
    rng = random.Random(7)
    config = ClusterConfig.separate(3, 2, 1)
    for _ in range(200):
        msgs = [Accepted(rng.choice(config.acceptors), Ballot(rng.randrange(3), rng.choice((1, 2))),
                         rng.choice("ab")) for _ in range(rng.randrange(12))]
        history = History.empty(config)
        for i in range(0, len(msgs), 2):
            history = history.grow(msgs[i:i + 2])
        assert history == frozenset(msgs) and set(history.chosen) == chosen_values(config, msgs)
        plain = WorldView(config, {}, {}, frozenset(msgs), frozenset())
        fast = WorldView(config, {}, {}, history, frozenset())
        assert (inv_one_value_per_ballot(fast) is None) == (inv_one_value_per_ballot(plain) is None)


def test_an_edited_growing_log_is_still_rejected_at_its_step(tmp_path: Path) -> None:
    log = _growing_log(tmp_path / "grow.csv", 1500)
    rows = list(csv.DictReader(open(log, newline="")))
    line = next(i for i, r in enumerate(rows) if r["event"] == "send" and r["msg_type"] == "Accept"
                and r["bal"] == "5@2") + 2
    rows[line - 2]["value"] = "z"
    result = paxos_check("validate", write_log(tmp_path / "edited.csv", rows))
    assert result.code == 1, result.output
    assert "refines_spec fails" in result.stdout and f"line {line}: send Accept 5@2 z" in result.stdout


# -- 2. export --format pytest: a test that fails on its own node, or nothing ------------------------------


@pytest.fixture(scope="module")
def own_value_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("own") / "run"
    result = paxos_check("explore", "--impl", "paxos.bugs:own_value", *SMALL, "--out", out, "--quiet")
    assert result.code == 1, result.output
    return out


def test_export_refuses_a_witness_and_a_trace_that_does_not_replay(own_value_run: Path, tmp_path: Path) -> None:
    traces = own_value_run / "traces"
    assert_refused(("export", traces / "sometimes_chosen.csv", "--format", "pytest", "-o", tmp_path / "t.py"),
                   "is a witness of sometimes_chosen", "would pass at once")
    rows = list(csv.DictReader(open(traces / "refines_spec.csv", newline="")))
    first = next(r for r in rows if r["event"] == "deliver")
    first["bal"] = "1@9"
    edited = tmp_path / "edited.csv"
    with open(edited, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert_refused(("export", edited, "--format", "pytest", "-o", tmp_path / "t.py"), "does not replay on",
                   "paxos.bugs:own_value")
    assert not (tmp_path / "t.py").exists()
    assert_refused(("export", traces / "refines_spec.csv", "--format", "itf", "--impl", "nonexistent:x",
                    "-o", tmp_path / "t.json"), "--impl 'nonexistent:x'", "cannot import")


def test_an_exported_test_fails_on_the_node_it_was_made_from(own_value_run: Path, tmp_path: Path) -> None:
    test_file = tmp_path / "test_regression.py"
    result = paxos_check("export", own_value_run / "traces" / "refines_spec.csv", "--format", "pytest", "-o",
                         test_file)
    assert result.code == 0, result.output
    ran = subprocess.run([str(Path(PAXOS_CHECK).parent / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(test_file)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 1 and "1 failed" in ran.stdout, ran.stdout[-2000:]


# -- 3. graphs claim nothing about states whose successors were not all explored ---------------------------


def _graph_run(tmp_path: Path, *args: str) -> tuple[dict[str, object], str]:
    out = tmp_path / "run"
    result = paxos_check(*args, *SMALL, "--graph", "--out", out, "--quiet", timeout=120)
    assert_no_traceback(result)
    assert paxos_check("report", out).code == 0
    summary = json.loads((out / "summary.json").read_text())
    return summary["graph"], (out / "report.md").read_text()


@pytest.mark.parametrize("args", [("simulate", "--walks", "3"), ("explore", "--graph-limit", "40")])
def test_a_partial_graph_says_nothing_is_stuck(tmp_path: Path, args: tuple[str, ...]) -> None:
    graph, report = _graph_run(tmp_path, *args)
    assert graph["complete"] is False
    assert "no value can be chosen from here" not in report
    assert "not known (partial graph)" in report


def test_an_exhaustive_graph_is_complete(tmp_path: Path) -> None:
    graph, report = _graph_run(tmp_path, "explore")
    assert graph["complete"] is True and graph["capped"] is False
    assert "not known (partial graph)" not in report


# -- 4. a user's code that exits is its failure ------------------------------------------------------------


def test_a_property_that_exits_at_once_or_whose_module_exits_is_refused() -> None:
    assert_refused(("explore", *SMALL, "--property", "tests.user_property_fixtures:exits_at_once"),
                   "raised SystemExit: 0", "on the initial state")
    assert_refused(("explore", *SMALL, "--property", "tests.exiting_module:anything"),
                   "cannot import module 'tests.exiting_module': SystemExit: 0")
    assert_refused(("explore", *SMALL, "--impl", "tests.exiting_module:make"),
                   "--impl 'tests.exiting_module:make'", "SystemExit: 0")


@pytest.mark.parametrize(("prop", "what"), [("exits_after_an_accept", "SystemExit: 0"),
                                            ("interrupts_after_an_accept", "KeyboardInterrupt")])
def test_a_property_that_exits_mid_run_is_a_finding_with_a_trace(tmp_path: Path, prop: str, what: str) -> None:
    out = tmp_path / "run"
    result = paxos_check("explore", *SMALL, "--property", f"tests.user_property_fixtures:{prop}", "--out", out,
                         "--quiet")
    assert_no_traceback(result)
    assert result.code == 1, result.output
    assert f"the property itself raised {what}" in result.stdout
    replayed = paxos_check("replay", out / "traces" / f"{prop}.csv")
    assert replayed.code == 1 and prop in replayed.stdout, replayed.output


def test_a_node_that_exits_is_a_node_error(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = paxos_check("explore", *SMALL, "--impl", "tests.bad_nodes:ExitingOnAccept", "--out", out, "--quiet")
    assert_no_traceback(result)
    assert result.code == 1 and "node_error" in result.stdout, result.output
    assert (out / "traces" / "node_error.csv").is_file()


# -- 6. no output replaces an input; paths resolved once ---------------------------------------------------


def test_no_output_replaces_its_input(own_value_run: Path, tmp_path: Path) -> None:
    log = run_log(tmp_path / "run.csv")
    before = log.read_bytes()
    assert_refused(("validate", log, "--json", log), "is the input file", "choose another output path")
    trace = tmp_path / "trace.csv"
    trace.write_bytes((own_value_run / "traces" / "refines_spec.csv").read_bytes())
    for fmt in ("itf", "pytest"):
        assert_refused(("export", trace, "--format", fmt, "-o", trace), "is the input file")
    assert_refused(("minimize", trace, "-o", trace), "is the input file")
    assert log.read_bytes() == before
    assert trace.read_bytes() == (own_value_run / "traces" / "refines_spec.csv").read_bytes()


def test_a_property_that_changes_directory_does_not_move_the_run_directory(tmp_path: Path) -> None:
    result = paxos_check("explore", *SMALL, "--property", "tests.user_property_fixtures:changes_directory",
                         "--out", "run-here", "--json", "summary-here.json", "--quiet", cwd=tmp_path)
    assert result.code == 0, result.output
    assert (tmp_path / "run-here" / "summary.json").is_file() and (tmp_path / "summary-here.json").is_file()


# -- 7. limits stop slow properties and the coverage ground truth ------------------------------------------


@pytest.mark.parametrize("prop", ["slow_after_an_accept", "slow_at_once"])
def test_a_slow_property_honours_the_time_limit(prop: str) -> None:
    result = paxos_check("explore", *SMALL, "--property", f"tests.user_property_fixtures:{prop}",
                         "--time-limit", "2", "--quiet", timeout=50)  # the property sleeps 60 s per call
    assert_no_traceback(result)
    assert result.code == 3, result.output
    assert f"property {prop} did not return within the time limit" in result.stdout


def test_coverage_ground_truth_honours_the_time_limit(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = paxos_check("simulate", "--walks", "3", "--coverage", "--coverage-states", "10000000",
                         "--time-limit", "3", "--out", out, "--quiet", timeout=60)
    assert_no_traceback(result)
    coverage = json.loads((out / "summary.json").read_text())["walk_coverage"]
    assert coverage["ground_truth"] is None and coverage["ground_truth_stopped_by"] == "time_limit"
    assert "the exhaustive ground truth was stopped (time limit)" in result.stdout


def test_coverage_ground_truth_stops_at_ctrl_c(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen([PAXOS_CHECK, "simulate", "--walks", "3", "--coverage", "--coverage-states",
                             "10000000", "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # the run announces itself; three walks take well under a second, the BFS a minute
    time.sleep(5)  # whether the walks or the ground truth are then running, Ctrl-C stops the ground truth
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    coverage = json.loads((out / "summary.json").read_text())["walk_coverage"]
    assert coverage["ground_truth_stopped_by"] == "interrupted", rest


# -- 9. a node unusable before its first step; inputs read with a bound ------------------------------------


@pytest.mark.parametrize("node", ["RaisingSnapshotAtOnce", "UnhashableSnapshotAtOnce"])
@pytest.mark.parametrize("command", ["explore", "simulate", "fuzz"])
def test_a_snapshot_fault_before_the_first_step_is_refused(command: str, node: str) -> None:
    line = refused(command, "--impl", f"tests.bad_nodes:{node}", "--crashes", "0")
    assert "snapshot" in line and "before any step" in line


def test_inputs_are_read_with_a_bound(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(UsageError, match="larger than 1024 bytes"):
        read_bounded(big, "log", limit=1024)
    assert read_bounded(big, "log", limit=4096) == b"x" * 2048
