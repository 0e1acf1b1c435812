"""One way to write a message whole, for people: every field that matters, in the spec's terms.

Owns the text of a message, from the message itself or from its CSV fields (the
`msg_type`, `bal`, `value`, `max_vbal`, `max_val` columns), so replay, minimize,
fuzz output, report tables and sequence charts all say the same thing:
`Prepare 0@1`, `Promise 0@2 (accepted 0@1:v1)`, `Promise 0@2 (accepted nothing)`,
`Accept 0@2:v2`, `Accepted 0@1:v1`, `Nack 0@1 (phase 1, promised 0@2)` (a Nack that does not say
its phase: `Nack 0@1 (promised 0@2)`). No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from paxos._csvlog import message_fields
from paxos._messages import Message


def message_text(msg: Message) -> str:
    """`msg` written whole (see the module docstring)."""
    return fields_text(message_fields(msg))


def fields_text(fields: Mapping[str, str]) -> str:
    """A message written whole from its CSV fields; "" when `msg_type` is empty (no message)."""
    kind, bal = fields.get("msg_type", ""), fields.get("bal", "")
    value, max_vbal, max_val = fields.get("value", ""), fields.get("max_vbal", ""), fields.get("max_val", "")
    if not kind:
        return ""
    if kind in ("Promise", "1b"):
        vote = "nothing" if max_vbal in ("", "-", "-1") else f"{max_vbal}:{max_val}"
        return f"{kind} {bal} (accepted {vote})"
    if kind in ("Accept", "Accepted", "2a", "2b"):
        return f"{kind} {bal}:{value}" if value else f"{kind} {bal}"
    if kind == "Nack":
        said = [f"phase {value}"] if value else []
        said += [f"promised {max_vbal}"] if max_vbal else []
        return f"{kind} {bal} ({', '.join(said)})" if said else f"{kind} {bal}"
    return f"{kind} {bal}"
