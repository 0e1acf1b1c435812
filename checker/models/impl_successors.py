"""Every transition of an implementation-model state: proposals, timeouts, deliveries, faults.

Owns the successor function under one choice of reductions (saturation, null crashes, prompt
restarts, learners apart), for the set and the bag network, with each transition's step verdicts.
The tables, caches and verdicts it uses belong to impl_tables.py, impl_saturation.py, impl_verdicts.py.
"""

from __future__ import annotations

from checker.models.impl_encoding import (
    CRASH,
    CRASH_RESTART,
    DELIVER,
    DROP,
    DUPLICATE,
    PROPOSE,
    RESTART,
    TIMEOUT,
    ImplState,
)
from checker.models.impl_layout import FP, PROPOSED, SENT
from checker.models.impl_saturation import Mailboxes
from checker.models.impl_tables import ImplTables
from checker.models.impl_verdicts import Verdicts
from paxos import NODE_ERROR

Action = tuple[int, int, int]
Broken = list[tuple[int, tuple[str, ...]]]
#: (actions, successor states, [(index, step properties broken)])
Expansion = tuple[list[Action], list[ImplState], Broken]


def emit(actions: list[Action], states: list[ImplState], broken: Broken, action: Action, succ: ImplState,
         names: tuple[str, ...]) -> None:
    if names:
        broken.append((len(states), names))
    actions.append(action)
    states.append(succ)


class Successors:
    """The successor function of one model under one choice of reductions.

    `saturating`: take every inert delivery a step enables (reductions.py, 1); `null_crashes`:
    leave out crashes that change nothing (2); `prompt_restart`: a crash restarts at once (4);
    `apart_mask`: nodes (learners apart, 3) that take no step here.
    """

    def __init__(self, tables: ImplTables, mail: Mailboxes, verdicts: Verdicts, *, saturating: bool,
                 null_crashes: bool, prompt_restart: bool, apart_mask: int) -> None:
        self.t = tables
        self.mail = mail
        self.verdicts = verdicts
        self.saturating = saturating
        self.null_crashes = null_crashes
        self.prompt_restart = prompt_restart
        self.apart_mask = apart_mask
        self.ballot_limits = tables.cfg.ballot_limits()

    def expand(self, state: ImplState, actors: int = -1) -> Expansion:
        """Every transition of `state` at once: (actions, successor states, [(index, step properties broken)]).

        `actors`: a bit set of the nodes whose steps are wanted (all by default; the set network only:
        quiet blocks, reductions.py 6, ask for one node's steps from a state it reached quietly)."""
        actions: list[Action] = []
        states: list[ImplState] = []
        broken: Broken = []
        t = self.t
        lay = t.layout
        at_net, at_crashed, at_crashes, at_started = lay.net, lay.crashed, lay.crashes, lay.started
        at_sent, at_proposed, at_fp = SENT, PROPOSED, FP  # locals: as fast as literal indexes in the loops
        net, crashed = state[at_net], state[at_crashed]
        sent, fp = state[at_sent], state[at_fp]
        zs, z, verdict = t.z_snap, t.z, self.verdicts.step
        saturated = self.mail.saturated
        for j, i in enumerate(t.proposer_idx):
            if crashed >> i & 1 or not actors >> i & 1:
                continue
            started = state[at_started + j]
            if started == 0:
                kind, arg = PROPOSE, j
            elif started < self.ballot_limits[j]:
                kind, arg = TIMEOUT, 0
            else:
                continue
            new_sid, env_bits, msg_bits, own = t.node_step(i, state[i], kind, arg)
            if NODE_ERROR in own:  # the handler failed: nothing changes, the step is the finding
                emit(actions, states, broken, (kind, i, arg), state, own)
                continue
            new_net, dfp = t.net_add(net, env_bits)
            dfp ^= zs[i][state[i]] ^ zs[i][new_sid] ^ t.z_msgs[msg_bits & ~sent]
            dfp ^= z[("started", j, started)] ^ z[("started", j, started + 1)]
            new_proposed = state[at_proposed]
            if kind == PROPOSE:
                bit = 1 << t.values.index(t.proposal_of[j])
                if not new_proposed & bit:
                    new_proposed |= bit
                    dfp ^= z[("proposed", t.proposal_of[j])]
            succ = list(state)
            succ[i] = new_sid
            succ[at_net] = new_net
            succ[at_started + j] = started + 1
            succ[at_sent] = sent | msg_bits
            succ[at_proposed] = new_proposed
            succ[at_fp] = fp ^ dfp
            if self.saturating:
                succ[at_net], succ[at_sent], succ[at_fp] = saturated(
                    state, crashed | self.apart_mask, i, new_sid, new_net, succ[at_sent], succ[at_fp], env_bits & ~net)
            emit(actions, states, broken, (kind, i, arg), tuple(succ),
                 verdict(i, state[i], new_sid, sent, sent | msg_bits, own))
        if t.bag:
            self._bag_network(state, actions, states, broken)
        else:
            self._set_deliveries(state, actions, states, broken, actors)
        c_used = state[at_crashes]
        for i in range(t.k):
            if self.apart_mask >> i & 1 or not actors >> i & 1:
                continue  # learners apart: their crashes are in LearnerReach
            if crashed >> i & 1:
                succ = list(state)
                succ[at_crashed] = crashed & ~(1 << i)
                succ[at_fp] = fp ^ z[("crashed", t.ids[i])]
                if self.saturating:  # back up: its mail may hold inert deliveries it could not take
                    succ[at_net], succ[at_sent], succ[at_fp] = saturated(
                        state, succ[at_crashed] | self.apart_mask, i, state[i], net, sent, succ[at_fp], 0)
                actions.append((RESTART, i, 0))
                states.append(tuple(succ))
            elif c_used < t.cfg.crashes:
                new_sid, _, _, own = t.node_step(i, state[i], CRASH, 0)
                if NODE_ERROR in own:
                    emit(actions, states, broken, (CRASH, i, 0), state, own)
                    continue
                if self.null_crashes and new_sid == state[i] and not own:
                    continue  # a crash that changes nothing is a delay (reductions.py, 2)
                succ = list(state)
                succ[i] = new_sid
                succ[at_crashes] = c_used + 1
                dfp = zs[i][state[i]] ^ zs[i][new_sid] ^ z[("crashes", c_used)] ^ z[("crashes", c_used + 1)]
                if self.prompt_restart:  # the node restarts at once (reductions.py, 4)
                    succ[at_fp] = fp ^ dfp
                    if self.saturating:
                        succ[at_net], succ[at_sent], succ[at_fp] = saturated(
                            state, crashed | self.apart_mask, i, new_sid, net, sent, succ[at_fp], 0)
                    action = (CRASH, i, CRASH_RESTART)
                else:
                    succ[at_crashed] = crashed | (1 << i)
                    succ[at_fp] = fp ^ dfp ^ z[("crashed", t.ids[i])]
                    action = (CRASH, i, 0)
                emit(actions, states, broken, action, tuple(succ), verdict(i, state[i], new_sid, sent, sent, own))
        if self.verdicts.user_steps:
            self.verdicts.judge_user_steps(state, states, broken)
        return actions, states, broken

    def _set_deliveries(self, state: ImplState, actions: list[Action], states: list[ImplState],
                        broken: Broken, actors: int = -1) -> None:
        """Deliveries in the set network: per node, the effective ones are cached per (node state, its mail)."""
        t = self.t
        at_net, at_sent, at_fp = t.layout.net, SENT, FP  # locals: as fast as literal indexes in the loop
        net, crashed = state[at_net], state[t.layout.crashed]
        sent, fp = state[at_sent], state[at_fp]
        masks, table = t.dst_mask, self.mail.deliveries
        z_add, z_msgs = t.z_add, t.z_msgs
        index, acceptor_pos = self.verdicts.refine_index, self.verdicts.acceptor_at
        skip = crashed | self.apart_mask  # nodes that take nothing (saturation's `down`)
        idle = skip | ~actors
        saturating, saturated = self.saturating, self.mail.saturated
        not_net, not_sent = ~net, ~sent
        for i in range(t.k):
            bits = net & masks[i]
            if not bits or idle >> i & 1:
                continue
            sid = state[i]
            pos = acceptor_pos[i]
            entries = table.get((i, sid, bits))
            if entries is None:
                entries = self.mail.delivery_entries(i, sid, bits)
            for action, new_sid, dz, env_bits, msg_bits, own, inert_env, inert_msg in entries:
                new_env = env_bits & not_net
                new_msg = msg_bits & not_sent
                moved = new_sid != sid
                if not moved and not new_env and not new_msg and not own:
                    continue  # nothing changes: a stutter (a node_error changes nothing but is kept)
                new_sent = sent | msg_bits
                succ = list(state)
                succ[i] = new_sid
                new_net = succ[at_net] = net | env_bits
                succ[at_sent] = new_sent
                succ[at_fp] = new_fp = fp ^ dz ^ z_add[new_env] ^ z_msgs[new_msg]
                # (what the actor sends inertly and the parent had is in the successor: the parent is saturated)
                if saturating and (new_env or inert_env & not_net or inert_msg & not_sent):
                    succ[at_net], succ[at_sent], succ[at_fp] = saturated(state, skip, i, new_sid, new_net, new_sent,
                                                                         new_fp, new_env, (inert_env, inert_msg))
                # as in Verdicts.step: a Spec stutter unless a message is new or an acceptor moved
                if index is not None and (new_msg or (moved and pos >= 0)) and not index.allows(
                        pos, sid, new_sid, sent, new_sent):
                    broken.append((len(states), (*own, "refines_spec")))
                elif own:
                    broken.append((len(states), own))
                actions.append(action)
                states.append(tuple(succ))

    def _bag_network(self, state: ImplState, actions: list[Action], states: list[ImplState],
                     broken: Broken) -> None:
        """Deliveries, drops and duplicates in the bag network (an in-flight multiset)."""
        t = self.t
        lay = t.layout
        at_net = lay.net
        at_sent, at_fp = SENT, FP
        net, crashed, d_used, u_used = state[at_net], state[lay.crashed], state[lay.drops], state[lay.duplicates]
        sent, fp = state[at_sent], state[at_fp]
        zs, z, cfg = t.z_snap, t.z, t.cfg
        for eid in sorted(set(net)):
            dst, mid = t.envs[eid]
            if not crashed >> dst & 1:
                new_sid, env_bits, msg_bits, own = t.node_step(dst, state[dst], DELIVER, mid)
                if NODE_ERROR in own:  # the handler failed: nothing changes, the step is the finding
                    emit(actions, states, broken, (DELIVER, dst, eid), state, own)
                    continue
                new_net, dfp = t.net_remove(net, eid)
                new_net, dfp2 = t.net_add(new_net, env_bits)
                if new_sid == state[dst] and new_net == net and not msg_bits & ~sent:
                    continue  # nothing changes: a stutter
                dfp ^= dfp2 ^ zs[dst][state[dst]] ^ zs[dst][new_sid] ^ t.z_msgs[msg_bits & ~sent]
                succ = list(state)
                succ[dst] = new_sid
                succ[at_net] = new_net
                succ[at_sent] = sent | msg_bits
                succ[at_fp] = fp ^ dfp
                emit(actions, states, broken, (DELIVER, dst, eid), tuple(succ),
                     self.verdicts.step(dst, state[dst], new_sid, sent, sent | msg_bits, own))
            for kind, budget, slot, used, limit in ((DROP, "drops", lay.drops, d_used, cfg.drops),
                                                    (DUPLICATE, "duplicates", lay.duplicates, u_used, cfg.duplicates)):
                if used < limit:  # the network loses one copy, or makes one more
                    new_net, dfp = t.net_remove(net, eid) if kind == DROP else t.net_add(net, 1 << eid)
                    succ = list(state)
                    succ[at_net] = new_net
                    succ[slot] = used + 1
                    succ[at_fp] = fp ^ dfp ^ z[(budget, used)] ^ z[(budget, used + 1)]
                    actions.append((kind, dst, eid))
                    states.append(tuple(succ))
