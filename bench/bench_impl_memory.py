"""Where the peak RSS of a compiled `paxos-check explore` goes (bench/results_impl_engine.md, "Memory per state"):
runs the search in this process and prints, per level, the resident set at the level's start, after its
verdicts and the peak so far, beside the store's arrays (fingerprints, visited table, the level's packed rows
and dictionary) and the verdict maps; then which phase (expansion, store insert, verdicts) raised the peak, and
the deep size (sys.getsizeof over referents) of the model's and core's biggest attributes: the Python caches.

Linux only (/proc/self/statm, ru_maxrss in KiB). The machine is shared: RSS figures hold, CPU seconds are
loaded ones. No assertions: figures are for people. For the official peak use /usr/bin/time -v on the
console script (this process's wrappers and the deep walk cost a little memory and time of their own).

Usage: python bench/bench_impl_memory.py explore --ballots 2 --crashes 1 --symmetry --no-hash-order-check
       --no-fidelity-check --quiet --out /tmp/run
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
import types
from collections.abc import Callable
from typing import Any

import numpy as np

MIB = 1 << 20
_PAGE = os.sysconf("SC_PAGE_SIZE")
_SKIP = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.CodeType, types.FrameType)


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class PeakRises:
    """Wraps functions; each rise of the peak RSS is put down to the innermost wrapped call running."""

    def __init__(self) -> None:
        self.rise: dict[str, int] = {}
        self.stack: list[str] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        fn: Callable[..., Any] = getattr(owner, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            before = peak()
            self.stack.append(label)
            try:
                return fn(*args, **kwargs)
            finally:
                self.stack.pop()
                up = peak() - before
                if up > 0:
                    self.rise[label] = self.rise.get(label, 0) + up
                    for outer in self.stack:
                        self.rise[outer] = self.rise.get(outer, 0) - up

        setattr(owner, name, wrapped)


def deep_size(obj: Any, seen: set[int]) -> int:
    """Bytes of `obj` and everything it refers to not in `seen` (a numpy array: its whole buffer, written or not)."""
    total, stack = 0, [obj]
    while stack:
        x = stack.pop()
        if id(x) in seen or isinstance(x, _SKIP):
            continue
        seen.add(id(x))
        try:
            total += sys.getsizeof(x)
        except TypeError:
            continue
        if not isinstance(x, np.ndarray):
            stack.extend(gc.get_referents(x))
    return total


def main(argv: list[str]) -> None:
    print(f"start: RSS {rss() / MIB:.0f} MiB", file=sys.stderr)
    import checker.cli.main as cli
    from checker.models import impl_core
    from checker.search import flat_bfs, flat_store

    print(f"imports: RSS {rss() / MIB:.0f} MiB", file=sys.stderr)
    rises = PeakRises()
    seen_run: dict[str, Any] = {}
    take = flat_bfs._take_level

    def take_level(model: Any, core: Any, store: Any, level_start: int, max_new: Any, verdicts: Any,
                   per_depth: list[int], opts: Any) -> Any:
        seen_run.update(model=model, core=core, store=store)
        start = rss()
        out = take(model, core, store, level_start, max_new, verdicts, per_depth, opts)
        level = out[0]
        p = level.packed
        rows = sum(a.nbytes for a in p.arrays) + (level.sel.nbytes if level.sel is not None else 0)
        print(f"level {len(per_depth):>2} {len(level):>9} states: RSS {start / MIB:5.0f} -> {rss() / MIB:5.0f}, "
              f"peak {peak() / MIB:5.0f} MiB | fingerprints {8 * store.count / MIB:.0f}, table "
              f"{store.table.nbytes / MIB:.0f}, level rows {rows / MIB:.1f} ({p.row_bytes} B/row), dictionary "
              f"{p.nbytes / MIB:.1f} ({int(p.dcount[0])}), verdict maps {getattr(core, 'nbytes', 0) / MIB:.1f}",
              file=sys.stderr)
        return out

    flat_bfs._take_level = take_level  # type: ignore[assignment]
    for owner, name, label in ((flat_bfs, "_expand", "expand"), (flat_store.Store, "insert", "store insert"),
                               (flat_store.Store, "take", "store take"), (flat_store.Level, "select", "level order"),
                               (flat_store.Level, "rows", "rows read"), (flat_bfs, "_one_per_orbit", "one per orbit"),
                               (impl_core.ImplCore, "check_level", "verdicts"), (impl_core.ImplCore, "_ask", "misses"),
                               (impl_core.ImplCore, "expand", "core expand")):
        rises.wrap(owner, name, label)
    cpu = time.process_time()
    try:
        cli.main(argv)
    except SystemExit:
        pass
    print(f"CPU {time.process_time() - cpu:.1f} s; RSS at the end {rss() / MIB:.0f} MiB, peak {peak() / MIB:.0f} MiB",
          file=sys.stderr)
    for label, up in sorted(rises.rise.items(), key=lambda kv: -kv[1]):
        if up > 0:
            print(f"  peak raised in {label}: {up / MIB:.0f} MiB", file=sys.stderr)
    model, core = seen_run.get("model"), seen_run.get("core")
    if model is None:
        return
    seen = {id(seen_run["store"])}
    owners = [("model.verdicts.inductive", getattr(model.verdicts, "inductive", None)),
              ("model.verdicts.apart", getattr(model.verdicts, "apart", None)), ("model.verdicts", model.verdicts),
              ("model.tables", getattr(model, "tables", None)), ("core.tables", getattr(core, "tables", None)),
              ("core", core), ("model", model)]
    owners = [(n, o) for n, o in owners if o is not None and hasattr(o, "__dict__")]
    for _, owner in owners:
        seen.update((id(owner), id(owner.__dict__)))
    sizes = [(deep_size(value, seen), f"{name}.{attr}")
             for name, owner in owners for attr, value in vars(owner).items()]
    for size, name in sorted(sizes, reverse=True):
        if size >= MIB:
            print(f"  {size / MIB:7.1f} MiB  {name}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
