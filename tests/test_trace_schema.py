"""The trace-row schema is declared once (paxos/_csvlog.py); every typed row of it names the same columns."""

from __future__ import annotations

from dataclasses import fields

from checker.model import StepRow
from checker.traces import trace_csv
from checker.traces.validate import LogRow
from paxos._csvlog import COMMON_COLUMNS, IMPL_EVENTS, LOG_COLUMNS, SPEC_EVENTS, STEP_COLUMNS, TRACE_COLUMNS
from reports import _load


def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def test_step_row_is_the_step_columns_in_order() -> None:
    assert _names(StepRow) == STEP_COLUMNS
    assert STEP_COLUMNS[0] == "event" and STEP_COLUMNS[-1] == "state_change"


def test_report_trace_row_is_the_trace_columns() -> None:
    assert _load.TRACE_COLUMNS is TRACE_COLUMNS and _load.TRACE_FORMAT == trace_csv.TRACE_FORMAT
    assert _names(_load.TraceRow) == ("step", *[c for c in TRACE_COLUMNS if c not in ("format", "step")])
    assert _load.IMPL_EVENTS == frozenset(trace_csv.IMPL_EVENTS) == frozenset(IMPL_EVENTS)
    assert _load.SPEC_EVENTS == frozenset(trace_csv.SPEC_EVENTS) == frozenset(SPEC_EVENTS)


def test_log_row_is_the_log_columns() -> None:
    assert _names(LogRow) == ("line", "round", *STEP_COLUMNS)
    assert LOG_COLUMNS == (*COMMON_COLUMNS[:2], "round", *COMMON_COLUMNS[2:])
