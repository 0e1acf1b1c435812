"""The strategies by name: `search(model, "bfs" | "dfs" | "random" | "guided" | "pct" | "swarm", options)`.

Owns only the dispatch; each strategy lives in its own module and none of them imports
this one (they share `common.py`). A strategy is imported when it is asked for.
"""

from __future__ import annotations

from checker.model import Model
from checker.search.common import SearchOptions, SearchResult

STRATEGIES = ("bfs", "dfs", "random", "swarm", "guided", "pct")


def search(model: Model, strategy: str = "bfs", options: SearchOptions | None = None) -> SearchResult:
    """Run one strategy by name: 'bfs', 'dfs', 'random', 'swarm', 'guided' or 'pct'."""
    opts = options or SearchOptions()
    if strategy == "bfs":
        from checker.search.bfs import bfs

        return bfs(model, opts)
    if strategy == "dfs":
        from checker.search.dfs import dfs

        return dfs(model, opts)
    if strategy == "random":
        from checker.search.random_walk import random_walks

        return random_walks(model, opts)
    if strategy == "swarm":
        from checker.search.swarm import swarm

        return swarm(model, opts)
    if strategy == "guided":
        from checker.search.guided import guided

        return guided(model, opts)
    if strategy == "pct":
        from checker.search.pct import pct

        return pct(model, opts)
    raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
