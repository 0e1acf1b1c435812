"""How the implementation model encodes actions, and its state type.

Owns the action encoding `(kind, node_index, argument)` and the `ImplState` alias; the slots of a
state are named in impl_layout.py, the tables behind its ids in impl_tables.py. No behaviour here.
"""

from __future__ import annotations

from typing import Any

# Action encoding (hashable, compact): (kind, node_index, argument)
PROPOSE, TIMEOUT, DELIVER, DROP, DUPLICATE, CRASH, RESTART = range(7)
KIND_NAMES = ("propose", "timeout", "deliver", "drop", "duplicate", "crash", "restart")
#: The argument of a CRASH action that stands for a crash and a restart at once (reductions.py, 4).
CRASH_RESTART = 1

ImplState = tuple[Any, ...]  # impl_layout.StateLayout: snapshots, net, crashed, used x3, started..., sent, proposed, fp
