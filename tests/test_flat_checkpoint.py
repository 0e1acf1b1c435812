"""Checkpoints of the compiled engine (checker/search/flat_checkpoint.py): a compiled run stopped (a depth or
state bound, its time limit, Ctrl-C in the middle of a level) and resumed ends with exactly the results of a
run never stopped (states, transitions, levels, coverage, verdicts, every path step by step, the symmetry
reduction), with and without symmetry and quiet blocks, with a violation found after the resume and with a
node that raises; either engine resumes the other's checkpoint; a damaged, truncated or forged checkpoint is
refused in one line (exit 2) before any state is read; the summary says the compiled engine ran."""

from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from checker.cli.main import main
from checker.config import CheckConfig
from checker.models.impl_model import ImplModel
from checker.models.reductions import Reductions
from checker.search import flat_bfs, flat_checkpoint
from checker.search.bfs import bfs
from checker.search.common import Limits, Progress, SearchOptions, SearchResult
from checker.signals import ctrl_c_stops_search
from tests.engine_results import same_results
from tests.test_checkpoint import _kill_mid_run
from tests.test_reductions_sound import _catalog_cfg

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NO_POR, POR = Reductions(por=False), Reductions()
TWO = CheckConfig(acceptors=2, proposers=2, ballots=(1, 2), crashes=1, learners=0)
THREE = CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1)


def _model(cfg: CheckConfig, red: Reductions) -> ImplModel:
    return ImplModel(cfg, reductions=red)


def _run(cfg: CheckConfig, red: Reductions, engine: str = "compiled", **options: Any) -> SearchResult:
    return bfs(_model(cfg, red), SearchOptions(engine=engine, coverage=True, **options))


def _meta(where: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((where / "checkpoint.json").read_text())
    return meta


def _resumed_equals_whole(cfg: CheckConfig, red: Reductions, cut: SearchResult, where: Path,
                          engine: str = "compiled", **options: Any) -> SearchResult:
    whole = _run(cfg, red, **options)
    rest = _run(cfg, red, engine, checkpoint=str(where), resume=True, **options)
    assert whole.engine == "compiled" and rest.engine == engine
    assert cut.states < whole.states and not cut.exhaustive
    same_results(rest, whole)
    assert (rest.unreduced_states, rest.symmetry_reduction) == (whole.unreduced_states, whole.symmetry_reduction)
    return rest


# -- bounds, the time limit, Ctrl-C in the middle of a level -----------------------------------------------------

@pytest.mark.parametrize("red", [NO_POR, POR], ids=["no-por", "por"])
@pytest.mark.parametrize("cfg, symmetry", [(TWO, False), (THREE, True), (THREE, False)], ids=["2a", "3a-sym", "3a"])
@pytest.mark.parametrize("limits", [Limits(max_depth=6), Limits(max_states=250)], ids=["depth", "states"])
def test_a_bounded_compiled_run_resumes_to_the_whole_run(tmp_path: Path, cfg: CheckConfig, symmetry: bool,
                                                         red: Reductions, limits: Limits) -> None:
    cut = _run(cfg, red, symmetry=symmetry, checkpoint=str(tmp_path), checkpoint_every=0, limits=limits)
    assert cut.engine == "compiled" and cut.stopped_by in ("max_depth", "max_states")
    meta = _meta(tmp_path)
    assert meta["engine"] == "compiled" and sum(meta["per_depth"]) <= cut.states
    if limits.max_depth is not None:  # every level was checkpointed: the last is the one at the bound
        assert len(meta["per_depth"]) == 6
    _resumed_equals_whole(cfg, red, cut, tmp_path, symmetry=symmetry)


@pytest.mark.parametrize("cfg, symmetry, red", [(TWO, False, NO_POR), (THREE, True, POR)], ids=["2a", "3a-sym-por"])
def test_ctrl_c_in_the_middle_of_a_level_leaves_a_checkpoint_of_its_boundary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cfg: CheckConfig, symmetry: bool, red: Reductions) -> None:
    """A real SIGINT while a level is expanded (levels in chunks of 16 rows): the search stops between two
    chunks and, though no periodic checkpoint was due, writes one of the level it was expanding."""
    monkeypatch.setattr(flat_bfs, "_CHUNK", 16)
    calls: list[int] = []

    def progress(p: Progress) -> None:
        if p.depth >= 9:
            calls.append(p.frontier)
            if len(calls) == 3:  # the third chunk of level 9
                os.kill(os.getpid(), signal.SIGINT)

    with ctrl_c_stops_search():
        cut = _run(cfg, red, symmetry=symmetry, checkpoint=str(tmp_path), progress=progress, progress_interval=0)
    assert cut.stopped_by == "interrupted" and cut.engine == "compiled"
    meta = _meta(tmp_path)
    assert len(meta["per_depth"]) == 9 and meta["per_depth"] == cut.states_per_depth[:9]
    assert cut.transitions > meta["transitions"]  # part of level 9 was expanded, and is not in the checkpoint
    _resumed_equals_whole(cfg, red, cut, tmp_path, symmetry=symmetry)


def test_the_time_limit_leaves_a_checkpoint(tmp_path: Path) -> None:
    cut = _run(TWO, POR, checkpoint=str(tmp_path), limits=Limits(time_limit=1e-9))  # no periodic one is due
    assert cut.stopped_by == "time_limit" and _meta(tmp_path)["per_depth"] == [1]
    _resumed_equals_whole(TWO, POR, cut, tmp_path)


def test_a_stop_at_a_checkpointed_boundary_writes_nothing_more(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every level is checkpointed (--checkpoint-every 0): a stop rewrites none of it."""
    cut = _run(TWO, NO_POR, checkpoint=str(tmp_path), checkpoint_every=0, limits=Limits(max_depth=4))
    before = (tmp_path / "checkpoint.json").read_bytes()
    ck = flat_checkpoint.FlatCheckpoints
    monkeypatch.setattr(ck, "_save", lambda self, level: pytest.fail("a checkpoint was written again"))
    rest = _run(TWO, NO_POR, checkpoint=str(tmp_path), resume=True, limits=Limits(time_limit=1e-9))
    assert rest.stopped_by == "time_limit" and (tmp_path / "checkpoint.json").read_bytes() == before
    assert rest.states == cut.states


@pytest.mark.parametrize("symmetry", [False, True], ids=["plain", "sym"])
def test_a_resumed_run_stopped_again_resumes_to_the_whole_run(tmp_path: Path, symmetry: bool) -> None:
    """Three sessions: the second writes checkpoints of its own (levels after the first's, counts since the
    resume added to those before), the third resumes them."""
    cfg = THREE
    first = _run(cfg, POR, symmetry=symmetry, checkpoint=str(tmp_path), checkpoint_every=0, limits=Limits(max_depth=4))
    second = _run(cfg, POR, symmetry=symmetry, checkpoint=str(tmp_path), checkpoint_every=0, resume=True,
                  limits=Limits(max_depth=9))
    assert first.states < second.states and second.stopped_by == "max_depth"
    assert len(_meta(tmp_path)["per_depth"]) == 9
    _resumed_equals_whole(cfg, POR, second, tmp_path, symmetry=symmetry)


# -- violations found after the resume, nodes that raise ------------------------------------------------------------

@pytest.mark.parametrize("stop", [False, True], ids=["all", "stop-on-first"])
@pytest.mark.parametrize("red", [NO_POR, POR], ids=["no-por", "por"])
def test_violations_found_after_the_resume_are_the_whole_run_s(tmp_path: Path, red: Reductions, stop: bool) -> None:
    cfg = _catalog_cfg("stale_promises", False)
    cut = _run(cfg, red, checkpoint=str(tmp_path), checkpoint_every=0, limits=Limits(max_depth=3),
               stop_on_first_violation=stop)
    assert all(p.status != "violated" for p in cut.properties)
    rest = _resumed_equals_whole(cfg, red, cut, tmp_path, stop_on_first_violation=stop)
    if stop:
        assert rest.stopped_by == "violation" and any(p.status == "violated" for p in rest.properties)
    else:
        assert rest.status("agreement") == "violated" and rest.exhaustive


@pytest.mark.parametrize("impl", ["tests.bad_nodes:raising_on_accepted", "tests.bad_nodes:raising_on_promise"])
def test_a_node_that_raises_after_the_resume_is_the_whole_run_s_finding(tmp_path: Path, impl: str) -> None:
    cfg = CheckConfig(acceptors=2, proposers=1, learners=1, crashes=0, impl=impl)
    red = Reductions(learners_apart=False)
    cut = _run(cfg, red, checkpoint=str(tmp_path), checkpoint_every=0, limits=Limits(max_depth=2))
    assert cut.status("node_error") != "violated"
    rest = _resumed_equals_whole(cfg, red, cut, tmp_path)
    assert rest.status("node_error") == "violated"


def test_violations_found_before_the_checkpoint_come_back_with_their_paths(tmp_path: Path) -> None:
    cfg = _catalog_cfg("stale_promises", False)
    cut = _run(cfg, NO_POR, checkpoint=str(tmp_path), checkpoint_every=0, limits=Limits(max_depth=12))
    assert cut.status("agreement") == "violated" and cut.status("inv_2a_safe") == "violated"
    assert {e[0] for e in _meta(tmp_path)["events"]} >= {"agreement", "inv_2a_safe"}
    _resumed_equals_whole(cfg, NO_POR, cut, tmp_path)


# -- either engine resumes the other's checkpoint ----------------------------------------------------------------

@pytest.mark.parametrize("first, then", [("compiled", "python"), ("python", "compiled")])
@pytest.mark.parametrize("cfg, symmetry", [(TWO, False), (THREE, True)], ids=["2a", "3a-sym"])
def test_either_engine_resumes_the_other_s_checkpoint(tmp_path: Path, first: str, then: str, cfg: CheckConfig,
                                                      symmetry: bool) -> None:
    cut = _run(cfg, POR, first, symmetry=symmetry, checkpoint=str(tmp_path), checkpoint_every=0,
               limits=Limits(max_depth=7))
    assert cut.engine == first and _meta(tmp_path)["engine"] == first
    _resumed_equals_whole(cfg, POR, cut, tmp_path, then, symmetry=symmetry)


def test_the_spec_model_s_compiled_checkpoint_resumes_on_both_engines(tmp_path: Path) -> None:
    from checker.models.spec_model import SpecModel
    from properties.spec import SpecConfig

    def run(engine: str, **options: Any) -> SearchResult:
        return bfs(SpecModel(SpecConfig(3, 2, 2), bug="phase2a_ignores_1b"),
                   SearchOptions(engine=engine, coverage=True, **options))

    whole = run("python")
    for engine in ("compiled", "python"):
        where = str(tmp_path / engine)
        cut = run("compiled", checkpoint=where, checkpoint_every=0, limits=Limits(max_depth=5))
        assert cut.engine == "compiled" and cut.states < whole.states
        rest = run(engine, checkpoint=where, resume=True)
        same_results(rest, whole)


# -- the command line: SIGKILL, resume, trace files, damaged and forged files ------------------------------------------

ARGS = ["explore", "--impl", "paxos.bugs:stale_promises", "--acceptors", "3", "--proposers", "2", "--ballots", "1",
        "--crashes", "1", "--no-por", "--quiet"]


def _summary(path: Path) -> tuple[Any, ...]:
    s = json.loads(path.read_text())
    props = [(p["name"], p["status"], p.get("length")) for p in s["properties"]]
    return (s["states"], s["transitions"], s["depth"], s["states_per_depth"], s["exhaustive"], props, s["coverage"],
            s["engine"])


@pytest.mark.slow  # about a minute: 322,433 states three times (the run must last long enough to be killed)
def test_a_compiled_run_killed_with_sigkill_resumes_with_the_same_summary_and_traces(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*ARGS[:-5], "1,2", *ARGS[-4:-2], "--quiet", "--no-hash-order-check"]  # quiet blocks on
    assert main([*args, "--out", str(tmp_path / "whole")]) == 1
    ck = tmp_path / "ck"
    _kill_mid_run([*args, "--out", str(tmp_path / "cut"), "--checkpoint", str(ck), "--checkpoint-every", "0"], ck,
                  at_level=12)
    assert _meta(ck)["engine"] == "compiled"
    assert main(["resume", str(ck)]) == 1
    got, want = _summary(tmp_path / "cut" / "summary.json"), _summary(tmp_path / "whole" / "summary.json")
    assert got == want and got[-1] == "compiled"
    traces = sorted(p.name for p in (tmp_path / "whole" / "traces").glob("*.csv"))
    assert traces and traces == sorted(p.name for p in (tmp_path / "cut" / "traces").glob("*.csv"))
    for name in traces:
        assert (tmp_path / "cut" / "traces" / name).read_text() == (tmp_path / "whole" / "traces" / name).read_text()
    capsys.readouterr()


@pytest.fixture(scope="module")
def checkpointed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compiled run's checkpoint directory (every level; its last checkpoint resumes to the end)."""
    where = tmp_path_factory.mktemp("ck") / "ck"
    out = where.parent / "out"
    assert main([*ARGS, "--max-depth", "8", "--out", str(out), "--checkpoint", str(where),
                 "--checkpoint-every", "0"]) == 3
    return where


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def _redigest(ck: Path, name: str) -> None:
    """Forge checkpoint.json: the checksum of `name` made the one of the file as it is now."""
    meta = _meta(ck)
    part = meta["partitions"][0]
    names = [part["frontier"], *part["levels_files"]]
    part["digests"][names.index(name)] = hashlib.sha256((ck / "levels" / name).read_bytes()).hexdigest()
    (ck / "checkpoint.json").write_text(json.dumps(meta))


def _flip(path: Path, at: int = -3) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _swap_first_two(path: Path) -> None:
    a = np.fromfile(path, dtype="<u8")
    a[[0, 1]] = a[[1, 0]]
    a.tofile(path)


def _parent_elsewhere(path: Path) -> None:
    a = np.fromfile(path, dtype="<u8")
    a[0] ^= np.uint64(1 << 40)
    a.tofile(path)


@pytest.mark.parametrize("damage, words", [
    (lambda ck: (ck / "levels" / "p0of1-L5.fps").write_bytes((ck / "levels" / "p0of1-L5.fps").read_bytes()[:-8]),
     "p0of1-L5.fps holds"),
    (lambda ck: _flip(ck / "levels" / "p0of1-L3.par"), "p0of1-L3.par does not match the checksum"),
    (lambda ck: _flip(ck / "levels" / _meta(ck)["partitions"][0]["frontier"]), "-F8.bin"),
    (lambda ck: os.unlink(ck / "levels" / "p0of1-L2.fps"), "p0of1-L2.fps is missing"),
    (lambda ck: (_swap_first_two(ck / "levels" / "p0of1-L4.fps"), _redigest(ck, "p0of1-L4.fps")),
     "p0of1-L4.fps is not sorted"),
    (lambda ck: (_parent_elsewhere(ck / "levels" / "p0of1-L6.par"), _redigest(ck, "p0of1-L6.par")),
     "p0of1-L6.par gives states parents that are not in the level before"),
    (lambda ck: (_parent_elsewhere(ck / "levels" / "p0of1-L0.par"), _redigest(ck, "p0of1-L0.par")),
     "p0of1-L0.par gives an initial state a parent"),
    (lambda ck: (ck / "checkpoint.json").write_text((ck / "checkpoint.json").read_text()[:-40]), "is damaged"),
], ids=["truncated-level", "altered-parents", "altered-frontier", "missing-level", "forged-unsorted",
        "forged-parent", "forged-root", "truncated-json"])
def test_a_damaged_or_forged_checkpoint_is_refused_in_one_line_before_any_state_is_read(
        tmp_path: Path, checkpointed: Path, damage: Any, words: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    ck = _copy(checkpointed, tmp_path / "ck")
    damage(ck)
    capsys.readouterr()
    monkeypatch.setattr(flat_checkpoint.FlatCheckpoints, "_frontier_level",
                        lambda *a: pytest.fail("a state was read from a damaged checkpoint"))
    assert main(["resume", str(ck)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_another_run_s_frontier_is_refused_in_one_line(tmp_path: Path, checkpointed: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A frontier file of another run (another depth's states), its checksum forged: refused by fingerprints."""
    other = tmp_path / "other"
    assert main([*ARGS, "--max-depth", "7", "--out", str(tmp_path / "o"), "--checkpoint", str(other),
                 "--checkpoint-every", "0"]) == 3
    ck = _copy(checkpointed, tmp_path / "ck")
    name = _meta(ck)["partitions"][0]["frontier"]
    (ck / "levels" / name).write_bytes((other / "levels" / _meta(other)["partitions"][0]["frontier"]).read_bytes())
    _redigest(ck, name)
    capsys.readouterr()
    assert main(["resume", str(ck)]) == 2
    err = capsys.readouterr().err
    assert "fingerprints" in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_the_checkpoint_of_a_compiled_run_resumes_and_the_summary_says_compiled(
        tmp_path: Path, checkpointed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ck = _copy(checkpointed, tmp_path / "ck")
    out = Path(json.loads((ck / "run.json").read_text())["args"]["out"])
    assert main(["resume", str(ck)]) == 3  # the same --max-depth 8: bounded again, from the checkpoint
    assert json.loads((out / "summary.json").read_text())["engine"] == "compiled"
    assert "Python engine runs" not in capsys.readouterr().out


def test_checkpoint_with_workers_is_not_the_compiled_engine_s(tmp_path: Path) -> None:
    """--workers N alone runs the compiled engine in threads; with --checkpoint it is N processes of the Python
    engine (their checkpoint has N partitions)."""
    threads = bfs(_model(TWO, POR), SearchOptions(workers=2, limits=Limits(max_depth=2)))
    assert threads.engine == "compiled (2 threads)"
    result = bfs(_model(TWO, POR), SearchOptions(workers=2, limits=Limits(max_depth=2), checkpoint=str(tmp_path)))
    assert result.engine is not None and result.engine.startswith("python")
    assert result.states == threads.states


def test_columns_are_written_as_the_tuples_they_stand_for() -> None:
    from checker.plaindata import Columns, dumps, loads

    limbs = np.array([[5, 0], [2**64 - 1, 7], [0, 2**63]], dtype=np.uint64)
    small = np.array([0, 300, 2**40], dtype=np.uint64)
    as_tuples = [(int(a) | int(b) << 64, int(c)) for (a, b), c in zip(limbs, small, strict=True)]
    got = loads(dumps("t", 1, {"s": Columns([limbs, small], 3)}), "t", 1, "x")["s"]
    assert got == as_tuples == loads(dumps("t", 1, {"s": as_tuples}), "t", 1, "x")["s"]
