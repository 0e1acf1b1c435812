"""The fast implementation model (checker/models/impl_model.py) against the reference `paxos.Cluster`.

Along seeded random walks the interned, bit-set encoding must denote exactly the world the
cluster reaches (same snapshot, same fingerprint, same enabled actions); pinned distinct-state
counts of small configurations are cross-checked against a naive search over `Cluster`
snapshots; the correct node holds every property and planted bugs are found.
"""

from __future__ import annotations

import copy
import random
from collections import Counter, deque
from collections.abc import Hashable
from typing import Any, cast

import pytest

import paxos.bugs as bugs
from checker.config import CheckConfig
from checker.fingerprint import fp_hex
from checker.model import Model
from checker.models.impl_model import DELIVER, ImplModel, ImplState
from checker.models.impl_steps import world_fingerprint
from checker.models.reductions import Reductions
from checker.search.bfs import bfs
from checker.search.common import SearchOptions, SearchResult
from paxos import Accepted, Action, Cluster, Deliver, LearnerVolatile, Outputs, Propose

# Configurations whose reachable worlds a naive search over Cluster snapshots can also count.
SMALL: dict[str, CheckConfig] = {
    "p1b1": CheckConfig(proposers=1, ballots=1, crashes=0),
    "a2p2l1": CheckConfig(acceptors=2, proposers=2, learners=1, ballots=1, crashes=0),
    "a2crash": CheckConfig(acceptors=2, proposers=1, learners=1, ballots=1, crashes=1),
    "bag_a2": CheckConfig(acceptors=2, proposers=1, ballots=1, crashes=0, network="bag", drops=1, duplicates=1),
    "colocated2": CheckConfig(acceptors=2, proposers=2, ballots=1, crashes=0, colocated=True),
}

#: Distinct states of each configuration, measured once by BFS and by the naive search (they agree).
PINNED: dict[str, int] = {"p1b1": 117, "a2p2l1": 1_454, "a2crash": 112, "bag_a2": 289, "colocated2": 5_100}

# Random-walk configurations: both networks, crashes, drops, duplicates, timeouts, colocated roles.
WALKS: list[CheckConfig] = [
    CheckConfig(acceptors=3, proposers=2, learners=1, values=2, ballots=2, crashes=1),
    CheckConfig(acceptors=3, proposers=2, ballots=3, crashes=2, network="bag", drops=2, duplicates=2),
    CheckConfig(acceptors=3, proposers=3, ballots=2, crashes=2, colocated=True),
    CheckConfig(acceptors=2, proposers=2, ballots=2, crashes=1, colocated=True, network="bag", drops=1,
                duplicates=1),
]


# -- a reference: the cluster itself -----------------------------------------------------------


def clone(cluster: Cluster) -> Cluster:
    """An independent copy of a cluster (nodes rebuilt from their snapshots)."""
    twin = copy.copy(cluster)
    twin.nodes = {}
    for node_id, node in cluster.nodes.items():
        fresh = copy.copy(node)
        fresh.restore(node.snapshot())
        twin.nodes[node_id] = fresh
    twin.in_flight = Counter(cluster.in_flight)
    twin.crashed = set(cluster.crashed)
    twin.sent = set(cluster.sent)
    twin.proposed = set(cluster.proposed)
    twin.used = Counter(cluster.used)
    twin.ballots_started = Counter(cluster.ballots_started)
    return twin


def cluster_actions(cluster: Cluster, cfg: CheckConfig) -> list[Action]:
    """What the cluster allows, each proposer proposing only its configured value (as the model does)."""
    mine = cfg.proposer_values()
    return [a for a in cluster.enabled(cfg.value_names())
            if not isinstance(a, Propose) or a.value == mine[a.node]]


def naive_state_count(cfg: CheckConfig) -> int:
    """Reachable worlds by a plain BFS over `Cluster.snapshot()`: slow, obviously right."""
    start = cfg.new_cluster()
    seen: set[Hashable] = {start.snapshot()}
    queue = deque([start])
    while queue:
        cluster = queue.popleft()
        for action in cluster_actions(cluster, cfg):
            nxt = clone(cluster)
            nxt.step(action)
            snap = nxt.snapshot()
            if snap not in seen:
                seen.add(snap)
                queue.append(nxt)
    return len(seen)


def search(model: ImplModel, **options: Any) -> SearchResult:
    """BFS over `model` (ImplModel's states are tuples, the Model interface says Hashable)."""
    return bfs(cast(Model, model), SearchOptions(**options))


def explore(cfg: CheckConfig, **options: Any) -> SearchResult:
    return search(ImplModel(cfg, reductions=Reductions.none()), **options)


# -- the encoding agrees with the cluster ------------------------------------------------------


def check_same_world(model: ImplModel, state: ImplState, cluster: Cluster) -> None:
    assert model.world(state) == cluster.snapshot()
    assert fp_hex(model.fingerprint(state)) == world_fingerprint(cluster)
    assert model.recompute_fingerprint(state) == model.fingerprint(state)


@pytest.mark.parametrize("cfg", WALKS, ids=["set", "bag-faults", "colocated3", "colocated-bag"])
def test_random_walks_agree_with_the_reference_cluster(cfg: CheckConfig) -> None:
    model = ImplModel(cfg, reductions=Reductions.none())
    kinds: Counter[str] = Counter()
    for seed in range(20):
        rng = random.Random(seed)
        (state,) = model.initial_states()
        cluster = cfg.new_cluster()
        check_same_world(model, state, cluster)
        for _ in range(35):
            succs = list(model.successors(state))
            actions = {model.cluster_action(a) for a, _ in succs}
            # Same enabled actions, except deliveries the model omits because they change nothing.
            for a in cluster_actions(cluster, cfg):
                if a not in actions:
                    assert isinstance(a, Deliver), a
                    probe = clone(cluster)
                    probe.step(a)
                    assert probe.snapshot() == cluster.snapshot(), f"model omits a real step {a}"
            assert actions <= set(cluster_actions(cluster, cfg))
            if not succs:
                break
            action, state = succs[rng.randrange(len(succs))]
            kinds[type(model.cluster_action(action)).__name__] += 1
            cluster.step(model.cluster_action(action))
            check_same_world(model, state, cluster)
    # the walks really exercised faults and retries
    expected = {"Propose", "Deliver", "Crash", "Restart", "Timeout"}
    if cfg.network == "bag":
        expected |= {"Drop", "Duplicate"}
    assert expected <= set(kinds), kinds


VERDICT_BUGS = ["overwrite_accept", "stale_promises", "volatile_acceptor", "volatile_ballot", "eager_learner",
                "duplicate_promises", "minority_quorum"]


@pytest.mark.parametrize("name", VERDICT_BUGS)
def test_verdicts_along_random_walks_agree_with_the_reference(name: str) -> None:
    """The fast path's verdicts (`expand`: cached node steps, cached refinement per step) name the
    same first failing step per property as the reference cluster's own judgement, including
    every property that does not fail, on walks of buggy and correct nodes."""
    from checker.traces.replay import ImplReplayer

    for impl in (f"paxos.bugs:{name}", "paxos:PaxosNode"):
        cfg = CheckConfig(**{**dict(bugs.CATALOG[name].config), "learners": 1, "impl": impl})
        model = ImplModel(cfg, reductions=Reductions.none())
        failures = 0
        for seed in range(25):
            rng = random.Random(seed)
            (state,) = model.initial_states()
            rows, first = [], {}
            for step in range(1, 30):
                succs = list(model.successors(state))
                if not succs:
                    break
                action, succ = succs[rng.randrange(len(succs))]
                for prop in (*model.violated(succ), *model.step_violated(state, action, succ)):
                    first.setdefault(prop, step)
                rows.append(model.describe(state, action, succ))
                state = succ
            outcome = ImplReplayer(cfg).run(rows, stop_at_violation=False)
            assert {prop: step for step, prop, _ in outcome.violations} == first, (impl, seed)
            failures += bool(first)
        # the walks reached the bug (volatile_ballot needs 17 precise steps: random walks miss it)
        assert failures or impl == "paxos:PaxosNode" or name == "volatile_ballot"


#: stale_promises (a retry, ~65k states) takes ~10 s on a loaded machine: -m slow; the others run by default
STALE_SLOW = pytest.param("stale_promises", marks=pytest.mark.slow, id="stale_promises")


@pytest.mark.parametrize("name", [STALE_SLOW, "overwrite_accept", "volatile_acceptor", "own_value"])
@pytest.mark.parametrize("symmetry", [False, True], ids=["plain", "symmetry"])
def test_bfs_fast_path_agrees_with_the_per_transition_path(name: str, symmetry: bool) -> None:
    """`expand` (one call per state) and `successors` + `step_violated` (forced by an
    on_transition hook) must give the same search: states, transitions, verdicts, lengths."""
    cfg = CheckConfig(**dict(bugs.CATALOG[name].config))
    seen: list[int] = []
    fast = search(ImplModel(cfg, reductions=Reductions.none()), symmetry=symmetry, coverage=True)
    slow = search(ImplModel(cfg, reductions=Reductions.none()), symmetry=symmetry, coverage=True,
                  on_transition=lambda s, a, t: seen.append(1))
    assert len(seen) == slow.transitions > 0
    assert (fast.states, fast.transitions, fast.depth) == (slow.states, slow.transitions, slow.depth)
    assert fast.coverage == slow.coverage
    assert [(p.name, p.status, p.path and len(p.path)) for p in fast.properties] == \
        [(p.name, p.status, p.path and len(p.path)) for p in slow.properties]
    assert fast.violated  # the bug was found, so the comparison covered step verdicts


@pytest.mark.parametrize("name", [STALE_SLOW, "overwrite_accept", "volatile_acceptor", "eager_learner"])
def test_dfs_finds_what_bfs_finds(name: str) -> None:
    """DFS reads step verdicts from `expand` per stack frame; same states, same violated properties,
    and each DFS counterexample really breaks its property at its last step (replayed on the cluster)."""
    from checker.search.dfs import dfs
    from checker.traces.replay import ImplReplayer

    cfg = CheckConfig(**dict(bugs.CATALOG[name].config))
    model = ImplModel(cfg, reductions=Reductions.none())
    deep, wide = dfs(cast(Model, model)), explore(cfg)
    assert deep.exhaustive and (deep.states, deep.transitions) == (wide.states, wide.transitions)
    assert {p.name for p in deep.violated} == {p.name for p in wide.violated} != set()
    for prop in deep.violated:
        assert prop.path is not None
        rows = [model.describe(s, a, t) for s, (a, t) in zip(prop.path.states(), prop.path.steps, strict=False)]
        outcome = ImplReplayer(cfg).run(rows, stop_at_violation=False)
        assert (len(rows), prop.name) in {(step, p) for step, p, _ in outcome.violations}


def test_fingerprint_is_stable_across_model_instances() -> None:
    """Interned ids depend on discovery order; the Zobrist fingerprint must not."""
    cfg = WALKS[0]
    first, second = ImplModel(cfg, reductions=Reductions.none()), ImplModel(cfg, reductions=Reductions.none())
    # intern in a different order in the second model
    list(second.successors(next(iter(second.initial_states()))))
    rng = random.Random(7)
    (a,) = first.initial_states()
    for _ in range(30):
        succs = list(first.successors(a))
        action, a = succs[rng.randrange(len(succs))]
    cluster = cfg.new_cluster()
    rng = random.Random(7)
    (b,) = second.initial_states()
    for _ in range(30):
        succs = list(second.successors(b))
        action, b = succs[rng.randrange(len(succs))]
        cluster.step(second.cluster_action(action))
    assert first.fingerprint(a) == second.fingerprint(b)
    assert fp_hex(first.fingerprint(a)) == world_fingerprint(cluster)


# -- pinned state counts ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SMALL))
def test_pinned_state_counts_agree_with_a_naive_search(name: str) -> None:
    cfg = SMALL[name]
    result = explore(cfg)
    assert result.exhaustive and result.stopped_by is None
    assert result.states == PINNED[name]
    if PINNED[name] < 2_000:
        assert naive_state_count(cfg) == PINNED[name]


@pytest.mark.slow
def test_colocated_count_agrees_with_a_naive_search() -> None:
    assert naive_state_count(SMALL["colocated2"]) == PINNED["colocated2"]


def test_one_proposer_two_ballots_has_62525_states() -> None:
    result = explore(CheckConfig(proposers=1, ballots=2, crashes=0))
    assert (result.states, result.depth, result.exhaustive) == (62_525, 24, True)
    assert result.violated == []


@pytest.mark.parametrize("name", sorted(SMALL))
def test_correct_node_holds_everything_and_can_choose(name: str) -> None:
    result = explore(SMALL[name])
    names = [p.name for p in result.properties]
    assert {"agreement", "validity", "learner_integrity", "refines_spec", "sometimes_chosen"} <= set(names)
    assert all(p.status == "held" for p in result.properties), [(p.name, p.status) for p in result.properties]
    witness = result.prop("sometimes_chosen").path
    assert witness is not None and len(witness) == 7  # propose, then Prepare, Promise, Accept to a quorum of 2


def test_refinement_is_dropped_for_flexible_quorums_only() -> None:
    assert "refines_spec" in [p.name for p in ImplModel(SMALL["p1b1"], reductions=Reductions.none()).properties()]
    unchecked = ImplModel(SMALL["p1b1"], refinement=False, reductions=Reductions.none())
    assert "refines_spec" not in [p.name for p in unchecked.properties()]
    flexible = CheckConfig(acceptors=3, proposers=1, ballots=1, crashes=0, q1=3, q2=1)
    assert "refines_spec" not in [p.name for p in ImplModel(flexible, reductions=Reductions.none()).properties()]


def test_deliveries_that_change_nothing_are_omitted() -> None:
    model = ImplModel(SMALL["p1b1"], reductions=Reductions.none())
    for state in _reachable(model, 200):
        for action, succ in model.successors(state):
            if action[0] == DELIVER:
                assert succ != state


def _reachable(model: ImplModel, limit: int) -> list[ImplState]:
    (init,) = model.initial_states()
    seen, queue = {init}, deque([init])
    while queue and len(seen) < limit:
        for _, succ in model.successors(queue.popleft()):
            if succ not in seen:
                seen.add(succ)
                queue.append(succ)
    return list(seen)


# -- planted bugs -------------------------------------------------------------------------------


def bug_config(name: str, **overrides: object) -> CheckConfig:
    return CheckConfig(**{**dict(bugs.CATALOG[name].config), **overrides})


#: bug -> {property: BFS-shortest counterexample length} in the catalog configuration, full search.
BUG_LENGTHS: dict[str, dict[str, int]] = {
    "overwrite_accept": {"agreement": 8, "accepted_monotonic": 8, "refines_spec": 6,
                         "inv_1b_no_vote_between": 6, "inv_2a_safe": 7, "inv_2b_le_maxvbal": 8},
    "own_value": {"agreement": 8, "refines_spec": 7, "inv_2a_safe": 7},
    "promise_drops_value": {"agreement": 8, "refines_spec": 6, "inv_1b_no_vote_between": 6, "inv_2a_safe": 7},
    "no_tiebreak": {"agreement": 8, "inv_one_value_per_ballot": 8, "refines_spec": 5, "inv_2a_unique": 6},
    "volatile_acceptor": {"promise_monotonic": 3, "accepted_monotonic": 5, "refines_spec": 3,
                          "inv_1b_le_maxbal": 3, "inv_2a_safe": 4, "inv_2b_le_maxvbal": 5},
    "eager_learner": {"learner_integrity": 7},
}


@pytest.mark.parametrize("name", sorted(BUG_LENGTHS))
def test_planted_bug_is_found_with_shortest_counterexamples(name: str) -> None:
    model = ImplModel(bug_config(name), reductions=Reductions.none())
    result = search(model)
    found = {p.name: len(p.path) for p in result.violated if p.path is not None}
    assert found == BUG_LENGTHS[name]
    assert set(bugs.CATALOG[name].breaks) <= set(found)
    # every counterexample is a real path of the model that ends in the violation
    for p in result.violated:
        assert p.path is not None
        prev = cast(ImplState, p.path.initial)
        for action, state in p.path.steps:
            assert (action, state) in list(model.successors(prev))
            prev = cast(ImplState, state)
        if p.kind == "always":
            assert p.name in model.violated(prev)


@pytest.mark.parametrize(("name", "prop", "length", "overrides"), [
    ("minority_quorum", "refines_spec", 3, {}),
    ("duplicate_promises", "refines_spec", 4, {}),
    ("stale_promises", "refines_spec", 4, {}),
    # without refinement the inductive invariant still finds the first wrong step (agreement: 10 and 9)
    ("minority_quorum", "inv_2a_safe", 3, {"refinement": False}),
    ("stale_promises", "inv_2a_safe", 4, {"refinement": False}),
])
def test_stop_on_first_violation_names_the_first_wrong_step(
    name: str, prop: str, length: int, overrides: dict[str, bool]
) -> None:
    model = ImplModel(bug_config(name), refinement=overrides.get("refinement", True), reductions=Reductions.none())
    result = search(model, stop_on_first_violation=True)
    assert result.stopped_by == "violation" and not result.exhaustive
    assert [(p.name, len(p.path)) for p in result.violated if p.path is not None] == [(prop, length)]
    # the search stopped early: nothing else may be "held" (a witnessed sometimes-property is)
    assert all(p.status in ("violated", "unknown") for p in result.properties if p.kind != "sometimes")


@pytest.mark.slow
def test_duplicate_promises_breaks_agreement_in_12_steps() -> None:
    model = ImplModel(bug_config("duplicate_promises"), refinement=False, reductions=Reductions.none())
    result = search(model, stop_on_first_violation=True)
    # the inductive invariant's conjunct sees the counted duplicate at the Accept it licenses (step 4)
    assert [(p.name, len(p.path)) for p in result.violated if p.path is not None] == [("inv_2a_safe", 4)]
    whole = search(model)  # and two values are chosen 8 steps later
    assert len(whole.prop("agreement").path or ()) == 12


class CrossBallotLearner(bugs.BugNode):
    """Faulty rule (defined here, not in the catalog): the learner counts votes for a value across
    ballots, so Accepted(v) of ballot 0 from one acceptor and of ballot 1 from another make a "quorum"."""

    def on_accepted(self, msg: Accepted) -> Outputs:
        state = self.learner
        if state.learned is not None or msg in state.accepted:
            return []
        accepted = state.accepted | {msg}
        voters = {m.src for m in accepted if m.val == msg.val}
        if self.config.quorums.is_phase2_quorum(voters):
            self.learner = LearnerVolatile(frozenset(), msg.val)
        else:
            self.learner = LearnerVolatile(accepted, None)
        return []


def test_a_bug_defined_in_the_test_is_found() -> None:
    cfg = CheckConfig(acceptors=2, proposers=1, learners=1, values=1, ballots=2, crashes=0)
    result = search(ImplModel(cfg, factory=lambda i, c: CrossBallotLearner(i, config=c), reductions=Reductions.none()))
    assert result.exhaustive
    assert {p.name: len(p.path) for p in result.violated if p.path is not None} == {"learner_integrity": 14}
    assert result.status("agreement") == "held"
    # the same configuration with the correct learner holds everything
    assert explore(cfg).violated == []


def test_per_mailbox_caches_are_bounded_and_starting_over_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The delivery caches start over past `CACHE_ENTRIES`: with a tiny bound they are cleared all the
    time, and the search still finds exactly the same states, transitions and verdicts."""
    import checker.models.impl_saturation as impl_saturation

    cfg = CheckConfig(acceptors=2, proposers=2, learners=1, ballots=(1, 2), crashes=1)
    roomy = ImplModel(cfg)
    full = search(roomy, engine="python")  # these are the Python engine's caches (the compiled one has its own)
    assert len(roomy.mailboxes.deliveries) > 64
    monkeypatch.setattr(impl_saturation, "CACHE_ENTRIES", 64)
    tight = ImplModel(cfg)
    bounded = search(tight, engine="python")
    assert len(tight.mailboxes.deliveries) <= 64 and len(tight.mailboxes.inert_cache) <= 64
    assert (bounded.states, bounded.transitions, bounded.states_per_depth) == (
        full.states, full.transitions, full.states_per_depth)
    assert {p.name: p.status for p in bounded.properties} == {p.name: p.status for p in full.properties}
