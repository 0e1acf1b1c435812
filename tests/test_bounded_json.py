"""The bounded JSON reads of checkpoint.json and run.json share checker/inputs.read_json_object (one reader,
never more than its limit read); each caller keeps its own one-line error (CheckpointError, UsageError)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.errors import UsageError
from checker.inputs import TooLarge, read_bounded, read_json_object
from checker.runs import scale
from checker.search import checkpoint
from checker.search.checkpoint import CHECKPOINT_FILE, RUN_FILE, CheckpointError, read_checkpoint


def test_read_json_object_bounds_and_shapes(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"a": "b" * 100}))
    assert read_json_object(path, 1000) == {"a": "b" * 100}
    with pytest.raises(TooLarge):
        read_json_object(path, 50)
    for text, why in (("[1]", "not a JSON object"), ("{", "Expecting")):
        path.write_text(text)
        with pytest.raises(ValueError, match=why):
            read_json_object(path, 1000)
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(ValueError):
        read_json_object(path, 1000)
    with pytest.raises(FileNotFoundError):
        read_json_object(tmp_path / "none.json", 1000)


def test_read_bounded_still_says_what_and_how_large(tmp_path: Path) -> None:
    big = tmp_path / "log.csv"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(UsageError, match="the log is larger than 1024 bytes"):
        read_bounded(big, "log", limit=1024)
    with pytest.raises(UsageError, match="cannot open the log"):
        read_bounded(tmp_path / "none.csv", "log")


def test_an_oversized_checkpoint_is_damaged_not_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / CHECKPOINT_FILE).write_text(json.dumps({"version": 2, "pad": "x" * 200}))
    monkeypatch.setattr(checkpoint, "_MAX_META", 64)
    with pytest.raises(CheckpointError, match=f"{CHECKPOINT_FILE} is damaged .*start the run again"):
        read_checkpoint(str(tmp_path))
    with pytest.raises(CheckpointError, match=r"has no checkpoint\.json"):
        read_checkpoint(str(tmp_path / "elsewhere"))


def test_an_oversized_run_file_is_damaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / RUN_FILE
    run.write_text(json.dumps({"version": 1, "args": {"pad": "x" * 200}}))
    assert scale.read_run_flags(str(tmp_path)) == {"pad": "x" * 200}
    monkeypatch.setattr(scale, "_MAX_RUN_FILE", 64)
    with pytest.raises(UsageError, match=r"run\.json is damaged"):
        scale.read_run_flags(str(tmp_path))
    monkeypatch.undo()
    run.write_text("[]")
    with pytest.raises(UsageError, match=r"run\.json is damaged"):
        scale.read_run_flags(str(tmp_path))
    run.unlink()
    with pytest.raises(UsageError, match=r"has no run\.json"):
        scale.read_run_flags(str(tmp_path))
