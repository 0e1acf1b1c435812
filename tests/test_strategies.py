"""The search engine on toy models with known answers: counts, shortest paths, verdicts, limits."""

from __future__ import annotations

import pathlib
from collections.abc import Hashable, Sequence

import numpy as np
import pytest

from checker.fingerprint import (
    canonical_bytes,
    fingerprint_int,
    fingerprint_object,
    fingerprints_of_ints,
    fp_hex,
    mix64,
)
from checker.model import Model, PropertyInfo, StepRow
from checker.search.common import Limits, Path, Progress, SearchOptions
from checker.search.strategies import search
from checker.search.visited import FingerprintSet, ParentStore, collision_probability
from tests.toy_models import Counter, DGraph, Grid

EXHAUSTIVE = ("bfs", "dfs")


def assert_real_path(model: Model, path: Path) -> None:
    """Every step of `path` is a transition of `model` from one of its initial states."""
    assert path.initial in list(model.initial_states())
    current = path.initial
    for action, state in path.steps:
        assert (action, state) in list(model.successors(current))
        current = state


# -- fingerprints and storage --------------------------------------------------------------


def test_fingerprint_is_stable_and_mixes_well() -> None:
    # Pinned values: the fingerprint must never change between runs, processes or versions.
    assert fp_hex(fingerprint_int(0)) == "7acdbb98b1344213"
    assert fingerprint_int(1 << 64) != fingerprint_int(1)
    # hash(int) collides for x and x + (2**61 - 1); the fingerprint must not.
    x = 12345
    assert hash(x) == hash(x + (2**61 - 1))
    assert fingerprint_int(x) != fingerprint_int(x + (2**61 - 1))
    # Neighbouring bit patterns differ in about half the output bits.
    flips = [bin(fingerprint_int(1 << i) ^ fingerprint_int(0)).count("1") for i in range(128)]
    assert 24 < sum(flips) / len(flips) < 40
    assert mix64(0) == 0 and mix64(1) != 1


def test_bulk_fingerprints_equal_scalar_ones() -> None:
    xs = [0, 1, 2**63, 2**64 - 1, 2**64, 3**80, 2**127 + 5]
    bulk = fingerprints_of_ints(xs, 16)
    assert [int(v) for v in bulk] == [fingerprint_int(x) for x in xs]
    # Padding with zero limbs does not change a fingerprint.
    assert [int(v) for v in fingerprints_of_ints(xs, 40)] == [int(v) for v in bulk]


def test_canonical_bytes_ignore_set_order() -> None:
    a = frozenset({("x", 1), ("y", 2), ("z", None)})
    b = frozenset({("z", None), ("y", 2), ("x", 1)})
    assert canonical_bytes(a) == canonical_bytes(b)
    assert fingerprint_object((1, "a")) != fingerprint_object((1, "b"))
    with pytest.raises(TypeError):
        canonical_bytes(object())


def test_parent_store_rebuilds_chains_and_reports_16_bytes() -> None:
    store = ParentStore()
    store.add(np.array([10], dtype=np.uint64), np.array([10], dtype=np.uint64))
    store.add(np.array([7, 30], dtype=np.uint64), np.array([10, 10], dtype=np.uint64))
    store.add(np.array([2**64 - 1], dtype=np.uint64), np.array([30], dtype=np.uint64))
    assert store.chain(2**64 - 1) == [10, 30, 2**64 - 1]
    assert list(store.contains(np.array([7, 8, 2**64 - 1], dtype=np.uint64))) == [True, False, True]
    assert store.nbytes / len(store) == 16
    assert store.parent(8) is None


def test_fingerprint_set_merges_its_buffer() -> None:
    seen = FingerprintSet(buffer=4)
    assert all(seen.add(v) for v in range(10))
    assert not seen.add(3) and not seen.add(9)
    assert len(seen) == 10 and list(seen.to_array()) == list(range(10))


def test_collision_probability_is_tlc_optimistic_formula() -> None:
    assert collision_probability(1000, 3000) == pytest.approx(1000 * 2000 / 2**64)
    assert collision_probability(5, 5) == 0.0


# -- exhaustive search on toys -------------------------------------------------------------

DIAMOND = DGraph(edges=[(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (4, 0), (5, 6)], goal=frozenset({4}))


@pytest.mark.parametrize("strategy", EXHAUSTIVE)
def test_dgraph_counts_reachable_states_only(strategy: str) -> None:
    result = search(DIAMOND, strategy)
    assert result.states == 5  # 5 and 6 are unreachable
    assert result.transitions == 6
    assert result.exhaustive and result.stopped_by is None
    assert result.status("not_bad") == "held"
    assert result.status("reach_goal") == "held"
    witness = result.prop("reach_goal").path
    assert witness is not None and witness.last == 4
    assert_real_path(DIAMOND, witness)


def test_bfs_reports_levels_like_tlc() -> None:
    result = search(DIAMOND, "bfs")
    assert result.states_per_depth == [1, 2, 1, 1]
    assert result.depth == 4  # TLC counts the initial state as depth 1
    assert result.bytes_per_state == 16.0
    assert result.prop("reach_goal").path is not None
    assert len(result.prop("reach_goal").path) == 3  # type: ignore[arg-type]


@pytest.mark.parametrize("strategy", ("bfs", "dfs", "random", "swarm"))
def test_planted_bug_is_found_by_every_strategy(strategy: str) -> None:
    model = Counter(limit=6, bug=(5, 2))
    result = search(model, strategy, SearchOptions(walks=400, walk_depth=30, seed=3))
    assert result.status("no_bug") == "violated"
    path = result.prop("no_bug").path
    assert path is not None and path.last == (5, 2)
    assert_real_path(model, path)
    if strategy == "bfs":
        assert len(path) == model.shortest_to_bug() == 5
    else:
        assert len(path) >= 5


def test_bfs_counts_the_whole_counter_space() -> None:
    model = Counter(limit=6, bug=None)
    result = search(model, "bfs")
    assert result.states == 49 and result.exhaustive
    assert result.status("reach_corner") == "held"
    assert len(result.prop("reach_corner").path) == 2 + 6  # type: ignore[arg-type]


def test_never_witnessed_sometimes_is_violated_only_when_exhaustive() -> None:
    vacuous = DGraph(edges=[(0, 1), (1, 2)], goal=frozenset({9}))
    assert search(vacuous, "bfs").status("reach_goal") == "violated"
    assert search(vacuous, "dfs").status("reach_goal") == "violated"
    bounded = search(vacuous, "bfs", SearchOptions(limits=Limits(max_depth=2)))
    assert not bounded.exhaustive and bounded.stopped_by == "max_depth"
    assert bounded.status("reach_goal") == "unknown"
    assert bounded.status("not_bad") == "unknown"
    walks = search(vacuous, "random", SearchOptions(walks=5))
    assert not walks.exhaustive and walks.status("reach_goal") == "unknown"


@pytest.mark.parametrize("strategy", EXHAUSTIVE)
def test_limits_make_a_search_bounded(strategy: str) -> None:
    model = Counter(limit=6, bug=None)
    by_states = search(model, strategy, SearchOptions(limits=Limits(max_states=10)))
    assert by_states.states == 10
    assert not by_states.exhaustive and by_states.stopped_by == "max_states"
    assert by_states.status("no_bug") == "unknown"
    by_depth = search(model, strategy, SearchOptions(limits=Limits(max_depth=3)))
    assert not by_depth.exhaustive and by_depth.stopped_by == "max_depth"
    assert by_depth.depth == 3


def test_depth_limit_that_cuts_nothing_is_still_exhaustive() -> None:
    result = search(DIAMOND, "bfs", SearchOptions(limits=Limits(max_depth=4)))
    assert result.exhaustive and result.stopped_by is None and result.states == 5


def test_max_states_equal_to_the_space_is_exhaustive() -> None:
    result = search(Counter(limit=6, bug=None), "bfs", SearchOptions(limits=Limits(max_states=49)))
    assert result.exhaustive and result.states == 49


def test_step_property_counterexample_ends_with_the_bad_step() -> None:
    model = DGraph(edges=[(0, 1), (1, 2), (0, 2), (2, 3)], forbidden=frozenset({(2, 3)}))
    for strategy in EXHAUSTIVE:
        result = search(model, strategy)
        assert result.status("no_forbidden_edge") == "violated"
        path = result.prop("no_forbidden_edge").path
        assert path is not None and path.states()[-2:] == [2, 3]
        assert_real_path(model, path)
    assert len(search(model, "bfs").prop("no_forbidden_edge").path) == 2  # type: ignore[arg-type]


def test_stop_on_first_violation_leaves_the_rest_unknown() -> None:
    model = Counter(limit=6, bug=(1, 0))
    result = search(model, "bfs", SearchOptions(stop_on_first_violation=True))
    assert result.stopped_by == "violation" and not result.exhaustive
    assert result.status("no_bug") == "violated"
    assert result.status("reach_corner") == "unknown"
    full = search(model, "bfs")
    assert full.exhaustive and full.status("reach_corner") == "held"


def test_ctrl_c_returns_the_partial_result() -> None:
    calls: list[Progress] = []

    def interrupt(p: Progress) -> None:
        calls.append(p)
        raise KeyboardInterrupt

    result = search(Counter(limit=30, bug=None), "bfs", SearchOptions(progress=interrupt, progress_interval=0.0))
    assert calls and result.stopped_by == "interrupted" and not result.exhaustive
    assert 0 < result.states < 31 * 31
    assert result.status("no_bug") == "unknown"


def test_time_limit_stops_a_search() -> None:
    result = search(Grid(size=2000), "bfs", SearchOptions(limits=Limits(time_limit=0.2)))
    assert result.stopped_by == "time_limit" and not result.exhaustive


def test_on_transition_sees_every_transition() -> None:
    seen: list[tuple[object, object, object]] = []
    result = search(DIAMOND, "bfs", SearchOptions(on_transition=lambda s, a, t: seen.append((s, a, t))))
    assert len(seen) == result.transitions == 6
    assert (3, ("edge", 3, 4), 4) in seen


def test_coverage_counts_action_kinds() -> None:
    result = search(Counter(limit=3, bug=None), "bfs", SearchOptions(coverage=True))
    assert result.coverage is not None
    actions = result.coverage["actions"]
    assert sum(actions.values()) == result.transitions
    assert actions["inc_x"] == 12 and actions["jump_x"] == 4


def test_bfs_with_worker_processes_agrees() -> None:
    model = Counter(limit=12, bug=(7, 3))
    one = search(model, "bfs")
    two = search(model, "bfs", SearchOptions(workers=2))
    assert (two.states, two.transitions, two.depth) == (one.states, one.transitions, one.depth)
    assert two.states_per_depth == one.states_per_depth
    assert two.status("no_bug") == "violated"
    assert len(two.prop("no_bug").path) == len(one.prop("no_bug").path)  # type: ignore[arg-type]


def test_symmetry_reduces_and_counts_orbits() -> None:
    model = Grid(size=6)
    plain = search(model, "bfs")
    reduced = search(model, "bfs", SearchOptions(symmetry=True))
    assert plain.states == 36
    assert reduced.states == 21  # pairs {x, y}: 6 * 7 / 2
    assert reduced.unreduced_states == 36
    assert reduced.symmetry_reduction == pytest.approx(36 / 21)
    witness = reduced.prop("reach_far").path
    assert witness is not None and witness.last == 35
    assert_real_path(model, witness)
    dfs_reduced = search(model, "dfs", SearchOptions(symmetry=True))
    assert dfs_reduced.states == 21 and dfs_reduced.unreduced_states == 36


def test_symmetry_needs_a_canonical_hook() -> None:
    with pytest.raises(ValueError, match="canonical"):
        search(DIAMOND, "bfs", SearchOptions(symmetry=True))


def test_unknown_strategy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="bfs, dfs, random, swarm"):
        search(DIAMOND, "astar")


def test_walks_are_reproducible_from_the_seed() -> None:
    model = Counter(limit=8, bug=None)
    a = search(model, "random", SearchOptions(walks=30, seed=7))
    b = search(model, "random", SearchOptions(walks=30, seed=7))
    c = search(model, "random", SearchOptions(walks=30, seed=8))
    assert (a.states, a.transitions) == (b.states, b.transitions)
    assert (a.states, a.transitions) != (c.states, c.transitions)
    assert not a.exhaustive and a.status("no_bug") == "unknown"


def test_swarm_over_processes_merges_findings() -> None:
    model = Counter(limit=8, bug=(8, 8))
    result = search(model, "swarm", SearchOptions(walks=200, walk_depth=40, workers=2, seed=1))
    assert result.status("no_bug") == "violated" and not result.exhaustive
    path = result.prop("no_bug").path
    assert path is not None
    assert_real_path(model, path)
    assert result.workers == 2 and result.states > 20


class TwoDoors:
    """From 0 two steps lead to the same state 1: "door" (listed first) and "trapdoor", which breaks the step
    property `no_trapdoor`; a swarm's path travels as fingerprints, which do not tell the two apart."""

    kind = "toy"

    def config(self) -> dict[str, object]:
        return {}

    def properties(self) -> Sequence[PropertyInfo]:
        return (PropertyInfo("no_trapdoor", "step", "The trapdoor is never taken."),)

    def initial_states(self) -> list[int]:
        return [0]

    def successors(self, state: Hashable) -> list[tuple[str, int]]:
        return [("door", 1), ("trapdoor", 1)] if state == 0 else []

    def fingerprint(self, state: Hashable) -> int:
        return fingerprint_object(state)

    def violated(self, state: Hashable) -> Sequence[str]:
        return ()

    def witnessed(self, state: Hashable) -> Sequence[str]:
        return ()

    def step_violated(self, state: Hashable, action: Hashable, succ: Hashable) -> Sequence[str]:
        return ("no_trapdoor",) if action == "trapdoor" else ()

    def describe(self, state: Hashable, action: Hashable, succ: Hashable) -> StepRow:
        return StepRow(event=str(action))

    def describe_state(self, state: Hashable) -> str:
        return str(state)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_swarm_reports_the_step_that_broke_a_step_property(workers: int) -> None:
    """The merged path of a step property ends with a step that breaks it, not the first step to the same state."""
    model = TwoDoors()
    result = search(model, "swarm", SearchOptions(walks=60, seed=1, workers=workers))
    assert result.status("no_trapdoor") == "violated"
    path = result.prop("no_trapdoor").path
    assert path is not None and path.steps[-1][0] == "trapdoor"


def test_limits_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="max_states"):
        Limits(max_states=0)
    with pytest.raises(ValueError, match="time_limit"):
        Limits(time_limit=-1)


def test_memory_limit_defaults_to_the_container_limit(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--max-memory`'s default reads the machine's memory and a container (cgroup) limit below it."""
    import checker.search.common as search_module

    unlimited, limited = tmp_path / "memory.max", tmp_path / "limit_in_bytes"
    unlimited.write_text("max\n", encoding="ascii")
    limited.write_text(f"{512 * 1024 * 1024}\n", encoding="ascii")
    monkeypatch.setattr(search_module, "_CGROUP_LIMITS", (str(unlimited), str(tmp_path / "absent")))
    machine = search_module.physical_memory_mb()
    assert machine is None or machine > 512
    monkeypatch.setattr(search_module, "_CGROUP_LIMITS", (str(unlimited), str(limited)))
    assert search_module.physical_memory_mb() == 512
