"""Random search that finds deep bugs (issue 13): guided walks, PCT schedules, minimized traces, coverage.

Toys first (a combination lock that uniform walks cannot open), then Paxos: `simulate` finds
catalog bugs and writes traces minimized to the BFS-shortest length that replay; coverage
against an exhaustive ground truth equals the exhaustive counts on tiny configurations.
No timings are asserted: the figures are in bench/results_simulate.md.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest

from checker.cli.main import main
from checker.config import CheckConfig, config_flags
from checker.models.impl_model import ImplModel
from checker.models.reductions import Reductions
from checker.runs.coverage import GroundTruth, NoGroundTruth, coverage_report, format_report, ground_truth
from checker.search.bfs import bfs
from checker.search.common import SearchOptions
from checker.search.guided import guided_run
from checker.search.pct import Priorities
from checker.search.random_walk import uniform_run
from checker.search.shortcut import shortest, shortest_within
from checker.search.strategies import search
from checker.search.swarm import walk_chunk
from checker.traces.replay import ImplReplayer
from checker.traces.trace_csv import read_trace
from paxos.bugs import CATALOG
from tests.test_bug_catalog import PINNED
from tests.toy_models import Counter, DGraph


def combination_lock(n: int, traps: int) -> DGraph:
    """0 -> 1 -> ... -> n (bad), and from every i < n `traps` edges back to 0: a uniform walk opens
    the lock with probability (1 / (traps + 1)) ** n; a walk that prefers unseen states nearly always."""
    edges = [(i, i + 1) for i in range(n)] + [(i, 0) for i in range(1, n) for _ in range(traps)]
    return DGraph(edges, bad=frozenset({n}))


def catalog_flags(name: str) -> list[str]:
    """The bug's catalog configuration as command-line flags."""
    return config_flags(CATALOG[name].config)


# -- toys ---------------------------------------------------------------------------------------------


def test_guided_opens_a_combination_lock_that_uniform_walks_do_not() -> None:
    lock = combination_lock(12, traps=3)
    options = SearchOptions(walks=300, walk_depth=40, seed=1, stop_on_first_violation=True)
    uniform, _ = uniform_run(lock, options)
    guided, walker = guided_run(lock, options)
    assert uniform.status("not_bad") == "unknown"  # 300 walks: p(open) per walk is 4**-12
    assert guided.status("not_bad") == "violated"
    path = guided.prop("not_bad").path
    assert path is not None and path.last == 12
    assert walker.walks_done < 300


def test_shortcut_drops_a_walks_detours() -> None:
    """A walk that opened the lock with detours back to 0: the BFS bounded by its length finds the
    straight path (every action), and within the walk's own actions as well."""
    lock = combination_lock(6, traps=2)
    result, _ = uniform_run(lock, SearchOptions(walks=2000, walk_depth=200, seed=2, stop_on_first_violation=True))
    path = result.prop("not_bad").path
    assert path is not None and len(path) > 6
    assert len(shortest(lock, path, "not_bad")) == 6
    restricted = shortest_within(lock, path, "not_bad")
    assert restricted is not None and len(restricted) == 6 and set(restricted.actions()) <= set(path.actions())


@pytest.mark.parametrize("strategy", ["guided", "pct", "random"])
def test_every_walk_strategy_is_reproducible_and_finds_a_shallow_bug(strategy: str) -> None:
    model = Counter(limit=8, bug=(4, 2))
    a = search(model, strategy, SearchOptions(walks=300, walk_depth=30, seed=5))
    b = search(model, strategy, SearchOptions(walks=300, walk_depth=30, seed=5))
    assert (a.states, a.transitions) == (b.states, b.transitions)
    assert a.status("no_bug") == "violated" and not a.exhaustive
    path = a.prop("no_bug").path
    assert path is not None
    current = path.initial
    for action, state in path.steps:  # a real path of the model
        assert (action, state) in list(model.successors(current))
        current = state


@pytest.mark.parametrize("por", [True, False], ids=["quiet-blocks", "no-por"])
def test_a_walk_does_not_depend_on_the_walks_before_it_in_the_process(por: bool) -> None:
    """The implementation model interns envelopes in the order a process first meets them, and its
    successors come in that order; a walk must not follow it, or a swarm's chunk run by a fresh process
    (a Ray task, a pool worker) walks elsewhere than the same chunk after earlier chunks (650 states
    against 649 over Ray). Each chunk of walks, on a fresh model and on the model of the chunks before:
    the same states and transitions."""
    cfg = CheckConfig(learners=1, ballots=2, crashes=1)
    options = SearchOptions(walks=100, seed=7)
    warm = ImplModel(cfg, reductions=Reductions(por=por))
    for first in range(0, 100, 25):
        after = walk_chunk(warm, options, first, 25, None)
        alone = walk_chunk(ImplModel(cfg, reductions=Reductions(por=por)), options, first, 25, None)
        assert (alone["transitions"], alone["fps"].tolist()) == (after["transitions"], after["fps"].tolist()), first


def test_pct_runs_the_top_actor_until_a_change_point() -> None:
    """A PCT schedule: the enabled actor of highest priority acts; at a change point it drops below all."""
    model = Counter(limit=8, bug=None)
    schedule = Priorities(model, length=10, max_depth=1)
    schedule.begin(random.Random(4), walker=None)  # type: ignore[arg-type]
    actions = [("deliver", 0, 0), ("deliver", 1, 0), ("crash", 1, 0)]
    first = actions[schedule.choose(random.Random(1), actions, [0, 1, 2], depth=1)][1]
    for depth in range(2, 6):  # no change point: the same actor every time
        assert actions[schedule.choose(random.Random(depth), actions, [0, 1, 2], depth)][1] == first
    schedule.changes = [6]
    assert actions[schedule.choose(random.Random(0), actions, [0, 1, 2], depth=6)][1] == first
    assert actions[schedule.choose(random.Random(0), actions, [0, 1, 2], depth=7)][1] != first  # lowered


# -- coverage against ground truth ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["eager_learner", "volatile_acceptor", "own_value"])
def test_ground_truth_equals_the_exhaustive_search(name: str) -> None:
    model = ImplModel(CheckConfig(**dict(CATALOG[name].config)))
    truth = ground_truth(model, 10_000)
    exhaustive = bfs(model)
    assert isinstance(truth, GroundTruth) and exhaustive.exhaustive
    assert truth.states == exhaustive.states
    assert [len(d) for d in truth.per_depth] == list(exhaustive.states_per_depth)
    over = ground_truth(model, truth.states - 1)  # over the limit: no ground truth
    assert isinstance(over, NoGroundTruth) and over.reason == "too_large"
    late = ground_truth(model, 10_000, deadline=time.monotonic() - 1)  # the deadline passed: stopped, not a truth
    assert isinstance(late, NoGroundTruth) and late.reason == "time_limit"


def test_coverage_of_a_tiny_configuration_reaches_every_state() -> None:
    """Enough guided walks on 18 states visit all of them: the report says 100% at every depth,
    and no visited state lies outside the exhaustive set (the walks and the BFS agree)."""
    model = ImplModel(CheckConfig(**dict(CATALOG["eager_learner"].config)))
    truth = ground_truth(model, 10_000)
    assert isinstance(truth, GroundTruth)
    result, _ = guided_run(model, SearchOptions(walks=400, seed=0))
    report = coverage_report(result, truth, 10_000)
    gt = report["ground_truth"]
    assert gt["states"] == truth.states == gt["visited"] and gt["outside"] == 0 and gt["fraction"] == 1.0
    assert all(row["visited"] == row["exhaustive"] for row in gt["per_depth"])
    assert report["first_hits"]["learner_integrity"]["steps"] > 0  # steps of the reduced model (learners apart)
    text = format_report(report)
    assert "100.00%" in text and "learner_integrity" in text


def test_coverage_is_partial_and_per_depth_when_the_walks_are_few() -> None:
    model = ImplModel(CheckConfig(**dict(CATALOG["stale_promises"].config)))
    truth = ground_truth(model, 100_000)
    assert isinstance(truth, GroundTruth)
    result, _ = uniform_run(model, SearchOptions(walks=3, seed=0))
    gt = coverage_report(result, truth, 100_000)["ground_truth"]
    assert 0 < gt["visited"] < gt["states"] and gt["outside"] == 0
    assert gt["per_depth"][0] == {"depth": 1, "exhaustive": 1, "visited": 1}
    assert sum(r["exhaustive"] for r in gt["per_depth"]) == truth.states


def test_simulate_coverage_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    code = main(["simulate", *catalog_flags("volatile_acceptor"), "--walks", "200", "--coverage", "--quiet",
                 "--out", str(out)])
    assert code == 1
    text = capsys.readouterr().out
    assert "against the exhaustive state set" in text and "first hit per property" in text
    summary = json.loads((out / "summary.json").read_text())
    cov = summary["walk_coverage"]
    assert cov["ground_truth"]["states"] == bfs(ImplModel(CheckConfig(**dict(CATALOG["volatile_acceptor"].config)))
                                                ).states
    assert cov["growth"] and cov["distinct_states"] == summary["states"]


def test_simulate_coverage_without_ground_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--walks", "30", "--coverage", "--coverage-states", "100", "--quiet",
                 "--out", str(tmp_path / "o")])
    assert code == 0
    text = capsys.readouterr().out
    assert "no exhaustive ground truth" in text and "growth of distinct states" in text


@pytest.mark.parametrize("argv, words", [
    (["--coverage-states", "10"], "--coverage-states applies with --coverage only"),
    (["--coverage", "--strategy", "swarm"], "one-process strategy"),
    (["--strategy", "astar"], "invalid choice"),
])
def test_simulate_refuses_bad_coverage_flags(argv: list[str], words: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["simulate", *argv, "--out", str(tmp_path / "o")])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code  # type: ignore[assignment]
    assert code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


# -- Paxos: catalog bugs found at random, minimized to the BFS length, replayed -----------------------------


@pytest.mark.parametrize("name", ["own_value", "stale_promises", "promise_drops_value", "volatile_acceptor",
                                  "overwrite_accept", "eager_learner", "no_tiebreak", "minority_quorum",
                                  "duplicate_promises"])
def test_simulate_minimizes_to_the_bfs_shortest_length(name: str, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert main(["simulate", *catalog_flags(name), "--stop-on-first", "--walks", "5000", "--seed", "0", "--quiet",
                 "--out", str(out)]) == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["strategy"] == "guided"  # the default
    violated = [p for p in summary["properties"] if p["status"] == "violated"]
    assert violated
    for p in violated:
        shortest = PINNED[name][1][p["name"]]
        assert p["length"] <= shortest <= p["found_length"]
        trace = read_trace(out / p["trace"])
        outcome = ImplReplayer(CheckConfig(**dict(CATALOG[name].config))).run(
            [s.row for s in trace.steps], [s.fingerprint for s in trace.steps], stop_at_violation=False)
        assert not outcome.mismatched_fingerprints
        assert (len(trace.steps), p["name"]) in {(step, q) for step, q, _ in outcome.violations}


@pytest.mark.parametrize("name", ["overwrite_accept", "no_tiebreak", "own_value"])
def test_every_violated_property_is_minimized_to_its_bfs_length(name: str, tmp_path: Path) -> None:
    """Without --stop-on-first the walks go on and break every property the bug breaks (agreement
    included, at 8 steps where refines_spec needs 5 or 6); each trace comes out at its own BFS length."""
    out = tmp_path / "o"
    assert main(["simulate", *catalog_flags(name), "--walks", "500", "--seed", "1", "--quiet", "--out", str(out)]) == 1
    summary = json.loads((out / "summary.json").read_text())
    lengths = {p["name"]: p["length"] for p in summary["properties"] if p["status"] == "violated"}
    assert lengths == PINNED[name][1]


def test_no_minimize_keeps_the_walk(tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert main(["simulate", *catalog_flags("own_value"), "--stop-on-first", "--walks", "5000", "--seed", "0",
                 "--quiet", "--no-minimize", "--out", str(out)]) == 1
    summary = json.loads((out / "summary.json").read_text())
    assert all("found_length" not in p for p in summary["properties"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["volatile_ballot", "highest_promised_value"])
def test_deep_bugs_found_by_guided_walks_and_minimized_to_17(name: str, tmp_path: Path) -> None:
    """The two 17-step bugs: the default strategy finds each with a fixed seed, the trace is
    minimized to the BFS-shortest length (17) and replays."""
    out = tmp_path / "o"
    assert main(["simulate", *catalog_flags(name), "--stop-on-first", "--walks", "1000000", "--seed", "0",
                 "--quiet", "--out", str(out)]) == 1
    summary = json.loads((out / "summary.json").read_text())
    p = next(p for p in summary["properties"] if p["name"] == "refines_spec")
    assert p["status"] == "violated" and p["length"] <= CATALOG[name].bfs_length == 17
    assert main(["replay", str(out / p["trace"])]) == 1


@pytest.mark.slow
def test_guided_finds_volatile_ballot_with_fewer_transitions_than_uniform() -> None:
    """Seeds 0..4: the default guided walks need several times fewer transitions in all to the first
    violation than uniform walks (bench/results_simulate.md has 40 seeds: medians ~44k vs ~140k)."""
    cost = {}
    for name, run in (("guided", guided_run), ("uniform", uniform_run)):
        total = 0
        for seed in range(5):
            model = ImplModel(CheckConfig(**dict(CATALOG["volatile_ballot"].config)))
            result, _ = run(model, SearchOptions(walks=100_000, seed=seed, stop_on_first_violation=True))
            assert result.violated, (name, seed)
            total += result.transitions
        cost[name] = total
    assert 2 * cost["guided"] < cost["uniform"], cost
