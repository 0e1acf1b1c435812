"""The five Paxos messages: frozen, slotted, hashable by value.

Names and fields follow Lamport's spec (`bal`, `max_vbal`, `max_val`); each
message carries its sender `src`. Values are any hashable object except
`None`, which means "no value" (`check_value` refuses it). No protocol
behaviour lives here.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TypeAlias

from paxos._ballot import Ballot
from paxos._errors import ConfigurationError

#: A proposable value: any hashable object except None (None means "no value").
Value: TypeAlias = Hashable


@dataclass(frozen=True, slots=True)
class Prepare:
    """Phase 1a: proposer `src` asks acceptors to promise ballot `bal`."""

    src: int
    bal: Ballot


@dataclass(frozen=True, slots=True)
class Promise:
    """Phase 1b: acceptor `src` promises `bal`, reporting what it accepted last (`max_vbal`, `max_val`)."""

    src: int
    bal: Ballot
    max_vbal: Ballot
    max_val: Value


@dataclass(frozen=True, slots=True)
class Accept:
    """Phase 2a: proposer `src` asks acceptors to accept `val` at ballot `bal`."""

    src: int
    bal: Ballot
    val: Value


@dataclass(frozen=True, slots=True)
class Accepted:
    """Phase 2b: acceptor `src` has accepted `val` at ballot `bal` (sent to learners)."""

    src: int
    bal: Ballot
    val: Value


#: `Nack.phase`: the phase a Nack answers. `NACK_UNSAID` (0) is a Nack that does not say (every Nack
#: of a node written before the field existed); 1 refuses a Prepare (1a), 2 an Accept (2a).
NACK_UNSAID, NACK_PREPARE, NACK_ACCEPT = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Nack:
    """Rejection: acceptor `src` refused `bal` because it has promised the higher `promised`.

    `phase` names what it answers: 1 a Prepare, 2 an Accept, 0 (the default) unsaid. A Nack with
    phase 0 fingerprints as it did before the field existed, so old traces replay unchanged.
    """

    src: int
    bal: Ballot
    promised: Ballot
    phase: int = field(default=NACK_UNSAID, metadata={"omit_default": True})

    def __post_init__(self) -> None:
        if self.phase not in (NACK_UNSAID, NACK_PREPARE, NACK_ACCEPT):
            raise ConfigurationError(f"Nack phase must be 1 (answers a Prepare), 2 (an Accept) or 0 (unsaid), "
                                     f"got {self.phase!r}")


Message: TypeAlias = Prepare | Promise | Accept | Accepted | Nack

#: Message classes in phase order; their names are the trace CSV's `msg_type`.
MESSAGE_TYPES: tuple[type, ...] = (Prepare, Promise, Accept, Accepted, Nack)


def check_value(value: object) -> None:
    """Refuse values a proposal cannot carry: None (it means "no value") and unhashable ones."""
    if value is None:
        raise ConfigurationError("None cannot be proposed: it means 'no value'; propose any other hashable value")
    try:
        hash(value)
    except TypeError:
        raise ConfigurationError(
            f"proposed value {value!r} is not hashable; use an immutable value (str, int, tuple, frozenset)"
        ) from None
