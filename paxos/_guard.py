"""Calling a node that may misbehave: every handler call goes through `call_node`.

Owns `NodeFault` (a node raised, returned malformed outputs, or gave an unusable
snapshot) and the output check. A fault is a finding about the node, named by the
property `node_error`; nothing here decides what a checker does with it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Hashable
from typing import Any

from paxos._config import NodeRole
from paxos._messages import MESSAGE_TYPES
from paxos._roles import Outputs

#: The property a misbehaving node violates.
NODE_ERROR = "node_error"
NODE_ERROR_DESCRIPTION = "every handler returns well-formed outputs and never raises; snapshots are hashable"

class CheckerStop(BaseException):
    """Raised through a node's or a user property's code by the checker itself (time limit, Ctrl-C):
    never that code's fault. Everything else such code raises (`SystemExit` and a `KeyboardInterrupt`
    of its own included) is its failure."""


class Interrupted(KeyboardInterrupt, CheckerStop):
    """A real Ctrl-C (SIGINT), raised by the checker's own signal handlers."""


def own_failure(exc: BaseException) -> bool:
    """True if `exc`, raised inside user code, is that code's failure (not the checker stopping it)."""
    return not isinstance(exc, CheckerStop)


def raise_interrupted(signum: int, frame: object) -> None:
    """A SIGINT handler: Ctrl-C as `Interrupted` (a KeyboardInterrupt marked as the checker's)."""
    raise Interrupted


class NodeFault(Exception):
    """Node `node` misbehaved in `method`: it raised, or returned something the protocol does not allow.

    `where` is the innermost `file:line` of the traceback outside this package (the user's
    code, when the node is theirs), or "" when there is no traceback (malformed outputs).
    """

    def __init__(self, node: int, method: str, detail: str, where: str = "") -> None:
        self.node = node
        self.method = method
        self.detail = detail
        self.where = where
        at = f" at {where}" if where else ""
        super().__init__(f"node {node} {method}: {detail}{at}")


def _where(exc: BaseException) -> str:
    """The innermost frame of `exc`'s traceback: where the node's code raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def describe_exception(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_outputs(node: int, method: str, outputs: object) -> Outputs:
    """`outputs` if it is a list (or tuple) of `(destination, message)` pairs, else NodeFault."""
    if not isinstance(outputs, (list, tuple)):
        raise NodeFault(node, method, f"returned {type(outputs).__name__} {outputs!r:.60}; "
                                      "handlers must return a list of (destination, message) pairs")
    for item in outputs:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise NodeFault(node, method, f"returned the item {item!r:.60}; each output must be a "
                                          "(destination, message) pair")
        dest, msg = item
        if not (isinstance(dest, NodeRole) or (isinstance(dest, int) and not isinstance(dest, bool))):
            raise NodeFault(node, method, f"sent to {dest!r:.40}; a destination is a node id or a NodeRole")
        if not isinstance(msg, MESSAGE_TYPES):
            raise NodeFault(node, method, f"sent {type(msg).__name__} {msg!r:.60}; messages must be one of "
                                          f"{', '.join(t.__name__ for t in MESSAGE_TYPES)}")
    return list(outputs)


def call_node(node: int, method: str, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`, turning any exception into a NodeFault that names the node, method and place."""
    try:
        return fn(*args)
    except NodeFault:
        raise
    except BaseException as exc:  # the node's own bug (sys.exit included): a finding, not a crash of ours
        if not own_failure(exc):
            raise
        raise NodeFault(node, method, describe_exception(exc), _where(exc)) from exc


def call_handler(node: int, method: str, fn: Callable[..., Any], *args: Any) -> Outputs:
    """A handler call (`propose`, `on_message`, `on_timeout`) with its outputs checked."""
    return check_outputs(node, method, call_node(node, method, fn, *args))


def checked_snapshot(node: int, fn: Callable[[], Hashable]) -> Hashable:
    """`snapshot()`, which must not raise and must be hashable."""
    snap: Hashable = call_node(node, "snapshot", fn)
    try:
        hash(snap)
    except TypeError as exc:
        raise NodeFault(node, "snapshot", f"returned an unhashable {type(snap).__name__} ({exc}); "
                                          "a snapshot must be hashable (use tuples and frozensets)") from exc
    return snap

