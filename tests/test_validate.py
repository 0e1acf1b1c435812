"""`paxos-check validate LOG.csv`: trace validation of real executions' event logs (`paxos-log/1`).

The seed tests' own logs are explained step by step; a log edited to contain an impossible step,
and the log of a real run of a catalog bug, are rejected at the step no Spec step explains.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker.cli.main import main
from checker.config import CheckConfig, load_factory
from checker.models.impl_steps import find_action
from checker.traces.trace_csv import read_trace
from checker.traces.validate import read_log, steps_of, validate_log
from paxos import Cluster, ClusterConfig, PaxosLogger
from properties.invariants import PROPERTIES

ROOT = Path(__file__).resolve().parent.parent
SEED_LOGS = ("test_basic.csv", "test_failures.csv", "test_concurrent.csv", "test_edge.csv", "test_integration.csv")


#: When this module was imported (collection): a log written after it was written by this session.
COLLECTED_AT = time.time()


def _run_seed_tests(logs: Path, categories: tuple[str, ...]) -> Path:
    """Write the category logs into `logs` by running those seed test modules in a fresh pytest."""
    env = dict(os.environ)
    env.pop("PAXOS_LOG_DIR", None)
    seed_tests = [str(ROOT / "tests" / f"test_seed_{c}.py") for c in categories]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--paxos-log-dir",
                           str(logs), *seed_tests], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    return logs


def _this_sessions_logs(request: pytest.FixtureRequest) -> Path | None:
    """The category logs this session's seed tests wrote (the test_seed_* modules run before this one), if
    every test was selected and each log was written after collection; else None."""
    opt = request.config.option
    if opt.keyword or getattr(opt, "deselect", None) or getattr(opt, "lf", False):
        return None
    logs: Path = request.getfixturevalue("paxos_log_dir")
    fresh = all((logs / n).is_file() and (logs / n).stat().st_mtime >= COLLECTED_AT for n in SEED_LOGS)
    return logs if fresh else None


@pytest.fixture(scope="module")
def seed_logs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_basic.csv as the seed's basic tests write it (the tests below read and edit its rounds)."""
    return _this_sessions_logs(request) or _run_seed_tests(tmp_path_factory.mktemp("seed-logs"), ("basic",))


@pytest.fixture(scope="module")
def all_seed_logs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five category logs, written by the seed tests themselves (in this session, or now)."""
    return _this_sessions_logs(request) or _run_seed_tests(
        tmp_path_factory.mktemp("seed-logs"), ("basic", "failures", "concurrent", "edge", "integration"))


@pytest.mark.parametrize("name", SEED_LOGS)
def test_the_seed_tests_own_logs_are_explained(all_seed_logs: Path, name: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(all_seed_logs / name)]) == 0
    out = capsys.readouterr().out
    assert "VALID: every step of" in out
    results = validate_log(all_seed_logs / name, PROPERTIES)
    assert len(results) > 1 and all(r.ok for r in results)
    assert all(r.checked == r.steps for r in results if not r.skipped)


def _edit(src: Path, dst: Path, event: str, msg_type: str, column: str, value: str) -> int:
    """Change `column` of the first row with this event and message type; return its line number."""
    with open(src, newline="") as handle:
        rows = list(csv.DictReader(handle))
    line = 0
    for i, row in enumerate(rows):
        if row["event"] == event and row["msg_type"] == msg_type:
            row[column], line = value, i + 2
            break
    with open(dst, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return line


@pytest.mark.parametrize(("event", "msg_type", "column", "value"), [
    ("send", "Accepted", "bal", "3@1"),  # a vote at a ballot nobody asked to vote in
    ("send", "Accept", "value", "other"),  # a second value for one ballot
    ("send", "Promise", "max_vbal", "0@2"),  # a promise reporting a vote its acceptor never cast
])
def test_a_log_edited_to_contain_an_impossible_step_is_rejected(seed_logs: Path, tmp_path: Path, event: str,
                                                                msg_type: str, column: str, value: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    edited = tmp_path / "edited.csv"
    line = _edit(seed_logs / "test_basic.csv", edited, event, msg_type, column, value)
    assert main(["validate", str(edited)]) == 1
    out = capsys.readouterr().out
    assert "refines_spec fails: Phase" in out  # the Spec action and its enabling condition (properties/explain.py)
    assert "NOT EXPLAINED: 1 of" in out
    (bad,) = [r for r in validate_log(edited, PROPERTIES) if not r.ok]
    first = bad.findings[0]
    assert first.property == "refines_spec"
    # at the edited row, or at the next one (which contradicts it), never later
    assert line - 1 <= first.line <= line + 1, (line, first)


def test_the_log_of_a_real_run_of_a_catalog_bug_is_rejected(tmp_path: Path) -> None:
    """own_value's counterexample, run for real on a logging Cluster: validate finds the Accept of its own value."""
    out = tmp_path / "run"
    assert main(["explore", "--impl", "paxos.bugs:own_value", "--crashes", "0", "--stop-on-first",
                 "--out", str(out), "--quiet"]) == 1
    trace = read_trace(out / "traces" / "refines_spec.csv")
    config = CheckConfig.from_json(trace.config)
    log_path = tmp_path / "own_value.csv"
    for impl, expect_ok in (("paxos.bugs:own_value", False), ("paxos:PaxosNode", True)):
        logger = PaxosLogger(round=1, filename=log_path)
        cluster = Cluster(config.cluster_config(), load_factory(impl), network=config.network,
                          budgets=config.budgets(), logger=logger)
        for step in trace.steps:
            action = find_action(cluster, step.row, config.value_names())
            if action is None:  # the correct node leaves the buggy schedule here
                break
            cluster.step(action)
        logger.save_to_csv()
        (result,) = validate_log(log_path, PROPERTIES)
        assert result.ok == expect_ok, result.findings
        if not expect_ok:
            assert result.findings[0].property == "refines_spec"
            assert any("send Accept 0@2 v2" in t for t in result.step_text[result.findings[0].step])


def test_steps_are_an_event_and_what_its_node_sent(seed_logs: Path) -> None:
    rows = [r for r in read_log(seed_logs / "test_basic.csv") if r.round == "1"]
    steps = steps_of(rows)
    assert steps[0][0].event == "propose" and {r.event for r in steps[0][1:]} == {"send"}
    assert all(r.node == s[0].node for s in steps for r in s)
    assert sum(len(s) for s in steps) == len(rows)


def test_a_user_property_in_validate(seed_logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = str(seed_logs / "test_basic.csv")
    assert main(["validate", log, "--property", "examples.my_properties:chosen_value_is_kept",
                 "--property", "examples.my_properties:learned_value_is_stable"]) == 0
    assert main(["validate", log, "--property", "user_property_fixtures:raises_after_an_accept"]) == 1
    out = capsys.readouterr().out
    assert "raises_after_an_accept fails: the property itself raised ZeroDivisionError" in out
    assert main(["validate", log, "--property", "no_such_module:p"]) == 2
    assert "cannot import module 'no_such_module'" in capsys.readouterr().err


def test_bad_input_is_one_line(tmp_path: Path, seed_logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.csv")]) == 2
    assert "cannot open the log" in capsys.readouterr().err
    out = tmp_path / "run"
    assert main(["explore", "--model", "spec", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["validate", str(out / "traces" / "sometimes_chosen.csv")]) == 2
    assert "this is a counterexample trace: use paxos-check replay" in capsys.readouterr().err
    broken = tmp_path / "broken.csv"
    _edit(seed_logs / "test_basic.csv", broken, "send", "Prepare", "bal", "one@1")
    assert main(["validate", str(broken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken.csv:3: bal: bad ballot 'one@1'" in err[0]


@pytest.mark.parametrize("cluster_config", [ClusterConfig.separate(3, 2, 1), ClusterConfig.separate(3, 2, 0),
                                            ClusterConfig.colocated(3)], ids=["separate", "no-learner", "colocated"])
def test_random_logged_runs_of_our_node_validate_and_unsafe_runs_of_a_bug_do_not(cluster_config: ClusterConfig,
                                                                                 tmp_path: Path) -> None:
    log_path = tmp_path / "run.csv"
    values = ["a", "b", "c"][:len(cluster_config.proposers)]
    for impl in ("paxos:PaxosNode", "paxos.bugs:no_tiebreak"):
        for seed in range(15):
            logger = PaxosLogger(round=seed, filename=log_path)
            cluster = Cluster(cluster_config, load_factory(impl), logger=logger)
            cluster.run(values, seed=seed, crash_rate=0.05, timeout_rate=0.05)
            logger.save_to_csv()
            (result,) = validate_log(log_path, PROPERTIES)
            if impl == "paxos:PaxosNode":
                assert result.ok, (seed, result.findings, result.step_text)
            elif len(cluster.chosen()) > 1:
                assert not result.ok and "agreement" in {f.property for f in result.findings}


def test_one_round_verbose_and_acceptors_given(seed_logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = str(seed_logs / "test_basic.csv")
    assert main(["validate", log, "--round", "1", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "round 1 (lines 2-" in out and "steps explained, every property held" in out
    assert main(["validate", log, "--round", "99"]) == 2
    assert "no round '99'" in capsys.readouterr().err
    # round 1 is the README example: five nodes, all acceptors; saying so changes nothing
    assert main(["validate", log, "--round", "1", "--acceptors", "1,2,3,4,5"]) == 0
    assert main(["validate", log, "--acceptors", "x"]) == 2


def test_json_verdicts(seed_logs: Path, tmp_path: Path) -> None:
    edited = tmp_path / "edited.csv"
    line = _edit(seed_logs / "test_basic.csv", edited, "send", "Accepted", "bal", "3@1")
    out = tmp_path / "v.json"
    assert main(["validate", str(edited), "--json", str(out)]) == 1
    data = json.loads(out.read_text())
    assert data["command"] == "validate" and data["valid"] is False
    first = next(e for e in data["executions"] if not e["ok"])
    assert first["round"] == "1" and first["findings"][0]["property"] == "refines_spec"
    assert any(f"line {line}:" in row for row in first["findings"][0]["rows"])
    assert all(e["ok"] for e in data["executions"][1:])
