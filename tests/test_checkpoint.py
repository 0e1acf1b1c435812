"""Checkpoints and `paxos-check resume` (checker/search/checkpoint.py, checker/runs/scale.py): a run killed
with SIGKILL in the middle and resumed ends with exactly the states, transitions, levels, verdicts and
counterexamples of a run that was never interrupted, in one process and with worker processes; the
compact BFS storage behind it (LevelStore, packed frontiers); bad --cluster/--checkpoint flags refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from checker.cli.main import main
from checker.config import CheckConfig
from checker.model import Model
from checker.models.impl_model import ImplModel
from checker.models.spec_model import SpecModel
from checker.search.common import Limits, SearchOptions, SearchResult
from checker.search.frontier import Objects, Packed, concat, take_joined
from checker.search.strategies import search
from checker.search.visited import LevelStore
from properties.spec import SpecConfig

SPEC_BUG = ["explore", "--model", "spec", "--acceptors", "3", "--ballots", "3", "--values", "2",
            "--spec-bug", "phase2a_ignores_1b", "--quiet"]


def _facts(model: Model, r: SearchResult) -> tuple[Any, ...]:
    paths = {p.name: (p.status, None if p.path is None else [model.fingerprint(s) for s in p.path.states()])
             for p in r.properties}
    return (r.states, r.transitions, r.depth, r.states_per_depth, r.exhaustive, paths, r.coverage)


def _summary_facts(path: Path) -> tuple[Any, ...]:
    s = json.loads(path.read_text())
    props = [(p["name"], p["status"], p.get("length"), p.get("witness_length")) for p in s["properties"]]
    return (s["states"], s["transitions"], s["depth"], s["states_per_depth"], s["exhaustive"], s["stopped_by"],
            props, s["coverage"])


# -- storage ------------------------------------------------------------------------------

def test_level_store_keeps_parents_on_disk_and_reads_a_checkpoint_back(tmp_path: Path) -> None:
    store = LevelStore(str(tmp_path), "p0of1")
    store.add(np.array([10], dtype=np.uint64), np.array([10], dtype=np.uint64))
    store.add(np.array([30, 7], dtype=np.uint64), np.array([10, 10], dtype=np.uint64))
    store.add(np.array([2**64 - 1], dtype=np.uint64), np.array([30], dtype=np.uint64))
    assert store.chain(2**64 - 1) == [10, 30, 2**64 - 1]
    assert list(store.contains(np.array([7, 8, 2**64 - 1], dtype=np.uint64))) == [True, False, True]
    assert store.nbytes / len(store) == 16 and store.parent(8) is None
    back = LevelStore(str(tmp_path), "p0of1")
    back.restore(store.sizes)
    assert len(back) == 4 and back.chain(7) == [10, 7]
    scratch = LevelStore()
    scratch.add(np.array([1], dtype=np.uint64), np.array([1], dtype=np.uint64))
    folder = scratch.directory
    scratch.close()
    assert not os.path.exists(folder)


def test_packed_states_round_trip_and_join_across_widths() -> None:
    a = Packed.of([0, 1, 2**70 + 5])
    b = Packed.of([3])
    joined = concat([a, b])
    assert isinstance(joined, Packed) and joined.states() == [0, 1, 2**70 + 5, 3]
    assert joined.take(np.array([3, 0])).states() == [3, 0]
    assert concat([Objects(["x"]), Objects(["y"])]).states() == ["x", "y"]
    picks = np.array([3, 0, 2])
    assert take_joined([a, b], picks).states() == joined.take(picks).states() == [3, 0, 2**70 + 5]
    assert list(take_joined([Objects(["x"]), Objects(["y", "z"])], np.array([2, 0])).states()) == ["z", "x"]


# -- resume in this process ------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: ImplModel(CheckConfig(acceptors=2, proposers=2, ballots=(1, 2), crashes=1, learners=0)),
    lambda: SpecModel(SpecConfig(3, 2, 2), bug="phase2a_ignores_1b"),
], ids=["impl", "spec"])
@pytest.mark.parametrize("workers", [1, 2])
def test_resuming_a_checkpoint_finishes_the_run_as_if_never_stopped(tmp_path: Path, make: Any, workers: int) -> None:
    one: Model = make()
    whole = search(one, "bfs", SearchOptions(coverage=True, workers=workers))
    where = str(tmp_path / "ck")
    cut = search(make(), "bfs", SearchOptions(coverage=True, workers=workers, checkpoint=where, checkpoint_every=0,
                                              limits=Limits(max_depth=6)))
    assert cut.stopped_by == "max_depth"
    other: Model = make()
    rest = search(other, "bfs", SearchOptions(coverage=True, workers=workers, checkpoint=where, resume=True))
    assert _facts(other, rest) == _facts(one, whole)


@pytest.mark.parametrize("ballots", [1, pytest.param((1, 2), marks=pytest.mark.slow, id="retry")], ids=str)
@pytest.mark.parametrize("workers", [1, 2])
def test_a_symmetric_run_resumes_as_if_never_stopped(tmp_path: Path, workers: int, ballots: Any) -> None:
    """Under --symmetry the frontier holds states as reached and the visited set their orbits' fingerprints:
    a resumed run (new models, new interning order) ends with the uninterrupted run's results."""
    def make() -> Model:
        model: Model = ImplModel(CheckConfig(acceptors=3, proposers=2, ballots=ballots, crashes=1, learners=0))
        return model

    def options(**more: Any) -> SearchOptions:
        return SearchOptions(coverage=True, workers=workers, symmetry=True, **more)

    one = make()
    whole = search(one, "bfs", options())
    where = str(tmp_path / "ck")
    cut = search(make(), "bfs", options(checkpoint=where, checkpoint_every=0, limits=Limits(max_depth=8)))
    assert cut.stopped_by == "max_depth" and cut.states < whole.states
    other = make()
    rest = search(other, "bfs", options(checkpoint=where, resume=True))
    assert _facts(other, rest) == _facts(one, whole)
    assert rest.symmetry_reduction == whole.symmetry_reduction and whole.symmetry_reduction is not None


# -- SIGKILL a real run, then resume ---------------------------------------------------------

def _kill_mid_run(args: list[str], ck: Path, at_level: int) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                levels = len(json.loads((ck / "checkpoint.json").read_text())["per_depth"])
            except (OSError, ValueError):
                levels = 0
            if levels >= at_level:
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers, mid-level
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])  # 2: resumed in-process above
def test_a_run_killed_with_sigkill_resumes_to_the_uninterrupted_result(tmp_path: Path, workers: int,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    flags = [*SPEC_BUG, "--workers", str(workers)]
    assert main([*flags, "--out", str(tmp_path / "whole")]) == 1
    ck = tmp_path / "ck"
    killed = [*flags, "--out", str(tmp_path / "cut"), "--checkpoint", str(ck), "--checkpoint-every", "0"]
    _kill_mid_run(killed, ck, at_level=12)
    assert not (tmp_path / "cut" / "summary.json").exists()
    assert main(["resume", str(ck)]) == 1
    assert _summary_facts(tmp_path / "cut" / "summary.json") == _summary_facts(tmp_path / "whole" / "summary.json")
    for trace in ("agreement.csv", "inv_2a_safe.csv"):
        assert (tmp_path / "cut" / "traces" / trace).read_text() == (tmp_path / "whole" / "traces" / trace).read_text()
    capsys.readouterr()


# -- bad flags ---------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, words", [
    (["explore", "--cluster", "bogus"], "--cluster must be 'auto' or ray://HOST:PORT"),
    (["explore", "--cluster", "ray://head"], "--cluster must be 'auto' or ray://HOST:PORT"),
    (["explore", "--cluster", "auto", "--strategy", "dfs"], "--cluster is for --strategy bfs"),
    (["explore", "--checkpoint-every", "5"], "--checkpoint-every applies with --checkpoint"),
    (["explore", "--checkpoint-every", "-1"], "expected a number of seconds"),
    (["resume", "/nonexistent/ck"], "is not a directory"),
])
def test_bad_scale_flags_are_one_line_and_exit_2(argv: list[str], words: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusal
        code = int(exc.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_ray_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    assert main(["explore", "--cluster", "auto"]) == 2
    err = capsys.readouterr().err
    assert "pip install -e '.[cluster]'" in err and err.count("\n") == 1


def test_a_directory_with_a_checkpoint_is_not_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ck = tmp_path / "ck"
    small = ["explore", "--model", "spec", "--acceptors", "2", "--ballots", "1", "--values", "1", "--quiet"]
    assert main([*small, "--out", str(tmp_path / "o"), "--checkpoint", str(ck), "--checkpoint-every", "0"]) == 0
    assert main([*small, "--out", str(tmp_path / "o"), "--checkpoint", str(ck)]) == 2
    assert "paxos-check resume" in capsys.readouterr().err
    assert main(["resume", str(tmp_path)]) == 2  # no run.json there
    assert "not the --checkpoint DIR" in capsys.readouterr().err
