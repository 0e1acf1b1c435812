"""Produce docs/report-first-screen.png, the README's picture of a report, from a real run.

    python docs/make_screenshot.py [--out DIR] [--png PATH]

Runs COMMAND (the README quotes it, and tests/test_readme_screenshot.py checks that it does),
renders its report, and takes the first screen of report.html with headless Chromium. The
picture is never edited by hand, so it cannot go stale: rerun this after changing the reports.
Needs /usr/bin/chromium (or CHROMIUM=path) and the package installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: The run the README shows (its arguments after `paxos-check`); `--out DIR` is added.
COMMAND = ("explore", "--impl", "paxos.bugs:own_value", "--crashes", "0", "--graph", "--report")
WINDOW = (1280, 900)  # the first screen
ROOT = Path(__file__).resolve().parent.parent


def command_text(out: str = "own_value") -> str:
    """COMMAND as the README writes it."""
    return "paxos-check " + " ".join(COMMAND) + f" --out {out}"


def chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise SystemExit("needs Chromium: apt-get install -y chromium, or set CHROMIUM=/path/to/chromium")
    return found


def screenshot(html: Path, png: Path, size: tuple[int, int] = WINDOW) -> None:
    """Headless Chromium screenshot of the top of a local page."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={png}",
             f"--window-size={size[0]},{size[1]}", html.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="run directory (default: a temporary one)")
    parser.add_argument("--png", default=str(ROOT / "docs" / "report-first-screen.png"), help="picture to write")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "own_value"
        run = subprocess.run([sys.executable, "-m", "checker.cli", *COMMAND, "--quiet", "--out", str(out)],
                             cwd=ROOT, text=True, capture_output=True)
        if run.returncode not in (0, 1) or not (out / "report.html").exists():
            sys.stderr.write(run.stdout + run.stderr)
            raise SystemExit(f"the run failed (exit {run.returncode}); no picture written")
        screenshot(out / "report.html", Path(args.png))
    print(f"ran: {command_text()}\nwrote {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
