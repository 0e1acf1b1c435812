"""The verdicts of a checking run as the user reads them: the announcement, the verdict table, one honest
sentence, and the exit code.

Owns the wording of HELD / VIOLATED / BOUNDED / NOT VIOLATED and the exit code of explore and
simulate. It reads the summary (summarize.py) and writes no file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Any

from checker.config import bounds_text
from checker.exit_codes import EXIT_INCOMPLETE, EXIT_OK, EXIT_VIOLATED
from checker.model import Model
from checker.runs.summarize import DEVIATION, NOT_VIOLATED, reduction_names


def exit_code(summary: dict[str, Any]) -> int:
    """1 a violation; 3 stopped early (bounded) with none; 0 otherwise (explore: exhaustive; simulate: every walk
    ran and nothing failed, which is not a proof). Under `--deviation warn` (the default) refines_spec does not
    count."""
    warn = (summary.get("deviation") or {}).get("mode") == "warn"
    if any(p["status"] == "violated" and not (warn and p["name"] == DEVIATION) for p in summary["properties"]):
        return EXIT_VIOLATED
    if summary["stopped_by"] is not None:
        return EXIT_INCOMPLETE
    return EXIT_OK


def announce(model: Model, strategy: str) -> None:
    cfg = model.config()
    bounds = bounds_text(cfg)
    what = f"{cfg.get('impl', 'Paxos.tla')}" if model.kind == "impl" else "Lamport's Paxos.tla"
    names = reduction_names(model)
    sound = f"; sound reductions: {', '.join(names)} (--no-reductions to compare)" if names else ""
    print(f"paxos-check: {strategy} over {what} ({model.kind} model): {bounds}{sound}", flush=True)


def print_verdicts(summary: Mapping[str, Any], out: FsPath, walks: int | None = None) -> None:
    """The verdict table and one honest sentence about what it means."""
    rows = [("property", "kind", "verdict", "evidence")]
    for p in summary["properties"]:
        if p["trace"]:
            n = p.get("length", p.get("witness_length"))
            evidence = f"{'witness' if p['kind'] == 'sometimes' else 'counterexample'}: {n} steps, {out / p['trace']}"
        elif p["status"] == NOT_VIOLATED:
            evidence = f"{summary['states']:,} states in {walks:,} walks" if walks else f"{summary['states']:,} states"
        else:
            evidence = f"{summary['states']:,} states" if p["status"] == "held" else p.get("no_trace") or "-"
        verdict = p["status"].replace("_", " ")
        warned = (summary.get("deviation") or {}).get("mode") == "warn"
        if p["name"] == DEVIATION and p["status"] == "violated" and warned:
            verdict = "deviates"  # a warning (docs/formats.md): not counted in the exit code
        rows.append((p["name"], p["kind"], verdict, evidence))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print(f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    states, depth, secs = summary["states"], summary["depth"], summary["seconds"]
    rate = states / secs if secs else 0.0
    stats = (f"{states:,} distinct states, {summary['transitions']:,} transitions, depth {depth}, "
             f"{secs:.1f}s ({rate:,.0f} states/s)")
    deviation = summary.get("deviation")
    warn = deviation is not None and deviation["mode"] == "warn"
    violated = [p["name"] for p in summary["properties"]
                if p["status"] == "violated" and not (warn and p["name"] == DEVIATION)]
    for p in summary["properties"]:
        if p["status"] == "violated" and p.get("detail"):
            print(f"  {p['name']}: {p['detail']}")
    if warn and deviation is not None:
        kind = "harmless deviation" if deviation["only"] else "dangerous deviation"
        print(f"WARNING ({kind}, not counted in the exit code): {deviation['text']}; replay it with: "
              f"paxos-check replay {out / 'traces' / (DEVIATION + '.csv')}")
    if violated and deviation is not None and deviation["only"] and not warn:
        print(f"VIOLATED (--deviation error): {DEVIATION} only: {deviation['text']}. {stats}. "
              f"Replay with: paxos-check replay {out / 'traces' / (DEVIATION + '.csv')}")
    elif violated:
        print(f"VIOLATED: {', '.join(violated)}. {stats}. "
              f"Replay with: paxos-check replay {out / 'traces'}/<property>.csv")
    elif summary["stopped_by"] is not None:
        print(f"BOUNDED: no violation found, but the search stopped early ({summary['stopped_by']}): "
              f"this is not a verification. {stats}.")
    elif not summary["exhaustive"]:
        runs = f" in {walks:,} walks" if walks else ""
        print(f"NOT VIOLATED{runs} of a random search ({summary['strategy']}): not a proof and not a verification; "
              f"exit 0 means only that no walk broke a property. {stats}.")
    else:
        held = ("every safety property and every conjunct of the inductive invariant holds (refines_spec is a "
                "deviation, above)") if warn else "every property holds"
        print(f"HELD: {held} in every reachable state within the stated bounds (exhaustive). {stats}.")
    print(f"Run directory: {out}{os.sep} (summary.json)")
