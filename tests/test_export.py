"""`paxos-check export TRACE --format itf|pytest`: traces that travel to Apalache/Quint and into a test suite.

The ITF output is loaded back, checked against the schema (ADR-015 plus Paxos.tla's variables),
and its states are checked against the Spec itself: every step but the one marked refines_spec
is a step of the Spec or a stutter. The pytest output fails on the buggy node and passes on ours.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checker.cli.main import main
from checker.traces.itf import ITF_VARS, check_itf, read_itf, spec_run, spec_states
from checker.traces.trace_csv import read_trace
from properties.spec import explain_step

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def own_value_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("own_value")
    assert main(["explore", "--impl", "paxos.bugs:own_value", "--crashes", "0", "--stop-on-first",
                 "--out", str(out), "--quiet"]) == 1
    return out / "traces" / "refines_spec.csv"


def test_itf_round_trips_and_every_unmarked_step_is_a_spec_step(own_value_trace: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.itf.json"
    assert main(["export", str(own_value_trace), "--format", "itf", "-o", str(path)]) == 0
    data = read_itf(path)
    assert check_itf(data) == []
    trace = read_trace(own_value_trace)
    assert data["vars"] == list(ITF_VARS)
    assert len(data["states"]) == len(trace.steps) + 1
    assert data["#meta"]["format"] == "ITF" and data["#meta"]["paxos-check"]["impl"] == "paxos.bugs:own_value"
    run = spec_run(trace)
    states = spec_states(data)
    assert states == run.states  # the round trip: what was written is read back unchanged
    marked = [i for i, s in enumerate(data["states"]) if s["#meta"].get("property") == "refines_spec"]
    assert marked == [len(trace.steps)]
    for i in range(1, len(states)):
        how = explain_step(run.spec_config, states[i - 1], states[i])
        assert (how is None) == (i in marked), f"step {i}: {how}"
        assert data["states"][i]["#meta"]["spec_action"] == how
    last = data["states"][-1]
    assert last["#meta"]["action"].startswith("deliver Promise 0@2")
    values = {(m["type"], m.get("val")) for m in last["msgs"]["#set"]}
    assert ("2a", "v2") in values  # the Accept of the own value, which Phase2a does not allow
    assert {k for k, _ in last["maxBal"]["#map"]} == {"a3", "a4", "a5"}


def test_a_spec_trace_exports_its_own_states(tmp_path: Path) -> None:
    out = tmp_path / "spec"
    assert main(["explore", "--model", "spec", "--out", str(out), "--quiet"]) == 0
    witness = out / "traces" / "sometimes_chosen.csv"
    path = tmp_path / "w.itf.json"
    assert main(["export", str(witness), "--format", "itf", "-o", str(path)]) == 0
    data = read_itf(path)
    assert check_itf(data) == []
    assert all(s["#meta"]["spec_action"] not in (None, "stutter") for s in data["states"][1:])
    last = data["states"][-1]
    assert sum(1 for m in last["msgs"]["#set"] if m["type"] == "2b") >= 2  # a quorum voted: a value is chosen


def _broken(data: dict[str, Any], how: str) -> dict[str, Any]:
    bad = copy.deepcopy(data)
    state = bad["states"][1]
    if how == "missing variable":
        del state["maxVal"]
    elif how == "bad bigint":
        state["maxBal"]["#map"][0][1] = {"#bigint": "1.5"}
    elif how == "wrong index":
        state["#meta"]["index"] = 7
    elif how == "bad message":
        state["msgs"]["#set"].append({"type": "1b", "bal": {"#bigint": "3"}})
    elif how == "bad vars":
        bad["vars"] = ["maxBal"]
    return bad


@pytest.mark.parametrize(("how", "expected"), [
    ("missing variable", "missing variables ['maxVal']"), ("bad bigint", "#bigint '1.5'"),
    ("wrong index", "#meta.index is not 1"), ("bad message", "is not a 1a/1b/2a/2b record"),
    ("bad vars", "vars are ['maxBal']"),
])
def test_the_schema_check_names_what_is_wrong(own_value_trace: Path, tmp_path: Path, how: str,
                                              expected: str) -> None:
    path = tmp_path / "t.itf.json"
    assert main(["export", str(own_value_trace), "--format", "itf", "-o", str(path)]) == 0
    problems = check_itf(_broken(json.loads(path.read_text()), how))
    assert any(expected in p for p in problems), problems


def _pytest(test_file: Path, impl: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("PAXOS_CHECK_IMPL", None)
    if impl is not None:
        env["PAXOS_CHECK_IMPL"] = impl
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
                          cwd=test_file.parent, env=env, capture_output=True, text=True, timeout=120)


def test_the_pytest_export_fails_on_the_bug_and_passes_on_the_correct_node(own_value_trace: Path,
                                                                           tmp_path: Path) -> None:
    test_file = tmp_path / "test_own_value_regression.py"
    assert main(["export", str(own_value_trace), "--format", "pytest", "-o", str(test_file)]) == 0
    text = test_file.read_text()
    assert "IMPL = os.environ.get(\"PAXOS_CHECK_IMPL\", 'paxos.bugs:own_value')" in text
    n = len(read_trace(own_value_trace).steps)
    assert f"# {n}. deliver Promise 0@2" in text
    buggy = _pytest(test_file)
    assert buggy.returncode == 1, buggy.stdout + buggy.stderr
    assert f"refines_spec fails at step {n} of {n} with paxos.bugs:own_value" in buggy.stdout
    fixed = _pytest(test_file, "paxos:PaxosNode")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    pointed = tmp_path / "test_pointed.py"
    assert main(["export", str(own_value_trace), "--format", "pytest", "--impl", "paxos:PaxosNode",
                 "-o", str(pointed)]) == 0
    assert _pytest(pointed).returncode == 0


def test_a_user_property_travels_into_the_exported_test(tmp_path: Path) -> None:
    out = tmp_path / "run"
    # exhausted at one acceptor: --stop-on-first would end at inv_2a_safe, one step before the user's property
    assert main(["explore", "--impl", "paxos.bugs:own_value", "--crashes", "0", "--no-refinement", "--acceptors", "1",
                 "--ballots", "1", "--property", "examples.my_properties:chosen_value_is_kept", "--out", str(out),
                 "--quiet"]) == 1
    test_file = tmp_path / "test_p2b.py"
    assert main(["export", str(out / "traces" / "chosen_value_is_kept.csv"), "--format", "pytest",
                 "-o", str(test_file)]) == 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "chosen_value_is_kept fails at step 8" in done.stdout, done.stdout


def test_export_refuses_bad_input_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "missing.csv"), "--format", "itf"]) == 2
    assert "cannot open the trace" in capsys.readouterr().err
    out = tmp_path / "spec"
    assert main(["explore", "--model", "spec", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["export", str(out / "traces" / "sometimes_chosen.csv"), "--format", "pytest",
                 "-o", str(tmp_path / "t.py")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a trace of the Spec" in err[0]
    assert main(["export", str(out / "traces" / "sometimes_chosen.csv"), "--format", "itf",
                 "-o", str(tmp_path)]) == 2  # a directory is no output file


def test_an_independent_itf_reader_reads_the_export(own_value_trace: Path, tmp_path: Path) -> None:
    """itf-py (Apalache's ADR author's reader) parses the export into the same states; skipped where it is
    not installed (`pip install itf-py`; it is not a dependency of paxos-check)."""
    itf = pytest.importorskip("itf_py.itf")
    path = tmp_path / "t.itf.json"
    assert main(["export", str(own_value_trace), "--format", "itf", "-o", str(path)]) == 0
    data = read_itf(path)
    parsed = itf.trace_from_json(data)
    assert list(parsed.vars) == list(ITF_VARS) and len(parsed.states) == len(data["states"])
    ours = spec_states(data)
    for state, mine in zip(parsed.states, ours, strict=True):
        names = list(state.values["maxBal"])
        assert tuple(state.values["maxBal"][n] for n in names) == mine.max_bal
        assert tuple(state.values["maxVBal"][n] for n in names) == mine.max_vbal
        assert len(state.values["msgs"]) == len(mine.msgs)
