"""A first run that teaches: is a run's first violation caused by a crash that wiped unpersisted state?

Owns that one judgement and its one-line note (suggesting `--crashes 0` to look for protocol bugs
first). It re-runs the shortest violation's trace on the reference cluster and compares each crashed
node before and after its crash; it never changes a verdict or an exit code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from checker.errors import UsageError
from checker.traces.replay import ImplReplayer, ImpossibleStep, replayer_for
from checker.traces.trace_csv import Trace, read_trace
from paxos import Cluster, NodeFault


def _first_violation(summary: dict[str, Any], out: str | os.PathLike[str]) -> Trace | None:
    """The violation trace with the fewest steps (a safety property or the deviation; not a witness)."""
    best: Trace | None = None
    for p in summary.get("properties", []):
        if p.get("status") != "violated" or p.get("kind") == "sometimes" or not p.get("trace"):
            continue
        try:
            trace = read_trace(Path(out) / p["trace"])
        except UsageError:
            continue
        if best is None or len(trace.steps) < len(best.steps):
            best = trace
    return best


def crash_amnesia_note(summary: dict[str, Any], out: str | os.PathLike[str]) -> str | None:
    """One line when the first violation follows a crash that wiped state the node did not keep, else None."""
    if summary.get("model") != "impl" or not (summary.get("config") or {}).get("crashes"):
        return None
    trace = _first_violation(summary, out)
    if trace is None or not any(s.row.event == "crash" for s in trace.steps):
        return None
    try:
        replayer = replayer_for(trace)
        assert isinstance(replayer, ImplReplayer)
        seen: list[dict[int, Any]] = []

        def keep(cluster: Cluster) -> None:
            seen.append({n: node.acceptor_state() for n, node in cluster.nodes.items()})

        replayer.run([s.row for s in trace.steps], on_state=keep)
        fresh = replayer.config.new_cluster(replayer.factory)
        for i, step in enumerate(trace.steps[: len(seen) - 1], start=1):
            node = int(step.row.node or -1)
            if step.row.event != "crash" or node not in seen[i]:
                continue
            before, after = seen[i - 1][node], seen[i][node]
            if before is None or before == after:
                continue
            wiped = "its whole acceptor state" if after == fresh.nodes[node].acceptor_state() else "part of it"
            return (f"note: the first violation follows the crash of node {node} at step {i}, which wiped state "
                    f"its crash() does not keep (promised {before.promised}, accepted {before.accepted_bal}; "
                    f"{wiped}): a real acceptor persists its promise and vote before replying. To look for "
                    f"protocol bugs first, run again with --crashes 0.")
    except (UsageError, ImpossibleStep, NodeFault, ValueError):
        return None
    return None
