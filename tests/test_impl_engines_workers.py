"""`--workers N` on the compiled engine (checker/models/impl_core_threads.py: the kernel in N threads, rows that
miss a node step redone in row order) gives what one worker gives and what the Python engine gives: states,
transitions, depth, states per level, coverage, every verdict and path, and the node steps run in the same
order (ImplTables.node_cache); on the soundness grid's fast slice and its mutants, the catalog, symmetry, quiet
blocks' toys, nodes that raise, --stop-on-first and limits. Chunks are split from two rows on here
(MIN_ROWS = 2) and kept small, so that these small runs go through the threads, their misses and their redone
rows many times; each test checks that they did.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.cli.main import main
from checker.config import CheckConfig
from checker.models import impl_core_threads
from checker.models.impl_model import ImplModel
from checker.models.reductions import Reductions
from checker.models.spec_model import MUTANTS, SpecModel
from checker.search import flat_bfs
from checker.search.bfs import bfs
from checker.search.common import Limits, SearchOptions, SearchResult
from properties.spec import SpecConfig
from tests.engine_results import same_results
from tests.test_impl_engines import FAST_BUGS, TOYS
from tests.test_impl_engines_symmetry import GRID, _node_calls
from tests.test_reductions_sound import FAST, _catalog_cfg

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NO_POR, ALL = Reductions(por=False), Reductions()
REDUCTIONS = pytest.mark.parametrize("red", [NO_POR, ALL], ids=["no-por", "por"])


class Spy:
    """Counts what the threads did: slices run, and rows they put aside for the serial loop."""

    def __init__(self) -> None:
        self.slices = self.redone = 0
        self.real = impl_core_threads.run_slice

    def __call__(self, *args: Any) -> Any:
        out = self.real(*args)
        self.slices += 1
        self.redone += sum(len(r) for r in out[2])
        return out


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    s = Spy()
    monkeypatch.setattr(impl_core_threads, "run_slice", s)
    monkeypatch.setattr(impl_core_threads, "MIN_ROWS", 2)
    from checker.models import impl_core
    from checker.search import partition

    for module, name in ((partition, "_CHUNK"), (flat_bfs, "_CHUNK"), (impl_core, "_CHECKED")):
        monkeypatch.setattr(module, name, 64)  # many chunks per level, each split (both engines alike: symmetry)
    return s


def _search(cfg: CheckConfig, engine: str, workers: int, red: Reductions, **options: Any) -> tuple[SearchResult, Any]:
    model = ImplModel(cfg, reductions=red)
    return bfs(model, SearchOptions(engine=engine, coverage=True, workers=workers, **options)), model


def _three(spy: Spy, cfg: CheckConfig, red: Reductions = ALL, workers: int = 2, **options: Any) -> SearchResult:
    """Compiled over `workers` threads, compiled in one, and the Python engine in one process: the same."""
    (many, many_model), (one, one_model) = (_search(cfg, "compiled", w, red, **options) for w in (workers, 1))
    python, python_model = _search(cfg, "python", 1, red, **options)
    assert many.engine == f"compiled ({workers} threads)" and many.workers == workers, many.engine
    assert one.engine == "compiled" and python.engine == "python"
    same_results(many, one)
    same_results(many, python)
    assert (many.symmetry_reduction, many.unreduced_states) == (python.symmetry_reduction, python.unreduced_states)
    calls = _node_calls(many_model)
    assert calls == _node_calls(one_model)  # every node step, in the same order
    assert calls == _node_calls(python_model)
    assert spy.slices > 0 or max(many.states_per_depth) < 2  # the threads ran (on every level of 2 rows or more)
    return many


@REDUCTIONS
@pytest.mark.parametrize("cfg", FAST, ids=lambda c: f"{c.impl.split(':')[1]}-{c.acceptors}a{c.proposers}p"
                         f"-b{c.ballots}-c{c.crashes}-l{c.learners}")
def test_workers_agree_on_the_soundness_grid(spy: Spy, cfg: CheckConfig, red: Reductions) -> None:
    _three(spy, cfg, red)
    assert spy.redone > 0  # rows missed a node step in a thread and were redone in row order


@pytest.mark.parametrize("name", FAST_BUGS)
def test_workers_agree_on_the_bug_catalog(spy: Spy, name: str) -> None:
    _three(spy, _catalog_cfg(name, False))


@pytest.mark.parametrize("cfg", GRID[:4] + GRID[-3:], ids=lambda c: f"{c.impl.split(':')[1]}-{c.acceptors}a"
                         f"{c.proposers}p-b{c.ballots}-c{c.crashes}-l{c.learners}")
@REDUCTIONS
def test_workers_agree_under_symmetry(spy: Spy, cfg: CheckConfig, red: Reductions) -> None:
    """Of each orbit the same member is kept (the threads' successors are put back in their parents' order)."""
    _three(spy, cfg, red, symmetry=True)


@pytest.mark.parametrize("cfg", TOYS, ids=lambda c: f"{c.impl.split(':')[1]}-{c.acceptors}a{c.proposers}p")
def test_workers_agree_on_quiet_blocks_toys(spy: Spy, cfg: CheckConfig) -> None:
    _three(spy, cfg, ALL)


@pytest.mark.parametrize("impl", ["tests.bad_nodes:raising_on_accepted", "tests.bad_nodes:raising_on_promise",
                                  "tests.bad_nodes:int_on_accepted"])
def test_workers_agree_on_nodes_that_raise(spy: Spy, impl: str) -> None:
    cfg = CheckConfig(acceptors=2, proposers=1, learners=1, crashes=0, impl=impl)
    result = _three(spy, cfg, Reductions(learners_apart=False))
    assert result.status("node_error") == "violated"


@REDUCTIONS
@pytest.mark.parametrize("name", FAST_BUGS[:4])
def test_workers_agree_on_the_first_violation(spy: Spy, name: str, red: Reductions) -> None:
    result = _three(spy, _catalog_cfg(name, False), red, stop_on_first_violation=True)
    assert result.stopped_by == "violation"


@pytest.mark.parametrize("limits", [Limits(max_states=1000), Limits(max_depth=7)], ids=["states-1000", "depth-7"])
def test_workers_agree_within_limits(spy: Spy, limits: Limits) -> None:
    result = _three(spy, CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1), limits=limits)
    assert not result.exhaustive


@pytest.mark.parametrize(("cfg", "symmetry"), [(FAST[0], False), (FAST[1], True)],
                         ids=["grid-0", "grid-1-symmetry"])
def test_both_engines_agree_under_workers(spy: Spy, cfg: CheckConfig, symmetry: bool) -> None:
    """--workers 2 on each engine: the compiled engine's threads, the Python engine's processes (partitions; they
    agree with one process on counts, verdicts and the length of each path, as tests/test_impl_wire.py pins)."""
    compiled, _ = _search(cfg, "compiled", 2, ALL, symmetry=symmetry)
    python, _ = _search(cfg, "python", 2, ALL, symmetry=symmetry)
    assert compiled.engine == "compiled (2 threads)" and python.engine == "python" and python.workers == 2

    def facts(r: SearchResult) -> tuple[Any, ...]:
        return (r.states, r.transitions, r.depth, r.states_per_depth, r.exhaustive, r.coverage,
                [(p.name, p.status, None if p.path is None else len(p.path)) for p in r.properties])

    assert facts(compiled) == facts(python)


def test_three_workers_agree(spy: Spy) -> None:
    _three(spy, CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1), workers=3)


def test_a_thread_s_row_may_outgrow_its_buffers(spy: Spy, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row whose successors do not fit a thread's buffers is redone by the serial loop, which grows them."""
    from checker.models import impl_core

    monkeypatch.setattr(impl_core, "_OUT", 1)
    _three(spy, CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1))
    assert spy.redone > 0


def test_the_cli_runs_workers_on_the_compiled_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = ["--acceptors", "2", "--proposers", "1", "--crashes", "0", "--quiet"]
    for w in ("1", "2"):
        assert main(["explore", *small, "--workers", w, "--out", str(tmp_path / w),
                     "--json", str(tmp_path / f"{w}.json")]) == 0
    assert "the Python engine runs this search" not in capsys.readouterr().out
    one, two = (json.loads((tmp_path / f"{w}.json").read_text()) for w in ("1", "2"))
    assert (two["engine"], two["config"]["workers"]) == ("compiled (2 threads)", 2)
    assert two["node_checks"]["fidelity"]["transitions"] == one["node_checks"]["fidelity"]["transitions"] > 0
    assert one["engine"] == "compiled"
    assert (two["states"], two["transitions"], two["depth"]) == (one["states"], one["transitions"], one["depth"])
    verdicts = [[(p["name"], p["status"]) for p in run["properties"]] for run in (one, two)]
    assert verdicts[0] == verdicts[1]


@pytest.mark.parametrize("bug", [None, "phase2a_ignores_1b", "phase2b_ignores_maxbal", *MUTANTS])
def test_workers_agree_on_the_spec(monkeypatch: pytest.MonkeyPatch, bug: str | None) -> None:
    """The Spec's core splits a batch into slices, one per thread (expanded and checked), results in slice
    order: one worker's, and the Python engine's, planted bugs and mutants included."""
    from checker.models import spec_core

    calls: list[int] = []
    real = spec_core.expand_rows

    def counted(*args: Any) -> Any:
        calls.append(len(args[1]))
        return real(*args)

    monkeypatch.setattr(spec_core, "_MIN_SPLIT", 2)
    monkeypatch.setattr(spec_core, "expand_rows", counted)
    runs = {}
    for engine, workers in (("compiled", 2), ("compiled", 1), ("python", 1)):
        model = SpecModel(SpecConfig(3, 2, 2), bug=bug)
        runs[engine, workers] = bfs(model, SearchOptions(engine=engine, workers=workers, coverage=True))
        if workers == 2:  # the levels of more than one state were split: a kernel call per slice
            chunks = [min(flat_bfs._CHUNK, n - lo) for n in runs[engine, workers].states_per_depth
                      for lo in range(0, n, flat_bfs._CHUNK)]
            assert len(calls) == sum(2 if n >= 2 else 1 for n in chunks), calls
    assert runs["compiled", 2].engine == "compiled (2 threads)" and runs["compiled", 1].engine == "compiled"
    same_results(runs["compiled", 2], runs["compiled", 1])
    same_results(runs["compiled", 2], runs["python", 1])


def test_node_checks_turned_off_say_off_under_workers(tmp_path: Path) -> None:
    """With the node checks off, --workers 2 writes the summary one worker writes: the checks "off", no hash_order
    property of unknown status as if they had been asked for and could not run."""
    small = ["--acceptors", "2", "--proposers", "1", "--crashes", "0", "--quiet", "--no-hash-order-check",
             "--no-fidelity-check"]
    runs = []
    for w in ("1", "2"):
        assert main(["explore", *small, "--workers", w, "--out", str(tmp_path / w),
                     "--json", str(tmp_path / f"{w}.json")]) == 0
        runs.append(json.loads((tmp_path / f"{w}.json").read_text()))
    assert runs[1]["node_checks"] == runs[0]["node_checks"] == {"seconds": 0.0, "fidelity": "off", "hash_order": "off"}
    assert [p["name"] for p in runs[1]["properties"]] == [p["name"] for p in runs[0]["properties"]]


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_bad_workers_are_refused_in_one_line(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["explore", "--acceptors", "2", "--workers", bad])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) <= 2 and "--workers" in err[-1] and "Traceback" not in "".join(err)
