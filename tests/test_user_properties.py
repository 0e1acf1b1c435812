"""`--property MODULE:FUNCTION`: a user's own properties, checked by explore, simulate, fuzz and replay.

Bad properties are one line and exit 2 before any work; a property that raises during a run is a
finding of that property (with the exception and file:line), never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli.main import main
from checker.config import CheckConfig
from checker.errors import UsageError
from checker.user_properties import check_user_properties, run_properties
from properties.invariants import PROPERTIES

EX = "examples.my_properties"
FX = "user_property_fixtures"
OWN_VALUE = ["--impl", "paxos.bugs:own_value", "--crashes", "0", "--no-refinement"]
#: A configuration small enough to exhaust: --stop-on-first would end at inv_2a_safe (the wrong Accept, step
#: 7), before the user's property fails (a chosen value replaced, step 8).
OWN_VALUE_SMALL = [*OWN_VALUE, "--acceptors", "1", "--ballots", "1"]


def summary(out: Path) -> dict[str, dict[str, object]]:
    data = json.loads((out / "summary.json").read_text())
    return {p["name"]: p for p in data["properties"]}


def test_explore_finds_a_user_invariant_on_a_catalog_bug_and_replay_reproduces_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    code = main(["explore", *OWN_VALUE_SMALL, "--property", f"{EX}:chosen_value_is_kept",
                 "--out", str(out), "--quiet"])
    assert code == 1
    text = capsys.readouterr().out
    assert "chosen_value_is_kept      always     violated  counterexample: 8 steps" in text
    props = summary(out)
    assert props["chosen_value_is_kept"]["status"] == "violated"
    assert props["chosen_value_is_kept"]["kind"] == "always"
    data = json.loads((out / "summary.json").read_text())
    assert data["config"]["properties"] == [f"{EX}:chosen_value_is_kept"]
    trace = out / "traces" / "chosen_value_is_kept.csv"
    assert main(["replay", str(trace)]) == 1
    replayed = capsys.readouterr().out
    assert "VIOLATION reproduced: chosen_value_is_kept fails at step 8: 'v1' is chosen at ballot 0@1" in replayed


def test_every_kind_held_on_the_correct_node_and_a_never_witnessed_sometimes_is_vacuous(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    code = main(["explore", "--ballots", "1", "--crashes", "0", "--out", str(out), "--quiet",
                 "--property", f"{EX}:learners_agree", "--property", f"{EX}:learned_value_is_stable",
                 "--property", f"{EX}:vote_never_goes_back", "--property", f"{FX}:two_acceptors_voted",
                 "--property", f"{FX}:never"])
    props = summary(out)
    assert code == 1  # `never` is never witnessed in an exhaustive run: the model is vacuous for it
    assert props["never"]["status"] == "violated" and props["never"]["kind"] == "sometimes"
    assert props["learners_agree"]["status"] == "held" and props["learners_agree"]["kind"] == "always"
    assert props["learned_value_is_stable"]["kind"] == "step"
    assert props["learned_value_is_stable"]["status"] == "held"
    assert props["votes_only_move_up"]["status"] == "held"  # named by its decorator
    assert props["two_acceptors_voted"]["status"] == "held" and props["two_acceptors_voted"]["trace"]
    names = list(props)
    assert names.index("votes_only_move_up") < names.index("sometimes_chosen")
    assert "votes_only_move_up        step       held" in capsys.readouterr().out


@pytest.mark.parametrize("sizes", [
    ["--proposers", "1", "--ballots", "2"],
    pytest.param([], marks=pytest.mark.slow, id="default-proposers"),  # 2 proposers, ballots 1,2: ~45 s loaded
], ids=["one-proposer-retrying", "default-proposers"])
def test_the_example_witness_needs_a_retry(sizes: list[str], tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["explore", "--crashes", "0", "--learners", "0", *sizes, "--out", str(out), "--quiet",
                 "--property", f"{EX}:a_retry_reaches_phase_2"]) == 0
    assert summary(out)["a_retry_reaches_phase_2"]["status"] == "held"


def test_the_example_witness_is_never_seen_without_a_retry(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["explore", "--crashes", "0", "--learners", "0", "--proposers", "1", "--ballots", "1",
                 "--out", str(out), "--quiet", "--property", f"{EX}:a_retry_reaches_phase_2"]) == 1
    assert summary(out)["a_retry_reaches_phase_2"]["status"] == "violated"


def test_simulate_and_fuzz_check_user_properties(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prop = ["--property", f"{EX}:chosen_value_is_kept"]
    sim = tmp_path / "sim"
    assert main(["simulate", *OWN_VALUE_SMALL, *prop, "--seed", "1", "--walks", "300",
                 "--out", str(sim), "--quiet"]) == 1
    assert summary(sim)["chosen_value_is_kept"]["status"] == "violated"
    # fuzz stops at its first failing step and names the first property failing there; the wrong Accept
    # breaks inv_2a_safe before any value is chosen twice, so it is given a property that fails before that
    fuzz = tmp_path / "fuzz"
    assert main(["fuzz", *OWN_VALUE, "--property", f"{FX}:one_value_proposed", "--seed", "1", "--examples", "300",
                 "--out", str(fuzz), "--quiet"]) == 1
    assert "VIOLATED: one_value_proposed: values v1, v2 were proposed" in capsys.readouterr().out
    props = summary(fuzz)
    assert props["one_value_proposed"]["status"] == "violated"
    assert main(["replay", str(fuzz / "traces" / "one_value_proposed.csv")]) == 1  # the trace names the property


def test_a_fuzz_witness_of_a_user_sometimes_property(tmp_path: Path) -> None:
    out = tmp_path / "fuzz"
    assert main(["fuzz", "--crashes", "0", "--property", f"{FX}:two_acceptors_voted", "--seed", "3",
                 "--examples", "10", "--out", str(out), "--quiet"]) == 0
    props = summary(out)
    assert props["two_acceptors_voted"]["status"] == "held"
    assert (out / "traces" / "two_acceptors_voted.csv").exists()


def test_a_property_raising_during_the_run_is_a_finding(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    code = main(["explore", "--ballots", "1", "--crashes", "0", "--out", str(out), "--quiet",
                 "--property", f"{FX}:raises_after_an_accept"])
    assert code == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    prop = summary(out)["raises_after_an_accept"]
    assert prop["status"] == "violated" and prop["trace"]
    assert main(["replay", str(out / prop["trace"])]) == 1  # type: ignore[operator]
    replayed = capsys.readouterr().out
    assert ("raises_after_an_accept fails at step" in replayed
            and "the property itself raised ZeroDivisionError: the property divided by zero at "
                "user_property_fixtures.py:" in replayed)


@pytest.mark.parametrize(("spec", "expected"), [
    ("no_such_module_here:prop", "cannot import module 'no_such_module_here'"),
    (f"{FX}:missing", "has no attribute 'missing'"),
    (f"{FX}:not_a_function", "is not a function"),
    (f"{FX}:three_arguments", "a property takes (view)"),
    (f"{FX}:raises_at_once", "raised RuntimeError: boom at user_property_fixtures.py:"),
    (f"{FX}:returns_a_number", "returned int 42 on the initial state"),
    (f"{FX}:agreement", "'agreement' is the name of a built-in property"),
    ("no_colon", "expected MODULE:FUNCTION"),
])
@pytest.mark.parametrize("command", ["explore", "simulate", "fuzz"])
def test_a_bad_property_is_one_line_and_exit_2(command: str, spec: str, expected: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main([command, "--property", spec, "--out", str(tmp_path / "run"), "--quiet"])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], captured.err
    assert "Traceback" not in captured.err
    assert not (tmp_path / "run" / "summary.json").exists(), "refused before any work"


def test_the_same_name_twice_and_flags_that_do_not_fit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ["--out", str(tmp_path / "run"), "--quiet"]
    assert main(["explore", "--property", f"{FX}:fine", "--property", f"{FX}:fine", *out]) == 2
    assert "was given already" in capsys.readouterr().err
    assert main(["explore", "--model", "spec", "--property", f"{FX}:fine", *out]) == 2
    assert "--property applies to --model impl only" in capsys.readouterr().err
    assert main(["explore", "--symmetry", "--property", f"{FX}:fine", *out]) == 2
    assert "--symmetry assumes every property treats acceptors alike" in capsys.readouterr().err


def test_run_properties_keep_the_builtins_and_put_the_witness_last() -> None:
    config = CheckConfig(properties=(f"{FX}:fine", f"{FX}:agreement_too"))
    names = [p.name for p in run_properties(config)]
    assert names[:len(PROPERTIES) - 1] == [p.name for p in PROPERTIES[:-1]]
    assert names[-3:] == ["fine", "renamed", "sometimes_chosen"]
    assert run_properties(CheckConfig()) == PROPERTIES
    assert "properties" not in CheckConfig().to_json()  # runs without --property keep their config as before
    assert CheckConfig.from_json(config.to_json()) == config
    check_user_properties(config)
    with pytest.raises(UsageError, match="raised RuntimeError"):
        check_user_properties(CheckConfig(properties=(f"{FX}:raises_at_once",)))


@pytest.mark.parametrize("command", [["explore", "--strategy", "dfs"],
                                     ["simulate", "--strategy", "swarm", "--workers", "2", "--walks", "400",
                                      "--seed", "2"]])
def test_dfs_and_the_swarm_check_user_properties_too(command: list[str], tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main([*command, *OWN_VALUE_SMALL, "--property", f"{EX}:chosen_value_is_kept",
                 "--out", str(out), "--quiet"]) == 1
    assert summary(out)["chosen_value_is_kept"]["status"] == "violated"


def test_a_learner_property_found_through_learners_apart_replays(tmp_path: Path) -> None:
    """learners_agree fails only for some values the apart learners can learn: its trace gets their steps."""
    out = tmp_path / "run"
    assert main(["explore", "--impl", "paxos.bugs:eager_learner", "--learners", "2", "--crashes", "0",
                 "--ballots", "1", "--no-refinement", "--property", f"{EX}:learners_agree", "--out", str(out),
                 "--quiet"]) == 1
    data = json.loads((out / "summary.json").read_text())
    assert "learners_apart" in data["config"]["reductions"]
    prop = summary(out)["learners_agree"]
    assert prop["status"] == "violated"
    assert main(["replay", str(out / str(prop["trace"]))]) == 1


def test_the_report_names_a_user_property(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["explore", *OWN_VALUE_SMALL, "--property", f"{EX}:chosen_value_is_kept",
                 "--out", str(out), "--quiet", "--report"]) == 1
    text = (out / "report.md").read_text()
    assert "chosen_value_is_kept" in text and "Counterexample: chosen_value_is_kept" in text
