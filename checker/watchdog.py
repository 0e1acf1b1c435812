"""A watchdog for `--time-limit`: a node handler that never returns cannot hang the run.

The searches poll their deadline between states, which a handler stuck in a loop never
reaches. Inside `handler_watchdog(seconds)` a SIGALRM fires at the deadline plus a grace
period; if the process is then inside a node's method or a user property (found on the stack), it raises
`HandlerHung` there, naming the node, the method and its arguments. A `CheckerStop`, so
`paxos._guard.call_node` (which turns what a node raises into a finding) lets it through:
a slow handler at the deadline is no proof of a bug, so the run ends as bounded. Outside a
node method it re-arms: the search itself stops at its deadline. Main thread, POSIX only.
"""

from __future__ import annotations

from types import FrameType

import properties.user
from paxos import REQUIRED_METHODS
from paxos._guard import CheckerStop

user_properties_file = properties.user.__file__

#: Seconds after the time limit before a handler still running is stopped.
GRACE_SECONDS = 1.0


class HandlerHung(CheckerStop):
    """A node method (or a user property) was still running `GRACE_SECONDS` after the time limit."""

    def __init__(self, node: object, method: str, call: str) -> None:
        self.node, self.method, self.call = node, method, call
        who = f"property {method}" if node == PROPERTY else f"node {node} {method}"
        super().__init__(f"{who} did not return within the time limit ({call})")


#: The "node" of a user property found on the stack (`--property`: properties/user.py's guarded call).
PROPERTY = "property"


def node_call_on_stack(frame: FrameType | None) -> tuple[object, str, str] | None:
    """(node id, method, call text) of the outermost node method (or user property) on the stack, if any."""
    found: tuple[object, str, str] | None = None
    while frame is not None:
        code, local = frame.f_code, frame.f_locals
        if code.co_name == "check" and code.co_filename == user_properties_file:
            found = (PROPERTY, str(local.get("name", "?")), f"{local.get('name', '?')}(view)")
        elif code.co_name == "probe" and code.co_filename == user_properties_file and "p" in local:
            name = str(getattr(local["p"], "name", "?"))
            found = (PROPERTY, name, f"{name}(initial view)")
        elif code.co_name == "call_node" and code.co_filename.endswith("_guard.py"):
            args = ", ".join(repr(a)[:80] for a in local.get("args", ()))
            found = (local.get("node"), str(local.get("method")), f"{local.get('method')}({args})")
        elif found is None and code.co_name in REQUIRED_METHODS and hasattr(local.get("self"), "node_id"):
            args = ", ".join(f"{repr(local[n])[:80]}" for n in code.co_varnames[1:code.co_argcount] if n in local)
            found = (local["self"].node_id, code.co_name, f"{code.co_name}({args})")
        frame = frame.f_back
    return found
