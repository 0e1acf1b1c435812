"""One summary schema (paxos/_summary.py): the writers fill it, the report reader checks the same fields,
and `write_summary` is the one writer."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from checker.cli.main import main
from checker.runs.summarize import write_summary
from paxos._summary import KINDS, RUN_SUMMARY_FIELDS, STATUSES, STOPPED_BY
from reports import _load
from reports._errors import ReportInputError

TINY = ("--acceptors", "2", "--proposers", "1", "--learners", "0", "--crashes", "0", "--quiet")


def test_the_report_reader_reads_the_written_schema() -> None:
    typed = [f.name for f in fields(_load.Summary) if f.name not in ("path", "raw")]
    assert typed == [k for k in RUN_SUMMARY_FIELDS if k != "version"]
    assert _load.STATUSES == frozenset(STATUSES) and _load.KINDS == frozenset(KINDS)
    assert _load.STOPPED_BY == frozenset(STOPPED_BY)


@pytest.mark.parametrize("command", ["explore", "simulate"])
def test_a_run_writes_every_field_and_the_report_reads_it(tmp_path: Path, command: str) -> None:
    extra = ("--walks", "20") if command == "simulate" else ()
    assert main([command, *TINY, *extra, "--out", str(tmp_path)]) == 0
    raw = json.loads((tmp_path / "summary.json").read_text())
    assert [k for k in RUN_SUMMARY_FIELDS if k not in raw] == []
    assert raw["run_dir"] == str(tmp_path.resolve())
    summary = _load.load_summary(tmp_path / "summary.json")
    assert summary.command == command and summary.properties


def test_write_summary_refuses_a_run_summary_missing_a_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lacks version"):
        write_summary({"config": {}, "properties": []}, tmp_path, None)
    assert not (tmp_path / "summary.json").exists()


def test_write_summary_writes_both_files_and_other_shapes(tmp_path: Path) -> None:
    verdicts = {"version": 1, "command": "validate", "valid": True}  # validate's JSON is not a run summary
    target = tmp_path / "v.json"
    write_summary(verdicts, None, str(target), run_dir=False)
    assert json.loads(target.read_text()) == verdicts


def _written(tmp_path: Path) -> dict[str, object]:
    assert main(["explore", *TINY, "--out", str(tmp_path / "run")]) == 0
    raw: dict[str, object] = json.loads((tmp_path / "run" / "summary.json").read_text())
    return raw


def test_the_reader_requires_every_field_the_schema_requires(tmp_path: Path) -> None:
    """The reader's field list is the schema's: drop any required field and it names that one."""
    raw = _written(tmp_path)
    target = tmp_path / "summary.json"
    for key in RUN_SUMMARY_FIELDS:
        target.write_text(json.dumps({k: v for k, v in raw.items() if k != key}))
        with pytest.raises(ReportInputError) as info:
            _load.load_summary(target)
        assert f"field '{key}'" in str(info.value) and "\n" not in str(info.value), key


@pytest.mark.parametrize("key, value, words", [
    ("states", "many", "must be an integer"), ("seconds", None, "is missing"), ("seconds", "1", "a number"),
    ("exhaustive", 1, "true or false"), ("coverage", [], "an object"), ("command", 7, "a string"),
    ("states", None, ""), ("coverage", None, ""), ("symmetry_reduction", [1], ""),
])
def test_the_reader_checks_each_field_by_its_schema_type(tmp_path: Path, key: str, value: object, words: str) -> None:
    """A type the schema allows reads (None where it says `| None`, anything for Any); another is refused."""
    raw = dict(_written(tmp_path), **{key: value})
    target = tmp_path / "summary.json"
    target.write_text(json.dumps(raw))
    if not words:
        assert _load.load_summary(target).raw[key] == value
        return
    with pytest.raises(ReportInputError, match=f"field '{key}' {words}" if words == "is missing" else words):
        _load.load_summary(target)
