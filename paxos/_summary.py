"""The JSON run summary (docs/formats.md, `summary.json` and `--json PATH`): its one schema and its text.

Owns the field names, the words a status, kind and stop reason may be, the TypedDicts the writers
fill (checker/) and the readers check against (reports/_load.py), and how a summary is serialized.
It writes no file (the writer is checker/runs/summarize.py's `write_summary`) and validates nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypedDict, get_type_hints

SUMMARY_VERSION = 1
#: A property's `status`, `kind`, and the run's `stopped_by` (null: it ran to the end).
STATUSES: tuple[str, ...] = ("held", "violated", "not_violated", "unknown")
KINDS: tuple[str, ...] = ("always", "sometimes", "step")
#: `budget`: a configuration of a sweep of bounds (`explore` with no bound flag) that `--budget` cut short.
STOPPED_BY: tuple[str, ...] = ("max_states", "max_depth", "time_limit", "max_memory", "interrupted", "violation",
                               "budget")
#: A configuration's `status` in a sweep of bounds (`sweep.configurations`): exhausted with nothing violated,
#: a violation found, or stopped early with nothing violated.
SWEEP_STATUSES: tuple[str, ...] = ("held", "violated", "bounded")


class _PropertyRequired(TypedDict):
    name: str
    kind: str
    status: str
    trace: str | None


class PropertyEntry(_PropertyRequired, total=False):
    """One entry of `properties` (lengths and detail only when there is a trace)."""

    length: int
    witness_length: int
    reduced_length: int
    spelled_length: int
    found_length: int
    detail: str
    description: str
    #: A violation without a trace (a `hash_order` finding no trace search reached): why, in one line.
    no_trace: str


class _RunSummaryRequired(TypedDict):
    version: int
    command: str
    config: dict[str, Any]
    model: str
    strategy: str
    exhaustive: bool
    stopped_by: str | None
    states: int | None
    transitions: int | None
    depth: int | None
    seconds: float
    peak_rss_mb: float | None
    states_per_depth: list[int] | None
    coverage: dict[str, Any] | None
    symmetry_reduction: Any
    properties: list[PropertyEntry]
    proofs: list[dict[str, Any]] | None
    graph: dict[str, Any] | None


class SweepConfiguration(TypedDict):
    """One configuration of a sweep of bounds, in the order run (docs/formats.md, `sweep`)."""

    index: int
    bounds: dict[str, Any]
    symmetry: bool
    status: str
    exhaustive: bool
    stopped_by: str | None
    states: int
    transitions: int
    depth: int
    seconds: float
    violated: list[str]
    deviation: bool
    run_dir: str


class SweepSummary(TypedDict):
    """`sweep`: explore with no bound flag grew its bounds within `budget` seconds (docs/formats.md)."""

    budget: float
    seconds: float
    reported: int
    stopped_by: str | None
    configurations: list[SweepConfiguration]
    not_reached: list[dict[str, Any]]


class RunSummary(_RunSummaryRequired, total=False):
    """A run summary of explore, simulate, fuzz and prove: the keys above always; these when
    they apply (docs/formats.md)."""

    run_dir: str
    error: str | None
    deviation: dict[str, Any] | None
    walk_coverage: dict[str, Any]
    hash_seed: str | None
    result_depends_on_hash_seed: bool | None
    node_checks: dict[str, Any]
    sweep: SweepSummary | None
    engine: str


#: The keys every run summary has (RunSummary's required keys).
RUN_SUMMARY_FIELDS: tuple[str, ...] = tuple(_RunSummaryRequired.__annotations__)


def required_field_types() -> dict[str, Any]:
    """RunSummary's required keys and their types, in order: what the report reader (reports/_load.py) checks."""
    return get_type_hints(_RunSummaryRequired)


def missing_fields(summary: Mapping[str, Any]) -> list[str]:
    """The keys of RUN_SUMMARY_FIELDS a run summary lacks (none for a well-built one)."""
    return [k for k in RUN_SUMMARY_FIELDS if k not in summary]


def summary_text(summary: Mapping[str, Any]) -> str:
    """The summary as written to disk: indented JSON in the builder's key order, one trailing newline."""
    return json.dumps(summary, indent=2, sort_keys=False) + "\n"
