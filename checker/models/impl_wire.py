"""Implementation-model states that mean the same in every process.

An `ImplState` holds ids that one process interned in the order it met them: a snapshot id
per node, envelope ids (the bits of the set network, or the sorted tuple of the bag network)
and message ids (the bits of the sent history). Another process has met the same snapshots
and messages in another order, so the same ids mean other things there. The fingerprint (the
state's last component) is a XOR of keys of the *contents*, so it is already the same
everywhere; everything else must be translated when a state leaves its process.

`pack(model, states)` makes a `Wire`: the batch's states as they are, plus the contents behind
every id they use (each snapshot, message and envelope once per batch, not once per state).
`unpack(model, wire)` interns those contents in the receiving model, which gives a table from
the sender's ids to the receiver's, and returns a sequence that rewrites a state only when it
is read: a BFS partition reads only the states that are new to it, so duplicates cost nothing
but their share of the tables. Bit sets are rewritten a byte at a time through tables built
once per batch, so a state costs a few dictionary lookups per 8 envelopes.

Nothing here changes what a state is: `unpack(m2, pack(m1, [s]))[0]` is the state `m2` itself
reaches by the same path as `m1` reached `s` (tests/test_impl_wire.py checks this, and that a
search over worker processes finds exactly the states and verdicts of one process).
"""

from __future__ import annotations

import operator
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, overload

from checker.bitsets import bit_ids
from checker.models.impl_encoding import ImplState, ImplTables
from paxos import Message


@dataclass(frozen=True)
class Wire:
    """A batch of states with the contents behind their ids (picklable, process-independent)."""

    states: list[ImplState]
    snaps: tuple[dict[int, Hashable], ...]  # per node: sender's snapshot id -> snapshot
    msgs: dict[int, Message]  # sender's message id -> message (history and envelopes)
    envs: dict[int, tuple[int, int]]  # sender's envelope id -> (destination node index, message id)


def pack(model: ImplTables, states: Sequence[ImplState]) -> Wire:
    """The states of one batch, ready to travel to another process or to disk."""
    states = list(states)
    if not states:
        return Wire([], tuple({} for _ in range(model.k)), {}, {})
    k = model.k
    cols = list(zip(*states, strict=True))
    snaps = tuple({sid: model.snaps[i][sid] for sid in set(cols[i])} for i in range(k))
    if model.bag:
        env_ids: set[int] = set()
        for net in cols[k]:
            env_ids.update(net)
    else:
        env_ids = set(bit_ids(reduce(operator.or_, cols[k], 0)))
    envs = {eid: model.envs[eid] for eid in env_ids}
    msg_ids = set(bit_ids(reduce(operator.or_, cols[-3], 0)))
    msg_ids.update(mid for _, mid in envs.values())
    msgs = {mid: model.msgs[mid] for mid in msg_ids}
    return Wire(states, snaps, msgs, envs)


class _BitMap:
    """Rewrites bit sets of the sender's ids as bit sets of the receiver's, a byte at a time."""

    def __init__(self, table: dict[int, int]) -> None:
        self.table = table  # sender id -> receiver id
        self.bytes: dict[tuple[int, int], int] = {}
        self.whole: dict[int, int] = {}

    def _byte(self, pos: int, byte: int) -> int:
        out = 0
        for bit in bit_ids(byte):
            out |= 1 << self.table[pos * 8 + bit]
        self.bytes[(pos, byte)] = out
        return out

    def __call__(self, bits: int) -> int:
        hit = self.whole.get(bits)
        if hit is not None:
            return hit
        out, pos, rest, table = 0, 0, bits, self.bytes
        while rest:
            byte = rest & 0xFF
            if byte:
                got = table.get((pos, byte))
                out |= got if got is not None else self._byte(pos, byte)
            rest >>= 8
            pos += 1
        self.whole[bits] = out
        return out


class Unpacked(Sequence[ImplState]):
    """The states of a `Wire` in the receiver's ids, each rewritten when first read."""

    def __init__(self, model: ImplTables, wire: Wire) -> None:
        self.states = wire.states
        self.k = model.k
        self.bag = model.bag
        self.snap_map = [{sid: model._intern_snap(i, snap) for sid, snap in table.items()}
                         for i, table in enumerate(wire.snaps)]
        msg_map = {mid: model._intern_msg(msg) for mid, msg in wire.msgs.items()}
        self.env_map = {eid: model._intern_env(dst, msg_map[mid]) for eid, (dst, mid) in wire.envs.items()}
        self.msg_bits = _BitMap(msg_map)
        self.env_bits = _BitMap(self.env_map)

    def __len__(self) -> int:
        return len(self.states)

    @overload
    def __getitem__(self, index: int) -> ImplState: ...
    @overload
    def __getitem__(self, index: slice) -> list[ImplState]: ...

    def __getitem__(self, index: int | slice) -> ImplState | list[ImplState]:
        if isinstance(index, slice):
            return [self._local(s) for s in self.states[index]]
        return self._local(self.states[index])

    def __iter__(self) -> Iterator[ImplState]:
        return (self._local(s) for s in self.states)

    def _local(self, state: ImplState) -> ImplState:
        k = self.k
        snaps = tuple(m[sid] for m, sid in zip(self.snap_map, state[:k], strict=True))
        net: Any
        if self.bag:
            env_map = self.env_map
            net = tuple(sorted(env_map[eid] for eid in state[k]))
        else:
            net = self.env_bits(state[k])
        return (*snaps, net, *state[k + 1 : -3], self.msg_bits(state[-3]), state[-2], state[-1])


def unpack(model: ImplTables, wire: Wire) -> Unpacked:
    """The states of `wire` in `model`'s ids (interning whatever contents are new to it)."""
    return Unpacked(model, wire)
