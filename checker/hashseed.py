"""Python's hash seed (`PYTHONHASHSEED`) of this process: which one it is, and running under another.

A node that iterates a set or a dict of strings may behave differently under another
seed (checker/models/hash_order.py finds that); so `paxos-check` runs under a known seed
(0 unless the user set one), records it in summaries and traces, and `replay` re-runs
under the recorded one. Owns only the seed's bookkeeping and the re-exec; knows no model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

ENV = "PYTHONHASHSEED"
#: The seed `paxos-check` runs under when the user set none (re-exec at start-up).
DEFAULT_SEED = "0"
#: Set by the console entry points: this process is the `paxos-check` command itself, so it may re-exec.
_STATE: dict[str, bool] = {"cli_process": False}


def current_hash_seed() -> str | None:
    """This process's hash seed as a decimal string, or None when it is random (unset or "random")."""
    value = os.environ.get(ENV)
    if value is None or not value.strip().isdigit():
        return None
    return str(int(value))


def other_seeds(count: int = 2) -> list[str]:
    """`count` seeds other than this process's, smallest first."""
    mine = current_hash_seed()
    out: list[str] = []
    n = 0
    while len(out) < count:
        if str(n) != mine:
            out.append(str(n))
        n += 1
    return out


def seed_text(seed: str | None) -> str:
    return f"PYTHONHASHSEED={seed}" if seed is not None else "a random PYTHONHASHSEED"


def fix_seed_at_startup() -> None:
    """Called first by the console entry points: with no PYTHONHASHSEED set, re-exec this command under
    DEFAULT_SEED, so that a run (and every trace it writes) can be reproduced exactly."""
    _STATE["cli_process"] = True
    if os.environ.get(ENV) is None and not getattr(sys, "frozen", False):
        env = dict(os.environ, **{ENV: DEFAULT_SEED})
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def run_under_seed(seed: str, argv: Sequence[str]) -> int | None:
    """Run `paxos-check argv` under hash seed `seed`: None if this process already has it; else the exit code
    (the command line re-execs itself, so this returns only when called in-process, e.g. from a test)."""
    if current_hash_seed() == seed:
        return None
    env = dict(os.environ, **{ENV: seed})
    sys.stdout.flush()
    sys.stderr.flush()
    if _STATE["cli_process"]:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    done = subprocess.run([sys.executable, "-m", "checker.cli", *argv], env=env, capture_output=True, text=True,
                          check=False)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    return done.returncode
