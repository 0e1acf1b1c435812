"""Trace validation: a real execution's event log (`paxos-log/1`, `PaxosLogger`) checked step by step.

Owns reading the log (each `round` is one execution, from the initial state), grouping its rows
into steps, rebuilding from them what properties and the refinement mapping see, and judging each
step: every property of `properties/` (and the user's) after it, and that its Spec-level image is
a step of the Spec or a stutter (properties/spec.py), as `replay` judges a trace. Nothing is
re-executed: the log is the evidence of what the nodes did. Prints nothing.

A step is one row that makes something happen (receive, propose, timeout, crash, restart, fail,
recover, drop, duplicate, ...) followed by the `send` and `learn` rows of the same node; a `send`
row of another node starts a step of its own. The acceptors' states come from the `state_change`
text (`promised A -> B`, `accepted A -> B 'v'`) of their rows, or, where a log has none, from the
Promise and Accepted messages they send (Paxos.tla's Phase1b and Phase2b). Roles are read off the
log: acceptors receive Prepare/Accept or send Promise/Accepted/Nack, proposers propose or send
Prepare/Accept, learners learn or receive Accepted; quorums are majorities of the acceptors. With no
learner at all, an acceptor's logged vote counts as announced (its Accepted goes to nobody, so the log
has no row for it).

VALID only of what was judged: a row it cannot judge (an unknown event; a missing node, message or
learned value; an acceptor that `--acceptors` leaves out; a value learned in a round where no
acceptor acts) is a UsageError, except two different values learned, which is a violation
whatever the votes. `sometimes` properties are evaluated and reported as witnessed. The world is
kept incrementally, so judging is linear in the rows (a stutter costs O(1)).
"""

from __future__ import annotations

import ast
import csv
import io
import os
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from checker.errors import UsageError
from checker.inputs import read_text_file
from paxos import (
    LOG_COLUMNS,
    LOG_FORMAT,
    Accept,
    Accepted,
    AcceptorDurable,
    Ballot,
    ClusterConfig,
    ConfigurationError,
    Message,
    Nack,
    Prepare,
    Promise,
    Value,
)
from properties.explain import EXPLAINED, StepView, explain
from properties.invariants import History, Property, WorldView, failing, failing_steps
from properties.refinement import Refinement
from properties.spec import Message as SpecMessage
from properties.spec import SpecState, describe_state

MESSAGE_TYPES = ("Prepare", "Promise", "Accept", "Accepted", "Nack")
#: Rows that only report what the acting node sent or learned; every other event starts a step.
FOLLOWING = ("send", "learn")
#: Events that carry a message (msg_type and its fields).
MESSAGE_EVENTS = ("send", "receive", "drop", "duplicate")
#: Every event validate understands: what PaxosLogger writes for `paxos.Cluster` and the seed API. A row
#: of any other event is refused (exit 2): a log is VALID only if every row was understood and judged.
EVENTS = (*MESSAGE_EVENTS, "learn", "propose", "timeout", "crash", "restart", "fail", "recover", "accept_skipped")
_PROMISED = re.compile(r"\bpromised ([^\s;]+) -> ([^\s;]+)")
_ACCEPTED = re.compile(r"\baccepted ([^\s;]+) -> ([^\s;]+)(?: ([^;]+))?")


@dataclass(frozen=True)
class LogRow:
    """One row of the log, with its line number in the file."""

    line: int
    round: str
    event: str
    node: int | None
    peer: int | None
    msg_type: str
    bal: str
    value: str
    max_vbal: str
    max_val: str
    state_change: str

    def text(self) -> str:
        what = " ".join(x for x in (self.event, self.msg_type, self.bal, self.value) if x)
        if self.msg_type == "Promise" and self.max_vbal:
            what += f" (accepted {self.max_vbal}{': ' + self.max_val if self.max_val else ''})"
        if self.msg_type == "Nack" and self.max_vbal:
            what += f" (promised {self.max_vbal})"
        where = {"send": f" {self.node}->{self.peer if self.peer is not None else '*'}",
                 "receive": f" {self.peer}->{self.node}"}.get(self.event, f" at {self.node}" if self.node else "")
        return what + where + (f" [{self.state_change}]" if self.state_change else "")


@dataclass(frozen=True)
class Finding:
    """A property broken at a step (or `refines_spec`: no Spec step explains it)."""

    step: int
    line: int
    property: str
    reason: str


@dataclass
class RoundResult:
    """What validating one execution (one `round` of the log) found."""

    round: str
    first_line: int
    last_line: int
    steps: int = 0
    checked: int = 0  # steps judged (all of them unless an impossible step ended the round)
    acceptors: tuple[int, ...] = ()
    scale: int = 0  # a ballot R@N is the Spec ballot R * scale + N (the refinement mapping)
    findings: list[Finding] = field(default_factory=list)  # each property's first failure, in step order
    step_text: dict[int, list[str]] = field(default_factory=dict)  # the rows of each failing step
    spec_before: dict[int, str] = field(default_factory=dict)
    spec_after: dict[int, str] = field(default_factory=dict)
    skipped: str = ""  # why the round was not checked (nothing of Paxos in it)
    witnessed: dict[str, int] = field(default_factory=dict)  # each `sometimes` property: the first step it held

    @property
    def ok(self) -> bool:
        return not self.findings


# -- reading -----------------------------------------------------------------------------------------------


def read_log(path: str | os.PathLike[str]) -> list[LogRow]:
    """Read a `paxos-log/1` file; any defect is a UsageError naming the file and line."""
    name, text = read_text_file(path, "log", f"a {LOG_FORMAT} file written by PaxosLogger.save_to_csv()")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
        missing = [c for c in LOG_COLUMNS if c not in header]
        if missing:
            hint = (" (this is a counterexample trace: use paxos-check replay)"
                    if "round" in missing and "format" in header else "")
            raise UsageError(f"{name}:1: missing column(s) {', '.join(missing)}; expected a {LOG_FORMAT} "
                             f"header{hint}")
        raw_rows = list(reader)
    except csv.Error as exc:
        raise UsageError(f"{name}:{reader.line_num}: not valid CSV: {exc}") from None
    rows = []
    for i, raw in enumerate(raw_rows):
        line = i + 2
        if any(raw.get(c) is None for c in LOG_COLUMNS):
            raise UsageError(f"{name}:{line}: the row has fewer cells than the header (a truncated file?)")
        if raw["format"] == "format":
            continue  # a header row repeated by appending logs: harmless
        if raw["format"] != LOG_FORMAT:
            raise UsageError(f"{name}:{line}: format {raw['format']!r}, expected {LOG_FORMAT!r}")
        rows.append(LogRow(line, raw["round"], raw["event"].strip(), _node(name, line, "node", raw["node"]),
                           _node(name, line, "peer", raw["peer"]), raw["msg_type"].strip(), raw["bal"].strip(),
                           raw["value"], raw["max_vbal"].strip(), raw["max_val"], raw["state_change"]))
        _check_row(name, rows[-1])
    if not rows:
        raise UsageError(f"{name}: no events after the header")
    return rows


def _check_row(name: str, row: LogRow) -> None:
    """A row validate can judge: a known event, its node, and the message or value it needs."""
    where = f"{name}:{row.line}"
    if not row.event:
        raise UsageError(f"{where}: the event is empty")
    if row.event not in EVENTS:
        raise UsageError(f"{where}: unknown event {row.event!r}, which validate cannot judge; expected one of "
                         f"{', '.join(EVENTS)} (the events PaxosLogger writes)")
    if row.node is None:
        raise UsageError(f"{where}: a {row.event} row needs the node it happened at (node column)")
    if row.msg_type and row.msg_type not in MESSAGE_TYPES:
        raise UsageError(f"{where}: unknown message type {row.msg_type!r}; expected one of {', '.join(MESSAGE_TYPES)}")
    if row.event in MESSAGE_EVENTS and not row.msg_type:
        raise UsageError(f"{where}: a {row.event} row needs the message (msg_type, bal, ...)")
    if row.event in MESSAGE_EVENTS and row.event != "send" and row.peer is None:
        raise UsageError(f"{where}: a {row.event} row needs the message's sender (peer column)")
    if row.msg_type and not row.bal:
        raise UsageError(f"{where}: a {row.msg_type} needs its ballot (bal column)")
    if row.event == "learn" and not row.value:
        raise UsageError(f"{where}: a learn row needs the value learned (value column)")


def _node(name: str, line: int, column: str, text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{name}:{line}: {column} {text!r} is not a node id (a positive integer)") from None
    if value <= 0:
        raise UsageError(f"{name}:{line}: {column} {value} is not a node id (a positive integer)")
    return value


def _ballot(name: str, row: LogRow, text: str, column: str) -> Ballot:
    try:
        return Ballot.parse(text)
    except ConfigurationError as exc:
        raise UsageError(f"{name}:{row.line}: {column}: {exc}") from None


def rounds(rows: Sequence[LogRow]) -> list[list[LogRow]]:
    """The rows of each execution (`round`), in order of first appearance."""
    by_round: dict[str, list[LogRow]] = {}
    for row in rows:
        by_round.setdefault(row.round, []).append(row)
    return list(by_round.values())


def steps_of(rows: Sequence[LogRow]) -> list[list[LogRow]]:
    """Rows grouped into steps (module docstring)."""
    out: list[list[LogRow]] = []
    for row in rows:
        if out and row.event in FOLLOWING and out[-1][0].node == row.node:
            out[-1].append(row)
        else:
            out.append([row])
    return out


# -- one execution ----------------------------------------------------------------------------------------


class _Execution:
    """What the log says the world is, step by step: acceptor states, learned values, messages sent.

    Kept incrementally, so that judging a row costs what the row changes, not the size of the world:
    the view and the Spec state are rebuilt only after a step that changed them (`version`)."""

    def __init__(self, name: str, rows: Sequence[LogRow], acceptors: Sequence[int] | None) -> None:
        self.name = name
        found_acc: dict[int, int] = {}  # acceptor -> the first line where it acts as one
        proposers, learners, values, top = set(), set(), set(), 0
        for r in rows:
            kind = r.msg_type
            acting = [r.node if r.event == "send" and kind in ("Promise", "Accepted", "Nack") else None,
                      r.peer if r.event == "send" and kind in ("Prepare", "Accept") else None,
                      r.node if r.event == "receive" and kind in ("Prepare", "Accept") else None,
                      r.peer if r.event == "receive" and kind in ("Promise", "Accepted", "Nack") else None,
                      r.node if _PROMISED.search(r.state_change) or _ACCEPTED.search(r.state_change) else None]
            for a in acting:
                if a is not None:
                    found_acc.setdefault(a, r.line)
            if r.node and (r.event in ("propose", "timeout") or (r.event == "send" and kind in ("Prepare", "Accept"))):
                proposers.add(r.node)
            if r.node and (r.event == "learn" or (r.event == "receive" and kind == "Accepted")):
                learners.add(r.node)
            if r.event == "send" and kind == "Accepted" and r.peer:
                learners.add(r.peer)
            for v in (r.value, r.max_val):
                if v:
                    values.add(v)
            for text in (r.bal, r.max_vbal):
                if text and text != "-":
                    top = max(top, _ballot(name, r, text, "bal").round)
        if acceptors:
            left_out = sorted(set(found_acc) - set(acceptors))
            if left_out:
                a = left_out[0]
                raise UsageError(f"{name}:{found_acc[a]}: node {a} acts as an acceptor here, but --acceptors "
                                 f"{','.join(map(str, acceptors))} leaves it out, so its votes would not be judged; "
                                 "name every acceptor (or drop --acceptors to read them off the log)")
        accs = tuple(sorted(acceptors)) if acceptors else tuple(sorted(found_acc))
        self.empty = not accs
        self.learns = [r for r in rows if r.event == "learn"]
        if self.empty:
            return
        try:
            self.config = ClusterConfig(tuple(sorted(proposers)) or accs, accs, tuple(sorted(learners)))
        except ConfigurationError as exc:
            raise UsageError(f"{name}: {exc}") from None
        self.ref = Refinement(self.config, tuple(sorted(values)) or ("v",), top + 1)
        self.acc: dict[int, AcceptorDurable] = {a: AcceptorDurable() for a in accs}
        self.learned: dict[int, Value] = {n: None for n in self.config.learners}
        self.sent: set[Message] = set()
        self.history = History.empty(self.config)
        self.spec_msgs: set[SpecMessage] = set()
        self.by_ballot: dict[int, set[SpecMessage]] = {}  # the Spec messages of each Spec ballot
        self.images: list[SpecMessage] = []  # the Spec messages the last step sent first
        self.proposed: set[Value] = set()
        self.new: list[Message] = []  # the messages the last step sent first
        self.version = 0  # bumped by every change a property or the Spec image can see
        self._view: tuple[int, WorldView] | None = None

    def view(self) -> WorldView:
        # `sent` is left out (None): the inductive invariant's conjuncts that read every sent message would
        # make each step cost the size of the log. Every step is checked against Paxos.tla itself
        # (`explains`), and a log whose every step is a Spec step keeps the whole invariant (prove spec).
        if self._view is None or self._view[0] != self.version:
            self._view = (self.version, WorldView(self.config, dict(self.acc), dict(self.learned),
                                                  self.history, frozenset(self.proposed)))
        return self._view[1]

    def nodes(self) -> SpecState:
        """The acceptors' part of the Spec image (no messages)."""
        return self.ref.abstract(dict(self.acc), ())

    def spec(self, nodes: SpecState, before: bool = False) -> SpecState:
        """The whole Spec image with `nodes` (after the last step, or before it): for printing a finding."""
        msgs = self.spec_msgs - set(self.images) if before else self.spec_msgs
        return replace(nodes, msgs=frozenset(msgs))

    def explains(self, nodes: SpecState, after: SpecState) -> bool:
        """Whether a Spec step (or a stutter) takes the state before the last step to the one after it.

        Exactly `Refinement.explain` on the whole images, judged on the messages of the ballots the
        step touches only: each Spec action's enabling condition reads messages of its own ballot,
        and every other message is the same on both sides. So a step costs what it touches."""
        if nodes == after and not self.images:
            return True
        touched = {m.bal for m in self.images}
        for i, (b0, b1) in enumerate(zip(nodes.max_bal, after.max_bal, strict=True)):
            if b0 != b1 or nodes.max_vbal[i] != after.max_vbal[i]:
                touched |= {after.max_bal[i], after.max_vbal[i]}
        old = {m for b in touched for m in self.by_ballot.get(b, ())} - set(self.images)
        return self.ref.explain(replace(nodes, msgs=frozenset(old)),
                                replace(after, msgs=frozenset(old | set(self.images)))) is not None

    def sent_before(self) -> frozenset[Message]:
        """Every message sent before the last step (for explanations only: it costs the size of the world)."""
        return frozenset(self.sent - set(self.new))

    def _send(self, msg: Message) -> None:
        if msg in self.sent:
            return
        self.sent.add(msg)
        self.new.append(msg)
        self.version += 1
        image = self.ref.message(msg)
        if image is not None and image not in self.spec_msgs:
            self.spec_msgs.add(image)
            self.by_ballot.setdefault(image.bal, set()).add(image)
            self.images.append(image)

    def message(self, row: LogRow, src: int | None) -> Message:
        if src is None:
            raise UsageError(f"{self.name}:{row.line}: a {row.msg_type} needs its sender "
                             f"({'node' if row.event == 'send' else 'peer'} column)")
        bal = _ballot(self.name, row, row.bal, "bal")
        if row.msg_type == "Prepare":
            return Prepare(src, bal)
        if row.msg_type == "Promise":
            mbal = _ballot(self.name, row, row.max_vbal or "-", "max_vbal")
            return Promise(src, bal, mbal, None if mbal.is_bottom or not row.max_val else row.max_val)
        if row.msg_type == "Accept":
            return Accept(src, bal, row.value)
        if row.msg_type == "Accepted":
            return Accepted(src, bal, row.value)
        phase = int(row.value) if row.value in ("1", "2") else 0  # the phase it answers; empty: unsaid
        return Nack(src, bal, _ballot(self.name, row, row.max_vbal or "-", "max_vbal"), phase)

    def unsent(self, step: list[LogRow]) -> list[LogRow]:
        """A `send` row for each message `step` receives that the log never showed sent (the seed's
        `send_promise` logs the Prepare it answers only as received): judged as its sender's step first."""
        out: list[LogRow] = []
        for row in step:
            if row.msg_type and row.event in ("receive", "drop", "duplicate"):
                msg = self.message(row, row.peer)
                if msg not in self.sent and all(self.message(r, r.node) != msg for r in out):
                    out.append(replace(row, event="send", node=row.peer, peer=row.node, state_change=""))
        return out

    def apply(self, step: list[LogRow]) -> None:
        """Apply one step's rows to the world."""
        self.new, self.images = [], []
        before = (dict(self.acc) if any(r.node in self.acc for r in step) else None, dict(self.learned),
                  len(self.proposed))
        explicit: set[int] = set()
        for row in step:
            node = row.node
            if node in self.acc and self._logged_change(row):
                explicit.add(node)
            if row.msg_type and row.event == "send":
                msg = self.message(row, node)
                self._send(msg)
                if node in self.acc and node not in explicit:
                    self._implied(node, msg)
            if row.event == "propose" and row.value:
                self.proposed.add(row.value)
            if row.event == "learn" and node in self.learned:
                self.learned[node] = row.value or None
            if row.event in ("crash", "fail") and node in self.learned:
                self.learned[node] = None  # a learner's state is volatile; a later `learn` row says so again
        if not self.config.learners:  # an Accepted with no learner to go to is sent to nobody: no log row
            for node in explicit:
                state = self.acc[node]
                if not state.accepted_bal.is_bottom:
                    self._send(Accepted(node, state.accepted_bal, state.accepted_val))
        votes = [m for m in self.new if isinstance(m, Accepted)]
        if votes:
            self.history = self.history.grow(votes)
        if (before[0] is not None and before[0] != self.acc) or before[1] != self.learned or \
                before[2] != len(self.proposed):
            self.version += 1

    def _logged_change(self, row: LogRow) -> bool:
        """Apply `promised A -> B` / `accepted A -> B 'v'` of the row's node; True if there was one."""
        assert row.node is not None
        state, changed = self.acc[row.node], False
        promised = _PROMISED.search(row.state_change)
        accepted = _ACCEPTED.search(row.state_change)
        if accepted:
            bal = _ballot(self.name, row, accepted.group(2), "state_change")
            val = None if bal.is_bottom else _value(accepted.group(3))
            state = replace(state, accepted_bal=bal, accepted_val=val,
                            promised=state.promised if promised or bal.is_bottom else max(state.promised, bal))
            changed = True
        if promised:
            state = replace(state, promised=_ballot(self.name, row, promised.group(2), "state_change"))
            changed = True
        self.acc[row.node] = state
        return changed

    def _implied(self, node: int, msg: Message) -> None:
        """A log without state changes: an acceptor's state as its Promise (Phase1b) or Accepted (Phase2b) says."""
        state = self.acc[node]
        if isinstance(msg, Promise):
            self.acc[node] = replace(state, promised=max(state.promised, msg.bal))
        elif isinstance(msg, Accepted):
            self.acc[node] = AcceptorDurable(max(state.promised, msg.bal), msg.bal, msg.val)


def _value(text: str | None) -> Value:
    if not text:
        return None
    text = text.strip()
    try:  # a literal only (never evaluated as code); nesting too deep for the parser is text too
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        return text
    return None if value is None else str(value)


def validate_round(name: str, rows: Sequence[LogRow], props: Sequence[Property],
                   acceptors: Sequence[int] | None = None) -> RoundResult:
    """Judge every step of one execution: the properties after it and the Spec refinement. Linear in the
    rows: a step that changes nothing a property or the Spec image can see is a stutter and costs O(1)."""
    result = RoundResult(rows[0].round, rows[0].line, rows[-1].line)
    steps = steps_of(rows)
    step_rows = set(rows)
    result.steps = len(steps)
    world = _Execution(name, rows, acceptors)
    if world.empty:
        _judge_learns_alone(name, world, result)
        return result
    result.acceptors = world.config.acceptors
    result.scale = world.ref.scale
    seen: set[str] = set()
    view, nodes = world.view(), world.nodes()
    _witness(result, 0, view, props)
    queue = deque(steps)
    n = 0
    while queue:
        step = queue.popleft()
        implied = world.unsent(step)
        if implied:  # each message received but never logged as sent: its send first, as a step of its own
            queue.appendleft(step)
            queue.extendleft(reversed([[row] for row in implied]))
            result.steps += len(implied)
            continue
        n += 1
        version = world.version
        world.apply(step)
        result.checked = n
        if world.version == version:
            continue  # a stutter: every verdict is the one of the state before
        broken: list[tuple[str, str]] = []
        after_view, after_nodes = world.view(), world.nodes()
        if not world.explains(nodes, after_nodes):
            broken.append(("refines_spec", "no step of the Spec (nor a stutter) explains it"))
        broken += failing(after_view, "always", props) + failing_steps(view, after_view, props)
        _witness(result, n, after_view, props)
        for prop, reason in broken:
            if prop not in seen:
                seen.add(prop)
                if prop in EXPLAINED:  # in the protocol's words, as replay says it (properties/explain.py)
                    step_view = StepView(view, after_view, world.sent_before(), frozenset(world.sent))
                    reason = _explained(prop, step_view, reason)
                result.findings.append(Finding(n, step[0].line, prop, reason))
                result.step_text[n] = [f"line {r.line}: {r.text()}" + (" (implied: received there, never logged "
                                       "as sent)" if r.event == "send" and r not in step_rows else "")
                                       for r in step]
                if prop == "refines_spec":
                    result.spec_before[n] = describe_state(world.ref.spec_config, world.spec(nodes, before=True))
                    result.spec_after[n] = describe_state(world.ref.spec_config, world.spec(after_nodes))
        view, nodes = after_view, after_nodes
    return result


def _witness(result: RoundResult, step: int, view: WorldView, props: Sequence[Property]) -> None:
    """Record the first step at which each `sometimes` property holds."""
    for p in props:
        if p.kind == "sometimes" and p.name not in result.witnessed and p.check(view) is None:
            result.witnessed[p.name] = step


def _judge_learns_alone(name: str, world: _Execution, result: RoundResult) -> None:
    """A round in which no acceptor acts: nothing to judge, unless a node learned a value. Two different
    values learned is a violation whatever the votes were; a value learned with no vote in the log cannot
    be judged (a UsageError saying so)."""
    learns = world.learns
    if not learns:
        result.skipped = "no acceptor takes part and nothing is learned (no Prepare, Promise, Accept, Accepted)"
        return
    first = learns[0]
    other = next((r for r in learns if r.value != first.value), None)
    if other is None:
        raise UsageError(f"{name}:{first.line}: node {first.node} learns {first.value!r} in round {result.round}, "
                         "but no acceptor acts in that round (no Prepare, Promise, Accept or Accepted), so the "
                         "decision cannot be judged; log the acceptors' messages (PaxosLogger) or name them with "
                         "--acceptors")
    result.checked = result.steps
    result.findings.append(Finding(0, other.line, "agreement",
                                   f"node {first.node} learned {first.value!r} (line {first.line}) and node "
                                   f"{other.node} learned {other.value!r}: two values decided"))
    result.step_text[0] = [f"line {r.line}: {r.text()}" for r in (first, other)]


def _explained(prop: str, step: StepView, fallback: str) -> str:
    try:
        return explain(prop, step).text()
    except Exception:  # an explanation that cannot be given must not hide the verdict itself
        return fallback


def validate_log(path: str | os.PathLike[str], props: Sequence[Property],
                 acceptors: Sequence[int] | None = None, only: str | None = None) -> list[RoundResult]:
    """Validate every execution (round) of a log, or only round `only` ([] if it has none)."""
    name = os.fspath(path)
    return [validate_round(name, rows, props, acceptors) for rows in rounds(read_log(path))
            if only is None or rows[0].round == only]
