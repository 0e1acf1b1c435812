"""Snapshot fidelity along the explored graph: every node transition the model used, re-run on a live node.

The model takes every node step on a node rebuilt with `restore(snapshot)`; a snapshot that leaves out state
makes it explore another node. After the search, each node's cached transitions form a graph over its
snapshots (its projection of the explored graph: a node's steps depend on its own state and input only).
From the initial snapshot, a breadth-first walk of that graph drives live nodes that are never restored:
each transition (every one the model used) is taken by a copy of the live node that reached its source
snapshot along a path of transitions the model took, and its snapshot and outputs are compared with the
model's; then a copy of the live node and a node rebuilt from the snapshot both get a timeout (proposers)
and a crash, allowed there by the bounds or not, so that state the snapshot lost shows up even where the
explored graph never reads it. The first difference refuses the node (UsageError: the method, the step,
the difference), as the contract check before the search (contract.py) does on random walks. Owns this
check only.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from checker.errors import UsageError
from checker.models.hash_order import input_text, outcome_difference
from checker.models.impl_model import ImplModel
from checker.models.rerun import METHOD_OF, Outcome, run_input, same
from paxos import NodeFault, NodeProtocol, call_node, checked_snapshot


@dataclass
class FidelityReport:
    """What the check covered: every transition the model cached, per node, unless `unreached` says otherwise."""

    transitions: int = 0
    checked: int = 0
    unreached: int = 0  # transitions whose source snapshot no path of cached transitions reaches (expected 0)
    probes: int = 0  # inputs given to a live node and its rebuilt twin after a transition (timeout, crash)

    def summary(self) -> dict[str, Any]:
        return {"transitions": self.transitions, "checked": self.checked, "unreached": self.unreached,
                "probes": self.probes}


_ATOMS = (int, float, complex, str, bytes, bool, type(None), Enum)


def _immutable(value: object, keep: dict[int, Any]) -> bool:
    """Is `value` deeply immutable (scalars, tuples, frozensets, frozen dataclasses of those)? Such values
    (the parts of a snapshot a node keeps as they are) go into `keep`, deepcopy's memo, so a copy shares them."""
    if isinstance(value, _ATOMS):
        return True
    if id(value) in keep:
        return True
    if isinstance(value, (tuple, frozenset)):
        parts: Iterable[object] = value
    else:
        params = getattr(type(value), "__dataclass_params__", None)
        if params is None or not params.frozen:
            return False
        parts = [getattr(value, f.name) for f in fields(value)]  # type: ignore[arg-type]
    if all([_immutable(p, keep) for p in parts]):
        keep[id(value)] = value
        return True
    return False


class _Live:
    """Fresh live nodes of one node id, and copies of them (a copy is no restore: hidden state goes along)."""

    def __init__(self, model: ImplModel, i: int) -> None:
        self.model, self.i, self.n = model, i, model.ids[i]
        self.index = {n: j for j, n in enumerate(model.ids)}
        self.copyable = True
        cc = model.cc
        self.keep: dict[int, Any] = {id(cc): cc, id(cc.quorums): cc.quorums}  # shared by every copy (immutable)

    def fresh(self) -> NodeProtocol:
        node: NodeProtocol = self.model.factory(self.n, self.model.cc)
        return node

    def copy_of(self, node: NodeProtocol, path: list[tuple[str, Any]]) -> NodeProtocol:
        """A copy of live `node`; if the node cannot be copied, a fresh node driven along `path` again."""
        if self.copyable:
            try:
                _immutable(node.snapshot(), self.keep)  # its deeply immutable parts are shared, not copied
                return copy.deepcopy(node, dict(self.keep))
            except Exception:
                self.copyable = False
        again = self.fresh()
        for what in path:
            self.step(again, what)
        return again

    def step(self, node: NodeProtocol, what: tuple[str, Any]) -> Outcome:
        return run_input(node, self.n, self.model.cc, self.index, self.model.cfg.max_round, what)


def _refuse(model: ImplModel, node: int, path: list[tuple[str, Any]], what: tuple[str, Any], live: Outcome,
            rebuilt: Outcome, probe: bool = False) -> UsageError:
    steps = [input_text(w) for w in (*path, what)]
    shown = ", ".join(steps if len(steps) <= 6 else [*steps[:2], "...", *steps[-3:]])
    return UsageError(
        f"--impl {model.cfg.impl} breaks the node contract in {METHOD_OF[what[0]]}() at step {len(steps)} of a path "
        f"of the explored graph{' (the last step a probe)' if probe else ''} (node {node}: {shown}): "
        + outcome_difference(live, rebuilt, "on the node driven live", "on the node rebuilt with restore(snapshot())")
        + "; snapshot() must capture the whole node state and restore() must rebuild it (the checker keeps nodes "
        "as snapshots, so every verdict would rest on lost state)")


def _probe(live: _Live, twin: NodeProtocol, node: NodeProtocol, snap: Hashable, path: list[tuple[str, Any]],
           probes: list[tuple[str, Any]]) -> None:
    """After a transition, give live `node` (consumed) and `twin` rebuilt from its snapshot the probe inputs one
    after the other (`probes`: a timeout for a proposer, then a crash), whether or not the search's bounds
    allow them there: state the snapshot lost shows up even where the explored graph never reads it (a
    Nack's round that only a later timeout would use)."""
    try:
        call_node(live.n, "restore", twin.restore, snap)
    except NodeFault as fault:
        raise UsageError(f"--impl {live.model.cfg.impl}: node {live.n}: {fault}") from None
    done = list(path)
    for what in probes:
        rebuilt = live.step(twin, what)
        got = live.step(node, what)
        if not same(got, rebuilt):
            raise _refuse(live.model, live.n, done, what, got, rebuilt, probe=True)
        if got[3]:
            return
        done.append(what)


def check_fidelity(model: ImplModel) -> FidelityReport:
    """Raise UsageError at the first transition a live node takes otherwise than the model; else what was covered."""
    report = FidelityReport()
    edges: dict[int, dict[Hashable, list[tuple[tuple[str, Any], Outcome]]]] = {}
    for _key, i, snap, what, after, msgs, envs, fault in model.node_transitions():
        edges.setdefault(i, {}).setdefault(snap, []).append((what, (after, msgs, envs, fault)))
        report.transitions += 1
    initial = next(iter(model.initial_states()))
    starts = model.node_states(initial)
    for i, by_snap in sorted(edges.items()):
        live = _Live(model, i)
        first = live.fresh()
        start = checked_snapshot(live.n, first.snapshot)
        if start != starts[i]:
            raise UsageError(f"--impl {model.cfg.impl}: node {live.n} built twice by the factory has two snapshots: "
                             f"{start!r:.160} and {starts[i]!r:.160}; a new node must start in one state")
        seen = {start}
        twin = live.fresh()
        probes: list[tuple[str, Any]] = [("crash", None)]
        if i in model.proposer_idx:
            probes.insert(0, ("timeout", None))
        queue: deque[tuple[Hashable, NodeProtocol, list[tuple[str, Any]]]] = deque([(start, first, [])])
        while queue:
            snap, node, path = queue.popleft()
            out = by_snap.get(snap, [])
            for n, (what, rebuilt) in enumerate(out):
                mover = node if n == len(out) - 1 else live.copy_of(node, path)  # the last one takes the node itself
                got = live.step(mover, what)
                report.checked += 1
                if not same(got, rebuilt):
                    raise _refuse(model, live.n, path, what, got, rebuilt)
                if got[3]:
                    continue
                after, here = rebuilt[0], [*path, what]
                prober = mover
                if after not in seen:
                    seen.add(after)
                    queue.append((after, mover, here))
                    prober = live.copy_of(mover, here)
                _probe(live, twin, prober, after, here, probes)
                report.probes += len(probes)
        report.unreached += sum(len(v) for s, v in by_snap.items() if s not in seen)
    return report
