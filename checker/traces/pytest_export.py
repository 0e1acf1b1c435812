"""A counterexample as a pytest regression test a user commits: it fails until the bug is fixed.

Owns the text of the generated test (`pytest_source`). The test holds everything it needs (the
configuration, the implementation's name, the schedule) and replays the schedule on
`paxos.Cluster` through paxos-check's replay, judging every property of the run after each step,
exactly as `paxos-check replay` does. A fixed node may leave the schedule (a step the node no
longer enables): the steps it does take must then break nothing. A trace that would give a test
passing on the node it was made from (a witness, a trace that no longer replays or reproduces) is
refused. Prints and writes nothing.
"""

from __future__ import annotations

import pprint
import re

from checker.config import CheckConfig
from checker.errors import UsageError
from checker.traces.replay import ImplReplayer, ImpossibleStep
from checker.traces.trace_csv import STEP_FIELDS, Trace
from checker.user_properties import run_properties
from paxos import fields_text

#: The row fields that identify a step (the state change is only a comment).
KEY_FIELDS = tuple(f for f in STEP_FIELDS if f != "state_change")
ENV_IMPL = "PAXOS_CHECK_IMPL"

_TEMPLATE = '''\
"""Regression test written by `paxos-check export {source} --format pytest`.

{what}: {steps} steps replayed on paxos.Cluster, every property of the run checked after each
step (paxos-check's replay, as `paxos-check replay` does). The test fails while the bug is
there and passes once no property fails on this schedule; a fixed node may also stop
following the schedule at some step, and then the steps it does take must break nothing.

Run it with pytest; against another implementation: {env}=MODULE:FACTORY pytest THIS_FILE.
Needs paxos-check installed (pip install -e .) and the implementation (and any --property module) importable.
"""

from __future__ import annotations

import os

from checker.config import CheckConfig
from checker.model import StepRow
from checker.traces.replay import ImplReplayer, ImpossibleStep

IMPL = os.environ.get("{env}", {impl!r})
PROPERTY = {prop!r}
CONFIG = {config}
FIELDS = {fields!r}
STEPS = [
{rows}
]


def test_{name}() -> None:
    config = CheckConfig.from_json({{**CONFIG, "impl": IMPL}})
    rows = [StepRow(**dict(zip(FIELDS, step, strict=True))) for step in STEPS]
    replayer = ImplReplayer(config, legacy={legacy})
    try:
        outcome = replayer.run(rows, stop_at_violation=False)
    except ImpossibleStep as left:  # the node no longer takes this schedule: check the part it takes
        outcome = replayer.run(rows[:left.index], stop_at_violation=False)
    broken = [f"{{prop}} fails at step {{step}} of {{len(rows)}} with {{IMPL}}" + (f": {{reason}}" if reason else "")
              for step, prop, reason in outcome.violations]
    assert not broken, "\\n".join(broken)
'''


def _row_comment(values: tuple[str, ...], change: str) -> str:
    event, node, peer, msg_type, bal, value, max_vbal, max_val = values
    what = " ".join(x for x in (event, msg_type, bal, value) if x)
    if msg_type == "Nack":  # its value cell is the phase it answers (trace_version 2)
        what = f"{event} {fields_text({'msg_type': msg_type, 'bal': bal, 'value': value, 'max_vbal': max_vbal})}"
    elif max_vbal:
        what += f" (max_vbal {max_vbal}{', max_val ' + max_val if max_val else ''})"
    route = f"{peer}->{node}" if peer else node
    text = f"{what} {route}".strip() + (f": {change}" if change else "")
    return text.replace("\n", " ")


def is_witness(trace: Trace) -> bool:
    """A trace that shows a `sometimes` property holding (explore marks its last step), not a violation."""
    if trace.steps and trace.steps[-1].detail.startswith("witness of"):
        return True
    try:
        kinds = {p.name: p.kind for p in run_properties(CheckConfig.from_json(trace.config))}
    except (UsageError, ValueError, TypeError, KeyError):
        kinds = {}
    return kinds.get(trace.property or "") == "sometimes"


def check_fails_on_origin(trace: Trace, source: str, impl: str | None = None) -> None:
    """A UsageError unless the test made from `trace` fails on the node the trace was made from (its
    recorded implementation, else `impl`): every step replays and the trace's property (or, with none
    recorded, some property) fails. A test that passes at once would report a fix that never happened."""
    if is_witness(trace):
        raise UsageError(f"{source} is a witness of {trace.property} (a run where it holds), not a counterexample: "
                         "a regression test made from it would pass at once; export a trace of a violated property")
    origin = trace.impl or impl
    try:
        config = CheckConfig.from_json({**trace.config, "impl": origin})
    except (ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"{source}: the configuration it records cannot be used ({exc})") from None
    rows = [step.row for step in trace.steps]
    try:
        outcome = ImplReplayer(config).run(rows, stop_at_violation=False)
    except ImpossibleStep as left:
        raise UsageError(f"{source}:{left.index + 3}: step {left.index + 1} does not replay on {origin} ({left}); a "
                         "test made from it would skip the rest and pass on the very node it was made from: "
                         "re-run the check for a fresh trace") from None
    failed = {prop for _, prop, _ in outcome.violations}
    wanted = trace.property
    if not failed or (wanted and wanted not in failed):
        what = wanted or "any property"
        raise UsageError(f"{source}: {what} does not fail when the trace is replayed on {origin}, so a test made "
                         "from it would pass at once; re-run the check for a fresh trace")


def pytest_source(trace: Trace, source: str, impl: str | None = None) -> str:
    """The text of a self-contained pytest file replaying `trace` against `impl` (default: the recorded one).
    Refused (UsageError) unless the test fails on the node the trace was made from (`check_fails_on_origin`)."""
    if trace.model != "impl":
        raise UsageError("--format pytest tests an implementation; this is a trace of the Spec, which has none "
                         "(export it with --format itf)")
    chosen = impl or trace.impl
    if not chosen:
        raise UsageError("the trace records no implementation; give one with --impl MODULE:FACTORY")
    check_fails_on_origin(trace, source, impl)
    prop = trace.property or "every_property"
    name = re.sub(r"\W", "_", prop) + "_holds_on_this_schedule"
    lines = []
    for n, step in enumerate(trace.steps, start=1):
        values = tuple(getattr(step.row, f) for f in KEY_FIELDS)
        lines.append(f"    {values!r},  # {n}. {_row_comment(values, step.row.state_change)}")
    what = (f"The counterexample of {trace.property} found in {trace.impl}" if trace.property
            else f"A schedule of {trace.impl}")
    config = pprint.pformat({k: v for k, v in trace.config.items() if k != "impl"}, indent=1, width=100,
                            sort_dicts=True)
    return _TEMPLATE.format(source=source, what=what, steps=len(trace.steps), env=ENV_IMPL, impl=chosen,
                            prop=trace.property, config=config, fields=KEY_FIELDS, rows="\n".join(lines),
                            name=name, legacy=trace.version < 2)
