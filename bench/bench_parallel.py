"""Benchmark of the BFS beyond one process (issue 11): --workers 2 vs 1, Ray (--cluster auto) vs worker
processes, the cost of a kill and `resume`, and peak RSS per distinct state.

Every run is a fresh `paxos-check explore ... --json` subprocess, timed from outside (wall seconds from
start to exit, start-up included; CPU seconds of the finished child and its children), its states,
transitions and peak RSS read from its summary. Ratios come from pairs run back to back (A B A B ...)
and are quoted as the median of the per-pair ratios, since this 2-core machine is shared and its speed
drifts; the load average is recorded with every row. Writes bench/results_parallel.md.

Usage: python bench/bench_parallel.py [--pairs N] [--rows speedup,ray,resume,memory] [--out PATH]
No assertions: figures are for people; tests pin counts and results, never timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from paxos._atomic import atomic_write_text  # noqa: E402

SPEC_342 = ["--model", "spec", "--acceptors", "3", "--ballots", "4", "--values", "2"]
SPEC_332 = ["--model", "spec", "--acceptors", "3", "--ballots", "3", "--values", "2"]
IMPL_DEFAULT: list[str] = []  # `paxos-check explore` with no flags: the default check of our PaxosNode
# issue 10's configuration C (acceptor symmetry on), cut at 800,000 states: about 1.5 minutes in one process
C_PREFIX = ["--ballots", "2", "--crashes", "1", "--symmetry", "--max-states", "800000"]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def run(flags: list[str], tmp: Path, name: str) -> dict[str, Any]:
    """One `paxos-check explore` run in a fresh process: wall and CPU seconds, and its summary's figures."""
    out = tmp / name
    shutil.rmtree(out, ignore_errors=True)
    js = tmp / f"{name}.json"
    cmd = [sys.executable, "-m", "checker.cli", "explore", *flags, "--quiet", "--out", str(out), "--json", str(js)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    s = json.loads(js.read_text())
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "states": s["states"], "transitions": s["transitions"], "rss_mb": s["peak_rss_mb"],
            "exhaustive": s["exhaustive"], "verdicts": [(p["name"], p["status"]) for p in s["properties"]],
            "load": load()}


def pairs(a: list[str], b: list[str], n: int, tmp: Path) -> dict[str, Any]:
    """n pairs A B run back to back: medians of A's and B's wall seconds and of the per-pair ratio B/A."""
    ra, rb = [], []
    for _ in range(n):
        ra.append(run(a, tmp, "a"))
        rb.append(run(b, tmp, "b"))
    same = all((x["states"], x["transitions"], x["verdicts"]) == (ra[0]["states"], ra[0]["transitions"],
                                                                  ra[0]["verdicts"]) for x in ra + rb)
    return {"a": statistics.median(r["wall"] for r in ra), "b": statistics.median(r["wall"] for r in rb),
            "a_cpu": statistics.median(r["cpu"] for r in ra), "b_cpu": statistics.median(r["cpu"] for r in rb),
            "ratio": statistics.median(x["wall"] / y["wall"] for x, y in zip(ra, rb, strict=True)),
            "spread": (min(x["wall"] / y["wall"] for x, y in zip(ra, rb, strict=True)),
                       max(x["wall"] / y["wall"] for x, y in zip(ra, rb, strict=True))),
            "states": ra[0]["states"], "same": same, "n": n, "load": f"{ra[0]['load']} .. {rb[-1]['load']}"}


def resume_loss(flags: list[str], tmp: Path) -> dict[str, Any]:
    """An uninterrupted run; the same with --checkpoint (every 15% of that run's time), SIGKILLed at 60% of it,
    then resumed."""
    whole = run(flags, tmp, "whole")
    every, kill_after = 0.15 * whole["wall"], 0.6 * whole["wall"]
    ck = tmp / "ck"
    shutil.rmtree(ck, ignore_errors=True)
    out = tmp / "cut"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "checker.cli", "explore", *flags, "--quiet", "--out", str(out),
           "--json", str(tmp / "cut.json"), "--checkpoint", str(ck), "--checkpoint-every", str(every)]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(kill_after)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # already done (the machine got faster): then nothing was lost
        pass
    proc.wait()
    killed_wall = time.monotonic() - start
    saved = json.loads((ck / "checkpoint.json").read_text())
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "checker.cli", "resume", str(ck)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    resume_wall = time.monotonic() - start
    s = json.loads((tmp / "cut.json").read_text())
    same = (s["states"], s["transitions"], [(p["name"], p["status"]) for p in s["properties"]]) == (
        whole["states"], whole["transitions"], whole["verdicts"])
    return {"whole": whole["wall"], "killed_at": killed_wall, "checkpoint_s": saved["seconds"],
            "checkpoint_level": len(saved["per_depth"]), "checkpoint_states": sum(saved["per_depth"]),
            "resume": resume_wall, "lost": killed_wall + resume_wall - whole["wall"],
            "since_checkpoint": killed_wall - saved["seconds"], "same": same and done.returncode in (0, 1),
            "states": whole["states"], "load": load(), "every": every}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=3, help="pairs per ratio (default 3)")
    ap.add_argument("--big-pairs", type=int, default=1, help="pairs for Spec 3/4/2 (8.2 M states; default 1)")
    ap.add_argument("--rows", default="speedup,ray,resume,memory")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_parallel.md"))
    args = ap.parse_args()
    rows = set(args.rows.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="bench-parallel-"))
    lines = ["# Beyond one process: workers, Ray, resume, memory (bench/bench_parallel.py)", "",
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; load average (1/5/15 min) at the start: {load()}.", "",
             "This machine's 2 cores are shared with other jobs (the load average above 2 says how much), so "
             "times are noisy and a speedup of 2 processes over 1 can only show when the others are idle: "
             "ratios are medians of pairs run back to back (A then B), with the spread of the pairs. Each run "
             "is a fresh `paxos-check explore ... --json` process timed from outside, start-up included.", ""]
    try:
        if "speedup" in rows:
            lines += ["## --workers 2 vs 1", "",
                      "| check | states | pairs | 1 process wall s | 2 workers wall s | speedup (median, min..max) "
                      "| CPU s 1 / 2 | same results | load during |",
                      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
            for label, flags, n in (("Spec 3/4/2", SPEC_342, args.big_pairs),
                                    ("impl default (`paxos-check explore`)", IMPL_DEFAULT, args.big_pairs),
                                    ("C's first 800,000 states (`--ballots 2 --crashes 1 --symmetry`)", C_PREFIX,
                                     args.big_pairs),
                                    ("Spec 3/3/2", SPEC_332, args.pairs)):
                r = pairs(flags, [*flags, "--workers", "2"], n, tmp)
                lines.append(f"| {label} | {r['states']:,} | {n} | {r['a']:.1f} | {r['b']:.1f} | x{r['ratio']:.2f} "
                             f"({r['spread'][0]:.2f}..{r['spread'][1]:.2f}) | {r['a_cpu']:.1f} / {r['b_cpu']:.1f} "
                             f"| {'yes' if r['same'] else 'NO'} | {r['load']} |")
                print(lines[-1], flush=True)
            lines.append("")
        if "ray" in rows:
            lines += ["## Ray (--cluster auto, a local Ray started by the run) vs worker processes, 2 partitions", "",
                      "| check | states | pairs | processes wall s | Ray wall s | Ray / processes (median, min..max) "
                      "| same results | load during |", "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
            for label, flags, n in (("Spec 3/3/2", SPEC_332, args.pairs),
                                    ("impl default (`paxos-check explore`)", IMPL_DEFAULT, args.big_pairs),
                                    ("Spec 3/4/2", SPEC_342, args.big_pairs)):
                r = pairs([*flags, "--workers", "2"], [*flags, "--workers", "2", "--cluster", "auto"], n, tmp)
                lines.append(f"| {label} | {r['states']:,} | {r['n']} | {r['a']:.1f} | {r['b']:.1f} "
                             f"| x{1 / r['ratio']:.2f} ({1 / r['spread'][1]:.2f}..{1 / r['spread'][0]:.2f}) "
                             f"| {'yes' if r['same'] else 'NO'} | {r['load']} |")
                print(lines[-1], flush=True)
            lines += ["", "Ray's wall time includes starting and stopping a local Ray instance (several seconds "
                      "here); on a cluster that is already running, `--cluster ray://HOST:PORT` does not pay it.", ""]
        if "resume" in rows:
            lines += ["## Kill and resume (--checkpoint-every: 15% of the uninterrupted run's time; SIGKILL at 60% "
                      "of it; then `paxos-check resume`)", "",
                      "| check | states | uninterrupted s | killed at s | last checkpoint at s (level, states) "
                      "| resume s | lost s (killed + resume - uninterrupted) | run since the checkpoint s "
                      "| same results | load |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
            for label, flags in (("Spec 3/3/2", SPEC_332), ("impl default (`paxos-check explore`)", IMPL_DEFAULT)):
                r = resume_loss(flags, tmp)
                lines.append(f"| {label} | {r['states']:,} | {r['whole']:.1f} | {r['killed_at']:.1f} "
                             f"| {r['checkpoint_s']:.1f} ({r['checkpoint_level']}, {r['checkpoint_states']:,}) "
                             f"| {r['resume']:.1f} | {r['lost']:.1f} | {r['since_checkpoint']:.1f} "
                             f"| {'yes' if r['same'] else 'NO'} | {r['load']} |")
                print(lines[-1], flush=True)
            lines += ["", "The work lost is what ran between the last checkpoint and the kill, plus the start-up "
                      "and the re-reading of the checkpoint; the resumed run ends with the uninterrupted run's "
                      "states, transitions and verdicts (`same results`).", ""]
        if "memory" in rows:
            lines += ["## Peak RSS per distinct state (one process, everything included)", "",
                      "| check | states | peak RSS MB | bytes per state | wall s | load |",
                      "| --- | ---: | ---: | ---: | ---: | --- |"]
            for label, flags in (("Spec 3/4/2", SPEC_342),):
                r = run(flags, tmp, "memory")
                lines.append(f"| {label} | {r['states']:,} | {r['rss_mb']:.1f} "
                             f"| {r['rss_mb'] * 1048576 / r['states']:.1f} | {r['wall']:.1f} | {r['load']} |")
                print(lines[-1], flush=True)
            lines += ["", "Peak RSS is the run's `peak_rss_mb` (getrusage: the interpreter, numpy, the model's "
                      "caches, the visited fingerprints at 8 bytes per state, the frontier as byte rows and a "
                      "level's candidates). Parents (8 bytes per state) are in files, one per level.", ""]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines.append(f"Load average at the end: {load()}.")
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
