"""The state-space growth chart (distinct states per BFS depth) as inline SVG via matplotlib.

Uses a bare `Figure` on the Agg canvas, never pyplot: Agg needs no display or GUI
toolkit (reports render in CI, over ssh, in headless containers), and not touching
pyplot leaves the global backend of a host program alone. It draws; it reads no files.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

#: The chart's own stroke colour, used nowhere else in a report (tests find it in screenshots).
CHART_COLOR = "#0ca678"
CUMULATIVE_COLOR = "#495057"


def growth_chart_svg(states_per_depth: Sequence[int], *, title: str = "Distinct states per BFS depth") -> str:
    """An `<svg>` element: new distinct states per depth (bars + line) and the running total."""
    depths = list(range(len(states_per_depth)))
    counts = list(states_per_depth)
    total = []
    running = 0
    for n in counts:
        running += n
        total.append(running)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "paxos-check", "font.size": 9.0}):
        fig = Figure(figsize=(7.2, 3.0), dpi=96)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        ax.bar(depths, counts, color=CHART_COLOR, alpha=0.25, width=0.8)
        ax.plot(depths, counts, color=CHART_COLOR, linewidth=3.0, marker="o", markersize=4, label="new states")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("BFS depth")
        ax.set_ylabel("new distinct states")
        ax.set_title(title)
        ax.grid(axis="y", color="#e9ecef")
        if counts and max(counts) > 0 and max(counts) / max(1, min(c for c in counts if c > 0)) > 1000:
            ax.set_yscale("log")
        twin = ax.twinx()
        twin.plot(depths, total, color=CUMULATIVE_COLOR, linewidth=1.2, linestyle="--", label="total")
        twin.set_ylabel("total distinct states")
        lines = ax.get_lines() + twin.get_lines()
        ax.legend(lines, [str(line.get_label()) for line in lines], loc="upper left", frameon=False)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(buf.getvalue())


def _inline(svg: str) -> str:
    """Drop the XML prolog and DOCTYPE so the SVG can sit inside HTML; give it a class."""
    start = svg.find("<svg")
    body = svg[start:]
    return re.sub(r"^<svg\b", '<svg class="chart"', body, count=1)
