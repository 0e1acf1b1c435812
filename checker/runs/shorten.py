"""The traces of a random run, shortened: a walk's counterexample, made as short as we can.

Two steps, each keeping a real, replayable counterexample of the same property: a BFS bounded by
the walk's length (`checker.search.shortcut`: of every action where that is small, else of the
walk's own actions: drops detours, reorders), then delta
debugging over the trace's real steps (`checker.traces.minimize`: every candidate replayed on the
reference cluster or the Spec), so the trace a person reads is 1-minimal and replays.
It must not search beyond the walk's actions: only shorten a path it is given. Shortening runs
after the search: a node or property that hangs then (the --time-limit watchdog) leaves the trace
as found, never the verdict lost. `minimized` alone
also serves explore, whose BFS-shortest path in a reduced graph can spell out longer than needed.
"""

from __future__ import annotations

from collections.abc import Callable

from checker.errors import UsageError
from checker.model import Model
from checker.search.common import Path
from checker.search.shortcut import shortest
from checker.traces.minimize import minimize_trace
from checker.traces.trace_csv import Trace
from checker.watchdog import HandlerHung


def shorten(model: Model, path: Path, prop: str, trace: Trace, retrace: Callable[[Path], Trace]) -> tuple[Trace, int]:
    """(the shortened trace, the length of `trace`, the walk's own). `retrace` writes a path of
    `model` as a trace of real steps (checker.runs.summarize.trace_of). A candidate that does not
    reproduce on replay (a node that behaves differently when rebuilt) is dropped."""
    found = len(trace.steps)
    if found <= 1 or not trace.property:
        return trace, found
    best = trace
    try:
        short_path = shortest(model, path, prop)
        if len(short_path) < len(path):
            candidate = retrace(short_path)
            if len(candidate.steps) < found:
                best = candidate
    except HandlerHung:  # past --time-limit a node or property hung: the violation stands, unshortened
        return trace, found
    return minimized(best), found


def minimized(trace: Trace) -> Trace:
    """`trace` after delta debugging (each candidate replayed), or `trace` itself if that is no shorter
    or its node cannot be rebuilt to replay (an unimportable factory)."""
    try:
        short = minimize_trace(trace)
    except (UsageError, HandlerHung):  # HandlerHung: past --time-limit a node or property hung
        return trace
    return short if len(short.steps) <= len(trace.steps) else trace
