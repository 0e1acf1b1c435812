"""Where each component sits in an implementation-model state (a flat tuple of small integers).

Owns the slot names only: no table, no key, no behaviour. Hot loops bind the slots they use to
locals once per call (`net = lay.net`), which costs what the literal indexes cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checker.models.impl_encoding import ImplState

#: The last three slots, the same for every model: the ghost history of sent messages (a bit set of
#: message ids), the values proposed so far (a bit set over the model's values) and the fingerprint
#: slot (the Zobrist fingerprint in its low 64 bits; with orbit keys, its images' changes above).
SENT, PROPOSED, FP = -3, -2, -1


class StateLayout:
    """The slots of a state of k nodes and p proposers:
    `(snap_0 .. snap_{k-1}, net, crashed, crashes_used, drops_used, duplicates_used,
    started_0 .. started_{p-1}, sent, proposed, fp)`.

    Slot i < k is node i's interned snapshot id; `net` the network (a bit set of envelope ids, or a
    sorted tuple of them in the bag network); `crashed` a bit set of node indexes; the three budgets
    count the crashes, drops and duplicates used; `started + j` how many ballots proposer j started.
    """

    __slots__ = ("budgets", "crashed", "crashes", "drops", "duplicates", "k", "net", "p", "started", "starts")

    def __init__(self, k: int, p: int) -> None:
        self.k, self.p = k, p
        self.net = k
        self.crashed = k + 1
        self.crashes = k + 2
        self.drops = k + 3
        self.duplicates = k + 4
        self.started = k + 5  # proposer j's slot is started + j
        self.budgets = slice(k + 2, k + 5)  # crashes, drops, duplicates used
        self.starts = slice(k + 5, k + 5 + p)

    def initial(self, snaps: tuple[int, ...], net: Any, fingerprint: Callable[[ImplState], int]) -> ImplState:
        """The state with these snapshot ids and network, nothing crashed, used, started, sent or
        proposed; its fingerprint slot filled by `fingerprint`."""
        blank = (*snaps, net, 0, 0, 0, 0, *([0] * self.p), 0, 0, 0)
        return (*blank[:FP], fingerprint(blank))
