"""Every signal handler of paxos-check, in one place: Ctrl-C (SIGINT) and the `--time-limit` alarm (SIGALRM).

Owns installing and restoring the handlers and the flags they set (a search polls `stop_requested`,
fuzz `interrupt_requested`). What a hung call is (the stack walk, `HandlerHung`) is checker/watchdog.py's.
Handlers are installed from the main thread only (elsewhere these blocks do nothing); SIGALRM needs POSIX.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from checker.watchdog import GRACE_SECONDS, PROPERTY, HandlerHung, node_call_on_stack
from paxos._guard import CheckerStop, Interrupted, raise_interrupted


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _alarms() -> bool:
    """SIGALRM can be used here: the main thread of a POSIX process."""
    return _main_thread() and hasattr(signal, "setitimer")


def ctrl_c_raises() -> None:
    """At start-up: SIGINT gets Python's own handler back even when the shell that started us ignored it (a
    script's `paxos-check ... &`), as a KeyboardInterrupt marked as Ctrl-C (paxos.Interrupted)."""
    signal.signal(signal.SIGINT, raise_interrupted)


def ignore_ctrl_c() -> None:
    """In a worker process: SIGINT ignored (the parent handles Ctrl-C and stops its workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: The longest alarm set (seconds, about 31 years): setitimer refuses what the platform's time_t cannot hold
#: (1e17 s), and a --time-limit or --budget beyond this is one no run reaches.
LONGEST_ALARM = 1e9


def _arm(seconds: float) -> None:
    """SIGALRM in `seconds` (at most LONGEST_ALARM)."""
    signal.setitimer(signal.ITIMER_REAL, min(seconds, LONGEST_ALARM))


def cancel_alarm() -> None:
    """Stop a pending `--time-limit` alarm (work after the search that must not be taken for a hung handler)."""
    if _alarms():
        signal.setitimer(signal.ITIMER_REAL, 0)


# -- Ctrl-C during a search: a stop request ------------------------------------------------------------

_STOP = [False]  # set by the Ctrl-C handler of `ctrl_c_stops_search`; read by `limit_reached`
#: [a sweep is running, Ctrl-C was pressed during it]: `ctrl_c_stops_sweep`; a search's own block does not reset it
_SWEEP = [False, False]


@contextmanager
def ctrl_c_stops_search() -> Iterator[None]:
    """Within this block Ctrl-C is a stop request, not an exception.

    The first SIGINT sets a flag that every strategy polls where it checks its time limit
    (every 1024 states or so), so the search ends at a consistent point and returns its
    partial results (`stopped_by: "interrupted"`); further SIGINTs are ignored (also after
    the block: the process is then only finishing), so a second Ctrl-C cannot interrupt
    the writing of those results. An exception raised mid-update could leave a model's
    caches half-written; a flag cannot.
    Outside the main thread signals cannot be handled: the block does nothing there.
    """
    if not _main_thread():
        yield
        return

    def request_stop(signum: int, frame: object) -> None:
        _STOP[0] = True
        if _SWEEP[0]:
            _SWEEP[1] = True

    previous = signal.signal(signal.SIGINT, request_stop)
    _STOP[0] = False
    try:
        yield
    finally:
        # After a stop request the run is only finishing (verdicts, exit code): later presses
        # of an impatient Ctrl-C stay ignored rather than killing it on its way out.
        signal.signal(signal.SIGINT, signal.SIG_IGN if _STOP[0] else previous)
        _STOP[0] = False


def stop_requested() -> bool:
    """True once Ctrl-C was pressed inside `ctrl_c_stops_search` (the search stops at its next check), or
    anywhere inside `ctrl_c_stops_sweep` (the search running stops, and the next one as soon as it starts)."""
    return _STOP[0] or _SWEEP[1]


@contextmanager
def ctrl_c_stops_sweep() -> Iterator[None]:
    """Within this block Ctrl-C ends a sweep of several searches (checker/runs/sweep.py) with its results written.

    A press during a search stops it as `ctrl_c_stops_search` does; a press between two searches (a model
    being built, node checks) is remembered, so `stop_requested()` stays true and the next search stops as it
    starts. Later presses are ignored, as in `ctrl_c_stops_search`, while the results are written.
    """
    if not _main_thread():
        yield
        return

    def request_stop(signum: int, frame: object) -> None:
        _SWEEP[1] = True

    previous = signal.signal(signal.SIGINT, request_stop)
    _SWEEP[:] = [True, False]
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN if _SWEEP[1] else previous)
        _SWEEP[:] = [False, False]


# -- the --time-limit alarm of explore and simulate --------------------------------------------------------

@contextmanager
def handler_watchdog(seconds: float | None, grace: float = GRACE_SECONDS) -> Iterator[None]:
    """Within this block, a node method still running at `seconds + grace` raises `HandlerHung`."""
    if seconds is None or not _alarms():
        yield
        return

    def fire(signum: int, frame: FrameType | None) -> None:
        call = node_call_on_stack(frame)
        signal.setitimer(signal.ITIMER_REAL, grace)  # again: the next hung call is stopped too
        if call is None:
            return  # in our own code: the search stops by itself
        raise HandlerHung(*call)

    previous = signal.signal(signal.SIGALRM, fire)
    _arm(seconds + grace)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- fuzz: Ctrl-C that sticks, and a time limit that raises -------------------------------------------------

class TimeUp(KeyboardInterrupt, CheckerStop):
    """`--time-limit` reached during fuzzing; `where` names a node method that was still running.

    A KeyboardInterrupt, because Hypothesis lets only that (and SystemExit) through at once:
    any other exception inside a test case is taken for a failure and replayed."""

    def __init__(self, where: str) -> None:
        self.where = where
        super().__init__(where or "time limit reached")


#: Set by Ctrl-C during a fuzz run; every step checks it (see `ctrl_c_sticks`).
_INTERRUPTED = [False]


@contextmanager
def ctrl_c_sticks() -> Iterator[None]:
    """Within this block Ctrl-C raises KeyboardInterrupt *and* stays requested until the run ends.

    A KeyboardInterrupt raised while Python runs a garbage-collector callback (Hypothesis installs
    one) is printed as "Exception ignored" and dropped, so the run went on for good; with the flag
    set, the next step of the state machine raises it again.
    """
    if not _main_thread():
        yield
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        _INTERRUPTED[0] = True
        raise Interrupted

    previous = signal.signal(signal.SIGINT, on_sigint)
    _INTERRUPTED[0] = False
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _INTERRUPTED[0] = False


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Within this block a SIGALRM at `seconds` raises TimeUp wherever the run is, a stuck handler
    included (a BaseException passes paxos's guard, which turns only a node's Exception into a finding)."""
    if seconds is None or not _alarms():
        yield
        return

    late = [False]

    def fire(signum: int, frame: FrameType | None) -> None:
        call = node_call_on_stack(frame)
        if call is not None and not late[0]:  # a node is mid-step: give it the watchdog's grace to return
            late[0] = True
            signal.setitimer(signal.ITIMER_REAL, GRACE_SECONDS)
            return
        who = "" if call is None else f"property {call[1]}" if call[0] == PROPERTY else f"node {call[0]} {call[2]}"
        raise TimeUp(f"{who} did not return within the time limit" if who else "")

    previous = signal.signal(signal.SIGALRM, fire)
    _arm(seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def interrupt_requested() -> bool:
    """True once Ctrl-C was pressed inside `ctrl_c_sticks` (fuzz raises it again at its next step)."""
    return _INTERRUPTED[0]
