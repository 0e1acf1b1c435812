"""The interface between a model (what is explored) and a search strategy (how).

A model owns its state encoding, its successor function and its properties;
a strategy owns the visiting order, the visited set and the limits. Neither
reaches into the other: strategies see states only as opaque hashable values
and fingerprints, models never see a queue.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

State = Hashable
Action = Hashable

PropertyKind = Literal["always", "sometimes", "step"]


@dataclass(frozen=True, slots=True)
class PropertyInfo:
    """A named property the model checks; `kind` says how a strategy uses it.

    `always`: must hold in every reachable state (`Model.violated`).
    `sometimes`: must hold in at least one reachable state (`Model.witnessed`).
    `step`: must hold for every transition (`Model.step_violated`).
    `stops`: whether its violation ends a search with `stop_on_first_violation` (False for a
    property reported as a warning, e.g. `refines_spec` under `--deviation warn`).
    """

    name: str
    kind: PropertyKind
    description: str
    stops: bool = True


@dataclass(frozen=True, slots=True)
class StepRow:
    """One step of a counterexample, as the trace CSV and a person read it.

    Field names are the trace CSV columns (docs/formats.md); empty string for
    "not applicable".
    """

    event: str
    node: str = ""
    peer: str = ""
    msg_type: str = ""
    bal: str = ""
    value: str = ""
    max_vbal: str = ""
    max_val: str = ""
    state_change: str = ""


class Model(Protocol):
    """What a strategy needs from a model. States must be hashable and cheap."""

    #: "impl" or "spec"; goes into the JSON summary and the trace.
    kind: str

    def config(self) -> dict[str, object]:
        """Every bound and choice of the model, JSON-serialisable, enough to rebuild it."""

    def properties(self) -> Sequence[PropertyInfo]:
        """Every property this model checks, in report order."""

    def initial_states(self) -> Iterable[State]:
        """The initial states (usually one)."""

    def successors(self, state: State) -> Iterable[tuple[Action, State]]:
        """Every enabled action and the state it leads to (a stutter may be omitted)."""

    def fingerprint(self, state: State) -> int:
        """A stable 64-bit fingerprint: equal for equal states, the same in every process."""

    def violated(self, state: State) -> Sequence[str]:
        """Names of the `always` properties false in `state` (empty if none)."""

    def witnessed(self, state: State) -> Sequence[str]:
        """Names of the `sometimes` properties true in `state`."""

    def step_violated(self, state: State, action: Action, succ: State) -> Sequence[str]:
        """Names of the `step` properties the transition breaks."""

    def describe(self, state: State, action: Action, succ: State) -> StepRow:
        """The trace row of one transition."""

    def describe_state(self, state: State) -> str:
        """A short human-readable text of a state (reports, graph labels)."""


# -- capabilities: optional hooks a model may have, each a small Protocol --------------------------
# A strategy asks `capabilities(model)` (found once per model) for the hooks it can use; a model
# without one still works through the `Model` methods.

Expansion = tuple[Sequence[Action], Sequence[State], Sequence[tuple[int, tuple[str, ...]]]]


@runtime_checkable
class Expands(Protocol):
    """Every transition of a state in one call, step verdicts included, so a search makes no
    per-transition call back into the model (the implementation model's fast path).

    `expand(state) -> (actions, states, [(index, names of the step properties broken)])`: it must
    agree with `successors` (same pairs, same order) and with `step_violated`."""

    def expand(self, state: State) -> Expansion: ...


@runtime_checkable
class SuccessorStates(Protocol):
    """Successors only, without actions, for models without step properties (the Spec's fast path):
    `successor_states(state) -> [state, ...]`, the states of `successors(state)`."""

    def successor_states(self, state: State) -> Sequence[State]: ...


@runtime_checkable
class BulkFingerprints(Protocol):
    """`fingerprints(states)`: `fingerprint` of each state at once, as an array of uint64."""

    def fingerprints(self, states: Sequence[State]) -> Any: ...


@runtime_checkable
class Symmetric(Protocol):
    """Symmetry by renaming states: `canonical(state)` is the representative of the state's orbit (the
    same for every state of it); a search with symmetry stores the canonical forms."""

    def canonical(self, state: State) -> State: ...


@runtime_checkable
class OrbitSized(Protocol):
    """`orbit_size(state)`: how many distinct states the state's orbit has (a search with symmetry
    counts the states it stands for: the size of the unreduced space)."""

    def orbit_size(self, state: State) -> int: ...


@runtime_checkable
class OrbitKeyed(Protocol):
    """Symmetry without renaming states: `symmetric_fingerprints()` is called once by a search with
    symmetry, before it asks for initial states; then `orbit_fingerprint(state)` is the same int for
    every state of an orbit, and `orbit_fingerprints(states)`, `orbit_sizes(states)` are its bulk forms
    (arrays). The search keeps states as reached and stores orbit fingerprints
    (checker/search/common.py, `state_key_fn`); `canonical` is not used then."""

    def symmetric_fingerprints(self) -> None: ...

    def orbit_fingerprint(self, state: State) -> int: ...

    def orbit_fingerprints(self, states: Sequence[State]) -> Any: ...

    def orbit_sizes(self, states: Sequence[State]) -> Any: ...


@runtime_checkable
class Wired(Protocol):
    """States that hold ids meaningful only in the process that made them (the implementation model
    interns snapshots and messages) travel in a picklable form another process, or a checkpoint on
    disk, can read back; without this hook states travel as they are.

    `to_wire(states, peer=None) -> object`, `from_wire(object, peer=None) -> states`. With `peer`
    None a batch stands alone; with a peer (any hashable name of the other end) the model may send
    only what it has not sent that peer before, and the batches from one peer are read in the order
    they were made. `from_wire` may return a lazy sequence that translates a state when read."""

    def to_wire(self, states: Sequence[State], peer: Hashable = None) -> object: ...

    def from_wire(self, wire: Any, peer: Hashable = None) -> Sequence[State]: ...


@runtime_checkable
class Partitioned(Protocol):
    """`partition_key(state) -> int`: which partition of a parallel BFS owns a state (key mod
    partitions; without the hook, the fingerprint). It must be the same in every process; a key most
    transitions leave unchanged keeps successors in their parent's partition (fewer cross)."""

    def partition_key(self, state: State) -> int: ...


@runtime_checkable
class BulkPartitioned(Protocol):
    """`partition_keys(states)`: `partition_key` of each state at once, as an array of uint64."""

    def partition_keys(self, states: Sequence[State]) -> Any: ...


@runtime_checkable
class CoverageKeyed(Protocol):
    """`coverage_keys(action) -> [(category, key), ...]`: what a transition counts under in coverage
    reports (default: ("actions", its kind))."""

    def coverage_keys(self, action: Action) -> Sequence[tuple[str, str]]: ...


@runtime_checkable
class ActionKinds(Protocol):
    """`action_kind(action) -> str`: the kind of an action (coverage, swarm mixes); default: the first
    element of a tuple action whose first element is a string, else `str(action)`."""

    def action_kind(self, action: Action) -> str: ...


@runtime_checkable
class StableActions(Protocol):
    """`stable_action(action)`: the action named the same way in every process (hashable and ordered, e.g. a
    tuple of ints and strings), for a model whose actions hold ids it interns per process: random walks order
    a state's steps by it (checker/search/random_walk.py), so a walk does not depend on what ran before it."""

    def stable_action(self, action: Action) -> Any: ...


@runtime_checkable
class ActionActors(Protocol):
    """`action_actor(action)`: who acts (PCT priority schedules); default: the second element of a
    tuple action if it is an int, else the action's kind."""

    def action_actor(self, action: Action) -> Hashable: ...


@runtime_checkable
class SwarmMixes(Protocol):
    """`swarm_mix(rng) -> {kind: weight}`: the model's own swarm mix, in place of random weights per
    action kind (checker/search/random_walk.py, `lazy_mix`)."""

    def swarm_mix(self, rng: Any) -> Mapping[str, float]: ...


@runtime_checkable
class SpellsOut(Protocol):
    """A reduced model's counterexamples as real steps: `spell_out(initial, steps, prop)` turns a path
    of the reduced search into steps of the unreduced model that show `prop` the same way."""

    def spell_out(self, initial: State, steps: Sequence[tuple[Action, State]],
                  prop: str | None) -> Sequence[tuple[Action, State]]: ...


@runtime_checkable
class ChosenText(Protocol):
    """`chosen_text(state) -> str`: the value(s) chosen in a state, for graph labels ("" if none)."""

    def chosen_text(self, state: State) -> str: ...


@runtime_checkable
class StepDetail(Protocol):
    """`step_detail(state, action) -> str`: what went wrong in a step that broke `node_error` (the
    node's method, exception and file:line), for the verdict table ("" if nothing is known)."""

    def step_detail(self, state: State, action: Action) -> str: ...


@runtime_checkable
class CoverageSummary(Protocol):
    """`coverage_summary() -> {name: text}`: coverage facts only the model knows (e.g. the highest
    ballot any message carried), added to a run's coverage."""

    def coverage_summary(self) -> dict[str, str]: ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    """The optional hooks of one model, found once (`capabilities(model)`): each the bound method, or
    None if the model does not have it (or set it to None)."""

    expand: Callable[[State], Expansion] | None
    successor_states: Callable[[State], Sequence[State]] | None
    fingerprints: Callable[[Sequence[State]], Any] | None
    canonical: Callable[[State], State] | None
    orbit_size: Callable[[State], int] | None
    orbit_keyed: OrbitKeyed | None
    wired: Wired | None
    partition_key: Callable[[State], int] | None
    partition_keys: Callable[[Sequence[State]], Any] | None
    coverage_keys: Callable[[Action], Sequence[tuple[str, str]]] | None
    action_kind: Callable[[Action], str] | None
    stable_action: Callable[[Action], Any] | None
    action_actor: Callable[[Action], Hashable] | None
    swarm_mix: Callable[[Any], Mapping[str, float]] | None
    spell_out: SpellsOut | None
    chosen_text: Callable[[State], str] | None
    step_detail: Callable[[State, Action], str] | None
    coverage_summary: Callable[[], dict[str, str]] | None


_FOUND: weakref.WeakKeyDictionary[object, Capabilities] = weakref.WeakKeyDictionary()


def capabilities(model: object) -> Capabilities:
    """The optional hooks `model` has, checked against their Protocols once per model."""
    try:
        hit = _FOUND.get(model)
    except TypeError:  # not weakly referenceable: found again each time
        hit = None
    if hit is not None:
        return hit
    found = Capabilities(
        expand=model.expand if isinstance(model, Expands) else None,
        successor_states=model.successor_states if isinstance(model, SuccessorStates) else None,
        fingerprints=model.fingerprints if isinstance(model, BulkFingerprints) else None,
        canonical=model.canonical if isinstance(model, Symmetric) else None,
        orbit_size=model.orbit_size if isinstance(model, OrbitSized) else None,
        orbit_keyed=model if isinstance(model, OrbitKeyed) else None,
        wired=model if isinstance(model, Wired) else None,
        partition_key=model.partition_key if isinstance(model, Partitioned) else None,
        partition_keys=model.partition_keys if isinstance(model, BulkPartitioned) else None,
        coverage_keys=model.coverage_keys if isinstance(model, CoverageKeyed) else None,
        action_kind=model.action_kind if isinstance(model, ActionKinds) else None,
        stable_action=model.stable_action if isinstance(model, StableActions) else None,
        action_actor=model.action_actor if isinstance(model, ActionActors) else None,
        swarm_mix=model.swarm_mix if isinstance(model, SwarmMixes) else None,
        spell_out=model if isinstance(model, SpellsOut) else None,
        chosen_text=model.chosen_text if isinstance(model, ChosenText) else None,
        step_detail=model.step_detail if isinstance(model, StepDetail) else None,
        coverage_summary=model.coverage_summary if isinstance(model, CoverageSummary) else None,
    )
    with contextlib.suppress(TypeError):
        _FOUND[model] = found
    return found


def partition_keys(model: Model) -> Callable[[Sequence[State]], Any] | None:
    """The model's `partition_key` hook applied to a batch, as an array of uint64; None without it.
    A model may also have the bulk form `partition_keys(states)`, which is used then."""
    caps = capabilities(model)
    key = caps.partition_key
    if key is None:
        return None
    if caps.partition_keys is not None:
        return caps.partition_keys
    import numpy as np

    def keys(states: Sequence[State]) -> Any:
        return np.fromiter((key(s) for s in states), dtype=np.uint64, count=len(states))

    return keys


ToWire = Callable[[Sequence[State], Hashable], object]
FromWire = Callable[[object, Hashable], Sequence[State]]


def wire_codec(model: Model) -> tuple[ToWire, FromWire]:
    """The model's `to_wire`/`from_wire` hooks (states, peer), else plain lists (states that mean the
    same everywhere)."""
    wired = capabilities(model).wired
    if wired is None:
        return _as_list, _as_states
    return wired.to_wire, wired.from_wire


def _as_list(states: Sequence[State], peer: Hashable = None) -> object:
    return list(states)


def _as_states(obj: object, peer: Hashable = None) -> Sequence[State]:
    assert isinstance(obj, list)
    return obj
