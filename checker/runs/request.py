"""The run request: what `explore`, `simulate` and `resume` ask of a checking run, typed and frozen.

Built once from the flags by checker/cli/flags.py; everything below the CLI reads this, never an
argparse Namespace, and nothing writes into it (a retry is `dataclasses.replace`). It checks nothing
itself: checker/runs/build.py validates it and builds the model it describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cluster:
    """The implementation, the cluster's bounds and its fault model (explore, simulate, fuzz); None: the default."""

    impl: str | None = None
    acceptors: int | None = None
    proposers: int | None = None
    learners: int | None = None
    values: int | None = None
    crashes: int | None = None
    drops: int | None = None
    duplicates: int | None = None
    ballots: str | None = None  # as typed: N or N1,N2,...
    network: str | None = None
    colocated: bool = False
    q1: int | None = None
    q2: int | None = None
    unsafe_quorums: bool = False
    no_refinement: bool = False
    properties: tuple[str, ...] = ()  # --property MODULE:FUNCTION, in order
    max_round: int | None = None


@dataclass(frozen=True)
class RunRequest:
    """One checking run as the flags describe it (flag names with underscores; docs in checker/cli/flags.py)."""

    command: str  # explore | simulate (the summary's "command")
    strategy: str  # a name of checker.search.strategies.STRATEGIES
    out: str  # the run directory, absolute
    cluster: Cluster = field(default_factory=Cluster)
    model: str = "impl"  # impl | spec
    symmetry: bool = False
    spec_bug: str | None = None
    no_saturation: bool = False
    no_crash_reduction: bool = False
    no_learners_apart: bool = False
    no_prompt_restart: bool = False
    no_por: bool = False
    no_reductions: bool = False
    max_states: int | None = None
    max_depth: int | None = None
    time_limit: float | None = None
    max_memory: float | None = None
    stop_on_first: bool = False
    deviation: str | None = None  # warn (None: the default) | error | fail (the old word for error)
    seed: int | None = None
    workers: int = 1
    engine: str = "compiled"  # bfs of --model spec: compiled | python
    no_hash_order_check: bool = False
    no_fidelity_check: bool = False
    json: str | None = None  # --json PATH, absolute
    report: bool = False
    graph: bool = False
    graph_limit: int | None = None
    quiet: bool = False
    minimize: bool = False  # simulate: shorten counterexamples by delta debugging
    ray: str | None = None  # --cluster auto|ray://HOST:PORT
    checkpoint: str | None = None
    checkpoint_every: float | None = None
    budget: float | None = None  # explore --budget SECONDS: the sweep of bounds (checker/runs/sweep.py)
