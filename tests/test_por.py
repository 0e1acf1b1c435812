"""Quiet blocks (reductions.py, 6: the partial-order reduction) change no verdict, and toys break unsound versions.

With the other four reductions on, a run with quiet blocks and one without (`--no-por`) find the same
violated properties and the same witnesses: on the grid of test_reductions_sound.py (the fast slice
here, the whole grid with `-m slow`), on nodes built to break it (a proposer whose value depends on the
order its Promises arrive in; a proposer whose quiet steps go back to an earlier snapshot) and on the
catalog's planted bugs. (test_reductions_sound.py's own grid compares all five reductions against none
and replays every trace on the reference cluster.) The unsound versions: quiet blocks on a node the
properties read (an acceptor) skip a state that breaks an invariant; quiet steps left out instead of
followed lose every chosen value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.config import CheckConfig
from checker.models.impl_model import ImplModel
from checker.models.impl_por import QuietBlocks
from checker.models.reductions import Reductions
from checker.search.bfs import bfs
from checker.search.common import SearchResult
from paxos.bugs import CATALOG
from tests.test_reductions_sound import (
    FAST,
    GRID,
    MUTANT_IMPLS,
    PAXOS,
    _catalog_cfg,
    _cfg,
    _verdicts,
    compare,
)

NO_POR = Reductions(por=False)


def _both(cfg: CheckConfig) -> tuple[SearchResult, SearchResult]:
    """(without quiet blocks, with them), the other reductions on; both exhaustive, same verdicts."""
    off, on = bfs(ImplModel(cfg, reductions=NO_POR)), bfs(ImplModel(cfg))
    assert off.exhaustive and on.exhaustive
    assert _verdicts(on) == _verdicts(off), f"VERDICT DIFFERENCE {cfg.impl} {cfg} with quiet blocks"
    assert on.states <= off.states
    return off, on


def _id(cfg: CheckConfig) -> str:
    return f"{cfg.impl.split(':')[1]}-{cfg.acceptors}a{cfg.proposers}p-b{cfg.ballots}-c{cfg.crashes}-l{cfg.learners}"


@pytest.mark.parametrize("cfg", FAST, ids=_id)
def test_quiet_blocks_keep_verdicts_fast(cfg: CheckConfig) -> None:
    _both(cfg)


def _grid() -> list[Any]:
    cases = []
    for impl in [PAXOS, *MUTANT_IMPLS, "tests.reduction_toys:nack_forgets_promises"]:
        for a, p, b, c, lrn, more in GRID:
            cfg = _cfg(impl, a, p, b, c, lrn, **more)
            cases.append(pytest.param(cfg, id=_id(cfg) + "".join(f"-{k}{v}" for k, v in more.items())))
    return cases


@pytest.mark.deep  # the whole grid, about 700 configurations: by hand, `python -m pytest -m deep`
@pytest.mark.parametrize("cfg", _grid())
def test_quiet_blocks_keep_verdicts_grid(cfg: CheckConfig) -> None:
    _both(cfg)


@pytest.mark.slow  # CI's share of the grid above: every third configuration
@pytest.mark.parametrize("cfg", _grid()[::3])
def test_quiet_blocks_keep_verdicts_on_a_slice_of_the_grid(cfg: CheckConfig) -> None:
    _both(cfg)


@pytest.mark.parametrize(("crashes", "unreduced"), [(0, 5_041), (1, 11_129)])
def test_the_default_proposers_lose_every_invisible_interleaving(crashes: int, unreduced: int) -> None:
    """3 acceptors, 2 proposers, 1 learner, with no crash or one: 5,041 or 11,129 states without quiet
    blocks, 1,777 with them, which is exactly the number of distinct (acceptor snapshots, messages the
    properties read, values proposed) among them: what the properties can tell apart. Quiet blocks
    leave no proposer-only interleaving here; the proposers' quiet steps are the Promises before a
    quorum, the Nacks, and their crashes (a crash of a pure acceptor changes nothing: reduction 2)."""
    cfg = _cfg(PAXOS, 3, 2, 1, crashes, 1)
    model = ImplModel(cfg, reductions=NO_POR)
    off, on = _both(cfg)
    assert (off.states, on.states) == (unreduced, 1_777)
    seen = _reachable(model)
    t = model.tables
    read = sum(1 << mid for mid, m in enumerate(t.msgs) if type(m).__name__ in ("Prepare", "Promise", "Accept",
                                                                               "Accepted"))
    visible = {(tuple(s[i] for i in t.acceptor_idx), s[-3] & read, s[-2]) for s in seen}
    assert len(visible) == on.states


def _reachable(model: ImplModel) -> list[Any]:
    (init,) = tuple(model.initial_states())
    seen, frontier = {model.fingerprint(init): init}, [init]
    while frontier:
        nxt = []
        for state in frontier:
            for succ in model.expand(state)[1]:
                if model.fingerprint(succ) not in seen:
                    seen[model.fingerprint(succ)] = succ
                    nxt.append(succ)
        frontier = nxt
    return list(seen.values())


def test_a_proposer_back_in_an_earlier_snapshot(tmp_path: Path) -> None:
    """nack_forgets_promises: its quiet steps cycle (a Promise adds one, a Nack of its ballot takes them
    all away); blocks close the cycle, and every verdict is that of the unreduced run, traces replayed."""
    cfg = _cfg("tests.reduction_toys:nack_forgets_promises", 2, 2, 1, 0, 1)
    off, on = _both(cfg)
    assert on.states < off.states and not on.violated
    compare(cfg, tmp_path)
    compare(_cfg("tests.reduction_toys:nack_forgets_promises", 3, 1, 2, 0, 0), tmp_path / "retry")


def test_a_quiet_crash_back_to_the_first_snapshot_of_its_block() -> None:
    """crash_keeps_ballot: after a quiet Promise its crash goes back to the snapshot its block started in, with
    one more crash spent: a state of its own (blocks key what they have seen by snapshot and crashes spent)."""
    off, on = _both(_cfg("tests.reduction_toys:crash_keeps_ballot", 3, 1, 1, 1, 1))
    assert on.states < off.states


def test_quiet_blocks_apply_only_to_nodes_no_property_reads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """two_step_accept's acceptor records a vote silently before raising its promise: the state between
    breaks inv_accepted_le_promised. Acceptors are read by the properties, so quiet blocks leave them
    alone and the violation is found, trace replayed; the unsound version that merged an acceptor's
    silent steps into its next loud one (every node eligible) never stores that state and misses it."""
    cfg = _cfg("tests.reduction_toys:two_step_accept", 3, 1, 1, 0, 0)
    _, reduced = compare(cfg, tmp_path)
    assert reduced.status("inv_accepted_le_promised") == "violated"
    assert ImplModel(cfg).quiet_nodes() == ImplModel(cfg).tables.proposer_idx
    monkeypatch.setattr(ImplModel, "quiet_nodes", lambda self: list(range(self.tables.k)))
    assert bfs(ImplModel(cfg)).status("inv_accepted_le_promised") == "held"  # the toy breaks it


@pytest.mark.slow
def test_a_proposer_whose_value_depends_on_arrival_order() -> None:
    """first_value_wins proposes the value of the first Promise that carried one: agreement breaks only
    for some orders of its Promises. Found with and without quiet blocks (3 acceptors, ballots 2,1: about
    140,000 reduced states, 490,000 without quiet blocks). (A block that followed only the first quiet
    step of each snapshot finds it too, measured: here any order of arrival is also an order of sending,
    as the acceptors answer in any order, so that unsound version is not caught by this toy.)"""
    _, on = _both(_cfg("tests.reduction_toys:first_value_wins", 3, 2, (2, 1), 0, 0))
    assert on.status("agreement") == "violated"


def test_quiet_steps_must_be_followed_not_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The unsound version that leaves a proposer's quiet steps out without following them (as if they were
    stutters): the proposer never counts its first Promise, never sends an Accept, and nothing is ever
    chosen. The honest blocks witness sometimes_chosen as the unreduced run does."""
    cfg = _cfg(PAXOS, 3, 1, 1, 0, 1)
    _, on = _both(cfg)
    assert on.status("sometimes_chosen") == "held"
    monkeypatch.setattr(QuietBlocks, "follow", lambda self, moves: ())
    assert bfs(ImplModel(cfg)).status("sometimes_chosen") != "held"  # the toy breaks it


@pytest.mark.parametrize("name", ["overwrite_accept", "own_value", "promise_drops_value", "stale_promises",
                                  "no_tiebreak", "volatile_acceptor", "minority_quorum", "eager_learner",
                                  pytest.param("duplicate_promises", marks=pytest.mark.slow)])
def test_planted_bugs_are_still_found(name: str) -> None:
    """Catalog bugs, most of them in the proposer (the node quiet blocks reduce), on their own configuration:
    found with quiet blocks, with the same verdicts as without (volatile_ballot's and
    highest_promised_value's own configurations have millions of states: test_bug_catalog finds them)."""
    _, on = _both(_catalog_cfg(name, variant=False))
    assert {p.name for p in on.violated} >= set(CATALOG[name].breaks) - {"refines_spec"}


def test_quiet_blocks_need_a_node_no_property_reads_and_the_set_network() -> None:
    assert "por" in ImplModel(_cfg(PAXOS, 2, 1, 1, 0, 0)).reductions.names()
    assert "por" not in ImplModel(_cfg(PAXOS, 2, 2, 1, 0, 0, colocated=True)).reductions.names()
    bag = ImplModel(_cfg(PAXOS, 2, 1, 1, 0, 0, network="bag"))
    assert "por" not in bag.reductions.names() and bag.por is None
    assert "por" not in ImplModel(_cfg(PAXOS, 2, 1, 1, 0, 0), reductions=NO_POR).reductions.names()



def test_the_flag_switches_it_off_and_the_summary_says_so(tmp_path: Path) -> None:
    """`--no-por` (next to the other reduction flags): the other four stay on; the summary records which ran."""
    from checker.cli.main import main

    small = ["explore", "--acceptors", "3", "--proposers", "1", "--learners", "1", "--ballots", "1", "--crashes", "0",
             "--quiet"]
    states = {}
    for flags, name in (([], "on"), (["--no-por"], "off")):
        assert main([*small, *flags, "--out", str(tmp_path / name)]) == 0
        summary = json.loads((tmp_path / name / "summary.json").read_text(encoding="utf-8"))
        assert summary["exhaustive"] and ("por" in summary["config"]["reductions"]) == (name == "on")
        assert {"saturation", "crash", "learners_apart", "prompt_restart"} <= set(summary["config"]["reductions"])
        states[name] = summary["states"]
    assert (states["on"], states["off"]) == (41, 53)
