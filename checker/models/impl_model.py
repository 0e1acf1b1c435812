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

import contextlib
import itertools
import operator
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from checker.bitsets import bit_ids
from checker.config import CheckConfig, load_factory
from checker.fingerprint import fp_hex
from checker.model import PropertyInfo, StepRow
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
from checker.models.impl_refinement import RefinementIndex
from checker.models.impl_steps import action_row, describe_change, key_env, key_node, key_scalar, key_sent
from checker.models.impl_wire import Receiver, Sender, Wire
from checker.models.learners import LearnerReach
from checker.models.reductions import Reductions, inert_kinds
from checker.user_properties import run_properties
from paxos import (
    NODE_ERROR,
    NODE_ERROR_DESCRIPTION,
    Accepted,
    AcceptorDurable,
    Crash,
    Deliver,
    Drop,
    Duplicate,
    Envelope,
    Message,
    NodeFactory,
    NodeFault,
    NodeProtocol,
    Propose,
    ProtocolError,
    Restart,
    Timeout,
    Value,
    beyond_round,
    call_handler,
    call_node,
    checked_snapshot,
    message_text,
    resolve,
)
from paxos import Action as ClusterAction
from properties.invariants import PROPERTIES, WorldView, failing, failing_steps
from properties.refinement import Refinement

MASK64 = (1 << 64) - 1

#: Most entries of the per-mailbox caches (`_deliveries`, `_inert_cache`), which are keyed by a node's
#: snapshot and the envelopes waiting for it and so grow about as fast as the states do (0.7 entries
#: per state, a few hundred bytes each, on `--ballots 2 --crashes 1`); past this they start over.
CACHE_ENTRIES = 1 << 19


class _ScalarKeys(dict[tuple[object, ...], int]):
    """Stable Zobrist keys of scalar components (counters, flags), made on first use."""

    def __missing__(self, key: tuple[object, ...]) -> int:
        value = self[key] = key_scalar(*key)
        return value
Net = Any  # int bit set (set network) or sorted tuple of envelope ids (bag network)
Expansion = tuple[list[tuple[int, int, int]], list[ImplState], list[tuple[int, tuple[str, ...]]]]
#: `ImplModel.node_transitions`: (key, node index, snapshot, input, snapshot after, messages, envelopes, fault text)
NodeTransition = tuple[tuple[int, int, int, int], int, Hashable, tuple[str, Any], Hashable, frozenset[Message],
                       frozenset[tuple[int, Message]], str]
#: Per (node, snapshot, envelopes waiting): (action, new snapshot, its key change, envelopes, messages, broken,
#: and what the receiver then sends on its own inert deliveries (envelopes, messages; zeros without saturation)
DeliveryEntries = tuple[tuple[tuple[int, int, int], int, int, int, int, tuple[str, ...], int, int], ...]


class _Memo(dict[int, int]):
    """A function of a bit set, computed once per bit set."""

    def __init__(self, fn: Callable[[int], int]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, bits: int) -> int:
        value = self[bits] = self.fn(bits)
        return value


class _Members(dict[int, tuple[int, ...]]):
    """The members of a bit set as a tuple, computed once per bit set."""

    def __missing__(self, bits: int) -> tuple[int, ...]:
        value = self[bits] = tuple(bit_ids(bits))
        return value


def _picker(positions: Sequence[int]) -> Callable[[ImplState], tuple[Any, ...]]:
    """A fast `lambda state: tuple(state[p] for p in positions)`."""
    if not positions:
        return lambda state: ()
    get = operator.itemgetter(*positions)
    if len(positions) == 1:
        return lambda state: (get(state),)
    return get


#: Partition a parallel BFS by the acceptors' snapshots (`ImplModel.partition_key`), else by fingerprint.
PARTITION_BY_ACCEPTORS = True


class ImplModel:
    """Explore every interleaving of a cluster of nodes built by a factory, within `CheckConfig` bounds.

    State layout, k nodes and p proposers:
    `(snap_0 .. snap_{k-1}, net, crashed_mask, crashes_used, drops_used, duplicates_used,
    started_0 .. started_{p-1}, sent_mask, proposed_mask, fingerprint)`. The fingerprint is
    the XOR of stable per-component keys (Zobrist hashing), updated incrementally per step,
    so it is the same in every process although the interned ids are not.
    """

    kind = "impl"

    def __init__(self, cfg: CheckConfig, factory: NodeFactory | None = None, refinement: bool = True,
                 reductions: Reductions | None = None, deviation_stops: bool = True) -> None:
        """`deviation_stops=False` (`--deviation warn`): a `refines_spec` violation is reported but does
        not end a search that stops on the first violation."""
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
        self._senders: dict[Hashable, Sender] = {}  # links of a parallel BFS (impl_wire.py), by peer
        self._receivers: dict[Hashable, Receiver] = {}
        self._partition_cache: dict[tuple[int, ...], int] = {}  # acceptors' snapshot ids -> partition key
        self.msgs: list[Message] = []
        self.msg_id: dict[Message, int] = {}
        self.envs: list[tuple[int, int]] = []  # (dst node index, msg id)
        self.env_id: dict[tuple[int, int], int] = {}
        self.accepted_mask = 0  # msg ids of Accepted messages
        self._z_snap: list[list[int]] = [[] for _ in self.ids]
        self._z_msg: list[int] = []
        self._z_env_cache: dict[tuple[int, int], int] = {}
        self._z = _ScalarKeys()
        self._orbit: Any = None  # the ImplSymmetry once keys carry orbit changes (symmetric_fingerprints)
        # caches
        self._node_cache: dict[tuple[int, int, int, int], tuple[int, int, int, tuple[str, ...]]] = {}
        self.faults: dict[tuple[int, int, int, int], NodeFault] = {}  # node steps that broke node_error
        self._always_cache: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._sometimes_cache: dict[tuple[int, int], tuple[str, ...]] = {}
        # the built-ins and the user's (--property); the user's step properties read whole views
        self.props = run_properties(cfg)
        self._by_name = {p.name: p for p in self.props}
        self._user_steps = tuple(p for p in self.props if p.kind == "step" and p not in PROPERTIES)
        self._user_sometimes = any(p.kind == "sometimes" and p not in PROPERTIES for p in self.props)
        self._view_cache: dict[tuple[Any, ...], WorldView] = {}
        self._infos = tuple(PropertyInfo(p.name, p.kind, p.description) for p in self.props)
        spec_ballots = max(cfg.max_ballots, (cfg.max_round or 0) + 1)
        self.refinement = Refinement(self.cc, self.values, spec_ballots) if refinement else None
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
            self._infos += (PropertyInfo("refines_spec", "step", self.refinement.description,
                                         stops=deviation_stops),)
        self._infos += (PropertyInfo(NODE_ERROR, "step", NODE_ERROR_DESCRIPTION),)
        self._acceptors_of = _picker(self.acceptor_idx)
        self._learners_of = _picker(self.learner_idx)
        self._setup_reductions(reductions if reductions is not None else Reductions())
        self._initial = self._make_initial()
        if not PARTITION_BY_ACCEPTORS:
            self.partition_key = None  # type: ignore[assignment]  # checker.model.partition_keys: none

    def _setup_reductions(self, wanted: Reductions) -> None:
        """The reductions of checker/models/reductions.py that apply here, and their tables."""
        reads = [p.reads for p in self.props] + ([Refinement.READS] if self.refinement is not None else [])
        self._inert_names = inert_kinds(reads)
        wanted = wanted.for_network(self.cfg.network)
        pure = [i for i in self.learner_idx if i not in self.acceptor_idx and i not in self.proposer_idx]
        self.reductions = Reductions(saturation=wanted.saturation and bool(self._inert_names),
                                     crash=wanted.crash,
                                     prompt_restart=wanted.prompt_restart,
                                     # a user's step property may read learners, whose steps are not explored then
                                     learners_apart=wanted.learners_apart and bool(pure) and not self._user_steps)
        self._saturating = self.reductions.saturation
        # delivery entries carry the receiver's inert outputs whenever the model saturates, also when they
        # are made inside _unreduced (which turns _saturating off for a while: the entries are shared)
        self._inert_entries = self._saturating
        self._prompt_restart = self.reductions.prompt_restart
        self._inert_mask = 0  # msg ids of inert kinds
        self._inert_cache: dict[tuple[int, int, int], tuple[int, int]] = {}  # per (node, snapshot, mail)
        self._inert_one: dict[tuple[int, int, int], tuple[int, int]] = {}  # per (node, snapshot, envelope)
        self._env_ids = _Members()  # envelope bit set -> its envelope ids
        self.apart = pure if self.reductions.learners_apart else []
        self._apart_mask = self._or_bits(1 << i for i in self.apart)
        self._reach = {i: LearnerReach(self.ids[i], self._learner_step(i), self._learned_fn(i), self.cfg.crashes)
                       for i in self.apart}
        self._combo_cache: dict[tuple[Any, ...], list[dict[int, Value]]] = {}

    @staticmethod
    def _or_bits(bits: Iterable[int]) -> int:
        out = 0
        for b in bits:
            out |= b
        return out

    # -- interning ------------------------------------------------------------------------------

    def _intern_snap(self, i: int, snap: Hashable) -> int:
        table = self.snap_id[i]
        sid = table.get(snap)
        if sid is None:
            sid = table[snap] = len(self.snaps[i])
            self.snaps[i].append(snap)
            self._z_snap[i].append(key_node(self.ids[i], snap))
            if self._orbit is not None:
                self._orbit.extend_key("snap", i, sid)
        return sid

    def _intern_msg(self, msg: Message) -> int:
        mid = self.msg_id.get(msg)
        if mid is None:
            mid = self.msg_id[msg] = len(self.msgs)
            self.msgs.append(msg)
            self._z_msg.append(key_sent(msg))
            if isinstance(msg, Accepted):
                self.accepted_mask |= 1 << mid
            if type(msg).__name__ in self._inert_names:
                self._inert_mask |= 1 << mid
            if self._orbit is not None:
                self._orbit.extend_key("msg", 0, mid)
        return mid

    def _intern_env(self, dst: int, mid: int) -> int:
        key = (dst, mid)
        eid = self.env_id.get(key)
        if eid is None:
            eid = self.env_id[key] = len(self.envs)
            self.envs.append(key)
            self._z_env1.append(self._z_env_plain(eid, 1))
            self._dst_mask[dst] |= 1 << eid
            if self._orbit is not None:
                self._orbit.extend_key("env", 0, eid)
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
        try:
            new_sid, env_bits, msg_bits, before, after = self._run_node(i, sid, kind, arg)
        except NodeFault as fault:  # the node's bug: the step changes nothing and breaks node_error
            self.faults[key] = fault
            faulted: tuple[int, int, int, tuple[str, ...]] = (sid, 0, 0, (NODE_ERROR,))
            self._node_cache[key] = faulted
            return faulted
        broken: tuple[str, ...] = ()
        if before is not None and after is not None and before != after:
            n = self.ids[i]
            broken = tuple(name for name, _ in failing_steps(self._acc_view({n: before}), self._acc_view({n: after})))
        result = (new_sid, env_bits, msg_bits, broken)
        self._node_cache[key] = result
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
        new_sid = self._intern_snap(i, checked_snapshot(n, node.snapshot))
        env_bits = msg_bits = 0
        for dest, msg in outputs:
            try:
                dsts = resolve(self.cc, dest)
            except ProtocolError as exc:
                raise NodeFault(n, method, str(exc)) from None
            mid = self._intern_msg(msg)
            msg_bits |= 1 << mid
            if beyond_round(msg, self.cfg.max_round):
                continue  # sent, never delivered: the --max-round state constraint
            for dst in dsts:
                env_bits |= 1 << self._intern_env(self.index[dst], mid)
        return new_sid, env_bits, msg_bits, before, after

    def node_transitions(self) -> Iterator[NodeTransition]:
        """Every node transition computed so far, as values (no interned ids): (key, node index, snapshot
        before, input, snapshot after, messages sent, deliverable envelopes (dst index, message), fault
        text or ""). `key` is `transition_key`'s; the input is ("deliver", msg), ("propose", value),
        ("timeout", None) or ("crash", None). Read by checker/models/hash_order.py and fidelity.py."""
        names = {DELIVER: "deliver", PROPOSE: "propose", TIMEOUT: "timeout", CRASH: "crash"}
        for key, (new_sid, env_bits, msg_bits, _) in list(self._node_cache.items()):
            i, sid, kind, arg = key
            value = self.msgs[arg] if kind == DELIVER else self.proposal_of[arg] if kind == PROPOSE else None
            fault = self.faults.get(key)
            yield (key, i, self.snaps[i][sid], (names[kind], value), self.snaps[i][new_sid],
                   frozenset(self.msgs[m] for m in bit_ids(msg_bits)),
                   frozenset((self.envs[e][0], self.msgs[self.envs[e][1]]) for e in bit_ids(env_bits)),
                   str(fault) if fault is not None else "")

    def transition_key(self, state: ImplState, action: tuple[int, int, int]) -> tuple[int, int, int, int] | None:
        """The node transition (`node_transitions`' key) that `action` takes in `state`, None for an action
        that runs no node code (restart, drop, duplicate). Under reductions a step may take more (inert
        deliveries): `real_steps` spells those out."""
        kind, i, arg = action
        if kind == DELIVER:
            return (i, state[i], DELIVER, self.envs[arg][1])
        if kind in (PROPOSE, TIMEOUT):
            return (i, state[i], kind, arg)
        if kind == CRASH:
            return (i, state[i], CRASH, 0)
        return None

    def step_detail(self, state: ImplState, action: tuple[int, int, int]) -> str:
        """What went wrong in a step that broke node_error (the method, exception and file:line)."""
        kind, i, arg = action
        if kind == DELIVER:
            arg = self.envs[arg][1]
        fault = self.faults.get((i, state[i], kind, arg))
        return str(fault) if fault is not None else ""

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
            if NODE_ERROR in own:  # the handler failed: nothing changes, the step is the finding
                self._emit(actions, states, broken, (kind, i, arg), state, own)
                continue
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
            if self._saturating:
                succ[k], succ[-3], succ[-1] = self._saturated(state, crashed | self._apart_mask, i, new_sid,
                                                              new_net, succ[-3], succ[-1], env_bits & ~net)
            self._emit(actions, states, broken, (kind, i, arg), tuple(succ),
                       verdict(i, state[i], new_sid, sent, sent | msg_bits, own))
        if self.bag:
            self._bag_network(state, actions, states, broken)
        else:
            self._set_deliveries(state, actions, states, broken)
        c_used = state[k + 2]
        null_crashes = self.reductions.crash
        for i in range(k):
            if self._apart_mask >> i & 1:
                continue  # learners apart: their crashes are in LearnerReach
            if crashed >> i & 1:
                succ = list(state)
                succ[k + 1] = crashed & ~(1 << i)
                succ[-1] = fp ^ z[("crashed", self.ids[i])]
                if self._saturating:  # back up: its mail may hold inert deliveries it could not take
                    succ[k], succ[-3], succ[-1] = self._saturated(state, succ[k + 1] | self._apart_mask, i, state[i],
                                                                  net, sent, succ[-1], 0)
                actions.append((RESTART, i, 0))
                states.append(tuple(succ))
            elif c_used < self.cfg.crashes:
                new_sid, _, _, own = self._node_step(i, state[i], CRASH, 0)
                if NODE_ERROR in own:
                    self._emit(actions, states, broken, (CRASH, i, 0), state, own)
                    continue
                if null_crashes and new_sid == state[i] and not own:
                    continue  # a crash that changes nothing is a delay (reductions.py, 2)
                succ = list(state)
                succ[i] = new_sid
                succ[k + 2] = c_used + 1
                dfp = zs[i][state[i]] ^ zs[i][new_sid] ^ z[("crashes", c_used)] ^ z[("crashes", c_used + 1)]
                if self._prompt_restart:  # the node restarts at once (reductions.py, 4)
                    succ[-1] = fp ^ dfp
                    if self._saturating:
                        succ[k], succ[-3], succ[-1] = self._saturated(state, crashed | self._apart_mask, i, new_sid,
                                                                      net, sent, succ[-1], 0)
                    action = (CRASH, i, CRASH_RESTART)
                else:
                    succ[k + 1] = crashed | (1 << i)
                    succ[-1] = fp ^ dfp ^ z[("crashed", self.ids[i])]
                    action = (CRASH, i, 0)
                self._emit(actions, states, broken, action, tuple(succ),
                           verdict(i, state[i], new_sid, sent, sent, own))
        if self._user_steps:
            self._judge_user_steps(state, states, broken)
        self._stash = (state, actions, broken)
        return actions, states, broken

    def _judge_user_steps(self, state: ImplState, states: list[ImplState],
                          broken: list[tuple[int, tuple[str, ...]]]) -> None:
        """The user's step properties (properties/user.py) over the whole views before and after each transition."""
        before = self._cached_view(state)
        extra: dict[int, tuple[str, ...]] = {}
        for j, succ in enumerate(states):
            after = self._cached_view(succ)
            names = tuple(p.name for p in self._user_steps if p.check(before, after) is not None)
            if names:
                extra[j] = names
        if extra:
            merged = dict(broken)
            for j, names in extra.items():
                merged[j] = (*merged.get(j, ()), *names)
            broken[:] = sorted(merged.items())

    def _cached_view(self, state: ImplState) -> WorldView:
        key = (self._acceptors_of(state), self._learners_of(state), state[-3] & self.accepted_mask, state[-2])
        hit = self._view_cache.get(key)
        if hit is None:
            hit = self._view_cache[key] = self.view(state)
        return hit

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
        skip = crashed | self._apart_mask
        saturating = self._saturating
        not_net, not_sent = ~net, ~sent
        for i in range(k):
            bits = net & masks[i]
            if not bits or skip >> i & 1:
                continue
            sid = state[i]
            pos = acceptor_pos[i]
            entries = table.get((i, sid, bits))
            if entries is None:
                entries = self._delivery_entries(i, sid, bits)
            for action, new_sid, dz, env_bits, msg_bits, own, inert_env, inert_msg in entries:
                new_env = env_bits & not_net
                new_msg = msg_bits & not_sent
                moved = new_sid != sid
                if not moved and not new_env and not new_msg and not own:
                    continue  # nothing changes: a stutter (a node_error changes nothing but is kept)
                new_sent = sent | msg_bits
                succ = list(state)
                succ[i] = new_sid
                new_net = succ[k] = net | env_bits
                succ[-3] = new_sent
                succ[-1] = fp ^ dz ^ z_add[new_env] ^ z_msgs[new_msg]
                # (what the actor sends inertly and the parent had is in the successor: the parent is saturated)
                if saturating and (new_env or inert_env & not_net or inert_msg & not_sent):
                    succ[k], succ[-3], succ[-1] = self._saturated(state, skip, i, new_sid, new_net, new_sent,
                                                                  succ[-1], new_env, (inert_env, inert_msg))
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
        mail = self._dst_mask[i]
        for eid in bit_ids(bits):
            new_sid, env_bits, msg_bits, own = self._node_step(i, sid, DELIVER, self.envs[eid][1])
            if new_sid != sid or env_bits or msg_bits or own:
                after = bits | env_bits & mail  # its mail after the delivery
                inert_env, inert_msg = self._inert_of(i, new_sid, after) if self._inert_entries else (0, 0)
                out.append(((DELIVER, i, eid), new_sid, zs[sid] ^ zs[new_sid], env_bits, msg_bits, own, inert_env,
                            inert_msg))
        if len(self._deliveries) >= CACHE_ENTRIES:
            self._deliveries.clear()  # a cache, not a record: bounded, so memory grows with states only
        entries = self._deliveries[(i, sid, bits)] = tuple(out)
        return entries

    # -- reduction 1: saturation of inert deliveries (reductions.py) ---------------------------------

    def _inert(self, sid: int, new_sid: int, msg_bits: int, own: tuple[str, ...]) -> bool:
        """Is a delivery inert: the receiver unchanged, only inert kinds sent, no step property broken?"""
        return new_sid == sid and not own and not msg_bits & ~self._inert_mask

    def _entries(self, i: int, sid: int, bits: int) -> DeliveryEntries:
        """The cached effective deliveries of node `i` in `sid` with `bits` waiting."""
        entries = self._deliveries.get((i, sid, bits))
        return entries if entries is not None else self._delivery_entries(i, sid, bits)

    def _inert_of(self, i: int, sid: int, bits: int) -> tuple[int, int]:
        """(envelopes, messages) that node `i` in `sid` sends on the inert deliveries among `bits`."""
        key = (i, sid, bits)
        hit = self._inert_cache.get(key)
        if hit is None:
            env = msg = 0
            one, each = self._inert_one, self._inert_one_of
            for eid in bit_ids(bits):
                got = one.get((i, sid, eid))
                e, m = got if got is not None else each(i, sid, eid)
                env |= e
                msg |= m
            if len(self._inert_cache) >= CACHE_ENTRIES:
                self._inert_cache.clear()
            hit = self._inert_cache[key] = (env, msg)
        return hit

    def _inert_one_of(self, i: int, sid: int, eid: int) -> tuple[int, int]:
        """(envelopes, messages) sent if delivering envelope `eid` to node `i` in `sid` is inert, else zeros."""
        new_sid, env_bits, msg_bits, own = self._node_step(i, sid, DELIVER, self.envs[eid][1])
        hit = (env_bits, msg_bits) if self._inert(sid, new_sid, msg_bits, own) else (0, 0)
        if len(self._inert_one) >= CACHE_ENTRIES:
            self._inert_one.clear()
        self._inert_one[(i, sid, eid)] = hit
        return hit

    def _saturated(self, state: ImplState, down: int, actor: int, actor_sid: int, net: int, sent: int, fp: int,
                   fresh: int, actor_inert: tuple[int, int] | None = None) -> tuple[int, int, int]:
        """(network, sent, fingerprint) of a successor of `state` once every inert delivery it enables has
        been taken: a fixpoint.

        `actor` took the step and is now in `actor_sid`; `net`, `sent`, `fp` are the successor's
        before saturation, `fresh` the envelopes new in the step and `down` the nodes that take
        nothing (crashed, learners apart). Since `state` was saturated already, only the actor
        (whose snapshot may have changed: all its mail, or `actor_inert` if known) and the new
        envelopes (to any other node, whose snapshot did not change) can be inert deliveries
        not taken yet; and an inert delivery changes no snapshot, so each later round looks
        only at the envelopes the round before added.
        """
        if down >> actor & 1:
            env_acc = msg_acc = 0
        elif actor_inert is None:
            env_acc, msg_acc = self._inert_of(actor, actor_sid, net & self._dst_mask[actor])
        else:
            env_acc, msg_acc = actor_inert
        one, each, envs, ids = self._inert_one, self._inert_one_of, self.envs, self._env_ids
        first = True
        while True:
            for eid in ids[fresh]:
                dst = envs[eid][0]
                if down >> dst & 1:
                    continue
                if dst == actor:
                    if first:
                        continue  # in actor_inert already
                    sid = actor_sid
                else:
                    sid = state[dst]
                got = one.get((dst, sid, eid))
                e, m = got if got is not None else each(dst, sid, eid)
                env_acc |= e
                msg_acc |= m
            new_env, new_msg = env_acc & ~net, msg_acc & ~sent
            if not new_env and not new_msg:
                return net, sent, fp
            net |= new_env
            sent |= new_msg
            fp ^= self._z_add[new_env] ^ self._z_msgs[new_msg]
            fresh, first = new_env, False
            env_acc = msg_acc = 0

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
                if NODE_ERROR in own:  # the handler failed: nothing changes, the step is the finding
                    self._emit(actions, states, broken, (DELIVER, dst, eid), state, own)
                    continue
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
        """Key of envelope `eid` being in the network `count` times (0: absent, key 0); with orbit
        keys on, its changes under renaming above bit 64 (`symmetric_fingerprints`)."""
        if count == 0:
            return 0
        key = (eid, count)
        hit = self._z_env_cache.get(key)
        if hit is None:
            hit = self._z_env_plain(eid, count)
            if self._orbit is not None:
                hit |= self._orbit.env_count_delta(eid, count) << 64
            self._z_env_cache[key] = hit
        return hit

    def _z_env_plain(self, eid: int, count: int) -> int:
        """The 64-bit key of envelope `eid` being in the network `count` times."""
        if count == 1 and eid < len(self._z_env1):
            return self._z_env1[eid] & MASK64
        dst, mid = self.envs[eid]
        return key_env(self.ids[dst], self.msgs[mid], count)

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

    def to_wire(self, states: Sequence[ImplState], peer: Hashable = None) -> Wire:
        """States as another process can read them (checker/models/impl_wire.py): on their own, or
        with only the table entries not sent to `peer` before."""
        link = Sender(self) if peer is None else self._senders.setdefault(peer, Sender(self))
        return link.pack(states)

    def from_wire(self, wire: Wire, peer: Hashable = None) -> Sequence[ImplState]:
        """States packed by `to_wire` in any process, in this model's ids (rewritten when read); the
        batches from one `peer` in the order it packed them."""
        link = Receiver(self) if peer is None else self._receivers.setdefault(peer, Receiver(self))
        return link.unpack(wire)

    def partition_key(self, state: ImplState) -> int:
        """The partition of a parallel BFS owning `state`: its acceptors' snapshots only (their stable
        Zobrist keys), so the many steps that leave every acceptor as it was (deliveries to proposers,
        timeouts, crashes of proposers) keep a successor in its parent's partition and it is not sent
        to another process. With PARTITION_BY_ACCEPTORS = False the model has no such hook (then: the
        fingerprint)."""
        return self._partition_key_of(self._acceptors_of(state))

    def partition_keys(self, states: Sequence[ImplState]) -> Any:
        """`partition_key` of each state, as an array of uint64 (the bulk form a parallel BFS uses:
        no call per state, one cached key per combination of acceptor snapshots)."""
        cache = self._partition_cache
        keys = []
        for sids in map(self._acceptors_of, states):
            key = cache.get(sids)
            if key is None:
                key = cache[sids] = self._partition_key_of(sids)
            keys.append(key)
        return np.array(keys, dtype=np.uint64)

    def _partition_key_of(self, sids: tuple[int, ...]) -> int:
        key = 0
        z = self._z_snap
        if self._orbit is None:
            for i, sid in zip(self.acceptor_idx, sids, strict=True):
                key ^= z[i][sid]
            return key
        # under symmetry states are kept as they are reached, not renamed, so the key must be the same
        # for every image: per acceptor the least key among its snapshot's images, summed
        for i, sid in zip(self.acceptor_idx, sids, strict=True):
            key += self.orbit_fingerprint((z[i][sid],))
        return key & MASK64

    def fingerprint(self, state: ImplState) -> int:
        """Stable across processes: XOR of the components' stable keys (Zobrist), kept in the state (its
        low 64 bits: above them, with `symmetric_fingerprints` on, the changes of its images)."""
        return int(state[-1]) & MASK64

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
        key: tuple[Any, ...] = (self._acceptors_of(state), self._learners_of(state), sent_acc, state[-2])
        if self.apart:
            key += self._apart_key(state)
        hit = self._always_cache.get(key)
        if hit is None:
            names: set[str] = set()
            for view in self._views(state):
                names.update(name for name, _ in failing(view, "always", self.props))
            hit = self._always_cache[key] = tuple(p.name for p in self.props if p.name in names)
        return hit

    def witnessed(self, state: ImplState) -> Sequence[str]:
        key: tuple[Any, ...] = (state[-3] & self.accepted_mask, state[-2])
        if self._user_sometimes:  # a user's witness may read acceptors and learners, not only the history
            key += (self._acceptors_of(state), self._learners_of(state))
        if self.apart:
            key += self._apart_key(state)
        hit = self._sometimes_cache.get(key)
        if hit is None:
            names = {p.name for view in self._views(state) for p in self.props
                     if p.kind == "sometimes" and p.check(view) is None}
            hit = self._sometimes_cache[key] = tuple(p.name for p in self.props if p.name in names)
        return hit

    # -- reduction 3: learners apart (reductions.py; the closure is learners.LearnerReach) ------------

    def _learner_step(self, i: int) -> Callable[[int, str, int], tuple[int, int, int, tuple[str, ...]]]:
        def step(sid: int, kind: str, eid: int) -> tuple[int, int, int, tuple[str, ...]]:
            if kind == "deliver":
                return self._node_step(i, sid, DELIVER, self.envs[eid][1])
            return self._node_step(i, sid, CRASH, 0)
        return step

    def _learned_fn(self, i: int) -> Callable[[int], Value]:
        def learned(sid: int) -> Value:
            node = self.nodes[i]
            node.restore(self.snaps[i][sid])
            return node.learned()
        return learned

    def _apart_key(self, state: ImplState) -> tuple[Any, ...]:
        k, masks = self.k, self._dst_mask
        return (tuple((state[i], state[k] & masks[i]) for i in self.apart), self.cfg.crashes - state[k + 2])

    def _combos(self, state: ImplState) -> list[dict[int, Value]]:
        """Every combination of values the apart learners can have learned by now, within the crash budget."""
        key = self._apart_key(state)
        hit = self._combo_cache.get(key)
        if hit is None:
            (places, budget) = key
            options = [sorted(self._reach[i].outcomes(sid, bits).items(), key=repr)
                       for i, (sid, bits) in zip(self.apart, places, strict=True)]
            hit = [{self.ids[i]: v for i, (v, _) in zip(self.apart, combo, strict=True)}
                   for combo in itertools.product(*options) if sum(c for _, c in combo) <= budget]
            self._combo_cache[key] = hit
        return hit

    def _views(self, state: ImplState) -> Iterator[WorldView]:
        """The views properties judge: one, or one per learner combination when learners are apart."""
        if not self.apart:
            yield self.view(state)
            return
        for learned in self._combos(state):
            yield self.view(state, learned)

    def completion(self, state: ImplState, prop: str | None) -> list[tuple[tuple[int, int, int], ImplState]]:
        """The apart learners' own steps that make `prop` fail (or, for `sometimes`, hold) after `state`.

        Empty when the state shows it without them. Deliveries to a learner can come last
        because the set network keeps every message; crashes fit in the remaining budget.
        """
        prop_info = self._by_name.get(prop or "")
        if not self.apart or prop_info is None or prop_info.kind == "step":
            return []
        def shows(view: WorldView) -> bool:
            holds = prop_info.check(view) is None
            return holds if prop_info.kind == "sometimes" else not holds
        if shows(self.view(state)):
            return []
        for learned in self._combos(state):
            if shows(self.view(state, learned)):
                return self._learner_suffix(state, learned)
        return []

    def _learner_suffix(self, state: ImplState,
                        learned: dict[int, Value]) -> list[tuple[tuple[int, int, int], ImplState]]:
        k, zs, z = self.k, self._z_snap, self._z
        steps: list[tuple[tuple[int, int, int], ImplState]] = []
        cur = list(state)
        for i in self.apart:
            n = self.ids[i]
            reach = self._reach[i]
            if reach.learned(cur[i]) == learned[n]:
                continue
            for (how, arg), (sid, _crashed, _used) in reach.path_to(state[i], state[k] & self._dst_mask[i], learned[n]):
                fp = cur[-1] ^ zs[i][cur[i]] ^ zs[i][sid]
                if how == "deliver":
                    action = (DELIVER, i, arg)
                elif how == "crash":
                    action, c = (CRASH, i, 0), cur[k + 2]
                    cur[k + 1] |= 1 << i
                    cur[k + 2] = c + 1
                    fp ^= z[("crashed", n)] ^ z[("crashes", c)] ^ z[("crashes", c + 1)]
                else:
                    action = (RESTART, i, 0)
                    cur[k + 1] &= ~(1 << i)
                    fp ^= z[("crashed", n)]
                cur[i], cur[-1] = sid, fp
                steps.append((action, tuple(cur)))
        return steps

    # -- counterexamples as real steps (reductions.py: traces stay real) ------------------------------

    def spell_out(self, initial: ImplState, steps: Sequence[tuple[tuple[int, int, int], ImplState]],
                  prop: str | None) -> list[tuple[tuple[int, int, int], ImplState]]:
        """A reduced path as real steps of the unreduced model, for the trace of `prop`.

        Each reduced step becomes its action and the inert deliveries saturation took
        (`real_steps`), the apart learners' steps that show `prop` are appended
        (`completion`), and then every inert delivery whose messages no later step receives is
        left out: it changes nothing any property reads, so the shorter path shows `prop` just
        the same. The result is replayed on the unreduced model, so every state is real.
        """
        full: list[tuple[tuple[int, int, int], ImplState]] = []
        inert: set[int] = set()
        prev = initial
        for action, state in steps:
            real = self.real_steps(prev, action, state)
            inert.update(range(len(full) + 1, len(full) + len(real)))
            full.extend(real)
            prev = state
        full.extend(self.completion(prev, prop))
        k, needed, keep = self.k, 0, []
        for n in range(len(full) - 1, -1, -1):
            action, state = full[n]
            if n in inert:
                before = full[n - 1][1] if n else initial
                if not state[k] & ~before[k] & needed:
                    continue
            keep.append(action)
            if action[0] == DELIVER:
                needed |= 1 << action[2]
        keep.reverse()
        try:
            return self._up_to_first_showing(self._unreduced_path(initial, keep), prop)
        except LookupError:  # not expected; the full spelling is real too
            return full

    def _up_to_first_showing(self, path: list[tuple[tuple[int, int, int], ImplState]],
                             prop: str | None) -> list[tuple[tuple[int, int, int], ImplState]]:
        """`path` (real states, learners in them) cut after the first state that shows `prop` (an
        `always` property failing, a `sometimes` one holding): the learners' own steps are appended
        per learner, and a later learner's steps (or a restart) can come after the one that shows it."""
        info = self._by_name.get(prop or "")
        if info is None or info.kind == "step":
            return path
        for n, (_, state) in enumerate(path):
            holds = info.check(self.view(state)) is None
            if holds == (info.kind == "sometimes"):
                return path[: n + 1]
        return path

    def _unreduced_path(self, initial: ImplState,
                        actions: Sequence[tuple[int, int, int]]) -> list[tuple[tuple[int, int, int], ImplState]]:
        out, cur = [], initial
        with self._unreduced(learners_too=True):
            for action in actions:
                acts, states, _ = self.expand(cur)
                if action not in acts:
                    raise LookupError(action)
                cur = states[acts.index(action)]
                out.append((action, cur))
        return out

    @contextlib.contextmanager
    def _unreduced(self, learners_too: bool) -> Iterator[None]:
        """Within this block `expand` gives unreduced successors: no saturation, no null-crash
        skipping and (if `learners_too`) learners in the state. Its expansions are not stashed
        for `step_violated`, which judges reduced ones."""
        saved = (self._saturating, self._prompt_restart, self._apart_mask, self.reductions)
        self._saturating = self._prompt_restart = False
        if learners_too:
            self._apart_mask, self.reductions = 0, Reductions.none()
        try:
            yield
        finally:
            self._saturating, self._prompt_restart, self._apart_mask, self.reductions = saved
            self._stash = (None, [], [])

    def real_steps(self, state: ImplState, action: tuple[int, int, int],
                   succ: ImplState) -> list[tuple[tuple[int, int, int], ImplState]]:
        """The unreduced steps one reduced transition stands for: the action (a crash with a prompt
        restart is two: the crash, then the restart), then each inert delivery."""
        prompt = action[0] == CRASH and action[2] == CRASH_RESTART
        if not self._saturating and not prompt:
            return [(action, succ)]
        real = (CRASH, action[1], 0) if prompt else action
        with self._unreduced(learners_too=False):
            actions, states, _ = self.expand(state)
            cur = states[actions.index(real)]
            steps = [(real, cur)]
            if prompt:
                actions, states, _ = self.expand(cur)
                restart = (RESTART, action[1], 0)
                cur = states[actions.index(restart)]
                steps.append((restart, cur))
        while cur != succ:
            nxt = self._one_inert_delivery(cur)
            if nxt is None:
                raise AssertionError(f"saturation of {action} cannot be spelled out: a bug in the reduction")
            steps.append(nxt)
            cur = nxt[1]
        return steps

    def _one_inert_delivery(self, state: ImplState) -> tuple[tuple[int, int, int], ImplState] | None:
        k = self.k
        net, sent = state[k], state[-3]
        down = state[k + 1] | self._apart_mask
        for i in range(k):
            bits = net & self._dst_mask[i]
            if not bits or down >> i & 1:
                continue
            sid = state[i]
            for action, new_sid, _dz, env_bits, msg_bits, own, *_ in self._entries(i, sid, bits):
                new_env, new_msg = env_bits & ~net, msg_bits & ~sent
                if self._inert(sid, new_sid, msg_bits, own) and (new_env or new_msg):
                    succ = list(state)
                    succ[k], succ[-3] = net | env_bits, sent | msg_bits
                    succ[-1] = state[-1] ^ self._z_add[new_env] ^ self._z_msgs[new_msg]
                    return action, tuple(succ)
        return None

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
        if index is None or NODE_ERROR in broken or (sent == new_sent and (before == after or pos < 0)):
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

    def view(self, state: ImplState, apart_learned: dict[int, Value] | None = None) -> WorldView:
        """What properties see; `apart_learned` replaces the apart learners' values (learners apart)."""
        learned = {}
        for i in self.learner_idx:
            node = self.nodes[i]
            node.restore(self.snaps[i][state[i]])
            learned[self.ids[i]] = node.learned()
        if apart_learned:
            learned.update(apart_learned)
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
        sent = sorted(message_text(m) for m in new_msgs)
        extra = {CRASH: "crashed", RESTART: "restarted", DROP: "message lost", DUPLICATE: "message duplicated"}
        said = "crashed and restarted at once" if action[2] == CRASH_RESTART and kind == CRASH else extra.get(kind, "")
        change = describe_change(before.acceptors.get(n), after.acceptors.get(n), before.learned.get(n),
                                 after.learned.get(n), sent, said, (self.snaps[i][state[i]], self.snaps[i][succ[i]]))
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
        """The representative of `state`'s orbit under acceptor renaming (`--symmetry`): the image with
        the smallest fingerprint. A search does not need it once `symmetric_fingerprints` is on."""
        sym = self._symmetry
        if sym is None:
            from checker.models.impl_symmetry import symmetry_of

            sym = symmetry_of(self)
        result: ImplState = sym.canonical(state)
        return result

    def symmetric_fingerprints(self) -> None:
        """Make every key carry its changes under acceptor renaming, so that each state knows the
        fingerprints of all its images (`orbit_fingerprint`) without renaming anything.

        A Zobrist fingerprint is the XOR of per-component keys, so the fingerprint of image g.s
        is fp(s) XOR the XOR over components c of (key(c) XOR key(g.c)). Each key gets those
        changes for every group element packed above its low 64 bits; the fingerprint slot,
        updated by the same XORs as before, then holds fp(s) in its low 64 bits and every
        image's change above. `fingerprint` stays the state's own (the low bits). Idempotent."""
        if self._orbit is not None:
            return
        from checker.models.impl_symmetry import symmetry_of

        sym = symmetry_of(self)
        self._orbit = sym
        sym.start_orbit_keys()
        for cache in (self._z_env_cache, self._z_msgs, self._z_add, self._deliveries, self._partition_cache):
            cache.clear()
        self._initial = (*self._initial[:-1], self.recompute_fingerprint(self._initial))

    def orbit_fingerprint(self, state: ImplState) -> int:
        """The least fingerprint among the images of `state` (the same for every state of its orbit);
        needs `symmetric_fingerprints`."""
        slot: int = state[-1]
        best = fp = slot & MASK64
        rest = slot >> 64
        while rest:
            image = fp ^ (rest & MASK64)
            if image < best:
                best = image
            rest >>= 64
        return best

    def orbit_fingerprints(self, states: Sequence[ImplState]) -> Any:
        """`orbit_fingerprint` of each state as an array of uint64 (also checks, as the search goes, that
        the node treats acceptors alike on every transition met so far)."""
        lanes = self._orbit_lanes(states)
        return lanes.min(axis=1)

    def orbit_sizes(self, states: Sequence[ImplState]) -> Any:
        """How many distinct states acceptor renaming maps each state to, as an array."""
        lanes = np.sort(self._orbit_lanes(states), axis=1)
        sizes: Any = 1 + (lanes[:, 1:] != lanes[:, :-1]).sum(axis=1)
        return sizes

    def _orbit_lanes(self, states: Sequence[ImplState]) -> Any:
        """Per state, the fingerprints of its images under every group element (identity first)."""
        sym = self._orbit
        assert sym is not None, "symmetric_fingerprints() first"
        sym.check_transitions()
        width = sym.size
        if width == 1:
            return np.fromiter((s[-1] for s in states), dtype=np.uint64, count=len(states)).reshape(-1, 1)
        nbytes = 8 * width
        raw = b"".join([s[-1].to_bytes(nbytes, "little") for s in states])
        lanes = np.frombuffer(raw, dtype="<u8").reshape(len(states), width).astype(np.uint64)
        lanes[:, 1:] ^= lanes[:, :1]
        return lanes

    def orbit_size(self, state: ImplState) -> int:
        """How many distinct states acceptor renaming maps `state` to."""
        if self._orbit is not None:
            return int(self.orbit_sizes([state])[0])
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
