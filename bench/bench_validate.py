"""`paxos-check validate` on long one-round logs: wall and CPU seconds per row count (bench/results_validate.md).

Two kinds of log, both of a correct Paxos (proposers time out and run ballot after ballot):
`repeat` delivers every message ever sent again and again (few distinct messages, most rows change
nothing), `grow` delivers each message once (every row is new: the world grows with the log).
Each row runs `paxos-check validate` in a fresh process.

    python bench/bench_validate.py                 # 12,000 and 60,000 rows of each kind
    python bench/bench_validate.py --rows 3000 --out /tmp/t.md
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paxos import Cluster, ClusterConfig, Deliver, PaxosLogger, Propose, Timeout

PAXOS_CHECK = str(Path(sys.executable).parent / "paxos-check")


def make_log(path: Path, rows: int, kind: str) -> int:
    logger = PaxosLogger(round=1, filename=path)
    cluster = Cluster(ClusterConfig.separate(3, 2, 1), logger=logger)
    queue = list(cluster.step(Propose(1, "a"))) + list(cluster.step(Propose(2, "b")))
    turn = 0
    while len(logger.entries) < rows:
        if kind == "repeat":
            queue = sorted(cluster.in_flight, key=lambda e: e.sort_key())
        while queue and len(logger.entries) < rows:
            sent = cluster.step(Deliver(queue.pop(0)))
            if kind == "grow":
                queue += sent
        turn += 1
        queue += cluster.step(Timeout(1 + turn % 2))
    logger.save_to_csv()
    return len(logger.entries)


def measure(path: Path) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run([PAXOS_CHECK, "validate", str(path)], capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    verdict = done.stdout.strip().splitlines()[-1].split(":")[0] if done.stdout.strip() else f"exit {done.returncode}"
    return wall, cpu, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", default=None)
    parser.add_argument("--out", default=str(Path(__file__).with_name("results_validate.md")))
    args = parser.parse_args()
    lines = ["# `paxos-check validate`: long one-round logs", "",
             "`python bench/bench_validate.py` (2-core machine shared with other jobs: CPU s is the stable "
             "figure).", "",
             "| log | rows | distinct messages | wall s | CPU s | verdict |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("repeat", "grow"):
            for rows in args.rows or [12_000, 60_000]:
                path = Path(tmp) / f"{kind}-{rows}.csv"
                made = make_log(path, rows, kind)
                with open(path, newline="") as handle:
                    distinct = len({(r["node"], r["msg_type"], r["bal"], r["value"], r["max_vbal"])
                                    for r in csv.DictReader(handle) if r["event"] == "send"})
                wall, cpu, verdict = measure(path)
                lines.append(f"| {kind} | {made:,} | {distinct:,} | {wall:.1f} | {cpu:.1f} | {verdict} |")
                print(lines[-1], flush=True)
    Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
