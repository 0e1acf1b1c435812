"""First-run compile time of the implementation model's numba kernels, and the CPU time of the search
kernel (`expand_rows`) once cached: the two figures a change to checker/models/impl_core_kernel.py's
inlining must be judged on (bench/results_impl_engine.md, "First-run compile time").

Cold: `paxos-check explore --ballots 1,2 --crashes 1 --symmetry --quiet` with an empty NUMBA_CACHE_DIR,
CPU seconds of the child. Cached: CPU seconds spent inside `expand_rows` (timed around each call, in the
same process) on three configurations, `--runs` times each. The machine is shared: the load average is
printed; compare CPU seconds, several runs. No assertions: figures are for people.

Usage: python bench/bench_impl_compile.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

CONFIGS = [["--ballots", "1,2", "--crashes", "1"], ["--ballots", "2,1", "--crashes", "1", "--symmetry"],
           ["--ballots", "2,1", "--crashes", "1"]]
#: run in the child: paxos-check explore with `expand_rows` timed around each call
CHILD = """import sys, time
import checker.models.impl_core as C
orig, acc = C.expand_rows, [0.0]
def timed(*a):
    t = time.process_time(); r = orig(*a); acc[0] += time.process_time() - t; return r
C.expand_rows = timed
from checker.cli.main import main_entry
sys.argv = ["paxos-check"] + sys.argv[1:]
try:
    main_entry()
except SystemExit:
    pass
print("KERNEL", acc[0], file=sys.stderr)
"""


def _child_cpu(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    """(CPU seconds of the child, its stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": os.path.join(tmp, "nbc")}
        out = os.path.join(tmp, "out")
        cmd = ["--quiet", "--out", out, "--no-hash-order-check", "--no-fidelity-check"]
        t0 = time.time()  # also fills the empty cache the cached runs below use
        cpu, _ = _child_cpu([sys.executable, "-m", "checker.cli", "explore", "--ballots", "1,2", "--crashes", "1",
                             "--symmetry", "--quiet", "--out", out + "0"], env)
        print(f"cold compile + search: {cpu:.1f} CPU s, {time.time() - t0:.1f} s wall, load {os.getloadavg()[0]:.2f}")
        for c, flags in enumerate(CONFIGS):
            kernel = []
            for r in range(args.runs):
                _, err = _child_cpu([sys.executable, "-c", CHILD, "explore", *flags, *cmd[:2], f"{out}{c}_{r}",
                                     *cmd[3:]], env)
                kernel.append(float(next(x for x in err.splitlines() if x.startswith("KERNEL")).split()[1]))
            print(f"{' '.join(flags)}: expand_rows {', '.join(f'{k:.3f}' for k in kernel)} CPU s, "
                  f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
