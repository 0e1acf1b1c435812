"""Default runs that grow their bounds: `explore` with no bound flag runs a fixed sequence of configurations
within `--budget` seconds of wall-clock time, each exhausted before the next starts, and stops at the first
violation (docs/sweep.md).

Owns when a sweep applies (`BOUND_FLAGS`), the sequence (`SWEEP`), running each configuration as an ordinary
run into DIR/sweep/N/, the run's summary (the deciding configuration's, plus `sweep`), the sweep's verdict
sentence and its exit code. One configuration's search, files and verdict table are run.py's, summarize.py's
and verdicts.py's; this module adds no search of its own.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from checker.config import ballots_text
from checker.errors import UsageError
from checker.exit_codes import EXIT_INCOMPLETE, EXIT_OK, EXIT_VIOLATED
from checker.runs.build import check_request
from checker.runs.request import RunRequest
from checker.runs.run import Outcome, finish, render, run_once
from checker.runs.summarize import DEVIATION, deviation_of, write_summary
from checker.runs.verdicts import exit_code
from checker.signals import ctrl_c_stops_sweep, stop_requested
from paxos import atomic_write_bytes

#: --budget when no bound flag is given and --budget is not: one minute of wall-clock time.
DEFAULT_BUDGET = 60.0
#: A configuration is not started with less time than this left (it could not even build its model).
LEAST_SECONDS = 0.5
#: The flags that state bounds (Cluster or RunRequest fields): any one of them means exactly those bounds, no sweep.
BOUND_FLAGS: tuple[tuple[str, str], ...] = (
    ("--acceptors", "acceptors"), ("--proposers", "proposers"), ("--learners", "learners"), ("--values", "values"),
    ("--ballots", "ballots"), ("--crashes", "crashes"), ("--drops", "drops"), ("--duplicates", "duplicates"),
    ("--network", "network"), ("--colocated", "colocated"), ("--q1", "q1"), ("--q2", "q2"),
    ("--unsafe-quorums", "unsafe_quorums"), ("--max-round", "max_round"), ("--max-states", "max_states"),
    ("--max-depth", "max_depth"))


@dataclass(frozen=True)
class Step:
    """One configuration of the sweep: the default cluster (3 acceptors, 2 proposers, 1 learner, 2 values, the
    set network) with these ballot budgets (proposer 1, proposer 2) and this crash budget."""

    ballots: tuple[int, ...]
    crashes: int

    def text(self) -> str:
        return f"ballots {ballots_text(self.ballots)} with {self.crashes} crash{'es' if self.crashes != 1 else ''}"

    def bounds(self) -> dict[str, Any]:
        return {"ballots": list(self.ballots), "crashes": self.crashes}


#: The sequence (docs/sweep.md says why). The default bounds first (proposer 2 may retry once). Then more
#: ballots for one proposer, proposer 1 first: its ballots lose every tie of rounds to proposer 2's, so a retry
#: bug of the lower proposer needs more of its own ballots than the same bug of the higher one
#: (paxos.bugs:volatile_ballot_deep needs 4,1 with 1 crash). A proposer's ballots double (2 then 4): every path
#: of 3,1 is one of 4,1, whose BFS finds each violation of 3,1 at the same depth, and 3,1 alone is already
#: out of a minute's reach (1.08 M orbit states at depth 20 after 150 s, bench/results_budget.md), so running
#: it would only spend the budget that 4,1 needs. Then proposer 2 (1,4), a retry for each (2,2: 18.3 M orbit
#: states), and a second crash.
SWEEP: tuple[Step, ...] = (
    Step((1, 2), 1), Step((2, 1), 1), Step((4, 1), 1), Step((1, 4), 1), Step((2, 2), 1), Step((1, 2), 2),
    Step((2, 1), 2), Step((2, 2), 2),
)


def given_bounds(request: RunRequest) -> list[str]:
    """The bound flags the request gives (BOUND_FLAGS), in that order."""
    given = []
    for flag, name in BOUND_FLAGS:
        value = getattr(request.cluster, name) if hasattr(request.cluster, name) else getattr(request, name)
        if value is not None and value is not False:  # (0 is a bound: --crashes 0)
            given.append(flag)
    return given


def sweep_applies(request: RunRequest) -> bool:
    """True if this explore request sweeps its bounds: the implementation model with no bound flag and no
    --checkpoint (a checkpoint continues one configuration). --budget where no sweep can run is refused."""
    given = given_bounds(request)
    if request.budget is not None:
        if request.model != "impl":
            raise UsageError("--budget grows the bounds of the implementation model; --model spec runs exactly its "
                             "bounds: drop --budget (--time-limit caps a run)")
        if given:
            raise UsageError(f"--budget grows the bounds when no bound flag is given, and {' '.join(given)} states "
                             "the bounds: drop --budget to run exactly those bounds (--time-limit caps that run), or "
                             f"drop {' '.join(given)} to sweep")
        if request.checkpoint is not None:
            raise UsageError("--budget runs several configurations one after another, --checkpoint continues one: "
                             "drop --budget to checkpoint the default bounds, or drop --checkpoint")
    return request.model == "impl" and not given and request.checkpoint is None


def execute_sweep(request: RunRequest, extra_of: Callable[[RunRequest], dict[str, Any]],
                  steps: Sequence[Step] = SWEEP) -> int:
    """Run `steps` in order within the budget; write DIR/summary.json (the deciding configuration's, with
    `sweep`), print the verdicts; return the exit code: 1 a violation in any configuration, 0 the first one
    exhausted and held (whatever later ones reached), 3 not even the first one finished.
    `extra_of(request)`: the SearchOptions fields of one configuration's request (scale.scale_options)."""
    out = FsPath(request.out)
    check_request(request)  # output paths and limits, before any work
    budget = DEFAULT_BUDGET if request.budget is None else request.budget
    cap = budget if request.time_limit is None else min(budget, request.time_limit)
    budget_binds = request.time_limit is None or budget <= request.time_limit
    symmetry = request.symmetry or not request.cluster.properties  # a user's property may tell acceptors apart
    auto_symmetry = not request.symmetry and symmetry
    announced = [False]

    def announce(ran: bool = False) -> None:
        """Once the first configuration's run has checked the node and the properties (so a refusal of either is
        the only line, and an earlier sweep's directories are still there), or it ended without passing them
        (`ran`: a node method that did not return; its run directory, sweep/1, is this sweep's)."""
        if announced[0]:
            return
        announced[0] = True
        _clear_old_sweep(out, keep="1" if ran else None)
        print(f"paxos-check: no bound flag given, so the bounds grow within --budget {budget:g} s of wall-clock time"
              + (f" (--time-limit {request.time_limit:g} s caps it)" if not budget_binds else
                 f" (the default --budget ends it before --time-limit {request.time_limit:g} s: give --budget "
                 f"{request.time_limit:g} for a longer sweep)" if request.time_limit is not None and
                 request.budget is None and budget < request.time_limit else "")
              + f": {len(steps)} configurations from {steps[0].text()} up to {steps[-1].text()}, each exhausted "
              "before the next, the first violation ending the sweep" + (", with acceptor symmetry" if symmetry else "")
              + ". Any bound flag means exactly those bounds.", flush=True)

    started = time.monotonic()
    entries: list[dict[str, Any]] = []
    summaries: dict[int, Outcome] = {}
    stopped_by: str | None = None
    with ctrl_c_stops_sweep():
        for index, step in enumerate(steps, start=1):
            left = cap - (time.monotonic() - started)
            if index > 1 and (stop_requested() or left < LEAST_SECONDS):  # the first one always runs
                stopped_by = "interrupted" if stop_requested() else "budget" if budget_binds else "time_limit"
                break
            try:
                outcome = _run_step(request, step, index, left, symmetry, extra_of, announce)
            except UsageError as exc:
                if not (auto_symmetry and symmetry and str(exc).startswith("--symmetry")):
                    raise
                print(f"paxos-check: acceptor symmetry does not apply to this node, so the sweep goes on without it "
                      f"(the refusal: {exc})", flush=True)
                symmetry = False
                outcome = _run_step(request, step, index, cap - (time.monotonic() - started), symmetry, extra_of,
                                    announce)
            announce(ran=True)
            summary = outcome.summary
            if summary["stopped_by"] == "time_limit" and budget_binds and not outcome.hung:
                summary["stopped_by"] = "budget"
                if summary.get("deviation") is not None:  # its sentence names the stop reason
                    summary["deviation"] = deviation_of(summary, summary["deviation"]["mode"])
                write_summary(summary, outcome.out, None)
            summaries[index] = outcome
            entry = _entry(index, step, symmetry, summary)
            entries.append(entry)
            left = max(0.0, cap - (time.monotonic() - started))
            print(f"  sweep {index}/{len(steps)}: {step.text()}: {_entry_text(entry)}; {left:.1f} s left", flush=True)
            if entry["status"] == "violated":
                stopped_by = "violation"
                break
            if entry["status"] == "bounded":
                stopped_by = summary["stopped_by"]
                break
        if stopped_by is None and stop_requested():  # Ctrl-C after the last configuration's search
            stopped_by = "interrupted"
    deciding = next((e["index"] for e in entries if e["status"] == "violated"), 1)
    outcome = summaries[deciding]
    summary = dict(outcome.summary)
    _copy_run_files(outcome.out, out)
    summary["run_dir"] = str(out.resolve())
    summary["sweep"] = {"budget": budget, "seconds": round(time.monotonic() - started, 3), "reported": deciding,
                        "stopped_by": stopped_by, "configurations": entries,
                        "not_reached": [s.bounds() for s in steps[len(entries):]]}
    write_summary(summary, out, request.json)
    if request.report and not outcome.hung:
        render(out)
    first = entries[0]
    print(f"Verdicts of {steps[deciding - 1].text()}"
          f"{' (the default bounds)' if deciding == 1 and steps is SWEEP else ''}; each configuration's own run "
          f"directory is {out / 'sweep'}/N/:")
    code = finish(summary, out)
    print(sweep_sentence(summary["sweep"], steps, out))
    expected = EXIT_VIOLATED if deciding != 1 or first["status"] == "violated" else \
        EXIT_OK if first["status"] == "held" else EXIT_INCOMPLETE
    assert code == expected, (code, expected)  # the deciding configuration's summary agrees with the sweep
    return code


def _run_step(request: RunRequest, step: Step, index: int, seconds: float, symmetry: bool,
              extra_of: Callable[[RunRequest], dict[str, Any]], checked: Callable[[], None]) -> Outcome:
    """One configuration run as an ordinary run: its bounds, the time left as its time limit, its own run
    directory DIR/sweep/N, no --json or report of its own; `checked` once its node and properties passed."""
    cluster = dataclasses.replace(request.cluster, ballots=ballots_text(step.ballots), crashes=step.crashes)
    one = dataclasses.replace(request, cluster=cluster, symmetry=symmetry, time_limit=max(round(seconds, 3), 0.001),
                              out=str(FsPath(request.out) / "sweep" / str(index)), json=None, report=False,
                              budget=None)
    return run_once(one, checked=checked, **extra_of(one))


def _entry(index: int, step: Step, symmetry: bool, summary: dict[str, Any]) -> dict[str, Any]:
    """One configuration of `sweep.configurations` (docs/formats.md)."""
    code = exit_code(summary)
    warn = (summary.get("deviation") or {}).get("mode") == "warn"
    violated = [p["name"] for p in summary["properties"]
                if p["status"] == "violated" and not (warn and p["name"] == DEVIATION)]
    status = "violated" if code == EXIT_VIOLATED else "held" if code == EXIT_OK else "bounded"
    return {"index": index, "bounds": step.bounds(), "symmetry": symmetry, "status": status,
            "exhaustive": bool(summary["exhaustive"]), "stopped_by": summary["stopped_by"],
            "states": summary["states"] or 0, "transitions": summary["transitions"] or 0,
            "depth": summary["depth"] or 0, "seconds": summary["seconds"], "violated": violated,
            "deviation": summary.get("deviation") is not None, "run_dir": f"sweep/{index}"}


def _entry_text(entry: dict[str, Any]) -> str:
    stats = f"{entry['states']:,} states, depth {entry['depth']}, {entry['seconds']:.1f} s"
    if entry["status"] == "violated":
        return f"VIOLATED ({', '.join(entry['violated'])}), {stats}"
    if entry["status"] == "held":
        return f"HELD (exhaustive{', deviates from Paxos.tla' if entry['deviation'] else ''}), {stats}"
    return f"BOUNDED (stopped by {entry['stopped_by']}), {stats}"


def sweep_sentence(sweep: dict[str, Any], steps: Sequence[Step], out: FsPath) -> str:
    """What the sweep exhausted, in one paragraph: each configuration held, violated or bounded, what was not
    reached, and where a later configuration's deviation is."""
    entries = sweep["configurations"]
    texts = [steps[e["index"] - 1].text() for e in entries]
    held = [t for t, e in zip(texts, entries, strict=True) if e["status"] == "held"]
    parts = []
    if held:
        parts.append(f"held for {', '.join(held)} (exhaustive)")
    for t, e in zip(texts, entries, strict=True):
        if e["status"] == "violated":
            parts.append(f"{t}: VIOLATED ({', '.join(e['violated'])}) in {e['states']:,} states")
        elif e["status"] == "bounded":
            parts.append(f"{t}: bounded at {e['seconds']:.1f} s ({e['stopped_by']}), {e['states']:,} states, "
                         "not a verification")
    missing = sweep["not_reached"]
    if missing and sweep["stopped_by"] != "violation":
        first = Step(tuple(missing[0]["ballots"]), missing[0]["crashes"]).text()
        parts.append(f"not reached: {first}" + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
    if sweep["stopped_by"] is None:
        parts.append("every configuration of the sweep was exhausted")
    head = f"SWEEP within --budget {sweep['budget']:g} s ({sweep['seconds']:.1f} s used): "
    text = head + "; ".join(parts) + "."
    if entries[0]["status"] == "bounded":
        why = entries[0]["stopped_by"]
        text += (" Not even the default bounds were exhausted: " + (
            "Ctrl-C stopped the sweep first." if why == "interrupted" else
            "give a larger --budget, or state bounds with the bound flags." if why == "budget" else
            "give a larger --time-limit (it caps the sweep), or state bounds with the bound flags." if why ==
            "time_limit" else
            f"their search stopped by {why}."))
    elif entries[0]["status"] == "held" and not any(e["status"] == "violated" for e in entries):
        text += " Exit 0: the default bounds were exhausted and held; the later configurations add to that."
    for t, e in zip(texts[1:], entries[1:], strict=True):
        if e["deviation"] and e["status"] != "violated":
            text += (f"\nWARNING: with {t} the node deviates from Paxos.tla (not counted in the exit code): "
                     f"paxos-check replay {out / e['run_dir'] / 'traces' / (DEVIATION + '.csv')}")
    return text


_SWEEP_DIR = re.compile(r"^[0-9]+$")


def _clear_old_sweep(out: FsPath, keep: str | None = None) -> None:
    """Remove the configuration directories an earlier sweep left in DIR/sweep/ (each holds a summary.json), so
    none of them passes for this run's; `keep`: the name of one this sweep wrote already."""
    folder = out / "sweep"
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.name != keep and _SWEEP_DIR.match(child.name) and child.is_dir() and \
                (child / "summary.json").is_file():
            shutil.rmtree(child)


def _copy_run_files(source: FsPath, out: FsPath) -> None:
    """The deciding configuration's traces and graph files, copied into the run directory (atomically each),
    so that DIR/traces/<property>.csv is what DIR/summary.json names."""
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_file() and rel.name != "summary.json" and not rel.name.startswith("."):
            atomic_write_bytes(out / rel, path.read_bytes())
