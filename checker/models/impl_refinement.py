"""Fast `refines_spec` checking for the implementation model.

Judging a step needs only the acceptor states and the few sent messages
that the new Spec message's enabling condition reads (the 1a of its ballot
for a 1b; the 1b and 2a of its ballot for a 2a; the 2a for a 2b). This index
maps implementation message ids to Spec messages and keeps, per ballot,
masks of the ids that matter, so a step's verdict is cached under a small
key. The judgement itself is `properties.refinement.Refinement.explain`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from checker.bitsets import bit_ids
from paxos import AcceptorDurable, Message
from properties.refinement import Refinement
from properties.spec import Msg1a, Msg1b, Msg2a, Msg2b, SpecState

AcceptorLookup = Callable[[int, int], AcceptorDurable | None]  # (node index, snapshot id) -> state


class RefinementIndex:
    """Per-message Spec images and per-ballot masks over implementation message ids."""

    def __init__(self, refinement: Refinement, msgs: list[Message], acceptor_idx: list[int],
                 acceptor_ids: list[int], lookup: AcceptorLookup) -> None:
        self.ref = refinement
        self.msgs = msgs  # the model's interning table, shared (grows as messages appear)
        self.acceptor_idx = acceptor_idx
        self.acceptor_ids = acceptor_ids
        self.lookup = lookup
        self.spec_of: list[Hashable | None] = []
        self.same_image: dict[Hashable, int] = {}  # Spec message -> mask of ids mapping to it
        self.by_ballot: dict[tuple[str, int], int] = {}  # ("1a"|"1b"|"2a", spec ballot) -> mask of ids
        self.abstract_acc: dict[tuple[int, int], tuple[int, int, Hashable]] = {}
        self.reads: dict[tuple[int, int, int, int], int] = {}  # step -> mask of the sent messages it reads
        self.cache: dict[tuple[tuple[int, int, int, int], int], bool] = {}

    def _extend(self) -> None:
        self.reads.clear()  # a new message may share an image with, or be read by, a cached step
        for mid in range(len(self.spec_of), len(self.msgs)):
            image = self.ref.message(self.msgs[mid])
            self.spec_of.append(image)
            if image is None:
                continue
            self.same_image[image] = self.same_image.get(image, 0) | (1 << mid)
            tag = {Msg1a: "1a", Msg1b: "1b", Msg2a: "2a", Msg2b: "2b"}[type(image)]
            key = (tag, image.bal)
            self.by_ballot[key] = self.by_ballot.get(key, 0) | (1 << mid)

    def _acceptor(self, i: int, sid: int) -> tuple[int, int, Hashable]:
        key = (i, sid)
        hit = self.abstract_acc.get(key)
        if hit is None:
            state = self.lookup(i, sid)
            if state is None:
                hit = (-1, -1, None)
            else:
                hit = (self.ref.ballot(state.promised), self.ref.ballot(state.accepted_bal),
                       None if state.accepted_bal.is_bottom else state.accepted_val)
            self.abstract_acc[key] = hit
        return hit

    def _relevant(self, image: Hashable) -> int:
        get = self.by_ballot.get
        if isinstance(image, Msg1b):
            return get(("1a", image.bal), 0)
        if isinstance(image, Msg2a):
            return get(("1b", image.bal), 0) | get(("2a", image.bal), 0)
        if isinstance(image, Msg2b):
            return get(("2a", image.bal), 0)
        return 0

    def allows(self, pos: int, before: int, after: int, sent_before: int, sent_after: int) -> bool:
        """Is one node's step a Spec step or a stutter?

        `pos` is the acting node's place among the acceptors (-1 if it is no acceptor),
        `before`/`after` its snapshot ids, `sent_*` the ghost masks of sent messages. Only
        the acting node changes in a step, and the Spec's enabling conditions read only
        that acceptor's variables and a few messages, so this is the whole judgement.
        The verdict is cached under the step and the few sent messages it reads.
        """
        if len(self.spec_of) < len(self.msgs):
            self._extend()
        new = sent_after & ~sent_before
        step = (pos, before, after, new)
        reads = self.reads.get(step)
        if reads is None:
            reads = self.reads[step] = self._reads(new)
        key = (step, sent_before & reads)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = self._decide(pos, before, after, new, sent_before)
        return hit

    def reads_of(self, mid: int) -> int:
        """The sent messages a step sending message `mid` (alone) depends on: `_reads` of it, with every
        message interned so far known (the compiled core keys its copy of this cache with these)."""
        if len(self.spec_of) < len(self.msgs):
            self._extend()
        return self._reads(1 << mid)

    def _reads(self, new: int) -> int:
        """The sent messages a step sending `new` depends on: those with the same Spec image as a new
        one (then it is not new to the Spec) and those its enabling condition reads."""
        mask = 0
        for mid in bit_ids(new):
            image = self.spec_of[mid]
            if image is not None:
                mask |= self.same_image[image] | self._relevant(image)
        return mask

    def _decide(self, pos: int, before: int, after: int, new: int, sent_before: int) -> bool:
        new_images = set()
        for mid in bit_ids(new):
            image = self.spec_of[mid]
            if image is not None and not sent_before & self.same_image[image]:
                new_images.add(image)
        if (pos < 0 or before == after) and not new_images:
            return True
        relevant = 0
        for image in new_images:
            relevant |= self._relevant(image)
        return self._judge(pos, before, after, new_images, relevant & sent_before)

    def _judge(self, pos: int, before: int, after: int, new_images: set[Hashable], relevant: int) -> bool:
        old = {self.spec_of[mid] for mid in bit_ids(relevant)}
        s = self._spec_state(pos, before, frozenset(old))
        t = self._spec_state(pos, after, frozenset(old | new_images))
        return self.ref.explain(s, t) is not None

    def _spec_state(self, pos: int, sid: int, msgs: frozenset[Hashable]) -> SpecState:
        """A Spec state with the acting acceptor's variables and the given messages; every other
        acceptor at its initial values (they neither change nor enable anything in this step)."""
        accs: list[tuple[int, int, Hashable]] = [(-1, -1, None)] * len(self.acceptor_idx)
        if pos >= 0:
            accs[pos] = self._acceptor(self.acceptor_idx[pos], sid)
        return SpecState(tuple(a[0] for a in accs), tuple(a[1] for a in accs), tuple(a[2] for a in accs),
                         msgs)  # type: ignore[arg-type]
