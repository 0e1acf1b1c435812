"""Implementation-model states decoded: what properties see, what traces and reports print.

Owns the decoding of a state through the tables (node states, acceptors, history, the
`paxos.Cluster` world and action) and the text of a step or state. It judges nothing and never
enumerates successors.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from checker.bitsets import bit_ids
from checker.model import StepRow
from checker.models.impl_encoding import (
    CRASH,
    CRASH_RESTART,
    DELIVER,
    DROP,
    DUPLICATE,
    KIND_NAMES,
    PROPOSE,
    RESTART,
    TIMEOUT,
    ImplState,
)
from checker.models.impl_layout import PROPOSED, SENT
from checker.models.impl_steps import action_row, describe_change
from checker.models.impl_tables import ImplTables
from paxos import (
    Accepted,
    AcceptorDurable,
    Crash,
    Deliver,
    Drop,
    Duplicate,
    Envelope,
    Message,
    Propose,
    Restart,
    Timeout,
    Value,
    message_text,
)
from paxos import Action as ClusterAction
from properties.invariants import WorldView


class Views:
    """States of one model's tables as the protocol's objects and as text."""

    def __init__(self, tables: ImplTables) -> None:
        self.t = tables
        self._coverage_cache: dict[tuple[int, int, int], Sequence[tuple[str, str]]] = {}
        self._stable_cache: dict[tuple[int, int, int], tuple[int, int, str]] = {}

    def node_states(self, state: ImplState) -> tuple[Hashable, ...]:
        t = self.t
        return tuple(t.snaps[i][state[i]] for i in range(t.k))

    def acceptor_states(self, state: ImplState) -> dict[int, AcceptorDurable]:
        t = self.t
        out = {}
        for i in t.acceptor_idx:
            node = t.nodes[i]
            node.restore(t.snaps[i][state[i]])
            acc = node.acceptor_state()
            if acc is not None:
                out[t.ids[i]] = acc
        return out

    def sent_messages(self, state: ImplState) -> frozenset[Message]:
        return frozenset(self.t.msgs[m] for m in bit_ids(state[SENT]))

    def proposed(self, state: ImplState) -> frozenset[Value]:
        return frozenset(v for b, v in enumerate(self.t.values) if state[PROPOSED] >> b & 1)

    def view(self, state: ImplState, apart_learned: dict[int, Value] | None = None) -> WorldView:
        """What properties see; `apart_learned` replaces the apart learners' values (learners apart)."""
        t = self.t
        learned = {}
        for i in t.learner_idx:
            node = t.nodes[i]
            node.restore(t.snaps[i][state[i]])
            learned[t.ids[i]] = node.learned()
        if apart_learned:
            learned.update(apart_learned)
        sent = self.sent_messages(state)
        history = frozenset(m for m in sent if isinstance(m, Accepted))
        return WorldView(t.cc, self.acceptor_states(state), learned, history, self.proposed(state), sent)

    def world(self, state: ImplState) -> Hashable:
        """The state as `paxos.Cluster.snapshot()` would give it (same shape, same fingerprint)."""
        t, lay = self.t, self.t.layout
        net = state[lay.net]
        counts: dict[Envelope, int] = {}
        for eid in (net if t.bag else bit_ids(net)):
            dst, mid = t.envs[eid]
            env = Envelope(t.ids[dst], t.msgs[mid])
            counts[env] = counts.get(env, 0) + 1
        crashed = frozenset(t.ids[i] for i in bit_ids(state[lay.crashed]))
        return (self.node_states(state), frozenset(counts.items()), crashed, tuple(state[lay.budgets]),
                tuple(state[lay.starts]), self.sent_messages(state), self.proposed(state))

    def cluster_action(self, action: tuple[int, int, int]) -> ClusterAction:
        """The `paxos.Cluster` action this model action stands for."""
        t = self.t
        kind, i, arg = action
        node = t.ids[i]
        if kind == PROPOSE:
            return Propose(node, t.proposal_of[arg])
        if kind == TIMEOUT:
            return Timeout(node)
        if kind == CRASH:
            return Crash(node)
        if kind == RESTART:
            return Restart(node)
        dst, mid = t.envs[arg]
        env = Envelope(t.ids[dst], t.msgs[mid])
        if kind == DROP:
            return Drop(env)
        if kind == DUPLICATE:
            return Duplicate(env)
        return Deliver(env)

    def describe(self, state: ImplState, action: tuple[int, int, int], succ: ImplState) -> StepRow:
        kind, i, _arg = action
        before, after = self.view(state), self.view(succ)
        n = self.t.ids[i]
        new_msgs = self.sent_messages(succ) - self.sent_messages(state)
        sent = sorted(message_text(m) for m in new_msgs)
        extra = {CRASH: "crashed", RESTART: "restarted", DROP: "message lost", DUPLICATE: "message duplicated"}
        said = "crashed and restarted at once" if action[2] == CRASH_RESTART and kind == CRASH else extra.get(kind, "")
        change = describe_change(before.acceptors.get(n), after.acceptors.get(n), before.learned.get(n),
                                 after.learned.get(n), sent, said,
                                 (self.t.snaps[i][state[i]], self.t.snaps[i][succ[i]]))
        return action_row(self.cluster_action(action), change)

    def chosen_text(self, state: ImplState) -> str:
        """The chosen value(s) of a state, for graphs ("" if none)."""
        from properties.invariants import chosen

        return ",".join(sorted(map(str, chosen(self.view(state)))))

    def describe_state(self, state: ImplState) -> str:
        accs = self.acceptor_states(state)
        parts = [f"a{a}:{s.promised}/{s.accepted_bal}" for a, s in sorted(accs.items())]
        chosen = sorted(map(str, {m.val for m in self.view(state).history}))
        return " ".join(parts) + (f" accepted-values {','.join(chosen)}" if chosen else "")

    def coverage_summary(self) -> dict[str, str]:
        """Coverage facts known only to the model: the highest ballot any message carried."""
        ballots = [m.bal for m in self.t.msgs]
        return {"max_ballot": str(max(ballots))} if ballots else {}

    def coverage_keys(self, action: tuple[int, int, int]) -> Sequence[tuple[str, str]]:
        hit = self._coverage_cache.get(action)
        if hit is None:
            hit = self._coverage_cache[action] = self._coverage_keys(action)
        return hit

    def _coverage_keys(self, action: tuple[int, int, int]) -> Sequence[tuple[str, str]]:
        t = self.t
        kind, _, arg = action
        keys = [("actions", KIND_NAMES[kind])]
        if kind == DELIVER:
            keys.append(("messages", type(t.msgs[t.envs[arg][1]]).__name__))
        if kind in (DROP, DUPLICATE, CRASH, RESTART):
            keys.append(("faults", KIND_NAMES[kind]))
        return keys

    def stable_action(self, action: tuple[int, int, int]) -> tuple[int, int, str]:
        """(kind, node index, argument) with an envelope id spelled out as its message: the same in every process."""
        hit = self._stable_cache.get(action)
        if hit is None:
            kind, i, arg = action
            text = repr(self.t.msgs[self.t.envs[arg][1]]) if kind in (DELIVER, DROP, DUPLICATE) else str(arg)
            hit = self._stable_cache[action] = (kind, i, text)
        return hit
