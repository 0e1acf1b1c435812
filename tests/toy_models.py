"""Tiny models with known answers, for testing search strategies before any Paxos is involved.

DGraph: a directed graph given by edges, with bad nodes (an `always` property), goal nodes
(a `sometimes` property) and forbidden edges (a `step` property). Counter: two counters
with a planted bug at a known BFS depth. Neither knows anything about search.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from checker.fingerprint import fingerprint_object
from checker.model import PropertyInfo, StepRow


@dataclass
class DGraph:
    """States are node ids; an action is ("edge", src, dst)."""

    edges: Sequence[tuple[int, int]]
    initial: Sequence[int] = (0,)
    bad: frozenset[int] = frozenset()
    goal: frozenset[int] = frozenset()
    forbidden: frozenset[tuple[int, int]] = frozenset()
    kind: str = "toy"
    _out: dict[int, list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._out = {}
        for a, b in self.edges:
            self._out.setdefault(a, []).append(b)

    def config(self) -> dict[str, object]:
        return {"edges": [list(e) for e in self.edges], "initial": list(self.initial)}

    def properties(self) -> Sequence[PropertyInfo]:
        return (
            PropertyInfo("not_bad", "always", "No bad node is reachable."),
            PropertyInfo("no_forbidden_edge", "step", "No forbidden edge is taken."),
            PropertyInfo("reach_goal", "sometimes", "Some goal node is reachable."),
        )

    def initial_states(self) -> list[int]:
        return list(self.initial)

    def successors(self, state: Hashable) -> list[tuple[tuple[str, int, int], int]]:
        s: int = state  # type: ignore[assignment]
        return [(("edge", s, t), t) for t in self._out.get(s, [])]

    def fingerprint(self, state: Hashable) -> int:
        return fingerprint_object(state)

    def violated(self, state: Hashable) -> Sequence[str]:
        return ("not_bad",) if state in self.bad else ()

    def witnessed(self, state: Hashable) -> Sequence[str]:
        return ("reach_goal",) if state in self.goal else ()

    def step_violated(self, state: Hashable, action: Hashable, succ: Hashable) -> Sequence[str]:
        return ("no_forbidden_edge",) if (state, succ) in self.forbidden else ()

    def describe(self, state: Hashable, action: Hashable, succ: Hashable) -> StepRow:
        return StepRow(event="edge", node=str(state), peer=str(succ))

    def describe_state(self, state: Hashable) -> str:
        return f"node {state}"


@dataclass
class Counter:
    """State (x, y) with 0 <= x, y <= limit; actions inc_x, inc_y, and a jump x += 3.

    Reachable states: (limit+1)**2. `always` property `no_bug`: the state is not `bug`.
    The BFS-shortest path to (bx, by) has ceil(bx/3) + ... steps: see `shortest_to_bug`.
    """

    limit: int = 6
    bug: tuple[int, int] | None = (5, 2)
    kind: str = "toy"

    def config(self) -> dict[str, object]:
        return {"limit": self.limit, "bug": self.bug}

    def properties(self) -> Sequence[PropertyInfo]:
        return (
            PropertyInfo("no_bug", "always", "The planted bug state is unreachable."),
            PropertyInfo("reach_corner", "sometimes", "The far corner is reachable."),
        )

    def initial_states(self) -> list[tuple[int, int]]:
        return [(0, 0)]

    def successors(self, state: Hashable) -> list[tuple[str, tuple[int, int]]]:
        x: int = state[0]  # type: ignore[index]
        y: int = state[1]  # type: ignore[index]
        out: list[tuple[str, tuple[int, int]]] = []
        if x < self.limit:
            out.append(("inc_x", (x + 1, y)))
        if y < self.limit:
            out.append(("inc_y", (x, y + 1)))
        if x + 3 <= self.limit:
            out.append(("jump_x", (x + 3, y)))
        return out

    def fingerprint(self, state: Hashable) -> int:
        return fingerprint_object(state)

    def violated(self, state: Hashable) -> Sequence[str]:
        return ("no_bug",) if state == self.bug else ()

    def witnessed(self, state: Hashable) -> Sequence[str]:
        return ("reach_corner",) if state == (self.limit, self.limit) else ()

    def step_violated(self, state: Hashable, action: Hashable, succ: Hashable) -> Sequence[str]:
        return ()

    def describe(self, state: Hashable, action: Hashable, succ: Hashable) -> StepRow:
        return StepRow(event=str(action))

    def describe_state(self, state: Hashable) -> str:
        return str(state)

    def shortest_to_bug(self) -> int:
        """Fewest steps from (0, 0) to the bug: jumps of 3 and unit steps in x, unit steps in y."""
        assert self.bug is not None
        bx, by = self.bug
        return bx // 3 + bx % 3 + by


@dataclass
class Grid:
    """A (size x size) grid walked right/up from (0, 0); int-encoded with the successor_states hook.

    Symmetric under swapping the coordinates: `canonical` and `orbit_size` implement it.
    """

    size: int = 5
    kind: str = "toy"

    def config(self) -> dict[str, object]:
        return {"size": self.size}

    def properties(self) -> Sequence[PropertyInfo]:
        return (PropertyInfo("reach_far", "sometimes", "The far corner is reachable."),)

    def initial_states(self) -> list[int]:
        return [0]

    def _xy(self, s: int) -> tuple[int, int]:
        return divmod(s, self.size)

    def successors(self, state: Hashable) -> list[tuple[str, int]]:
        x, y = self._xy(state)  # type: ignore[arg-type]
        out = []
        if x + 1 < self.size:
            out.append(("right", (x + 1) * self.size + y))
        if y + 1 < self.size:
            out.append(("up", x * self.size + y + 1))
        return out

    def successor_states(self, state: int) -> list[int]:
        return [t for _, t in self.successors(state)]

    def fingerprint(self, state: Hashable) -> int:
        return fingerprint_object(state)

    def violated(self, state: Hashable) -> Sequence[str]:
        return ()

    def witnessed(self, state: Hashable) -> Sequence[str]:
        return ("reach_far",) if state == self.size * self.size - 1 else ()

    def step_violated(self, state: Hashable, action: Hashable, succ: Hashable) -> Sequence[str]:
        return ()

    def describe(self, state: Hashable, action: Hashable, succ: Hashable) -> StepRow:
        return StepRow(event=str(action))

    def describe_state(self, state: Hashable) -> str:
        return str(self._xy(state))  # type: ignore[arg-type]

    def canonical(self, state: Hashable) -> int:
        x, y = self._xy(state)  # type: ignore[arg-type]
        return min(x * self.size + y, y * self.size + x)

    def orbit_size(self, state: Hashable) -> int:
        x, y = self._xy(state)  # type: ignore[arg-type]
        return 1 if x == y else 2
