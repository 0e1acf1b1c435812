"""Ballots: totally ordered, unique per proposer, with an explicit bottom.

A ballot is `(round, node_id)`: rounds order first, the proposer's id breaks
ties, so two proposers never share a ballot. `BOTTOM` orders below every
ballot and stands for "no ballot" (never `None`). No I/O, no state.
"""

from __future__ import annotations

from dataclasses import dataclass

from paxos._errors import ConfigurationError


@dataclass(frozen=True, slots=True, order=True)
class Ballot:
    """A proposal number. Text form `ROUND@NODE` (e.g. `2@1`); bottom is `-`."""

    round: int
    node_id: int

    def __post_init__(self) -> None:
        for name, part in (("round", self.round), ("node_id", self.node_id)):
            if isinstance(part, bool) or not isinstance(part, int):
                raise ConfigurationError(f"ballot {name} must be an integer, got {part!r}")
        if (self.round < 0 or self.node_id < 0) and (self.round, self.node_id) != (-1, -1):
            raise ConfigurationError(
                f"bad ballot ({self.round}, {self.node_id}): round and node id must be >= 0; "
                "use paxos.BOTTOM for 'no ballot'"
            )

    @property
    def is_bottom(self) -> bool:
        return self.round < 0

    def __str__(self) -> str:
        return "-" if self.is_bottom else f"{self.round}@{self.node_id}"

    @staticmethod
    def parse(text: str) -> Ballot:
        """Inverse of `str()`: `-` is bottom, `R@N` a ballot."""
        text = text.strip()
        if text == "-":
            return BOTTOM
        round_text, sep, node_text = text.partition("@")
        try:
            if not sep:
                raise ValueError
            return Ballot(int(round_text), int(node_text))
        except ValueError:
            raise ConfigurationError(
                f"bad ballot {text!r}: expected ROUND@NODE such as 1@2, or - for no ballot"
            ) from None


#: "No ballot": orders below every real ballot.
BOTTOM = Ballot(-1, -1)
