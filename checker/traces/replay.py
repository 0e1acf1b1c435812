"""Re-executing a trace step by step: against the reference cluster (impl) or the Spec model (spec).

Owns the meaning of "this trace reproduces": each row must name an action
enabled at that point, and the properties are judged after every step
exactly as the explorer judges them (the functions of `properties/`). Used
by `paxos-check replay`, `minimize` and the tests. Prints nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from checker.config import CheckConfig, load_factory
from checker.errors import UsageError
from checker.fingerprint import fp_hex
from checker.inputs import MAX_ACCEPTORS, MAX_LEARNERS, MAX_PROPOSERS, MAX_VALUES, check_size
from checker.model import StepRow
from checker.models.impl_steps import action_row, find_action, row_key, step_cluster, world_fingerprint
from checker.traces.trace_csv import Trace, TraceStep
from checker.user_properties import run_properties
from paxos import NODE_ERROR, Cluster, NodeFactory, NodeFault
from properties.explain import EXPLAINED, StepView, explain
from properties.invariants import failing, failing_steps, view_of_cluster
from properties.refinement import Refinement


class ImpossibleStep(Exception):
    """Row `index` (0-based) names no action enabled at that point."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index


@dataclass
class ReplayOutcome:
    """What replaying rows gave: the steps as re-executed, and the first violation (step number, property)."""

    steps: list[TraceStep] = field(default_factory=list)
    initial_fingerprint: str = ""
    violation: tuple[int, str, str] | None = None  # the first: (1-based step, property, reason)
    violations: list[tuple[int, str, str]] = field(default_factory=list)  # each property's first failure
    mismatched_fingerprints: list[int] = field(default_factory=list)


class Replayer(Protocol):
    def run(
        self, rows: Sequence[StepRow], expected: Sequence[str] = (), stop_at_violation: bool = True,
        on_state: Callable[[Any], None] | None = None,
    ) -> ReplayOutcome:
        """Replay `rows`; raise ImpossibleStep for a row naming no enabled action. `on_state` sees the
        initial state and the state after each step (a `paxos.Cluster`, or the model's state)."""


class ImplReplayer:
    """Replays implementation traces on a fresh `paxos.Cluster` built from the trace's configuration."""

    def __init__(self, config: CheckConfig, factory: NodeFactory | None = None, refinement: bool = True,
                 legacy: bool = False) -> None:
        self.config = config
        self.legacy = legacy  # rows and fingerprints of a trace_version 1 trace (Nacks without their phase)
        self.factory = factory if factory is not None else load_factory(config.impl)
        ref = Refinement(config.cluster_config(), config.value_names(), config.max_ballots) if refinement else None
        self.refinement = ref if ref is not None and ref.applicable else None
        self.props = run_properties(config)  # the built-ins and the trace's own --property ones

    def run(
        self, rows: Sequence[StepRow], expected: Sequence[str] = (), stop_at_violation: bool = True,
        on_state: Callable[[Cluster], None] | None = None,
    ) -> ReplayOutcome:
        """Replay `rows`; `on_state(cluster)` sees the initial state and the state after each step
        (not after a node fault: the node's state is undefined then)."""
        cluster = self.config.new_cluster(self.factory)
        try:
            fp = world_fingerprint(cluster, self.legacy)
        except NodeFault as fault:
            raise UsageError(f"--impl {self.config.impl}: {fault}, before any step; fix the node's snapshot()"
                             ) from None
        out = ReplayOutcome(initial_fingerprint=fp)
        if on_state is not None:
            on_state(cluster)
        values = self.config.value_names()
        for i, row in enumerate(rows):
            action = find_action(cluster, row, values, self.legacy)
            if action is None:
                raise ImpossibleStep(i, f"{row.event} {' '.join(x for x in row_key(row)[1:] if x)} is not enabled here")
            before_view, before_sent, before_fp = view_of_cluster(cluster), frozenset(cluster.sent), fp
            try:
                new_row = step_cluster(cluster, action)
                fp = world_fingerprint(cluster, self.legacy)
            except NodeFault as fault:
                # the node's state after a fault is undefined: the step is recorded as changing
                # nothing (the state before it, its fingerprint), and the replay ends there
                if i < len(expected) and expected[i] and expected[i] != before_fp:
                    out.mismatched_fingerprints.append(i + 1)
                fresh = _record(out, i + 1, [(NODE_ERROR, str(fault))])
                out.steps.append(TraceStep(action_row(action, ""), before_fp, fresh[0] if fresh else "", str(fault)))
                break
            if i < len(expected) and expected[i] and expected[i] != fp:
                out.mismatched_fingerprints.append(i + 1)
            if on_state is not None:
                on_state(cluster)
            after_view = view_of_cluster(cluster)
            broken = failing(after_view, "always", self.props) + failing_steps(before_view, after_view, self.props)
            ref = self.refinement
            if ref is not None and ref.explain(ref.abstract(dict(before_view.acceptors), before_sent),
                                               ref.abstract(dict(after_view.acceptors), cluster.sent)) is None:
                broken.append(("refines_spec", "this step is no step of the Spec (nor a stutter)"))
            if broken:  # why, in the words of the protocol (properties/explain.py)
                step = StepView(before_view, after_view, before_sent, frozenset(cluster.sent))
                broken = [(name, explain(name, step).text() if name in EXPLAINED else why) for name, why in broken]
            fresh = _record(out, i + 1, broken)
            out.steps.append(TraceStep(new_row, fp, fresh[0] if fresh else ""))
            if broken and stop_at_violation:
                break
        return out

class ModelReplayer:
    """Replays traces of a model (the Spec) by matching each row against the model's successors."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def run(
        self, rows: Sequence[StepRow], expected: Sequence[str] = (), stop_at_violation: bool = True,
        on_state: Callable[[Any], None] | None = None,
    ) -> ReplayOutcome:
        model = self.model
        (state,) = tuple(model.initial_states())[:1]
        out = ReplayOutcome(initial_fingerprint=fp_hex(model.fingerprint(state)))
        if on_state is not None:
            on_state(state)
        for i, row in enumerate(rows):
            match = None
            for action, succ in model.successors(state):
                described = model.describe(state, action, succ)
                if row_key(described) == row_key(row):
                    match = (action, succ, described)
                    break
            if match is None:
                raise ImpossibleStep(i, f"{row.event} {' '.join(x for x in row_key(row)[1:] if x)} is not enabled here")
            action, succ, described = match
            broken = [(p, "") for p in (*model.violated(succ), *model.step_violated(state, action, succ))]
            fp = fp_hex(model.fingerprint(succ))
            if i < len(expected) and expected[i] and expected[i] != fp:
                out.mismatched_fingerprints.append(i + 1)
            fresh = _record(out, i + 1, broken)
            out.steps.append(TraceStep(described, fp, fresh[0] if fresh else ""))
            state = succ
            if on_state is not None:
                on_state(state)
            if broken and stop_at_violation:
                break
        return out


def _record(out: ReplayOutcome, step: int, broken: list[tuple[str, str]]) -> list[str]:
    """Note each property's first failure; return the names failing here for the first time."""
    seen = {name for _, name, _ in out.violations}
    fresh = []
    for name, reason in broken:
        if name not in seen:
            seen.add(name)
            fresh.append(name)
            out.violations.append((step, name, reason))
    if out.violation is None and out.violations:
        out.violation = out.violations[0]
    return fresh


def replayer_for(trace: Trace, impl: str | None = None) -> Replayer:
    """The replayer of a trace's model, with its own configuration (and optionally another implementation)."""
    if trace.model == "impl":
        try:
            config = CheckConfig.from_json(trace.config)
        except TypeError as exc:
            raise UsageError(f"the trace's configuration is not valid: {exc}") from None
        if impl is not None:
            config = CheckConfig.from_json({**config.to_json(), "impl": impl})
        for flag, value, largest in (("acceptors", config.acceptors, MAX_ACCEPTORS),
                                     ("proposers", config.proposers, MAX_PROPOSERS),
                                     ("learners", config.learners, MAX_LEARNERS),
                                     ("values", config.values, MAX_VALUES)):
            check_size(f"the trace's {flag}", value, largest)
        return ImplReplayer(config, legacy=trace.version < 2)
    if impl is not None:
        raise UsageError("--impl applies to implementation traces; this is a trace of the Spec")
    from checker.models.spec_model import SpecModel
    from properties.spec import SpecConfig

    cfg = dict(trace.config)
    bug = cfg.pop("bug", None)
    try:
        quorums = cfg.get("quorums")
        spec_cfg = SpecConfig(int(cfg["acceptors"]), int(cfg["ballots"]), _values(cfg["values"]),
                              tuple(frozenset(q) for q in quorums) if quorums else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"the trace's Spec configuration is not valid: {exc}") from None
    return ModelReplayer(SpecModel(spec_cfg, bug=bug))


def _values(v: Any) -> int | tuple[Any, ...]:
    return tuple(v) if isinstance(v, list) else int(v)


def explain_marked(trace: Trace, force: bool = False) -> Trace:
    """`trace` with why its property fails (properties/explain.py) in the detail of its marked step, when that
    detail is empty (or, with `force`, whatever it says, unless it is a node fault): the trace is replayed on
    the reference cluster. Unchanged for a Spec trace, or one that does not replay to the same failure."""
    marked = next((n for n, s in enumerate(trace.steps) if s.property), None)
    if trace.model != "impl" or marked is None:
        return trace
    if trace.steps[marked].detail and (not force or trace.steps[marked].property == NODE_ERROR):
        return trace
    prop = trace.steps[marked].property
    try:
        outcome = replayer_for(trace).run([s.row for s in trace.steps], stop_at_violation=False)
    except (ImpossibleStep, UsageError):
        return trace
    why = next((r for n, name, r in outcome.violations if name == prop and n == marked + 1), "")
    if not why:
        return trace
    steps = list(trace.steps)
    old = steps[marked]
    steps[marked] = TraceStep(old.row, old.fingerprint, old.property, why)
    return Trace(trace.model, trace.impl, trace.config, trace.property, steps, trace.initial_fingerprint,
                 trace.version)
