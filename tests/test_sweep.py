"""Default runs that grow their bounds (checker/runs/sweep.py): `explore` with no bound flag sweeps
configurations within --budget; any bound flag means exactly those bounds.

The fast tests run the sweep's machinery on one-acceptor clusters with short sequences of their own
(`execute_sweep(request, steps=...)`); the CLI's own sequence starts at the default bounds, whose
exhaustion takes seconds, so the end-to-end runs through it are tiny budgets or marked slow.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from checker.cli.flags import run_request
from checker.cli.main import build_parser, main
from checker.config import CheckConfig
from checker.errors import UsageError
from checker.runs.build import check_config
from checker.runs.request import Cluster, RunRequest
from checker.runs.scale import scale_options
from checker.runs.sweep import BOUND_FLAGS, SWEEP, Step, execute_sweep, sweep_applies, sweep_sentence
from checker.signals import ctrl_c_stops_search, ctrl_c_stops_sweep, stop_requested
from paxos._summary import STOPPED_BY, SWEEP_STATUSES, SweepConfiguration, SweepSummary
from paxos.bugs import CATALOG
from reports import _load

ROOT = Path(__file__).resolve().parents[1]
LOW_STALE = "tests.sweep_fixtures:low_stale_promises"


def _request(*argv: str) -> RunRequest:
    args = build_parser("explore").parse_args(["explore", *argv])
    return run_request(args, "explore", args.strategy, budget=args.budget)


def _small(impl: str, out: Path, budget: float, **fields: Any) -> RunRequest:
    """A one-acceptor, two-proposer cluster without learners: each configuration takes about a second."""
    return RunRequest(command="explore", strategy="bfs", out=str(out), quiet=True, budget=budget,
                      cluster=Cluster(impl=impl, acceptors=1, learners=0), **fields)


def _load_summary(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return data


def _statuses(summary: dict[str, Any]) -> list[str]:
    return [c["status"] for c in summary["sweep"]["configurations"]]


# -- the sequence ------------------------------------------------------------------------------------


def test_the_sweep_starts_at_the_default_bounds_and_reaches_the_deep_bug_third() -> None:
    default = check_config(Cluster())
    assert (SWEEP[0].ballots, SWEEP[0].crashes) == (default.ballots, default.crashes) == ((1, 2), 1)
    assert all(len(s.ballots) == default.proposers for s in SWEEP)
    deep = CATALOG["volatile_ballot_deep"].config
    assert SWEEP.index(Step(tuple(deep["ballots"]), deep["crashes"])) == 2  # after 1,2 and 2,1
    # more ballots for one proposer (proposer 1 first), then for each, then more crashes
    assert [s.ballots for s in SWEEP[:5]] == [(1, 2), (2, 1), (4, 1), (1, 4), (2, 2)]
    assert [s.crashes for s in SWEEP] == [1] * 5 + [2] * (len(SWEEP) - 5)
    # no configuration is contained in an earlier one (its search would repeat work already exhausted)
    for i, later in enumerate(SWEEP):
        for earlier in SWEEP[:i]:
            assert not (all(a <= b for a, b in zip(later.ballots, earlier.ballots, strict=True))
                        and later.crashes <= earlier.crashes), (later, earlier)


@pytest.mark.parametrize("flag", [f for f, _ in BOUND_FLAGS])
def test_any_bound_flag_means_exactly_those_bounds(flag: str) -> None:
    zero = ("--crashes", "--learners", "--drops", "--max-round")  # 0 is a bound too
    value = {"--network": ["set"], "--colocated": [], "--unsafe-quorums": [],
             "--ballots": ["1,2"]}.get(flag, ["0" if flag in zero else "1"])
    assert sweep_applies(_request("--quiet")) and sweep_applies(_request("--impl", "paxos.bugs:own_value"))
    assert not sweep_applies(_request(flag, *value))
    with pytest.raises(UsageError, match=f"--budget grows the bounds when no bound flag is given, and {flag}"):
        sweep_applies(_request(flag, *value, "--budget", "5"))


def test_no_sweep_for_the_spec_or_a_checkpoint() -> None:
    assert not sweep_applies(_request("--model", "spec"))
    assert not sweep_applies(_request("--checkpoint", "ck"))
    with pytest.raises(UsageError, match="--model spec runs exactly its bounds"):
        sweep_applies(_request("--model", "spec", "--budget", "5"))
    with pytest.raises(UsageError, match="--checkpoint continues one"):
        sweep_applies(_request("--checkpoint", "ck", "--budget", "5"))


def test_budget_with_a_bound_flag_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "--crashes", "0", "--budget", "5", "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--crashes" in err and "--time-limit" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("flags", [["--impl", "nosuch:make"], ["--impl", "tests.bad_nodes:RaisingSnapshotAtOnce"],
                                   ["--property", "nosuch.py:prop"]], ids=["no-module", "bad-node", "no-property"])
def test_a_bad_node_or_property_is_refused_in_one_line_before_the_sweep(flags: list[str], tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """As in a single run: the node and the properties are checked before any work, so the refusal is the only
    line (no sweep announced first) and an earlier sweep's configuration directories are still there."""
    earlier = tmp_path / "sweep" / "1"
    earlier.mkdir(parents=True)
    (earlier / "summary.json").write_text("{}", encoding="utf-8")
    capsys.readouterr()
    assert main(["explore", *flags, "--budget", "5", "--quiet", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured
    assert (earlier / "summary.json").is_file()


# -- exit codes and the summary ------------------------------------------------------------------------


def test_held_first_is_exit_0_whatever_later_configurations_reached(tmp_path: Path) -> None:
    steps = [Step((1, 1), 0), Step((2, 1), 0), Step((5, 5), 2)]  # the last cannot finish in the budget
    assert execute_sweep(_small("paxos:PaxosNode", tmp_path, 6.0), scale_options, steps) == 0
    summary = _load_summary(tmp_path)
    sweep = summary["sweep"]
    assert _statuses(summary) == ["held", "held", "bounded"]
    last = sweep["configurations"][-1]
    assert (last["stopped_by"], last["exhaustive"]) == ("budget", False) and last["states"] > 0
    assert (sweep["stopped_by"], sweep["reported"], sweep["not_reached"]) == ("budget", 1, [])
    # the summary's own fields are the deciding (first) configuration's: exhausted, held
    assert summary["config"]["ballots"] == [1, 1] and summary["exhaustive"] and summary["stopped_by"] is None
    assert summary["states"] == sweep["configurations"][0]["states"]
    for c in sweep["configurations"]:
        assert set(c) == set(SweepConfiguration.__annotations__)
        assert c["status"] in SWEEP_STATUSES and (c["stopped_by"] is None or c["stopped_by"] in STOPPED_BY)
        own = _load_summary(tmp_path / c["run_dir"])  # each configuration's own run directory
        assert own["config"]["ballots"] == c["bounds"]["ballots"] and own["states"] == c["states"]
        assert own["stopped_by"] == c["stopped_by"]
    assert set(sweep) == set(SweepSummary.__annotations__)
    witness = summary["properties"][[p["name"] for p in summary["properties"]].index("sometimes_chosen")]
    assert (tmp_path / witness["trace"]).is_file()
    assert _load.load_summary(tmp_path / "summary.json").raw["sweep"] == sweep  # the report reader takes it


def test_a_bug_of_the_lower_proposers_retry_is_found_by_the_second_configuration(tmp_path: Path,
                                                                                   capsys: pytest.CaptureFixture[str]
                                                                                   ) -> None:
    steps = [Step((1, 1), 0), Step((2, 1), 0), Step((3, 1), 0)]
    assert execute_sweep(_small(LOW_STALE, tmp_path, 60.0, report=True), scale_options, steps) == 1
    summary = _load_summary(tmp_path)
    assert _statuses(summary) == ["held", "violated"]
    assert summary["sweep"]["reported"] == 2 and summary["sweep"]["stopped_by"] == "violation"
    assert summary["sweep"]["not_reached"] == [{"ballots": [3, 1], "crashes": 0}]
    assert summary["config"]["ballots"] == [2, 1]  # the run's verdicts and traces are the violating configuration's
    violated = [p for p in summary["properties"] if p["status"] == "violated" and p["name"] != "refines_spec"]
    assert violated and all(p["trace"].startswith("traces/") for p in violated)
    out = capsys.readouterr().out
    assert "held for ballots 1,1 with 0 crashes (exhaustive); ballots 2,1 with 0 crashes: VIOLATED" in out
    report = (tmp_path / "report.md").read_text(encoding="utf-8")  # the report shows the sweep
    assert "#1 ballots 1,1, 0 crash(es): held, exhaustive" in report and "#2 ballots 2,1" in report
    assert "VIOLATED, 209 states (this report)" in report  # 334 without quiet blocks
    for p in violated:  # the trace carries its configuration: it replays as it is
        assert main(["replay", str(tmp_path / p["trace"])]) == 1, p["name"]


def test_the_default_bounds_unfinished_is_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Through the CLI: the default bounds take longer than a fifth of a second (any engine, so far)."""
    json_path = str(tmp_path / "s.json")
    assert main(["explore", "--budget", "0.2", "--quiet", "--out", str(tmp_path), "--json", json_path]) == 3
    summary = _load_summary(tmp_path)
    assert json.loads((tmp_path / "s.json").read_text()) == summary
    assert _statuses(summary) == ["bounded"] and summary["sweep"]["stopped_by"] == "budget"
    assert (summary["stopped_by"], summary["exhaustive"]) == ("budget", False)
    assert summary["config"]["ballots"] == [1, 2] and summary["config"]["crashes"] == 1
    assert len(summary["sweep"]["not_reached"]) == len(SWEEP) - 1
    out = capsys.readouterr().out
    assert "BOUNDED" in out and "Not even the default bounds were exhausted" in out and "HELD" not in out


def test_time_limit_caps_the_whole_sweep(tmp_path: Path) -> None:
    assert main(["explore", "--budget", "100", "--time-limit", "0.2", "--quiet", "--out", str(tmp_path)]) == 3
    summary = _load_summary(tmp_path)
    assert summary["stopped_by"] == "time_limit" and summary["sweep"]["stopped_by"] == "time_limit"
    assert summary["sweep"]["budget"] == 100


def test_a_budget_beyond_the_alarm_clock_is_no_limit(tmp_path: Path) -> None:
    """--budget 1e17 (finite, so accepted) is each configuration's time limit: a limit never reached, not an
    OverflowError from the timer that watches for a hung node handler."""
    assert execute_sweep(_small("paxos:PaxosNode", tmp_path, 1e17), scale_options, [Step((1, 1), 0)]) == 0
    assert _statuses(_load_summary(tmp_path)) == ["held"]


def test_a_time_limit_longer_than_the_default_budget_is_named(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`explore --time-limit 300` sweeps for the default --budget (60 s), not 300 s: the announcement says so."""
    request = dataclasses.replace(_small("paxos:PaxosNode", tmp_path, 1.0), budget=None, time_limit=300.0)
    assert execute_sweep(request, scale_options, [Step((1, 1), 0)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "--budget 60 s" in first and "--time-limit 300 s" in first and "--budget 300" in first


def test_a_node_without_acceptor_symmetry_is_swept_without_it(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Symmetry is on in a sweep only while the node treats acceptors alike: its refusal is no error there."""
    request = RunRequest(command="explore", strategy="bfs", out=str(tmp_path), quiet=True, budget=60.0,
                         cluster=Cluster(impl="tests.test_impl_symmetry:first_acceptor_deaf", acceptors=3, learners=0))
    code = execute_sweep(request, scale_options, [Step((1, 1), 0)])
    out = capsys.readouterr().out
    assert "so the sweep goes on without it (the refusal: --symmetry" in out
    summary = _load_summary(tmp_path)
    assert summary["sweep"]["configurations"][0]["symmetry"] is False and summary["config"]["symmetry"] is False
    assert code == 0 and summary["sweep"]["configurations"][0]["status"] == "held"


# -- Ctrl-C ---------------------------------------------------------------------------------------------

SCRIPT = textwrap.dedent("""
    import sys
    from checker.runs.request import Cluster, RunRequest
    from checker.runs.scale import scale_options
    from checker.runs.sweep import Step, execute_sweep
    request = RunRequest(command="explore", strategy="bfs", out=sys.argv[1], quiet=True, budget=300.0,
                         cluster=Cluster(impl="paxos:PaxosNode", acceptors=1, learners=0))
    sys.exit(execute_sweep(request, scale_options, [Step((1, 1), 0), Step((5, 5), 2), Step((6, 6), 2)]))
""")


def test_ctrl_c_writes_the_configurations_done_and_the_interrupted_one(tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(out)], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    seen = ""
    while "ballots=5,5" not in seen:  # the second configuration's announce line: its search is starting
        line = proc.stdout.readline()
        assert line, f"the sweep ended before its second configuration: {seen} {proc.communicate()}"
        seen += line
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (seen + rest, err)  # the first configuration held: exit 0 (docs/sweep.md)
    assert "Traceback" not in err
    summary = _load_summary(out)
    assert _statuses(summary) == ["held", "bounded"]
    interrupted = summary["sweep"]["configurations"][1]
    assert (interrupted["stopped_by"], interrupted["exhaustive"]) == ("interrupted", False) and interrupted["states"]
    assert summary["sweep"]["stopped_by"] == "interrupted"
    assert summary["sweep"]["not_reached"] == [{"ballots": [6, 6], "crashes": 2}]
    assert "bounded at" in rest and "(interrupted)" in rest


def test_a_sweep_stopped_by_ctrl_c_in_its_first_configuration_says_so(tmp_path: Path) -> None:
    """Not 'give a larger --budget' when the budget was not what stopped it."""
    entry = {"index": 1, "bounds": {"ballots": [1, 2], "crashes": 1}, "symmetry": True, "status": "bounded",
             "exhaustive": False, "stopped_by": "interrupted", "states": 30147, "transitions": 84650, "depth": 22,
             "seconds": 8.2, "violated": [], "deviation": False, "run_dir": "sweep/1"}
    sweep = {"budget": 60.0, "seconds": 8.2, "reported": 1, "stopped_by": "interrupted", "configurations": [entry],
             "not_reached": [s.bounds() for s in SWEEP[1:]]}
    text = sweep_sentence(sweep, SWEEP, tmp_path)
    assert "bounded at 8.2 s (interrupted)" in text and "not a verification" in text and "HELD" not in text
    assert "Ctrl-C" in text and "larger --budget" not in text
    budget = sweep_sentence({**sweep, "stopped_by": "budget",
                             "configurations": [{**entry, "stopped_by": "budget"}]}, SWEEP, tmp_path)
    assert "larger --budget" in budget


def test_ctrl_c_between_two_searches_of_a_sweep_is_not_lost() -> None:
    """A press while no search runs (a model being built, node checks) stops the next search as it starts."""
    before = signal.getsignal(signal.SIGINT)
    try:
        with ctrl_c_stops_sweep():
            assert not stop_requested()
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
            assert stop_requested()
            with ctrl_c_stops_search():  # the next configuration's search: it stops at its first check
                assert stop_requested()
            assert stop_requested()
        assert not stop_requested() and signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # results being written
    finally:
        signal.signal(signal.SIGINT, before)


# -- end to end through the default sequence (slow: the default bounds take seconds each) --------------------


@pytest.mark.slow
def test_default_explore_finds_a_bug_beyond_the_default_bounds(tmp_path: Path) -> None:
    """`paxos-check explore --impl NODE` with no bound flag: the default bounds hold for a node whose bug needs
    a retry of proposer 1; the sweep's second configuration (ballots 2,1) finds it, and its trace replays."""
    assert main(["explore", "--impl", LOW_STALE, "--stop-on-first", "--quiet", "--out", str(tmp_path)]) == 1
    summary = _load_summary(tmp_path)
    assert _statuses(summary) == ["held", "violated"]
    assert summary["config"]["ballots"] == [2, 1] and CheckConfig.from_json(
        {k: v for k, v in summary["config"].items() if k in CheckConfig.__dataclass_fields__}).crashes == 1
    traced = [p for p in summary["properties"] if p["status"] == "violated" and p["trace"]]
    assert traced
    for p in traced:
        assert main(["replay", str(tmp_path / p["trace"])]) == 1
