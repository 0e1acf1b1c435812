"""Progress analysis of an exported state graph with networkx.

Owns the questions "what does the graph look like" (states, edges, depth, terminal
states) and "from which reachable states can no value ever be chosen", with the
shortest path from an initial state to one. It reads a loaded `StateGraph`; no files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import networkx as nx

from reports._graphml import StateGraph, paused_gc

_SOURCE = -1  # virtual node: an edge to every initial state
_GOAL = -2    # virtual node: an edge from every state with a chosen value


@dataclass(frozen=True, slots=True)
class ProgressAnalysis:
    """What the state graph says about progress; counts are over states reachable from init."""

    states: int
    edges: int
    max_depth: int
    initial: int
    reachable: int
    terminal: int
    chosen_states: int
    stuck: int                 # reachable states from which no chosen state is reachable (0 unless complete)
    stuck_terminal: int        # ... that have no successor at all
    complete: bool             # the graph comes from an exhaustive search and holds every state it visited
    path_ids: list[str] = field(default_factory=list)      # initial state ... first stuck state
    path_labels: list[str] = field(default_factory=list)
    path_actions: list[str] = field(default_factory=list)  # one fewer than path_ids
    stuck_examples: list[tuple[str, str]] = field(default_factory=list)  # (fingerprint, label)


def analyse(graph: StateGraph, *, complete: bool) -> ProgressAnalysis:
    """Count the graph and find the states that can no longer reach a chosen value."""
    with paused_gc():
        return _analyse(graph, complete)


def _analyse(graph: StateGraph, complete: bool) -> ProgressAnalysis:
    n = len(graph.ids)
    g: nx.DiGraph = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(graph.src, graph.dst, strict=True))
    has_succ = {s for s, d in zip(graph.src, graph.dst, strict=True) if s != d}
    terminal_nodes = [i for i in range(n) if i not in has_succ]
    g.add_edges_from((_SOURCE, i) for i in range(n) if graph.init[i])
    chosen = [i for i in range(n) if graph.chosen[i]]
    g.add_edges_from((i, _GOAL) for i in chosen)

    reachable = nx.descendants(g, _SOURCE) - {_GOAL}
    can_choose = nx.ancestors(g, _GOAL) if chosen else set()
    # "no value can be chosen from here" is a claim about every successor of every state after it: only a
    # graph of a search that explored all of them (exhaustive, not capped) can make it
    stuck = reachable - can_choose if complete else set()
    stuck_terminal = sum(1 for i in terminal_nodes if i in stuck)

    path: list[int] = []
    if stuck:
        parent: dict[int, int] = {}
        for child, par in nx.bfs_predecessors(g, _SOURCE):
            parent[child] = par
            if child in stuck:
                node = child
                while node != _SOURCE:
                    path.append(node)
                    node = parent[node]
                path.reverse()
                break
    wanted = set(pairwise(path))
    found: dict[tuple[int, int], str] = {}
    if wanted:
        for j, pair in enumerate(zip(graph.src, graph.dst, strict=True)):
            if pair in wanted and pair not in found:
                found[pair] = graph.action[j]
    examples = sorted(stuck, key=lambda i: (graph.depth[i], graph.ids[i]))[:5]
    return ProgressAnalysis(
        states=n,
        edges=len(graph.src),
        max_depth=max(graph.depth) if n else 0,
        initial=sum(graph.init),
        reachable=len(reachable),
        terminal=sum(1 for i in terminal_nodes if i in reachable),
        chosen_states=sum(1 for i in chosen if i in reachable),
        stuck=len(stuck),
        stuck_terminal=stuck_terminal,
        complete=complete,
        path_ids=[graph.ids[i] for i in path],
        path_labels=[graph.label[i] for i in path],
        path_actions=[found[p] for p in pairwise(path)],
        stuck_examples=[(graph.ids[i], graph.label[i]) for i in examples],
    )


def stuck_count(a: ProgressAnalysis) -> str:
    """The table cell for states that can no longer reach a chosen value: not known of a partial graph."""
    return f"{a.stuck:,}" if a.complete else "not known (partial graph)"


def progress_paragraph(a: ProgressAnalysis) -> str:
    """Plain words: what Paxos guarantees about progress, and what this graph shows."""
    text = (
        "Paxos guarantees safety in every execution: whatever messages are lost, duplicated or "
        "reordered and whichever nodes crash and restart, at most one value is ever chosen. It does "
        "not guarantee progress. By the FLP result no deterministic consensus protocol can guarantee "
        "termination in an asynchronous system with even one faulty process, and Paxos shows it "
        "concretely: two proposers can keep pre-empting each other with ever higher ballots (dueling "
        "proposers) so that no ballot ever gathers a quorum of accepts. Deployed systems get liveness "
        "from outside the protocol: a single distinguished leader, randomised back-off, and a network "
        "that is eventually timely. "
    )
    if not a.complete:
        text += (
            f"This graph is partial (a bounded or random search, or capped at --graph-limit): its {a.reachable:,} "
            "states include some whose successors were never all recorded, so it cannot show that a state can no "
            "longer reach a chosen value, and none is called so here. Run an exhaustive explore with --graph "
            "(and a --graph-limit above the state count) for that."
        )
        return text.strip()
    if a.stuck:
        share = 100.0 * a.stuck / max(1, a.reachable)
        text += (
            f"In this graph {a.stuck:,} of {a.reachable:,} reachable states ({share:.1f}%) can no longer "
            f"reach any state where a value is chosen; {a.stuck_terminal:,} of them have no successor at all "
            "(for example every proposer has used its last ballot, or the messages that could finish a "
            "ballot were dropped or their sender crashed). "
        )
        if len(a.path_ids) > 1:
            text += f"The shortest way into such a state takes {len(a.path_ids) - 1} steps and is drawn below. "
        elif a.path_ids:
            text += "An initial state is already such a state: no value can be chosen in this model at all. "
    else:
        text += (
            f"In this graph every one of the {a.reachable:,} reachable states can still reach a state where a "
            "value is chosen: within these bounds nothing gets permanently stuck, which is still not a "
            "guarantee that a value will be chosen, only that it remains possible. "
        )
    return text.strip()
