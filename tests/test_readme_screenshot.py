"""The README's picture of a report is produced by docs/make_screenshot.py from the run the README names."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_names_the_run_the_script_makes() -> None:
    spec = importlib.util.spec_from_file_location("make_screenshot", ROOT / "docs" / "make_screenshot.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "python docs/make_screenshot.py" in readme
    assert f"`{script.command_text()}`" in readme
    assert (ROOT / "docs" / "report-first-screen.png").stat().st_size > 10_000
