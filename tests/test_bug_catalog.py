"""The bug catalog under the exhaustive explorer: each bug's smallest configuration, the faults it
needs, and its BFS-shortest counterexample lengths are pinned; every counterexample replays on the
reference cluster; the correct PaxosNode passes the very same configuration.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from checker.cli.main import main
from checker.config import CheckConfig
from checker.models.impl_model import ImplModel
from checker.models.reductions import Reductions
from checker.runs.summarize import trace_of
from checker.search.bfs import bfs
from checker.search.common import Limits, SearchOptions
from checker.traces.replay import ImplReplayer
from checker.traces.trace_csv import read_trace, write_trace
from paxos.bugs import CATALOG
from properties.inductive import BY_NAME as CONJUNCTS

#: bug -> (distinct states of its smallest configuration, BFS-shortest length per violated property)
PINNED: dict[str, tuple[int, dict[str, int]]] = {
    "overwrite_accept": (64, {"agreement": 8, "accepted_monotonic": 8, "refines_spec": 6,
                              "inv_1b_no_vote_between": 6, "inv_2a_safe": 7, "inv_2b_le_maxvbal": 8}),
    "own_value": (49, {"agreement": 8, "refines_spec": 7, "inv_2a_safe": 7}),
    "promise_drops_value": (49, {"agreement": 8, "refines_spec": 6, "inv_1b_no_vote_between": 6, "inv_2a_safe": 7}),
    # the first deviation (step 5) is the harmless re-promise no_tiebreak is built on; the bug is step 6
    "no_tiebreak": (84, {"agreement": 8, "inv_one_value_per_ballot": 8, "refines_spec": 5, "inv_2a_unique": 6}),
    "volatile_acceptor": (28, {"promise_monotonic": 3, "accepted_monotonic": 5, "refines_spec": 3,
                               "inv_1b_le_maxbal": 3, "inv_2a_safe": 4, "inv_2b_le_maxvbal": 5}),
    "eager_learner": (18, {"learner_integrity": 7}),
    "stale_promises": (64_986, {"agreement": 9, "refines_spec": 4, "inv_2a_safe": 4}),
    "minority_quorum": (52_369, {"agreement": 10, "refines_spec": 3, "inv_2a_safe": 3}),
    "duplicate_promises": (218_973, {"agreement": 12, "refines_spec": 4, "inv_2a_safe": 4}),
}
#: The correct node's state count on the same configurations (it differs where the bug adds states).
CORRECT_STATES = {
    "overwrite_accept": 49, "own_value": 49, "promise_drops_value": 49, "no_tiebreak": 49,
    "volatile_acceptor": 24, "eager_learner": 18, "stale_promises": 33_153, "minority_quorum": 26_053,
    "duplicate_promises": 26_053,
}
FAST = [name for name, (states, _) in PINNED.items() if states < 100_000]
SLOW = [name for name in PINNED if name not in FAST]


def _config(name: str, impl: str | None = None) -> CheckConfig:
    fields = dict(CATALOG[name].config)
    if impl is not None:
        fields["impl"] = impl
    return CheckConfig(**fields)


def _check_bug(name: str, tmp_path: Path) -> None:
    model = ImplModel(_config(name), reductions=Reductions.none())
    result = bfs(model)
    states, lengths = PINNED[name]
    assert result.exhaustive and result.states == states
    found = {p.name: len(p.path) for p in result.properties if p.status == "violated" and p.path is not None}
    assert found == lengths
    assert set(CATALOG[name].breaks) <= set(found) | {"refines_spec"}
    # The shortest counterexample of the worst property replays on the reference cluster.
    prop = "agreement" if "agreement" in found else min(found, key=lambda n: (n == "refines_spec", found[n]))
    path = result.prop(prop).path
    assert path is not None
    written = write_trace(tmp_path / f"{prop}.csv", trace_of(model, path, prop, "always"))
    trace = read_trace(written)
    outcome = ImplReplayer(_config(name)).run([s.row for s in trace.steps], [s.fingerprint for s in trace.steps],
                                              stop_at_violation=False)
    assert not outcome.mismatched_fingerprints, "explorer and reference cluster disagree on a state"
    assert (len(trace.steps), prop) in {(step, p) for step, p, _ in outcome.violations}
    # With the sound reductions (the default) the same properties are violated, and each
    # counterexample, spelled out as real steps, replays and is no shorter than the BFS-shortest.
    reduced_model = ImplModel(_config(name))
    reduced = bfs(reduced_model)
    assert reduced.exhaustive and reduced.states <= states
    assert {p.name for p in reduced.violated} == set(found)
    for p in reduced.violated:
        assert p.path is not None
        steps = trace_of(reduced_model, p.path, p.name, p.kind).steps
        assert len(steps) >= found[p.name]
        outcome = ImplReplayer(_config(name)).run([s.row for s in steps], [s.fingerprint for s in steps],
                                                  stop_at_violation=False)
        assert not outcome.mismatched_fingerprints, p.name
        assert (len(steps), p.name) in {(step, q) for step, q, _ in outcome.violations}, p.name
    # The correct node passes the very configuration that exposes the bug.
    correct = bfs(ImplModel(_config(name, impl="paxos:PaxosNode"), reductions=Reductions.none()))
    assert correct.exhaustive and correct.states == CORRECT_STATES[name]
    assert all(p.status == "held" for p in correct.properties)


@pytest.mark.parametrize("name", FAST)
def test_catalog_bug_found_with_pinned_shortest_counterexample(name: str, tmp_path: Path) -> None:
    _check_bug(name, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_catalog_bug_found_with_pinned_shortest_counterexample_slow(name: str, tmp_path: Path) -> None:
    _check_bug(name, tmp_path)


def _deep_bug(name: str, symmetry: bool, tmp_path: Path) -> None:
    """A bug whose configuration is too big to exhaust: BFS to the first violation (so the length is
    the shortest), the trace replayed on the reference cluster, and the correct node checked on
    every path of the same length (bounded: the claim is only "not within the bug's depth")."""
    info = CATALOG[name]
    cfg = CheckConfig(**dict(info.config))
    model = ImplModel(cfg, reductions=Reductions.none())
    result = bfs(model, SearchOptions(stop_on_first_violation=True, symmetry=symmetry))
    assert result.stopped_by == "violation"
    path = result.prop("refines_spec").path
    assert path is not None and len(path) == info.bfs_length
    written = write_trace(tmp_path / "refines_spec.csv", trace_of(model, path, "refines_spec", "step"))
    trace = read_trace(written)
    outcome = ImplReplayer(cfg).run([s.row for s in trace.steps], [s.fingerprint for s in trace.steps],
                                    stop_at_violation=False)
    assert not outcome.mismatched_fingerprints
    assert (len(path), "refines_spec") in {(step, p) for step, p, _ in outcome.violations}
    correct = bfs(ImplModel(replace(cfg, impl="paxos:PaxosNode"), reductions=Reductions.none()),
                  SearchOptions(symmetry=symmetry, limits=Limits(max_depth=len(path) + 1)))
    assert correct.stopped_by == "max_depth" and not correct.violated


@pytest.mark.deep
def test_highest_promised_value_needs_one_retry(tmp_path: Path) -> None:
    """Proposer 1 retries (ballots 2,1): its second ballot hears of v1 and v2 and takes the value of
    the highest promised ballot; refinement catches the wrong Phase2a at 17 steps (~2M states)."""
    _deep_bug("highest_promised_value", False, tmp_path)


@pytest.mark.deep
def test_volatile_ballot_needs_a_crash_and_a_second_ballot(tmp_path: Path) -> None:
    """Proposer 2 (ballots 1,2) crashes and reuses ballot 0@2; refinement catches its second Accept at 17.

    The state space to depth 17 is ~7M states; acceptor symmetry keeps it to ~1.2M representatives
    (orbits keep path lengths, so the length is still the shortest), and the counterexample is a
    real path of the unreduced cluster: it replays on the reference cluster with equal fingerprints.
    """
    _deep_bug("volatile_ballot", True, tmp_path)


@pytest.mark.deep
def test_volatile_ballot_deep_needs_four_ballots_and_a_crash(tmp_path: Path) -> None:
    """Proposer 1 (volatile round counter) adopts v2 at 1@1, crashes, times out twice back to 1@1 and
    sends v1 there: refinement catches the second Accept at 19 steps, found by BFS with the default
    reductions and acceptor symmetry (2.75 M states: 35 min on the loaded 2-core machine, 2026-12-06).
    The trace replays on the reference cluster."""
    info = CATALOG["volatile_ballot_deep"]
    out = tmp_path / "deep"
    assert main(["explore", "--impl", info.factory, "--ballots", "4,1", "--crashes", "1", "--learners", "0",
                 "--symmetry", "--stop-on-first", "--quiet", "--out", str(out)]) == 1
    summary = json.loads((out / "summary.json").read_text())
    violated = {p["name"]: p["trace"] for p in summary["properties"] if p["status"] == "violated"}
    # refines_spec is a deviation now (it does not stop the search): the search stops at the first
    # conjunct or safety property the reused ballot breaks, and refines_spec's trace is the shortest
    assert "refines_spec" in violated and set(violated) - {"refines_spec"}
    trace = read_trace(out / violated["refines_spec"])
    assert len(trace.steps) == info.bfs_length == 19
    assert main(["replay", str(out / violated["refines_spec"])]) == 1


def test_every_catalog_bug_has_a_pinned_bfs_length() -> None:
    assert set(CATALOG) == set(PINNED) | {"highest_promised_value", "volatile_ballot", "volatile_ballot_deep"}
    for name, info in CATALOG.items():
        assert info.bfs_length is not None, name
        if name in PINNED:
            assert info.bfs_length == min(PINNED[name][1].values()), name


# -- the default check finds every catalog bug -------------------------------------------------------
def _default_check_finds(name: str, tmp_path: Path) -> None:
    """`paxos-check explore --impl paxos.bugs:NAME` with no bound flags finds the bug. `--stop-on-first`
    only ends the same BFS at its first violation (a full run of a buggy node can take long: its bug
    multiplies states), and the trace it writes replays on the reference cluster."""
    out = tmp_path / name
    assert main(["explore", "--impl", f"paxos.bugs:{name}", "--stop-on-first", "--quiet", "--out", str(out)]) == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["ballots"] == [1, 2] and summary["config"]["crashes"] == 1
    violated = [p for p in summary["properties"] if p["status"] == "violated"]
    assert violated and all(p["trace"] for p in violated)
    # found by a safety property or a conjunct of the inductive invariant, never by refines_spec alone
    assert {p["name"] for p in violated} - {"refines_spec"}, name
    assert summary["deviation"] is None or summary["deviation"]["only"] is False
    for p in violated:
        assert main(["replay", str(out / p["trace"])]) == 1, p["name"]


#: Bugs beyond the default bounds (--ballots 1,2 --crashes 1): volatile_ballot_deep needs 4 ballots for
#: its first proposer. With no bound flag, explore sweeps larger bounds within --budget (docs/sweep.md), and
#: ballots 4,1 with 1 crash is the sweep's third configuration.
BEYOND_DEFAULT_BOUNDS = {"volatile_ballot_deep"}
WITHIN_DEFAULT_BOUNDS = sorted(set(CATALOG) - BEYOND_DEFAULT_BOUNDS)


@pytest.mark.slow
def test_default_check_finds_the_deep_volatile_ballot(tmp_path: Path) -> None:
    """`explore --impl paxos.bugs:volatile_ballot_deep` with no bound flag: the default bounds and ballots 2,1
    hold, the sweep's third configuration (ballots 4,1, 1 crash) breaks. With quiet blocks and symmetry that
    took about 60 s on a loaded machine (bench/results_budget.md); the budget here leaves room for a slow one."""
    out = tmp_path / "deep"
    assert main(["explore", "--impl", "paxos.bugs:volatile_ballot_deep", "--stop-on-first", "--budget", "900",
                 "--quiet", "--out", str(out)]) == 1
    summary = json.loads((out / "summary.json").read_text())
    assert [c["status"] for c in summary["sweep"]["configurations"]] == ["held", "held", "violated"]
    assert summary["config"]["ballots"] == [4, 1] and summary["config"]["crashes"] == 1
    violated = [p for p in summary["properties"] if p["status"] == "violated"]
    assert {p["name"] for p in violated} - {"refines_spec"}
    for p in violated:
        assert main(["replay", str(out / p["trace"])]) == 1, p["name"]


@pytest.mark.slow
@pytest.mark.parametrize("name", WITHIN_DEFAULT_BOUNDS)
def test_default_simulation_finds_the_bug(name: str, tmp_path: Path) -> None:
    """`paxos-check simulate --impl paxos.bugs:NAME` with no other flag (default configuration, walks and
    seed) reports the bug, and its minimized trace replays (a few seconds each)."""
    out = tmp_path / name
    assert main(["simulate", "--impl", f"paxos.bugs:{name}", "--quiet", "--out", str(out)]) == 1
    summary = json.loads((out / "summary.json").read_text())
    violated = [p for p in summary["properties"] if p["status"] == "violated"]
    # a conjunct of the inductive invariant usually breaks first, where the node deviates
    assert {p["name"] for p in violated} & {*CATALOG[name].breaks, *CONJUNCTS}
    # every violation has its trace (a hash_order finding too: its trace search re-runs the walks)
    assert all(p["trace"] for p in violated), [(p["name"], p.get("no_trace")) for p in violated if not p["trace"]]
    for p in violated:
        assert main(["replay", str(out / p["trace"])]) == 1, p["name"]


@pytest.mark.parametrize("name", WITHIN_DEFAULT_BOUNDS)
def test_default_check_finds_the_bug(name: str, tmp_path: Path) -> None:
    """All eleven, the two that need a retry and a crash included (bench/results_deviation.md: which property
    finds each, at which step, and how long it takes)."""
    _default_check_finds(name, tmp_path)
