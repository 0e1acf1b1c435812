"""A `hash_order` finding always comes with a replayable trace, or says in one line why it has none.

A random search's findings can lie deeper than a BFS gets within its time (`paxos.bugs:no_tiebreak` under
`simulate` on a loaded machine: both BFS passes stopped at 60 s, the entry had no trace). The trace search
now re-runs the same walks on the marked model first; these tests take the BFS away to show that.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, cast

import pytest

from checker.cli.main import main
from checker.config import CheckConfig
from checker.model import Model
from checker.models.hash_order import HASH_ORDER, HashOrderFinding, MarkedModel
from checker.models.impl_model import ImplModel
from checker.search import bfs as bfs_module
from checker.search import strategies
from checker.search.common import Limits, SearchOptions, SearchResult

TIE = "tests.node_check_nodes:TieByRound"
SIM = ["simulate", "--impl", TIE, "--acceptors", "3", "--ballots", "1,2", "--crashes", "0", "--walks", "600",
       "--quiet"]
REAL_BFS = bfs_module.bfs


def _starved_bfs(model: Model, options: SearchOptions) -> SearchResult:
    """A BFS that stops at once, as the trace BFS did at its time limit on a loaded machine."""
    return REAL_BFS(model, dataclasses.replace(options, limits=Limits(max_states=1)))


def _entry(out: Path) -> dict[str, Any]:
    summary = json.loads((out / "summary.json").read_text())
    return cast(dict[str, Any], next(p for p in summary["properties"] if p["name"] == HASH_ORDER))


def test_simulate_finds_the_trace_by_re_running_its_walks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bfs_module, "bfs", _starved_bfs)
    out = tmp_path / "run"
    assert main([*SIM, "--out", str(out)]) == 1
    entry = _entry(out)
    assert entry["status"] == "violated" and entry["trace"], entry
    assert "no_trace" not in entry
    assert main(["replay", str(out / entry["trace"])]) == 1  # under the other seed a step reaches another state


def test_a_finding_no_search_reaches_says_why_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(bfs_module, "bfs", _starved_bfs)
    real = strategies.strategy_function
    # the main search is run.py's own import; only the trace search's re-run is starved
    monkeypatch.setattr(strategies, "strategy_function", lambda name: lambda m, o: real(name)(
        m, dataclasses.replace(o, limits=Limits(max_states=1))))
    out = tmp_path / "run"
    assert main([*SIM, "--out", str(out)]) == 1
    entry = _entry(out)
    assert entry["status"] == "violated" and entry["trace"] is None
    why = entry["no_trace"]
    assert why.startswith("no trace:") and "\n" not in why and "guided search again" in why
    assert why in capsys.readouterr().out  # the verdict table's evidence column


def _inert_finding(model: ImplModel) -> HashOrderFinding:
    """A finding made up for a delivery that keeps the snapshot and sends only inert kinds, one of which is new
    somewhere (saturation folds it into another step, as if another seed sent nothing)."""
    t = next(t for t in model.node_transitions() if t[3][0] == "deliver" and t[2] == t[4] and t[5] and not t[7]
             and all(model.tables.inert_mask >> model.tables.msg_id[m] & 1 for m in t[5]))
    return HashOrderFinding(model.ids[t[1]], t[2], t[3], (t[4], t[5], t[6], t[7]),
                            (t[4], frozenset(), frozenset(), ""), "0", "1")


def test_a_transition_inside_a_saturated_step_is_marked_in_the_reduced_model() -> None:
    """Before, only the unreduced BFS could mark a transition that saturation folds into a step."""
    model = ImplModel(CheckConfig(acceptors=2, ballots=(1, 2), crashes=0))
    assert model.reductions.saturation
    REAL_BFS(cast(Model, model), SearchOptions())
    finding = _inert_finding(model)
    marked = MarkedModel(model, [finding])
    found = REAL_BFS(cast(Model, marked), SearchOptions(stop_on_first_violation=True))
    path = found.prop(HASH_ORDER).path
    assert path is not None
    assert marked.last_finding(path.initial, path.steps) is finding
    real = marked.spell_out(path.initial, path.steps, HASH_ORDER)  # cut right after the step that takes it
    assert marked.model.transition_key(real[-2][1] if len(real) > 1 else path.initial, real[-1][0]) is not None
    prev = real[-2][1] if len(real) > 1 else path.initial
    i = model.ids.index(finding.node)
    assert real[-1][0][1] == i and model.snaps[i][prev[i]] == finding.snapshot
