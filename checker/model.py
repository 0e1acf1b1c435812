"""The interface between a model (what is explored) and a search strategy (how).

A model owns its state encoding, its successor function and its properties;
a strategy owns the visiting order, the visited set and the limits. Neither
reaches into the other: strategies see states only as opaque hashable values
and fingerprints, models never see a queue.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

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


# Optional hooks a strategy uses when a model has them (found with getattr, so a model
# without them still works): `successor_states(state) -> list[State]` (successors only, for
# models without step properties), `expand(state) -> (actions, states, [(index, names)])`
# (every transition at once with the step properties each breaks; must agree with
# `successors` and `step_violated`), `fingerprints(states)` (bulk), `canonical(state)` and
# `orbit_size(state)` (symmetry), `coverage_keys(action)`, `action_kind(action)`.
# Symmetry without renaming states: `symmetric_fingerprints()` (called once by a search with
# symmetry, before it asks for initial states), then `orbit_fingerprint(state)` (the same int for
# every state of an orbit), `orbit_fingerprints(states)` and `orbit_sizes(states)` (bulk, arrays);
# the search then keeps states as reached and stores orbit fingerprints
# (checker/search/common.py, `state_key_fn`), and `canonical` is not used.
# `to_wire(states, peer=None) -> object` and `from_wire(object, peer=None) -> Sequence[State]`:
# for a model whose states hold ids that mean something only in the process that made them (the
# implementation model interns snapshots and messages), a picklable form of a batch of states
# that another process (or a checkpoint on disk) can read back; without them states travel as
# they are. With `peer` None a batch stands alone; with a peer (any hashable name of the other
# end) the model may send only what it has not sent that peer before, and the batches from one
# peer are read in the order they were made. `from_wire` may return a lazy sequence that
# translates a state only when it is read.
# `partition_key(state) -> int`: which partition of a parallel BFS owns a state (key mod
# partitions; default: the fingerprint). It must be the same in every process; a key that most
# transitions leave unchanged keeps successors in their parent's partition (fewer cross).


def partition_keys(model: Model) -> Callable[[Sequence[State]], Any] | None:
    """The model's `partition_key` hook applied to a batch, as an array of uint64; None without it.
    A model may also have the bulk form `partition_keys(states)`, which is used then."""
    key = getattr(model, "partition_key", None)
    if key is None:
        return None
    bulk = getattr(model, "partition_keys", None)
    if bulk is not None:
        return bulk  # type: ignore[no-any-return]
    import numpy as np

    def keys(states: Sequence[State]) -> Any:
        return np.fromiter((key(s) for s in states), dtype=np.uint64, count=len(states))

    return keys


ToWire = Callable[[Sequence[State], Hashable], object]
FromWire = Callable[[object, Hashable], Sequence[State]]


def wire_codec(model: Model) -> tuple[ToWire, FromWire]:
    """The model's `to_wire`/`from_wire` hooks (states, peer), else plain lists (states that mean the
    same everywhere)."""
    to_wire = getattr(model, "to_wire", None)
    from_wire = getattr(model, "from_wire", None)
    if to_wire is None or from_wire is None:
        return _as_list, _as_states
    return to_wire, from_wire


def _as_list(states: Sequence[State], peer: Hashable = None) -> object:
    return list(states)


def _as_states(obj: object, peer: Hashable = None) -> Sequence[State]:
    assert isinstance(obj, list)
    return obj
