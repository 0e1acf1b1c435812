"""Fast verdicts of Paxos.tla's inductive invariant (properties/inductive.py) on implementation states.

Owns the split of the conjuncts into parts that read little, and the caches of each part; the
predicates themselves are `properties.inductive`'s, evaluated on small Spec states, never copied.
Must not decide anything else (the other properties stay in `ImplModel.violated`).

The conjuncts are judged in the three groups of `properties.inductive` (ACCEPTOR_PART per acceptor:
its state and the Promise/Accepted messages from it; MESSAGE_PART: Prepare/Accept/Accepted;
SAFE_PART: every maxBal, Accept/Accepted), each cached under its own small key. A conjunct fails
in a state iff it fails in one group's cut-down state (the argument is there);
tests/test_inductive.py checks this against the whole-state evaluation on random states. The compiled
core judges SAFE_PART with its compiled twin (impl_core_safe.py, reading `max_bal` and `spec_of` here).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from checker.bitsets import bit_ids
from paxos import Accept, Accepted, AcceptorDurable, Message, Prepare, Promise
from properties import inductive
from properties.inductive import ACCEPTOR_PART, MESSAGE_PART, SAFE_PART
from properties.invariants import ANOTHER_VALUE
from properties.refinement import SpecImage
from properties.spec import Msg2b, SpecState

NAMES = frozenset(c.name for c in inductive.CONJUNCTS)
AcceptorLookup = Callable[[int, int], AcceptorDurable | None]  # (node index, snapshot id) -> state
_CACHE = 1 << 18


class InductiveIndex:
    """Per-part caches over interned ids: acceptor snapshot ids and sent-message bit masks."""

    def __init__(self, image: SpecImage, quorums2: tuple[frozenset[int], ...], msgs: list[Message],
                 acceptor_idx: Sequence[int], lookup: AcceptorLookup, wanted: frozenset[str]) -> None:
        self.image = image
        self.q2 = quorums2
        self.msgs = msgs  # the model's interning table, shared (grows as messages appear)
        self.acceptor_idx = list(acceptor_idx)
        self.lookup = lookup
        self.wanted = wanted
        self.n = len(self.acceptor_idx)
        self.spec_of: list[Hashable | None] = []
        self.own_mask = [0] * self.n  # per acceptor position: ids of its Promise and Accepted messages
        self.msg_mask = 0  # ids of Prepare, Accept, Accepted
        self.safe_mask = 0  # ids of Accept, Accepted
        self.acc_cache: dict[tuple[int, int, int], tuple[str, ...]] = {}
        self.msg_cache: dict[int, tuple[str, ...]] = {}
        self.safe_cache: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self.local: dict[tuple[int, int], tuple[int, int, Hashable]] = {}
        self.order = [c.name for c in inductive.CONJUNCTS if c.name in wanted]

    def _extend(self) -> None:
        for mid in range(len(self.spec_of), len(self.msgs)):
            m = self.msgs[mid]
            self.spec_of.append(self.image.message(m))
            bit = 1 << mid
            if isinstance(m, (Promise, Accepted)) and m.src in self.image.acc_index:
                self.own_mask[self.image.acc_index[m.src]] |= bit
            if isinstance(m, (Prepare, Accept, Accepted)):
                self.msg_mask |= bit
            if isinstance(m, (Accept, Accepted)):
                self.safe_mask |= bit

    def _acc(self, pos: int, sid: int) -> tuple[int, int, Hashable]:
        key = (pos, sid)
        hit = self.local.get(key)
        if hit is None:
            state = self.lookup(self.acceptor_idx[pos], sid)
            if state is None:
                hit = (-1, -1, None)
            else:
                ballot = self.image.ballot
                hit = (ballot(state.promised), ballot(state.accepted_bal),
                       None if state.accepted_bal.is_bottom else state.accepted_val)
            self.local[key] = hit
        return hit

    def max_bal(self, pos: int, sid: int) -> int:
        """The Spec maxBal of the acceptor at `pos` in snapshot `sid` (-1 without an acceptor state), as
        safe_part reads it."""
        return self._acc(pos, sid)[0]

    def _state(self, accs: Sequence[tuple[int, int, Hashable]], mask: int) -> SpecState:
        msgs = frozenset(x for x in (self.spec_of[mid] for mid in bit_ids(mask)) if x is not None)
        return SpecState(tuple(a[0] for a in accs), tuple(a[1] for a in accs), tuple(a[2] for a in accs),
                         msgs)  # type: ignore[arg-type]

    def _judge(self, names: Sequence[str], state: SpecState) -> tuple[str, ...]:
        values = {m.val for m in state.msgs if isinstance(m, Msg2b)}
        universe = inductive.Universe(self.q2, (*sorted(values, key=repr), ANOTHER_VALUE))
        return tuple(n for n in names if n in self.wanted and inductive.BY_NAME[n].check(state, universe) is not None)

    def failing(self, sids: Sequence[int], sent: int) -> tuple[str, ...]:
        """The conjuncts false in the state with acceptor snapshot ids `sids` (acceptor order) and sent
        messages `sent` (a bit mask of interned ids), in CONJUNCTS order."""
        bad: set[str] = set()
        for pos, sid in enumerate(sids):
            bad.update(self.acceptor_part(pos, sid, sent))
        bad.update(self.message_part(sent))
        bad.update(self.safe_part(sids, sent))
        return tuple(n for n in self.order if n in bad) if bad else ()

    def masks(self) -> tuple[list[int], int, int]:
        """(per acceptor position: its Promise/Accepted ids, Prepare/Accept/Accepted ids, Accept/Accepted ids):
        what each part reads of the sent messages, over every message interned so far."""
        if len(self.spec_of) < len(self.msgs):
            self._extend()
        return self.own_mask, self.msg_mask, self.safe_mask

    def acceptor_part(self, pos: int, sid: int, sent: int) -> tuple[str, ...]:
        """The ACCEPTOR_PART conjuncts false for the acceptor at `pos` in `sid` with its messages among `sent`."""
        if len(self.spec_of) < len(self.msgs):
            self._extend()
        key = (pos, sid, sent & self.own_mask[pos])
        hit = self.acc_cache.get(key)
        if hit is None:
            accs: list[tuple[int, int, Hashable]] = [(-1, -1, None)] * self.n
            accs[pos] = self._acc(pos, sid)
            hit = self._put(self.acc_cache, key, self._judge(ACCEPTOR_PART, self._state(accs, key[2])))
        return hit

    def message_part(self, sent: int) -> tuple[str, ...]:
        """The MESSAGE_PART conjuncts false with these sent messages."""
        if len(self.spec_of) < len(self.msgs):
            self._extend()
        mkey = sent & self.msg_mask
        hit = self.msg_cache.get(mkey)
        if hit is None:
            hit = self._put(self.msg_cache, mkey,
                            self._judge(MESSAGE_PART, self._state([(-1, -1, None)] * self.n, mkey)))
        return hit

    def safe_part(self, sids: Sequence[int], sent: int) -> tuple[str, ...]:
        """The SAFE_PART conjuncts false with the acceptors in `sids` and these sent messages."""
        if len(self.spec_of) < len(self.msgs):
            self._extend()
        bals = tuple(self._acc(pos, sid)[0] for pos, sid in enumerate(sids))
        skey = (bals, sent & self.safe_mask)
        hit = self.safe_cache.get(skey)
        if hit is None:
            accs = [(b, -1, None) for b in bals]
            hit = self._put(self.safe_cache, skey, self._judge(SAFE_PART, self._state(accs, skey[1])))
        return hit

    @staticmethod
    def _put(cache: dict[Any, tuple[str, ...]], key: Any, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(cache) >= _CACHE:
            cache.clear()
        cache[key] = value
        return value
