"""`--symmetry` for any node (issue 10, "Reach"): the node renames ids in its own snapshots.

A node that is not a `PaxosNode` gets acceptor symmetry by offering the optional method
`rename_snapshot(snapshot, mapping)` of the node protocol. The reduction must give the same
verdicts and counterexample lengths as the full search on fewer states, its traces must replay,
and a node whose rename is wrong must be refused (one line, exit 2), never trusted.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import pytest

import paxos.bugs as bugs
from checker.cli.main import main
from checker.config import CheckConfig, load_factory
from checker.errors import UsageError
from checker.model import Model
from checker.models.impl_model import ImplModel
from checker.models.reductions import Reductions
from checker.runs.summarize import trace_of
from checker.search.common import SearchOptions, SearchResult
from checker.search.strategies import search
from checker.traces.replay import ImplReplayer
from paxos import AcceptorDurable, ClusterConfig, Message, Outputs, PaxosNode, RenamesSnapshots, Value

ROOT = Path(__file__).resolve().parents[1]
IMPL = "examples.custom_node.adapter:make_node"
BROKEN = "examples.custom_node.adapter:make_forgetful_node"
#: Two proposers (agreement can fail), no learner: 24,613 states, 4,608 with symmetry.
TWO_PROPOSERS: dict[str, Any] = {"acceptors": 3, "proposers": 2, "learners": 0, "ballots": 1, "crashes": 0}
#: One proposer, a learner and a crash: every field their rename touches is in play.
WITH_LEARNER: dict[str, Any] = {"acceptors": 3, "proposers": 1, "learners": 1, "ballots": 1, "crashes": 1}
SMALL_FLAGS = ["--acceptors", "3", "--proposers", "1", "--learners", "1", "--ballots", "1", "--crashes", "1",
               "--quiet"]


@pytest.fixture(autouse=True)
def importable_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    """`examples` is not an installed package: make the repository root importable, as its README says."""
    monkeypatch.syspath_prepend(str(ROOT))


def explore(cfg: CheckConfig, symmetry: bool, model: ImplModel | None = None) -> SearchResult:
    as_model: Model = model or ImplModel(cfg)  # type: ignore[assignment]  # ImplModel narrows the state types
    return search(as_model, "bfs", SearchOptions(symmetry=symmetry))


def model_of(cfg: CheckConfig, reduced: bool) -> ImplModel:
    return ImplModel(cfg) if reduced else ImplModel(cfg, reductions=Reductions.none())


def lengths(result: SearchResult) -> dict[str, int]:
    return {p.name: len(p.path) for p in result.violated if p.path is not None}


def assert_traces_replay(cfg: CheckConfig, model: ImplModel, result: SearchResult) -> None:
    """Every counterexample is a real run of the unreduced model: it replays on the reference cluster."""
    for prop in result.violated:
        assert prop.path is not None
        trace = trace_of(model, prop.path, prop.name, prop.kind)  # type: ignore[arg-type]
        outcome = ImplReplayer(cfg).run([s.row for s in trace.steps], [s.fingerprint for s in trace.steps])
        assert outcome.mismatched_fingerprints == []
        assert outcome.violation is not None


# -- their node, with and without symmetry --------------------------------------------------------------------


def test_their_adapter_renames_every_node_id_it_holds() -> None:
    node = load_factory(IMPL)(2, ClusterConfig.separate(1, 3, 1))  # proposer 1, acceptors 2..4, learner 5
    assert isinstance(node, RenamesSnapshots)
    snap = (("promised", 101), ("accepted_n", 101), ("accepted_v", ("v",)), ("round", 1), ("my_value", ()),
            ("n", 101), ("phase", "accepting"), ("promises", frozenset({(2, -1, ()), (3, 101, ("v",))})),
            ("seen_round", -1), ("votes", frozenset({(101, "v", frozenset({2, 4}))})), ("decided", ()))
    swap = {2: 3, 3: 2}
    renamed = node.rename_snapshot(snap, swap)
    fields = dict(renamed)  # type: ignore[call-overload]
    assert fields["promises"] == frozenset({(3, -1, ()), (2, 101, ("v",))})
    assert fields["votes"] == frozenset({(101, "v", frozenset({3, 4}))})
    assert fields["promised"] == 101  # proposal 101: round 1 of proposer 1, which no acceptor swap moves
    assert node.rename_snapshot(renamed, swap) == snap
    moved = dict(node.rename_snapshot(snap, {1: 7}))  # type: ignore[call-overload]
    assert moved["promised"] == moved["n"] == 107  # a proposer's id inside a proposal number


@pytest.mark.parametrize("reduced", [True, False], ids=["reductions", "no-reductions"])
@pytest.mark.parametrize("impl", [IMPL, BROKEN])
@pytest.mark.parametrize("bounds", [TWO_PROPOSERS, WITH_LEARNER], ids=["two-proposers", "learner-crash"])
def test_symmetry_gives_their_node_the_same_verdicts_on_fewer_states(
        impl: str, bounds: dict[str, Any], reduced: bool) -> None:
    cfg = CheckConfig(impl=impl, **bounds)
    model = model_of(cfg, reduced)
    plain, sym = explore(cfg, False, model_of(cfg, reduced)), explore(cfg, True, model)
    assert plain.exhaustive and sym.exhaustive
    assert sym.states < plain.states and sym.unreduced_states == plain.states
    assert {p.name: p.status for p in sym.properties} == {p.name: p.status for p in plain.properties}
    assert lengths(sym) == lengths(plain)
    if not reduced and bounds is WITH_LEARNER:
        assert (plain.states, sym.states) == (847, 213)  # as many as our PaxosNode has
    if impl == BROKEN and bounds is TWO_PROPOSERS:
        # reduced paths: quiet blocks (reductions.py, 6) make a proposer's quiet steps part of its next step
        assert lengths(sym) == ({"agreement": 12, "refines_spec": 7, "inv_1b_no_vote_between": 7, "inv_2a_safe": 9}
                                if reduced else
                                {"agreement": 14, "refines_spec": 8, "inv_1b_no_vote_between": 8, "inv_2a_safe": 11})
        assert_traces_replay(cfg, model, sym)


def test_cli_symmetry_for_their_node(tmp_path: Path) -> None:
    runs = {}
    for name, flags in (("plain", []), ("sym", ["--symmetry"])):
        assert main(["explore", "--impl", BROKEN, *SMALL_FLAGS, *flags, "--out", str(tmp_path / name)]) == 0
        runs[name] = json.loads((tmp_path / name / "summary.json").read_text(encoding="utf-8"))
    plain, sym = runs["plain"], runs["sym"]
    assert sym["exhaustive"] and sym["config"]["symmetry"] is True
    assert sym["states"] < plain["states"] and sym["symmetry_reduction"] > 1
    assert [(p["name"], p["status"]) for p in sym["properties"]] == [
        (p["name"], p["status"]) for p in plain["properties"]]


# -- a catalogued bug behind an interface that is not ours ----------------------------------------------------


class Boxed:
    """A node of another implementation: a `paxos.bugs` node behind a snapshot type of its own."""

    def __init__(self, inner: PaxosNode) -> None:
        self.node_id = inner.node_id
        self.inner = inner

    def propose(self, value: Value) -> Outputs:
        return self.inner.propose(value)

    def on_message(self, msg: Message) -> Outputs:
        return self.inner.on_message(msg)

    def on_timeout(self) -> Outputs:
        return self.inner.on_timeout()

    def snapshot(self) -> Hashable:
        return ("boxed", self.inner.snapshot())

    def restore(self, snapshot: Hashable) -> None:
        self.inner.restore(snapshot[1])  # type: ignore[index]

    def rename_snapshot(self, snapshot: Hashable, mapping: Mapping[int, int]) -> Hashable:
        return ("boxed", self.inner.rename_snapshot(snapshot[1], mapping))  # type: ignore[index]

    def crash(self) -> None:
        self.inner.crash()

    def learned(self) -> Value:
        return self.inner.learned()

    def acceptor_state(self) -> AcceptorDurable | None:
        return self.inner.acceptor_state()


def boxed_promise_drops_value(node_id: int, config: ClusterConfig) -> Boxed:
    return Boxed(bugs.promise_drops_value(node_id, config))


def test_catalogued_bug_behind_a_foreign_interface_is_found_under_symmetry() -> None:
    catalog = CheckConfig(**dict(bugs.CATALOG["promise_drops_value"].config))
    cfg = dataclasses.replace(catalog, acceptors=3, impl=f"{__name__}:boxed_promise_drops_value")
    model = ImplModel(cfg)
    plain, sym = explore(cfg, False), explore(cfg, True, model)
    assert sym.states < plain.states
    assert lengths(sym) == lengths(plain) and "agreement" in lengths(sym)
    assert_traces_replay(cfg, model, sym)


# -- a wrong rename is refused, in one line -------------------------------------------------------------------


def their_adapter() -> Any:
    import examples.custom_node.adapter as module

    return module


def forgets_promises(node_id: int, config: ClusterConfig) -> Any:
    """Their node with a rename that leaves the acceptor ids of `promises` as they were."""
    module = their_adapter()

    class ForgetsPromises(module.TheirNodeAdapter):  # type: ignore[misc,name-defined]
        def rename_snapshot(self, snapshot: Hashable, mapping: Mapping[int, int]) -> Hashable:
            renamed = dict(super().rename_snapshot(snapshot, mapping))
            renamed["promises"] = dict(snapshot)["promises"]  # type: ignore[call-overload]
            return tuple(renamed.items())

    return ForgetsPromises(node_id, config)


def forgets_votes(node_id: int, config: ClusterConfig) -> Any:
    """Their node with a rename that leaves the voters of `votes` as they were."""
    module = their_adapter()

    class ForgetsVotes(module.TheirNodeAdapter):  # type: ignore[misc,name-defined]
        def rename_snapshot(self, snapshot: Hashable, mapping: Mapping[int, int]) -> Hashable:
            renamed = dict(super().rename_snapshot(snapshot, mapping))
            renamed["votes"] = dict(snapshot)["votes"]  # type: ignore[call-overload]
            return tuple(renamed.items())

    return ForgetsVotes(node_id, config)


def loses_the_vote(node_id: int, config: ClusterConfig) -> Any:
    """Their node with a rename that also clears what the acceptor accepted."""
    module = their_adapter()

    class LosesTheVote(module.TheirNodeAdapter):  # type: ignore[misc,name-defined]
        def rename_snapshot(self, snapshot: Hashable, mapping: Mapping[int, int]) -> Hashable:
            renamed = dict(super().rename_snapshot(snapshot, mapping))
            renamed["accepted_n"], renamed["accepted_v"] = -1, ()
            return tuple(renamed.items())

    return LosesTheVote(node_id, config)


def rename_raises(node_id: int, config: ClusterConfig) -> Any:
    module = their_adapter()

    class RenameRaises(module.TheirNodeAdapter):  # type: ignore[misc,name-defined]
        def rename_snapshot(self, snapshot: Hashable, mapping: Mapping[int, int]) -> Hashable:
            raise KeyError("promises")

    return RenameRaises(node_id, config)


@pytest.mark.parametrize(("factory", "says"), [
    ("forgets_promises", "does not treat acceptors alike"),
    ("forgets_votes", "does not treat acceptors alike"),
    ("loses_the_vote", "changes what properties see"),
    ("rename_raises", "rename_snapshot of --impl .* failed \\(KeyError"),
])
def test_a_wrong_rename_is_refused_in_one_line(factory: str, says: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    impl = f"{__name__}:{factory}"
    assert main(["explore", "--impl", impl, *SMALL_FLAGS, "--out", str(tmp_path / "plain")]) == 0  # the node is fine
    code = main(["explore", "--impl", impl, *SMALL_FLAGS, "--symmetry", "--out", str(tmp_path / "sym")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "--symmetry" in err and "run without --symmetry" in err
    assert re.search(says, err), err


def test_forgetting_the_votes_is_caught_by_the_model_too() -> None:
    cfg = CheckConfig(impl=f"{__name__}:forgets_votes", **WITH_LEARNER)
    with pytest.raises(UsageError, match="rename_snapshot misses some"):
        explore(cfg, True)
