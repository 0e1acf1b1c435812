"""The node checks of an implementation run, on by default: hash-order independence of every node transition
(checker/models/hash_order.py; also on samples during a long search) and snapshot fidelity along the explored
graph (checker/models/fidelity.py). Owns when they run (their flags are checker/cli/flags.py's) and what
they add to the summary (the `hash_order` property and its trace, `hash_seed`, `node_checks`).
Does not search the state space itself except for the shortest trace to a hash-order finding.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path as FsPath
from typing import Any

from checker.hashseed import current_hash_seed
from checker.model import Model
from checker.runs.request import RunRequest
from checker.search.common import Limits, Path, Progress, SearchOptions, SearchResult
from checker.signals import cancel_alarm
from checker.traces.trace_csv import Trace, write_trace

#: During a search: every this many seconds, compare up to SAMPLE_SIZE new transitions (a long search that
#: is stopped still has most of its transitions checked; the rest are checked after it).
SAMPLE_EVERY = 60.0
SAMPLE_SIZE = 20_000
#: The search for the shortest trace to a hash-order finding gets at least this long (or twice the search's).
TRACE_SECONDS = 60.0


class NodeChecks:
    """The checks one run does; `model` is any model (only an implementation model in one process is checked)."""

    def __init__(self, request: RunRequest, model: Model, resumed: bool = False) -> None:
        """`resumed`: the search continues a checkpoint, so this process saw only the transitions after it."""
        self.model: Any = model
        self.resumed = resumed
        self.applies = hasattr(model, "node_transitions")
        self.strategy = request.strategy
        #: a BFS over worker processes: they send their node transitions to this process's model at the end
        wanted = not (request.no_hash_order_check and request.no_fidelity_check)
        self.gathers = (self.applies and wanted and request.workers > 1 and request.strategy == "bfs"
                        and request.ray is None)
        # checks turned off are "off" whatever ran the search (not "not checked", as if they had been asked for)
        in_process = self.applies and request.ray is None and (request.workers == 1 or self.gathers or not wanted)
        self.why_not = None if in_process or not self.applies else (
            "not checked: the search ran on Ray actors (--cluster), whose node steps stay there"
            if request.ray is not None else
            f"not checked: over --workers > 1 only a BFS brings its node steps back (this was {request.strategy})")
        self.hash = None
        if in_process and not request.no_hash_order_check:
            from checker.models.hash_order import HashOrderCheck

            self.hash = HashOrderCheck()
        self.fidelity_on = in_process and not request.no_fidelity_check
        self.fidelity: dict[str, Any] | None = None
        self.seconds = 0.0
        self._next_sample = time.monotonic() + SAMPLE_EVERY

    def sampling(self, progress: Callable[[Progress], None]) -> Callable[[Progress], None]:
        """`progress`, also comparing a sample of new transitions every SAMPLE_EVERY seconds."""
        if self.hash is None:
            return progress

        def hook(p: Progress) -> None:
            progress(p)
            if time.monotonic() >= self._next_sample and self.hash is not None:
                started = time.monotonic()
                self.hash.run(self.model, limit=SAMPLE_SIZE)
                self.seconds += time.monotonic() - started
                self._next_sample = time.monotonic() + SAMPLE_EVERY
        return hook

    def after_search(self) -> None:
        """Fidelity first (a lossy snapshot refuses the node: UsageError, exit 2), then the hash seeds."""
        started = time.monotonic()
        if self.gathers and not getattr(self.model, "gathered_from_workers", False):
            # the workers' transitions never came back (Ctrl-C stops them unasked): the checks would see a part
            self.why_not = "not checked: the search over --workers stopped before its workers sent their node steps"
            self.hash, self.fidelity_on = None, False
        if self.fidelity_on:
            # --time-limit's watchdog (checker/signals.py) watched the search: these re-runs of transitions that
            # returned once come after the limit by design, so it must not take them for a hung handler
            cancel_alarm()
        if self.fidelity_on:
            from checker.models.fidelity import check_fidelity

            self.fidelity = check_fidelity(self.model).summary()
        if self.hash is not None:
            self.hash.run(self.model)
        self.seconds += time.monotonic() - started

    def add_to(self, summary: dict[str, Any], out: FsPath, result: SearchResult,
               trace_of: Callable[[Any, Path, str | None, str], Trace], options: SearchOptions | None = None) -> None:
        """The summary's `hash_seed`, `result_depends_on_hash_seed`, `node_checks` and the `hash_order` property
        (with its trace when violated; else `no_trace`, one line saying why). `options`: the search's own,
        so that a random search's walks can be re-run to find the trace."""
        summary["hash_seed"] = current_hash_seed()
        if not self.applies:
            return
        from checker.models.hash_order import DESCRIPTION, HASH_ORDER

        checks: dict[str, Any] = {"seconds": round(self.seconds, 3)}
        checks["fidelity"] = self.fidelity if self.fidelity is not None else (self.why_not or "off")
        if self.hash is None:
            checks["hash_order"] = self.why_not or "off"
            summary["result_depends_on_hash_seed"] = None  # not known: not checked
            summary["node_checks"] = checks
            if self.why_not is not None:  # said, not silent: the verdict does not cover the node checks
                summary["properties"].append({"name": HASH_ORDER, "kind": "step", "status": "unknown", "trace": None,
                                              "description": DESCRIPTION})
                print(f"paxos-check: hash order and snapshot fidelity {self.why_not}; run with --workers 1 (or a "
                      "BFS over --workers N) to check them", flush=True)
            return
        checks["hash_order"] = self.hash.summary()
        if self.resumed:
            checks["partial"] = "resumed from a checkpoint: only the transitions computed after it were checked"
        status = self.hash.status(bool(summary.get("exhaustive")) and result.stopped_by is None and not self.resumed)
        if status == "unknown" and summary.get("command") == "simulate" and result.stopped_by is None \
                and self.hash.error is None:
            status = "not_violated"  # a random mode's word for "checked, never failed" (summarize.py's NOT_VIOLATED)
        # every transition this run used was compared (exhaustive or not): its result depends on the seed or not
        known = self.hash.error is None and (self.hash.findings or not self.resumed)
        summary["result_depends_on_hash_seed"] = bool(self.hash.findings) if known else None
        entry: dict[str, Any] = {"name": HASH_ORDER, "kind": "step", "status": status, "trace": None,
                                 "description": DESCRIPTION}
        if self.hash.findings:
            entry["detail"] = self.hash.findings[0].text()
            found, why = self._trace(result, trace_of, options)
            if found is not None:
                rel = f"traces/{HASH_ORDER}.csv"
                write_trace(out / rel, found)
                entry.update(trace=rel, length=len(found.steps), detail=found.steps[-1].detail or entry["detail"])
            else:
                entry["no_trace"] = why
        summary["properties"].append(entry)
        summary["node_checks"] = checks

    def _trace(self, result: SearchResult, trace_of: Callable[[Any, Path, str | None, str], Trace],
               options: SearchOptions | None) -> tuple[Trace | None, str]:
        """A trace to a step that takes a transition found to differ, else None and why, in one line.

        A BFS of the model as searched (its caches are warm) gives the shortest; after a random search (whose
        findings may lie deeper than a BFS gets in its time) the same walks are first re-run on the marked
        model, with the same seed: they meet the same states again, and the path to the first that has such
        a step enabled is then shortened. Last, a BFS of the unreduced model (a learner kept apart)."""
        from checker.models.hash_order import ENABLED, HASH_ORDER, MarkedModel
        from checker.search.bfs import bfs
        from checker.search.strategies import strategy_function

        assert self.hash is not None
        seconds = max(TRACE_SECONDS, 2 * result.seconds)
        limits = Limits(time_limit=seconds)
        tried: list[str] = []
        if self.strategy != "bfs" and options is not None and not options.resume:
            marked = MarkedModel(self.model, self.hash.findings, by_state=True)
            again = dataclasses.replace(
                options, limits=dataclasses.replace(options.limits, time_limit=seconds), progress=None,
                on_transition=None, coverage=False, stop_on_first_violation=True, workers=1, checkpoint=None)
            found = strategy_function(self.strategy)(marked, again)
            walked = found.prop(ENABLED).path
            if walked is not None:
                last = marked.marked_step(walked.last)
                assert last is not None
                from checker.search.shortcut import shortest

                plain = MarkedModel(self.model, self.hash.findings)
                path = shortest(plain, Path(walked.initial, (*walked.steps, last)), HASH_ORDER)
                return self._written(plain, path, trace_of), ""
            tried.append(f"the same {self.strategy} search again ({found.states:,} states"
                         f"{', stopped by ' + str(found.stopped_by) if found.stopped_by else ''})")
        for unreduced in (False, True):  # the model as searched (fast: its caches are warm), else unreduced
            marked = MarkedModel(self.model, self.hash.findings, unreduced=unreduced)
            found = bfs(marked, SearchOptions(limits=limits, stop_on_first_violation=True))
            shortest_path = found.prop(HASH_ORDER).path
            if shortest_path is not None:
                return self._written(marked, shortest_path, trace_of), ""
            tried.append(f"a BFS of the {'unreduced' if unreduced else 'searched'} model ({found.states:,} states, "
                         + (f"stopped by {found.stopped_by}" if found.stopped_by else "exhaustive") + ")")
        return None, ("no trace: no path to such a step was found by " + " nor ".join(tried)
                      + f", each given {seconds:g} s; the step is reachable (the search computed it while expanding a "
                      "reached state): an exhaustive explore of these bounds traces it")

    @staticmethod
    def _written(marked: Any, path: Path, trace_of: Callable[[Any, Path, str | None, str], Trace]) -> Trace:
        """The trace of `path` (its last step takes a finding's transition), with that finding's words and seed."""
        from checker.models.hash_order import HASH_ORDER

        trace = trace_of(marked, path, HASH_ORDER, "step")
        finding = marked.last_finding(path.initial, path.steps)
        if finding is not None:
            trace.other_seed = finding.seed_there
            if trace.steps:
                last = trace.steps[-1]
                trace.steps[-1] = dataclasses.replace(last, detail=finding.text())
        return trace
