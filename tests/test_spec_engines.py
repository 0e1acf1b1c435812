"""The Spec model's two BFS engines agree: `--engine compiled` (checker/search/flat_bfs.py on
checker/models/spec_core.py) against `--engine python` (bfs.py's partitions over spec_model.py):
states, transitions, depth, states per level, coverage, verdicts and every counterexample path,
on several small configurations, the planted bugs and the search limits; and the pinned counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from checker.cli.main import main
from checker.models.spec_core import SpecCore
from checker.models.spec_model import SpecModel
from checker.search import flat_bfs
from checker.search.bfs import bfs
from checker.search.common import Limits, SearchOptions, SearchResult
from properties.spec import SpecConfig

CONFIGS = [(3, 2, 2), (2, 3, 2), (3, 2, 3), (4, 2, 2), (1, 3, 2)]
BUGS = [None, "phase2a_ignores_1b", "phase2b_ignores_maxbal"]


def _run(cfg: tuple[int, int, int], engine: str, bug: str | None = None, **options: object) -> SearchResult:
    model = SpecModel(SpecConfig(*cfg), bug=bug)
    return bfs(model, SearchOptions(engine=engine, coverage=True, **options))  # type: ignore[arg-type]


def _same(a: SearchResult, b: SearchResult) -> None:
    assert (a.states, a.transitions, a.depth, a.exhaustive, a.stopped_by) == (
        b.states, b.transitions, b.depth, b.exhaustive, b.stopped_by)
    assert a.states_per_depth == b.states_per_depth
    assert a.coverage == b.coverage
    assert [(p.name, p.status) for p in a.properties] == [(p.name, p.status) for p in b.properties]
    for p, q in zip(a.properties, b.properties, strict=True):
        assert p.path == q.path, p.name  # the same states and actions, step by step


@pytest.mark.parametrize("cfg", CONFIGS)
def test_engines_agree_on_correct_spec(cfg: tuple[int, int, int]) -> None:
    _same(_run(cfg, "compiled"), _run(cfg, "python"))


@pytest.mark.parametrize("bug", BUGS[1:])
def test_engines_agree_on_planted_bugs_and_their_counterexamples(bug: str) -> None:
    compiled, python = _run((3, 2, 2), "compiled", bug), _run((3, 2, 2), "python", bug)
    _same(compiled, python)
    assert compiled.violated  # the bug is found, with the same shortest paths
    assert python.bytes_per_state == 16.0 and compiled.bytes_per_state is not None
    assert compiled.bytes_per_state < 24.0  # 8-byte fingerprints, 4-byte ids in a table kept under 70% full


def test_pinned_tlc_counts_on_both_engines() -> None:
    for engine in ("compiled", "python"):
        small = _run((3, 2, 2), engine)
        assert (small.states, small.depth, small.transitions) == (3_921, 17, 9_442), engine
        assert small.exhaustive and all(p.status == "held" for p in small.properties)
    three = _run((3, 3, 2), "compiled")
    assert (three.states, three.depth) == (185_369, 25)


@pytest.mark.parametrize("options", [
    {"limits": Limits(max_states=1_000)},
    {"limits": Limits(max_depth=9)},
    {"limits": Limits(max_depth=17)},  # the last level: nothing beyond it, so exhaustive
    {"stop_on_first_violation": True},
])
def test_engines_agree_under_limits(options: dict[str, object]) -> None:
    for bug in (None, "phase2a_ignores_1b"):
        _same(_run((3, 2, 2), "compiled", bug, **options), _run((3, 2, 2), "python", bug, **options))


def test_compiled_engine_defers_to_partitions_where_it_does_not_apply() -> None:
    """--workers, --symmetry and checkpoints run on bfs.py's partitions, with the same results."""
    model = SpecModel(SpecConfig(3, 2, 2))
    assert flat_bfs.applies(model, SearchOptions())
    for opts in (SearchOptions(workers=2), SearchOptions(symmetry=True), SearchOptions(engine="python")):
        assert not flat_bfs.applies(model, opts)
    _same(_run((3, 2, 2), "compiled", workers=2), _run((3, 2, 2), "python"))
    sym_c, sym_p = _run((3, 2, 2), "compiled", symmetry=True), _run((3, 2, 2), "python", symmetry=True)
    _same(sym_c, sym_p)
    assert sym_c.states < 3_921


def test_core_matches_the_model_state_by_state() -> None:
    """Successors, fingerprints and invariant verdicts of every reachable state of 3/2/2 (and of the
    smaller bug; the other is compared through whole runs above)."""
    for bug in BUGS[:2]:
        model = SpecModel(SpecConfig(3, 2, 2), bug=bug)
        core = SpecCore(model)
        states = [0]
        seen = {0}
        while states:
            rows = core.rows(states)
            out, fps, parents = core.expand(rows, np.arange(len(rows)), np.zeros(4, dtype=np.int64))
            bad, chosen = core.check(rows)
            for i, s in enumerate(states):
                mine = sorted(core.state(out[j]) for j in np.flatnonzero(parents == i))
                assert mine == sorted(model.successor_states(s))
                names = [n for j, n in enumerate(core.always) if bad[i] >> j & 1]
                assert names == list(model.violated(s))
                assert bool(chosen[i]) == bool(model.witnessed(s))
            assert fps.tolist() == [model.fingerprint(core.state(r)) for r in out]
            states = [t for t in (core.state(r) for r in out) if t not in seen]
            states = list(dict.fromkeys(states))
            seen.update(states)


def test_cli_engines_write_the_same_summary_and_traces(tmp_path: Path) -> None:
    runs = {}
    for engine in ("compiled", "python"):
        out = tmp_path / engine
        code = main(["explore", "--model", "spec", "--spec-bug", "phase2a_ignores_1b", "--engine", engine,
                     "--quiet", "--out", str(out)])
        assert code == 1
        summary = json.loads((out / "summary.json").read_text())
        traces = {p.name: p.read_text() for p in sorted((out / "traces").glob("*.csv"))}
        runs[engine] = (summary, traces)
    (a, ta), (b, tb) = runs["compiled"], runs["python"]
    for key in ("states", "transitions", "depth", "exhaustive", "coverage"):
        assert a[key] == b[key], key
    assert [(p["name"], p["status"]) for p in a["properties"]] == [(p["name"], p["status"]) for p in b["properties"]]
    assert ta == tb and ta


def test_engine_flag_is_checked() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["explore", "--model", "spec", "--engine", "fortran", "--quiet"])
    assert exc.value.code == 2
