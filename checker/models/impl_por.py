"""Reduction 6 of the implementation model: quiet blocks, a partial-order reduction (reductions.py, 6).

Owns the successor function with quiet steps merged into the next loud step of the same node, and
the search for the quiet steps one reduced transition stands for (traces). It wraps a `Successors`
and changes nothing in it; which nodes may be reduced is decided by ImplModel (nodes no property reads).
"""

from __future__ import annotations

from checker.models.impl_encoding import ImplState
from checker.models.impl_layout import FP, SENT
from checker.models.impl_saturation import Mailboxes
from checker.models.impl_successors import Action, Expansion, Successors
from checker.models.impl_tables import ImplTables

#: A quiet block: the quiet deliveries taken (in order) and the state they lead to.
Block = tuple[tuple[tuple[Action, ImplState], ...], ImplState]


class QuietBlocks:
    """The successors of `base` with every quiet step of an `eligible` node taken only as part of a block
    of quiet steps of that node ending in one loud step of it.

    A step is *quiet* when it is a delivery to an eligible node that sends nothing at all, breaks no
    property of its own (node_error) and changes the node's snapshot: a fact of the node's cached
    transition (node, snapshot, message), never of the rest of the state.
    """

    def __init__(self, base: Successors, mail: Mailboxes, tables: ImplTables, eligible: list[int]) -> None:
        self.base = base
        self.mail = mail
        self.t = tables
        self.eligible = tuple(eligible)
        self._quiet: dict[tuple[int, int, int], tuple[tuple[Action, int], ...]] = {}

    def quiet_moves(self, i: int, sid: int, bits: int) -> tuple[tuple[Action, int], ...]:
        """The quiet deliveries of node `i` in `sid` with envelopes `bits` waiting: (action, next snapshot)."""
        key = (i, sid, bits)
        hit = self._quiet.get(key)
        if hit is None:
            hit = tuple((action, new_sid) for action, new_sid, _dz, env_bits, msg_bits, own, *_ in
                        self.mail.entries(i, sid, bits) if new_sid != sid and not env_bits and not msg_bits and not own)
            if len(self._quiet) >= 1 << 19:
                self._quiet.clear()  # a cache, bounded like the mailbox caches
            self._quiet[key] = hit
        return hit

    def follow(self, moves: tuple[tuple[Action, int], ...]) -> tuple[tuple[Action, int], ...]:
        """The quiet steps a block goes on with: all of them (every order; tests replace this with an
        unsound choice to see their toys break it)."""
        return moves

    def moved(self, state: ImplState, i: int, sid: int) -> ImplState:
        """`state` with node `i` in snapshot `sid` (what a block of its quiet steps reaches)."""
        succ = list(state)
        succ[FP] = state[FP] ^ self.t.z_snap[i][state[i]] ^ self.t.z_snap[i][sid]
        succ[i] = sid
        return tuple(succ)

    def expand(self, state: ImplState) -> Expansion:
        """Every reduced transition of `state`: `base`'s, less each eligible node's quiet steps, plus every
        loud step of that node from each snapshot its quiet steps reach (with the mail it has in `state`)."""
        actions, states, broken = self.base.expand(state)
        t = self.t
        at_net = t.layout.net
        net, sent, down = state[at_net], state[SENT], state[t.layout.crashed] | self.base.apart_mask
        starts = []
        for i in self.eligible:
            bits = net & t.dst_mask[i]
            if bits and not down >> i & 1:
                first = self.quiet_moves(i, state[i], bits)
                if first:
                    starts.append((i, bits, first))
        if not starts:
            return actions, states, broken
        out: Expansion = ([], [], [])
        pure = {action for _, _, first in starts for action, _ in first}
        marks = dict(broken)
        for j, (action, succ) in enumerate(zip(actions, states, strict=True)):
            if action in pure and succ[at_net] == net and succ[SENT] == sent:
                continue  # a state inside a block: not a state of the reduced model
            _emit(out, action, succ, marks.get(j, ()))
        for i, bits, first in starts:
            seen = {state[i]}
            frontier = [sid for _, sid in self.follow(first)]
            while frontier:
                nxt = []
                for sid in frontier:
                    if sid in seen:
                        continue  # a node back in a snapshot of this block (a cycle of quiet steps)
                    seen.add(sid)
                    a2, s2, b2 = self.base.expand(self.moved(state, i, sid), 1 << i)
                    moves = self.quiet_moves(i, sid, bits)
                    quiet, followed = dict(moves), dict(self.follow(moves))
                    inner = dict(b2)
                    for j, (action, succ) in enumerate(zip(a2, s2, strict=True)):
                        if action in quiet:
                            if action in followed:
                                nxt.append(followed[action])
                            if succ[at_net] == net and succ[SENT] == sent:
                                continue  # inside the block
                        _emit(out, action, succ, inner.get(j, ()))
                frontier = nxt
        return out

    def blocks(self, state: ImplState, i: int) -> list[Block]:
        """Every state node `i`'s quiet steps reach from `state` (itself first), with the steps, shortest first."""
        bits = state[self.t.layout.net] & self.t.dst_mask[i]
        found: list[Block] = [((), state)]
        seen = {state[i]}
        n = 0
        while n < len(found):
            steps, cur = found[n]
            n += 1
            for action, sid in self.quiet_moves(i, cur[i], bits):
                if sid not in seen:
                    seen.add(sid)
                    nxt = self.moved(cur, i, sid)
                    found.append(((*steps, (action, nxt)), nxt))
        return found


def _emit(out: Expansion, action: Action, succ: ImplState, names: tuple[str, ...]) -> None:
    if names:
        out[2].append((len(out[1]), names))
    out[0].append(action)
    out[1].append(succ)


__all__ = ["Block", "QuietBlocks"]
