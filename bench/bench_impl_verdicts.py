"""Where the compiled engine's verdict time goes: `paxos-check explore` run in this process with CPU timers
wrapped around the methods that judge new states (ImplCore.check_level, its Python misses `_ask`, the
parts they ask: ViewParts, InductiveIndex, SafeTwin, Verdicts), and around `ImplCore.expand` for scale.

Figures are CPU seconds inclusive of what each method calls (nested timers overlap) and call counts; the
machine is shared, so read them beside the load average printed. Defaults to the bounded 1.5M-state
`--ballots 2 --crashes 1 --symmetry` run of bench/results_impl_engine.md; any other explore arguments may
be given instead. Run with PYTHONHASHSEED=0. No assertions: figures are for people.

Usage: PYTHONHASHSEED=0 python bench/bench_impl_verdicts.py [explore arguments...]
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT = ["--ballots", "2", "--crashes", "1", "--symmetry", "--no-hash-order-check", "--no-fidelity-check",
           "--max-states", "1500000", "--quiet"]
#: (module, class, method) timed; one a tree lacks is skipped (copy this file into an older tree to time it)
TIMED = [("checker.models.impl_core", "ImplCore", "expand"), ("checker.models.impl_core", "ImplCore", "check_level"),
         ("checker.models.impl_core", "ImplCore", "_ask"),
         ("checker.models.impl_verdicts", "Verdicts", "view_violated"),
         ("checker.models.impl_verdicts", "Verdicts", "witnessed"),
         ("checker.models.impl_view_parts", "ViewParts", "light"),
         ("checker.models.impl_view_parts", "ViewParts", "acceptor_part"),
         ("checker.models.impl_view_parts", "ViewParts", "whole_part"),
         ("checker.models.impl_inductive", "InductiveIndex", "acceptor_part"),
         ("checker.models.impl_inductive", "InductiveIndex", "message_part"),
         ("checker.models.impl_inductive", "InductiveIndex", "safe_part"),
         ("checker.models.impl_core_safe", "SafeTwin", "judge"),
         ("checker.models.impl_core_tables", "CoreTables", "state")]


def _wrap(owner: Any, name: str, label: str, spent: defaultdict[str, float], calls: Counter[str]) -> None:
    fn = getattr(owner, name)

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start
            calls[label] += 1

    setattr(owner, name, timed)


def main(argv: list[str]) -> None:
    import importlib

    spent: defaultdict[str, float] = defaultdict(float)
    calls: Counter[str] = Counter()
    for module, cls, method in TIMED:
        try:
            owner = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError):
            continue
        if hasattr(owner, method):
            _wrap(owner, method, f"{cls}.{method}", spent, calls)
    from checker.cli.main import main_entry

    args = argv or [*DEFAULT, "--out", os.path.join("/tmp", f"bench_impl_verdicts_{os.getpid()}")]
    sys.argv = ["paxos-check", "explore", *args]
    start, wall = time.process_time(), time.time()
    try:
        main_entry()
    except SystemExit:
        pass
    print(f"total CPU {time.process_time() - start:.2f} s, wall {time.time() - wall:.2f} s, "
          f"load average {os.getloadavg()[0]:.2f}")
    for label in sorted(spent, key=lambda k: -spent[k]):
        print(f"  {label:40s} {spent[label]:8.2f} s {calls[label]:10,d} calls")


if __name__ == "__main__":
    main(sys.argv[1:])
