"""`paxos-check` end to end through `checker.cli.main.main`: verdicts, exit codes, the run summary, bad flags.

Exit codes are the contract of DESIGN.md: 0 held within bounds, 1 violated, 2 bad usage (one
line on stderr, no traceback), 3 stopped early. A bounded or interrupted run must never say
HELD. The JSON summary must have every key of docs/formats.md with the documented types.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from checker.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
SPEC_FLAGS = ["--model", "spec", "--acceptors", "3", "--ballots", "2", "--values", "2", "--quiet"]
SMALL_IMPL = ["--acceptors", "3", "--proposers", "1", "--learners", "1", "--ballots", "1", "--crashes", "0",
              "--quiet"]
OWN_VALUE = ["--impl", "paxos.bugs:own_value", "--acceptors", "1", "--proposers", "2", "--learners", "0",
             "--values", "2", "--ballots", "1", "--crashes", "0", "--quiet"]

#: docs/formats.md: every top-level key of the run summary and the JSON types it may take.
SUMMARY_TYPES: dict[str, tuple[type, ...]] = {
    "version": (int,), "command": (str,), "config": (dict,), "model": (str,), "strategy": (str,),
    "exhaustive": (bool,), "stopped_by": (type(None), str), "states": (int,), "transitions": (int,),
    "depth": (int,), "seconds": (int, float), "peak_rss_mb": (int, float), "states_per_depth": (list,),
    "coverage": (dict,), "symmetry_reduction": (type(None), int, float), "properties": (list,),
    "proofs": (type(None), list), "graph": (type(None), dict),
}
#: docs/formats.md: the configuration keys every run records (limits, seed, workers, symmetry).
RUN_CONFIG_KEYS = {"seed", "max_states", "max_depth", "time_limit", "workers", "symmetry"}
IMPL_CONFIG_KEYS = {"acceptors", "proposers", "learners", "values", "ballots", "network", "crashes", "drops",
                    "duplicates", "impl"} | RUN_CONFIG_KEYS
STOP_REASONS = {"max_states", "max_depth", "time_limit", "interrupted", "violation"}


def run(argv: list[str]) -> int:
    """`main(argv)`, with argparse's own exits (SystemExit) turned into their code."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def load(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return data


def check_summary_shape(summary: dict[str, Any]) -> None:
    for key, types in SUMMARY_TYPES.items():
        assert key in summary, f"summary lacks {key}"
        assert isinstance(summary[key], types), f"{key}: {summary[key]!r} is not {types}"
    assert summary["version"] == 1
    assert summary["model"] in ("impl", "spec")
    assert summary["stopped_by"] is None or summary["stopped_by"] in STOP_REASONS
    assert all(isinstance(n, int) for n in summary["states_per_depth"])
    assert RUN_CONFIG_KEYS <= set(summary["config"])
    if summary["model"] == "impl":
        assert IMPL_CONFIG_KEYS <= set(summary["config"])
    for p in summary["properties"]:
        assert {"name", "kind", "status", "trace"} <= set(p)
        assert isinstance(p["name"], str) and p["kind"] in ("always", "sometimes", "step")
        assert p["status"] in ("held", "violated", "not_violated", "unknown")
        assert p["trace"] is None or (isinstance(p["trace"], str) and p["trace"].startswith("traces/"))


# -- explore ----------------------------------------------------------------------------------------


def test_explore_spec_counts_tlc_states(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explore", *SPEC_FLAGS, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "3,921 distinct states" in out and "depth 17" in out
    assert "HELD" in out and "exhaustive" in out
    summary = load(tmp_path)
    check_summary_shape(summary)
    assert (summary["command"], summary["model"], summary["strategy"]) == ("explore", "spec", "bfs")
    assert (summary["states"], summary["depth"], summary["exhaustive"], summary["stopped_by"]) == (3921, 17, True, None)
    assert sum(summary["states_per_depth"]) == 3921 and len(summary["states_per_depth"]) == 17
    assert {k: summary["config"][k] for k in ("acceptors", "ballots", "values")} == {
        "acceptors": 3, "ballots": 2, "values": 2}
    statuses = {p["name"]: p["status"] for p in summary["properties"]}
    assert set(statuses.values()) == {"held"} and {"agreement", "validity", "sometimes_chosen"} <= set(statuses)
    witness = next(p for p in summary["properties"] if p["name"] == "sometimes_chosen")
    assert witness["trace"] == "traces/sometimes_chosen.csv" and (tmp_path / witness["trace"]).is_file()
    assert isinstance(witness["witness_length"], int)


def test_explore_impl_summary_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explore", *SMALL_IMPL, "--out", str(tmp_path)]) == 0
    summary = load(tmp_path)
    check_summary_shape(summary)
    assert summary["states"] == 41 and summary["config"]["impl"] == "paxos:PaxosNode"  # 53 with --no-por
    assert summary["config"]["reductions"] == ["saturation", "crash", "learners_apart", "prompt_restart", "por"]
    assert summary["coverage"]["actions"]["deliver"] > 0
    assert {"actions", "messages"} <= set(summary["coverage"])  # "faults" only when a fault happened
    names = [p["name"] for p in summary["properties"]]
    assert {"agreement", "validity", "learner_integrity", "refines_spec", "sometimes_chosen"} <= set(names)
    assert "41 distinct states" in capsys.readouterr().out
    # the unreduced graph of the same configuration, for comparison
    assert run(["explore", *SMALL_IMPL, "--no-reductions", "--out", str(tmp_path / "all")]) == 0
    unreduced = load(tmp_path / "all")
    assert unreduced["states"] == 117 and unreduced["config"]["reductions"] == []


def test_json_flag_writes_the_same_summary(tmp_path: Path) -> None:
    extra = tmp_path / "elsewhere" / "s.json"
    extra.parent.mkdir()
    assert run(["explore", *SPEC_FLAGS, "--out", str(tmp_path / "run"), "--json", str(extra)]) == 0
    assert json.loads(extra.read_text(encoding="utf-8")) == load(tmp_path / "run")


@pytest.mark.parametrize("model_flags", [SPEC_FLAGS, SMALL_IMPL], ids=["spec", "impl"])
def test_max_states_is_bounded_never_held(model_flags: list[str], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explore", *model_flags, "--max-states", "20", "--out", str(tmp_path)]) == 3
    out = capsys.readouterr().out
    assert "BOUNDED" in out and "not a verification" in out
    assert "HELD" not in out and "verified" not in out.replace("not a verification", "")
    summary = load(tmp_path)
    check_summary_shape(summary)
    assert summary["exhaustive"] is False and summary["stopped_by"] == "max_states"
    assert summary["states"] <= 100
    for p in summary["properties"]:
        if p["kind"] == "sometimes":
            assert p["status"] in ("held", "unknown")  # a witness found early counts; none is no proof
        else:
            assert p["status"] == "unknown", p


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_memory_limit_stops_with_results_written(strategy: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A search too big for the machine ends bounded with its summary written, not killed by the system."""
    flags = ["explore", "--strategy", strategy, "--crashes", "0", "--quiet"]  # 131,845 states: limits are polled
    assert run([*flags, "--max-memory", "1", "--out", str(tmp_path)]) == 3
    summary = load(tmp_path)
    assert (summary["stopped_by"], summary["exhaustive"]) == ("max_memory", False)
    assert summary["config"]["max_memory_mb"] == 1
    assert "BOUNDED" in capsys.readouterr().out
    assert run(["explore", *SMALL_IMPL, "--out", str(tmp_path / "default")]) == 0
    default = load(tmp_path / "default")["config"]["max_memory_mb"]
    assert default is None or default > 100  # 80% of physical memory where the system says


def test_depth_and_time_limits_are_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explore", *SPEC_FLAGS, "--max-depth", "5", "--out", str(tmp_path)]) == 3
    assert load(tmp_path)["stopped_by"] == "max_depth"
    assert "BOUNDED" in capsys.readouterr().out


def test_violation_exits_1_and_writes_traces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explore", *OWN_VALUE, "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "VIOLATED: agreement" in out and "HELD" not in out
    summary = load(tmp_path)
    check_summary_shape(summary)
    violated = {p["name"]: p for p in summary["properties"] if p["status"] == "violated"}
    assert {"agreement", "refines_spec"} <= set(violated)
    for name, p in violated.items():
        assert p["trace"] == f"traces/{name}.csv"
        assert (tmp_path / "traces" / f"{name}.csv").is_file()
    assert violated["agreement"]["length"] == 8
    assert summary["exhaustive"] is True  # it kept going to settle every property


def test_stop_on_first_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explore", *OWN_VALUE, "--stop-on-first", "--out", str(tmp_path)]) == 1
    summary = load(tmp_path)
    assert (summary["stopped_by"], summary["exhaustive"]) == ("violation", False)
    # the wrong Accept deviates from Paxos.tla and breaks inv_2a_safe at the same step
    assert [p["name"] for p in summary["properties"] if p["status"] == "violated"] == ["inv_2a_safe", "refines_spec"]
    assert "held" not in {p["status"] for p in summary["properties"] if p["kind"] != "sometimes"}


def test_dfs_agrees_on_the_state_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explore", *SPEC_FLAGS, "--strategy", "dfs", "--out", str(tmp_path)]) == 0
    summary = load(tmp_path)
    assert (summary["strategy"], summary["states"], summary["exhaustive"]) == ("dfs", 3921, True)


def test_ballots_per_proposer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--ballots 1,2`: only the second proposer may time out, so the space lies between 1 and 2 for all."""
    flags = ["explore", "--acceptors", "1", "--learners", "0", "--crashes", "0", "--quiet"]
    counts = {}
    for ballots in ("1", "1,2", "2,1", "2"):
        assert run([*flags, "--ballots", ballots, "--out", str(tmp_path / ballots)]) == 0
        summary = load(tmp_path / ballots)
        counts[ballots] = summary["states"]
    assert summary["config"]["ballots"] == 2 and load(tmp_path / "1,2")["config"]["ballots"] == [1, 2]
    assert counts["1"] < counts["1,2"] < counts["2"] and counts["1"] < counts["2,1"] < counts["2"]
    assert counts["1,2"] != counts["2,1"]  # proposers are not interchangeable: ids break ballot ties
    assert run(["explore", *flags[1:], "--ballots", "1,2", "--impl", "paxos.bugs:stale_promises",
                "--out", str(tmp_path / "bug")]) == 1
    trace = tmp_path / "bug" / "traces" / "refines_spec.csv"
    assert run(["replay", str(trace)]) == 1  # the per-proposer budget travels in the trace and replays
    assert "ballots=1,2" in capsys.readouterr().out


# -- simulate -----------------------------------------------------------------------------------------


def test_simulate_is_never_a_verification(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["simulate", *SMALL_IMPL, "--walks", "50", "--walk-depth", "20", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "not a verification" in out and "HELD" not in out
    summary = load(tmp_path)
    check_summary_shape(summary)
    assert (summary["command"], summary["strategy"], summary["exhaustive"]) == ("simulate", "guided", False)
    # every walk ran and none failed: "not violated" (documented rule for random modes), never "held"
    assert {p["status"] for p in summary["properties"] if p["kind"] != "sometimes"} == {"not_violated"}


def test_simulate_finds_a_planted_bug(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["simulate", *OWN_VALUE, "--walks", "200", "--seed", "3", "--out", str(tmp_path)]) == 1
    assert (tmp_path / "traces" / "agreement.csv").is_file()
    assert "VIOLATED: agreement" in capsys.readouterr().out


# -- bad usage: exit 2, one line, no traceback ------------------------------------------------------


@pytest.fixture
def lacking_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable module whose factory builds nodes without most of the node protocol."""
    (tmp_path / "half_node_impl.py").write_text(
        "class Half:\n"
        "    def __init__(self, node_id, config):\n"
        "        self.node_id = node_id\n"
        "    def propose(self, value):\n"
        "        return []\n"
        "    def on_message(self, msg):\n"
        "        return []\n"
        "def make(node_id, config):\n"
        "    return Half(node_id, config)\n"
        "def broken(node_id, config):\n"
        "    raise RuntimeError('kaboom')\n"
        "NOT_CALLABLE = 3\n"
        "def picky(node_id, config):\n"
        "    from paxos import ConfigurationError, PaxosNode\n"
        "    if len(config.acceptors) > 1:\n"
        "        raise ConfigurationError('this node supports one acceptor only; use --acceptors 1')\n"
        "    return PaxosNode(node_id, config=config)\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return "half_node_impl"


BAD: dict[str, tuple[list[str], str]] = {
    "acceptors 0": (["explore", "--acceptors", "0"], "--acceptors must be"),
    "bag with spec": (["explore", "--network", "bag", "--model", "spec"], "--network applies to --model impl"),
    "drops on set": (["explore", "--drops", "1"], "need --network bag"),
    "no module": (["explore", "--impl", "nosuchmodule:f"], "cannot import module 'nosuchmodule'"),
    "no attribute": (["explore", "--impl", "paxos:NoSuchThing"], "has no attribute 'NoSuchThing'"),
    "no colon": (["explore", "--impl", "paxos"], "expected MODULE:FACTORY"),
    "lacking methods": (["explore", "--impl", "half_node_impl:make"],
                        "lack on_timeout, snapshot, restore, crash, learned, acceptor_state"),
    "factory raises": (["explore", "--impl", "half_node_impl:broken"], "kaboom"),
    "not callable": (["explore", "--impl", "half_node_impl:NOT_CALLABLE"], "is not callable"),
    "factory refuses the bounds": (["explore", "--impl", "half_node_impl:picky", "--acceptors", "3"],
                                   "supports one acceptor only"),
    "not an int": (["explore", "--acceptors", "x"], "invalid int value"),
    "ballots not an int": (["explore", "--ballots", "1,x"], "--ballots must be an integer or a comma list"),
    "ballots per proposer count": (["explore", "--ballots", "1,2,3"], "gives 3 limit(s) for 2 proposer(s)"),
    "ballots zero": (["explore", "--ballots", "1,0"], "--ballots must be an integer >= 1, got 0"),
    "ballots list for spec": (["explore", "--model", "spec", "--ballots", "1,2"], "ballots in all: one integer"),
    "max states 0": (["explore", "--max-states", "0"], "--max-states: expected an integer of at least 1"),
    "workers 0": (["explore", "--workers", "0"], "--workers: expected an integer of at least 1"),
    "negative time": (["explore", "--time-limit", "-1"], "--time-limit: expected a finite number greater than 0"),
    "zero memory": (["explore", "--max-memory", "0"], "--max-memory: expected a finite number greater than 0"),
    "disjoint quorums": (["explore", "--q1", "1", "--q2", "1"], "can be disjoint"),
    "colocated sizes": (["explore", "--colocated", "--acceptors", "3", "--proposers", "2"], "must be equal"),
    "crashes with spec": (["explore", "--model", "spec", "--crashes", "1"], "--crashes applies to --model impl"),
    "spec bug on impl": (["explore", "--spec-bug", "x"], "--spec-bug applies to --model spec only"),
    "walks 0": (["simulate", "--walks", "0"], "at least 1"),
    "missing trace": (["replay", "/nonexistent/trace.csv"], "cannot open the trace"),
    "unknown command": (["nosuchcommand"], "invalid choice"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_usage_is_one_line_and_exit_2(case: str, lacking_module: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    argv, words = BAD[case]
    if argv[0] in ("explore", "simulate"):
        argv = [*argv, "--quiet", "--out", str(tmp_path / "run")]
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err and captured.err.startswith("paxos-check")
    assert words in captured.err
    assert not (tmp_path / "run" / "summary.json").exists()  # nothing ran


# -- Ctrl-C --------------------------------------------------------------------------------------------


def start_cli(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "checker.cli", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def interrupt_after_start(proc: subprocess.Popen[str], seconds: float, presses: int = 1) -> tuple[str, str]:
    """Wait for the announce line (the search is starting), let it run, then press Ctrl-C (`presses` times)."""
    assert proc.stdout is not None
    head = ""
    while not head.endswith("\n") or not head.splitlines()[-1].startswith("paxos-check: "):
        line = proc.stdout.readline()  # the run's announce line comes right before the search
        assert line, f"the command ended before its search started: {proc.communicate()}"
        head += line
    time.sleep(seconds)
    for _ in range(presses):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.02)
    out, err = proc.communicate(timeout=60)
    return head + out, err


def test_ctrl_c_is_exit_3_with_an_interrupted_summary(tmp_path: Path) -> None:
    out_dir = tmp_path / "run"
    proc = start_cli(["explore", "--acceptors", "3", "--proposers", "2", "--ballots", "3", "--crashes", "1",
                      "--out", str(out_dir)], tmp_path)
    out, err = interrupt_after_start(proc, 1.5)
    assert proc.returncode == 3, (out, err)
    assert "Traceback" not in err
    assert "BOUNDED" in out and "interrupted" in out and "HELD" not in out
    summary = load(out_dir)
    check_summary_shape(summary)
    assert (summary["stopped_by"], summary["exhaustive"]) == ("interrupted", False)
    assert summary["states"] > 0
    assert {p["status"] for p in summary["properties"] if p["kind"] != "sometimes"} == {"unknown"}


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_impatient_ctrl_c_still_writes_the_partial_summary(strategy: str, tmp_path: Path) -> None:
    """Ctrl-C pressed three times: the first stops the search, the others cannot cut the writing short."""
    out_dir = tmp_path / "run"
    proc = start_cli(["explore", "--strategy", strategy, "--ballots", "2", "--quiet", "--out", str(out_dir)], tmp_path)
    out, err = interrupt_after_start(proc, 1.0, presses=3)
    assert proc.returncode == 3 and "Traceback" not in err, (out, err)
    summary = load(out_dir)
    assert (summary["stopped_by"], summary["exhaustive"]) == ("interrupted", False) and summary["states"] > 0
    assert "BOUNDED" in out


def test_no_arguments_runs_the_default_check_and_says_so(tmp_path: Path) -> None:
    """The default check is big (about a million states); interrupt it once it has said what it does."""
    proc = start_cli([], tmp_path)
    out, err = interrupt_after_start(proc, 0.5)
    assert "default exhaustive check of our PaxosNode" in out
    assert proc.returncode == 3 and "Traceback" not in err
    assert load(tmp_path / "paxos-check-run")["stopped_by"] == "interrupted"
