"""The implementation model's two BFS engines agree under `--symmetry` (acceptor renaming): the compiled core's
orbit lanes (checker/models/impl_core_orbits.py) and flat_bfs.py's choice of one member per orbit against
bfs.py's partitions over orbit keys: states, transitions, depth, states per level, coverage, the symmetry
reduction, every verdict and every path, step by step; on the soundness grid's fast slice, the bug catalog,
the first violation, the search limits, and the default check's pinned counts (slow). A node that does not
treat acceptors alike is refused by the compiled engine as by the Python one.
"""

from __future__ import annotations

from typing import Any

import pytest

from checker.config import CheckConfig
from checker.errors import UsageError
from checker.models.impl_encoding import DELIVER
from checker.models.impl_model import ImplModel
from checker.models.reductions import Reductions
from checker.search import flat_bfs
from checker.search.bfs import bfs
from checker.search.common import Limits, SearchOptions, SearchResult
from paxos.bugs import CATALOG
from tests.engine_results import same_results
from tests.test_impl_engines import FAST_BUGS, _cli_model
from tests.test_impl_symmetry import SMALL, drifting, first_acceptor_deaf
from tests.test_reductions_sound import FAST, PAXOS, _catalog_cfg, _cfg

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: every reduction but quiet blocks (`--no-por`; with them: test_engines_agree_under_symmetry_with_quiet_blocks)
CORE_REDUCTIONS = Reductions(por=False)
#: the fast slice of the grid, and three acceptors (six renamings: five lanes per row) on top
GRID = [*FAST, _cfg(PAXOS, 3, 2, 1, 1, 1), _cfg(PAXOS, 3, 1, 2, 1, 1), _cfg(PAXOS, 3, 1, 1, 1, 2)]


def _run(cfg: CheckConfig, engine: str, factory: Any = None, **options: Any) -> SearchResult:
    return _search(cfg, engine, factory, **options)[0]


def _search(cfg: CheckConfig, engine: str, factory: Any = None, **options: Any) -> tuple[SearchResult, ImplModel]:
    model = ImplModel(cfg, factory=factory, reductions=options.pop("reductions", CORE_REDUCTIONS))
    return bfs(model, SearchOptions(engine=engine, coverage=True, symmetry=True, **options)), model


def _outcome(cfg: CheckConfig, engine: str, **options: Any) -> tuple[SearchResult, ImplModel] | str:
    """The search's result and model, or the one line of its UsageError (a node --symmetry cannot rename)."""
    try:
        return _search(cfg, engine, **options)
    except UsageError as exc:
        return str(exc)


def _node_calls(model: ImplModel) -> list[tuple[int, Any, int, Any]]:
    """The node steps a search ran, in the order it first ran them (ImplTables.node_cache), as values: which
    states were expanded, in which order (the member of each orbit), and the equivariance checks' images."""
    t = model.tables
    return [(i, t.snaps[i][sid], kind, t.msgs[arg] if kind == DELIVER else arg) for i, sid, kind, arg in t.node_cache]


def _both(cfg: CheckConfig, **options: Any) -> tuple[SearchResult, SearchResult]:
    compiled, python = _outcome(cfg, "compiled", **dict(options)), _outcome(cfg, "python", **dict(options))
    if isinstance(python, str):  # refused: by both engines, in the same words
        assert compiled == python
        pytest.skip(f"--symmetry refused: {python}")
    assert not isinstance(compiled, str), compiled
    (a, compiled_model), (b, python_model) = compiled, python
    assert a.engine == "compiled", a.engine  # the compiled engine ran, not the fallback
    assert b.engine == "python"
    same_results(a, b)
    assert (a.symmetry_reduction, a.unreduced_states) == (b.symmetry_reduction, b.unreduced_states)
    assert _node_calls(compiled_model) == _node_calls(python_model)
    return a, b


@pytest.mark.parametrize("cfg", GRID, ids=lambda c: f"{c.impl.split(':')[1]}-{c.acceptors}a{c.proposers}p"
                         f"-b{c.ballots}-c{c.crashes}-l{c.learners}{'-flex' if c.q1 else ''}"
                         f"{'-coloc' if c.colocated else ''}")
def test_engines_agree_under_symmetry_on_the_soundness_grid(cfg: CheckConfig) -> None:
    _both(cfg)


@pytest.mark.parametrize("reductions", [Reductions.none(), Reductions(prompt_restart=False, por=False)],
                         ids=["none", "no-prompt-restart"])
@pytest.mark.parametrize("cfg", [_cfg(PAXOS, 3, 1, 1, 1, 1), _cfg(PAXOS, 2, 2, 1, 1, 1),
                                 _cfg("tests.mutants:crash_keeps_volatile", 3, 1, 1, 1, 1)],
                         ids=lambda c: f"{c.impl.split(':')[1]}-{c.acceptors}a{c.proposers}p")
def test_engines_agree_under_symmetry_without_reductions(cfg: CheckConfig, reductions: Reductions) -> None:
    """Crashed acceptors stay down (no prompt restarts): the crashed set's lanes; unsaturated deliveries."""
    _both(cfg, reductions=reductions)


@pytest.mark.parametrize("cfg", [_cfg(PAXOS, 3, 2, 1, 1, 1), _cfg(PAXOS, 2, 1, 2, 1, 1),
                                 _cfg("tests.mutants:learner_counts_duplicates", 3, 1, 1, 1, 1)],
                         ids=lambda c: f"{c.impl.split(':')[1]}-{c.acceptors}a{c.proposers}p-b{c.ballots}")
def test_engines_keep_the_same_member_of_each_orbit_over_many_chunks(cfg: CheckConfig,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Levels of many chunks (16 states each, not 8,192): a later chunk's member of an orbit replaces an
    earlier one's in both engines, and the nodes run on the same states in the same order."""
    from checker.models import impl_core
    from checker.search import partition

    for module, name in ((partition, "_CHUNK"), (flat_bfs, "_CHUNK"), (impl_core, "_CHECKED")):
        monkeypatch.setattr(module, name, 16)
    _both(cfg)
    _both(cfg, reductions=Reductions.none())


@pytest.mark.parametrize("name", FAST_BUGS)
@pytest.mark.parametrize("variant", [False, True])
def test_engines_agree_under_symmetry_on_the_bug_catalog(name: str, variant: bool) -> None:
    compiled, _ = _both(_catalog_cfg(name, variant))
    if not variant:  # the catalog's own configuration breaks what it says, under symmetry too
        assert {p.name for p in compiled.violated} >= set(CATALOG[name].breaks) - {"refines_spec"}


@pytest.mark.parametrize("name", FAST_BUGS[:5])
def test_engines_agree_under_symmetry_on_the_first_violation(name: str) -> None:
    compiled, _ = _both(_catalog_cfg(name, False), stop_on_first_violation=True)
    assert compiled.stopped_by == "violation"


@pytest.mark.parametrize("limits", [Limits(max_states=700), Limits(max_depth=7)])
def test_engines_agree_under_symmetry_within_limits(limits: Limits) -> None:
    compiled, _ = _both(CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1), limits=limits)
    assert not compiled.exhaustive and {p.status for p in compiled.properties} <= {"unknown", "held", "violated"}
    assert all(p.status != "held" or p.kind == "sometimes" for p in compiled.properties)  # BOUNDED, never HELD


@pytest.mark.parametrize("factory, match", [
    (first_acceptor_deaf, r"does not treat acceptors alike.*run without --symmetry"),
    (drifting, r"keeps making new snapshots.*run without --symmetry"),
])
def test_the_compiled_engine_refuses_a_node_that_does_not_treat_acceptors_alike(factory: Any, match: str) -> None:
    cfg = CheckConfig(**SMALL)
    opts = SearchOptions(engine="compiled", symmetry=True)
    model = ImplModel(cfg, factory=factory, reductions=CORE_REDUCTIONS)
    if factory is first_acceptor_deaf:  # the compiled engine takes this search on: the refusal is its own
        assert flat_bfs.refusal(model, opts) is None
    with pytest.raises(UsageError, match=match):
        bfs(model, opts)


def test_symmetry_on_the_spec_model_falls_back_and_says_so() -> None:
    from checker.models.spec_model import SpecConfig, SpecModel

    spec = bfs(SpecModel(SpecConfig(acceptors=2, ballots=1, values=1)), SearchOptions(engine="compiled", symmetry=True))
    assert spec.engine == "python (--symmetry)"


@pytest.mark.parametrize("cfg", [_cfg(PAXOS, 3, 2, 1, 1, 1), _cfg(PAXOS, 2, 2, 1, 1, 1), _cfg(PAXOS, 3, 1, 2, 1, 1),
                                 _catalog_cfg("own_value", False), _catalog_cfg("volatile_acceptor", True)],
                         ids=lambda c: f"{c.impl.split(':')[1]}-{c.acceptors}a{c.proposers}p-b{c.ballots}")
def test_engines_agree_under_symmetry_with_quiet_blocks(cfg: CheckConfig) -> None:
    """Every reduction on (the default), quiet blocks too: the lanes post-pass sees only parent and successor
    rows, so a quiet block's successor gets its lanes as any other. Skipped (and says why) where the core
    runs no quiet blocks."""
    every = Reductions()
    why = flat_bfs.refusal(ImplModel(cfg, reductions=every), SearchOptions(engine="compiled", symmetry=True))
    if why is not None and why.startswith("quiet blocks"):
        pytest.skip(f"this core has no quiet blocks: {why}")
    _both(cfg, reductions=every)
    with pytest.MonkeyPatch.context() as mp:  # and over many chunks
        from checker.models import impl_core
        from checker.search import partition

        for module, name in ((partition, "_CHUNK"), (flat_bfs, "_CHUNK"), (impl_core, "_CHECKED")):
            mp.setattr(module, name, 16)
        _both(cfg, reductions=every)


@pytest.mark.slow
def test_the_default_check_with_symmetry_has_its_pinned_counts_on_both_engines() -> None:
    """bench/results_reductions.md, docs/sweep.md: the default bounds, --symmetry --no-por."""
    cfg = _cli_model([]).cfg
    compiled, _ = _both(cfg)
    assert (compiled.states, compiled.transitions, compiled.depth) == (189_201, 1_037_722, 30)


@pytest.mark.parametrize("cfg", [_cfg(PAXOS, 3, 2, 1, 1, 1), _cfg(PAXOS, 3, 1, 2, 1, 1)],
                         ids=lambda c: f"{c.acceptors}a{c.proposers}p-b{c.ballots}")
def test_lanes_derived_from_a_row_are_the_lanes_its_parent_gave_it(cfg: CheckConfig) -> None:
    """flat_bfs.py's store keeps no orbit lanes nor own fingerprints under symmetry: ImplCore.derive writes them
    into rows read back, from a reference row (an initial state's). On the successors of the first levels (lanes
    the post-pass and fingerprints the kernel computed from their parents'), rows whose lanes and fingerprint were
    wiped get the same back, from any reference row, rows and reference of different widths too."""
    import numpy as np

    model = ImplModel(cfg, reductions=Reductions())
    assert flat_bfs.refusal(model, SearchOptions(engine="compiled", symmetry=True)) is None
    core = model.flat_core()
    rows = core.rows(list(model.initial_states()))
    first_width = rows.shape[1]
    made = [rows]
    kinds = np.zeros(len(core.KINDS) if hasattr(core, "KINDS") else 0, dtype=np.int64)
    for _ in range(8):
        rows = core.expand(rows, np.arange(len(rows), dtype=np.int64), kinds)[0][:2000]
        made.append(rows)
    lanes = core.row_tail
    assert lanes == 5 and core.derived_columns == (core.tables.s_fp,)
    s, w = core.tables.scalars, core.tables.words

    def wider(rows: np.ndarray) -> np.ndarray:  # one more zero limb of network and of sent messages
        out = np.zeros((len(rows), rows.shape[1] + 2), dtype=np.uint64)
        out[:, :s + w], out[:, s + w + 1:s + 2 * w + 1], out[:, s + 2 * w + 2:] = (
            rows[:, :s + w], rows[:, s + w:s + 2 * w], rows[:, s + 2 * w:])
        return out

    deep = made[4][np.flatnonzero(made[4][:, -lanes:].any(axis=1))[:1]]  # an asymmetric state: lanes not all 0
    assert len(deep) == 1
    for ref in (None, deep, wider(deep)):  # the initial state's row (symmetric: lanes 0), another, a wider one
        core._ref = ref
        for rows in made:
            for read in (rows, wider(rows)):
                wiped = read.copy()
                wiped[:, -lanes:] = wiped[:, core.derived_columns] = 0
                core.derive(wiped)
                assert (wiped == read).all()
    assert rows.shape[1] == first_width == s + 2 * w + lanes
    assert len(rows) > 100 and rows[:, -lanes:].any()
