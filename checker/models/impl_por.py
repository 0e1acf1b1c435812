"""Reduction 6 of the implementation model: quiet blocks, a partial-order reduction (reductions.py, 6).

Owns the successor function with quiet steps merged into the next loud step of the same node, and
the search for the quiet steps one reduced transition stands for (traces). It wraps a `Successors`
and changes nothing in it; which nodes may be reduced is decided by ImplModel (nodes no property reads).
"""

from __future__ import annotations

from checker.models.impl_encoding import CRASH, CRASH_RESTART, RESTART, ImplState
from checker.models.impl_layout import FP, SENT
from checker.models.impl_saturation import Mailboxes
from checker.models.impl_successors import Action, Expansion, Successors
from checker.models.impl_tables import ImplTables

#: A quiet block as real steps (in order) and the state they lead to.
Block = tuple[tuple[tuple[Action, ImplState], ...], ImplState]
#: A quiet step: its action in the reduced model and the state it leads to (nothing saturated).
Move = tuple[Action, ImplState]


class QuietBlocks:
    """The successors of `base` with every quiet step of an `eligible` node taken only as part of a block
    of quiet steps of that node ending in one loud step of it.

    A step of an eligible node is *quiet* when it sends nothing at all, breaks no property of its own
    (node_error) and changes the node's snapshot: a delivery (a fact of the node's cached transition,
    snapshot and message), or, with prompt restarts (`crashes`), a crash within the budget.
    """

    def __init__(self, base: Successors, mail: Mailboxes, tables: ImplTables, eligible: list[int],
                 crashes: bool) -> None:
        self.base = base
        self.mail = mail
        self.t = tables
        self.eligible = tuple(eligible)
        self.crashes = crashes and tables.cfg.crashes > 0
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

    def moves(self, state: ImplState, i: int, bits: int) -> list[Move]:
        """Every quiet step of node `i` in `state` (`bits`: its mail), with the state it leads to."""
        out = [(action, self.moved(state, i, sid)) for action, sid in self.quiet_moves(i, state[i], bits)]
        used = state[self.t.layout.crashes]
        if self.crashes and used < self.t.cfg.crashes:
            new_sid, _, _, own = self.t.node_step(i, state[i], CRASH, 0)
            if new_sid != state[i] and not own:  # a crash and its prompt restart: the snapshot and the budget
                succ = list(self.moved(state, i, new_sid))
                succ[self.t.layout.crashes] = used + 1
                succ[FP] ^= self.t.z[("crashes", used)] ^ self.t.z[("crashes", used + 1)]
                out.append(((CRASH, i, CRASH_RESTART), tuple(succ)))
        return out

    def follow(self, moves: list[Move]) -> list[Move]:
        """The quiet steps a block goes on with: all of them (every order; tests replace this with an
        unsound choice to see their toys break it)."""
        return moves

    def moved(self, state: ImplState, i: int, sid: int) -> ImplState:
        """`state` with node `i` in snapshot `sid` (what a quiet delivery leads to)."""
        succ = list(state)
        succ[FP] = state[FP] ^ self.t.z_snap[i][state[i]] ^ self.t.z_snap[i][sid]
        succ[i] = sid
        return tuple(succ)

    def expand(self, state: ImplState) -> Expansion:
        """Every reduced transition of `state`: `base`'s, less each eligible node's quiet steps, plus every
        loud step of that node from each state its quiet steps reach (with the mail it has in `state`)."""
        actions, states, broken = self.base.expand(state)
        t = self.t
        at_net = t.layout.net
        net, sent, down = state[at_net], state[SENT], state[t.layout.crashed] | self.base.apart_mask
        starts = []
        for i in self.eligible:
            if not down >> i & 1:
                first = self.moves(state, i, net & t.dst_mask[i])
                if first:
                    starts.append((i, first))
        if not starts:
            return actions, states, broken
        out: Expansion = ([], [], [])
        quiet = {action for _, first in starts for action, _ in first}
        marks = dict(broken)
        for j, (action, succ) in enumerate(zip(actions, states, strict=True)):
            if action in quiet and succ[at_net] == net and succ[SENT] == sent:
                continue  # a state inside a block: not a state of the reduced model
            _emit(out, action, succ, marks.get(j, ()))
        at_used = t.layout.crashes
        for i, first in starts:
            bits = net & t.dst_mask[i]
            seen = {(state[i], state[at_used])}
            frontier = [inner for _, inner in self.follow(first)]
            while frontier:
                nxt: list[ImplState] = []
                for inner in frontier:
                    if (inner[i], inner[at_used]) in seen:
                        continue  # back in a snapshot of this block (a cycle of quiet steps)
                    seen.add((inner[i], inner[at_used]))
                    a2, s2, b2 = self.base.expand(inner, 1 << i)
                    moves = self.moves(inner, i, bits)
                    here = {action for action, _ in moves}
                    nxt.extend(after for _, after in self.follow(moves))
                    inner_marks = dict(b2)
                    for j, (action, succ) in enumerate(zip(a2, s2, strict=True)):
                        if action in here and succ[at_net] == net and succ[SENT] == sent:
                            continue  # inside the block
                        _emit(out, action, succ, inner_marks.get(j, ()))
                frontier = nxt
        return out

    def blocks(self, state: ImplState, i: int) -> list[Block]:
        """Every state node `i`'s quiet steps reach from `state` (itself first), as real steps (a crash is
        two: the crash, then the restart), shortest first."""
        t = self.t
        bits = state[t.layout.net] & t.dst_mask[i]
        at_used, at_crashed = t.layout.crashes, t.layout.crashed
        found: list[Block] = [((), state)]
        seen = {(state[i], state[at_used])}
        n = 0
        while n < len(found):
            steps, cur = found[n]
            n += 1
            for action, nxt in self.moves(cur, i, bits):
                if (nxt[i], nxt[at_used]) in seen:
                    continue
                seen.add((nxt[i], nxt[at_used]))
                if action[0] == CRASH:
                    down = list(nxt)
                    down[at_crashed] |= 1 << i
                    down[FP] ^= t.z[("crashed", t.ids[i])]
                    real: tuple[tuple[Action, ImplState], ...] = (((CRASH, i, 0), tuple(down)), ((RESTART, i, 0), nxt))
                else:
                    real = ((action, nxt),)
                found.append(((*steps, *real), nxt))
        return found


def _emit(out: Expansion, action: Action, succ: ImplState, names: tuple[str, ...]) -> None:
    if names:
        out[2].append((len(out[1]), names))
    out[0].append(action)
    out[1].append(succ)


__all__ = ["Block", "Move", "QuietBlocks"]
