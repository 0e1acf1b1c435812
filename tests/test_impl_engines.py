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
from checker.models.impl_por import QuietBlocks
from checker.models.reductions import Reductions
from checker.search.bfs import bfs
from checker.search.common import Limits, SearchOptions, SearchResult
from paxos.bugs import CATALOG
from tests.engine_results import same_results
from tests.test_reductions_sound import FAST, _catalog_cfg, _grid_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


#: Every reduction but quiet blocks (`--no-por`), and every one (the default: quiet blocks on wherever a pure
#: proposer exists); the tests below run both engines under each
NO_POR, ALL = Reductions(por=False), Reductions()
REDUCTIONS = pytest.mark.parametrize("red", [NO_POR, ALL], ids=["no-por", "por"])


def _run(cfg: CheckConfig, engine: str, **options: Any) -> SearchResult:
    model = ImplModel(cfg, deviation_stops=options.pop("deviation_stops", True),
                      reductions=options.pop("reductions", NO_POR))
    return bfs(model, SearchOptions(engine=engine, coverage=True, **options))


def _both(cfg: CheckConfig, **options: Any) -> tuple[SearchResult, SearchResult]:
    compiled, python = _run(cfg, "compiled", **dict(options)), _run(cfg, "python", **dict(options))
    assert compiled.engine == "compiled", compiled.engine  # the compiled engine ran, not the fallback
    assert python.engine == "python"
    same_results(compiled, python)
    return compiled, python


def _id(c: CheckConfig) -> str:
    return (f"{c.impl.split(':')[1]}-{c.acceptors}a{c.proposers}p-b{c.ballots}-c{c.crashes}-l{c.learners}"
            f"{'-flex' if c.q1 else ''}{'-coloc' if c.colocated else ''}")


@REDUCTIONS
@pytest.mark.parametrize("cfg", FAST, ids=_id)
def test_engines_agree_on_the_soundness_grid(cfg: CheckConfig, red: Reductions) -> None:
    _both(cfg, reductions=red)


#: toys whose proposers' quiet steps cycle (nack_forgets_promises: blocks close the cycle), whose value depends
#: on the order its Promises arrive in (first_value_wins: every order inside a block counts), or whose quiet crash
#: goes back to a snapshot of the block with one more crash spent (crash_keeps_ballot: a state of its own)
TOYS = [CheckConfig(acceptors=2, proposers=2, ballots=1, crashes=0, learners=1,
                    impl="tests.reduction_toys:nack_forgets_promises"),
        CheckConfig(acceptors=3, proposers=1, ballots=2, crashes=1, learners=0,
                    impl="tests.reduction_toys:nack_forgets_promises"),
        CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1,
                    impl="tests.reduction_toys:first_value_wins"),
        CheckConfig(acceptors=3, proposers=1, ballots=1, crashes=1, learners=1,
                    impl="tests.reduction_toys:crash_keeps_ballot"),
        CheckConfig(acceptors=2, proposers=2, ballots=2, crashes=2, learners=0,
                    impl="tests.reduction_toys:crash_keeps_ballot")]


@pytest.mark.parametrize("cfg", TOYS, ids=_id)
def test_engines_agree_on_quiet_blocks_toys(cfg: CheckConfig) -> None:
    compiled, _ = _both(cfg, reductions=ALL)
    assert compiled.states < _run(cfg, "compiled").states  # quiet blocks ran (fewer states than --no-por)


FAST_BUGS = ["overwrite_accept", "own_value", "promise_drops_value", "no_tiebreak", "volatile_acceptor",
             "eager_learner", "stale_promises", "minority_quorum", "duplicate_promises"]


@REDUCTIONS
@pytest.mark.parametrize("name", FAST_BUGS)
@pytest.mark.parametrize("variant", [False, True])
def test_engines_agree_on_the_bug_catalog(name: str, variant: bool, red: Reductions) -> None:
    compiled, _ = _both(_catalog_cfg(name, variant), reductions=red)
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
    for red in (NO_POR, ALL):
        _both(cfg, reductions=red)
        _both(cfg, stop_on_first_violation=True, reductions=red)


@pytest.mark.deep  # about 600 configurations, over half an hour: by hand, `python -m pytest -m deep`
@REDUCTIONS
@pytest.mark.parametrize("cfg", _grid_cases())
def test_engines_agree_on_the_whole_soundness_grid(cfg: CheckConfig, red: Reductions) -> None:
    _both(cfg, reductions=red)


#: the grid's configurations without the catalog's (those run with quiet blocks in the fast tests above)
_GRID_ONLY = [c for c in _grid_cases() if not str(c.id).endswith(("-own", "-variant"))]


@pytest.mark.slow  # CI's share of the whole grid above: every twelfth configuration, with and without quiet blocks
@pytest.mark.parametrize(("cfg", "red"), [pytest.param(c.values[0], NO_POR, id=f"no-por-{c.id}")
                                          for c in _grid_cases()[::12]]
                         + [pytest.param(c.values[0], ALL, id=f"por-{c.id}") for c in _GRID_ONLY[5::12]])
def test_engines_agree_on_a_slice_of_the_soundness_grid(cfg: CheckConfig, red: Reductions) -> None:
    _both(cfg, reductions=red)


@REDUCTIONS
@pytest.mark.parametrize("name", FAST_BUGS[:5])
def test_engines_agree_on_the_first_violation(name: str, red: Reductions) -> None:
    """--stop-on-first: the same first violation and trace, the same counts up to it."""
    compiled, _ = _both(_catalog_cfg(name, False), stop_on_first_violation=True, reductions=red)
    assert compiled.stopped_by == "violation"


@REDUCTIONS
def test_engines_agree_when_deviations_do_not_stop(red: Reductions) -> None:
    """--deviation warn: refines_spec is reported (its first step) and the search goes on."""
    compiled, _ = _both(_catalog_cfg("own_value", True), stop_on_first_violation=True, deviation_stops=False,
                        reductions=red)
    assert compiled.status("refines_spec") == "violated"


@pytest.mark.parametrize("por", [False, True], ids=["no-por", "por"])
@pytest.mark.parametrize("impl", ["tests.bad_nodes:raising_on_accepted", "tests.bad_nodes:raising_on_promise",
                                  "tests.bad_nodes:string_on_promise", "tests.bad_nodes:int_on_accepted"])
def test_engines_agree_on_nodes_that_raise(impl: str, por: bool) -> None:
    cfg = CheckConfig(acceptors=2, proposers=1, learners=1, crashes=0, impl=impl)
    # the learner that raises is no learner apart (the run searches again without it: LearnersNotApart)
    compiled, _ = _both(cfg, reductions=Reductions(learners_apart=False, por=por))
    assert compiled.status("node_error") == "violated"


@REDUCTIONS
@pytest.mark.parametrize("limits", [Limits(max_states=1000), Limits(max_states=300), Limits(max_depth=7)],
                         ids=["states-1000", "states-300", "depth-7"])
def test_engines_agree_within_limits(limits: Limits, red: Reductions) -> None:
    compiled, _ = _both(CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1), limits=limits,
                        reductions=red)
    assert not compiled.exhaustive and {p.status for p in compiled.properties} <= {"unknown", "held", "violated"}
    assert all(p.status != "held" or p.kind == "sometimes" for p in compiled.properties)  # BOUNDED, never HELD


def _cli_model(argv: list[str]) -> ImplModel:
    from checker.runs.build import build_model

    model = build_model(run_request(build_parser().parse_args(["explore", *argv]), "explore", "bfs"))
    assert isinstance(model, ImplModel)
    return model


@pytest.mark.parametrize("por", [["--no-por"], []], ids=["no-por", "por"])
@pytest.mark.parametrize("argv", [
    ["--impl", "examples.custom_node.adapter:make_node", "--acceptors", "2", "--proposers", "2", "--crashes", "1"],
    ["--impl", "examples/foreign_paxos/adapter.py:make_node", "--acceptors", "2", "--crashes", "0", "--ballots", "1",
     "--max-round", "1"],
    pytest.param(["--acceptors", "3", "--proposers", "1", "--ballots", "2", "--no-reductions"], marks=pytest.mark.slow),
    ["--acceptors", "2", "--proposers", "2", "--learners", "2", "--crashes", "1", "--no-refinement"],
])
def test_engines_agree_on_custom_nodes_and_switches(argv: list[str], por: list[str]) -> None:
    compiled = bfs(_cli_model(por + argv), SearchOptions(engine="compiled", coverage=True))
    python = bfs(_cli_model(por + argv), SearchOptions(engine="python", coverage=True))
    assert compiled.engine == "compiled"
    same_results(compiled, python)


# --symmetry: test_impl_engines_symmetry; --workers runs compiled (threads): test_impl_engines_workers
@pytest.mark.parametrize("options, why", [({"on_transition": lambda *_: None}, "--graph")])
def test_what_the_core_does_not_run_falls_back_and_says_so(options: dict[str, Any], why: str) -> None:
    cfg = CheckConfig(acceptors=2, proposers=1, learners=0, crashes=0)
    result = bfs(ImplModel(cfg), SearchOptions(engine="compiled", **options))
    assert result.engine is not None and result.engine.startswith("python") and why in result.engine
    bag = bfs(ImplModel(CheckConfig(acceptors=2, proposers=1, learners=0, network="bag", drops=1)),
              SearchOptions(engine="compiled"))
    assert bag.engine == "python (the bag network)"


@pytest.mark.parametrize("impl", ["tests.reduction_toys:two_step_accept", "paxos:PaxosNode"])
def test_engines_agree_when_every_node_is_reduced(monkeypatch: pytest.MonkeyPatch, impl: str) -> None:
    """The unsound quiet blocks of tests/test_por.py that reduce every node (acceptors too: their quiet steps
    have refinement verdicts, which a block's filter drops): the kernel follows QuietBlocks wherever its
    `eligible` nodes are, so both engines still agree (on the wrong answer, which test_por.py checks)."""
    monkeypatch.setattr(ImplModel, "quiet_nodes", lambda self: list(range(self.tables.k)))
    _both(CheckConfig(acceptors=3, proposers=1, ballots=1, crashes=1, learners=1, impl=impl), reductions=ALL)


def test_quiet_blocks_run_on_the_compiled_engine_and_keep_the_verdicts() -> None:
    """The core runs quiet blocks (reductions.py, 6): with them on (the default) the compiled engine runs, on
    fewer states than without them, with the same verdicts."""
    cfg = _catalog_cfg("own_value", False)
    reduced = _run(cfg, "compiled", reductions=ALL)
    assert reduced.engine == "compiled"
    full = _run(cfg, "compiled")
    assert full.engine == "compiled"
    assert [(p.name, p.status) for p in reduced.properties] == [(p.name, p.status) for p in full.properties]
    assert reduced.states < full.states


def _unsound_follow(self: QuietBlocks, moves: list[Any]) -> list[Any]:
    return moves[:1]  # only the first quiet step of each snapshot (tests/test_por.py's unsound kind)


class _OwnBlocks(QuietBlocks):
    """A subclass that changes nothing: still not the class the kernel mirrors, so refused."""


@pytest.mark.parametrize("how", ["class", "instance", "subclass"])
def test_replaced_quiet_blocks_run_on_the_python_engine(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """A QuietBlocks whose `follow` (or any method the kernel mirrors) is replaced, on the class or an instance,
    or of a subclass, is not the kernel's: the Python engine runs it (and says why), with its own results."""
    cfg = CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1)
    real = _run(cfg, "compiled", reductions=ALL)

    def model() -> ImplModel:
        m = ImplModel(cfg, reductions=ALL)
        assert m.por is not None
        if how == "instance":
            m.por.follow = _unsound_follow.__get__(m.por)  # type: ignore[method-assign]
        elif how == "subclass":
            m.por = _OwnBlocks(m.search_successors, m.mailboxes, m.tables, list(m.por.eligible), crashes=True)
            m._expand = m.por.expand
        return m

    if how == "class":
        monkeypatch.setattr(QuietBlocks, "follow", _unsound_follow)
    compiled = bfs(model(), SearchOptions(engine="compiled", coverage=True))
    python = bfs(model(), SearchOptions(engine="python", coverage=True))
    assert compiled.engine is not None and compiled.engine.startswith("python (quiet blocks"), compiled.engine
    assert ("_OwnBlocks" if how == "subclass" else "QuietBlocks.follow replaced") in compiled.engine
    same_results(compiled, python)
    if how != "subclass":
        assert (compiled.states, compiled.transitions) != (real.states, real.transitions)  # another graph


def test_one_row_s_blocks_may_outgrow_the_kernel_s_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The output buffers are sized per transition of one state; a state's quiet blocks can give more: the
    kernel says FULL before writing any of them and the core doubles its buffers (here from the least size)."""
    from checker.models import impl_core

    caps: list[int] = []
    grown = impl_core.ImplCore._buffers

    def spy(self: Any, cap: int, w: int) -> Any:
        caps.append(cap)
        return grown(self, cap, w)

    monkeypatch.setattr(impl_core, "_OUT", 1)
    monkeypatch.setattr(impl_core.ImplCore, "_buffers", spy)
    _both(CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1), reductions=ALL)
    assert len(caps) > 1 and caps[-1] >= 2 * caps[0]  # it grew


def test_a_model_wrapping_the_implementation_model_runs_on_the_python_engine() -> None:
    """hash_order's MarkedModel hands every other hook to the model it wraps (flat_core too): the compiled
    core would judge the wrapped model's properties, not the wrapper's, so the Python engine runs it."""
    from checker.models.hash_order import MarkedModel

    marked = MarkedModel(ImplModel(CheckConfig(acceptors=2, proposers=1, learners=0, crashes=0)), [])
    result = bfs(marked, SearchOptions(engine="compiled"))
    assert result.engine == "python (a model wrapping another)"
    assert [p.name for p in result.properties] == ["hash_order"]


def test_the_cli_says_which_engine_ran(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = ["--acceptors", "2", "--proposers", "1", "--crashes", "0", "--quiet"]  # quiet blocks on: compiled
    assert main(["explore", *small, "--out", str(tmp_path / "a"), "--json", str(tmp_path / "a.json")]) == 0
    assert json.loads((tmp_path / "a.json").read_text())["engine"] == "compiled"
    capsys.readouterr()
    assert main(["explore", *small, "--network", "bag", "--out", str(tmp_path / "b"),
                 "--json", str(tmp_path / "b.json")]) == 0
    assert "the Python engine runs this search; the compiled engine does not apply" in capsys.readouterr().out
    assert json.loads((tmp_path / "b.json").read_text())["engine"] == "python (the bag network)"


@pytest.mark.slow
@pytest.mark.parametrize(("red", "pinned"), [(NO_POR, (1_055_691, 5_804_688, 30)), (ALL, (166_235, 457_564, 25))],
                         ids=["no-por", "por"])
def test_the_default_check_has_its_pinned_counts_on_both_engines(red: Reductions, pinned: tuple[int, ...]) -> None:
    cfg = _cli_model([]).cfg
    compiled, _ = _both(cfg, reductions=red)
    assert (compiled.states, compiled.transitions, compiled.depth) == pinned


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

    model = ImplModel(_catalog_cfg(name, False), reductions=NO_POR)
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



def test_a_row_s_blocks_may_outgrow_the_kernel_s_scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel's scratch for a row's quiet blocks (their queue and seen set) starts at P_ROOM units: from the
    least, rows' blocks outgrow it, such a row is expanded again with twice the room (GROW, counted in miss[4]),
    and the results stay the Python engine's."""
    from checker.models import impl_core, impl_core_kernel

    made = impl_core.ImplCore.__init__
    cores: list[Any] = []

    def least_room(self: Any, model: Any) -> None:
        made(self, model)
        self.P[impl_core_kernel.P_ROOM] = 1
        cores.append(self)

    monkeypatch.setattr(impl_core.ImplCore, "__init__", least_room)
    _both(CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1), reductions=ALL)
    assert cores and cores[0]._bufs[5][4] > 0  # rows were expanded again
