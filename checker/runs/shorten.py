"""The traces of a random run, shortened: a walk's counterexample goes through delta debugging.

A random walk reaches a violation by a long way round; `simulate` writes each counterexample
after `checker.traces.minimize` (ddmin over the trace's real steps, every candidate replayed on
the reference cluster or the Spec), so the trace a person reads is 1-minimal and replays.
It must not search: only shorten a trace it is given.
"""

from __future__ import annotations

from checker.errors import UsageError
from checker.traces.minimize import minimize_trace
from checker.traces.trace_csv import Trace


def shorten(trace: Trace) -> tuple[Trace, int]:
    """(the minimized trace, the length found); the trace itself if it cannot be minimized
    (it does not reproduce on replay, e.g. a node that behaves differently when rebuilt)."""
    found = len(trace.steps)
    if found <= 1 or not trace.property:
        return trace, found
    try:
        short = minimize_trace(trace)
    except UsageError:
        return trace, found
    return (short, found) if len(short.steps) <= found else (trace, found)
