"""Benchmark of checkpoints on the compiled engine (checker/search/flat_checkpoint.py): what `--checkpoint DIR`
costs a compiled `paxos-check explore` run, how many bytes per state its files take, and how long `resume` of
its last checkpoint takes.

Per row, fresh subprocesses (start-up and numba's cached code included), node checks off: the run without a
checkpoint, with `--checkpoint DIR` at the default `--checkpoint-every 60`, and with `--checkpoint-every 0` (a
checkpoint at every level: the most it can cost); then `paxos-check resume DIR` of the last (every-level) one,
which re-expands its last level. All must report the same states and transitions. Bytes: the level files
(16 per stored state: fingerprint and parent's fingerprint), and the frontier file per state when the frontier is
the run's widest level (a run stopped there: `--max-depth`).
The machine is shared: CPU seconds are the figures to read; the load average is recorded.
Writes bench/results_impl_engine.md's section "Checkpoints" (replacing it) unless --print.

Usage: python bench/bench_flat_checkpoint.py [--rows default,sym,b2-limited] [--print]
No assertions: figures are for people; tests pin results, never timings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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

ROWS = {"default": ("the default check (quiet blocks)", ["--ballots", "1,2", "--crashes", "1"]),
        "sym": ("--ballots 1,2 --crashes 1 --symmetry --no-por", ["--ballots", "1,2", "--crashes", "1", "--symmetry",
                                                               "--no-por"]),
        "b2-limited": ("--ballots 2 --crashes 1 --symmetry --max-states 1000000 (quiet blocks)",
                       ["--ballots", "2", "--crashes", "1", "--symmetry", "--max-states", "1000000"])}
QUIET = ["--quiet", "--no-hash-order-check", "--no-fidelity-check"]
SECTION = "## Checkpoints of the compiled engine"


def _child(argv: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of `paxos-check ARGV` run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "checker.cli", *argv], cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=dict(os.environ, PYTHONHASHSEED="0"), check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, time.monotonic() - start


def _summary(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return data


def row(key: str, work: Path) -> dict[str, Any]:
    name, flags = ROWS[key]
    res: dict[str, Any] = {"name": name}
    for tag, extra in (("none", []), ("every60", ["--checkpoint", str(work / "ck60")]),
                       ("every0", ["--checkpoint", str(work / "ck0"), "--checkpoint-every", "0"])):
        out = work / f"out-{tag}"
        res[tag] = _child(["explore", *flags, *QUIET, "--out", str(out), *extra])
        s = _summary(out)
        res[f"{tag}-counts"] = (s["states"], s["transitions"], s["engine"])
    meta = json.loads((work / "ck0" / "checkpoint.json").read_text())
    levels = work / "ck0" / "levels"
    part = meta["partitions"][0]
    stored = sum(meta["per_depth"])
    level_bytes = sum((levels / f).stat().st_size for f in part["levels_files"])
    res["level_B"] = level_bytes / stored
    widest = max(range(len(meta["per_depth"])), key=lambda k: meta["per_depth"][k])  # its frontier file: the largest
    res["peak"] = _child(["explore", *flags, *QUIET, "--out", str(work / "out-peak"), "--max-depth", str(widest + 1),
                          "--checkpoint", str(work / "ckp"), "--checkpoint-every", "0"])
    peak = json.loads((work / "ckp" / "checkpoint.json").read_text())
    res["frontier_n"] = peak["per_depth"][-1]
    res["frontier_B"] = (work / "ckp" / "levels" / peak["partitions"][0]["frontier"]).stat().st_size / res["frontier_n"]
    (work / "out-every0" / "summary.json").unlink()
    res["resume"] = _child(["resume", str(work / "ck0")])
    s = _summary(work / "out-every0")
    res["resume-counts"] = (s["states"], s["transitions"], s["engine"])
    res["load"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return res


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| run | states | no checkpoint CPU s | --checkpoint (every 60 s) CPU s | every level CPU s | "
             "resume CPU s | level files B/state | widest level's frontier file B/state (its states) | "
             "same counts | load |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in rows:
        same = len({r[f"{t}-counts"] for t in ("none", "every60", "every0", "resume")}) == 1
        lines.append(f"| {r['name']} | {r['none-counts'][0]:,} | {r['none'][0]:.1f} | {r['every60'][0]:.1f} | "
                     f"{r['every0'][0]:.1f} | {r['resume'][0]:.1f} | {r['level_B']:.0f} | {r['frontier_B']:.1f} "
                     f"({r['frontier_n']:,}) | {'yes, ' + r['none-counts'][2] if same else 'NO'} | {r['load']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--print", action="store_true", help="print the table; do not write results_impl_engine.md")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ck-"))
    try:
        rows = []
        for key in args.rows.split(","):
            rows.append(row(key, work / key))
            print(table(rows[-1:]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = (f"{SECTION}\n\n`python bench/bench_flat_checkpoint.py --rows {args.rows}` ({time.strftime('%Y-%m-%d')}, "
            "a shared 2-core machine; CPU seconds of the whole process). `every level` is `--checkpoint-every 0`; "
            "`resume` continues its last checkpoint (re-expanding the last level).\n\n" + table(rows) + "\n")
    if args.print:
        print(text)
        return
    path = ROOT / "bench" / "results_impl_engine.md"
    old = path.read_text()
    head, _, rest = old.partition(SECTION)
    tail = rest[rest.find("\n## "):] if "\n## " in rest else ""
    atomic_write_text(path, head.rstrip("\n") + "\n\n" + text + tail)


if __name__ == "__main__":
    main()
