"""The node checks after a search (issue 26): hash_order and snapshot fidelity, the hash seed a run records.

The two nodes of tests/node_check_nodes.py must never be reported HELD under any PYTHONHASHSEED; our
PaxosNode must pass both checks, and the checker's own results must not depend on the seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

from checker.cli.main import main
from checker.config import CheckConfig
from checker.errors import UsageError
from checker.hashseed import current_hash_seed, other_seeds
from checker.model import Model
from checker.models.contract import check_node_contract
from checker.models.fidelity import check_fidelity
from checker.models.hash_order import HASH_ORDER, HashOrderCheck, HashOrderFinding, MarkedModel
from checker.models.impl_model import ImplModel
from checker.models.reductions import Reductions
from checker.search.bfs import bfs
from checker.search.common import SearchOptions
from checker.traces.trace_csv import Trace, read_trace, write_trace

TIE = "tests.node_check_nodes:TieByRound"
LOSSY = "tests.node_check_nodes:LossySeenRound"
#: Small configurations where each node's fault can show: a Nack above the proposer's own round, then its
#: timeout (LOSSY); two votes of one round for two values reported to a later ballot (TIE).
LOSSY_FLAGS = ["--acceptors", "2", "--ballots", "1,2", "--crashes", "0"]
TIE_FLAGS = ["--acceptors", "3", "--ballots", "1,2", "--crashes", "0"]
ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(6)


def _cli(args: list[str], seed: int, out: Path) -> tuple[int, str, dict[str, object] | None]:
    """`paxos-check ARGS --out OUT` in a child process under PYTHONHASHSEED=seed: (exit code, output, summary)."""
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    done = subprocess.run([sys.executable, "-m", "checker.cli", *args, "--quiet", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=900)
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else None
    return done.returncode, done.stdout + done.stderr, summary


def _explore(model: ImplModel) -> None:
    bfs(cast(Model, model), SearchOptions())


def _prop(summary: dict[str, object], name: str) -> dict[str, object]:
    props = summary["properties"]
    assert isinstance(props, list)
    return next(p for p in props if p["name"] == name)


def test_other_seeds_exclude_this_process() -> None:
    seeds = other_seeds(2)
    assert len(seeds) == 2 and current_hash_seed() not in seeds and len(set(seeds)) == 2


def test_the_lossy_node_passes_the_contract_check_so_the_fidelity_check_is_what_refuses_it() -> None:
    check_node_contract(CheckConfig(impl=LOSSY, acceptors=2, ballots=(1, 2), crashes=0))  # random walks miss it
    model = ImplModel(CheckConfig(impl=LOSSY, acceptors=2, ballots=(1, 2), crashes=0))
    _explore(model)
    with pytest.raises(UsageError) as info:
        check_fidelity(model)
    text = str(info.value)
    assert "on_timeout()" in text and "at step 3" in text and "Nack 0@1 (promised 1@2)" in text
    assert "Prepare 2@1" in text and "Prepare 1@1" in text  # the first difference: live vs rebuilt


def test_our_node_passes_fidelity_on_every_transition() -> None:
    model = ImplModel(CheckConfig(acceptors=2, ballots=(1, 2), crashes=1))
    _explore(model)
    report = check_fidelity(model)
    transitions = sum(1 for _ in model.node_transitions())
    assert report.checked == report.transitions == transitions > 100 and report.unreached == 0
    assert report.probes > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_lossy_node_is_refused_under_every_hash_seed(tmp_path: Path, seed: int) -> None:
    code, text, _ = _cli(["explore", "--impl", LOSSY, *LOSSY_FLAGS], seed, tmp_path / "run")
    assert code == 2, text
    assert "breaks the node contract in on_timeout()" in text and "Traceback" not in text


def test_lossy_node_passes_with_the_fidelity_check_off(tmp_path: Path) -> None:
    """The flag switches the check off: then the lossy node is explored as a node that forgets (HELD)."""
    code, text, summary = _cli(["explore", "--impl", LOSSY, *LOSSY_FLAGS, "--no-fidelity-check"], 0, tmp_path / "r")
    assert code == 0, text
    assert summary is not None and summary["node_checks"]["fidelity"] == "off"  # type: ignore[index]


def test_quiet_blocks_find_a_proposers_transition_in_the_real_steps() -> None:
    """Under quiet blocks a proposer's step may start from a snapshot its quiet steps reached, so the
    model names no transition for the reduced step itself (`transition_key` is None); the marked model
    looks in the real steps the reduced step stands for, finds the path in the reduced graph, and the
    spelled-out trace ends in a real step that takes the transition (as the unreduced search's does)."""
    model = ImplModel(CheckConfig(acceptors=2, ballots=(1, 2), crashes=0))
    assert model.por is not None
    _explore(model)
    finding = _marked_finding(model)
    reduced = MarkedModel(model, [finding])
    found = bfs(cast(Model, reduced), SearchOptions(stop_on_first_violation=True)).prop(HASH_ORDER).path
    assert found is not None
    real = reduced.spell_out(found.initial, found.steps, HASH_ORDER)
    assert any(model.transition_key(a, b[0], real=True) is not None and reduced.finding_at(a, b[0], real=True)
               is finding for a, b in zip([found.initial, *(s for _, s in real)], real, strict=False))
    unreduced = MarkedModel(model, [finding], unreduced=True)
    path = bfs(cast(Model, unreduced), SearchOptions(stop_on_first_violation=True)).prop(HASH_ORDER).path
    assert path is not None
    prev = path.steps[-2][1] if len(path.steps) > 1 else path.initial
    assert unreduced.finding_at(prev, path.steps[-1][0]) is finding


def _marked_finding(model: ImplModel) -> HashOrderFinding:
    """A finding made up for one real Promise delivery of `model` (as if another seed sent nothing)."""
    t = next(t for t in model.node_transitions() if t[3][0] == "deliver" and type(t[3][1]).__name__ == "Promise"
             and t[5])
    return HashOrderFinding(model.ids[t[1]], t[2], t[3], (t[4], t[5], t[6], t[7]), (t[4], frozenset(), frozenset(), ""),
                            "0", "1")


@pytest.mark.parametrize("unreduced", [False, True])
def test_marked_model_finds_a_path_to_the_transition(unreduced: bool) -> None:
    # a proposer's Promise: with quiet blocks (reductions.py, 6) the reduced graph marks no proposer step
    # (test below), so the model as searched is the one without them here
    model = ImplModel(CheckConfig(acceptors=2, ballots=(1, 2), crashes=0), reductions=Reductions(por=False))
    _explore(model)
    finding = _marked_finding(model)
    marked = MarkedModel(model, [finding], unreduced=unreduced)
    found = bfs(cast(Model, marked), SearchOptions(stop_on_first_violation=True))
    path = found.prop(HASH_ORDER).path
    assert path is not None
    prev = path.steps[-2][1] if len(path.steps) > 1 else path.initial
    assert marked.finding_at(prev, path.steps[-1][0]) is finding
    assert all(marked.finding_at(s, a) is None for (s, (a, _)) in zip([path.initial] + [x[1] for x in path.steps],
                                                                     path.steps[:-1], strict=False))


def test_hash_order_check_holds_for_our_node() -> None:
    model = ImplModel(CheckConfig(acceptors=2, ballots=(1, 2), crashes=1))
    _explore(model)
    check = HashOrderCheck()
    check.run(model, limit=50)
    assert len(check.checked) == 50 and check.error is None  # a sample during a search
    check.run(model)
    assert len(check.checked) == sum(1 for _ in model.node_transitions())
    assert check.findings == [] and check.status(exhaustive=True) == "held"
    assert check.status(exhaustive=False) == "unknown"


def test_default_run_records_the_seed_and_what_the_result_depends_on(tmp_path: Path) -> None:
    code, text, summary = _cli(["explore", *LOSSY_FLAGS], 3, tmp_path / "run")
    assert code == 0, text
    assert summary is not None
    assert summary["hash_seed"] == "3" and summary["result_depends_on_hash_seed"] is False
    assert _prop(summary, HASH_ORDER)["status"] == "held"
    checks = summary["node_checks"]
    assert checks["hash_order"]["seeds"] == ["0", "1"] and checks["hash_order"]["differ"] == 0  # type: ignore[index]
    assert checks["fidelity"]["checked"] == checks["fidelity"]["transitions"] > 0  # type: ignore[index]
    witness = read_trace(tmp_path / "run" / str(_prop(summary, "sometimes_chosen")["trace"]))
    assert witness.hash_seed == "3"


def test_trace_header_round_trips_the_seeds(tmp_path: Path) -> None:
    trace = Trace("impl", "paxos:PaxosNode", CheckConfig().to_json(), None, hash_seed="4", other_seed="1")
    write_trace(tmp_path / "t.csv", trace)
    back = read_trace(tmp_path / "t.csv")
    assert (back.hash_seed, back.other_seed) == ("4", "1")
    text = (tmp_path / "t.csv").read_text().replace('""hash_seed"": ""4""', '""hash_seed"": ""x""')
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(UsageError, match="hash_seed"):
        read_trace(tmp_path / "bad.csv")


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_tie_by_round_is_found_under_every_hash_seed(tmp_path: Path, seed: int) -> None:
    """Explore (exhaustive) reports hash_order violated under every seed, with a trace that replays."""
    out = tmp_path / "run"
    code, text, summary = _cli(["explore", "--impl", TIE, *TIE_FLAGS], seed, out)
    assert code == 1, text
    assert summary is not None and summary["hash_seed"] == str(seed)
    entry = _prop(summary, HASH_ORDER)
    assert entry["status"] == "violated" and summary["result_depends_on_hash_seed"] is True
    assert "sort before iterating" in str(entry["detail"])
    trace = read_trace(out / str(entry["trace"]))
    assert trace.hash_seed == str(seed) and trace.other_seed is not None and trace.other_seed != str(seed)
    assert main(["replay", str(out / str(entry["trace"]))]) == 1  # re-runs under the recorded seed, then the other


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_tie_by_round_is_found_by_simulate_under_every_hash_seed(tmp_path: Path, seed: int) -> None:
    code, text, summary = _cli(["simulate", "--impl", TIE, *TIE_FLAGS, "--walks", "2000"], seed, tmp_path / "run")
    assert summary is not None, text
    assert _prop(summary, HASH_ORDER)["status"] == "violated" and code == 1


def test_samples_are_checked_during_a_search() -> None:
    from checker.runs.node_checks import NodeChecks
    from checker.runs.request import RunRequest
    from checker.search.common import Progress

    model = ImplModel(CheckConfig(acceptors=2, ballots=(1, 2), crashes=0))
    checks = NodeChecks(RunRequest(command="explore", strategy="bfs", out="unused"), model)
    seen: list[Progress] = []
    hook = checks.sampling(seen.append)
    _explore(model)
    checks._next_sample = 0.0  # a minute has passed
    hook(Progress(1, 0, 1, 0.0, 0.0))
    assert seen and checks.hash is not None and len(checks.hash.checked) > 0  # a sample, before the search ends


def test_replay_runs_under_the_seed_the_trace_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text, summary = _cli(["explore", *LOSSY_FLAGS], 2, tmp_path / "run")
    assert code == 0 and summary is not None, text
    trace = tmp_path / "run" / str(_prop(summary, "sometimes_chosen")["trace"])
    assert read_trace(trace).hash_seed == "2"
    assert main(["replay", str(trace)]) == 0
    out = capsys.readouterr().out
    assert "replaying" in out and "fingerprints differ" not in out
