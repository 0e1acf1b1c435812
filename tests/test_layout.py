"""The folder tree is the architecture: imports go one way between packages and between checker's layers.

Reads every import of our four packages with `ast` (module level, inside functions and under
`if TYPE_CHECKING:` alike, relative forms resolved), so a lazy or type-only import is an arrow
too. Fails naming the arrow by file:line. Imports by string (`importlib.import_module`) are not
seen; the CLI's subcommand table and search/strategies.py's registry are the only ones, and both point down.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("paxos", "properties", "checker", "reports")

#: Which of our packages each package may import (ARCHITECTURE.md, "Layers").
ALLOWED_PACKAGES: dict[str, set[str]] = {
    "paxos": set(),
    "properties": {"paxos"},
    "reports": {"paxos"},
    "checker": {"paxos", "properties", "reports"},
}

#: checker's layers, lowest first. A module may import its own layer group (same folder) or
#: a lower rank; two groups of the same rank (models, search) do not import each other.
CHECKER_RANKS: dict[str, int] = {
    "checker": 0,  # the base: errors, bitsets, model (the interface), config, fingerprint
    "checker.models": 1,  # what is explored: the implementation and Spec models
    "checker.search": 1,  # how: strategies, what they share, visited storage, dispatch by name
    "checker.traces": 2,  # trace CSV, replay, minimize, the state graph
    "checker.runs": 3,  # one run from flags to files: explore/simulate, fuzz
    "checker.cli": 4,  # paxos-check and one module per subcommand
}


@dataclass(frozen=True)
class Arrow:
    src: str
    dst: str
    where: str  # path:line

    def __str__(self) -> str:
        return f"{self.where}: {self.src} -> {self.dst}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


MODULES = _modules()


def _ours(name: str) -> str | None:
    """The longest of our modules that `name` is or lies in (None if not ours)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in MODULES:
            return candidate
    return None


def _arrows(module: str, path: Path) -> list[Arrow]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    where = str(path.relative_to(ROOT))
    found: list[Arrow] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` the module mod.
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in MODULES else stem for alias in node.names]
        for target in dict.fromkeys(targets):  # one arrow per module per import statement
            dst = _ours(target)
            if dst is not None and dst != module:
                found.append(Arrow(module, dst, f"{where}:{node.lineno}"))
    return found


ARROWS = [arrow for module, path in MODULES.items() for arrow in _arrows(module, path)]


def _package(module: str) -> str:
    return module.split(".")[0]


def _checker_group(module: str) -> str:
    """The layer group of a checker module: its subpackage, or `checker` for the base files."""
    parts = module.split(".")
    if len(parts) >= 2 and ".".join(parts[:2]) in CHECKER_RANKS and (ROOT / "/".join(parts[:2])).is_dir():
        return ".".join(parts[:2])
    return "checker"


def test_the_scan_sees_imports() -> None:
    """Guard against a scan that finds nothing (and so passes everything)."""
    pairs = {(a.src, a.dst) for a in ARROWS}
    assert ("checker.search.bfs", "checker.search.common") in pairs
    assert ("properties.refinement", "properties.spec") in pairs  # `from properties import spec`
    assert ("checker.models.impl_orbits", "checker.models.impl_symmetry") in pairs  # inside a method


def test_packages_import_one_way() -> None:
    bad = [a for a in ARROWS
           if _package(a.src) != _package(a.dst) and _package(a.dst) not in ALLOWED_PACKAGES[_package(a.src)]]
    assert not bad, "imports against ARCHITECTURE.md's layers (paxos <- properties <- checker; reports <- paxos):\n" \
        + "\n".join(map(str, bad))


def test_every_checker_subpackage_has_a_rank() -> None:
    folders = {p.parent for p in (ROOT / "checker").rglob("__init__.py")} - {ROOT / "checker"}
    missing = sorted(".".join(f.relative_to(ROOT).parts) for f in folders
                     if ".".join(f.relative_to(ROOT).parts) not in CHECKER_RANKS)
    assert not missing, f"give these checker subpackages a rank in CHECKER_RANKS (and ARCHITECTURE.md): {missing}"


def test_checker_layers_import_down() -> None:
    bad = []
    for a in ARROWS:
        if _package(a.src) != "checker" or _package(a.dst) != "checker":
            continue
        src, dst = _checker_group(a.src), _checker_group(a.dst)
        if src != dst and CHECKER_RANKS[dst] >= CHECKER_RANKS[src]:
            bad.append(f"{a}  ({src}, rank {CHECKER_RANKS[src]} may not import {dst}, rank {CHECKER_RANKS[dst]})")
    assert not bad, "checker imports that run up or sideways between layers:\n" + "\n".join(bad)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles(package: str) -> None:
    graph = nx.DiGraph()
    where: dict[tuple[str, str], list[str]] = {}
    for a in ARROWS:
        if _package(a.src) == package and _package(a.dst) == package:
            graph.add_edge(a.src, a.dst)
            where.setdefault((a.src, a.dst), []).append(a.where)
    cycles = sorted(nx.simple_cycles(graph), key=lambda c: (len(c), c))
    lines = []
    for cycle in cycles[:10]:
        ring = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
        lines.append(" -> ".join([*cycle, cycle[0]]) + "  via " + "; ".join(", ".join(where[e]) for e in ring))
    assert not cycles, f"{len(cycles)} import cycle(s) in {package}/:\n" + "\n".join(lines)
