"""Implementation-model states that mean the same in every process.

An `ImplState` holds ids that one process interned in the order it met them: a snapshot id
per node, envelope ids (the bits of the set network, or the sorted tuple of the bag network)
and message ids (the bits of the sent history). Another process has met the same snapshots
and messages in another order, so the same ids mean other things there. The fingerprint (the
state's last component) is a XOR of keys of the *contents*, so it is already the same
everywhere; everything else must be translated when a state leaves its process.

A `Wire` is a batch's states as they are, plus the entries of the sender's tables (snapshots,
messages, envelopes) that the receiver has not been sent before: ids are handed out in order, so
what is new since the last batch is a tail of each table, and a sender pays nothing per state to
find it. Two processes that exchange many batches keep a link each way: a `Sender` (what it has
sent to one peer) and a `Receiver` (the table from that peer's ids to its own, which only grows);
batches on one link must be unpacked in the order they were packed (checked: a tail that does not
start where the last one ended is refused). A batch that must stand alone (a checkpoint on disk,
the roots sent by the driver) is packed by a fresh `Sender`: every table entry from id 0.
`Receiver.unpack` returns a sequence that rewrites a state only when it is read: a BFS partition
reads only the states that are new to it, so duplicates cost nothing but their share of the
tables. Bit sets are rewritten a byte at a time through tables that last as long as the link, so
a state costs a few dictionary lookups per 8 envelopes.

Nothing here changes what a state is: `Receiver(m2).unpack(Sender(m1).pack([s]))[0]` is the
state `m2` itself reaches by the same path as `m1` reached `s` (tests/test_impl_wire.py checks
this, and that a search over worker processes finds exactly the states and verdicts of one
process).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from checker.bitsets import bit_ids
from checker.models.impl_encoding import ImplState
from checker.models.impl_layout import FP, PROPOSED, SENT
from checker.models.impl_orbits import least_image
from checker.models.impl_tables import MASK64, ImplTables
from paxos import Message


@dataclass(frozen=True)
class Wire:
    """A batch of states with the sender's table entries new to the receiver (picklable).

    Each table part is `(first id, entries from that id on)`: per node its snapshots, then the
    messages, then the envelopes as (destination node index, sender's message id).
    """

    states: list[ImplState]
    snaps: tuple[tuple[int, list[Hashable]], ...]
    msgs: tuple[int, list[Message]]
    envs: tuple[int, list[tuple[int, int]]]


class Sender:
    """One direction of a link: how much of each of this model's tables one peer has been sent."""

    def __init__(self, model: ImplTables) -> None:
        self.model = model
        self.snaps = [0] * model.k
        self.msgs = 0
        self.envs = 0

    def pack(self, states: Sequence[ImplState]) -> Wire:
        """The states, with every table entry made since the last batch to this peer."""
        m = self.model
        snaps = tuple((n, list(m.snaps[i][n:])) for i, n in enumerate(self.snaps))
        wire = Wire(list(states), snaps, (self.msgs, list(m.msgs[self.msgs:])), (self.envs, list(m.envs[self.envs:])))
        self.snaps = [len(t) for t in m.snaps]
        self.msgs, self.envs = len(m.msgs), len(m.envs)
        return wire


class _BitMap:
    """Rewrites bit sets of the sender's ids as bit sets of the receiver's, a byte at a time."""

    def __init__(self, table: list[int]) -> None:
        self.table = table  # sender id -> receiver id (grows; entries never change)
        self.bytes: dict[tuple[int, int], int] = {}
        self.whole: dict[int, int] = {}  # per batch: cleared by `Receiver.unpack`

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


class Receiver:
    """The other direction of a link: one peer's ids in this model's ids, for every batch it sent."""

    def __init__(self, model: ImplTables) -> None:
        self.model = model
        self.k = model.k
        self.bag = model.bag
        self.snap_map: list[list[int]] = [[] for _ in range(model.k)]
        self.msg_map: list[int] = []
        self.env_map: list[int] = []
        self.msg_bits = _BitMap(self.msg_map)
        self.env_bits = _BitMap(self.env_map)

    def unpack(self, wire: Wire) -> Unpacked:
        """The states of `wire` in this model's ids (interning the table entries new to it)."""
        model = self.model
        for i, (first, snaps) in enumerate(wire.snaps):
            table = self.snap_map[i]
            _in_order(first, table, f"node {i}'s snapshots")
            table.extend(model.intern_snap(i, snap) for snap in snaps)
        first, msgs = wire.msgs
        _in_order(first, self.msg_map, "messages")
        self.msg_map.extend(model.intern_msg(msg) for msg in msgs)
        first, envs = wire.envs
        _in_order(first, self.env_map, "envelopes")
        msg_map = self.msg_map
        self.env_map.extend(model.intern_env(dst, msg_map[mid]) for dst, mid in envs)
        self.msg_bits.whole.clear()
        self.env_bits.whole.clear()
        return Unpacked(self, wire.states)


def _in_order(first: int, table: list[int], what: str) -> None:
    if first != len(table):
        raise ValueError(f"a wire batch's {what} start at id {first}, but {len(table)} were received before "
                         "on this link: batches were lost or reordered")


class Unpacked(Sequence[ImplState]):
    """States of a `Wire` in the receiver's ids, each rewritten when first read."""

    def __init__(self, link: Receiver, states: list[ImplState]) -> None:
        self.link = link
        self.states = states

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
        """The state in the receiver's ids: snapshots, network and history rewritten; the crashed set,
        budgets, starts, proposed values and fingerprint slot (between `net` and `SENT`, and after)
        are the same everywhere."""
        link = self.link
        k = link.k  # the snapshots are slots 0..k-1 and the network slot k (impl_layout.StateLayout)
        net: Any
        if link.bag:
            env_map = link.env_map
            net = tuple(sorted(env_map[eid] for eid in state[k]))
        else:
            net = link.env_bits(state[k])
        return (*[m[sid] for m, sid in zip(link.snap_map, state[:k], strict=True)], net, *state[k + 1 : SENT],
                link.msg_bits(state[SENT]), state[PROPOSED], state[FP])


class WireFace:
    """What a parallel search asks of one model: its states packed per peer link, and which partition
    owns a state. Links are kept per peer, as long as the model."""

    def __init__(self, tables: ImplTables, acceptors_of: Callable[[ImplState], tuple[int, ...]]) -> None:
        self.t = tables
        self.acceptors_of = acceptors_of
        self.senders: dict[Hashable, Sender] = {}
        self.receivers: dict[Hashable, Receiver] = {}
        self.partition_cache: dict[tuple[int, ...], int] = {}  # acceptors' snapshot ids -> partition key

    def to_wire(self, states: Sequence[ImplState], peer: Hashable = None) -> Wire:
        link = Sender(self.t) if peer is None else self.senders.setdefault(peer, Sender(self.t))
        return link.pack(states)

    def from_wire(self, wire: Wire, peer: Hashable = None) -> Sequence[ImplState]:
        link = Receiver(self.t) if peer is None else self.receivers.setdefault(peer, Receiver(self.t))
        return link.unpack(wire)

    def partition_key(self, state: ImplState) -> int:
        return self.partition_key_of(self.acceptors_of(state))

    def partition_keys(self, states: Sequence[ImplState]) -> Any:
        cache = self.partition_cache
        keys = []
        for sids in map(self.acceptors_of, states):
            key = cache.get(sids)
            if key is None:
                key = cache[sids] = self.partition_key_of(sids)
            keys.append(key)
        return np.array(keys, dtype=np.uint64)

    def partition_key_of(self, sids: tuple[int, ...]) -> int:
        t = self.t
        key = 0
        z = t.z_snap
        if t.orbit is None:
            for i, sid in zip(t.acceptor_idx, sids, strict=True):
                key ^= z[i][sid]
            return key
        # under symmetry states are kept as they are reached, not renamed, so the key must be the same
        # for every image: per acceptor the least key among its snapshot's images, summed
        for i, sid in zip(t.acceptor_idx, sids, strict=True):
            key += least_image(z[i][sid])
        return key & MASK64
