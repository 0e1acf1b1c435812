"""The vocabulary of the Spec proof: z3 sorts and relations, a Spec state as z3 terms, an action instance.

Plain data shared by z3_spec.py (which builds and checks the obligations) and z3_cti.py
(which turns a z3 model back into a concrete state); both import it, neither imports the
other for these types. No obligations and no solving here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3


@dataclass(frozen=True)
class _Vocab:
    """Sorts, constants and immutable relations shared by every obligation."""

    acc: Any
    bal: Any
    val: Any
    q1: Any
    q2: Any
    none_b: Any
    none_v: Any
    le: Any
    member1: Any
    member2: Any

    def lt(self, x: Any, y: Any) -> Any:
        return z3.And(self.le(x, y), x != y)


@dataclass(frozen=True)
class _State:
    """One Spec state as callables returning z3 terms (pre-states wrap z3 functions)."""

    max_bal: Callable[[Any], Any]
    max_vbal: Callable[[Any], Any]
    max_val: Callable[[Any], Any]
    m1a: Callable[[Any], Any]
    m1b: Callable[[Any, Any, Any, Any], Any]
    m2a: Callable[[Any, Any], Any]
    m2b: Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Step:
    """An action instance: its parameters (free constants), enabling condition and post-state."""

    params: dict[str, Any]
    guard: Any
    post: _State
