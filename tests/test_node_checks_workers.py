"""The node checks of a BFS over `--workers N` processes (`--engine python`; the compiled engine's workers are
threads of one process, where every node step runs: tests/test_impl_engines_workers.py): the workers send their
node transitions back at the end.

Before, neither check ran there (`hash_order` unknown). The two nodes of tests/node_check_nodes.py show it:
the lossy snapshot is refused and the frozenset tie is found hash-order dependent, as in one process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from checker.cli.main import main
from checker.config import CheckConfig
from checker.model import Model
from checker.models.hash_order import HASH_ORDER, HashOrderCheck
from checker.models.impl_model import ImplModel
from checker.search.bfs import bfs
from checker.search.common import SearchOptions

ROOT = Path(__file__).resolve().parent.parent
LOSSY = ["explore", "--impl", "tests.node_check_nodes:LossySeenRound", "--acceptors", "2", "--ballots", "1,2",
         "--crashes", "0"]
TIE = CheckConfig(impl="tests.node_check_nodes:TieByRound", acceptors=3, ballots=(1, 2), crashes=0, learners=0)
TIE_FLAGS = ["explore", "--impl", "tests.node_check_nodes:TieByRound", "--acceptors", "3", "--ballots", "1,2",
             "--crashes", "0", "--learners", "0", "--symmetry", "--stop-on-first"]


def _values(model: ImplModel) -> set[tuple[Any, ...]]:
    return {row[1:] for row in model.node_transitions()}


def _searched(cfg: CheckConfig, workers: int, gather: bool = True) -> ImplModel:
    model = ImplModel(cfg)
    bfs(cast(Model, model), SearchOptions(workers=workers, symmetry=True, stop_on_first_violation=True,
                                          node_transitions=gather, engine="python"))
    return model


def test_the_driver_gets_every_transition_one_process_computes() -> None:
    one, two = _searched(TIE, 1), _searched(TIE, 2)
    assert two.gathered_from_workers
    assert _values(two) == _values(one) and len(_values(one)) > 100
    alone = _values(_searched(TIE, 2, gather=False))  # the driver's own: the roots, the paths to violations
    assert alone < _values(one)


def test_the_frozenset_tie_is_found_from_the_gathered_transitions() -> None:
    check = HashOrderCheck()
    check.run(_searched(TIE, 2))
    assert check.error is None and check.findings
    assert all(f.input[0] == "deliver" and type(f.input[1]).__name__ == "Promise" for f in check.findings)


def _cli(args: list[str], out: Path) -> tuple[int, str]:
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run([sys.executable, "-m", "checker.cli", *args, "--quiet", "--out", str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False, timeout=600)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("engine", ["python", "compiled"])
def test_the_lossy_snapshot_is_refused_under_workers_2(tmp_path: Path, engine: str) -> None:
    code, text = _cli([*LOSSY, "--workers", "2", "--engine", engine], tmp_path / "run")
    assert code == 2, text
    assert "restore(snapshot())" in text and "Traceback" not in text
    assert not (tmp_path / "run" / "summary.json").exists()


def test_swarm_over_workers_still_says_not_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    main(["simulate", "--strategy", "swarm", "--workers", "2", "--walks", "40", "--acceptors", "2", "--ballots", "1,2",
          "--crashes", "0", "--quiet", "--out", str(out)])
    summary = json.loads((out / "summary.json").read_text())
    entry = next(p for p in summary["properties"] if p["name"] == HASH_ORDER)
    assert entry["status"] == "unknown" and summary["result_depends_on_hash_seed"] is None
    assert summary["node_checks"]["hash_order"].startswith("not checked")


@pytest.mark.slow
def test_the_tie_is_found_hash_order_dependent_under_workers_2(tmp_path: Path) -> None:
    """The whole command: violated with a trace that replays, the same transitions as --workers 1 (~30 s)."""
    runs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        code, text = _cli([*TIE_FLAGS, "--workers", str(workers), "--engine", "python"], out)
        assert code == 1, text
        runs[workers] = json.loads((out / "summary.json").read_text())
    summary = runs[2]
    entry = next(p for p in summary["properties"] if p["name"] == HASH_ORDER)
    assert entry["status"] == "violated" and entry["trace"] and summary["result_depends_on_hash_seed"] is True
    assert summary["node_checks"]["fidelity"]["transitions"] == runs[1]["node_checks"]["fidelity"]["transitions"]
    assert summary["node_checks"]["hash_order"]["differ"] == runs[1]["node_checks"]["hash_order"]["differ"]
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run([sys.executable, "-m", "checker.cli", "replay", str(tmp_path / "w2" / entry["trace"])],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 1 and "VIOLATION reproduced: hash_order" in done.stdout, done.stdout
