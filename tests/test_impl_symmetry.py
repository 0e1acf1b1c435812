"""Acceptor symmetry of the implementation model (checker/models/impl_symmetry.py): the group, the renaming,
the canonical form, and soundness: same verdicts and orbit counts as the unreduced search, bugs still
found with counterexamples that replay, and implementations that are not symmetric refused."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Hashable
from pathlib import Path
from typing import Any, cast

import pytest

import paxos.bugs as bugs
from checker.cli.main import main
from checker.config import CheckConfig
from checker.errors import UsageError
from checker.model import Model
from checker.models.impl_encoding import ImplState
from checker.models.impl_model import ImplModel
from checker.models.impl_symmetry import (
    CannotRename,
    ImplSymmetry,
    acceptor_symmetries,
    quorum_automorphisms,
    rename,
    symmetry_of,
)
from checker.models.reductions import Reductions
from checker.runs.summarize import trace_of
from checker.search.common import SearchOptions, SearchResult
from checker.search.strategies import search
from checker.traces.replay import ImplReplayer
from paxos import (
    BOTTOM,
    Accepted,
    AcceptorDurable,
    Ballot,
    ClusterConfig,
    ExplicitQuorums,
    GridQuorums,
    LearnerVolatile,
    Message,
    NodeSnapshot,
    Outputs,
    PaxosNode,
    Prepare,
    Promise,
    ProposerDurable,
    ProposerVolatile,
    ThresholdQuorums,
    Value,
)

SMALL: dict[str, Any] = {"acceptors": 3, "proposers": 1, "ballots": 1, "crashes": 0}


def explore(model: ImplModel, strategy: str = "bfs", **options: Any) -> SearchResult:
    as_model: Model = model  # type: ignore[assignment]  # ImplModel narrows the protocol's state types
    return search(as_model, strategy, SearchOptions(**options))


def run(cfg: CheckConfig, symmetry: bool, strategy: str = "bfs", **options: Any) -> SearchResult:
    """A search of the unreduced model (`Reductions.none()`): the pinned counts are of every state."""
    return explore(ImplModel(cfg, reductions=Reductions.none()), strategy, symmetry=symmetry, **options)


def verdicts(result: SearchResult) -> dict[str, str]:
    return {p.name: p.status for p in result.properties}


def reachable(model: ImplModel) -> list[ImplState]:
    """Every reachable state of a small model (a plain BFS, no strategy code)."""
    seen = {s: None for s in model.initial_states()}
    todo = list(seen)
    while todo:
        s = todo.pop()
        for _, t in model.successors(s):
            if t not in seen:
                seen[t] = None
                todo.append(t)
    return list(seen)


# -- the group -------------------------------------------------------------------------------------------


def test_majorities_and_thresholds_allow_every_acceptor_permutation() -> None:
    assert len(acceptor_symmetries(ClusterConfig.separate(3, 2, 1))) == 6
    assert len(acceptor_symmetries(ClusterConfig.separate(4, 1, 0))) == 24
    assert len(quorum_automorphisms(ThresholdQuorums(3, 3, 1))) == 6
    assert quorum_automorphisms(ThresholdQuorums(3, 2, 2))[0] == {1: 1, 2: 2, 3: 3}  # identity first


def test_explicit_and_grid_quorums_keep_only_their_automorphisms() -> None:
    lopsided = ExplicitQuorums([{1, 2}, {1, 3}])  # 1 is in every quorum: only 2 <-> 3 is a symmetry
    assert quorum_automorphisms(lopsided) == [{1: 1, 2: 2, 3: 3}, {1: 1, 2: 3, 3: 2}]
    # rows are phase-1 and columns phase-2 quorums: swap rows, swap columns, or both (not transpose)
    assert len(quorum_automorphisms(GridQuorums(2, 2))) == 4


def test_colocated_acceptors_are_proposers_so_nothing_is_symmetric() -> None:
    assert len(acceptor_symmetries(ClusterConfig.colocated(3))) == 1
    model = ImplModel(CheckConfig(acceptors=2, proposers=2, colocated=True, learners=0, crashes=0))
    assert symmetry_of(model.tables).size == 1
    assert run(model.cfg, True).states == run(model.cfg, False).states == 5100


# -- renaming ----------------------------------------------------------------------------------------------


def test_rename_changes_message_sources_and_nothing_else() -> None:
    ids = {3: 4, 4: 3}
    promise = Promise(3, Ballot(0, 1), BOTTOM, None)
    snap = NodeSnapshot(AcceptorDurable(Ballot(0, 1)), ProposerDurable(0, "v1"),
                        ProposerVolatile(Ballot(0, 1), 1, frozenset({promise}), -1),
                        LearnerVolatile(frozenset({Accepted(4, Ballot(0, 1), "v1")})))
    renamed = rename(snap, ids)
    assert isinstance(renamed, NodeSnapshot)
    assert renamed.proposer_volatile.promises == frozenset({Promise(4, Ballot(0, 1), BOTTOM, None)})
    assert renamed.learner.accepted == frozenset({Accepted(3, Ballot(0, 1), "v1")})
    assert renamed.acceptor == snap.acceptor and renamed.proposer == snap.proposer  # ballots name proposers
    assert rename(Prepare(1, Ballot(0, 1)), ids) == Prepare(1, Ballot(0, 1))  # proposer ids never move
    assert rename(renamed, ids) == snap


def test_rename_keeps_subclasses_and_their_extra_fields() -> None:
    counted = bugs.CountedProposerVolatile(Ballot(0, 1), 1, frozenset({Promise(3, Ballot(0, 1), BOTTOM, None)}),
                                           -1, 2)
    renamed = rename(counted, {3: 5, 5: 3})
    assert type(renamed) is bugs.CountedProposerVolatile
    assert renamed.count == 2  # an int field is a count, never a node id
    assert {p.src for p in renamed.promises} == {5}


def test_rename_refuses_values_it_does_not_know() -> None:
    with pytest.raises(CannotRename, match="list"):
        rename(NodeSnapshot(AcceptorDurable(), ProposerDurable(), ProposerVolatile(), [1]), {})  # type: ignore[arg-type]


# -- the canonical form on every reachable state -------------------------------------------------------------


@pytest.mark.parametrize("overrides", [
    {"crashes": 1},
    {"network": "bag", "duplicates": 1},
    {"learners": 2},
])
def test_images_are_real_states_and_successors_commute_with_renaming(overrides: dict[str, Any]) -> None:
    model = ImplModel(CheckConfig(**{**SMALL, **overrides}))
    sym = ImplSymmetry(model.tables)
    assert sym.size == 6
    for s in reachable(model):
        rep = sym.canonical(s)
        images = [sym.image(s, g) for g in range(sym.size)]
        assert sym.orbit_size(s) == len({t[-1] for t in images})
        for t in images:
            assert model.recompute_fingerprint(t) == t[-1]  # the packed fingerprint is the true one
            assert sym.canonical(t) == rep
            assert model.violated(t) == model.violated(s) and model.witnessed(t) == model.witnessed(s)
        assert rep[-1] == min(t[-1] for t in images)
        for g in range(1, sym.size):
            moved = sorted(sym.image(u, g)[-1] for _, u in model.successors(s))
            assert sorted(u[-1] for _, u in model.successors(images[g])) == moved


# -- search with symmetry: same verdicts, fewer states, the orbits add up -------------------------------------


@pytest.mark.parametrize(("overrides", "full", "reduced"), [
    ({}, 117, 33),
    ({"crashes": 1}, 847, 213),
    ({"network": "bag"}, 264, 66),
    ({"network": "bag", "crashes": 1}, 2437, 549),
    ({"learners": 2}, 365, 85),
    ({"acceptors": 4, "learners": 0}, 153, 26),
    ({"acceptors": 5, "learners": 0}, 705, 44),  # 120 permutations: the numpy path picks the least image
    ({"q1": 3, "q2": 1, "learners": 0}, 35, 14),
])
def test_bfs_with_symmetry_gives_the_same_verdicts_on_fewer_states(
        overrides: dict[str, Any], full: int, reduced: int) -> None:
    cfg = CheckConfig(**{**SMALL, **overrides})
    plain, sym = run(cfg, False), run(cfg, True)
    assert (plain.states, sym.states) == (full, reduced)
    assert verdicts(plain) == verdicts(sym)
    assert plain.exhaustive and sym.exhaustive and plain.depth == sym.depth
    assert sym.unreduced_states == full  # every orbit counted at its size gives back the whole space
    assert sym.symmetry_reduction == pytest.approx(full / reduced)
    assert plain.symmetry_reduction is None


@pytest.mark.slow
@pytest.mark.parametrize(("overrides", "full", "reduced"), [
    ({"proposers": 2}, 131_845, 23_231),
    ({"ballots": 2}, 62_525, 11_062),
    ({"network": "bag", "crashes": 1, "drops": 1, "duplicates": 1}, 77_974, 14_245),
])
def test_bfs_with_symmetry_on_larger_configurations(overrides: dict[str, Any], full: int, reduced: int) -> None:
    cfg = CheckConfig(**{**SMALL, **overrides})
    plain, sym = run(cfg, False), run(cfg, True)
    assert (plain.states, sym.states, sym.unreduced_states) == (full, reduced, full)
    assert verdicts(plain) == verdicts(sym)


def test_dfs_finds_the_same_orbits() -> None:
    cfg = CheckConfig(**{**SMALL, "crashes": 1})
    dfs = run(cfg, True, "dfs")
    assert (dfs.states, dfs.unreduced_states) == (213, 847)
    assert verdicts(dfs) == verdicts(run(cfg, False))


# -- bugs are still found, and their counterexamples are real paths -------------------------------------------


@pytest.mark.parametrize(("name", "overrides"), [
    ("minority_quorum", {}),
    ("promise_drops_value", {"acceptors": 3}),
    ("volatile_acceptor", {"acceptors": 3}),  # a step property (promise_monotonic) after a crash
    ("eager_learner", {"acceptors": 3}),
    ("duplicate_promises", {"network": "bag", "duplicates": 1}),
])
def test_catalogued_bug_is_found_under_symmetry_with_a_trace_that_replays(
        name: str, overrides: dict[str, Any]) -> None:
    cfg = dataclasses.replace(CheckConfig(**dict(bugs.CATALOG[name].config)), **overrides)
    model = ImplModel(cfg, reductions=Reductions.none())
    plain = run(cfg, False, stop_on_first_violation=True)
    sym = explore(model, symmetry=True, stop_on_first_violation=True)
    assert sym.states < plain.states
    found = {p.name: len(p.path) for p in sym.violated if p.path is not None}
    assert found == {p.name: len(p.path) for p in plain.violated if p.path is not None}  # same names, lengths
    assert set(found) & {*bugs.CATALOG[name].breaks, "refines_spec"}
    for prop in sym.violated:
        assert prop.path is not None
        trace = trace_of(model, prop.path, prop.name, prop.kind)  # type: ignore[arg-type]
        outcome = ImplReplayer(cfg).run([s.row for s in trace.steps], [s.fingerprint for s in trace.steps])
        assert outcome.mismatched_fingerprints == []  # every step is a real step of the unreduced model
        assert outcome.violation is not None and outcome.violation[0] <= len(trace.steps)


# -- what symmetry refuses -------------------------------------------------------------------------------------


class FirstAcceptorDeaf(PaxosNode):
    """Not symmetric: the acceptor with the smallest id ignores every Prepare."""

    def on_message(self, msg: Message) -> Outputs:
        if isinstance(msg, Prepare) and self.node_id == min(self.config.acceptors):
            return []
        return super().on_message(msg)


def first_acceptor_deaf(node_id: int, config: ClusterConfig) -> PaxosNode:
    return FirstAcceptorDeaf(node_id, config=config)


class Wrapped:
    """A node of another implementation: a PaxosNode behind a snapshot type of its own."""

    def __init__(self, node_id: int, config: ClusterConfig) -> None:
        self.node_id = node_id
        self.inner = PaxosNode(node_id, config=config)

    def propose(self, value: Value) -> Outputs:
        return self.inner.propose(value)

    def on_message(self, msg: Message) -> Outputs:
        return self.inner.on_message(msg)

    def on_timeout(self) -> Outputs:
        return self.inner.on_timeout()

    def snapshot(self) -> Hashable:
        return ("wrapped", self.inner.snapshot())

    def restore(self, snapshot: Hashable) -> None:
        self.inner.restore(snapshot[1])  # type: ignore[index]

    def crash(self) -> None:
        self.inner.crash()

    def learned(self) -> Value:
        return self.inner.learned()

    def acceptor_state(self) -> AcceptorDurable | None:
        return self.inner.acceptor_state()


def wrapped(node_id: int, config: ClusterConfig) -> Wrapped:
    return Wrapped(node_id, config)


def test_an_implementation_that_looks_at_acceptor_ids_is_refused() -> None:
    model = ImplModel(CheckConfig(**SMALL), factory=first_acceptor_deaf)
    with pytest.raises(UsageError, match=r"does not treat acceptors alike.*run without --symmetry"):
        explore(model, symmetry=True)
    assert run(CheckConfig(**SMALL), False).exhaustive  # (our PaxosNode is symmetric: no refusal)


def test_a_snapshot_type_we_cannot_rename_is_refused() -> None:
    model = ImplModel(CheckConfig(**SMALL), factory=wrapped)
    with pytest.raises(UsageError, match=r"rename_snapshot"):
        model.canonical(next(iter(model.initial_states())))


def test_cli_symmetry_reports_the_reduction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    code = main(["explore", "--acceptors", "3", "--proposers", "1", "--ballots", "1", "--crashes", "0",
                 "--symmetry", "--no-reductions", "--quiet", "--out", str(out)])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["states"] == 33 and summary["config"]["symmetry"] is True
    assert summary["symmetry_reduction"] == pytest.approx(117 / 33)
    assert "HELD" in capsys.readouterr().out


def test_cli_refuses_symmetry_for_a_foreign_snapshot_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explore", "--impl", f"{__name__}:wrapped", "--acceptors", "3", "--proposers", "1",
                 "--ballots", "1", "--crashes", "0", "--symmetry", "--quiet", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "--symmetry" in err and "Wrapped" in err


# -- orbit keys: every state carries the fingerprints of its images ------------------------------------------


@pytest.mark.parametrize("overrides", [
    {"crashes": 1},
    {"network": "bag", "duplicates": 1},
    {"learners": 2},
    {"ballots": 2, "crashes": 1},
])
def test_orbit_keys_give_the_fingerprint_of_every_image_without_renaming(overrides: dict[str, Any]) -> None:
    """With `symmetric_fingerprints` on, the fingerprint slot of each state, kept up to date step by step,
    gives exactly the fingerprints the renaming of whole states gives, and the state's own fingerprint is
    what it was without it."""
    cfg = CheckConfig(**{**SMALL, **overrides})
    plain, keyed = ImplModel(cfg), ImplModel(cfg)
    keyed.symmetric_fingerprints()
    sym = symmetry_of(keyed.tables)
    states = reachable(keyed)
    assert sorted(map(keyed.fingerprint, states)) == sorted(map(plain.fingerprint, reachable(plain)))
    sizes = keyed.orbit_sizes(states)
    for s, size in zip(states, sizes.tolist(), strict=True):
        assert keyed.recompute_fingerprint(s) == s[-1]  # the incremental slot is the true one, high bits too
        images = {keyed.fingerprint(sym.image(s, g)) for g in range(sym.size)}
        assert size == len(images) == sym.orbit_size(s)
        assert keyed.orbit_fingerprint(s) == min(images) == keyed.fingerprint(sym.canonical(s))
    assert keyed.orbit_fingerprints(states).tolist() == [keyed.orbit_fingerprint(s) for s in states]


@pytest.mark.parametrize("cfg", [
    CheckConfig(acceptors=3, proposers=1, ballots=2, crashes=1, learners=0),  # a retry and a crash, fast
    CheckConfig(acceptors=3, proposers=2, ballots=1, crashes=1, learners=0),  # two proposers and a crash
    pytest.param(CheckConfig(acceptors=3, proposers=2, ballots=(2, 1), crashes=1, learners=0),
                 marks=pytest.mark.slow, id="retry-and-crash"),  # both at once: ~70 s on a loaded machine
    dataclasses.replace(CheckConfig(**dict(bugs.CATALOG["volatile_acceptor"].config)), acceptors=3),
    dataclasses.replace(CheckConfig(**dict(bugs.CATALOG["eager_learner"].config)), acceptors=3),
], ids=["retry-and-crash-1p", "2p-crash", "retry-and-crash", "volatile_acceptor", "eager_learner"])
def test_orbit_keys_search_stores_the_states_canonical_forms_would(cfg: CheckConfig) -> None:
    """A search keeps states as reached under orbit keys; its counts, verdicts and counterexamples are
    those of canonical forms (the model without the hook); every trace replays on the reference cluster."""
    class Renamed(ImplModel):
        symmetric_fingerprints = None  # type: ignore[assignment]  # no orbit keys: canonical forms instead

    model = ImplModel(cfg)
    fast = explore(model, symmetry=True)
    slow = explore(Renamed(cfg), symmetry=True)
    assert (fast.states, fast.transitions, fast.states_per_depth) == (slow.states, slow.transitions,
                                                                     slow.states_per_depth)
    assert verdicts(fast) == verdicts(slow) and fast.symmetry_reduction == slow.symmetry_reduction
    assert bool(fast.violated) == (cfg.impl != CheckConfig().impl)  # the catalogued bugs are found
    assert {p.name: len(p.path or ()) for p in fast.violated} == {
        p.name: len(p.path or ()) for p in slow.violated}
    for prop in fast.violated:
        assert prop.path is not None
        trace = trace_of(model, prop.path, prop.name, prop.kind)  # type: ignore[arg-type]
        outcome = ImplReplayer(cfg).run([s.row for s in trace.steps], [s.fingerprint for s in trace.steps])
        assert outcome.mismatched_fingerprints == [] and outcome.violation is not None


class Drifting(Wrapped):
    """A rename that is not a renaming: each call makes a snapshot never seen before."""

    def snapshot(self) -> Hashable:
        return ("wrapped", self.inner.snapshot(), 0)

    def rename_snapshot(self, snapshot: Hashable, mapping: dict[int, int]) -> Hashable:
        tag, inner, n = cast(tuple[str, NodeSnapshot, int], snapshot)
        return (tag, rename(inner, mapping), n + 1)


def drifting(node_id: int, config: ClusterConfig) -> Drifting:
    return Drifting(node_id, config)


def test_a_rename_that_keeps_making_new_snapshots_is_refused() -> None:
    model = ImplModel(CheckConfig(**SMALL), factory=drifting)
    with pytest.raises(UsageError, match=r"keeps making new snapshots.*run without --symmetry"):
        explore(model, symmetry=True)
