"""Quorum systems: which sets of acceptors form a phase-1 or a phase-2 quorum.

Majority (the default), flexible (phase-1 size, phase-2 size), grid (rows are
phase-1 quorums, columns phase-2 quorums) and explicit quorum lists. Every
system checks at construction that each phase-1 quorum meets each phase-2
quorum, and refuses one that does not unless built with `unsafe=True` (the
checker uses that to demonstrate bugs). Pure data; no I/O.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet

from paxos._errors import ConfigurationError

Quorum = frozenset[int]


def _members(members: int | Iterable[int]) -> tuple[int, ...]:
    if isinstance(members, bool):
        raise ConfigurationError("acceptors must be a count or a list of node ids, not a bool")
    if isinstance(members, int):
        if members <= 0:
            raise ConfigurationError(
                f"a quorum system needs at least one acceptor, got {members}; pass a positive count"
            )
        return tuple(range(1, members + 1))
    ids = tuple(members)
    if not ids:
        raise ConfigurationError("a quorum system needs at least one acceptor; the member list is empty")
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, int) or i <= 0:
            raise ConfigurationError(f"acceptor ids must be positive integers, got {i!r}")
    if len(set(ids)) != len(ids):
        raise ConfigurationError(f"acceptor ids must be distinct, got {list(ids)}")
    return ids


class QuorumSystem(ABC):
    """Phase-1 and phase-2 quorums over a fixed set of acceptor ids."""

    members: tuple[int, ...]
    unsafe: bool
    _minimal_cache: tuple[list[Quorum], list[Quorum]] | None = None

    @abstractmethod
    def is_phase1_quorum(self, acceptors: AbstractSet[int]) -> bool:
        """True if `acceptors` contains a phase-1 quorum."""

    @abstractmethod
    def is_phase2_quorum(self, acceptors: AbstractSet[int]) -> bool:
        """True if `acceptors` contains a phase-2 quorum."""

    @abstractmethod
    def describe(self) -> str:
        """A short text, e.g. `majority of 3`, for reports and the CLI."""

    def phase1_quorums(self) -> list[Quorum]:
        """The minimal phase-1 quorums (computed once; the system is immutable)."""
        return list(self._minimal_quorums()[0])

    def phase2_quorums(self) -> list[Quorum]:
        """The minimal phase-2 quorums (computed once; the system is immutable)."""
        return list(self._minimal_quorums()[1])

    def _minimal_quorums(self) -> tuple[list[Quorum], list[Quorum]]:
        if self._minimal_cache is None:
            self._minimal_cache = (self._compute_phase1(), self._compute_phase2())
        return self._minimal_cache

    def _compute_phase1(self) -> list[Quorum]:
        return _minimal(self.members, self.is_phase1_quorum)

    def _compute_phase2(self) -> list[Quorum]:
        return _minimal(self.members, self.is_phase2_quorum)

    def disjoint_pair(self) -> tuple[Quorum, Quorum] | None:
        """A phase-1 and a phase-2 quorum with no acceptor in common, or None if every pair meets."""
        for q1 in self.phase1_quorums():
            for q2 in self.phase2_quorums():
                if not q1 & q2:
                    return q1, q2
        return None

    def _check_safe(self) -> None:
        if self.unsafe:
            return
        pair = self.disjoint_pair()
        if pair is not None:
            q1, q2 = sorted(pair[0]), sorted(pair[1])
            raise ConfigurationError(
                f"{self.describe()}: phase-1 quorum {q1} and phase-2 quorum {q2} do not intersect, "
                "so two values could be chosen; use intersecting quorums (for flexible quorums "
                "q1 + q2 > n), or pass unsafe=True to build it on purpose"
            )

    def __eq__(self, other: object) -> bool:
        """Equal when over the same acceptors with the same quorums, whatever the class."""
        if not isinstance(other, QuorumSystem):
            return NotImplemented
        if set(self.members) != set(other.members):
            return False
        mine, theirs = self._minimal_quorums(), other._minimal_quorums()
        return set(mine[0]) == set(theirs[0]) and set(mine[1]) == set(theirs[1])

    def __hash__(self) -> int:
        return hash(frozenset(self.members))  # cheap, and equal systems have equal members

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


def _minimal(members: Sequence[int], is_quorum: Callable[[AbstractSet[int]], bool]) -> list[Quorum]:
    """Every minimal set of members satisfying `is_quorum` (exponential in the members: small systems)."""
    found: list[Quorum] = []
    for size in range(1, len(members) + 1):
        for combo in itertools.combinations(members, size):
            candidate = frozenset(combo)
            if any(q <= candidate for q in found):
                continue
            if is_quorum(candidate):
                found.append(candidate)
    return found


class ThresholdQuorums(QuorumSystem):
    """Any `q1` acceptors form a phase-1 quorum and any `q2` a phase-2 quorum."""

    def __init__(self, members: int | Iterable[int], q1: int, q2: int, *, unsafe: bool = False) -> None:
        self.members = _members(members)
        n = len(self.members)
        for name, size in (("phase-1", q1), ("phase-2", q2)):
            if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
                raise ConfigurationError(f"{name} quorum size must be a positive integer, got {size!r}")
            if size > n:
                raise ConfigurationError(
                    f"{name} quorum size {size} is larger than the {n} acceptors; use at most {n}"
                )
        self.q1, self.q2, self.unsafe = q1, q2, unsafe
        if not unsafe and q1 + q2 <= n:
            raise ConfigurationError(
                f"{self.describe()}: q1 + q2 = {q1 + q2} <= {n} acceptors, so a phase-1 and a phase-2 "
                f"quorum can be disjoint; choose q1 + q2 > {n}, or pass unsafe=True to build it on purpose"
            )
        self._member_set = frozenset(self.members)

    def is_phase1_quorum(self, acceptors: AbstractSet[int]) -> bool:
        return len(self._member_set.intersection(acceptors)) >= self.q1

    def is_phase2_quorum(self, acceptors: AbstractSet[int]) -> bool:
        return len(self._member_set.intersection(acceptors)) >= self.q2

    def _compute_phase1(self) -> list[Quorum]:
        return [frozenset(c) for c in itertools.combinations(self.members, self.q1)]

    def _compute_phase2(self) -> list[Quorum]:
        return [frozenset(c) for c in itertools.combinations(self.members, self.q2)]

    def disjoint_pair(self) -> tuple[Quorum, Quorum] | None:
        if self.q1 + self.q2 > len(self.members):
            return None  # any q1 and any q2 of n acceptors share one when q1 + q2 > n
        first = self.members[: self.q1]
        rest = [m for m in self.members if m not in first]
        return frozenset(first), frozenset(rest[: self.q2])

    def describe(self) -> str:
        return f"flexible q1={self.q1} q2={self.q2} of {len(self.members)}"


class MajorityQuorums(ThresholdQuorums):
    """Classic Paxos: any strict majority is a quorum for both phases."""

    def __init__(self, members: int | Iterable[int]) -> None:
        n = len(_members(members))
        super().__init__(members, n // 2 + 1, n // 2 + 1)

    def describe(self) -> str:
        return f"majority of {len(self.members)}"


class FlexibleQuorums(ThresholdQuorums):
    """Flexible Paxos (Howard et al.): phase-1 size q1, phase-2 size q2, safe iff q1 + q2 > n."""


class ExplicitQuorums(QuorumSystem):
    """Quorums given as lists of acceptor sets; phase 2 defaults to the phase-1 list."""

    def __init__(
        self,
        phase1: Iterable[Iterable[int]],
        phase2: Iterable[Iterable[int]] | None = None,
        *,
        members: Iterable[int] | None = None,
        unsafe: bool = False,
    ) -> None:
        q1 = [frozenset(q) for q in phase1]
        q2 = [frozenset(q) for q in phase2] if phase2 is not None else list(q1)
        if not q1 or not q2 or any(not q for q in q1 + q2):
            raise ConfigurationError("explicit quorums must be non-empty lists of non-empty acceptor sets")
        union = sorted(set().union(*q1, *q2))
        self.members = _members(members if members is not None else union)
        outside = sorted(set(union) - set(self.members))
        if outside:
            raise ConfigurationError(f"quorums name acceptors {outside} that are not members {list(self.members)}")
        self._q1, self._q2, self.unsafe = q1, q2, unsafe
        self._check_safe()

    def is_phase1_quorum(self, acceptors: AbstractSet[int]) -> bool:
        return any(q <= acceptors for q in self._q1)

    def is_phase2_quorum(self, acceptors: AbstractSet[int]) -> bool:
        return any(q <= acceptors for q in self._q2)

    def describe(self) -> str:
        def text(qs: list[Quorum]) -> str:
            return ";".join(",".join(map(str, sorted(q))) for q in qs)

        return f"explicit phase-1 [{text(self._q1)}] phase-2 [{text(self._q2)}]"


class GridQuorums(ExplicitQuorums):
    """Acceptors on a rows x cols grid: a full row is a phase-1 quorum, a full column a phase-2 quorum.

    Every row meets every column in exactly one acceptor, so the grid is safe
    with quorums far smaller than a majority.
    """

    def __init__(self, rows: int, cols: int) -> None:
        for part in (rows, cols):
            if isinstance(part, bool) or not isinstance(part, int) or part <= 0:
                raise ConfigurationError(
                    f"a grid needs positive integer rows and columns, got {rows!r}x{cols!r}; e.g. GridQuorums(2, 3)"
                )
        ids = [[r * cols + c + 1 for c in range(cols)] for r in range(rows)]
        super().__init__(
            [frozenset(row) for row in ids],
            [frozenset(ids[r][c] for r in range(rows)) for c in range(cols)],
            members=range(1, rows * cols + 1),
        )
        self.rows, self.cols = rows, cols

    def describe(self) -> str:
        return f"grid {self.rows}x{self.cols}"
