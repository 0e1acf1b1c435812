"""What a checking run found, as files: a trace CSV per violation or witness, and the summary of docs/formats.md.

Owns turning a SearchResult into the summary (statuses, trace paths, lengths, the deviation) and
spelling reduced paths out as real steps. It prints nothing and decides no exit code (verdicts.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path as FsPath
from typing import Any

from checker.errors import UsageError
from checker.fingerprint import fp_hex
from checker.model import Model, capabilities
from checker.models.reductions import Reductions
from checker.runs.build import check_config, deviation_mode
from checker.runs.request import RunRequest
from checker.search.common import Limits, Path, Progress, SearchResult, peak_rss_mb
from checker.traces.replay import explain_marked
from checker.traces.trace_csv import Trace, TraceStep, write_trace
from checker.watchdog import GRACE_SECONDS, HandlerHung
from paxos import NODE_ERROR, atomic_write_text
from paxos._summary import RunSummary, missing_fields, summary_text

#: The property whose failure is a deviation from Paxos.tla rather than by itself a safety violation.
DEVIATION = "refines_spec"
#: Deviation versus danger in two sentences; the report says the same (reports/_content.py, whose import
#: pulls in matplotlib, so the text is not imported from there: tests/test_deviation.py keeps them equal).
DEVIATION_VS_DANGER = (
    "A deviation is a step that is no step of Lamport's Paxos.tla (refines_spec fails) but keeps every conjunct "
    "of Paxos.tla's inductive invariant, the argument that makes Paxos safe: it is reported with its trace and "
    "reason, and by default it neither stops --stop-on-first nor sets the exit code. A state that breaks a "
    "conjunct (inv_*) or a safety property (agreement, validity, ...) is a violation, exit 1.")
#: What a random mode (simulate, fuzz) says of a property it checked and never saw fail.
NOT_VIOLATED = "not_violated"


def chosen_text(model: Model, state: Any) -> str:
    """The chosen value of a state for the graph ("" if none): the model's `chosen_text` hook if it has one."""
    fn = capabilities(model).chosen_text
    if fn is not None:
        return str(fn(state))
    return "chosen" if "sometimes_chosen" in model.witnessed(state) else ""


def real_path(model: Model, path: Path, prop: str | None) -> Path:
    """`path` as real steps of the unreduced model, for the trace of `prop` (the model's `spell_out`
    hook: reduced steps spelled out, learners' own steps appended). Other models: `path` itself."""
    spells = capabilities(model).spell_out
    if spells is None:
        return path
    return Path(path.initial, tuple(spells.spell_out(path.initial, path.steps, prop)))


def trace_of(model: Model, path: Path, prop: str | None, kind: str) -> Trace:
    """A counterexample or witness path as a trace of real steps (`real_path`); the property is
    marked on its last step."""
    path = real_path(model, path, prop)
    impl = getattr(getattr(model, "cfg", None), "impl", None)
    trace = Trace(model.kind, impl, dict(model.config()), prop,
                  initial_fingerprint=fp_hex(model.fingerprint(path.initial)))
    prev = path.initial
    detail_of = capabilities(model).step_detail
    for n, (action, state) in enumerate(path.steps, start=1):
        row = model.describe(prev, action, state)
        mark = prop if (prop and kind != "sometimes" and n == len(path.steps)) else ""
        detail = detail_of(prev, action) if mark and detail_of is not None else ""
        trace.steps.append(TraceStep(row, fp_hex(model.fingerprint(state)), mark or "", detail))
        prev = state
    if prop and kind == "sometimes" and trace.steps:
        last = trace.steps[-1]
        trace.steps[-1] = TraceStep(last.row, last.fingerprint, "", f"witness of {prop}")
    return trace


def _retrace(model: Model, prop: str, kind: str) -> Callable[[Path], Trace]:
    return lambda path: trace_of(model, path, prop, kind)


def summarize(model: Model, result: SearchResult, out: FsPath, request: RunRequest, bounds: Limits) -> dict[str, Any]:
    """The JSON summary of docs/formats.md; writes a trace per violation or witness."""
    config = dict(model.config())
    memory = bounds.max_memory_mb
    config.update(model=model.kind, max_states=request.max_states, max_depth=request.max_depth,
                  time_limit=request.time_limit, max_memory_mb=None if memory is None else round(memory),
                  seed=request.seed, workers=request.workers, symmetry=request.symmetry,
                  reductions=reduction_names(model))
    props = []
    random_mode_done = request.command == "simulate" and result.stopped_by is None
    for p in result.properties:
        # a random mode that ran every walk asked of it: what never failed is "not violated" (not a proof)
        status = NOT_VIOLATED if random_mode_done and p.status == "unknown" and p.kind != "sometimes" else p.status
        entry: dict[str, Any] = {"name": p.name, "kind": p.kind, "status": status, "trace": None}
        if p.path is not None:
            rel = f"traces/{p.name}.csv"
            trace = trace_of(model, p.path, p.name, p.kind)
            if request.minimize and p.kind != "sometimes":  # simulate: delta debugging
                from checker.runs.shorten import shorten

                trace, entry["found_length"] = shorten(model, p.path, p.name, trace,
                                                       _retrace(model, p.name, p.kind))
            elif p.kind != "sometimes" and len(trace.steps) > len(p.path):
                # explore under reductions: the real spelling of the reduced graph's shortest path can
                # carry steps the violation does not need (which inert deliveries, where a crash falls)
                from checker.runs.shorten import minimized

                spelled = len(trace.steps)
                trace = minimized(trace)
                if len(trace.steps) < spelled:
                    entry["spelled_length"] = spelled
            if p.kind != "sometimes":
                trace = explain_marked(trace)  # why it fails, in the protocol's words (properties/explain.py)
            write_trace(out / rel, trace)
            entry["trace"] = rel
            entry["witness_length" if p.kind == "sometimes" else "length"] = len(trace.steps)
            if len(trace.steps) != len(p.path):  # shortest in the reduced graph, not necessarily of real traces
                entry["reduced_length"] = len(p.path)
            if trace.steps and trace.steps[-1].detail:
                entry["detail"] = trace.steps[-1].detail
        props.append(entry)
    summary: dict[str, Any] = {"version": 1, "command": request.command, "config": config, "model": model.kind,
                               "run_dir": str(out.resolve())}
    summary.update(result.summary_fields())
    coverage = summary.get("coverage") or {}
    extra = capabilities(model).coverage_summary
    if extra is not None:
        coverage.update(extra())
    summary["coverage"] = coverage
    summary.update(properties=props, proofs=None, graph=None, bytes_per_state=result.bytes_per_state,
                   collision_probability=result.collision_probability)
    summary["deviation"] = deviation_of(summary, deviation_mode(request))
    return summary


def write_summary(summary: Mapping[str, Any], out: FsPath | None, json_path: str | os.PathLike[str] | None, *,
                  run_dir: bool = True) -> None:
    """Write a summary to `out`/summary.json (if `out`) and to `--json` (if given), atomically: the one writer
    of every subcommand's summary. A run summary (docs/formats.md) gets `run_dir` (the absolute run
    directory) unless `run_dir=False`. A file that cannot be written (a full disk) is a UsageError naming
    it, after the other one was tried, so what can be written is."""
    if "properties" in summary and "config" in summary:  # a run summary (validate's verdicts are another shape)
        missing = missing_fields(summary)
        if missing:
            raise ValueError(f"a run summary lacks {', '.join(missing)} (paxos/_summary.py RunSummary)")
    if run_dir and out is not None and "run_dir" not in summary:
        summary = {**summary, "run_dir": str(out.resolve())}
    text = summary_text(summary)
    failed = []
    for path in (None if out is None else out / "summary.json", json_path):
        if path:
            try:
                atomic_write_text(path, text)
            except OSError as exc:
                failed.append(f"{path} ({exc.strerror or exc})")
    if failed:
        where = f"; the traces written are in {out}" if run_dir and out is not None else \
            "; choose another --json/--out path"
        raise UsageError(f"could not write {' and '.join(failed)}{where}")


def deviation_of(summary: dict[str, Any], mode: str) -> dict[str, Any] | None:
    """The summary's `deviation` (docs/formats.md): null unless refines_spec failed; else whether it is the
    only failure (a harmless deviation: every conjunct of the inductive invariant and every safety property
    held in the states explored, at the deviating step too), the step, its reason, the mode (`warn`: not
    counted in the exit code; `error`) and one plain sentence."""
    ref = next((p for p in summary["properties"] if p["name"] == DEVIATION and p["status"] == "violated"), None)
    if ref is None:
        return None
    unsafe = [p["name"] for p in summary["properties"]
              if p["status"] == "violated" and p["kind"] != "sometimes" and p["name"] != DEVIATION]
    step = ref.get("length")
    where = f" at step {step}" if step else ""
    reason = ref.get("detail") or ""
    why = f" ({reason})" if reason else ""
    if unsafe:
        text = (f"the node deviates from Paxos.tla{where}{why}, and it is dangerous: "
                f"{', '.join(unsafe)} fail{'s' if len(unsafe) == 1 else ''}")
    else:
        stopped = summary.get("stopped_by")
        scope = f"in the {summary['states']:,} states explored"
        if stopped == "violation":
            scope += " before --stop-on-first ended the search there"
        elif stopped is not None:
            scope += f" before the search stopped ({stopped})"
        text = (f"the node deviates from Paxos.tla{where}{why}; the safety argument still holds: every conjunct "
                f"of Paxos.tla's inductive invariant and every safety property held {scope}, the deviating step "
                "included")
        if stopped == "violation" and mode != "warn":
            text += "; drop --deviation error to keep searching for safety violations past the deviation"
    return {"property": DEVIATION, "only": not unsafe, "step": step, "mode": mode, "reason": reason, "text": text}


def stopped_in_handler_summary(request: RunRequest, model: Model | None, out: FsPath, bounds: Limits,
                               hung: HandlerHung, last: Progress | None, started: float) -> RunSummary:
    """The summary of a run a node method stopped at the time limit: bounded, every verdict unknown."""
    from checker.user_properties import run_properties

    config = dict(model.config()) if model is not None else check_config(request.cluster).to_json()
    memory = bounds.max_memory_mb
    config.update(model="impl", max_states=request.max_states, max_depth=request.max_depth,
                  time_limit=request.time_limit, max_memory_mb=None if memory is None else round(memory),
                  seed=request.seed or 0, workers=request.workers, symmetry=request.symmetry)
    names = [(p.name, p.kind) for p in run_properties(check_config(request.cluster))] + [("refines_spec", "step"),
                                                                                         (NODE_ERROR, "step")]
    return {
        "version": 1, "command": request.command, "config": config, "model": "impl", "strategy": request.strategy,
        "exhaustive": False, "stopped_by": "time_limit",
        "states": last.states if last else 0, "transitions": 0, "depth": last.depth if last else 0,
        "seconds": round(time.monotonic() - started, 3), "peak_rss_mb": round(peak_rss_mb(), 1),
        "states_per_depth": [], "coverage": {}, "symmetry_reduction": None,
        "properties": [{"name": n, "kind": k, "status": "unknown", "trace": None} for n, k in names],
        "proofs": None, "graph": None, "run_dir": str(out.resolve()),
        "error": f"{hung}; stopped {GRACE_SECONDS:g} s after the time limit",
    }


def reduction_names(model: Model) -> list[str]:
    active = getattr(model, "reductions", None)
    return active.names() if isinstance(active, Reductions) else []
