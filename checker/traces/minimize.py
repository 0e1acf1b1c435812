"""Shortening a counterexample trace by delta debugging while the same property still fails.

Zeller's ddmin over the trace's steps: drop chunks, keep a candidate when its
replay (checker/traces/replay.py) is possible and breaks the same property; then
cut everything after the breaking step. The result is re-executed, so its
state changes and fingerprints are real. No file I/O here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from checker.errors import UsageError
from checker.model import StepRow
from checker.traces.replay import ImplReplayer, ImpossibleStep, Replayer, ReplayOutcome, replayer_for
from checker.traces.trace_csv import Trace
from paxos import NODE_ERROR


def _fails(replayer: Replayer, rows: Sequence[StepRow], prop: str) -> ReplayOutcome | None:
    try:
        outcome = replayer.run(rows, stop_at_violation=False)
    except ImpossibleStep:
        return None
    # `violations` holds every property's first failure, also one that fails at the same step as another
    return outcome if any(name == prop for _, name, _ in outcome.violations) else None


def ddmin(rows: list[StepRow], test: Callable[[list[StepRow]], bool]) -> list[StepRow]:
    """The classic ddmin: a 1-minimal sublist of `rows` for which `test` still holds."""
    n = 2
    while len(rows) >= 2:
        chunk = max(1, len(rows) // n)
        subsets = [rows[i : i + chunk] for i in range(0, len(rows), chunk)]
        reduced = False
        for i in range(len(subsets)):
            complement = [r for j, s in enumerate(subsets) if j != i for r in s]
            if complement and test(complement):
                rows, n, reduced = complement, max(n - 1, 2), True
                break
        if not reduced:
            if n >= len(rows):
                break
            n = min(len(rows), n * 2)
    return rows


def minimize_trace(trace: Trace, prop: str | None = None, impl: str | None = None) -> Trace:
    """A shorter trace of `trace`'s model on which `prop` (default: the trace's property) still fails."""
    prop = prop or trace.property or next((s.property for s in trace.steps if s.property), None)
    if not prop:
        raise UsageError("the trace records no violated property; name one with --property")
    replayer = replayer_for(trace, impl)
    rows = [s.row for s in trace.steps]
    if _fails(replayer, rows, prop) is None:
        why = ""
        try:
            faults = [(n, r) for n, name, r in replayer.run(rows, stop_at_violation=False).violations
                      if name == NODE_ERROR]
        except ImpossibleStep as exc:
            why = f": step {exc.index + 1} is impossible ({exc})"
        else:
            if faults:
                why = f": {NODE_ERROR} at step {faults[0][0]} ({faults[0][1]}) ends the replay first"
        raise UsageError(f"the trace does not break {prop!r} when replayed{why}, so there is nothing to minimize")

    def still_fails(candidate: list[StepRow]) -> bool:
        return _fails(replayer, candidate, prop) is not None

    best = ddmin(rows, still_fails)
    outcome = replayer.run(best, stop_at_violation=False)
    if isinstance(replayer, ImplReplayer) and replayer.legacy:  # an old trace comes out in today's format
        replayer.legacy = False
        outcome = replayer.run([s.row for s in outcome.steps], stop_at_violation=False)
    cut, why = next(((n - 1, r) for n, name, r in outcome.violations if name == prop),
                    (len(outcome.steps) - 1, ""))
    steps = [type(s)(s.row, s.fingerprint, prop if i == cut else "", s.detail or (why if i == cut else ""))
             for i, s in enumerate(outcome.steps[: cut + 1])]
    return Trace(trace.model, trace.impl if impl is None else impl, trace.config, prop, steps,
                 outcome.initial_fingerprint)
