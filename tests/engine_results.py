"""What two engines (or two runs) must share: one comparison of search results for the engine tests."""

from __future__ import annotations

from checker.search.common import SearchResult


def same_results(a: SearchResult, b: SearchResult) -> None:
    """States, transitions, depth, states per level, coverage, every verdict and every path, step by step."""
    assert (a.states, a.transitions, a.depth, a.exhaustive, a.stopped_by) == (
        b.states, b.transitions, b.depth, b.exhaustive, b.stopped_by)
    assert a.states_per_depth == b.states_per_depth
    assert a.coverage == b.coverage
    assert [(p.name, p.status) for p in a.properties] == [(p.name, p.status) for p in b.properties]
    for p, q in zip(a.properties, b.properties, strict=True):
        assert p.path == q.path, p.name  # the same states and actions, step by step
