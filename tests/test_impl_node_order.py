"""The compiled engine runs the nodes' steps in the Python engine's order: every node step the search runs
(ImplTables._run_node: cache misses), in order, is the same under both engines, with saturation, quiet
blocks and symmetry. The kernel's shortcuts (impl_core_kernel.py: a stutter's inert outputs not computed,
only their first missing node step) must keep this order, not only the states and verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from checker.config import CheckConfig
from checker.models.impl_model import ImplModel
from checker.models.impl_tables import ImplTables
from checker.models.reductions import Reductions
from checker.search.bfs import bfs
from checker.search.common import SearchOptions
from tests.engine_results import same_results

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CASES = [
    (CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1), Reductions(), False),
    (CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1), Reductions(por=False), False),
    (CheckConfig(acceptors=3, proposers=2, ballots=(2, 1), crashes=1, learners=1), Reductions(), True),
    (CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=1, impl="paxos.bugs:volatile_ballot"),
     Reductions(), False),
]


def _calls(cfg: CheckConfig, red: Reductions, symmetry: bool, engine: str,
           monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[tuple[int, int, int, int]]]:
    log: list[tuple[int, int, int, int]] = []
    run = ImplTables._run_node

    def logged(self: ImplTables, i: int, sid: int, kind: int, arg: int) -> Any:
        log.append((i, sid, kind, arg))
        return run(self, i, sid, kind, arg)

    monkeypatch.setattr(ImplTables, "_run_node", logged)
    model = ImplModel(cfg, reductions=red)
    result = bfs(model, SearchOptions(engine=engine, coverage=True, symmetry=symmetry))
    monkeypatch.setattr(ImplTables, "_run_node", run)
    assert result.engine == engine
    return result, log


@pytest.mark.parametrize(("cfg", "red", "symmetry"), CASES, ids=["por", "no-por", "symmetry-b21", "volatile"])
def test_both_engines_run_the_same_node_steps_in_the_same_order(cfg: CheckConfig, red: Reductions, symmetry: bool,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    compiled, c_log = _calls(cfg, red, symmetry, "compiled", monkeypatch)
    python, p_log = _calls(cfg, red, symmetry, "python", monkeypatch)
    same_results(compiled, python)
    assert len(c_log) > 50  # the run did call the nodes
    first = next((n for n, (a, b) in enumerate(zip(c_log, p_log, strict=False)) if a != b), None)
    assert first is None and len(c_log) == len(p_log), (first, len(c_log), len(p_log))
