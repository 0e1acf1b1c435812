"""`paxos-check --help` stays fast: it imports no subcommand module and none of the heavy libraries
(numpy, matplotlib, hypothesis, z3, numba); the figure is in bench/results_engines.md, not here."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numpy", "matplotlib", "hypothesis", "z3", "numba", "networkx", "checker.runs.run")


def _loaded(*argv: str) -> set[str]:
    code = ("import sys, io, contextlib\nfrom checker.cli.main import main\nbuf = io.StringIO()\n"
            f"with contextlib.redirect_stdout(buf):\n    try:\n        main({list(argv)!r})\n"
            "    except SystemExit:\n        pass\nprint(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_top_level_help_imports_nothing_heavy() -> None:
    loaded = _loaded("--help")
    assert "checker.cli.main" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY}
    assert not {m for m in loaded if m.startswith("checker.cli.cmd_")}


def test_a_bad_subcommand_name_imports_nothing_heavy_either() -> None:
    loaded = _loaded("explroe")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_a_subcommand_help_imports_only_its_own_module() -> None:
    loaded = _loaded("replay", "--help")
    assert "checker.cli.cmd_replay" in loaded
    assert "checker.cli.cmd_explore" not in loaded and "checker.cli.cmd_fuzz" not in loaded


def test_a_python_engine_run_does_not_import_numba() -> None:
    """`--engine python` (the reference) must not pay for numba's import."""
    code = ("import sys\nfrom checker.config import CheckConfig\nfrom checker.models.impl_model import ImplModel\n"
            "from checker.search.bfs import bfs\nfrom checker.search.common import Limits, SearchOptions\n"
            "bfs(ImplModel(CheckConfig(ballots=1, crashes=0)), SearchOptions(limits=Limits(max_states=50), "
            "engine='python'))\n"
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == "False"
