"""What `--workers N` threads would save on free cores, measured on a loaded machine: runs one
`paxos-check` command in this process with every parallel pass of the compiled engine's threads
(checker/models/core_threads.py, `SliceThreads.map`) timed per slice in thread CPU seconds, and prints the
main thread's CPU outside the passes plus, per pass, its longest slice: the wall time the run would take on
N free cores (CPU times, unlike wall times, barely depend on the load). Figures in
bench/results_impl_engine.md, "--workers".

Usage: PYTHONHASHSEED=0 python bench/critical_path_workers.py explore ... --workers 2 --quiet --out DIR
No assertions: figures are for people.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from checker.models import core_threads  # noqa: E402

PASSES: list[list[float]] = []  # per parallel pass: each slice's thread CPU seconds
_map = core_threads.SliceThreads.map


def _timed_map(self: core_threads.SliceThreads, fn: Any, args: Any) -> Any:
    times = [0.0] * len(args)

    def timed(s: int, *a: Any) -> Any:
        start = time.thread_time()
        out = fn(*a)
        times[s] = time.thread_time() - start
        return out

    out = _map(self, timed, [(s, *a) for s, a in enumerate(args)])
    PASSES.append(times)
    return out


def main() -> None:
    core_threads.SliceThreads.map = _timed_map  # type: ignore[method-assign]
    from checker.cli.main import main as cli

    t0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
    try:
        cli(sys.argv[1:])
    except SystemExit:
        pass
    wall, cpu, main_cpu = time.perf_counter() - t0, time.process_time() - c0, time.thread_time() - m0
    own = sum(p[0] for p in PASSES)  # the calling thread runs the first slice of each pass
    slices, longest = sum(sum(p) for p in PASSES), sum(max(p) for p in PASSES)
    serial = main_cpu - own
    print(f"process CPU {cpu:.1f} s, main thread CPU {main_cpu:.1f} s, wall {wall:.1f} s, "
          f"load {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{len(PASSES)} parallel passes: slices {slices:.1f} CPU s (the main thread's {own:.1f}), longest slices "
          f"summed {longest:.1f} s; main thread outside the passes {serial:.1f} s")
    print(f"estimated wall on free cores: {serial + longest:.1f} s; one worker about {serial + slices:.1f} s")


if __name__ == "__main__":
    main()
