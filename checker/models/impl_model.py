"""The implementation model: a cluster of real nodes (ours or `--impl`) as a `checker.model.Model`.

States are flat tuples of small integers: each node snapshot, each message
and each envelope is interned once, the network is a bit set (set network)
or a sorted tuple (bag network), and every node transition is computed once
per (node state, input) and cached, since a node's next state depends only on
its own state and the input. Semantics are those of `paxos.Cluster`, which
`describe` replays to write traces (and so cross-checks this encoding).
Properties come from `properties/`; nothing here defines one.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any

from checker.bitsets import bit_ids
from checker.config import CheckConfig, load_factory
from checker.fingerprint import fp_hex
from checker.model import PropertyInfo, StepRow
from checker.models.impl_encoding import (
    CRASH,
    DELIVER,
    DROP,
    DUPLICATE,
    KIND_NAMES,
    PROPOSE,
    RESTART,
    TIMEOUT,
    ImplState,
)
from checker.models.impl_refinement import RefinementIndex
from checker.models.impl_steps import action_row, describe_change, key_env, key_node, key_scalar, key_sent
from paxos import (
    Accepted,
    AcceptorDurable,
    Crash,
    Deliver,
    Drop,
    Duplicate,
    Envelope,
    Message,
    NodeFactory,
    NodeProtocol,
    Propose,
    Restart,
    Timeout,
    Value,
    resolve,
)
from paxos import Action as ClusterAction
from properties.invariants import PROPERTIES, WorldView, failing, failing_steps
from properties.refinement import Refinement


class _ScalarKeys(dict[tuple[object, ...], int]):
    """Stable Zobrist keys of scalar components (counters, flags), made on first use."""

    def __missing__(self, key: tuple[object, ...]) -> int:
        value = self[key] = key_scalar(*key)
        return value
Net = Any  # int bit set (set network) or sorted tuple of envelope ids (bag network)
Expansion = tuple[list[tuple[int, int, int]], list[ImplState], list[tuple[int, tuple[str, ...]]]]
#: Per (node, snapshot, envelopes waiting): (action, new snapshot, its key change, envelopes, messages, broken)
DeliveryEntries = tuple[tuple[tuple[int, int, int], int, int, int, int, tuple[str, ...]], ...]


class _Memo(dict[int, int]):
    """A function of a bit set, computed once per bit set."""

    def __init__(self, fn: Callable[[int], int]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, bits: int) -> int:
        value = self[bits] = self.fn(bits)
        return value


def _picker(positions: Sequence[int]) -> Callable[[ImplState], tuple[Any, ...]]:
    """A fast `lambda state: tuple(state[p] for p in positions)`."""
    if not positions:
        return lambda state: ()
    get = operator.itemgetter(*positions)
    if len(positions) == 1:
        return lambda state: (get(state),)
    return get


class ImplModel:
    """Explore every interleaving of a cluster of nodes built by a factory, within `CheckConfig` bounds.

    State layout, k nodes and p proposers:
    `(snap_0 .. snap_{k-1}, net, crashed_mask, crashes_used, drops_used, duplicates_used,
    started_0 .. started_{p-1}, sent_mask, proposed_mask, fingerprint)`. The fingerprint is
    the XOR of stable per-component keys (Zobrist hashing), updated incrementally per step,
    so it is the same in every process although the interned ids are not.
    """

    kind = "impl"

    def __init__(self, cfg: CheckConfig, factory: NodeFactory | None = None, refinement: bool = True) -> None:
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
        # interning tables
        self.snaps: list[list[Hashable]] = [[] for _ in self.ids]
        self.snap_id: list[dict[Hashable, int]] = [{} for _ in self.ids]
        self.msgs: list[Message] = []
        self.msg_id: dict[Message, int] = {}
        self.envs: list[tuple[int, int]] = []  # (dst node index, msg id)
        self.env_id: dict[tuple[int, int], int] = {}
        self.accepted_mask = 0  # msg ids of Accepted messages
        self._z_snap: list[list[int]] = [[] for _ in self.ids]
        self._z_msg: list[int] = []
        self._z_env_cache: dict[tuple[int, int], int] = {}
        self._z = _ScalarKeys()
        # caches
        self._node_cache: dict[tuple[int, int, int, int], tuple[int, int, int, tuple[str, ...]]] = {}
        self._always_cache: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._sometimes_cache: dict[tuple[int, int], tuple[str, ...]] = {}
        self._infos = tuple(PropertyInfo(p.name, p.kind, p.description) for p in PROPERTIES)
        self.refinement = Refinement(self.cc, self.values, cfg.max_ballots) if refinement else None
        self.ballot_limits = cfg.ballot_limits()
        if self.refinement is not None and not self.refinement.applicable:
            self.refinement = None  # flexible quorums: Paxos.tla has one quorum system, so no mapping
        self._refine_index = None
        self._acceptor_pos = {i: pos for pos, i in enumerate(self.acceptor_idx)}
        self._acceptor_at = [self._acceptor_pos.get(i, -1) for i in range(self.k)]  # -1: not an acceptor
        self._coverage_cache: dict[tuple[int, int, int], Sequence[tuple[str, str]]] = {}
        # Zobrist changes of sets of messages (ghost history) and of envelopes (set network), per bit set
        self._z_msgs = _Memo(lambda bits: self._xor_keys(self._z_msg, bits))
        self._z_add = _Memo(lambda bits: self._xor_keys(self._z_env1, bits))
        self._z_env1: list[int] = []  # per envelope id: its key when in the set network
        self._dst_mask: list[int] = [0] * self.k  # per node index: the envelope ids addressed to it
        self._deliveries: dict[tuple[int, int, int], DeliveryEntries] = {}
        self._stash: tuple[Any, list[tuple[int, int, int]], list[tuple[int, tuple[str, ...]]]] = (None, [], [])
        if self.refinement is not None:
            self._refine_index = RefinementIndex(self.refinement, self.msgs, self.acceptor_idx,
                                                 list(self.cc.acceptors), self._acceptor_of)
            self._infos += (PropertyInfo("refines_spec", "step", self.refinement.description),)
        self._acceptors_of = _picker(self.acceptor_idx)
        self._learners_of = _picker(self.learner_idx)
        self._initial = self._make_initial()

    # -- interning ------------------------------------------------------------------------------

    def _intern_snap(self, i: int, snap: Hashable) -> int:
        table = self.snap_id[i]
        sid = table.get(snap)
        if sid is None:
            sid = table[snap] = len(self.snaps[i])
            self.snaps[i].append(snap)
            self._z_snap[i].append(key_node(self.ids[i], snap))
        return sid

    def _intern_msg(self, msg: Message) -> int:
        mid = self.msg_id.get(msg)
        if mid is None:
            mid = self.msg_id[msg] = len(self.msgs)
            self.msgs.append(msg)
            self._z_msg.append(key_sent(msg))
            if isinstance(msg, Accepted):
                self.accepted_mask |= 1 << mid
        return mid

    def _intern_env(self, dst: int, mid: int) -> int:
        key = (dst, mid)
        eid = self.env_id.get(key)
        if eid is None:
            eid = self.env_id[key] = len(self.envs)
            self.envs.append(key)
            self._z_env1.append(self._z_env(eid, 1))
            self._dst_mask[dst] |= 1 << eid
        return eid

    def _make_initial(self) -> ImplState:
        snaps = tuple(self._intern_snap(i, node.snapshot()) for i, node in enumerate(self.nodes))
        net: Net = () if self.bag else 0
        fp = 0
        for i, sid in enumerate(snaps):
            fp ^= self._z_snap[i][sid]
        for j in range(self.p):
            fp ^= self._z[("started", j, 0)]
        for name in ("crashes", "drops", "duplicates"):
            fp ^= self._z[(name, 0)]
        return (*snaps, net, 0, 0, 0, 0, *([0] * self.p), 0, 0, fp)

    # -- node transitions (cached) ----------------------------------------------------------------

    def _node_step(self, i: int, sid: int, kind: int, arg: int) -> tuple[int, int, int, tuple[str, ...]]:
        """(new snapshot id, envelope bits sent, message bits sent, step properties broken)."""
        key = (i, sid, kind, arg)
        hit = self._node_cache.get(key)
        if hit is not None:
            return hit
        node = self.nodes[i]
        node.restore(self.snaps[i][sid])
        before = node.acceptor_state()
        if kind == DELIVER:
            outputs = node.on_message(self.msgs[arg])
        elif kind == PROPOSE:
            outputs = node.propose(self.proposal_of[arg])
        elif kind == TIMEOUT:
            outputs = node.on_timeout()
        else:  # CRASH
            node.crash()
            outputs = []
        after = node.acceptor_state()
        new_sid = self._intern_snap(i, node.snapshot())
        env_bits = msg_bits = 0
        for dest, msg in outputs:
            mid = self._intern_msg(msg)
            msg_bits |= 1 << mid
            for dst in resolve(self.cc, dest):
                env_bits |= 1 << self._intern_env(self.index[dst], mid)
        broken: tuple[str, ...] = ()
        if before is not None and after is not None and before != after:
            n = self.ids[i]
            broken = tuple(name for name, _ in failing_steps(self._acc_view({n: before}), self._acc_view({n: after})))
        result = (new_sid, env_bits, msg_bits, broken)
        self._node_cache[key] = result
        return result

    def _acc_view(self, acceptors: dict[int, AcceptorDurable]) -> WorldView:
        return WorldView(self.cc, acceptors, {}, frozenset(), frozenset())

    # -- the Model interface ------------------------------------------------------------------------

    def config(self) -> dict[str, object]:
        return self.cfg.to_json()

    def properties(self) -> Sequence[PropertyInfo]:
        return self._infos

    def initial_states(self) -> Iterable[ImplState]:
        return (self._initial,)

    def successors(self, state: ImplState) -> Iterator[tuple[tuple[int, int, int], ImplState]]:
        actions, states, _ = self.expand(state)
        return zip(actions, states, strict=True)

    def expand(self, state: ImplState) -> Expansion:
        """Every transition of `state` at once: (actions, successor states, [(index, step properties broken)]).

        The search's fast path: one call per state, step verdicts included, so a strategy
        needs no per-transition call back into the model. `successors` is this, zipped.
        """
        actions: list[tuple[int, int, int]] = []
        states: list[ImplState] = []
        broken: list[tuple[int, tuple[str, ...]]] = []
        k = self.k
        net, crashed = state[k], state[k + 1]
        sent, fp = state[-3], state[-1]
        zs, z, verdict = self._z_snap, self._z, self._verdict
        for j, i in enumerate(self.proposer_idx):
            if crashed >> i & 1:
                continue
            started = state[k + 5 + j]
            if started == 0:
                kind, arg = PROPOSE, j
            elif started < self.ballot_limits[j]:
                kind, arg = TIMEOUT, 0
            else:
                continue
            new_sid, env_bits, msg_bits, own = self._node_step(i, state[i], kind, arg)
            new_net, dfp = self._add(net, env_bits)
            dfp ^= zs[i][state[i]] ^ zs[i][new_sid] ^ self._z_msgs[msg_bits & ~sent]
            dfp ^= z[("started", j, started)] ^ z[("started", j, started + 1)]
            new_proposed = state[-2]
            if kind == PROPOSE:
                bit = 1 << self.values.index(self.proposal_of[j])
                if not new_proposed & bit:
                    new_proposed |= bit
                    dfp ^= z[("proposed", self.proposal_of[j])]
            succ = list(state)
            succ[i] = new_sid
            succ[k] = new_net
            succ[k + 5 + j] = started + 1
            succ[-3] = sent | msg_bits
            succ[-2] = new_proposed
            succ[-1] = fp ^ dfp
            self._emit(actions, states, broken, (kind, i, arg), tuple(succ),
                       verdict(i, state[i], new_sid, sent, sent | msg_bits, own))
        if self.bag:
            self._bag_network(state, actions, states, broken)
        else:
            self._set_deliveries(state, actions, states, broken)
        c_used = state[k + 2]
        for i in range(k):
            if crashed >> i & 1:
                succ = list(state)
                succ[k + 1] = crashed & ~(1 << i)
                succ[-1] = fp ^ z[("crashed", self.ids[i])]
                actions.append((RESTART, i, 0))
                states.append(tuple(succ))
            elif c_used < self.cfg.crashes:
                new_sid, _, _, own = self._node_step(i, state[i], CRASH, 0)
                succ = list(state)
                succ[i] = new_sid
                succ[k + 1] = crashed | (1 << i)
                succ[k + 2] = c_used + 1
                succ[-1] = (fp ^ zs[i][state[i]] ^ zs[i][new_sid] ^ z[("crashed", self.ids[i])]
                            ^ z[("crashes", c_used)] ^ z[("crashes", c_used + 1)])
                self._emit(actions, states, broken, (CRASH, i, 0), tuple(succ),
                           verdict(i, state[i], new_sid, sent, sent, own))
        self._stash = (state, actions, broken)
        return actions, states, broken

    @staticmethod
    def _emit(actions: list[tuple[int, int, int]], states: list[ImplState],
              broken: list[tuple[int, tuple[str, ...]]], action: tuple[int, int, int], succ: ImplState,
              names: tuple[str, ...]) -> None:
        if names:
            broken.append((len(states), names))
        actions.append(action)
        states.append(succ)

    def _set_deliveries(self, state: ImplState, actions: list[tuple[int, int, int]], states: list[ImplState],
                        broken: list[tuple[int, tuple[str, ...]]]) -> None:
        """Deliveries in the set network: per node, the effective ones are cached per (node state, its mail)."""
        k = self.k
        net, crashed = state[k], state[k + 1]
        sent, fp = state[-3], state[-1]
        masks, table = self._dst_mask, self._deliveries
        z_add, z_msgs = self._z_add, self._z_msgs
        index, acceptor_pos = self._refine_index, self._acceptor_at
        for i in range(k):
            bits = net & masks[i]
            if not bits or crashed >> i & 1:
                continue
            sid = state[i]
            pos = acceptor_pos[i]
            entries = table.get((i, sid, bits))
            if entries is None:
                entries = self._delivery_entries(i, sid, bits)
            for action, new_sid, dz, env_bits, msg_bits, own in entries:
                new_env = env_bits & ~net
                new_msg = msg_bits & ~sent
                moved = new_sid != sid
                if not moved and not new_env and not new_msg:
                    continue  # nothing changes: a stutter
                new_sent = sent | msg_bits
                succ = list(state)
                succ[i] = new_sid
                succ[k] = net | env_bits
                succ[-3] = new_sent
                succ[-1] = fp ^ dz ^ z_add[new_env] ^ z_msgs[new_msg]
                # as in _verdict: a Spec stutter unless a message is new or an acceptor moved
                if index is not None and (new_msg or (moved and pos >= 0)) and not index.allows(
                        pos, sid, new_sid, sent, new_sent):
                    broken.append((len(states), (*own, "refines_spec")))
                elif own:
                    broken.append((len(states), own))
                actions.append(action)
                states.append(tuple(succ))

    def _delivery_entries(self, i: int, sid: int, bits: int) -> DeliveryEntries:
        """Node `i` in snapshot `sid` with envelopes `bits` waiting: every delivery that can change something."""
        out = []
        zs = self._z_snap[i]
        for eid in bit_ids(bits):
            new_sid, env_bits, msg_bits, own = self._node_step(i, sid, DELIVER, self.envs[eid][1])
            if new_sid != sid or env_bits or msg_bits:
                out.append(((DELIVER, i, eid), new_sid, zs[sid] ^ zs[new_sid], env_bits, msg_bits, own))
        entries = self._deliveries[(i, sid, bits)] = tuple(out)
        return entries

    def _bag_network(self, state: ImplState, actions: list[tuple[int, int, int]], states: list[ImplState],
                     broken: list[tuple[int, tuple[str, ...]]]) -> None:
        """Deliveries, drops and duplicates in the bag network (an in-flight multiset)."""
        k = self.k
        net, crashed, d_used, u_used = state[k], state[k + 1], state[k + 3], state[k + 4]
        sent, fp = state[-3], state[-1]
        zs, z, cfg = self._z_snap, self._z, self.cfg
        for eid in sorted(set(net)):
            dst, mid = self.envs[eid]
            if not crashed >> dst & 1:
                new_sid, env_bits, msg_bits, own = self._node_step(dst, state[dst], DELIVER, mid)
                new_net, dfp = self._remove(net, eid)
                new_net, dfp2 = self._add(new_net, env_bits)
                if new_sid == state[dst] and new_net == net and not msg_bits & ~sent:
                    continue  # nothing changes: a stutter
                dfp ^= dfp2 ^ zs[dst][state[dst]] ^ zs[dst][new_sid] ^ self._z_msgs[msg_bits & ~sent]
                succ = list(state)
                succ[dst] = new_sid
                succ[k] = new_net
                succ[-3] = sent | msg_bits
                succ[-1] = fp ^ dfp
                self._emit(actions, states, broken, (DELIVER, dst, eid), tuple(succ),
                           self._verdict(dst, state[dst], new_sid, sent, sent | msg_bits, own))
            for kind, budget, slot, used, limit in ((DROP, "drops", k + 3, d_used, cfg.drops),
                                                    (DUPLICATE, "duplicates", k + 4, u_used, cfg.duplicates)):
                if used < limit:  # the network loses one copy, or makes one more
                    new_net, dfp = self._remove(net, eid) if kind == DROP else self._add(net, 1 << eid)
                    succ = list(state)
                    succ[k] = new_net
                    succ[slot] = used + 1
                    succ[-1] = fp ^ dfp ^ z[(budget, used)] ^ z[(budget, used + 1)]
                    actions.append((kind, dst, eid))
                    states.append(tuple(succ))

    # -- Zobrist fingerprints: each component's stable 64-bit key, XORed; updated per step ----------

    def _xor_keys(self, keys: Sequence[int], bits: int) -> int:
        out = 0
        while bits:
            low = bits & -bits
            out ^= keys[low.bit_length() - 1]
            bits ^= low
        return out

    def _z_env(self, eid: int, count: int) -> int:
        """Key of envelope `eid` being in the network `count` times (0: absent, key 0)."""
        if count == 0:
            return 0
        key = (eid, count)
        hit = self._z_env_cache.get(key)
        if hit is None:
            dst, mid = self.envs[eid]
            hit = self._z_env_cache[key] = key_env(self.ids[dst], self.msgs[mid], count)
        return hit

    def _add(self, net: Net, env_bits: int) -> tuple[Net, int]:
        """The network with the envelopes of `env_bits` added, and the fingerprint change."""
        if not env_bits:
            return net, 0
        dfp = 0
        if not self.bag:
            new = env_bits & ~net
            if not new:
                return net, 0
            return net | env_bits, self._z_add[new]
        items = list(net)
        for eid in bit_ids(env_bits):
            c = items.count(eid)
            dfp ^= self._z_env(eid, c) ^ self._z_env(eid, c + 1)
            items.append(eid)
        return tuple(sorted(items)), dfp

    def _remove(self, net: Net, eid: int) -> tuple[Net, int]:
        items = list(net)
        c = items.count(eid)
        items.remove(eid)
        return tuple(items), self._z_env(eid, c) ^ self._z_env(eid, c - 1)

    def fingerprint(self, state: ImplState) -> int:
        """Stable across processes: XOR of the components' stable keys (Zobrist), kept in the state."""
        return int(state[-1])

    def recompute_fingerprint(self, state: ImplState) -> int:
        """The fingerprint from scratch (tests check it equals the incremental one)."""
        k, z = self.k, self._z
        fp = 0
        for i in range(k):
            fp ^= self._z_snap[i][state[i]]
        net = state[k]
        if self.bag:
            for eid in set(net):
                fp ^= self._z_env(eid, net.count(eid))
        else:
            for eid in bit_ids(net):
                fp ^= self._z_env(eid, 1)
        for i in bit_ids(state[k + 1]):
            fp ^= z[("crashed", self.ids[i])]
        for name, used in zip(("crashes", "drops", "duplicates"), state[k + 2 : k + 5], strict=False):
            fp ^= z[(name, used)]
        for j in range(self.p):
            fp ^= z[("started", j, state[k + 5 + j])]
        fp ^= self._z_msgs[state[-3]]
        for b in bit_ids(state[-2]):
            fp ^= z[("proposed", self.values[b])]
        return fp

    def violated(self, state: ImplState) -> Sequence[str]:
        sent_acc = state[-3] & self.accepted_mask
        key = (self._acceptors_of(state), self._learners_of(state), sent_acc, state[-2])
        hit = self._always_cache.get(key)
        if hit is None:
            hit = self._always_cache[key] = tuple(name for name, _ in failing(self.view(state)))
        return hit

    def witnessed(self, state: ImplState) -> Sequence[str]:
        key = (state[-3] & self.accepted_mask, state[-2])
        hit = self._sometimes_cache.get(key)
        if hit is None:
            view = self.view(state)
            hit = self._sometimes_cache[key] = tuple(
                p.name for p in PROPERTIES if p.kind == "sometimes" and p.check(view) is None
            )
        return hit

    def step_violated(self, state: ImplState, action: tuple[int, int, int], succ: ImplState) -> Sequence[str]:
        stashed, actions, broken = self._stash
        if stashed is not state:
            actions, _, broken = self.expand(state)
        for j, names in broken:
            if actions[j] == action:
                return names
        return ()

    def _verdict(self, i: int, before: int, after: int, sent: int, new_sent: int,
                 broken: tuple[str, ...]) -> tuple[str, ...]:
        """The step properties node `i`'s step breaks: its own (`broken`) plus `refines_spec`."""
        index, pos = self._refine_index, self._acceptor_at[i]
        if index is None or (sent == new_sent and (before == after or pos < 0)):
            return broken  # no new message and no acceptor change: a Spec stutter
        if index.allows(pos, before, after, sent, new_sent):
            return broken
        return (*broken, "refines_spec")

    def _acceptor_of(self, i: int, sid: int) -> AcceptorDurable | None:
        node = self.nodes[i]
        node.restore(self.snaps[i][sid])
        return node.acceptor_state()

    # -- views, decoding, descriptions --------------------------------------------------------------

    def node_states(self, state: ImplState) -> tuple[Hashable, ...]:
        return tuple(self.snaps[i][state[i]] for i in range(self.k))

    def acceptor_states(self, state: ImplState) -> dict[int, AcceptorDurable]:
        out = {}
        for i in self.acceptor_idx:
            node = self.nodes[i]
            node.restore(self.snaps[i][state[i]])
            acc = node.acceptor_state()
            if acc is not None:
                out[self.ids[i]] = acc
        return out

    def sent_messages(self, state: ImplState) -> frozenset[Message]:
        return frozenset(self.msgs[m] for m in bit_ids(state[-3]))

    def view(self, state: ImplState) -> WorldView:
        learned = {}
        for i in self.learner_idx:
            node = self.nodes[i]
            node.restore(self.snaps[i][state[i]])
            learned[self.ids[i]] = node.learned()
        history = frozenset(m for m in self.sent_messages(state) if isinstance(m, Accepted))
        proposed = frozenset(v for b, v in enumerate(self.values) if state[-2] >> b & 1)
        return WorldView(self.cc, self.acceptor_states(state), learned, history, proposed)

    def world(self, state: ImplState) -> Hashable:
        """The state as `paxos.Cluster.snapshot()` would give it (same shape, same fingerprint)."""
        k = self.k
        net = state[k]
        counts: dict[Envelope, int] = {}
        for eid in (net if self.bag else bit_ids(net)):
            dst, mid = self.envs[eid]
            env = Envelope(self.ids[dst], self.msgs[mid])
            counts[env] = counts.get(env, 0) + 1
        crashed = frozenset(self.ids[i] for i in bit_ids(state[k + 1]))
        started = tuple(state[k + 5 : k + 5 + self.p])
        proposed = frozenset(v for b, v in enumerate(self.values) if state[-2] >> b & 1)
        return (self.node_states(state), frozenset(counts.items()), crashed, tuple(state[k + 2 : k + 5]),
                started, self.sent_messages(state), proposed)

    def cluster_action(self, action: tuple[int, int, int]) -> ClusterAction:
        """The `paxos.Cluster` action this model action stands for."""
        kind, i, arg = action
        node = self.ids[i]
        if kind == PROPOSE:
            return Propose(node, self.proposal_of[arg])
        if kind == TIMEOUT:
            return Timeout(node)
        if kind == CRASH:
            return Crash(node)
        if kind == RESTART:
            return Restart(node)
        dst, mid = self.envs[arg]
        env = Envelope(self.ids[dst], self.msgs[mid])
        if kind == DROP:
            return Drop(env)
        if kind == DUPLICATE:
            return Duplicate(env)
        return Deliver(env)

    def describe(self, state: ImplState, action: tuple[int, int, int], succ: ImplState) -> StepRow:
        kind, i, _arg = action
        before, after = self.view(state), self.view(succ)
        n = self.ids[i]
        new_msgs = self.sent_messages(succ) - self.sent_messages(state)
        sent = sorted(f"{type(m).__name__} {m.bal}" for m in new_msgs)
        extra = {CRASH: "crashed", RESTART: "restarted", DROP: "message lost", DUPLICATE: "message duplicated"}
        change = describe_change(before.acceptors.get(n), after.acceptors.get(n), before.learned.get(n),
                                 after.learned.get(n), sent, extra.get(kind, ""))
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

    # -- symmetry: acceptor renaming, owned by checker/models/impl_symmetry.py ----------------------
    _symmetry: Any = None

    def canonical(self, state: ImplState) -> ImplState:
        """The representative of `state`'s orbit under acceptor renaming (`--symmetry`)."""
        sym = self._symmetry
        if sym is None:
            from checker.models.impl_symmetry import symmetry_of

            sym = symmetry_of(self)
        result: ImplState = sym.canonical(state)
        return result

    def orbit_size(self, state: ImplState) -> int:
        """How many distinct states acceptor renaming maps `state` to."""
        from checker.models.impl_symmetry import symmetry_of

        return symmetry_of(self).orbit_size(state)

    def fingerprint_text(self, state: ImplState) -> str:
        return fp_hex(self.fingerprint(state))

    def coverage_summary(self) -> dict[str, str]:
        """Coverage facts known only to the model: the highest ballot any message carried."""
        ballots = [m.bal for m in self.msgs]
        return {"max_ballot": str(max(ballots))} if ballots else {}

    def coverage_keys(self, action: tuple[int, int, int]) -> Sequence[tuple[str, str]]:
        hit = self._coverage_cache.get(action)
        if hit is None:
            hit = self._coverage_cache[action] = self._coverage_keys(action)
        return hit

    def _coverage_keys(self, action: tuple[int, int, int]) -> Sequence[tuple[str, str]]:
        kind, _, arg = action
        keys = [("actions", KIND_NAMES[kind])]
        if kind == DELIVER:
            keys.append(("messages", type(self.msgs[self.envs[arg][1]]).__name__))
        if kind in (DROP, DUPLICATE, CRASH, RESTART):
            keys.append(("faults", KIND_NAMES[kind]))
        return keys
