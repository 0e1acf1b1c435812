"""One checking run of `explore` and `simulate`, in order: check the request, build the model, search,
write the run directory, print the verdicts, return the exit code.

Owns that order only: the checks and the model are build.py's, the files summarize.py's, the words
and exit code verdicts.py's, the searches checker/search/'s. It reads a `RunRequest`, never flags.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path as FsPath
from typing import Any

from checker.errors import UsageError
from checker.model import Model
from checker.models.contract import check_node_contract
from checker.models.reductions import LearnersNotApart
from checker.runs import node_checks
from checker.runs.amnesia import crash_amnesia_note
from checker.runs.build import DEFAULT_GRAPH_LIMIT, build_model, check_against_model, check_config, check_request
from checker.runs.request import RunRequest
from checker.runs.summarize import chosen_text, stopped_in_handler_summary, summarize, trace_of, write_summary
from checker.runs.verdicts import announce, exit_code, print_verdicts
from checker.search.common import Limits, Progress, SearchResult, judge_last_steps, state_key_fn
from checker.search.strategies import strategy_function
from checker.signals import ctrl_c_stops_search, handler_watchdog
from checker.user_properties import check_user_properties
from checker.watchdog import GRACE_SECONDS, HandlerHung

#: Called after the search with what it found, before the summary is written (simulate --coverage).
AfterSearch = Callable[[Model, SearchResult, dict[str, Any], FsPath], None]


def execute(request: RunRequest, after_search: AfterSearch | None = None, **extra: Any) -> int:
    """Run one search as the request says; write the run directory; print verdicts; return the exit code.

    Everything the user gave is checked first (output paths, flags, sizes, the node contract),
    so a bad input costs no search. A node handler still running at `--time-limit` ends the
    run as bounded (`_stopped_in_handler`). `extra`: more SearchOptions fields (walks, scale).
    """
    outcome = run_once(request, after_search, **extra)
    if request.report and not outcome.hung:
        render(outcome.out)
    return finish(outcome.summary, outcome.out, extra.get("walks"))


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One run's result as written to its run directory: the summary, the directory, and whether a node
    handler still running at the time limit ended it (`hung`: no report is rendered of such a run)."""

    summary: dict[str, Any]
    out: FsPath
    hung: bool = False


def run_once(request: RunRequest, after_search: AfterSearch | None = None, checked: Callable[[], None] | None = None,
             **extra: Any) -> Outcome:
    """The run of `execute` up to its files: checks, model, search, summary.json and traces written; no
    verdict printed, no report rendered (checker/runs/sweep.py runs several of these). `checked` is called
    once the user's node and properties passed their checks, before the model is built."""
    out = FsPath(request.out)  # absolute, resolved once: a node or property may chdir
    bounds = check_request(request)
    started = time.monotonic()
    last: list[Progress] = []
    model: Model | None = None
    with handler_watchdog(request.time_limit):
        try:
            check_inputs(request)
            if checked is not None:
                checked()
            model = build_model(request)
            try:
                return Outcome(_search(request, model, out, bounds, last, started, after_search, extra), out)
            except LearnersNotApart as why:  # the reduction does not apply to this node: search without it
                print(f"paxos-check: {why}, so learners-apart does not apply; searching again without it",
                      flush=True)
                request = dataclasses.replace(request, no_learners_apart=True)
                model = build_model(request)
                if bounds.time_limit is not None:  # the run's limit: this search gets what the first one left
                    left = bounds.time_limit - (time.monotonic() - started)
                    bounds = dataclasses.replace(bounds, time_limit=max(left, 0.001))
                summary = _search(request, model, out, bounds, last, time.monotonic(), after_search, extra)
                return Outcome(summary, out)
        except HandlerHung as hung:
            return Outcome(_stopped_in_handler(request, model, out, bounds, hung, last, started), out, hung=True)


def check_inputs(request: RunRequest) -> None:
    """The user's code, checked before any search: the node contract and the --property functions (a
    UsageError, exit 2, if wrong). Runs node code: under the --time-limit watchdog (`handler_watchdog`)."""
    if request.model == "impl":
        check_node_contract(check_config(request.cluster))
        check_user_properties(check_config(request.cluster))
        if request.symmetry and request.cluster.properties:
            raise UsageError("--symmetry assumes every property treats acceptors alike, which a user's "
                             "--property need not do; drop --symmetry or the --property")


def render(out: FsPath) -> None:
    """report.md and report.html of the run directory `out` (--report)."""
    from checker.traces.states import write_run_states
    from reports import render_report

    write_run_states(out)  # the full state at every step, for the report's state view
    render_report(out)


def finish(summary: dict[str, Any], out: FsPath, walks: int | None = None) -> int:
    """The verdicts of a written run, printed, and its exit code."""
    print_verdicts(summary, out, walks)
    note = crash_amnesia_note(summary, out)  # the first violation is a crash wiping unpersisted state?
    if note:
        print(note)
    return exit_code(summary)


def _search(request: RunRequest, model: Model, out: FsPath, bounds: Limits, last: list[Progress], started: float,
            after_search: AfterSearch | None, extra: dict[str, Any]) -> dict[str, Any]:
    from checker.search.common import SearchOptions

    check_against_model(request, model)
    recorder = None
    if request.graph:
        from checker.traces.graph import GraphRecorder

        recorder = GraphRecorder(request.graph_limit or DEFAULT_GRAPH_LIMIT)
        graph_key = state_key_fn(model, request.symmetry)  # before initial_states: it may change the model's keys
    show = _progress_printer(not request.quiet and sys.stderr.isatty())

    def progress(p: Progress) -> None:
        last[:] = [p]
        if show is not None:
            show(p)

    checks = node_checks.NodeChecks(request, model, resumed=bool(extra.get("resume")))  # node_checks.py
    options = SearchOptions(
        limits=bounds, stop_on_first_violation=request.stop_on_first, symmetry=request.symmetry,
        progress=checks.sampling(progress),
        on_transition=recorder.transition_hook(model, lambda s: chosen_text(model, s), model.initial_states(),
                                               graph_key)
        if recorder is not None else None,
        coverage=True, seed=request.seed or 0, workers=request.workers, engine=request.engine,
        node_transitions=checks.gathers, **extra,
    )
    announce(model, request.strategy)
    if request.strategy == "bfs":
        from checker.search.bfs import engine_refusal

        why = engine_refusal(model, options)
        if why is not None:  # the run says which engine judged it (docs/engines.md)
            print(f"paxos-check: the Python engine runs this search; the compiled engine does not apply: {why}",
                  flush=True)
    with ctrl_c_stops_search():  # Ctrl-C: the search stops and what it found is written, whole
        result = judge_last_steps(model, strategy_function(request.strategy)(model, options))
        if show is not None:
            sys.stderr.write("\n")
        checks.after_search()
        summary = summarize(model, result, out, request, options.limits)
        checks.add_to(summary, out, result, trace_of, options)
        if recorder is not None:
            summary["graph"] = recorder.write(out, exhaustive=bool(summary.get("exhaustive")))
            if recorder.capped:
                print(f"paxos-check: --graph kept the first {recorder.states:,} states of the graph "
                      f"(--graph-limit {recorder.limit:,}); the search went on and the report says the graph is "
                      "partial", flush=True)
        summary["seconds"] = round(max(result.seconds, time.monotonic() - started), 3)
        if after_search is not None:  # simulate --coverage: the coverage report
            after_search(model, result, summary, out)
        write_summary(summary, out, request.json)
    return summary


def _stopped_in_handler(request: RunRequest, model: Model | None, out: FsPath, bounds: Limits, hung: HandlerHung,
                        last: list[Progress], started: float) -> dict[str, Any]:
    """A node method was still running at the time limit: a bounded run; write what is known of it."""
    summary = stopped_in_handler_summary(request, model, out, bounds, hung, last[0] if last else None, started)
    write_summary(summary, out, request.json)
    print(f"STOPPED: {hung}, {GRACE_SECONDS:g} s after --time-limit {request.time_limit:g}: that code may loop "
          "forever on this input (or be slow); the run is bounded, not a verification")
    return dict(summary)


def _progress_printer(enabled: bool) -> Callable[[Progress], None] | None:
    if not enabled:
        return None

    def show(p: Progress) -> None:
        sys.stderr.write(f"\r  {p.states:>10,} states  frontier {p.frontier:>9,}  depth {p.depth:>3}  "
                         f"{p.states_per_sec:>9,.0f} states/s  {p.seconds:6.1f}s ")
        sys.stderr.flush()

    return show
