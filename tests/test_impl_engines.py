"""The implementation model's two BFS engines agree: `--engine compiled` (checker/search/flat_bfs.py on
checker/models/impl_core.py) against `--engine python` (bfs.py's partitions over impl_model.py): states,
transitions, depth, states per level, coverage, every verdict and every counterexample path, step by
step; on the reduction soundness grid's fast slice and its mutants, the bug catalog, custom and foreign
nodes, nodes that raise (node_error), the search limits, and the default check's pinned counts (slow).
What the compiled core cannot do exactly falls back to the Python engine, and says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.cli.flags import run_request
from checker.cli.main import build_parser, main
from checker.config import CheckConfig
from checker.models.impl_model import ImplModel
from checker.models.reductions import Reductions
from checker.search.bfs import bfs
from checker.search.common import Limits, SearchOptions, SearchResult
from paxos.bugs import CATALOG
from tests.engine_results import same_results
from tests.test_reductions_sound import FAST, _catalog_cfg, _grid_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


#: The reductions the compiled core runs: every one but quiet blocks (reductions.py, 6), which it refuses
CORE_REDUCTIONS = Reductions(por=False)


def _run(cfg: CheckConfig, engine: str, **options: Any) -> SearchResult:
    model = ImplModel(cfg, deviation_stops=options.pop("deviation_stops", True),
                      reductions=options.pop("reductions", CORE_REDUCTIONS))
    return bfs(model, SearchOptions(engine=engine, coverage=True, **options))




def _both(cfg: CheckConfig, **options: Any) -> tuple[SearchResult, SearchResult]:
    compiled, python = _run(cfg, "compiled", **dict(options)), _run(cfg, "python", **dict(options))
    assert compiled.engine == "compiled", compiled.engine  # the compiled engine ran, not the fallback
    assert python.engine == "python"
    same_results(compiled, python)
    return compiled, python


@pytest.mark.parametrize("cfg", FAST, ids=lambda c: f"{c.impl.split(':')[1]}-{c.acceptors}a{c.proposers}p"
                         f"-b{c.ballots}-c{c.crashes}-l{c.learners}{'-flex' if c.q1 else ''}"
                         f"{'-coloc' if c.colocated else ''}")
def test_engines_agree_on_the_soundness_grid(cfg: CheckConfig) -> None:
    _both(cfg)


FAST_BUGS = ["overwrite_accept", "own_value", "promise_drops_value", "no_tiebreak", "volatile_acceptor",
             "eager_learner", "stale_promises", "minority_quorum", "duplicate_promises"]


@pytest.mark.parametrize("name", FAST_BUGS)
@pytest.mark.parametrize("variant", [False, True])
def test_engines_agree_on_the_bug_catalog(name: str, variant: bool) -> None:
    compiled, _ = _both(_catalog_cfg(name, variant))
    if not variant:  # the catalog's own configuration breaks what it says
        assert {p.name for p in compiled.violated} >= set(CATALOG[name].breaks) - {"refines_spec"}


@pytest.mark.deep  # tens of minutes (the deep bugs' configurations): by hand, `python -m pytest -m deep`
@pytest.mark.parametrize("name", list(CATALOG))
@pytest.mark.parametrize("variant", [False, True])
def test_engines_agree_on_the_whole_catalog(name: str, variant: bool) -> None:
    cfg = _catalog_cfg(name, variant)
    probe = _run(cfg, "python", limits=Limits(max_states=400_000))
    if not probe.exhaustive:
        pytest.skip(f"{name}: more than 400,000 states")
    _both(cfg)
    _both(cfg, stop_on_first_violation=True)


@pytest.mark.deep  # about 600 configurations, over half an hour: by hand, `python -m pytest -m deep`
@pytest.mark.parametrize("cfg", _grid_cases())
def test_engines_agree_on_the_whole_soundness_grid(cfg: CheckConfig) -> None:
    _both(cfg)


@pytest.mark.slow  # CI's share of the whole grid above: every twelfth configuration
@pytest.mark.parametrize("cfg", _grid_cases()[::12])
def test_engines_agree_on_a_slice_of_the_soundness_grid(cfg: CheckConfig) -> None:
    _both(cfg)


@pytest.mark.parametrize("name", FAST_BUGS[:5])
def test_engines_agree_on_the_first_violation(name: str) -> None:
    """--stop-on-first: the same first violation and trace, the same counts up to it."""
    compiled, _ = _both(_catalog_cfg(name, False), stop_on_first_violation=True)
    assert compiled.stopped_by == "violation"


def test_engines_agree_when_deviations_do_not_stop() -> None:
    """--deviation warn: refines_spec is reported (its first step) and the search goes on."""
    compiled, _ = _both(_catalog_cfg("own_value", True), stop_on_first_violation=True, deviation_stops=False)
    assert compiled.status("refines_spec") == "violated"


@pytest.mark.parametrize("impl", ["tests.bad_nodes:raising_on_accepted", "tests.bad_nodes:raising_on_promise",
                                  "tests.bad_nodes:string_on_promise", "tests.bad_nodes:int_on_accepted"])
def test_engines_agree_on_nodes_that_raise(impl: str) -> None:
    cfg = CheckConfig(acceptors=2, proposers=1, learners=1, crashes=0, impl=impl)
    # the learner that raises is no learner apart (the run searches again without it: LearnersNotApart)
    compiled, _ = _both(cfg, reductions=Reductions(learners_apart=False, por=False))
    assert compiled.status("node_error") == "violated"


@pytest.mark.parametrize("limits", [Limits(max_states=3000), Limits(max_depth=7)])
def test_engines_agree_within_limits(limits: Limits) -> None:
    compiled, _ = _both(CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1), limits=limits)
    assert not compiled.exhaustive and {p.status for p in compiled.properties} <= {"unknown", "held", "violated"}
    assert all(p.status != "held" or p.kind == "sometimes" for p in compiled.properties)  # BOUNDED, never HELD


def _cli_model(argv: list[str]) -> ImplModel:
    from checker.runs.build import build_model

    model = build_model(run_request(build_parser().parse_args(["explore", "--no-por", *argv]), "explore", "bfs"))
    assert isinstance(model, ImplModel)
    return model


@pytest.mark.parametrize("argv", [
    ["--impl", "examples.custom_node.adapter:make_node", "--acceptors", "2", "--proposers", "2", "--crashes", "1"],
    ["--impl", "examples/foreign_paxos/adapter.py:make_node", "--acceptors", "2", "--crashes", "0", "--ballots", "1",
     "--max-round", "1"],
    pytest.param(["--acceptors", "3", "--proposers", "1", "--ballots", "2", "--no-reductions"], marks=pytest.mark.slow),
    ["--acceptors", "2", "--proposers", "2", "--learners", "2", "--crashes", "1", "--no-refinement"],
])
def test_engines_agree_on_custom_nodes_and_switches(argv: list[str]) -> None:
    compiled = bfs(_cli_model(argv), SearchOptions(engine="compiled", coverage=True))
    python = bfs(_cli_model(argv), SearchOptions(engine="python", coverage=True))
    assert compiled.engine == "compiled"
    same_results(compiled, python)


@pytest.mark.parametrize("options, why", [({"symmetry": True}, "--symmetry"), ({"workers": 2}, "--workers")])
def test_what_the_core_does_not_run_falls_back_and_says_so(options: dict[str, Any], why: str) -> None:
    cfg = CheckConfig(acceptors=2, proposers=1, learners=0, crashes=0)
    result = bfs(ImplModel(cfg), SearchOptions(engine="compiled", **options))
    assert result.engine is not None and result.engine.startswith("python") and why in result.engine
    bag = bfs(ImplModel(CheckConfig(acceptors=2, proposers=1, learners=0, network="bag", drops=1)),
              SearchOptions(engine="compiled"))
    assert bag.engine == "python (the bag network)"


def test_quiet_blocks_run_on_the_python_engine_and_keep_the_verdicts() -> None:
    """The core has no quiet blocks (reductions.py, 6): with them on (the default) the Python engine runs,
    and says why; the verdicts are those of the compiled engine without them."""
    cfg = _catalog_cfg("own_value", False)
    reduced = _run(cfg, "compiled", reductions=Reductions())
    assert reduced.engine is not None and reduced.engine.startswith("python (quiet blocks")
    full = _run(cfg, "compiled")
    assert full.engine == "compiled"
    assert [(p.name, p.status) for p in reduced.properties] == [(p.name, p.status) for p in full.properties]
    assert reduced.states < full.states


def test_a_model_wrapping_the_implementation_model_runs_on_the_python_engine() -> None:
    """hash_order's MarkedModel hands every other hook to the model it wraps (flat_core too): the compiled
    core would judge the wrapped model's properties, not the wrapper's, so the Python engine runs it."""
    from checker.models.hash_order import MarkedModel

    marked = MarkedModel(ImplModel(CheckConfig(acceptors=2, proposers=1, learners=0, crashes=0)), [])
    result = bfs(marked, SearchOptions(engine="compiled"))
    assert result.engine == "python (a model wrapping another)"
    assert [p.name for p in result.properties] == ["hash_order"]


def test_the_cli_says_which_engine_ran(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = ["--acceptors", "2", "--proposers", "1", "--crashes", "0", "--quiet", "--no-por"]
    assert main(["explore", *small, "--out", str(tmp_path / "a"), "--json", str(tmp_path / "a.json")]) == 0
    assert json.loads((tmp_path / "a.json").read_text())["engine"] == "compiled"
    capsys.readouterr()
    assert main(["explore", *small, "--network", "bag", "--out", str(tmp_path / "b"),
                 "--json", str(tmp_path / "b.json")]) == 0
    assert "the Python engine runs this search; the compiled engine does not apply" in capsys.readouterr().out
    assert json.loads((tmp_path / "b.json").read_text())["engine"] == "python (the bag network)"


@pytest.mark.slow
def test_the_default_check_has_its_pinned_counts_on_both_engines() -> None:
    cfg = _cli_model([]).cfg
    compiled, _ = _both(cfg)
    assert (compiled.states, compiled.transitions, compiled.depth) == (1_055_691, 5_804_688, 30)


@pytest.mark.parametrize("case", ["grid-0", "grid-4", "overwrite_accept", "volatile_acceptor", "eager_learner"])
def test_engines_agree_when_a_level_spans_many_chunks(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled engine reads a level in chunks (expanded, checked, repacked: flat_bfs.py, flat_store.py,
    impl_core.check_level, whose misses are merged across chunks); with chunks of a few rows, every level of
    these small runs spans many, and the results must not change."""
    from checker.models import impl_core
    from checker.search import flat_bfs, flat_store

    monkeypatch.setattr(flat_bfs, "_CHUNK", 5)
    monkeypatch.setattr(impl_core, "_CHECK_CHUNK", 7)
    monkeypatch.setattr(flat_store, "_CHUNK", 3)
    cfg = FAST[int(case[5:])] if case.startswith("grid-") else _catalog_cfg(case, False)
    _both(cfg)


@pytest.mark.parametrize("name", ["eager_learner", "overwrite_accept"])
def test_verdicts_of_rows_checked_in_small_chunks_are_the_same(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """ImplCore.check_level merges the misses of its chunks (each chunk's new keys once, their rows by index):
    a core reading the rows 7 at a time judges every row as one reading them all at once."""
    from checker.models import impl_core

    model = ImplModel(_catalog_cfg(name, False), reductions=CORE_REDUCTIONS)
    states = list(model.initial_states())
    seen = {model.fingerprint(s) for s in states}
    for s in states:  # the first ~3,000 states in BFS order (the list grows as it is read)
        for _, succ in model.successors(s):
            if model.fingerprint(succ) not in seen and len(states) < 3_000:
                seen.add(model.fingerprint(succ))
                states.append(succ)
    whole = model.flat_core()
    rows = whole.rows(states)
    want = whole.check(rows)
    monkeypatch.setattr(impl_core, "_CHECK_CHUNK", 7)
    chunked = model.flat_core()
    got = chunked.check(chunked.rows(states))
    assert (got[0] == want[0]).all() and (got[1] == want[1]).all()
    assert want[0].any() and want[1].any()  # verdicts that can differ: some rows violate, some witness
