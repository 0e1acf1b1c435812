"""Result types shared by the z3 proofs: one `ProofResult` per proof obligation.

Owns the vocabulary of proof outcomes and their JSON form (docs/formats.md, `proofs`).
It must not import z3 or run a solver: readers of results should not need one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ProofStatus = Literal["proved", "failed", "unknown"]

PROVED: ProofStatus = "proved"
FAILED: ProofStatus = "failed"
UNKNOWN: ProofStatus = "unknown"


@dataclass(frozen=True)
class ProofResult:
    """The outcome of one proof obligation, checked in its own solver frame.

    `goal` names the theorem (`quorum_intersection`, `quorums_parametric`, `spec_inductive`),
    `action` the transition or proof step (`Init`, `Phase2a`, `Safety`, `base`, `step`, or a
    quorum-system description), `conjunct` the invariant conjunct or lemma checked.
    `status` is `proved` (the negated obligation is unsatisfiable), `failed` (z3 found a
    model: `model` holds it as plain JSON-ready data) or `unknown` (z3 gave up, e.g. timeout;
    `reason` says why). `seconds` is the solver wall time of this obligation alone.
    """

    goal: str
    action: str
    conjunct: str
    status: ProofStatus
    seconds: float
    model: dict[str, Any] | None = None
    reason: str = field(default="", compare=False)

    @property
    def proved(self) -> bool:
        """True if z3 proved this obligation."""
        return self.status == PROVED

    def to_json(self) -> dict[str, Any]:
        """The `proofs` entry of the JSON summary (docs/formats.md)."""
        return {
            "goal": self.goal,
            "action": self.action,
            "conjunct": self.conjunct,
            "status": self.status,
            "seconds": round(self.seconds, 6),
            "model": self.model,
        }


def overall_status(results: Sequence[ProofResult]) -> ProofStatus:
    """`failed` if any obligation failed, else `unknown` if any is unknown, else `proved`.

    An empty list is `unknown`: nothing was proved.
    """
    if not results:
        return UNKNOWN
    if any(r.status == FAILED for r in results):
        return FAILED
    if any(r.status == UNKNOWN for r in results):
        return UNKNOWN
    return PROVED


def format_table(results: Sequence[ProofResult]) -> str:
    """A plain-text table, one row per obligation: goal, action, conjunct, status, ms."""
    headers = ("goal", "action", "conjunct", "status", "ms")
    rows = [
        (r.goal, r.action, r.conjunct, r.status, f"{r.seconds * 1000:.1f}") for r in results
    ]
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]
    lines = []
    for row in [headers, tuple("-" * w for w in widths), *rows]:
        cells = [
            cell.rjust(widths[i]) if i == len(headers) - 1 else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
