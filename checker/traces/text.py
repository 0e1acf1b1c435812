"""How a trace step reads for a person: its message written whole, its route, its state change.

One text for every place a step is printed (replay, minimize, fuzz), so the three never
disagree; the CSV (checker/traces/trace_csv.py) is what a machine replays. No I/O.
"""

from __future__ import annotations

from checker.model import StepRow
from checker.traces.trace_csv import Trace
from paxos import fields_text


def step_text(r: StepRow) -> str:
    """What a step did, its message written whole: `deliver Promise 0@2 (accepted 0@1:v1)`, `propose v1`."""
    msg = fields_text({"msg_type": r.msg_type, "bal": r.bal, "value": r.value, "max_vbal": r.max_vbal,
                       "max_val": r.max_val})
    if msg:
        return f"{r.event} {msg}"
    return " ".join(x for x in (r.event, r.bal, r.value) if x)


def route_text(r: StepRow) -> str:
    """`SRC->DST` for a message, the acting node otherwise."""
    return f"{r.peer}->{r.node}" if r.peer else r.node


def step_line(n: int, r: StepRow, prop: str = "", fingerprint: str = "") -> str:
    """One printed step: number, what, route, state change (`(no change)` when none), the property marked."""
    fp = f"  fp={fingerprint}" if fingerprint else ""
    mark = f"   <-- {prop} VIOLATED" if prop else ""
    return f"  step {n:<3} {step_text(r):<40} {route_text(r):<7} | {r.state_change or '(no change)'}{fp}{mark}"


def format_steps(trace: Trace) -> str:
    """Every step of a trace, one line each, and under the marked step why it fails (its `detail`)."""
    lines = []
    for n, step in enumerate(trace.steps, start=1):
        lines.append(step_line(n, step.row, step.property))
        if step.property and step.detail:
            lines.append(f"           why: {step.detail}")
    return "\n".join(lines)
