"""Named properties of Paxos and the executable Spec (Lamport's Paxos.tla) they are judged against.

The Spec lives in `properties.spec`; its public names are re-exported here.
"""

from properties.spec import (
    Msg1a,
    Msg1b,
    Msg2a,
    Msg2b,
    SpecConfig,
    SpecState,
    apply_step,
    chosen,
    explain_step,
    initial_state,
    next_states,
)

__all__ = [
    "Msg1a",
    "Msg1b",
    "Msg2a",
    "Msg2b",
    "SpecConfig",
    "SpecState",
    "apply_step",
    "chosen",
    "explain_step",
    "initial_state",
    "next_states",
]
