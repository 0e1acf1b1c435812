"""The optional model hooks found once, through their Protocols (checker/model.py, `capabilities`)."""

from __future__ import annotations

from dataclasses import fields

from checker.config import CheckConfig
from checker.model import Capabilities, capabilities, partition_keys, wire_codec
from checker.models.impl_model import ImplModel
from checker.models.spec_model import SpecConfig, SpecModel
from tests.toy_models import Counter, Grid

SMALL = CheckConfig(acceptors=2, proposers=1, learners=1, ballots=1, crashes=0)


def test_the_implementation_model_has_its_hooks() -> None:
    model = ImplModel(SMALL)
    caps = capabilities(model)
    assert caps.expand is not None and caps.wired is model and caps.orbit_keyed is model
    assert caps.partition_key is not None and caps.partition_keys is not None
    assert caps.canonical is not None and caps.orbit_size is not None and caps.spell_out is model
    assert caps.step_detail is not None and caps.chosen_text is not None and caps.coverage_summary is not None
    assert caps.stable_action is not None
    assert caps.successor_states is None and caps.action_kind is None and caps.swarm_mix is None
    (init,) = model.initial_states()
    assert caps.expand(init) == model.expand(init)
    assert wire_codec(model) == (model.to_wire, model.from_wire)
    assert partition_keys(model) == model.partition_keys
    assert capabilities(model) is caps  # found once per model


def test_a_model_without_hooks_has_none_and_travels_as_it_is() -> None:
    model = Counter()
    caps = capabilities(model)
    assert all(getattr(caps, f.name) is None for f in fields(Capabilities))
    to_wire, from_wire = wire_codec(model)
    assert from_wire(to_wire([(1, 2)], None), None) == [(1, 2)]
    assert partition_keys(model) is None


def test_toy_and_spec_hooks_are_found() -> None:
    grid = capabilities(Grid())
    assert grid.successor_states is not None and grid.canonical is not None and grid.orbit_size is not None
    assert grid.expand is None and grid.orbit_keyed is None
    spec = capabilities(SpecModel(SpecConfig(acceptors=2, ballots=1, values=1)))
    assert spec.successor_states is not None and spec.fingerprints is not None and spec.action_kind is not None


def test_a_hook_set_to_none_is_absent() -> None:
    """A model may switch a hook off per instance (ImplModel does for PARTITION_BY_ACCEPTORS = False)."""
    model = ImplModel(SMALL)
    model.partition_key = None  # type: ignore[assignment]
    assert capabilities(model).partition_key is None and partition_keys(model) is None
