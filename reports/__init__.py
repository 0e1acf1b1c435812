"""Invariant reports people read: a run directory rendered as report.md and report.html.

Public API of the reports package; it reads run directories (docs/formats.md) and
never imports checker objects.
"""

from __future__ import annotations

from reports._compare import ComparePaths, compare_runs
from reports._errors import ReportInputError
from reports._load import Run, load_run
from reports._progress import ProgressAnalysis, analyse
from reports._render import ReportPaths, render_report

__all__ = [
    "ComparePaths",
    "ProgressAnalysis",
    "ReportInputError",
    "ReportPaths",
    "Run",
    "analyse",
    "compare_runs",
    "load_run",
    "render_report",
]
