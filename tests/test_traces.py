"""Trace CSV files (checker/traces/trace_csv.py, docs/formats.md `paxos-trace/1`): round trip, shape, rejection.

A trace written by the explorer must read back equal, be plain CSV with every column on every
row, and every defect of a hand-edited file must be one UsageError naming the file and the line
(through the CLI: exit 2, one line on stderr, no traceback).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from checker.cli.main import main
from checker.config import CheckConfig
from checker.errors import UsageError
from checker.model import Model, StepRow
from checker.models.impl_model import ImplModel
from checker.runs.summarize import trace_of
from checker.search.bfs import bfs
from checker.traces.trace_csv import IMPL_EVENTS, Trace, TraceStep, read_trace, write_trace
from paxos import TRACE_COLUMNS, TRACE_FORMAT

# own_value with one acceptor: the BFS-shortest agreement violation has 8 steps (tests/test_impl_model.py).
OWN_VALUE = CheckConfig(acceptors=1, proposers=2, learners=0, values=2, ballots=1, crashes=0,
                        impl="paxos.bugs:own_value")


@pytest.fixture(scope="module")
def counterexample() -> Trace:
    """The explorer's agreement counterexample for own_value, as a Trace."""
    model = cast(Model, ImplModel(OWN_VALUE, refinement=False))
    result = bfs(model)  # whole (49 states): the first violation is inv_2a_safe, one step before agreement
    prop = result.prop("agreement")
    assert prop.path is not None
    return trace_of(model, prop.path, "agreement", prop.kind)


@pytest.fixture
def trace_file(tmp_path: Path, counterexample: Trace) -> Path:
    return write_trace(tmp_path / "agreement.csv", counterexample)


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])


def edit(path: Path, change: Callable[[list[str], list[list[str]]], None]) -> Path:
    """Rewrite the trace at `path` after `change(header, rows)` mutated it in place."""
    header, rows = read_rows(path)
    change(header, rows)
    write_rows(path, header, rows)
    return path


def col(name: str) -> int:
    return TRACE_COLUMNS.index(name)


# -- round trip and shape -------------------------------------------------------------------------


def test_round_trip_gives_the_same_trace(trace_file: Path, counterexample: Trace) -> None:
    back = read_trace(trace_file)
    assert back == counterexample
    assert back.model == "impl" and back.impl == "paxos.bugs:own_value" and back.property == "agreement"
    assert CheckConfig.from_json(back.config) == OWN_VALUE
    assert len(back.steps) == 8
    assert [s.property for s in back.steps] == [""] * 7 + ["agreement"]


def test_file_is_plain_csv_with_every_column_on_every_row(trace_file: Path) -> None:
    header, rows = read_rows(trace_file)
    assert header == list(TRACE_COLUMNS)
    assert len(rows) == 1 + 8
    for n, row in enumerate(rows):
        assert len(row) == len(header), f"row {n} has {len(row)} cells"
        record = dict(zip(header, row, strict=True))
        assert record["format"] == TRACE_FORMAT
        assert record["step"] == str(n)
        fp = record["fingerprint"]
        assert len(fp) == 16 and int(fp, 16) >= 0 and fp == fp.lower()
    config_row = dict(zip(header, rows[0], strict=True))
    assert config_row["event"] == "config"
    detail = json.loads(config_row["detail"])
    assert detail["trace_version"] == 2 and detail["model"] == "impl" and detail["property"] == "agreement"
    assert detail["impl"] == "paxos.bugs:own_value" and detail["config"]["acceptors"] == 1
    steps = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert all(s["event"] in IMPL_EVENTS for s in steps)
    assert steps[0]["event"] == "propose" and steps[0]["value"] in ("v1", "v2")
    delivers = [s for s in steps if s["event"] == "deliver"]
    assert delivers and all(s["node"] and s["peer"] and s["msg_type"] and s["bal"] for s in delivers)
    assert any(s["state_change"] for s in steps)


def test_step_rows_keep_commas_quotes_and_newline_free_text(tmp_path: Path) -> None:
    trace = Trace("impl", "paxos:PaxosNode", CheckConfig().to_json(), None, initial_fingerprint="0" * 16)
    odd = 'promised - -> 0@1; sent "Promise", to 1,2'
    trace.steps.append(TraceStep(StepRow("propose", node="1", value="a,b", state_change=odd), "f" * 16, "", 'x"y'))
    back = read_trace(write_trace(tmp_path / "odd.csv", trace))
    assert back == trace


def test_spec_traces_round_trip(tmp_path: Path) -> None:
    trace = Trace("spec", None, {"acceptors": 3, "ballots": 2, "values": 2}, None)
    trace.steps.append(TraceStep(StepRow("phase1a", bal="0"), "0" * 16))
    trace.steps.append(TraceStep(StepRow("phase1b", node="a1", bal="0"), "1" * 16))
    back = read_trace(write_trace(tmp_path / "spec.csv", trace))
    assert back == trace


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path: Path, counterexample: Trace) -> None:
    write_trace(tmp_path / "t.csv", counterexample)
    write_trace(tmp_path / "t.csv", counterexample)  # overwrite in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


# -- malformed files ------------------------------------------------------------------------------


def _bump_version(header: list[str], rows: list[list[str]]) -> None:
    detail = json.loads(rows[0][col("detail")])
    detail["trace_version"] = 3
    rows[0][col("detail")] = json.dumps(detail)


def _other_format(header: list[str], rows: list[list[str]]) -> None:
    for row in rows:
        row[col("format")] = "paxos-trace/2"


def _unknown_action(header: list[str], rows: list[list[str]]) -> None:
    rows[3][col("event")] = "teleport"


def _missing_column(header: list[str], rows: list[list[str]]) -> None:
    i = header.index("fingerprint")
    del header[i]
    for row in rows:
        del row[i]


def _bad_json(header: list[str], rows: list[list[str]]) -> None:
    rows[0][col("detail")] = '{"trace_version": 1, "model": "impl", '


def _gap(header: list[str], rows: list[list[str]]) -> None:
    del rows[2]  # step 2 is gone: step 3 now sits on line 4


def _format_on_a_step_row(header: list[str], rows: list[list[str]]) -> None:
    rows[5][col("format")] = "paxos-log/1"


def _no_model(header: list[str], rows: list[list[str]]) -> None:
    rows[0][col("detail")] = json.dumps({"trace_version": 1, "config": {}})


def _not_config_first(header: list[str], rows: list[list[str]]) -> None:
    del rows[0]


def _spec_event_in_impl_trace(header: list[str], rows: list[list[str]]) -> None:
    rows[1][col("event")] = "phase2b"


MALFORMED: dict[str, tuple[Callable[[list[str], list[list[str]]], None], int, str]] = {
    # name: (edit, line the message must name, words it must contain)
    "wrong version": (_bump_version, 2, "trace_version 3, expected one of 1, 2"),
    "other format": (_other_format, 2, "paxos-trace/2"),
    "unknown action": (_unknown_action, 5, "unknown action 'teleport'"),
    "missing column": (_missing_column, 1, "missing column(s) fingerprint"),
    "bad JSON config": (_bad_json, 2, "not valid JSON"),
    "step numbering gap": (_gap, 4, "step '3', expected 2"),
    "format on a step row": (_format_on_a_step_row, 7, "'paxos-log/1'"),
    "no model": (_no_model, 2, "model impl|spec"),
    "config row missing": (_not_config_first, 2, "configuration row"),
    "spec event in impl trace": (_spec_event_in_impl_trace, 3, "unknown action 'phase2b'"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_names_file_and_line(case: str, trace_file: Path) -> None:
    change, line, words = MALFORMED[case]
    path = edit(trace_file, change)
    with pytest.raises(UsageError) as info:
        read_trace(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message


@pytest.mark.parametrize("case", ["wrong version", "unknown action", "step numbering gap"])
def test_replay_of_a_malformed_file_is_one_line_and_exit_2(
    case: str, trace_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, line, _ = MALFORMED[case]
    path = edit(trace_file, change)
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{path}:{line}:" in err


def test_missing_and_empty_files_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot open the trace"):
        read_trace(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(TRACE_COLUMNS) + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match=rf"{empty}:2: no configuration row"):
        read_trace(empty)
    junk = tmp_path / "junk.csv"
    junk.write_text("hello,world\n1,2\n", encoding="utf-8")
    with pytest.raises(UsageError, match=rf"{junk}:1: missing column"):
        read_trace(junk)


# -- impossible steps -------------------------------------------------------------------------------


def test_impossible_step_is_exit_2_naming_file_and_line(
    trace_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Valid syntax, but step 2 delivers a Prepare to a node that is not an acceptor (nothing in flight)."""

    def misroute(header: list[str], rows: list[list[str]]) -> None:
        deliver = next(r for r in rows[1:] if r[col("event")] == "deliver")
        deliver[col("node")] = "2"  # a proposer; no such envelope was ever sent

    path = edit(trace_file, misroute)
    read_trace(path)  # syntactically fine
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{path}:4: step 2 is impossible in the recorded configuration" in err


def test_step_before_its_cause_is_impossible(trace_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A delivery moved before the proposal that sends the message."""

    def swap(header: list[str], rows: list[list[str]]) -> None:
        rows[1][2:], rows[2][2:] = rows[2][2:], rows[1][2:]  # keep format and step numbers in place

    path = edit(trace_file, swap)
    assert main(["replay", str(path)]) == 2
    assert f"{path}:3: step 1 is impossible" in capsys.readouterr().err


def test_a_budget_beyond_the_recorded_configuration_is_impossible(
    trace_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The recorded configuration has crashes=0, so a crash step cannot happen."""

    def add_crash(header: list[str], rows: list[list[str]]) -> None:
        crash = [""] * len(header)
        crash[col("format")], crash[col("event")], crash[col("node")] = TRACE_FORMAT, "crash", "3"
        rows.insert(2, crash)
        for n, row in enumerate(rows):
            row[col("step")] = str(n)
        config = json.loads(rows[0][col("detail")])  # the config row records the length: one step more
        config["steps"] += 1
        config["property_step"] = config["property_step"] and config["property_step"] + 1
        rows[0][col("detail")] = json.dumps(config)

    path = edit(trace_file, add_crash)
    assert main(["replay", str(path)]) == 2
    assert f"{path}:4: step 2 is impossible" in capsys.readouterr().err
