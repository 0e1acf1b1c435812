"""z3 proofs that every phase-1 quorum meets every phase-2 quorum, or two disjoint quorums.

Owns the z3 encodings of quorum intersection: concrete systems (threshold, grid, explicit
lists) and the parametric theorem for every cluster size. It parses no command line and
prints nothing; it works on plain data (ids, sizes, lists of frozensets).

Concrete systems. A candidate phase-1 quorum is a vector of membership terms, one per member
``m`` ("m is in the quorum"), a phase-2 quorum likewise. For threshold systems the vectors
are 0/1 integers with ``sum(x) = q1``, ``sum(y) = q2`` and ``x[m] + y[m] <= 1`` (every larger
quorum contains one of exactly that size, so this loses nothing; linear arithmetic refutes
it where a boolean pigeonhole encoding would blow up); for grid and explicit systems they
are booleans constrained to equal one of the listed quorums. The query is "x and y are
disjoint": ``unsat`` is a proof that every pair intersects, decided by z3 (not a Python
loop over pairs); ``sat`` gives two disjoint quorums, which we return.

Parametric theorem (every N at once). z3 cannot do induction, so the induction is explicit
and z3 discharges every obligation. Sets are arrays ``Int -> Bool``; the cardinality of
``S`` within members ``1..n`` is the recursive function
``card(S, n) = if n <= 0 then 0 else card(S, n-1) + (1 if S[n] else 0)`` (a z3
``RecFunction``). Two lemmas, each by induction on ``n`` (base ``n = 0`` and step
``n -> n+1``, each a separate z3 query with the induction hypothesis instantiated):

* ``card_union_bound``: ``card(S1,n) + card(S2,n) - card(S1 & S2,n) <= n``
  (inclusion-exclusion: the union has at most ``n`` members);
* ``card_positive_has_member``: ``card(X,n) > 0 -> exists i in 1..n. X[i]``.

``flexible_intersection`` then combines them for symbolic ``N, q1, q2``: if
``q1 + q2 > N``, ``card(S1,N) >= q1`` and ``card(S2,N) >= q2``, some ``i in 1..N`` is in
both (the pigeonhole argument ``card(S1&S2) >= q1+q2-N > 0``). ``majority_sizes`` shows that
majorities ``q = N div 2 + 1`` satisfy ``q + q > N`` and ``1 <= q <= N`` for every ``N >= 1``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import z3

from properties.proof import FAILED, PROVED, UNKNOWN, ProofResult, ProofStatus

GOAL_CONCRETE = "quorum_intersection"
GOAL_PARAMETRIC = "quorums_parametric"
CONJUNCT_MEET = "phase1_meets_phase2"


class QuorumSystemLike(Protocol):
    """What we need from a quorum system object (e.g. `paxos.MajorityQuorums`)."""

    @property
    def members(self) -> tuple[int, ...]: ...

    def phase1_quorums(self) -> list[frozenset[int]]: ...

    def phase2_quorums(self) -> list[frozenset[int]]: ...


def _status(answer: Any) -> ProofStatus:
    if answer == z3.unsat:
        return PROVED
    if answer == z3.sat:
        return FAILED
    return UNKNOWN


def _check(solver: z3.Solver) -> tuple[ProofStatus, float, str]:
    start = time.perf_counter()
    answer = solver.check()
    seconds = time.perf_counter() - start
    reason = "" if answer != z3.unknown else str(solver.reason_unknown())
    return _status(answer), seconds, reason


def _disjoint_model(
    members: Sequence[int], x: Sequence[Any], y: Sequence[Any], model: Any
) -> dict[str, Any]:
    q1 = [m for m, var in zip(members, x, strict=True) if z3.is_true(model.eval(var, model_completion=True))]
    q2 = [m for m, var in zip(members, y, strict=True) if z3.is_true(model.eval(var, model_completion=True))]
    return {
        "kind": "disjoint_quorums",
        "acceptors": list(members),
        "phase1_quorum": q1,
        "phase2_quorum": q2,
    }


def _solve_disjoint(
    members: Sequence[int],
    constraints: Sequence[Any],
    x: Sequence[Any],
    y: Sequence[Any],
    label: str,
    timeout_ms: int,
) -> ProofResult:
    """Is there a phase-1 quorum `x` and a phase-2 quorum `y` (membership terms) sharing no one?"""
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*constraints)  # including "x and y share no member"
    status, seconds, reason = _check(solver)
    model = _disjoint_model(members, x, y, solver.model()) if status == FAILED else None
    return ProofResult(GOAL_CONCRETE, label, CONJUNCT_MEET, status, seconds, model, reason)


def _check_size(name: str, value: int, low: int, high: int | None = None) -> None:
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")


def prove_threshold(n: int, q1: int, q2: int, *, timeout_ms: int = 10_000) -> ProofResult:
    """Prove that any q1 of n acceptors meet any q2 of them, or return two disjoint sets.

    Members are numbered 1..n. Raises ValueError for impossible sizes.
    """
    _check_size("the number of acceptors", n, 1)
    _check_size("q1", q1, 1, n)
    _check_size("q2", q2, 1, n)
    members = list(range(1, n + 1))
    # 0/1 integers rather than booleans: over booleans "q1 + q2 > n ones in 2n disjoint slots"
    # is a pigeonhole formula, exponential for SAT solvers (n = 51 already times out), while
    # z3 refutes its linear relaxation at once (n = 101: ~10 ms; n = 1001: a few seconds).
    x = [z3.Int(f"in_q1_{m}") for m in members]
    y = [z3.Int(f"in_q2_{m}") for m in members]
    constraints = [c for xi, yi in zip(x, y, strict=True) for c in (0 <= xi, 0 <= yi, xi + yi <= 1)]
    constraints += [z3.Sum(x) == q1, z3.Sum(y) == q2]
    label = f"flexible n={n} q1={q1} q2={q2}"
    return _solve_disjoint(members, constraints, [xi == 1 for xi in x], [yi == 1 for yi in y],
                           label, timeout_ms)


def majority_size(n: int) -> int:
    """The size of a majority of n acceptors."""
    return n // 2 + 1


def prove_majority(n: int, *, timeout_ms: int = 10_000) -> ProofResult:
    """Prove that any two majorities of n acceptors intersect."""
    _check_size("the number of acceptors", n, 1)
    q = majority_size(n)
    result = prove_threshold(n, q, q, timeout_ms=timeout_ms)
    return ProofResult(
        result.goal, f"majority n={n} q={q}", result.conjunct, result.status,
        result.seconds, result.model, result.reason,
    )


def grid_quorums(rows: int, cols: int) -> tuple[list[int], list[frozenset[int]], list[frozenset[int]]]:
    """Members and quorums of a rows x cols grid: phase 1 = one full row, phase 2 = one full column.

    Acceptors are numbered 1..rows*cols row-major (row r, column c is r*cols + c + 1). A row and
    a column always share exactly one cell, so grid quorums intersect with phase-1 quorums of
    size `cols` and phase-2 quorums of size `rows` (Howard et al., Flexible Paxos, 2016).
    """
    _check_size("grid rows", rows, 1)
    _check_size("grid columns", cols, 1)
    members = list(range(1, rows * cols + 1))
    row_sets = [frozenset(r * cols + c + 1 for c in range(cols)) for r in range(rows)]
    col_sets = [frozenset(r * cols + c + 1 for r in range(rows)) for c in range(cols)]
    return members, row_sets, col_sets


def describe_quorums(quorums: Sequence[frozenset[int]]) -> str:
    """[{1, 2}, {2, 3}] -> '1,2;2,3' (the --quorums notation)."""
    return ";".join(",".join(str(m) for m in sorted(q)) for q in quorums)


def prove_explicit(
    phase1: Sequence[frozenset[int]],
    phase2: Sequence[frozenset[int]] | None = None,
    members: Sequence[int] | None = None,
    *,
    label: str | None = None,
    timeout_ms: int = 10_000,
) -> ProofResult:
    """Prove that every listed phase-1 quorum meets every listed phase-2 quorum.

    `phase2` defaults to `phase1`; `members` defaults to the union of all quorums. Raises
    ValueError for an empty list, an empty quorum or a quorum naming a non-member.
    """
    second = list(phase1) if phase2 is None else list(phase2)
    first = list(phase1)
    for name, quorums in (("phase-1", first), ("phase-2", second)):
        if not quorums:
            raise ValueError(f"the {name} quorum list is empty; give at least one quorum")
        if any(not q for q in quorums):
            raise ValueError(f"a {name} quorum is empty; every quorum needs a member")
    everyone = sorted(set().union(*first, *second)) if members is None else sorted(set(members))
    known = set(everyone)
    for q in first + second:
        stray = sorted(set(q) - known)
        if stray:
            raise ValueError(f"quorum {sorted(q)} names {stray}, which are not acceptors {everyone}")
    if label is None:
        label = f"explicit {describe_quorums(first)}"
        if phase2 is not None:
            label += f" / {describe_quorums(second)}"
    x = [z3.Bool(f"in_q1_{m}") for m in everyone]
    y = [z3.Bool(f"in_q2_{m}") for m in everyone]

    def is_one_of(vector: Sequence[Any], quorums: Sequence[frozenset[int]]) -> Any:
        return z3.Or(*[
            z3.And(*[v if m in q else z3.Not(v) for m, v in zip(everyone, vector, strict=True)])
            for q in quorums
        ])

    disjoint = [z3.Not(z3.And(xi, yi)) for xi, yi in zip(x, y, strict=True)]
    return _solve_disjoint(everyone, [is_one_of(x, first), is_one_of(y, second), *disjoint],
                           x, y, label, timeout_ms)


def prove_grid(rows: int, cols: int, *, timeout_ms: int = 10_000) -> ProofResult:
    """Prove that grid quorums (rows for phase 1, columns for phase 2) intersect."""
    members, row_sets, col_sets = grid_quorums(rows, cols)
    return prove_explicit(
        row_sets, col_sets, members, label=f"grid {rows}x{cols}", timeout_ms=timeout_ms
    )


def prove_quorum_system(system: QuorumSystemLike, *, label: str | None = None,
                        timeout_ms: int = 10_000) -> ProofResult:
    """Prove intersection of any object with `members`, `phase1_quorums()`, `phase2_quorums()`."""
    name = label if label is not None else type(system).__name__
    return prove_explicit(
        system.phase1_quorums(), system.phase2_quorums(), list(system.members),
        label=name, timeout_ms=timeout_ms,
    )


# --- the parametric theorem ---------------------------------------------------------------


@functools.cache
def _card_function() -> Any:
    """`card`, defined once: z3 refuses a second definition of a recursive function."""
    int_set = z3.ArraySort(z3.IntSort(), z3.BoolSort())
    card = z3.RecFunction("card", int_set, z3.IntSort(), z3.IntSort())
    s = z3.Array("S", z3.IntSort(), z3.BoolSort())
    n = z3.Int("n")
    z3.RecAddDefinition(card, [s, n], z3.If(n <= 0, 0, card(s, n - 1) + z3.If(s[n], 1, 0)))
    return card


def _prove(claim: Any, hypotheses: Sequence[Any], action: str, conjunct: str,
           timeout_ms: int, extract: Callable[[Any], dict[str, Any]] | None = None) -> ProofResult:
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*hypotheses)
    solver.add(z3.Not(claim))
    status, seconds, reason = _check(solver)
    model = None
    if status == FAILED:
        found = solver.model()
        model = extract(found) if extract is not None else {"kind": "z3_model", "text": str(found)}
    return ProofResult(GOAL_PARAMETRIC, action, conjunct, status, seconds, model, reason)


def prove_parametric(
    *, majority: bool = True, margin: int = 1, timeout_ms: int = 10_000
) -> list[ProofResult]:
    """Prove quorum intersection for every cluster size N and sizes q1 + q2 > N (see module doc).

    Returns one result per obligation: the base and step of both lemmas, their combination
    (`flexible_intersection`, assuming ``q1 + q2 >= N + margin``), and with `majority` also
    `majority_sizes`. `margin` exists to show the bound is tight: with ``margin=0`` the
    combination fails and its model is a counterexample (e.g. N = 2, q1 = q2 = 1).
    """
    card = _card_function()
    int_set = z3.ArraySort(z3.IntSort(), z3.BoolSort())
    s1, s2, x = (z3.Const(name, int_set) for name in ("S1", "S2", "X"))
    n, i, w = z3.Ints("N i w")
    both = z3.SetIntersect(s1, s2)

    def union_bound(k: Any) -> Any:
        return card(s1, k) + card(s2, k) - card(both, k) <= k

    def has_member(k: Any, witness: Any) -> Any:
        return z3.Implies(card(x, k) > 0, z3.And(1 <= witness, witness <= k, x[witness]))

    def member_exists(k: Any) -> Any:
        return z3.Implies(card(x, k) > 0, z3.Exists([i], z3.And(1 <= i, i <= k, x[i])))

    lemma1, lemma2 = "card_union_bound", "card_positive_has_member"
    results = [
        _prove(union_bound(z3.IntVal(0)), [], "base", lemma1, timeout_ms),
        _prove(union_bound(n + 1), [n >= 0, union_bound(n)], "step", lemma1, timeout_ms),
        _prove(member_exists(z3.IntVal(0)), [], "base", lemma2, timeout_ms),
        # The induction hypothesis is an existential in a hypothesis: Skolemised as `w`.
        _prove(member_exists(n + 1), [n >= 0, has_member(n, w)], "step", lemma2, timeout_ms),
    ]
    q1, q2, v = z3.Ints("q1 q2 v")
    # Both lemmas are now theorems for every n >= 0; instantiate them at N (lemma 2 for S1 & S2).
    lemma2_at_n = z3.Implies(card(both, n) > 0, z3.And(1 <= v, v <= n, s1[v], s2[v]))
    combine_hypotheses = [
        n >= 1, q1 >= 1, q2 >= 1, q1 <= n, q2 <= n, q1 + q2 >= n + margin,
        card(s1, n) >= q1, card(s2, n) >= q2,
        union_bound(n), lemma2_at_n,
    ]
    intersect = z3.Exists([i], z3.And(1 <= i, i <= n, s1[i], s2[i]))

    def sizes_and_sets(model: Any) -> dict[str, Any]:
        size = model.eval(n, model_completion=True).as_long()
        members = range(1, min(size, 64) + 1)

        def chosen(s: Any) -> list[int]:
            return [m for m in members if z3.is_true(model.eval(s[m], model_completion=True))]

        return {
            "kind": "disjoint_quorums",
            "acceptors": list(members),
            "q1": model.eval(q1, model_completion=True).as_long(),
            "q2": model.eval(q2, model_completion=True).as_long(),
            "phase1_quorum": chosen(s1),
            "phase2_quorum": chosen(s2),
        }

    results.append(_prove(intersect, combine_hypotheses, "combine", "flexible_intersection",
                          timeout_ms, sizes_and_sets))
    if majority:
        q = n / 2 + 1  # z3 integer division
        sizes = z3.And(q + q > n, 1 <= q, q <= n)
        results.append(_prove(sizes, [n >= 1], "combine", "majority_sizes", timeout_ms))
    return results
