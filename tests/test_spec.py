"""The executable Spec: TLC's state counts, the fast encoding agreeing with the readable one,
step explanation for refinement, planted bugs, and symmetry reduction that stays sound."""

from __future__ import annotations

import pytest

from checker.models.spec_model import BUGS, SpecModel
from checker.search.common import Path, SearchOptions
from checker.search.strategies import search
from properties.spec import (
    Msg1a,
    Msg1b,
    Msg2a,
    Msg2b,
    SpecConfig,
    SpecState,
    apply_step,
    chosen,
    explain_step,
    initial_state,
    next_states,
    reachable,
)

SMALL = SpecConfig(acceptors=3, ballots=2, values=2)


def fast_reachable(model: SpecModel) -> set[int]:
    seen = set(model.initial_states())
    frontier = list(seen)
    while frontier:
        nxt = []
        for s in frontier:
            for t in model.successor_states(s):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return seen


def assert_real_spec_path(model: SpecModel, path: Path) -> None:
    """Each step is a step of the readable Spec too (so the fast model's path is genuine)."""
    assert path.initial == 0
    prev = model.decode(path.initial)
    for _, state in path.steps:
        cur = model.decode(state)
        assert explain_step(model.cfg, prev, cur) not in (None, "stutter")
        prev = cur


# -- the readable Spec -----------------------------------------------------------------------


def test_readable_spec_matches_tlc_counts() -> None:
    states, depth = reachable(SMALL)
    assert len(states) == 3_921
    assert depth == 17  # TLC: BFS levels, the initial state being level 1


def test_initial_state_and_first_steps() -> None:
    s0 = initial_state(SMALL)
    assert s0.max_bal == (-1, -1, -1) and s0.max_val == (None, None, None) and not s0.msgs
    steps = next_states(SMALL, s0)
    assert [(name, params) for name, params, _ in steps] == [("phase1a", (0,)), ("phase1a", (1,))]


def test_phase2a_needs_a_quorum_and_respects_reported_votes() -> None:
    s = initial_state(SMALL)
    for name, params in [("phase1a", (1,)), ("phase1b", (0, 1))]:
        s = apply_step(SMALL, s, name, params)  # type: ignore[assignment]
    assert apply_step(SMALL, s, "phase2a", (1, "v1")) is None  # one promise is no quorum
    s = apply_step(SMALL, s, "phase1b", (1, 1))  # type: ignore[assignment]
    assert apply_step(SMALL, s, "phase2a", (1, "v2")) is not None  # nobody voted: any value
    # Acceptor 0 voted v2 at ballot 0 and reports it in its 1b; ballot 1 must then propose v2.
    voted = SpecState((0, -1, -1), (0, -1, -1), ("v2", None, None),
                      frozenset({Msg1a(0), Msg1a(1), Msg2a(0, "v2"), Msg2b(0, 0, "v2")}))
    for acc in (0, 1):
        voted = apply_step(SMALL, voted, "phase1b", (acc, 1))  # type: ignore[assignment]
    assert Msg1b(0, 1, 0, "v2") in voted.msgs
    assert apply_step(SMALL, voted, "phase2a", (1, "v1")) is None
    assert apply_step(SMALL, voted, "phase2a", (1, "v2")) is not None


def test_explain_step_recognises_every_spec_step_and_rejects_others() -> None:
    states, _ = reachable(SpecConfig(acceptors=2, ballots=2, values=2))
    cfg = SpecConfig(acceptors=2, ballots=2, values=2)
    checked = 0
    for s in list(states)[:300]:
        for name, _params, t in next_states(cfg, s):
            text = explain_step(cfg, s, t)
            assert text is not None and text.startswith(name)
            checked += 1
        assert explain_step(cfg, s, s) == "stutter"
    assert checked > 100
    s0 = initial_state(cfg)
    jump = SpecState((1, -1), (-1, -1), (None, None), frozenset({Msg1a(1)}))
    assert explain_step(cfg, s0, jump) is None  # sending 1a and promising in one step is two steps
    lost = SpecState(s0.max_bal, s0.max_vbal, s0.max_val, frozenset())
    assert explain_step(cfg, SpecState(s0.max_bal, s0.max_vbal, s0.max_val, frozenset({Msg1a(0)})), lost) is None


def test_chosen_needs_a_quorum_in_one_ballot() -> None:
    base = initial_state(SMALL)
    two = SpecState(base.max_bal, base.max_vbal, base.max_val,
                    frozenset({Msg2b(0, 0, "v1"), Msg2b(1, 0, "v1")}))
    split = SpecState(base.max_bal, base.max_vbal, base.max_val,
                      frozenset({Msg2b(0, 0, "v1"), Msg2b(1, 1, "v1")}))
    assert chosen(SMALL, two) == {"v1"}
    assert chosen(SMALL, split) == set()


def test_config_rejects_non_intersecting_quorums() -> None:
    with pytest.raises(ValueError, match="do not intersect"):
        SpecConfig(acceptors=4, quorums=(frozenset({0, 1}), frozenset({2, 3})))
    with pytest.raises(ValueError, match="at least 1"):
        SpecConfig(acceptors=0)


# -- the fast model --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cfg",
    [
        SMALL,
        SpecConfig(acceptors=2, ballots=3, values=2),
        SpecConfig(acceptors=3, ballots=2, values=1),
        SpecConfig(acceptors=4, ballots=2, values=1, quorums=(frozenset({0, 1}), frozenset({0, 2, 3}))),
    ],
)
def test_fast_model_reaches_exactly_the_readable_states(cfg: SpecConfig) -> None:
    model = SpecModel(cfg)
    fast = fast_reachable(model)
    readable, _ = reachable(cfg)
    assert {model.decode(s) for s in fast} == readable
    assert all(model.encode(st) in fast for st in readable)
    # Actions agree too: the labelled successors are the readable Spec's steps.
    for st in list(readable)[:200]:
        s = model.encode(st)
        mine = sorted((a, model.decode(t)) for a, t in model.successors(s))
        ref = [(name, tuple(model.cfg.value_names.index(p) if isinstance(p, str) else p for p in params), t)
               for name, params, t in next_states(cfg, st)]
        assert len(mine) == len(ref)
        assert {m[1] for m in mine} == {r[2] for r in ref}


def test_bfs_pins_tlc_counts_small() -> None:
    result = search(SpecModel(SMALL), "bfs")
    assert (result.states, result.depth) == (3_921, 17)
    # compiled engine (the default): 8-byte fingerprints and 4-byte ids in a table kept under 70% full
    assert result.exhaustive and result.bytes_per_state is not None and result.bytes_per_state < 24.0
    assert all(p.status == "held" for p in result.properties)
    witness = result.prop("sometimes_chosen").path
    assert witness is not None and len(witness) == 6  # 1a, two 1b, 2a, two 2b
    assert_real_spec_path(SpecModel(SMALL), witness)


def test_bfs_pins_tlc_counts_three_ballots() -> None:
    result = search(SpecModel(SpecConfig(acceptors=3, ballots=3, values=2)), "bfs")
    assert (result.states, result.depth) == (185_369, 25)
    assert result.states_per_depth[:4] == [1, 3, 12, 28] and sum(result.states_per_depth) == 185_369
    assert result.exhaustive and result.status("agreement") == "held"


def test_parallel_bfs_agrees_on_the_spec() -> None:
    result = search(SpecModel(SMALL), "bfs", SearchOptions(workers=2))
    assert (result.states, result.depth) == (3_921, 17)
    assert result.status("sometimes_chosen") == "held"


def test_dfs_counts_the_same_states() -> None:
    result = search(SpecModel(SMALL), "dfs")
    assert result.states == 3_921 and result.exhaustive


@pytest.mark.parametrize(("bug", "violated"), [
    ("phase2a_ignores_1b", {"agreement", "inv_2a_safe", "inv_2a_shown_safe"}),
    ("phase2b_ignores_maxbal", {"agreement", "inv_2b_le_maxvbal", "inv_1b_le_maxbal", "inv_1b_no_vote_between",
                                "inv_2a_safe", "inv_2a_shown_safe"}),
])
def test_planted_bugs_break_agreement_with_pinned_shortest_paths(bug: str, violated: set[str]) -> None:
    assert bug in BUGS
    model = SpecModel(SMALL, bug=bug)
    result = search(model, "bfs")
    assert {p.name for p in result.violated} == violated
    path = result.prop("agreement").path
    assert path is not None and len(path) == 12
    assert len(model.chosen(path.last)) == 2
    assert len(result.prop("inv_2a_safe").path) == 9  # type: ignore[arg-type]
    # Every step is a step of the (buggy) model, starting from Init.
    current = path.initial
    for action, state in path.steps:
        assert (action, state) in model.successors(current)
        current = state


def test_correct_spec_never_violates_on_random_walks() -> None:
    result = search(SpecModel(SpecConfig(acceptors=3, ballots=3, values=2)), "random", SearchOptions(walks=300))
    assert not result.exhaustive
    assert result.status("agreement") == "unknown" and result.status("sometimes_chosen") == "held"


def test_unknown_bug_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="phase2a_ignores_1b"):
        SpecModel(SMALL, bug="nope")


# -- symmetry --------------------------------------------------------------------------------


def test_symmetry_group_respects_the_quorum_system() -> None:
    assert len(SpecModel(SMALL).symmetry_group()) == 6 * 2
    lopsided = SpecConfig(acceptors=3, ballots=2, values=2, quorums=(frozenset({0, 1}), frozenset({0, 2})))
    # Only swapping acceptors 1 and 2 keeps {{0,1},{0,2}}.
    assert len(SpecModel(lopsided).symmetry_group()) == 2 * 2


def test_canonical_form_is_an_orbit_invariant() -> None:
    model = SpecModel(SMALL)
    states = sorted(fast_reachable(model))[::37]
    for s in states:
        rep = model.canonical(s)
        for g in range(len(model.symmetry_group())):
            assert model.canonical(model.apply_symmetry(s, g)) == rep


def test_symmetry_reduction_is_sound_and_exact() -> None:
    cfg = SpecConfig(acceptors=3, ballots=3, values=2)
    reduced = search(SpecModel(cfg), "bfs", SearchOptions(symmetry=True))
    assert reduced.states == 17_153
    assert reduced.unreduced_states == 185_369  # sum of orbit sizes = the unreduced count
    assert reduced.symmetry_reduction == pytest.approx(185_369 / 17_153)
    assert reduced.depth == 25
    assert [p.status for p in reduced.properties] == ["held"] * len(reduced.properties)


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_symmetric_counterexamples_are_real_unreduced_paths(bug: str) -> None:
    model = SpecModel(SMALL, bug=bug)
    plain = search(model, "bfs")
    reduced = search(model, "bfs", SearchOptions(symmetry=True))
    assert reduced.states < plain.states
    assert [(p.name, p.status) for p in reduced.properties] == [(p.name, p.status) for p in plain.properties]
    path = reduced.prop("agreement").path
    assert path is not None
    assert len(path) == len(plain.prop("agreement").path)  # type: ignore[arg-type]
    current = path.initial
    for action, state in path.steps:
        assert (action, state) in model.successors(current)
        current = state
    assert "agreement" in model.violated(path.last)
