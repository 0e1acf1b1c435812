"""How much of the state space a random run saw (`simulate --coverage`).

Owns the ground truth (an exhaustive BFS of the same model, states kept as fingerprints per
BFS depth, when the configuration has at most `--coverage-states` states) and the report:
per BFS depth, the exhaustive states and the share of them the walks visited; the first hit
(seconds, transitions, walks, steps) of each property; and, with or without ground truth, the
growth of distinct states over time, so a user sees when a random run stops finding anything
new. It must not walk: the walks are the strategies' (checker/search/); it reads their
`WalkStats`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from checker.fingerprint import FpArray
from checker.model import Model, State, capabilities
from checker.search.common import SearchResult, limit_reached

DEFAULT_COVERAGE_STATES = 300_000
CHART_WIDTH = 40


@dataclass
class GroundTruth:
    """Every reachable state's fingerprint, per BFS depth (depth 1: the initial states)."""

    per_depth: list[FpArray]
    seconds: float

    @property
    def states(self) -> int:
        return sum(len(d) for d in self.per_depth)


@dataclass
class NoGroundTruth:
    """Why there is no ground truth: more than `max_states` states, or the BFS was stopped (time limit,
    Ctrl-C) after `states` states."""

    reason: str  # "too_large", "time_limit", "interrupted" or "memory"
    states: int
    seconds: float


def ground_truth(model: Model, max_states: int, deadline: float | None = None) -> GroundTruth | NoGroundTruth:
    """An exhaustive BFS of `model` as fingerprints per depth; NoGroundTruth if it has more than
    `max_states` states, or the deadline passes or Ctrl-C is pressed first."""
    started = time.monotonic()
    fp = model.fingerprint
    expand = capabilities(model).expand
    frontier: list[State] = []
    seen: set[int] = set()
    for s in model.initial_states():
        f = fp(s)
        if f not in seen:
            seen.add(f)
            frontier.append(s)
    levels: list[list[int]] = [[fp(s) for s in frontier]]
    while frontier:
        nxt: list[State] = []
        level: list[int] = []
        for s in frontier:
            succs = expand(s)[1] if expand is not None else [t for _, t in model.successors(s)]
            for t in succs:
                f = fp(t)
                if f not in seen:
                    seen.add(f)
                    nxt.append(t)
                    level.append(f)
            if len(seen) > max_states:
                return NoGroundTruth("too_large", len(seen), time.monotonic() - started)
            stop = limit_reached(deadline, None)  # a clock read per state: small beside its expansion
            if stop is not None:
                return NoGroundTruth(str(stop), len(seen), time.monotonic() - started)
        if level:
            levels.append(level)
        frontier = nxt
    per_depth = [np.sort(np.array(level, dtype=np.uint64)) for level in levels]
    return GroundTruth(per_depth, time.monotonic() - started)


def coverage_report(result: SearchResult, truth: GroundTruth | NoGroundTruth, max_states: int) -> dict[str, Any]:
    """The summary's `walk_coverage`: per-depth shares against `truth` (if any), first hits, growth."""
    stats = result.walk_stats
    if stats is None:
        raise ValueError(f"strategy {result.strategy!r} keeps no walk statistics")
    fps: FpArray = stats.fingerprints
    out: dict[str, Any] = {
        "distinct_states": len(fps),
        "seconds": round(result.seconds, 3),
        "walks": stats.walks,
        "first_hits": {name: {"seconds": round(h.seconds, 3), "transitions": h.transitions, "walks": h.walks,
                              "steps": h.length} for name, h in sorted(stats.first_hits.items())},
        "growth": _growth(stats.growth),
    }
    if isinstance(truth, NoGroundTruth):
        out["ground_truth"] = None
        out["ground_truth_stopped_by"] = None if truth.reason == "too_large" else truth.reason
        out["ground_truth_note"] = (
            f"more than {max_states:,} reachable states (--coverage-states): no exhaustive ground truth; distinct "
            "states and their growth only" if truth.reason == "too_large" else
            f"the exhaustive ground truth was stopped ({truth.reason.replace('_', ' ')}) after {truth.states:,} "
            f"states in {truth.seconds:.1f} s: no ground truth; distinct states and their growth only")
        return out
    rows = []
    inside = 0
    for depth, level in enumerate(truth.per_depth, start=1):
        hit = int(np.isin(level, fps, assume_unique=True).sum()) if len(fps) else 0
        inside += hit
        rows.append({"depth": depth, "exhaustive": len(level), "visited": hit})
    out["ground_truth"] = {"states": truth.states, "depth": len(truth.per_depth), "seconds": round(truth.seconds, 3),
                           "visited": inside, "fraction": round(inside / truth.states, 6) if truth.states else 0.0,
                           "outside": len(fps) - inside, "per_depth": rows}
    return out


def _growth(samples: list[tuple[float, int, int]]) -> list[dict[str, float]]:
    rows = []
    prev_t, prev_n = 0.0, 0
    for t, n, transitions in samples:
        rate = (n - prev_n) / (t - prev_t) if t > prev_t else 0.0
        rows.append({"seconds": round(t, 3), "states": n, "transitions": transitions,
                     "new_states_per_sec": round(rate, 1)})
        prev_t, prev_n = t, n
    return rows


def _bar(share: float, width: int = CHART_WIDTH) -> str:
    full = round(share * width)
    return "#" * full + "." * (width - full)


def format_report(report: dict[str, Any]) -> str:
    """The report as text: a per-depth table with a bar chart, first hits, the growth curve."""
    lines = [f"Coverage: {report['distinct_states']:,} distinct states in {report['walks']:,} walks, "
             f"{report['seconds']:.1f} s"]
    truth = report.get("ground_truth")
    if truth is not None:
        lines.append(f"  against the exhaustive state set ({truth['states']:,} states, depth {truth['depth']}, "
                     f"BFS {truth['seconds']:.1f} s): visited {truth['visited']:,} = {100 * truth['fraction']:.2f}%"
                     + (f"; {truth['outside']:,} visited states NOT in it (a bug)" if truth["outside"] else ""))
        lines.append(f"  {'depth':>5}  {'exhaustive':>10}  {'visited':>10}  {'share':>7}  "
                     f"visited (#) of exhaustive, per depth")
        for row in truth["per_depth"]:
            share = row["visited"] / row["exhaustive"] if row["exhaustive"] else 0.0
            lines.append(f"  {row['depth']:>5}  {row['exhaustive']:>10,}  {row['visited']:>10,}  "
                         f"{100 * share:>6.2f}%  |{_bar(share)}|")
    else:
        lines.append(f"  {report.get('ground_truth_note', '')}")
    if report["first_hits"]:
        lines.append("  first hit per property (seconds, transitions, walks, steps on the walk):")
        for name, h in report["first_hits"].items():
            lines.append(f"    {name:<26} {h['seconds']:>8.3f} s  {h['transitions']:>10,} transitions  "
                         f"{h['walks']:>8,} walks  {h['steps']:>4} steps")
    growth = report["growth"]
    if growth:
        peak = max((g["new_states_per_sec"] for g in growth), default=0.0) or 1.0
        lines.append("  growth of distinct states (new states per second, chart against the fastest interval):")
        step = max(1, len(growth) // 12)
        shown = growth[::step] if growth[-1] in growth[::step] else [*growth[::step], growth[-1]]
        for g in shown:
            lines.append(f"    {g['seconds']:>7.1f} s  {g['states']:>10,} states  {g['new_states_per_sec']:>10,.0f}/s  "
                         f"|{_bar(g['new_states_per_sec'] / peak, 30)}|")
    return "\n".join(lines)
