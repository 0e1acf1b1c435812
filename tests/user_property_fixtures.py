"""Properties for tests/test_user_properties.py: good ones, and each way a user's property can be bad."""

from __future__ import annotations

import os
import sys
import time

from properties.invariants import WorldView
from properties.user import always, sometimes


def fine(view: WorldView) -> bool:
    return True


def three_arguments(a: WorldView, b: WorldView, c: WorldView) -> None:
    return None


def raises_at_once(view: WorldView) -> None:
    raise RuntimeError("boom")


def returns_a_number(view: WorldView) -> int:
    return 42


def raises_after_an_accept(view: WorldView) -> bool:
    """Fine on the initial state, raises as soon as an acceptor has accepted something."""
    if view.history:
        raise ZeroDivisionError("the property divided by zero")
    return True


def agreement(view: WorldView) -> None:  # the name of a built-in
    return None


@always(name="renamed")
def agreement_too(view: WorldView) -> None:
    return None


@sometimes
def two_acceptors_voted(view: WorldView) -> bool:
    return sum(1 for s in view.acceptors.values() if not s.accepted_bal.is_bottom) >= 2


@sometimes
def never(view: WorldView) -> bool:
    return False


not_a_function = 3


def one_value_accepted(view: WorldView) -> str | None:
    """Fails at the first Accepted of a second value: strictly before any two values can be chosen, so a
    run stops at it and not at a built-in (agreement) failing at the same step."""
    values = sorted({str(m.val) for m in view.history})
    return None if len(values) <= 1 else f"values {', '.join(values)} were accepted"


def exits_at_once(view: WorldView) -> None:
    """Calls sys.exit(0) on the initial state: refused before any work (exit 2)."""
    sys.exit(0)


def exits_after_an_accept(view: WorldView) -> None:
    """Calls sys.exit(0) once something was accepted: a finding of this property, never exit 0."""
    if view.history:
        sys.exit(0)


def interrupts_after_an_accept(view: WorldView) -> None:
    """Raises its own KeyboardInterrupt once something was accepted: its failure, not a Ctrl-C."""
    if view.history:
        raise KeyboardInterrupt


def slow_after_an_accept(view: WorldView) -> None:
    """Sleeps a minute once something was accepted: --time-limit must still stop the run."""
    if view.history:
        time.sleep(60)


def changes_directory(view: WorldView) -> None:
    """Moves the process to the file system root: the run directory must not move with it."""
    os.chdir(os.sep)


def slow_at_once(view: WorldView) -> None:
    """Sleeps a minute on every call, the first (on the initial state) included."""
    time.sleep(60)


def one_value_proposed(view: WorldView) -> str | None:
    """Fails as soon as a second value is proposed (before any Accept of it)."""
    if len(view.proposed) > 1:
        return f"values {', '.join(sorted(map(str, view.proposed)))} were proposed"
    return None
