"""A trace replayed under another PYTHONHASHSEED, in a child process: the fingerprints it reaches there.

`replay` of a `hash_order` trace uses it to show the finding again: under the trace's own seed the
steps reach the recorded states; under the other seed recorded in the trace, some step (the marked
one) reaches another state. Owns only that child run; prints nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from checker.hashseed import ENV

_CHILD = """
import json, sys
from checker.traces.replay import ImpossibleStep, replayer_for
from checker.traces.trace_csv import read_trace
trace = read_trace(sys.argv[1])
try:
    out = replayer_for(trace, sys.argv[2] or None).run([s.row for s in trace.steps], stop_at_violation=False)
    print(json.dumps([s.fingerprint for s in out.steps]))
except ImpossibleStep as exc:
    print(json.dumps({"impossible": exc.index + 1, "reason": str(exc)}))
"""


def fingerprints_under(seed: str, trace_path: str, impl: str | None = None) -> list[str] | tuple[int, str]:
    """The fingerprint after each step of the trace replayed under hash seed `seed`, or (step, reason) when
    a step is not enabled there. Raises RuntimeError if the child fails."""
    env = dict(os.environ, **{ENV: seed})
    done = subprocess.run([sys.executable, "-c", _CHILD, str(trace_path), impl or ""], env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"the replay under {ENV}={seed} failed: {last}")
    got = json.loads(done.stdout)
    if isinstance(got, dict):
        return (int(got["impossible"]), str(got["reason"]))
    return [str(fp) for fp in got]
