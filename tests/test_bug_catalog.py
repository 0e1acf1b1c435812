"""The bug catalog under the exhaustive explorer: each bug's smallest configuration, the faults it
needs, and its BFS-shortest counterexample lengths are pinned; every counterexample replays on the
reference cluster; the correct PaxosNode passes the very same configuration.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from checker.bfs import bfs
from checker.config import CheckConfig
from checker.impl_model import ImplModel
from checker.replay import ImplReplayer
from checker.run import trace_of
from checker.search import Limits, SearchOptions
from checker.traces import read_trace, write_trace
from paxos.bugs import CATALOG

#: bug -> (distinct states of its smallest configuration, BFS-shortest length per violated property)
PINNED: dict[str, tuple[int, dict[str, int]]] = {
    "overwrite_accept": (64, {"agreement": 8, "accepted_monotonic": 8, "refines_spec": 6}),
    "own_value": (49, {"agreement": 8, "refines_spec": 7}),
    "promise_drops_value": (49, {"agreement": 8, "refines_spec": 6}),
    "no_tiebreak": (84, {"agreement": 8, "inv_one_value_per_ballot": 8, "refines_spec": 5}),
    "volatile_acceptor": (28, {"promise_monotonic": 3, "accepted_monotonic": 5, "refines_spec": 3}),
    "eager_learner": (18, {"learner_integrity": 7}),
    "stale_promises": (64_986, {"agreement": 9, "refines_spec": 4}),
    "minority_quorum": (52_369, {"agreement": 10, "refines_spec": 3}),
    "duplicate_promises": (218_973, {"agreement": 12, "refines_spec": 4}),
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
    model = ImplModel(_config(name))
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
    # The correct node passes the very configuration that exposes the bug.
    correct = bfs(ImplModel(_config(name, impl="paxos:PaxosNode")))
    assert correct.exhaustive and correct.states == CORRECT_STATES[name]
    assert all(p.status == "held" for p in correct.properties)


@pytest.mark.parametrize("name", FAST)
def test_catalog_bug_found_with_pinned_shortest_counterexample(name: str, tmp_path: Path) -> None:
    _check_bug(name, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_catalog_bug_found_with_pinned_shortest_counterexample_slow(name: str, tmp_path: Path) -> None:
    _check_bug(name, tmp_path)


@pytest.mark.slow
def test_highest_promised_value_needs_three_ballots() -> None:
    """Three proposers with one ballot each: refinement catches the wrong Phase2a at depth 17."""
    cfg = CheckConfig(**{**dict(CATALOG["highest_promised_value"].config), "proposers": 3, "ballots": 1})
    result = bfs(ImplModel(cfg), SearchOptions(stop_on_first_violation=True))
    assert result.stopped_by == "violation"
    path = result.prop("refines_spec").path
    assert path is not None and len(path) == 17


@pytest.mark.slow
def test_volatile_ballot_needs_a_crash_and_a_second_ballot(tmp_path: Path) -> None:
    """Proposer 2 (two ballots) crashes and reuses ballot 0@2; refinement catches its second Accept at 17.

    The state space to depth 17 is ~7M states; acceptor symmetry keeps it to ~1.2M representatives
    (orbits keep path lengths, so the length is still the shortest), and the counterexample is a
    real path of the unreduced cluster: it replays on the reference cluster with equal fingerprints.
    """
    cfg = CheckConfig(**dict(CATALOG["volatile_ballot"].config))
    model = ImplModel(cfg)
    result = bfs(model, SearchOptions(stop_on_first_violation=True, symmetry=True))
    assert result.stopped_by == "violation"
    path = result.prop("refines_spec").path
    assert path is not None and len(path) == CATALOG["volatile_ballot"].bfs_length == 17
    kinds = [model.cluster_action(a).__class__.__name__ for a in path.actions()]
    assert "Crash" in kinds and "Restart" in kinds and "Timeout" in kinds
    written = write_trace(tmp_path / "refines_spec.csv", trace_of(model, path, "refines_spec", "step"))
    trace = read_trace(written)
    outcome = ImplReplayer(cfg).run([s.row for s in trace.steps], [s.fingerprint for s in trace.steps],
                                    stop_at_violation=False)
    assert not outcome.mismatched_fingerprints
    assert (17, "refines_spec") in {(step, p) for step, p, _ in outcome.violations}
    # The correct node, same configuration, every path of up to 17 steps (18 states): nothing breaks.
    # (Bounded: its whole space is far larger; the claim is only "not within the bug's depth".)
    correct = bfs(ImplModel(replace(cfg, impl="paxos:PaxosNode")),
                  SearchOptions(symmetry=True, limits=Limits(max_depth=18)))
    assert correct.stopped_by == "max_depth" and not correct.violated


def test_every_catalog_bug_has_a_pinned_bfs_length() -> None:
    covered = set(PINNED) | {"highest_promised_value", "volatile_ballot"}
    assert set(CATALOG) == covered
