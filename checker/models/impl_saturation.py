"""The per-mailbox caches of the implementation model and reduction 1, saturation of inert deliveries.

Owns what a node in one snapshot does with the envelopes waiting for it (its effective deliveries
and the inert ones' outputs, cached per (node, snapshot, mail) and bounded) and the saturation
fixpoint. It decides nothing about which reductions are on (reductions.py, ImplModel).
"""

from __future__ import annotations

from checker.bitsets import bit_ids
from checker.models.impl_encoding import DELIVER, ImplState
from checker.models.impl_layout import FP, SENT
from checker.models.impl_tables import ImplTables

#: Most entries of the per-mailbox caches (`deliveries`, `inert_cache`), which are keyed by a node's
#: snapshot and the envelopes waiting for it and so grow about as fast as the states do (0.7 entries
#: per state, a few hundred bytes each, on `--ballots 2 --crashes 1`); past this they start over.
CACHE_ENTRIES = 1 << 19

#: Per (node, snapshot, envelopes waiting): (action, new snapshot, its key change, envelopes, messages, broken,
#: and what the receiver then sends on its own inert deliveries (envelopes, messages; zeros without saturation)
DeliveryEntries = tuple[tuple[tuple[int, int, int], int, int, int, int, tuple[str, ...], int, int], ...]


class Mailboxes:
    """Effective deliveries per (node, snapshot, mail), and the inert deliveries saturation takes.

    `inert_entries`: delivery entries carry the receiver's inert outputs (whenever the model
    saturates, also for entries made while spelling out a trace with saturation off: the entries
    are shared by every expansion of the model).
    """

    def __init__(self, tables: ImplTables, inert_entries: bool) -> None:
        self.t = tables
        self.inert_entries = inert_entries
        self.deliveries: dict[tuple[int, int, int], DeliveryEntries] = {}
        self.inert_cache: dict[tuple[int, int, int], tuple[int, int]] = {}  # per (node, snapshot, mail)
        self.inert_one: dict[tuple[int, int, int], tuple[int, int]] = {}  # per (node, snapshot, envelope)

    def delivery_entries(self, i: int, sid: int, bits: int) -> DeliveryEntries:
        """Node `i` in snapshot `sid` with envelopes `bits` waiting: every delivery that can change something."""
        t = self.t
        out = []
        zs = t.z_snap[i]
        mail = t.dst_mask[i]
        for eid in bit_ids(bits):
            new_sid, env_bits, msg_bits, own = t.node_step(i, sid, DELIVER, t.envs[eid][1])
            if new_sid != sid or env_bits or msg_bits or own:
                after = bits | env_bits & mail  # its mail after the delivery
                inert_env, inert_msg = self.inert_of(i, new_sid, after) if self.inert_entries else (0, 0)
                out.append(((DELIVER, i, eid), new_sid, zs[sid] ^ zs[new_sid], env_bits, msg_bits, own, inert_env,
                            inert_msg))
        if len(self.deliveries) >= CACHE_ENTRIES:
            self.deliveries.clear()  # a cache, not a record: bounded, so memory grows with states only
        entries = self.deliveries[(i, sid, bits)] = tuple(out)
        return entries

    def entries(self, i: int, sid: int, bits: int) -> DeliveryEntries:
        """The cached effective deliveries of node `i` in `sid` with `bits` waiting."""
        entries = self.deliveries.get((i, sid, bits))
        return entries if entries is not None else self.delivery_entries(i, sid, bits)

    # -- reduction 1: saturation of inert deliveries (reductions.py) ---------------------------------

    def inert(self, sid: int, new_sid: int, msg_bits: int, own: tuple[str, ...]) -> bool:
        """Is a delivery inert: the receiver unchanged, only inert kinds sent, no step property broken?"""
        return new_sid == sid and not own and not msg_bits & ~self.t.inert_mask

    def inert_of(self, i: int, sid: int, bits: int) -> tuple[int, int]:
        """(envelopes, messages) that node `i` in `sid` sends on the inert deliveries among `bits`."""
        key = (i, sid, bits)
        hit = self.inert_cache.get(key)
        if hit is None:
            env = msg = 0
            one, each = self.inert_one, self.inert_one_of
            for eid in bit_ids(bits):
                got = one.get((i, sid, eid))
                e, m = got if got is not None else each(i, sid, eid)
                env |= e
                msg |= m
            if len(self.inert_cache) >= CACHE_ENTRIES:
                self.inert_cache.clear()
            hit = self.inert_cache[key] = (env, msg)
        return hit

    def inert_one_of(self, i: int, sid: int, eid: int) -> tuple[int, int]:
        """(envelopes, messages) sent if delivering envelope `eid` to node `i` in `sid` is inert, else zeros."""
        new_sid, env_bits, msg_bits, own = self.t.node_step(i, sid, DELIVER, self.t.envs[eid][1])
        hit = (env_bits, msg_bits) if self.inert(sid, new_sid, msg_bits, own) else (0, 0)
        if len(self.inert_one) >= CACHE_ENTRIES:
            self.inert_one.clear()
        self.inert_one[(i, sid, eid)] = hit
        return hit

    def saturated(self, state: ImplState, down: int, actor: int, actor_sid: int, net: int, sent: int, fp: int,
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
        t = self.t
        if down >> actor & 1:
            env_acc = msg_acc = 0
        elif actor_inert is None:
            env_acc, msg_acc = self.inert_of(actor, actor_sid, net & t.dst_mask[actor])
        else:
            env_acc, msg_acc = actor_inert
        one, each, envs, ids = self.inert_one, self.inert_one_of, t.envs, t.env_ids
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
            fp ^= t.z_add[new_env] ^ t.z_msgs[new_msg]
            fresh, first = new_env, False
            env_acc = msg_acc = 0

    def one_inert_delivery(self, state: ImplState, apart_mask: int) -> tuple[tuple[int, int, int], ImplState] | None:
        """One inert delivery of `state` that adds something (the set network), with its successor; None if
        `state` is saturated. `apart_mask`: nodes (learners apart) whose deliveries are not steps here."""
        t = self.t
        at_net = t.layout.net
        net, sent = state[at_net], state[SENT]
        down = state[t.layout.crashed] | apart_mask
        for i in range(t.k):
            bits = net & t.dst_mask[i]
            if not bits or down >> i & 1:
                continue
            sid = state[i]
            for action, new_sid, _dz, env_bits, msg_bits, own, *_ in self.entries(i, sid, bits):
                new_env, new_msg = env_bits & ~net, msg_bits & ~sent
                if self.inert(sid, new_sid, msg_bits, own) and (new_env or new_msg):
                    succ = list(state)
                    succ[at_net], succ[SENT] = net | env_bits, sent | msg_bits
                    succ[FP] = state[FP] ^ t.z_add[new_env] ^ t.z_msgs[new_msg]
                    return action, tuple(succ)
        return None
