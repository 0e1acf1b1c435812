"""Files are data, never code (docs/security.md): checkpoints, run.json, traces and summaries crafted to carry
a pickle or Python payload (one that would create a marker file) are refused in one line by resume, replay
and report, through the real `paxos-check` entry point, and the marker never appears; damaged or mismatched
checkpoints are one line each (issue 25, item 8); a run killed before its first checkpoint starts again;
ray:// needs Ray's token authentication. The plain-data format (checker/plaindata.py) round-trips the values
a run holds and refuses everything else."""

from __future__ import annotations

import csv
import enum
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

from checker.plaindata import MAGIC, PlainDataError, dumps, loads
from checker.runs.scale import ray_token_configured
from paxos import BOTTOM, INITIAL_SNAPSHOT, Accepted, Ballot, Promise

_EXE = Path(sys.executable).with_name("paxos-check")
SPEC = ["explore", "--model", "spec", "--acceptors", "3", "--ballots", "2", "--values", "2", "--quiet"]
IMPL = ["explore", "--acceptors", "2", "--proposers", "1", "--ballots", "1", "--crashes", "0", "--quiet"]


def _run(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [str(_EXE)] if _EXE.exists() else [sys.executable, "-m", "checker.cli"]
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([*cmd, *argv], cwd=cwd, capture_output=True, text=True, timeout=300, env=full_env)


def _refused(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """The one line of a refusal (exit 2, no traceback)."""
    err = proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], err[-1500:])
    assert "Traceback" not in err and err.count("\n") == 1, err
    for w in words:
        assert w in err, (w, err)
    return err


class _Payload:
    """Unpickling this runs `touch MARKER`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def _pickle(marker: Path) -> bytes:
    return pickle.dumps(_Payload(marker))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Checkpoints of a spec run and an implementation run (stopped at depth 4) and a run directory with traces."""
    root = tmp_path_factory.mktemp("sec")
    out: dict[str, Path] = {"root": root}
    for name, flags in (("spec", SPEC), ("impl", IMPL)):
        ck = root / f"ck_{name}"
        proc = _run(*flags, "--max-depth", "4", "--checkpoint", str(ck), "--checkpoint-every", "0",
                    "--out", str(root / f"o_{name}"), cwd=root)
        assert proc.returncode == 3, proc.stderr
        out[name] = ck
    proc = _run("explore", "--impl", "paxos.bugs:own_value", "--quiet", "--stop-on-first", "--out",
                str(root / "bug"), cwd=root)
    assert proc.returncode == 1, proc.stderr
    out["bug"] = root / "bug"
    return out


def _copy(src: Path, tmp: Path) -> Path:
    dst = tmp / src.name
    shutil.copytree(src, dst)
    return dst


def _frontier(ck: Path) -> Path:
    (f,) = (ck / "levels").glob("*-F*.bin")
    return f


def _set_digest(ck: Path, name: str) -> None:
    """Make checkpoint.json agree with the file as it is now (an attacker who rewrites both)."""
    meta = json.loads((ck / "checkpoint.json").read_text())
    for p in meta["partitions"]:
        files = [p["frontier"], *p["levels_files"]]
        if name in files:
            p["digests"][files.index(name)] = hashlib.sha256((ck / "levels" / name).read_bytes()).hexdigest()
    (ck / "checkpoint.json").write_text(json.dumps(meta))


def _plain_file(doc: Any, kind: str = "frontier", version: int = 1) -> bytes:
    body = json.dumps(doc).encode()
    header = {"kind": kind, "version": version, "sha256": hashlib.sha256(body).hexdigest(), "length": len(body),
              "document": len(body), "arrays": []}
    return MAGIC + json.dumps(header).encode() + b"\n" + body


# -- checkpoints carrying code --------------------------------------------------------------

@pytest.mark.parametrize("which", ["spec", "impl"])
def test_a_pickled_frontier_is_never_unpickled(made: dict[str, Path], tmp_path: Path, which: str) -> None:
    marker = tmp_path / "MARKER"
    ck = _copy(made[which], tmp_path)
    front = _frontier(ck)
    front.write_bytes(_pickle(marker))
    _refused(_run("resume", str(ck), cwd=tmp_path), front.name, "pickle", "start the run again")
    _set_digest(ck, front.name)  # the checksum made to match: still never unpickled
    _refused(_run("resume", str(ck), cwd=tmp_path), front.name, "pickle")
    assert not marker.exists()


def test_a_level_file_replaced_by_a_pickle_is_refused(made: dict[str, Path], tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    ck = _copy(made["spec"], tmp_path)
    level = ck / "levels" / "p0of1-L1.par"
    level.write_bytes(_pickle(marker))
    _refused(_run("resume", str(ck), cwd=tmp_path), "p0of1-L1.par")
    assert not marker.exists()


@pytest.mark.parametrize("cls", ["os:system", "subprocess:Popen", "builtins:eval", "evilmod:Snapshot"])
def test_a_plain_frontier_naming_a_class_that_is_not_plain_data_is_refused(made: dict[str, Path], tmp_path: Path,
                                                                          cls: str) -> None:
    """A well-formed frontier file whose checksums match may still name any class: only dataclasses, named
    tuples and enums of modules already imported are built, and without calling their code."""
    marker = tmp_path / "MARKER"
    (tmp_path / "evilmod.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Snapshot(tuple):\n"
                                         "    _fields = ('a',)\n")
    ck = _copy(made["impl"], tmp_path)
    front = _frontier(ck)
    doc = {"d": [["packed", False], ["states", {"c": cls, "v": [f"touch {marker}"]}],
                 ["fps", {"l": []}]]}
    front.write_bytes(_plain_file(doc))
    _set_digest(ck, front.name)
    _refused(_run("resume", str(ck), cwd=tmp_path), front.name, cls)
    assert not marker.exists()


def test_an_old_pickle_checkpoint_is_refused_with_start_again(made: dict[str, Path], tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    ck = _copy(made["spec"], tmp_path)
    meta = json.loads((ck / "checkpoint.json").read_text())
    meta["version"] = 1
    (ck / "checkpoint.json").write_text(json.dumps(meta))
    _frontier(ck).write_bytes(_pickle(marker))
    _refused(_run("resume", str(ck), cwd=tmp_path), "older paxos-check", "start the run again")
    assert not marker.exists()


@pytest.mark.parametrize("key, value, words", [
    ("model", "PICKLE", "--model"),
    ("out", "PICKLE", "control characters"),
    ("impl", "PICKLE", "control characters"),
    ("evil", "x", "'evil', which is no flag of explore"),
    ("max_depth", "x", "--max-depth"),
    ("acceptors", [3], "--acceptors"),
])
def test_a_run_file_carrying_a_payload_is_refused(made: dict[str, Path], tmp_path: Path, key: str, value: Any,
                                                  words: str) -> None:
    marker = tmp_path / "MARKER"
    ck = _copy(made["spec"], tmp_path)
    saved = json.loads((ck / "run.json").read_text())
    saved["args"][key] = pickle.dumps(_Payload(marker), protocol=0).decode("latin-1") if value == "PICKLE" else value
    (ck / "run.json").write_text(json.dumps(saved))
    _refused(_run("resume", str(ck), cwd=tmp_path), "run.json", words)
    assert not marker.exists()


# -- damaged and mismatched checkpoints (issue 25, item 8) ---------------------------------------

def _add_event(ck: Path, event: list[Any]) -> None:
    meta = json.loads((ck / "checkpoint.json").read_text())
    meta["events"].append(event)
    (ck / "checkpoint.json").write_text(json.dumps(meta))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])


@pytest.mark.parametrize("damage, words", [
    (lambda ck: _truncate(_frontier(ck)), ["-F", "damaged", "start the run again"]),
    (lambda ck: _truncate(ck / "levels" / "p0of1-L2.fps"), ["p0of1-L2.fps", "truncated", "start the run again"]),
    (lambda ck: _truncate(ck / "checkpoint.json"), ["checkpoint.json", "damaged", "start the run again"]),
    (lambda ck: _truncate(ck / "run.json"), ["run.json", "damaged"]),
    (lambda ck: (ck / "levels" / "p0of1-L1.par").unlink(), ["p0of1-L1.par", "missing"]),
    (lambda ck: (ck / "run.json").write_text((ck / "run.json").read_text().replace('"acceptors": 3',
                                                                                 '"acceptors": 4')),
     ["run.json was changed after the checkpoint", "--acceptors 4 there, 3 in the checkpoint", "put those flags back"]),
    (lambda ck: _add_event(ck, ["agreement", 12345, None]), ["a state it does not hold", "start the run again"]),
    (lambda ck: _add_event(ck, ["no_such_property", 1, None]), ["'no_such_property'", "start the run again"]),
    (lambda ck: _add_event(ck, ["agreement", "x", None]), ["malformed", "'events'"]),
], ids=["frontier", "level", "checkpoint.json", "run.json", "missing level", "other bounds", "event state",
        "event name", "event shape"])
def test_a_damaged_checkpoint_is_one_line(made: dict[str, Path], tmp_path: Path,
                                          damage: Callable[[Path], None], words: list[str]) -> None:
    ck = _copy(made["spec"], tmp_path)
    damage(ck)
    _refused(_run("resume", str(ck), cwd=tmp_path), *words)


def test_another_runs_frontier_is_refused(made: dict[str, Path], tmp_path: Path) -> None:
    """The implementation run's frontier (whole, checksums made to match) in the spec run's checkpoint."""
    ck = _copy(made["spec"], tmp_path)
    front = _frontier(ck)
    shutil.copyfile(_frontier(made["impl"]), front)
    _set_digest(ck, front.name)
    _refused(_run("resume", str(ck), cwd=tmp_path), front.name, "another run")


def test_a_run_killed_before_its_first_checkpoint_starts_again(made: dict[str, Path], tmp_path: Path) -> None:
    whole = _run(*SPEC, "--out", str(tmp_path / "whole"), cwd=tmp_path)
    ck = _copy(made["spec"], tmp_path)
    saved = json.loads((ck / "run.json").read_text())
    saved["args"]["max_depth"] = None
    saved["args"]["out"] = str(tmp_path / "again")
    (ck / "run.json").write_text(json.dumps(saved))
    (ck / "checkpoint.json").unlink()  # as if killed before the first checkpoint was written
    again = _run("resume", str(ck), cwd=tmp_path)
    assert again.returncode == whole.returncode == 0, again.stderr
    assert "starting the run again" in again.stdout
    a, b = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("whole", "again"))
    assert (a["states"], a["transitions"], a["states_per_depth"]) == (b["states"], b["transitions"],
                                                                       b["states_per_depth"])


def test_resume_warns_when_others_can_write_the_checkpoint(made: dict[str, Path], tmp_path: Path) -> None:
    ck = _copy(made["spec"], tmp_path)
    os.chmod(ck / "levels", 0o777)
    proc = _run("resume", str(ck), cwd=tmp_path)
    assert proc.returncode == 3 and "writable by other users" in proc.stderr and "levels" in proc.stderr
    os.chmod(ck / "levels", 0o755)
    assert "writable" not in _run("resume", str(ck), cwd=tmp_path).stderr


# -- traces and summaries carrying code ---------------------------------------------------------

def _edit_trace(src: Path, dst: Path, row: int, column: str, cell: str) -> None:
    rows = list(csv.reader(src.open(newline="")))
    rows[row][rows[0].index(column)] = cell
    with dst.open("w", newline="") as f:
        csv.writer(f).writerows(rows)


@pytest.mark.parametrize("row, column", [(1, "value"), (3, "msg_type"), (3, "max_val"), (2, "value")])
@pytest.mark.parametrize("kind", ["pickle", "expr"])
def test_a_trace_cell_carrying_a_payload_runs_nothing(made: dict[str, Path], tmp_path: Path, row: int, column: str,
                                                      kind: str) -> None:
    marker = tmp_path / "MARKER"
    cell = (pickle.dumps(_Payload(marker), protocol=0).decode("latin-1") if kind == "pickle"
            else f"__import__('os').system('touch {marker}')")
    trace = tmp_path / "t.csv"
    _edit_trace(made["bug"] / "traces" / "refines_spec.csv", trace, row, column, cell)
    _refused(_run("replay", str(trace), cwd=tmp_path), "t.csv:")
    _refused(_run("export", str(trace), "--format", "itf", "-o", str(tmp_path / "t.itf.json"), cwd=tmp_path))
    assert not marker.exists()


@pytest.mark.parametrize("edit", ["name", "strategy", "trace", "trace_cell"])
def test_a_run_directory_carrying_a_payload_is_refused_by_report(made: dict[str, Path], tmp_path: Path,
                                                                 edit: str) -> None:
    marker = tmp_path / "MARKER"
    run = _copy(made["bug"], tmp_path)
    summary = json.loads((run / "summary.json").read_text())
    payload = pickle.dumps(_Payload(marker), protocol=0).decode("latin-1")
    if edit == "name":
        summary["properties"][0]["name"] = "<script>alert(1)</script>"
    elif edit == "strategy":
        summary["strategy"] = payload
    elif edit == "trace":
        summary["properties"][0]["trace"] = "/etc/passwd"
    else:
        src = run / "traces" / "refines_spec.csv"
        _edit_trace(src, src, 3, "value", payload)
    (run / "summary.json").write_text(json.dumps(summary))
    _refused(_run("report", str(run), cwd=tmp_path))
    assert not marker.exists() and not (run / "report.html").exists()


# -- Ray ----------------------------------------------------------------------------------------

def test_a_ray_address_without_token_authentication_is_refused(tmp_path: Path) -> None:
    env = {"RAY_AUTH_MODE": "", "RAY_AUTH_TOKEN": "", "RAY_AUTH_TOKEN_PATH": str(tmp_path / "none"),
           "HOME": str(tmp_path)}
    for argv in (["explore", "--cluster", "ray://127.0.0.1:10001"],
                 ["simulate", "--strategy", "swarm", "--cluster", "ray://127.0.0.1:10001"]):
        _refused(_run(*argv, cwd=tmp_path, env=env), "token authentication", "RAY_AUTH_MODE=token")


def test_ray_token_configured_follows_rays_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert not ray_token_configured()
    monkeypatch.setenv("RAY_AUTH_TOKEN", "secret")
    assert not ray_token_configured()  # a token without the mode: Ray would not send it
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    assert ray_token_configured()
    monkeypatch.delenv("RAY_AUTH_TOKEN")
    assert not ray_token_configured()
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("secret\n")
    assert ray_token_configured()
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(tmp_path / "empty"))
    (tmp_path / "empty").write_text("")
    assert not ray_token_configured()


# -- the plain-data format ------------------------------------------------------------------------

class Color(enum.Enum):
    RED = 1


class Pair(NamedTuple):
    a: int
    b: Any


@dataclass(frozen=True)
class Box:
    x: Any


def test_plain_data_round_trips_what_a_run_holds() -> None:
    values = [INITIAL_SNAPSHOT, Promise(1, Ballot(0, 1), BOTTOM, None),
              frozenset({Accepted(3, Ballot(2, 1), "v1")}), 2**200 + 7, -5, 1.5, float("inf"), b"\x00\xff",
              Color.RED, Pair(1, (2, "x")), Box({"k": [1, {2}]}), [(1, 2**70, (3, 4)), (5, 6, ())],
              [(1, -2**65, ()), (2, 0, (1,))], np.arange(5, dtype=np.uint64), (), [], None, True]
    data = dumps("test", 3, values)
    back = loads(data, "test", 3, "f")
    assert back[:-8] == values[:-8] and back[-7:-5] == values[-7:-5]
    assert np.array_equal(back[-5], values[-5]) and back[-4:] == values[-4:]
    assert type(back[0]) is type(INITIAL_SNAPSHOT) and hash(back[0]) == hash(INITIAL_SNAPSHOT)


def test_plain_data_refuses_what_it_cannot_write_or_read() -> None:
    class Local:
        pass

    for bad in (Local(), object(), lambda: 0, {1: Local()}):
        with pytest.raises(PlainDataError):
            dumps("test", 1, bad)
    data = dumps("test", 1, [1, 2])
    for other, words in ((data.replace(b'"version":1', b'"version":2'), "version 2"),
                         (data[:-1], "truncated"), (data[:-1] + b"]", "checksum"),
                         (b"\x80\x04" + data, "pickle"), (b"hello", "not a paxos-check plain data file")):
        with pytest.raises(PlainDataError, match=words):
            loads(other, "test", 1, "f")
    with pytest.raises(PlainDataError, match="holds 'test', not 'frontier'"):
        loads(data, "frontier", 1, "f")
