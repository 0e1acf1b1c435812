"""Counterexamples to induction handed to the explorer: reachable, unreachable, or not concrete."""

from __future__ import annotations

from typing import Any

from properties.cti_reach import reachability, spec_state_of
from properties.z3_spec import prove_spec


def _model(msgs: list[dict[str, Any]], max_bal: int, max_vbal: int, max_val: str | None) -> dict[str, Any]:
    return {"kind": "spec_state", "acceptors": ["a0"], "ballots": [0, 1], "values": ["v0", "v1"],
            "quorums": {"phase1": [["a0"]], "phase2": [["a0"]]},
            "maxBal": {"a0": max_bal}, "maxVBal": {"a0": max_vbal}, "maxVal": {"a0": max_val}, "msgs": msgs}


def test_a_reachable_state_is_found_with_its_distance() -> None:
    model = _model([{"type": "1a", "bal": 1}, {"type": "1b", "acc": "a0", "bal": 1, "mbal": -1, "mval": None}],
                   1, -1, None)
    verdict = reachability(model)
    assert verdict["verdict"] == "reachable" and verdict["steps"] == 2


def test_two_values_chosen_is_unreachable_in_the_real_spec() -> None:
    model = _model([{"type": "2a", "bal": 0, "val": "v1"}, {"type": "2a", "bal": 1, "val": "v0"},
                    {"type": "2b", "acc": "a0", "bal": 0, "val": "v1"},
                    {"type": "2b", "acc": "a0", "bal": 1, "val": "v0"}], 1, 1, "v0")
    verdict = reachability(model)
    assert verdict["verdict"] == "unreachable" and verdict["states"] > 1


def test_dropping_a_conjunct_yields_a_cti_the_explorer_rules_out() -> None:
    results = prove_spec(drop=("inv_2a_safe",), check_enabled=False)
    failed = [r for r in results if r.status == "failed" and r.model and r.model.get("kind") == "spec_state"]
    assert failed, "dropping inv_2a_safe must break induction or agreement"
    verdict = reachability(failed[0].model or {})
    assert verdict["verdict"] == "unreachable"


def test_flexible_quorums_are_not_concrete_for_the_explorer() -> None:
    model = _model([], -1, -1, None)
    model["acceptors"] = ["a0", "a1"]
    model["maxBal"] = {"a0": -1, "a1": -1}
    model["maxVBal"] = {"a0": -1, "a1": -1}
    model["maxVal"] = {"a0": None, "a1": None}
    model["quorums"] = {"phase1": [["a0", "a1"]], "phase2": [["a0"]]}
    assert reachability(model)["verdict"] == "unknown"
    cfg, state = spec_state_of(_model([], -1, -1, None))
    assert cfg.acceptors == 1 and state.msgs == frozenset()
