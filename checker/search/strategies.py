"""The strategies by name: the one registry of search strategies, and `search(model, name, options)`.

Owns only the dispatch; each strategy lives in its own module and none of them imports
this one (they share `common.py`). A strategy is imported when it is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from checker.model import Model
from checker.search.common import SearchOptions, SearchResult

Strategy = Callable[[Model, SearchOptions], SearchResult]
#: name -> (module, function): the one table of strategies (explore, simulate and the API read it).
REGISTRY: dict[str, tuple[str, str]] = {
    "bfs": ("checker.search.bfs", "bfs"),
    "dfs": ("checker.search.dfs", "dfs"),
    "random": ("checker.search.random_walk", "random_walks"),
    "swarm": ("checker.search.swarm", "swarm"),
    "guided": ("checker.search.guided", "guided"),
    "pct": ("checker.search.pct", "pct"),
}
STRATEGIES = tuple(REGISTRY)


def strategy_function(name: str) -> Strategy:
    """The search function of strategy `name` (imported now); ValueError for an unknown name."""
    if name not in REGISTRY:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")
    module, attr = REGISTRY[name]
    fn: Strategy = getattr(importlib.import_module(module), attr)
    return fn


def search(model: Model, strategy: str = "bfs", options: SearchOptions | None = None) -> SearchResult:
    """Run one strategy by name: 'bfs', 'dfs', 'random', 'swarm', 'guided' or 'pct'."""
    return strategy_function(strategy)(model, options or SearchOptions())
