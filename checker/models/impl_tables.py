"""The tables of the implementation model: what its small-integer states stand for, and their keys.

Owns the configuration indexes, the interning of snapshots, messages and envelopes, the stable
Zobrist keys of every component, the network arithmetic (add/remove envelopes) and the node-step
cache. It never enumerates successors nor judges properties beyond the node's own step (node_error,
acceptor step properties). Symmetry (impl_symmetry.py) and the wire format (impl_wire.py) use it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any

from checker.bitsets import bit_ids
from checker.config import CheckConfig, load_factory
from checker.models.impl_encoding import CRASH, DELIVER, PROPOSE, TIMEOUT, ImplState
from checker.models.impl_layout import FP, PROPOSED, SENT, StateLayout
from checker.models.impl_steps import key_env, key_node, key_scalar, key_sent
from paxos import (
    NODE_ERROR,
    Accepted,
    AcceptorDurable,
    Message,
    NodeFactory,
    NodeFault,
    NodeProtocol,
    ProtocolError,
    Value,
    beyond_round,
    call_handler,
    call_node,
    checked_snapshot,
    resolve,
)
from properties.invariants import WorldView, failing_steps

MASK64 = (1 << 64) - 1

Net = Any  # int bit set (set network) or sorted tuple of envelope ids (bag network)
#: A node step: (new snapshot id, envelope bits sent, message bits sent, step properties broken)
NodeStep = tuple[int, int, int, tuple[str, ...]]
#: `ImplTables.node_transitions`: (key, node index, snapshot, input, snapshot after, messages, envelopes, fault text)
NodeTransition = tuple[tuple[int, int, int, int], int, Hashable, tuple[str, Any], Hashable, frozenset[Message],
                       frozenset[tuple[int, Message]], str]


class ScalarKeys(dict[tuple[object, ...], int]):
    """Stable Zobrist keys of scalar components (counters, flags), made on first use."""

    def __missing__(self, key: tuple[object, ...]) -> int:
        value = self[key] = key_scalar(*key)
        return value


class Memo(dict[int, int]):
    """A function of a bit set, computed once per bit set."""

    def __init__(self, fn: Callable[[int], int]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, bits: int) -> int:
        value = self[bits] = self.fn(bits)
        return value


class Members(dict[int, tuple[int, ...]]):
    """The members of a bit set as a tuple, computed once per bit set."""

    def __missing__(self, bits: int) -> tuple[int, ...]:
        value = self[bits] = tuple(bit_ids(bits))
        return value


def xor_keys(keys: Sequence[int], bits: int) -> int:
    """The XOR of `keys[b]` over the members b of bit set `bits`."""
    out = 0
    while bits:
        low = bits & -bits
        out ^= keys[low.bit_length() - 1]
        bits ^= low
    return out


class ImplTables:
    """Configuration, interning tables, Zobrist keys and cached node steps of one implementation model.

    Interned ids (`snaps[i][sid]`, `msgs[mid]`, `envs[eid] = (dst node index, mid)`) mean something
    only in this process; the keys (`z_snap`, `z_msg`, `z_env1`, `z`) are stable everywhere, so a
    state's fingerprint is too. `orbit`, once set by `ImplModel.symmetric_fingerprints`, is told of
    every new entry so its key can carry its changes under acceptor renaming.
    """

    def __init__(self, cfg: CheckConfig, factory: NodeFactory | None = None) -> None:
        self.cfg = cfg
        self.cc = cfg.cluster_config()
        self.factory = factory if factory is not None else load_factory(cfg.impl)
        self.ids = self.cc.node_ids
        self.k = len(self.ids)
        self.index = {n: i for i, n in enumerate(self.ids)}
        self.nodes: list[NodeProtocol] = [self.factory(n, self.cc) for n in self.ids]
        self.bag = cfg.network == "bag"
        self.proposer_idx = [self.index[p] for p in self.cc.proposers]
        self.p = len(self.proposer_idx)
        self.acceptor_idx = [self.index[a] for a in self.cc.acceptors]
        self.learner_idx = [self.index[n] for n in self.cc.learners]
        pv = cfg.proposer_values()
        self.values: tuple[Value, ...] = cfg.value_names()
        self.proposal_of = [pv[p] for p in self.cc.proposers]
        self.layout = StateLayout(self.k, self.p)
        self.inert_names: set[str] | frozenset[str] = frozenset()  # kinds no property reads: set by ImplModel
        # interning tables
        self.snaps: list[list[Hashable]] = [[] for _ in self.ids]
        self.snap_id: list[dict[Hashable, int]] = [{} for _ in self.ids]
        self.msgs: list[Message] = []
        self.msg_id: dict[Message, int] = {}
        self.envs: list[tuple[int, int]] = []  # (dst node index, msg id)
        self.env_id: dict[tuple[int, int], int] = {}
        self.accepted_mask = 0  # msg ids of Accepted messages
        #: the message kinds an always property judged over views reads (None: every kind; set by Verdicts)
        self.view_kinds: frozenset[str] | None = None
        self.view_mask = 0  # msg ids of those kinds (the key of the cached always verdicts)
        self.inert_mask = 0  # msg ids of inert kinds
        self.dst_mask: list[int] = [0] * self.k  # per node index: the envelope ids addressed to it
        self.env_ids = Members()  # envelope bit set -> its envelope ids
        # Zobrist keys
        self.z_snap: list[list[int]] = [[] for _ in self.ids]
        self.z_msg: list[int] = []
        self.z_env1: list[int] = []  # per envelope id: its key when in the set network
        self.z_env_cache: dict[tuple[int, int], int] = {}
        self.z = ScalarKeys()
        # Zobrist changes of sets of messages (ghost history) and of envelopes (set network), per bit set
        self.z_msgs = Memo(lambda bits: xor_keys(self.z_msg, bits))
        self.z_add = Memo(lambda bits: xor_keys(self.z_env1, bits))
        self.orbit: Any = None  # the ImplSymmetry once keys carry orbit changes (symmetric_fingerprints)
        self.symmetry: Any = None  # the ImplSymmetry, built on first use (impl_symmetry.symmetry_of)
        # node steps
        self.node_cache: dict[tuple[int, int, int, int], NodeStep] = {}
        self.faults: dict[tuple[int, int, int, int], NodeFault] = {}  # node steps that broke node_error
        #: node steps other processes computed (a BFS over --workers), by this process's key: `gather`
        self.gathered: dict[tuple[int, int, int, int], NodeTransition] = {}

    # -- interning ------------------------------------------------------------------------------

    def intern_snap(self, i: int, snap: Hashable) -> int:
        table = self.snap_id[i]
        sid = table.get(snap)
        if sid is None:
            sid = table[snap] = len(self.snaps[i])
            self.snaps[i].append(snap)
            self.z_snap[i].append(key_node(self.ids[i], snap))
            if self.orbit is not None:
                self.orbit.extend_key("snap", i, sid)
        return sid

    def intern_msg(self, msg: Message) -> int:
        mid = self.msg_id.get(msg)
        if mid is None:
            mid = self.msg_id[msg] = len(self.msgs)
            self.msgs.append(msg)
            self.z_msg.append(key_sent(msg))
            if isinstance(msg, Accepted):
                self.accepted_mask |= 1 << mid
            if self.view_kinds is None or type(msg).__name__ in self.view_kinds:
                self.view_mask |= 1 << mid
            if type(msg).__name__ in self.inert_names:
                self.inert_mask |= 1 << mid
            if self.orbit is not None:
                self.orbit.extend_key("msg", 0, mid)
        return mid

    def intern_env(self, dst: int, mid: int) -> int:
        key = (dst, mid)
        eid = self.env_id.get(key)
        if eid is None:
            eid = self.env_id[key] = len(self.envs)
            self.envs.append(key)
            self.z_env1.append(self.z_env_plain(eid, 1))
            self.dst_mask[dst] |= 1 << eid
            if self.orbit is not None:
                self.orbit.extend_key("env", 0, eid)
        return eid

    def make_initial(self) -> ImplState:
        snaps = tuple(self.intern_snap(i, node.snapshot()) for i, node in enumerate(self.nodes))
        return self.layout.initial(snaps, () if self.bag else 0, self.recompute_fingerprint)

    # -- Zobrist fingerprints: each component's stable 64-bit key, XORed; updated per step ----------

    def z_env(self, eid: int, count: int) -> int:
        """Key of envelope `eid` being in the network `count` times (0: absent, key 0); with orbit
        keys on, its changes under renaming above bit 64 (`symmetric_fingerprints`)."""
        if count == 0:
            return 0
        key = (eid, count)
        hit = self.z_env_cache.get(key)
        if hit is None:
            hit = self.z_env_plain(eid, count)
            if self.orbit is not None:
                hit |= self.orbit.env_count_delta(eid, count) << 64
            self.z_env_cache[key] = hit
        return hit

    def z_env_plain(self, eid: int, count: int) -> int:
        """The 64-bit key of envelope `eid` being in the network `count` times."""
        if count == 1 and eid < len(self.z_env1):
            return self.z_env1[eid] & MASK64
        dst, mid = self.envs[eid]
        return key_env(self.ids[dst], self.msgs[mid], count)

    def net_add(self, net: Net, env_bits: int) -> tuple[Net, int]:
        """The network with the envelopes of `env_bits` added, and the fingerprint change."""
        if not env_bits:
            return net, 0
        dfp = 0
        if not self.bag:
            new = env_bits & ~net
            if not new:
                return net, 0
            return net | env_bits, self.z_add[new]
        items = list(net)
        for eid in bit_ids(env_bits):
            c = items.count(eid)
            dfp ^= self.z_env(eid, c) ^ self.z_env(eid, c + 1)
            items.append(eid)
        return tuple(sorted(items)), dfp

    def net_remove(self, net: Net, eid: int) -> tuple[Net, int]:
        """The bag network with one copy of envelope `eid` taken out, and the fingerprint change."""
        items = list(net)
        c = items.count(eid)
        items.remove(eid)
        return tuple(items), self.z_env(eid, c) ^ self.z_env(eid, c - 1)

    def recompute_fingerprint(self, state: ImplState) -> int:
        """The fingerprint from scratch (tests check it equals the incremental one)."""
        lay, z = self.layout, self.z
        fp = 0
        for i in range(self.k):
            fp ^= self.z_snap[i][state[i]]
        net = state[lay.net]
        if self.bag:
            for eid in set(net):
                fp ^= self.z_env(eid, net.count(eid))
        else:
            for eid in bit_ids(net):
                fp ^= self.z_env(eid, 1)
        for i in bit_ids(state[lay.crashed]):
            fp ^= z[("crashed", self.ids[i])]
        for name, used in zip(("crashes", "drops", "duplicates"), state[lay.budgets], strict=True):
            fp ^= z[(name, used)]
        for j in range(self.p):
            fp ^= z[("started", j, state[lay.started + j])]
        fp ^= self.z_msgs[state[SENT]]
        for b in bit_ids(state[PROPOSED]):
            fp ^= z[("proposed", self.values[b])]
        return fp

    @staticmethod
    def fingerprint(state: ImplState) -> int:
        """The state's own 64-bit fingerprint (the low bits of its fingerprint slot)."""
        return int(state[FP]) & MASK64

    # -- node transitions (cached) ----------------------------------------------------------------

    def node_transitions(self) -> Iterator[NodeTransition]:
        """Every node transition computed so far, as values (no interned ids): (key, node index, snapshot
        before, input, snapshot after, messages sent, deliverable envelopes (dst index, message), fault
        text or ""). The key is (node index, snapshot id, action kind, argument); the input is
        ("deliver", msg), ("propose", value), ("timeout", None) or ("crash", None)."""
        names = {DELIVER: "deliver", PROPOSE: "propose", TIMEOUT: "timeout", CRASH: "crash"}
        for key, (new_sid, env_bits, msg_bits, _) in list(self.node_cache.items()):
            i, sid, kind, arg = key
            value = self.msgs[arg] if kind == DELIVER else self.proposal_of[arg] if kind == PROPOSE else None
            fault = self.faults.get(key)
            yield (key, i, self.snaps[i][sid], (names[kind], value), self.snaps[i][new_sid],
                   frozenset(self.msgs[m] for m in bit_ids(msg_bits)),
                   frozenset((self.envs[e][0], self.msgs[self.envs[e][1]]) for e in bit_ids(env_bits)),
                   str(fault) if fault is not None else "")
        yield from (row for key, row in list(self.gathered.items()) if key not in self.node_cache)

    def gather(self, rows: Iterable[tuple[Any, ...]]) -> int:
        """Take in node transitions another process computed (its `node_transitions` rows less their keys:
        values only), keyed by this process's ids; `node_transitions` yields them too. They do not enter the
        step cache: only the node checks read them. Returns how many were new here."""
        codes = {"deliver": DELIVER, "propose": PROPOSE, "timeout": TIMEOUT, "crash": CRASH}
        new = 0
        for i, snap, what, after, msgs, envs, fault in rows:
            kind = codes[what[0]]
            arg = (self.intern_msg(what[1]) if kind == DELIVER else self.proposer_idx.index(i) if kind == PROPOSE
                   else 0)
            key = (i, self.intern_snap(i, snap), kind, arg)
            if key not in self.node_cache and key not in self.gathered:
                self.gathered[key] = (key, i, snap, what, after, msgs, envs, fault)
                new += 1
        return new

    def node_step(self, i: int, sid: int, kind: int, arg: int) -> NodeStep:
        """(new snapshot id, envelope bits sent, message bits sent, step properties broken)."""
        key = (i, sid, kind, arg)
        hit = self.node_cache.get(key)
        if hit is not None:
            return hit
        try:
            new_sid, env_bits, msg_bits, before, after = self._run_node(i, sid, kind, arg)
        except NodeFault as fault:  # the node's bug: the step changes nothing and breaks node_error
            self.faults[key] = fault
            faulted: NodeStep = (sid, 0, 0, (NODE_ERROR,))
            self.node_cache[key] = faulted
            return faulted
        broken: tuple[str, ...] = ()
        if before is not None and after is not None and before != after:
            n = self.ids[i]
            broken = tuple(name for name, _ in failing_steps(self.acc_view({n: before}), self.acc_view({n: after})))
        result = (new_sid, env_bits, msg_bits, broken)
        self.node_cache[key] = result
        return result

    def _run_node(self, i: int, sid: int, kind: int,
                  arg: int) -> tuple[int, int, int, AcceptorDurable | None, AcceptorDurable | None]:
        """Run one node step through paxos._guard: a raise or malformed output is a NodeFault."""
        node, n = self.nodes[i], self.ids[i]
        call_node(n, "restore", node.restore, self.snaps[i][sid])
        before = call_node(n, "acceptor_state", node.acceptor_state)
        if kind == DELIVER:
            method, outputs = "on_message", call_handler(n, "on_message", node.on_message, self.msgs[arg])
        elif kind == PROPOSE:
            method, outputs = "propose", call_handler(n, "propose", node.propose, self.proposal_of[arg])
        elif kind == TIMEOUT:
            method, outputs = "on_timeout", call_handler(n, "on_timeout", node.on_timeout)
        else:  # CRASH
            method, outputs = "crash", []
            call_node(n, "crash", node.crash)
        after = call_node(n, "acceptor_state", node.acceptor_state)
        new_sid = self.intern_snap(i, checked_snapshot(n, node.snapshot))
        env_bits = msg_bits = 0
        for dest, msg in outputs:
            try:
                dsts = resolve(self.cc, dest)
            except ProtocolError as exc:
                raise NodeFault(n, method, str(exc)) from None
            mid = self.intern_msg(msg)
            msg_bits |= 1 << mid
            if beyond_round(msg, self.cfg.max_round):
                continue  # sent, never delivered: the --max-round state constraint
            for dst in dsts:
                env_bits |= 1 << self.intern_env(self.index[dst], mid)
        return new_sid, env_bits, msg_bits, before, after

    def step_detail(self, state: ImplState, action: tuple[int, int, int]) -> str:
        """What went wrong in a step that broke node_error (the method, exception and file:line)."""
        kind, i, arg = action
        if kind == DELIVER:
            arg = self.envs[arg][1]
        fault = self.faults.get((i, state[i], kind, arg))
        return str(fault) if fault is not None else ""

    def acc_view(self, acceptors: dict[int, AcceptorDurable]) -> WorldView:
        return WorldView(self.cc, acceptors, {}, frozenset(), frozenset())

    def acceptor_of(self, i: int, sid: int) -> AcceptorDurable | None:
        node = self.nodes[i]
        node.restore(self.snaps[i][sid])
        return node.acceptor_state()

    def learned_of(self, i: int, sid: int) -> Value:
        node = self.nodes[i]
        node.restore(self.snaps[i][sid])
        return node.learned()
