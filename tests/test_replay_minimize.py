"""Replay (checker/traces/replay.py, `paxos-check replay`) and minimization (checker/traces/minimize.py).

A counterexample the explorer writes must replay to the same violation at the same step; the
same trace run against the correct node must say it does not reproduce; `minimize` must turn a
long random-walk counterexample into a shorter, 1-minimal one that still breaks the same
property and still replays.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from checker.cli.main import main
from checker.config import CheckConfig
from checker.errors import UsageError
from checker.models.impl_steps import step_cluster, world_fingerprint
from checker.traces.minimize import minimize_trace
from checker.traces.replay import ImpossibleStep, replayer_for
from checker.traces.trace_csv import Trace, TraceStep, read_trace, write_trace
from paxos import Propose
from properties.invariants import failing, view_of_cluster

OWN_VALUE_FLAGS = ["--impl", "paxos.bugs:own_value", "--acceptors", "1", "--proposers", "2", "--learners", "0",
                   "--values", "2", "--ballots", "1", "--crashes", "0", "--quiet"]
VOLATILE_ACCEPTOR_FLAGS = ["--impl", "paxos.bugs:volatile_acceptor", "--acceptors", "1", "--proposers", "1",
                           "--learners", "0", "--values", "1", "--ballots", "1", "--crashes", "1", "--quiet"]
#: own_value in a bigger world, where random walks wander long before agreement breaks.
WALK_CONFIG = CheckConfig(acceptors=3, proposers=2, learners=1, values=2, ballots=2, crashes=1,
                          impl="paxos.bugs:own_value")


@pytest.fixture(scope="module")
def own_value_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("own_value")
    assert main(["explore", *OWN_VALUE_FLAGS, "--out", str(out)]) == 1
    return out


def test_explored_counterexample_replays_to_the_same_step(
    own_value_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = own_value_run / "traces" / "agreement.csv"
    capsys.readouterr()
    assert main(["replay", str(path)]) == 1
    out = capsys.readouterr().out
    assert "VIOLATION reproduced: agreement fails at step 8: two values chosen" in out
    assert "fingerprints differ" not in out  # the cluster reaches exactly the explorer's states
    assert out.count("<-- ") >= 1 and "<-- agreement VIOLATED" in out


def test_refinement_counterexample_is_shorter_and_replays(
    own_value_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = read_trace(own_value_run / "traces" / "refines_spec.csv")
    assert len(trace.steps) == 7 and trace.steps[-1].property == "refines_spec"
    capsys.readouterr()
    assert main(["replay", str(own_value_run / "traces" / "refines_spec.csv")]) == 1
    assert "VIOLATION reproduced: refines_spec fails at step 7" in capsys.readouterr().out


def test_replay_against_the_correct_node_does_not_reproduce(
    own_value_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = own_value_run / "traces" / "agreement.csv"
    capsys.readouterr()
    assert main(["replay", str(path), "--impl", "paxos:PaxosNode"]) == 0
    captured = capsys.readouterr()
    assert "does NOT reproduce" in captured.out and "VIOLATION reproduced" not in captured.out
    assert captured.err == ""


def test_correct_node_runs_a_whole_trace_and_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The volatile-acceptor trace (propose, promise, crash) is a valid run of PaxosNode too: no violation."""
    assert main(["explore", *VOLATILE_ACCEPTOR_FLAGS, "--out", str(tmp_path)]) == 1
    path = tmp_path / "traces" / "promise_monotonic.csv"
    capsys.readouterr()
    assert main(["replay", str(path), "--impl", "paxos:PaxosNode"]) == 0
    out = capsys.readouterr().out
    assert "every property held" in out and "does NOT reproduce" in out
    assert main(["replay", str(path)]) == 1
    assert "promise_monotonic fails at step 3" in capsys.readouterr().out


def test_replayer_raises_impossible_step_with_the_row_index(own_value_run: Path) -> None:
    trace = read_trace(own_value_run / "traces" / "agreement.csv")
    rows = [s.row for s in trace.steps]
    with pytest.raises(ImpossibleStep) as info:
        replayer_for(trace).run(rows[1:])  # drop the first proposal: its Prepare is never sent
    assert info.value.index in (0, 1)


# -- minimize --------------------------------------------------------------------------------------


def random_walk_trace(seed: int, prop: str = "agreement", max_steps: int = 300) -> Trace | None:
    """Step a Cluster of own_value nodes at random until `prop` breaks; the walk as a trace."""
    cluster = WALK_CONFIG.new_cluster()
    mine = WALK_CONFIG.proposer_values()
    rng = random.Random(seed)
    trace = Trace("impl", WALK_CONFIG.impl, WALK_CONFIG.to_json(), prop,
                  initial_fingerprint=world_fingerprint(cluster))
    for _ in range(max_steps):
        actions = [a for a in cluster.enabled(WALK_CONFIG.value_names())
                   if not isinstance(a, Propose) or a.value == mine[a.node]]
        row = step_cluster(cluster, rng.choice(actions))
        broken = prop in [name for name, _ in failing(view_of_cluster(cluster))]
        trace.steps.append(TraceStep(row, world_fingerprint(cluster), prop if broken else ""))
        if broken:
            return trace
    return None


@pytest.fixture(scope="module")
def long_trace() -> Trace:
    """Seed 47's walk breaks agreement after 63 steps (seeds 0..46 give no walk of 40 to 80 steps)."""
    trace = random_walk_trace(47)
    assert trace is not None and len(trace.steps) == 63
    return trace


def breaks(trace: Trace, prop: str) -> list[int]:
    """Steps (1-based) at which `prop` first fails when `trace` is replayed; [] if it never does."""
    outcome = replayer_for(trace).run([s.row for s in trace.steps], stop_at_violation=False)
    return [n for n, name, _ in outcome.violations if name == prop]


def test_minimize_shortens_a_long_random_walk(long_trace: Trace, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert breaks(long_trace, "agreement") == [len(long_trace.steps)]
    short = minimize_trace(long_trace)
    assert short.property == "agreement"
    assert len(short.steps) < len(long_trace.steps)
    assert breaks(short, "agreement") == [len(short.steps)]  # breaks at its last step, not before
    assert [s.property for s in short.steps][-1] == "agreement"
    # 1-minimal: without any single step it is impossible or no longer breaks agreement
    rows = [s.row for s in short.steps]
    replayer = replayer_for(short)
    for i in range(len(rows)):
        try:
            outcome = replayer.run(rows[:i] + rows[i + 1 :], stop_at_violation=False)
        except ImpossibleStep:
            continue
        assert "agreement" not in [name for _, name, _ in outcome.violations], f"step {i + 1} was not needed"
    # and it replays through the command line
    path = write_trace(tmp_path / "short.csv", short)
    assert main(["replay", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"agreement fails at step {len(short.steps)}" in out and "fingerprints differ" not in out


def test_minimize_command_on_a_simulated_counterexample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["--impl", "paxos.bugs:own_value", "--acceptors", "3", "--proposers", "2", "--learners", "1",
             "--ballots", "2", "--crashes", "1", "--walks", "300", "--walk-depth", "80",
             "--seed", "6",  # a counterexample of 18 steps that minimize shortens (seed 1 now walks straight to 15)
             "--no-refinement", "--quiet", "--no-minimize",  # simulate minimizes by default
             "--no-por"]  # the walks of the model this test was written against: a long counterexample
    assert main(["simulate", *flags, "--out", str(tmp_path)]) == 1
    long_path = tmp_path / "traces" / "agreement.csv"
    short_path = tmp_path / "short.csv"
    capsys.readouterr()
    assert main(["minimize", str(long_path), "-o", str(short_path)]) == 0
    out = capsys.readouterr().out
    before, after = len(read_trace(long_path).steps), len(read_trace(short_path).steps)
    assert after < before and f"{before} -> {after} steps, agreement still fails" in out
    assert main(["replay", str(short_path)]) == 1
    assert f"VIOLATION reproduced: agreement fails at step {after}" in capsys.readouterr().out


def test_minimize_a_property_that_fails_together_with_another(tmp_path: Path) -> None:
    """volatile_acceptor's crash breaks promise_monotonic and refines_spec at the same step."""
    assert main(["explore", *VOLATILE_ACCEPTOR_FLAGS, "--out", str(tmp_path)]) == 1
    trace = read_trace(tmp_path / "traces" / "refines_spec.csv")
    short = minimize_trace(trace)
    assert short.property == "refines_spec" and len(short.steps) == 3
    assert short.steps[-1].property == "refines_spec"
    assert breaks(short, "refines_spec") == [3]


def test_minimize_refuses_a_trace_that_breaks_nothing(own_value_run: Path) -> None:
    trace = read_trace(own_value_run / "traces" / "agreement.csv")
    with pytest.raises(UsageError, match="does not break 'agreement'"):
        minimize_trace(trace, impl="paxos:PaxosNode")
    witness = read_trace(own_value_run / "traces" / "sometimes_chosen.csv")
    with pytest.raises(UsageError):
        minimize_trace(witness, prop="agreement")


def test_minimize_command_with_a_bad_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,trace\n", encoding="utf-8")
    assert main(["minimize", str(bad), "-o", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{bad}:1:" in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("flags", [
    ["--model", "spec", "--acceptors", "3", "--ballots", "2", "--values", "2", "--quiet"],
    ["--acceptors", "3", "--proposers", "1", "--learners", "1", "--ballots", "1", "--crashes", "0", "--quiet"],
], ids=["spec", "impl"])
def test_a_witness_replays_as_a_witness(flags: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A sometimes_chosen witness is no counterexample: replay must not call it a violation that failed to reproduce."""
    assert main(["explore", *flags, "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["replay", str(tmp_path / "traces" / "sometimes_chosen.csv")]) == 0
    out = capsys.readouterr().out
    assert "witness of sometimes_chosen" in out
    assert "does NOT reproduce" not in out and "VIOLATION" not in out
