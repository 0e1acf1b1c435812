"""Hypothesis stateful fuzzing of any node implementation over `paxos.Cluster`, guided toward new worlds.

Owns the state machine (one rule that draws one of the offered actions; the named properties of
`properties/` as invariants), the settings profiles, and turning a failure into
a trace CSV (written, then shortened with `checker.traces.minimize` when present). It
defines no property and never reports a run as a proof: it is a bounded random search.

Fuzz your own node with one line in a test file (pytest collects the TestCase)::

    TestMyNode = paxos_state_machine(CheckConfig(impl="mypkg.node:make")).TestCase

Profiles `default` (fast local), `ci` (derandomized, bigger) and `nightly` (large) are
chosen with `HYPOTHESIS_PROFILE` or `profile=`; a failure is written to
`$PAXOS_FUZZ_OUT/traces/<property>.csv` (default `.paxos-check/fuzz`), replayable with
`paxos-check replay`.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.control import current_build_context
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from checker.config import CheckConfig, load_factory
from checker.errors import UsageError
from checker.models.impl_steps import EVENT_OF, action_row, step_cluster, world_fingerprint
from checker.runs.fuzz_guidance import Guide, Memory, delays
from checker.runs.summarize import DEVIATION
from checker.signals import TimeUp, ctrl_c_sticks, deadline, interrupt_requested
from checker.traces.replay import explain_marked
from checker.traces.text import format_steps
from checker.traces.trace_csv import Trace, TraceStep, write_trace
from checker.user_properties import run_properties
from paxos import NODE_ERROR, Action, Crash, Deliver, Envelope, NodeFactory, NodeFault, PaxosNode, Propose, Restart
from paxos._guard import Interrupted, checked_snapshot
from properties.invariants import failing, failing_steps, view_of_cluster
from properties.refinement import Refinement

#: Action kinds, one rule each. Proposals and deliveries are always on; each test case draws
#: which of the others it may use (swarm testing), so rare mixes of faults get tried.
KINDS: tuple[str, ...] = ("propose", "deliver", "drop", "duplicate", "crash", "restart", "timeout")
CORE_KINDS = frozenset({"propose", "deliver"})
DEFAULT_OUT = ".paxos-check/fuzz"
#: Steps every case runs at least. Hypothesis ends a stateful case at each step with a tiny
#: probability, but its generator (mutating and splicing earlier cases) ends most of them within a
#: few steps: measured on volatile_ballot's configuration, 57% of 300 ci cases ran fewer than 10 actions,
#: too few for any bug deeper than that. Shrinking may still shorten a failing case below this.
MIN_STEPS = 40
#: With guidance, no swarm over the optional kinds: fault delay spaces them out instead. Measured on the
#: two 17-step catalog bugs, ci profile, seeds 1-3: without the swarm 6 of 6 runs found their bug (cases to
#: it: 1,818, 1,203, 1,984 for volatile_ballot; 755, 526, 3,666 for highest_promised_value); with it
#: volatile_ballot was missed in one of three (it needs a timeout, a crash and a redelivery, all three).
SWARM_WITH_GUIDANCE = False
#: With guidance, a crashed node restarts in the same rule (two trace rows): a down node can do nothing a
#: delay cannot and no property reads crash flags (checker/models/reductions.py, 4), so no violation is
#: lost, and a case does not spend steps waiting for the restart.
PROMPT_RESTART = True

_COMMON: dict[str, Any] = {"deadline": None, "suppress_health_check": list(HealthCheck), "print_blob": False}
#: Hypothesis's own shrinking of a stateful case costs 20-35 s on a catalog bug (thousands of
#: reruns) and ends where our delta debugging (`checker.traces.minimize`) ends in 0.1-2 s, so the fast
#: profiles skip it; `nightly` keeps it.
_NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
#: Settings per profile. Registered with Hypothesis as `paxos-<name>` (not under the plain names:
#: registering "default" or "ci" would change every other Hypothesis test in the process).
PROFILES: dict[str, settings] = {
    "default": settings(max_examples=200, stateful_step_count=50, phases=_NO_SHRINK, **_COMMON),
    "ci": settings(max_examples=10_000, stateful_step_count=50, derandomize=True, database=None, phases=_NO_SHRINK,
                   **_COMMON),
    "nightly": settings(max_examples=20_000, stateful_step_count=150, **_COMMON),
}
for _name, _profile in PROFILES.items():
    settings.register_profile(f"paxos-{_name}", _profile)


def profile_settings(name: str | None = None) -> settings:
    """The settings of profile `name` (default: $HYPOTHESIS_PROFILE if it names one of ours, else `default`)."""
    if name is None:
        env = os.environ.get("HYPOTHESIS_PROFILE", "default").removeprefix("paxos-")
        return PROFILES.get(env, PROFILES["default"])
    key = name.removeprefix("paxos-")
    if key not in PROFILES:
        raise UsageError(f"--profile {name!r}: unknown profile; use one of {', '.join(PROFILES)}")
    return PROFILES[key]


@dataclass
class FuzzFailure:
    """A property broken by a fuzzed run: the (shrunk, then minimized) trace and where it was written."""

    property: str
    reason: str
    trace: Trace
    path: Path | None
    shrunk_length: int  # steps of the failing case Hypothesis reported (shrunk unless the profile skips it)
    minimized: str  # "yes", or why not


@dataclass
class FuzzStats:
    """What a fuzzing run did, for progress lines and the JSON summary (`checker/cli/cmd_fuzz.py`)."""

    cases: int = 0
    steps: int = 0
    depth: int = 0
    distinct: set[int] = field(default_factory=set)
    states_per_depth: list[int] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    max_ballot: Any = None
    witness: list[Action] | None = None  # shortest case prefix seen in which a value was chosen
    witnesses: dict[str, list[Action]] = field(default_factory=dict)  # per `sometimes` property: its shortest
    #: Under `deviation="warn"`: the shortest case prefix whose last step deviated from Paxos.tla (refines_spec
    #: failed) and the reason; a deviation is reported, not a failure, unless a conjunct or safety property breaks.
    deviation: tuple[list[Action], str] | None = None
    on_case: Callable[[FuzzStats], None] | None = None

    def record(self, cluster: Any, action: Action, depth: int, sent: list[Any]) -> None:
        self.steps += 1
        self.depth = max(self.depth, depth)
        self.actions[EVENT_OF[type(action)]] += 1
        for env in sent:
            self.messages[type(env.msg).__name__] += 1
            if self.max_ballot is None or env.msg.bal > self.max_ballot:
                self.max_ballot = env.msg.bal
        key = hash(cluster.snapshot())
        if key not in self.distinct:
            self.distinct.add(key)
            while len(self.states_per_depth) <= depth:
                self.states_per_depth.append(0)
            self.states_per_depth[depth] += 1


def resolve_impl(config: CheckConfig, impl: str | NodeFactory | type | None) -> tuple[NodeFactory, str]:
    """The node factory and its `MODULE:FACTORY` name (recorded in traces) from a name or a callable."""
    if impl is None:
        impl = config.impl
    if isinstance(impl, str):
        return load_factory(impl), impl
    name = f"{getattr(impl, '__module__', '?')}:{getattr(impl, '__qualname__', repr(impl))}"
    if inspect.isclass(impl) and issubclass(impl, PaxosNode):
        cls = impl

        def factory(node_id: int, cluster_config: Any) -> Any:
            return cls(node_id, config=cluster_config)

        return factory, name
    if not callable(impl):
        raise UsageError(f"impl {impl!r} is neither MODULE:FACTORY nor a factory (node_id, config) -> node")
    return impl, name


def trace_of_actions(config: CheckConfig, factory: NodeFactory, actions: list[Action], prop: str | None,
                     detail: str = "") -> Trace:
    """Re-run `actions` on a fresh cluster and record them as a trace; `prop` marks the last step."""
    cluster = config.new_cluster(factory)
    fp = world_fingerprint(cluster)
    trace = Trace("impl", config.impl, config.to_json(), prop, initial_fingerprint=fp)
    for i, action in enumerate(actions, start=1):
        last = i == len(actions)
        try:
            row = step_cluster(cluster, action)
            fp = world_fingerprint(cluster)
        except NodeFault as fault:
            # a node fault ends the run: the step is recorded as changing nothing (docs/formats.md)
            trace.steps.append(TraceStep(action_row(action, ""), fp, NODE_ERROR, str(fault)))
            trace.property = NODE_ERROR
            break
        trace.steps.append(TraceStep(row, fp, (prop or "") if last else "", detail if last else ""))
    return trace


def format_trace(trace: Trace) -> str:
    """The steps of a trace as lines a person reads (the CSV is what a machine replays), messages whole."""
    return format_steps(trace)


def _is_final() -> bool:
    """True during Hypothesis's final replay of the shrunk failing case (or outside Hypothesis)."""
    try:
        return bool(current_build_context().is_final)
    except InvalidArgument:
        return True


class PaxosStateMachine(RuleBasedStateMachine):
    """What `paxos_state_machine` returns: a state machine class with its configuration and last failure."""

    failure: ClassVar[FuzzFailure | None] = None
    check_config: ClassVar[CheckConfig]


def paxos_state_machine(
    config: CheckConfig | None = None,
    impl: str | NodeFactory | type | None = None,
    *,
    profile: str | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    refinement: bool = True,
    minimize: bool = True,
    stats: FuzzStats | None = None,
    guidance: bool = True,
    deviation: str = "warn",
) -> type[PaxosStateMachine]:
    """A Hypothesis state machine fuzzing `impl` (default `config.impl`) within `config`'s bounds.

    With `guidance` (checker/runs/fuzz_guidance.py) each case draws when each fault kind may start,
    and each step draws a token and is offered only the options leading to worlds no earlier step
    reached, while there are any; a crash restarts the node in the same step. Without it (`--uniform`)
    each case draws its swarm (the optional action kinds it may use) and every enabled action is
    offered. After every
    step the `always` and `step` properties (and `refines_spec` unless `refinement=False`) are
    checked; as in explore (docs/deviation.md), a `refines_spec` failure is a failure only with
    `deviation="error"`: under `"warn"` (the default) the shortest deviating case is kept in
    `stats.deviation` and the case goes on. On the final, shrunk failure the case is written as a trace CSV to
    `out_dir/traces/<property>.csv`, minimized, and shown in the AssertionError; the class
    attribute `failure` holds it. `Machine.TestCase` runs it under unittest/pytest.
    """
    factory, impl_name = resolve_impl(config or CheckConfig(), impl)
    cfg = dataclasses.replace(config or CheckConfig(), impl=impl_name)
    cc = cfg.cluster_config()
    own_value = cfg.proposer_values()
    values = cfg.value_names()
    out = Path(out_dir if out_dir is not None else os.environ.get("PAXOS_FUZZ_OUT", DEFAULT_OUT))
    set_network = cfg.network == "set"
    prompt = guidance and PROMPT_RESTART
    ref = Refinement(cc, values, cfg.max_ballots) if refinement else None
    ref = ref if ref is not None and ref.applicable else None
    props = run_properties(cfg)  # the built-ins and the user's (--property)
    optional = sorted(k for k, ok in (
        ("timeout", cfg.max_ballots > 1), ("crash", cfg.crashes > 0), ("restart", cfg.crashes > 0 and not prompt),
        ("drop", cfg.network == "bag" and cfg.drops > 0),
        ("duplicate", set_network or cfg.duplicates > 0)) if ok)
    swarm: st.SearchStrategy[set[str]] = st.sets(st.sampled_from(optional)) if optional else st.just(set())
    memory = Memory()

    class PaxosMachine(PaxosStateMachine):
        """Paxos cluster fuzzing: one rule (`act`), properties checked after every step.

        One rule, not one per action kind: Hypothesis switches rules off per case (its own swarm
        testing), and a case whose deliveries or proposals were switched off made no progress and
        was thrown away after a few steps (most cases, measured). The swarm over fault kinds is ours
        (`choose_swarm`), and proposals and deliveries are never off.
        """

        check_config: ClassVar[CheckConfig] = cfg

        def __init__(self) -> None:
            super().__init__()
            self.cluster = cfg.new_cluster(factory)
            self.actions: list[Action] = []
            self.delivered: set[Envelope] = set()
            self.swarm: frozenset[str] = CORE_KINDS
            self.prev_view = view_of_cluster(self.cluster)
            self.prev_abs = ref.abstract(dict(self.prev_view.acceptors), self.cluster.sent) if ref else None
            self.until: dict[str, int] = {}
            self.guide: Guide | None = None
            self.checked_at = -1
            if stats is not None:
                stats.cases += 1
                if stats.on_case is not None:
                    stats.on_case(stats)

        @initialize(kinds=swarm, data=st.data())
        def choose_swarm(self, kinds: set[str], data: st.DataObject) -> None:
            """The optional action kinds this case may use (a swarm drawn here without guidance, all of
            them with it) and, with guidance, the step from which each fault kind may act."""
            self.swarm = CORE_KINDS | frozenset(kinds if not guidance or SWARM_WITH_GUIDANCE else optional)
            if guidance:
                self.until = delays(self.swarm, data.draw)
                self.guide = Guide(memory, not set_network)
                self.guide.start({n: checked_snapshot(n, node.snapshot) for n, node in self.cluster.nodes.items()})

        def offer(self, token: int) -> list[Action]:
            """The actions offered now: the enabled ones of the case's swarm (on the set network `deliver`
            offers messages not yet delivered and `duplicate` redelivers one); faults only from their drawn
            step on, unless nothing else is enabled; with guidance, only the fresh ones (as the step's
            `token` sees them) while there are any."""
            grouped: dict[str, list[Action]] = {}
            for a in self.cluster.enabled(values):
                if isinstance(a, Propose) and own_value[a.node] != a.value:
                    continue
                kind_of = EVENT_OF[type(a)]
                if set_network and isinstance(a, Deliver) and a.env in self.delivered:
                    kind_of = "duplicate"
                if kind_of in self.swarm:
                    grouped.setdefault(kind_of, []).append(a)
            depth = len(self.actions)
            ready = {k: v for k, v in grouped.items() if self.until.get(k, 0) <= depth}
            offer = [a for k in KINDS for a in (ready or grouped).get(k, ())]
            if self.guide is not None:
                return self.guide.fresh(token, offer) or offer
            return offer

        def apply(self, action: Action) -> None:
            self.actions.append(action)
            try:
                sent = self.cluster.step(action)
                if self.guide is not None:
                    self.guide.took(action, self._snapshot_of_actor(action), sent)
                if stats is not None:
                    stats.record(self.cluster, action, len(self.actions), sent)
                else:
                    self.cluster.snapshot()  # a node whose snapshot fails is a node_error here
            except NodeFault as fault:
                self.report(NODE_ERROR, str(fault))
            if isinstance(action, Deliver):
                self.delivered.add(action.env)
            elif isinstance(action, Crash) and prompt:
                self.apply(Restart(action.node))

        def _snapshot_of_actor(self, action: Action) -> Any:
            local = Guide.local(action)
            return None if local is None else checked_snapshot(local[0], self.cluster.nodes[local[0]].snapshot)

        @rule(data=st.data())
        def act(self, data: st.DataObject) -> None:
            """One step: one of the offered actions; nothing when nothing this case may do is enabled
            (e.g. every message went to a crashed node)."""
            token = data.draw(st.integers(0, 2**62), label="token") if self.guide is not None else 0
            offer = self.offer(token)
            if offer:
                self.apply(data.draw(st.sampled_from(offer), label="action"))

        @invariant()
        def properties_hold(self) -> None:
            if interrupt_requested():  # a Ctrl-C whose KeyboardInterrupt something swallowed: raise it again
                raise Interrupted
            if self.checked_at == len(self.actions) > 0:
                return  # nothing happened since the last check (a step with nothing enabled)
            self.checked_at = len(self.actions)
            view = view_of_cluster(self.cluster)
            broken = failing(view, "always", props) + failing_steps(self.prev_view, view, props)
            if ref is not None:
                after_abs = ref.abstract(dict(view.acceptors), self.cluster.sent)
                if self.prev_abs is not None and ref.explain(self.prev_abs, after_abs) is None:
                    self.deviated("this step is no step of the Spec (nor a stutter)", broken)
                self.prev_abs = after_abs
            self.prev_view = view
            if stats is not None:
                unseen = {name for name, _ in failing(view, "sometimes", props)}
                shorter = stats.witness is None or len(self.actions) < len(stats.witness)
                if "sometimes_chosen" not in unseen and shorter:
                    stats.witness = list(self.actions)
                for p in props:
                    if p.kind == "sometimes" and p.name not in unseen:
                        seen = stats.witnesses.get(p.name)
                        if seen is None or len(self.actions) < len(seen):
                            stats.witnesses[p.name] = list(self.actions)
            if broken:
                self.report(*broken[0])

        def deviated(self, reason: str, broken: list[tuple[str, str]]) -> None:
            """A step outside Paxos.tla: a failure under --deviation error; under warn kept (the shortest) and
            reported by the run, while the case goes on to look for a conjunct or safety property that breaks."""
            if deviation != "warn":
                broken.append((DEVIATION, reason))
            elif stats is not None and (stats.deviation is None or len(self.actions) < len(stats.deviation[0])):
                stats.deviation = (list(self.actions), reason)

        def report(self, prop: str, reason: str) -> None:
            message = f"property {prop} violated: {reason}"
            if _is_final():  # only the case Hypothesis reports is written, minimized and shown
                failure = record_failure(cfg, factory, self.actions, prop, reason, out, minimize)
                type(self).failure = failure
                where = f"written to {failure.path}" if failure.path else "not written"
                message += (
                    f"\ncounterexample of {len(failure.trace.steps)} steps (the failing case had "
                    f"{failure.shrunk_length}; minimized: {failure.minimized}), {where}; "
                    f"replay with: paxos-check replay {failure.path}\n{format_trace(failure.trace)}")
            raise AssertionError(message)

    PaxosMachine.__name__ = PaxosMachine.__qualname__ = f"PaxosMachine_{impl_name.replace(':', '_').replace('.', '_')}"
    PaxosMachine.TestCase.settings = profile_settings(profile)
    return PaxosMachine


def record_failure(config: CheckConfig, factory: NodeFactory, actions: list[Action], prop: str, reason: str,
                   out: Path | None, minimize: bool = True) -> FuzzFailure:
    """Turn a failing case into a trace; minimize it if `checker.traces.minimize` is there; write it under `out`."""
    trace = trace_of_actions(config, factory, actions, prop, reason)
    minimized = "not asked"
    if minimize:
        try:
            from checker.traces.minimize import minimize_trace
        except ImportError:
            minimized = "checker.traces.minimize is not available"
        else:
            try:
                short = minimize_trace(trace, prop)
                minimized = "yes" if len(short.steps) < len(trace.steps) else "already minimal"
                trace = short
            except Exception as exc:  # a trace of an unimportable factory cannot be replayed by name
                minimized = f"no ({exc})"
    trace = explain_marked(trace, force=True)  # why it fails, in the protocol's words (properties/explain.py)
    reason = next((s.detail for s in trace.steps if s.property and s.detail), reason)
    path = None
    if out is not None:
        path = out / "traces" / f"{prop}.csv"
        write_trace(path, trace)
    return FuzzFailure(prop, reason, trace, path, len(actions), minimized)


@dataclass
class FuzzResult:
    """The outcome of `run_fuzz`: a failure (or None), what was run and how long it took."""

    failure: FuzzFailure | None
    stats: FuzzStats
    settings: settings
    seconds: float
    error: BaseException | None = None  # the implementation raised something other than a property failure
    interrupted: bool = False  # Ctrl-C: `stats` holds what ran before it
    time_up: str | None = None  # --time-limit reached: what was running then (a node method, or "")
    #: --deviation warn: the shortest deviating case, as a (minimized, written) trace; not a failure by itself
    deviation: FuzzFailure | None = None


def run_fuzz(
    config: CheckConfig,
    impl: str | NodeFactory | type | None = None,
    *,
    profile: str | None = None,
    examples: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    refinement: bool = True,
    minimize: bool = True,
    stats: FuzzStats | None = None,
    time_limit: float | None = None,
    guidance: bool = True,
    deviation: str = "warn",
) -> FuzzResult:
    """Fuzz outside pytest (the CLI, tests): returns a failure instead of raising it.

    `time_limit`: seconds after which the run stops as bounded, even inside a node handler
    that never returns (`FuzzResult.time_up` names it)."""
    import time

    stats = stats if stats is not None else FuzzStats()
    machine = paxos_state_machine(config, impl, profile=profile, out_dir=out_dir, refinement=refinement,
                                  minimize=minimize, stats=stats, guidance=guidance, deviation=deviation)
    chosen = settings(profile_settings(profile), verbosity=Verbosity.quiet)
    if examples is not None:
        chosen = settings(chosen, max_examples=examples)
    if steps is not None:
        chosen = settings(chosen, stateful_step_count=steps)
    if seed is not None:
        chosen = settings(chosen, derandomize=False, database=None)
        hypothesis_seed(seed)(machine)
    started = time.monotonic()
    failure: FuzzFailure | None = None
    error: BaseException | None = None
    interrupted = False
    time_up: str | None = None
    try:
        with deadline(time_limit), ctrl_c_sticks():
            run_state_machine_as_test(machine, settings=chosen,  # type: ignore[no-untyped-call, unused-ignore]
                                      _min_steps=min(MIN_STEPS, chosen.stateful_step_count))
    except TimeUp as up:  # like Ctrl-C: what ran so far is the (bounded) result
        time_up = up.where
    except AssertionError as exc:
        failure = getattr(machine, "failure", None)
        if failure is None:
            error = exc
    except KeyboardInterrupt:  # Ctrl-C: what ran so far is the (bounded) result
        interrupted = True
    except Exception as exc:  # the implementation itself raised: a bug, but no property names it
        error = exc
    deviated = None
    if stats.deviation is not None and (failure is None or failure.property != DEVIATION):
        factory, _ = resolve_impl(config, impl)
        out = Path(out_dir if out_dir is not None else os.environ.get("PAXOS_FUZZ_OUT", DEFAULT_OUT))
        actions, reason = stats.deviation
        deviated = record_failure(machine.check_config, factory, actions, DEVIATION, reason, out, minimize)
    return FuzzResult(failure, stats, chosen, time.monotonic() - started, error, interrupted, time_up, deviated)
