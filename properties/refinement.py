"""The refinement mapping from implementation worlds to states of the Spec (properties/spec.py).

An implementation step is correct when its image is a Spec step or a stutter
(`refines_spec`): this finds a wrong step at once, long before two values are
chosen. The mapping: each acceptor's (promised, accepted ballot, accepted
value) is (maxBal, maxVBal, maxVal); every message ever sent, less Nacks, is
`msgs`; ballot (round, node) maps order-preservingly to round * M + node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from paxos import Accept, Accepted, AcceptorDurable, Ballot, ClusterConfig, Message, Prepare, Promise, Value
from properties import spec
from properties.spec import Msg1a, Msg1b, Msg2a, Msg2b, SpecConfig, SpecState


class SpecImage:
    """The mapping alone (no Spec constants): acceptor ids -> indices, ballots -> integers, messages ->
    Spec messages, worlds -> Spec states. Defined for every quorum system (flexible ones too)."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.acc_index = {a: i for i, a in enumerate(config.acceptors)}
        self.acc_ids = tuple(config.acceptors)
        self.scale = max(config.node_ids) + 1

    def ballot(self, b: Ballot) -> int:
        return -1 if b.is_bottom else b.round * self.scale + b.node_id

    def ballot_text(self, n: int) -> str:
        """The implementation's notation (`1@2`) of a Spec ballot (`-` for none)."""
        return "-" if n < 0 else f"{n // self.scale}@{n % self.scale}"

    def acceptor_text(self, i: int) -> str:
        return f"acceptor {self.acc_ids[i]}"

    def message(self, m: Message) -> spec.Message | None:
        """The Spec message of an implementation message (None for messages outside the Spec, e.g. Nack)."""
        if isinstance(m, Prepare):
            return Msg1a(self.ballot(m.bal))
        if isinstance(m, Promise) and m.src in self.acc_index:
            return Msg1b(self.acc_index[m.src], self.ballot(m.bal), self.ballot(m.max_vbal),
                         None if m.max_vbal.is_bottom else m.max_val)
        if isinstance(m, Accept):
            return Msg2a(self.ballot(m.bal), m.val)
        if isinstance(m, Accepted) and m.src in self.acc_index:
            return Msg2b(self.acc_index[m.src], self.ballot(m.bal), m.val)
        return None

    def abstract(self, acceptors: Mapping[int, AcceptorDurable], sent: Iterable[Message]) -> SpecState:
        """The Spec state of an implementation world."""
        n = len(self.acc_index)
        max_bal, max_vbal, max_val = [-1] * n, [-1] * n, [None] * n
        for a, state in acceptors.items():
            i = self.acc_index[a]
            max_bal[i] = self.ballot(state.promised)
            max_vbal[i] = self.ballot(state.accepted_bal)
            max_val[i] = None if state.accepted_bal.is_bottom else state.accepted_val  # type: ignore[call-overload]
        msgs = frozenset(x for x in (self.message(m) for m in sent) if x is not None)
        return SpecState(tuple(max_bal), tuple(max_vbal), tuple(max_val), msgs)


class Refinement(SpecImage):
    """Maps implementation states to Spec states and judges each step."""

    description = "every implementation step maps to a Spec step or a stutter"
    #: The message kinds the mapping reads: those with a Spec image (`message`); Nacks have none.
    READS = frozenset({"Prepare", "Promise", "Accept", "Accepted"})

    def __init__(self, config: ClusterConfig, values: tuple[Value, ...], ballots: int) -> None:
        super().__init__(config)
        q1 = config.quorums.phase1_quorums()
        #: Paxos.tla has one quorum system for both phases; flexible quorums have two.
        self.applicable = q1 == config.quorums.phase2_quorums()
        self.spec_config = SpecConfig(
            acceptors=len(config.acceptors),
            ballots=max(1, ballots * self.scale * 4),
            values=tuple(values),
            quorums=tuple(frozenset(self.acc_index[a] for a in q) for q in q1) if self.applicable else None,
        )

    def explain(self, before: SpecState, after: SpecState) -> str | None:
        """The Spec step that explains `before -> after` ("stutter" if equal), or None if none does."""
        return spec.explain_step(self.spec_config, before, after)
