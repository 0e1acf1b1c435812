"""Whether the compiled core of the implementation model (impl_core.py) explores a model exactly.

Owns `refusal`: what the core cannot do exactly (the Python engine runs such a search, and the run says why
in one line). Must not build a core or run a search; impl_model.py asks it before `flat_core()`.
"""

from __future__ import annotations

from typing import Any

from checker.jit import HAVE_NUMBA
from checker.models.impl_core_orbits import MAX_GROUP
from checker.models.impl_por import QuietBlocks


def refusal(model: Any) -> str | None:
    """Why this core cannot explore `model` exactly (the Python engine runs it then), or None."""
    if not HAVE_NUMBA:
        return "numba is not installed"
    t = getattr(model, "tables", None)
    if t is None or getattr(model, "kind", None) != "impl":
        return "not the implementation model"
    if t.bag:
        return "the bag network"
    if model.verdicts.user_steps:
        return "a user's step property"
    if t.orbit is not None and t.orbit.size > MAX_GROUP:
        return f"--symmetry with more than {MAX_GROUP} acceptor renamings"
    why = _quiet_blocks_refusal(model)
    if why is not None:
        return why
    props = model.properties()
    if sum(p.kind == "always" for p in props) > 63 or sum(p.kind == "sometimes" for p in props) > 63 or t.k > 60:
        return "more than 63 properties of one kind or 60 nodes"
    return None


#: what the kernel computes its own way in QuietBlocks (a class or instance that replaces one is refused)
QUIET_TWINS = ("expand", "follow", "moves", "quiet_moves", "moved")


def _quiet_blocks_refusal(model: Any) -> str | None:
    """Why the kernel's quiet blocks (impl_core_kernel.py) are not exactly `model.por`'s, or None: its
    QuietBlocks must be the class itself with the methods the kernel mirrors as defined there, over the
    model's own successors, mailboxes and tables."""
    por = getattr(model, "por", None)
    if por is None:
        return None
    if type(por) is not QuietBlocks:
        return f"quiet blocks of another kind ({type(por).__name__}; --no-por runs the compiled engine)"
    for name in QUIET_TWINS:
        fn = getattr(QuietBlocks, name, None)
        if (name in vars(por) or getattr(fn, "__module__", None) != QuietBlocks.__module__
                or getattr(fn, "__qualname__", None) != f"QuietBlocks.{name}"):
            return f"quiet blocks with QuietBlocks.{name} replaced (--no-por runs the compiled engine)"
    if por.base is not model.search_successors or por.mail is not model.mailboxes or por.t is not model.tables:
        return "quiet blocks over other successors than the search's (--no-por runs the compiled engine)"
    return None
