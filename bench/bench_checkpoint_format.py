"""Checkpoint frontier files: the plain-data format (checker/plaindata.py) against the pickle it replaced.

For a few implementation configurations, the states of BFS levels 0..7 (the last 20,000 at most) are
written as a frontier file and read back into a fresh model (the round trip is checked: every state's
fingerprint computed again), and pickled as the old format did (`pack_batch`, still the in-memory
format between worker processes). Writes bench/results_checkpoint_format.md.
Usage: python bench/bench_checkpoint_format.py [--out PATH]. No assertions: figures are for people.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from checker.config import CheckConfig  # noqa: E402
from checker.models.impl_model import ImplModel  # noqa: E402
from checker.search.frontier import Objects  # noqa: E402
from checker.search.partition import Batch, fingerprints_fn, frontier_file, pack_batch, read_frontier_file  # noqa: E402
from paxos._atomic import atomic_write_text  # noqa: E402

ROWS = [("paxos:PaxosNode", "set"), ("paxos:PaxosNode", "bag"), ("paxos.bugs:volatile_ballot", "bag"),
        ("paxos.bugs:eager_learner", "set")]
MASK = (1 << 64) - 1


def _config(impl: str, net: str) -> CheckConfig:
    faults = 1 if net == "bag" else 0
    return CheckConfig(acceptors=3, proposers=2, ballots=(1, 2), crashes=1, network=net, impl=impl,
                       drops=faults, duplicates=faults)


def row(impl: str, net: str) -> str:
    model = ImplModel(_config(impl, net))
    frontier = list(model.initial_states())
    states = list(frontier)
    for _ in range(7):
        frontier = list({t: None for s in frontier for _, t in model.successors(s)})
        states.extend(frontier)
    states = states[-20000:]
    fps = np.array([model.fingerprint(s) for s in states], dtype=np.uint64)
    t0 = time.perf_counter()
    data = frontier_file(model, Objects(states), fps)
    t1 = time.perf_counter()
    other = ImplModel(_config(impl, net))
    block, back = read_frontier_file(other, data, "bench", fingerprints_fn(other))
    t2 = time.perf_counter()
    ok = np.array_equal(fps, back) and all(other.recompute_fingerprint(s) & MASK == int(f)
                                           for s, f in zip(block.states(), back, strict=True))
    old = pack_batch(model, Batch(Objects(states), fps, fps))
    n = len(states)
    return (f"| {impl} | {net} | {n:,} | {len(data) / n:.0f} | {len(old) / n:.0f} | {t1 - t0:.2f} | {t2 - t1:.2f} "
            f"| {'yes' if ok else 'NO'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results_checkpoint_format.md"))
    args = parser.parse_args()
    lines = ["# Checkpoint frontier files: plain data vs the old pickle", "",
             f"`python bench/bench_checkpoint_format.py` on {platform.node() or 'this machine'} "
             f"(Python {platform.python_version()}), a shared and loaded 2-core machine: times are rough.", "",
             "| implementation | network | states | plain B/state | pickle B/state | write s | read s (checked) "
             "| round trip exact |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for impl, net in ROWS:
        lines.append(row(impl, net))
        print(lines[-1], flush=True)
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
