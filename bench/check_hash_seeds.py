"""Does the checker's own work depend on Python's hash seed? The same explore under PYTHONHASHSEED 0..5, compared.

Runs `paxos-check explore [ARGS] --quiet --out DIR` once per seed (or reads run directories given with
--dirs) and compares what a run's result is: states, transitions, depth, states per depth, coverage,
every property's status, and every trace's steps and fingerprints (the trace header's `hash_seed` aside).
Prints one line per seed and whether they all agree; appends the table to the --md file if given. Usage:

    python bench/check_hash_seeds.py [--seeds 0,1,2,3,4,5] [--dirs D0,D1,...] [--md PATH] [-- EXPLORE FLAGS]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def result_of(run: Path) -> dict[str, Any]:
    s = json.loads((run / "summary.json").read_text())
    traces = {}
    for p in s["properties"]:
        if p.get("trace"):
            with open(run / p["trace"], newline="") as f:
                rows = list(csv.DictReader(f))
            traces[p["name"]] = [(r["event"], r["node"], r["peer"], r["msg_type"], r["bal"], r["value"],
                                  r["fingerprint"], r["property"]) for r in rows]
    key = [s["states"], s["transitions"], s["depth"], s.get("states_per_depth"), s.get("coverage"),
           [(p["name"], p["status"]) for p in s["properties"] if p["name"] != "hash_order"], traces]
    return {"states": s["states"], "transitions": s["transitions"], "depth": s["depth"],
            "seconds": s["seconds"], "hash_seed": s.get("hash_seed"),
            "digest": hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1,2,3,4,5")
    p.add_argument("--dirs", default=None, help="compare these run directories instead of running")
    p.add_argument("--md", default=None)
    p.add_argument("extra", nargs="*")
    args = p.parse_args()
    seeds = args.seeds.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [Path(d) for d in args.dirs.split(",")] if args.dirs else [Path(tmp) / f"r{s}" for s in seeds]
        for seed, run in zip(seeds, dirs, strict=True):
            if not args.dirs:
                subprocess.run([sys.executable, "-m", "checker.cli", "explore", *args.extra, "--quiet", "--out",
                                str(run)], cwd=ROOT, env=dict(os.environ, PYTHONHASHSEED=seed), check=False,
                               capture_output=True)
            rows.append((seed, result_of(run)))
    same = len({r["digest"] for _, r in rows}) == 1
    lines = ["| PYTHONHASHSEED | states | transitions | depth | seconds | result digest |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    lines += [f"| {seed} | {r['states']:,} | {r['transitions']:,} | {r['depth']} | {r['seconds']:.1f} "
              f"| `{r['digest']}` |" for seed, r in rows]
    lines += ["", f"All seeds give one result: {'yes' if same else 'NO'} (digest over states, transitions, depth, "
              "states per depth, coverage, property statuses, every trace's steps and fingerprints)."]
    text = "\n".join(lines)
    print(text)
    if args.md:
        with open(args.md, "a") as f:
            f.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
