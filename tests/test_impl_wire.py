"""Implementation-model states across processes (checker/models/impl_wire.py) and the BFS over worker
processes that uses them: a state packed by one model and unpacked by another, which interned its
snapshots and messages in another order, is the same state there (same fingerprint, same successors),
and `--workers 2` processes (`--engine python`; the compiled engine's are threads: test_impl_engines_workers.py)
find exactly the states, transitions, levels, verdicts and shortest counterexamples
of one process."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import paxos.bugs as bugs
from checker.cli.main import main
from checker.config import CheckConfig
from checker.model import Model
from checker.models.impl_encoding import ImplState
from checker.models.impl_model import ImplModel
from checker.search.common import SearchOptions, SearchResult
from checker.search.strategies import search


def _level_order(model: ImplModel, limit: int) -> list[ImplState]:
    """The first `limit` states of a plain BFS (no strategy code)."""
    first = next(iter(model.initial_states()))
    seen = {model.fingerprint(first)}
    order, i = [first], 0
    while i < len(order) and len(order) < limit:
        for _, t in model.successors(order[i]):
            fp = model.fingerprint(t)
            if fp not in seen:
                seen.add(fp)
                order.append(t)
        i += 1
    return order


def _successor_fps(model: ImplModel, state: ImplState) -> set[int]:
    return {model.fingerprint(t) for _, t in model.successors(state)}


@pytest.mark.parametrize("network", ["set", "bag"])
def test_a_state_means_the_same_in_a_model_that_interned_in_another_order(network: str) -> None:
    cfg = CheckConfig(ballots=(1, 2), network=network, drops=1 if network == "bag" else 0,
                      duplicates=1 if network == "bag" else 0)
    sender = ImplModel(cfg)
    states = _level_order(sender, 3000)
    receiver = ImplModel(cfg)
    _level_order(receiver, 40)  # the receiver has met a few states of its own, so its ids are its own
    late = states[-500:]  # states whose ids the receiver has mostly not met
    wire = pickle.loads(pickle.dumps(sender.to_wire(late)))
    got = list(receiver.from_wire(wire))
    assert [receiver.fingerprint(s) for s in got] == [sender.fingerprint(s) for s in late]
    assert [receiver.recompute_fingerprint(s) for s in got] == [sender.fingerprint(s) for s in late]
    for mine, theirs in zip(got[::25], late[::25], strict=True):
        assert _successor_fps(receiver, mine) == _successor_fps(sender, theirs)
        assert receiver.violated(mine) == sender.violated(theirs)
        assert receiver.view(mine) == sender.view(theirs)


@pytest.mark.parametrize("network", ["set", "bag"])
def test_a_link_sends_each_table_entry_once_and_keeps_meaning(network: str) -> None:
    """Batches on a link (a parallel BFS's worker to worker) carry only the table entries made since
    the last batch to that peer, and the receiver's growing tables still read every state right."""
    cfg = CheckConfig(ballots=(1, 2), network=network, drops=1 if network == "bag" else 0)
    sender, receiver = ImplModel(cfg), ImplModel(cfg)
    states = _level_order(sender, 3000)
    _level_order(receiver, 40)
    sent = 0
    for start in range(0, len(states), 700):
        batch = states[start : start + 700]
        wire = pickle.loads(pickle.dumps(sender.to_wire(batch, peer=1)))
        assert wire.msgs[0] == sent  # the tail starts where the last batch's ended
        sent += len(wire.msgs[1])
        got = list(receiver.from_wire(wire, peer=0))
        assert [receiver.recompute_fingerprint(s) for s in got] == [sender.fingerprint(s) for s in batch]
    assert sent == len(sender.msgs)
    assert not sender.to_wire(states[-5:], peer=1).msgs[1]  # nothing new: no message travels again


def test_a_link_refuses_a_lost_or_reordered_batch() -> None:
    sender, receiver = ImplModel(CheckConfig()), ImplModel(CheckConfig())
    states = _level_order(sender, 400)
    first = sender.to_wire(states[:200], peer=1)
    second = sender.to_wire(states[200:], peer=1)
    with pytest.raises(ValueError, match="lost or reordered"):
        receiver.from_wire(second, peer=0)
    receiver.from_wire(first, peer=0)
    assert [s[-1] for s in receiver.from_wire(second, peer=0)] == [s[-1] for s in states[200:]]


def test_an_empty_batch_travels() -> None:
    model = ImplModel(CheckConfig())
    assert list(model.from_wire(model.to_wire([]))) == []


def _explore(cfg: CheckConfig, workers: int, **options: Any) -> SearchResult:
    model: Model = ImplModel(cfg)  # type: ignore[assignment]
    return search(model, "bfs", SearchOptions(workers=workers, engine="python", **options))  # processes


def _facts(r: SearchResult) -> tuple[Any, ...]:
    return (r.states, r.transitions, r.depth, r.states_per_depth, r.exhaustive,
            {p.name: (p.status, None if p.path is None else len(p.path)) for p in r.properties}, r.coverage)


@pytest.mark.parametrize("cfg", [
    CheckConfig(learners=0, ballots=1),
    CheckConfig(acceptors=2, proposers=2, ballots=(1, 2), crashes=1, learners=0),
    CheckConfig(acceptors=2, proposers=1, ballots=1, network="bag", drops=1, duplicates=1, learners=1),
    pytest.param(CheckConfig(acceptors=2, proposers=1, ballots=2, network="bag", drops=1, duplicates=1, learners=1),
                 marks=pytest.mark.slow, id="bag-faults-retry"),
    CheckConfig(learners=1, ballots=1, crashes=0, impl="paxos.bugs:own_value"),
], ids=["default-1-ballot", "retry-crash", "bag-faults", "bag-faults-retry", "own_value"])
def test_two_workers_find_what_one_process_finds(cfg: CheckConfig) -> None:
    one = _explore(cfg, 1, coverage=True)
    two = _explore(cfg, 2, coverage=True)
    assert _facts(two) == _facts(one)
    assert two.workers == 2


@pytest.mark.parametrize("cfg", [
    CheckConfig(learners=0, ballots=1, crashes=1),
    pytest.param(CheckConfig(learners=0, ballots=(1, 2), crashes=1), marks=pytest.mark.slow, id="retry-crash"),
], ids=["crash", "retry-crash"])
def test_two_workers_with_symmetry_find_what_one_process_finds(cfg: CheckConfig) -> None:
    assert _facts(_explore(cfg, 2, symmetry=True)) == _facts(_explore(cfg, 1, symmetry=True))


def test_explore_with_workers_writes_the_same_shortest_counterexample(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    traces = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        code = main(["explore", "--impl", f"{bugs.__name__}:own_value", "--workers", str(workers), "--ballots", "1",
                     "--crashes", "0", "--engine", "python", "--stop-on-first", "--out", str(out)])
        assert code == 1
        summary = json.loads((out / "summary.json").read_text())
        assert summary["config"]["workers"] == workers
        traces[workers] = (summary["states"], (out / "traces" / "refines_spec.csv").read_text())
    assert traces[1] == traces[2]
    assert main(["replay", str(tmp_path / "w2" / "traces" / "refines_spec.csv")]) == 1
    capsys.readouterr()
