"""The node contract, checked before a run: `restore(snapshot())` must rebuild the node exactly.

Every verdict of the explorer rests on it: the fast model keeps a node as its snapshot and
rebuilds it to take a step, so a snapshot that leaves out state (or a `restore` that drops
some) makes every later verdict silently weaker. `check_node_contract` drives one cluster of
live nodes and one whose nodes are rebuilt from their snapshots before every step, in
lockstep along seeded random walks, and compares after every step: the messages sent, each
node's snapshot, `learned()` and `acceptor_state()`, and that a rebuilt node's snapshot is
the one it was rebuilt from. `crash()` is checked to depend on the snapshot alone (a live
node and a rebuilt one crash to the same state); what a crash may forget is the protocol's
business, judged by the properties (a volatile acceptor is a finding, not bad input).
The first difference is a `UsageError` naming the method, the step and the difference.
A node that raises or returns malformed outputs is not refused here: that is a finding
(`node_error`) the search reports with its shortest trace, so such a walk just ends.
"""

from __future__ import annotations

import random

from checker.config import CheckConfig, load_factory
from checker.errors import UsageError
from paxos import (
    Action,
    ConfigurationError,
    Crash,
    Deliver,
    NodeFactory,
    NodeFault,
    Propose,
    Restart,
    Timeout,
    call_node,
    checked_snapshot,
)

#: Walks and steps per walk of the check before a run (about 0.05 s for the default configuration).
WALKS = 12
STEPS = 40


def _text(value: object) -> str:
    return repr(value)[:160]


def first_differing_field(a: object, b: object) -> tuple[str, object, object] | None:
    """The first field in which two snapshot tuples of one length differ (its name for a named tuple,
    else `[i]`) and the two values; None when they are not such tuples or do not differ field-wise."""
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        names = getattr(a, "_fields", None) or [f"[{i}]" for i in range(len(a))]
        for name, x, y in zip(names, a, b, strict=True):
            if x != y:
                return name, x, y
    return None


def _difference(a: object, b: object) -> str:
    """The first differing field of two snapshots (named, for named tuples), else both whole."""
    found = first_differing_field(a, b)
    if found is not None:
        name, x, y = found
        return f"field {name} is {_text(x)} live but {_text(y)} rebuilt"
    return f"{_text(a)} live but {_text(b)} rebuilt"


class _Lockstep:
    """A live cluster and a rebuilt-every-step cluster of the same nodes, stepped together."""

    def __init__(self, config: CheckConfig, factory: NodeFactory) -> None:
        self.config, self.factory = config, factory
        self.live = config.new_cluster(factory)
        self.rebuilt = config.new_cluster(factory)
        self.steps = 0

    def fail(self, method: str, what: str) -> UsageError:
        return UsageError(
            f"--impl {self.config.impl} breaks the node contract in {method}() at step {self.steps} of a random "
            f"walk: {what}; snapshot() must capture the whole node state and restore() must rebuild it "
            "(the checker keeps nodes as snapshots, so every verdict would rest on lost state)")

    def rebuild_all(self) -> None:
        """Replace every node of the rebuilt cluster by a fresh node restored from its snapshot."""
        cc = self.rebuilt.config
        for node_id, node in list(self.rebuilt.nodes.items()):
            snap = checked_snapshot(node_id, node.snapshot)
            fresh = self.factory(node_id, cc)
            call_node(node_id, "restore", fresh.restore, snap)
            again = checked_snapshot(node_id, fresh.snapshot)
            if again != snap:
                raise self.fail("restore", f"node {node_id} restored from its snapshot has another snapshot: "
                                           f"{_difference(snap, again)}")
            self.rebuilt.nodes[node_id] = fresh

    def compare(self, method: str) -> None:
        for node_id in self.live.config.node_ids:
            a, b = self.live.nodes[node_id], self.rebuilt.nodes[node_id]
            for name, get_a, get_b in (("learned", a.learned, b.learned),
                                       ("acceptor_state", a.acceptor_state, b.acceptor_state),
                                       ("snapshot", a.snapshot, b.snapshot)):
                va, vb = call_node(node_id, name, get_a), call_node(node_id, name, get_b)
                if va != vb:
                    blame = "snapshot" if method != "crash" else "crash"
                    raise self.fail(blame, f"after {method}, node {node_id}'s {name}() differs between the node "
                                           f"driven live and the one rebuilt with restore(snapshot()): "
                                           f"{_difference(va, vb)}")

    def step(self, action: Action) -> None:
        self.steps += 1
        self.rebuild_all()
        sent_live = self.live.step(action)
        sent_rebuilt = self.rebuilt.step(action)
        method = {Propose: "propose", Timeout: "on_timeout", Deliver: "on_message", Crash: "crash",
                  Restart: "restart"}.get(type(action), type(action).__name__.lower())
        if sorted(map(repr, sent_live)) != sorted(map(repr, sent_rebuilt)):
            raise self.fail("snapshot", f"{method} sent {_text(sent_live)} when driven live but "
                                        f"{_text(sent_rebuilt)} when rebuilt with restore(snapshot()) first")
        self.compare(method)


def check_node_contract(config: CheckConfig, factory: NodeFactory | None = None, walks: int = WALKS,
                        steps: int = STEPS, seed: int = 0) -> None:
    """Raise UsageError if the nodes of `factory` (default: `config.impl`) break the snapshot/restore
    contract on a random walk."""
    factory = factory if factory is not None else load_factory(config.impl)
    try:
        initial = config.new_cluster(factory)
    except ConfigurationError as exc:  # the factory refused this configuration: bad input, not a finding
        raise UsageError(f"--impl {config.impl}: {exc}") from None
    for node_id, node in initial.nodes.items():  # no schedule yet: a fault here is bad input, not a finding
        try:
            checked_snapshot(node_id, node.snapshot)
        except NodeFault as exc:
            raise UsageError(f"--impl {config.impl}: {exc} (a freshly built node, before any step); "
                             "fix the node's snapshot()") from None
    rng = random.Random(seed)
    values = config.value_names()
    own = config.proposer_values()
    for _ in range(walks):
        pair = _Lockstep(config, factory)
        try:
            for _ in range(steps):
                actions = [a for a in pair.live.enabled(values)
                           if not (isinstance(a, Propose) and own[a.node] != a.value)]
                if not actions:
                    break
                pair.step(rng.choice(actions))
        except NodeFault:
            continue  # a finding, not a contract question: the search reports it with its shortest trace

