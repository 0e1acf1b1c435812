"""States are checked when they are generated (issue 10, "Reach"), as TLC does.

A BFS that checked a state only when its level was expanded lost a whole generated level
to a time limit, a memory limit or Ctrl-C: the violation was stored but never looked at.
Here the violating state is always on the last level a search generates before it stops.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass

import pytest

from checker.search.common import Limits, Progress, SearchOptions
from checker.search.strategies import search
from tests.toy_models import DGraph

CHAIN = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]


@dataclass
class SlowChain(DGraph):
    """A chain 0 -> 1 -> ... whose successors of `slow` take `delay` seconds to compute."""

    slow: int = 2
    delay: float = 0.0

    def successors(self, state: Hashable) -> list[tuple[tuple[str, int, int], int]]:
        if state == self.slow:
            time.sleep(self.delay)
        return super().successors(state)


def chain(bad: int, goal: int = 9, delay: float = 0.0) -> SlowChain:
    """The chain 0..5 with `bad` (depth bad + 1) the one bad node; expanding node 2 takes `delay`."""
    return SlowChain(edges=CHAIN, bad=frozenset({bad}), goal=frozenset({goal}), delay=delay)


@pytest.mark.parametrize("workers", (1, 2))
def test_time_limit_right_after_a_level_still_checks_that_level(workers: int) -> None:
    # Expanding node 2 outlasts the time limit; node 3 (bad, and the goal) is generated, then the run stops.
    model = chain(bad=3, goal=3, delay=0.4)
    result = search(model, "bfs", SearchOptions(limits=Limits(time_limit=0.1), workers=workers))
    assert result.stopped_by == "time_limit" and not result.exhaustive
    assert result.states == 4 and result.states_per_depth == [1, 1, 1, 1]
    assert result.status("not_bad") == "violated"
    path = result.prop("not_bad").path
    assert path is not None and path.last == 3 and len(path) == 3
    assert result.status("reach_goal") == "held"


def test_memory_limit_right_after_a_level_still_checks_that_level() -> None:
    # Any process is over 0.001 MiB: the first look at the memory (after level 2) stops the run.
    model = DGraph(edges=CHAIN, bad=frozenset({1}))
    result = search(model, "bfs", SearchOptions(limits=Limits(max_memory_mb=0.001)))
    assert result.stopped_by == "max_memory" and not result.exhaustive
    assert result.states == 2
    assert result.status("not_bad") == "violated"
    assert len(result.prop("not_bad").path) == 1  # type: ignore[arg-type]


def test_ctrl_c_right_after_a_level_still_checks_that_level() -> None:
    def interrupt(p: Progress) -> None:
        if p.depth == 4:
            raise KeyboardInterrupt

    result = search(chain(bad=3), "bfs", SearchOptions(progress=interrupt, progress_interval=0.0))
    assert result.stopped_by == "interrupted" and not result.exhaustive
    assert result.states == 4
    assert result.status("not_bad") == "violated"


def test_stop_on_first_stops_before_expanding_the_violating_level() -> None:
    result = search(chain(bad=3), "bfs", SearchOptions(stop_on_first_violation=True))
    assert result.stopped_by == "violation" and not result.exhaustive
    assert result.status("not_bad") == "violated"
    assert len(result.prop("not_bad").path) == 3  # type: ignore[arg-type]
    # Nodes 0..3 generated and checked; node 3 (depth 4) never expanded.
    assert (result.states, result.transitions, result.depth) == (4, 3, 4)


@pytest.mark.parametrize("strategy", ("bfs", "dfs"))
def test_max_depth_checks_the_last_level_and_nothing_beyond(strategy: str) -> None:
    model = chain(bad=3)  # node 3 is at depth 4 (the initial state is depth 1)
    at = search(model, strategy, SearchOptions(limits=Limits(max_depth=4)))
    assert at.stopped_by == "max_depth" and at.depth == 4
    assert at.status("not_bad") == "violated"
    assert len(at.prop("not_bad").path) == 3  # type: ignore[arg-type]
    short = search(model, strategy, SearchOptions(limits=Limits(max_depth=3)))
    assert short.stopped_by == "max_depth" and short.depth == 3
    assert short.status("not_bad") == "unknown"


@pytest.mark.parametrize("strategy", ("bfs", "dfs"))
def test_max_states_checks_every_state_it_counts_and_nothing_more(strategy: str) -> None:
    model = chain(bad=3)  # node 3 is the fourth state either way
    at = search(model, strategy, SearchOptions(limits=Limits(max_states=4)))
    assert at.stopped_by == "max_states" and at.states == 4
    assert at.status("not_bad") == "violated"
    short = search(model, strategy, SearchOptions(limits=Limits(max_states=3)))
    assert short.stopped_by == "max_states" and short.states == 3
    assert short.status("not_bad") == "unknown"


def test_exhaustive_results_do_not_depend_on_when_states_are_checked() -> None:
    """Pinned figures of a run that finds everything: the same levels, transitions and paths."""
    model = DGraph(
        edges=[(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (4, 0), (2, 5)],
        bad=frozenset({3, 5}),
        goal=frozenset({4}),
    )
    for workers in (1, 2):
        result = search(model, "bfs", SearchOptions(workers=workers))
        assert result.exhaustive and result.states_per_depth == [1, 2, 2, 1]
        assert result.transitions == 7
        assert len(result.prop("not_bad").path) == 2  # type: ignore[arg-type]
        assert len(result.prop("reach_goal").path) == 3  # type: ignore[arg-type]
