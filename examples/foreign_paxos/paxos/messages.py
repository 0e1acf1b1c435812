"""The library's messages: plain dataclasses; ballots are floats, `None` means no ballot."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Prepare:
    ballot: float


@dataclass(frozen=True)
class Promise:
    ballot: float
    accepted_ballot: float | None
    accepted_value: Any


@dataclass(frozen=True)
class Accept:
    ballot: float
    value: Any


@dataclass(frozen=True)
class Accepted:
    ballot: float
    value: Any


@dataclass(frozen=True)
class PrepareNack:
    ballot: float
    promised: float


@dataclass(frozen=True)
class AcceptNack:
    ballot: float
    promised: float
