"""From a `RunRequest` to a model and search limits: every check of the request made before any work.

Owns the run's defaults (run directory, memory share, graph limit), the check of each flag against
the others (one line, a UsageError), the `CheckConfig` of the cluster flags and the model they
describe. It searches nothing and prints nothing.
"""

from __future__ import annotations

import os
from typing import Any, cast

from checker.config import DEFAULT_IMPL, CheckConfig, default_ballots, parse_ballots
from checker.errors import UsageError
from checker.inputs import (
    MAX_ACCEPTORS,
    MAX_LEARNERS,
    MAX_PROPOSERS,
    MAX_SPEC_BALLOTS,
    MAX_VALUES,
    check_output_paths,
    check_size,
    input_files,
)
from checker.model import Model, capabilities
from checker.models.reductions import Reductions
from checker.runs.request import Cluster, RunRequest
from checker.search.common import Limits, physical_memory_mb
from paxos import ConfigurationError

SPEC_DEFAULTS = {"acceptors": 3, "ballots": 2, "values": 2}
DEFAULT_OUT = "paxos-check-run"
#: --max-memory by default: this share of physical memory, so a search too big for the machine
#: stops with its results written instead of being killed with nothing written.
DEFAULT_MEMORY_SHARE = 0.8
DEFAULT_GRAPH_LIMIT = 50_000  # states kept by --graph (checker/traces/graph.py); the search goes on past it
#: More processes than this per core only slow a run down (and a typo of --workers 1000 would fork them all).
WORKERS_PER_CORE = 8
#: Flags of the implementation model that mean nothing to the Spec: (flag, field of Cluster or RunRequest).
IMPL_ONLY_FLAGS = (("--impl", "impl"), ("--proposers", "proposers"), ("--learners", "learners"),
                   ("--crashes", "crashes"), ("--drops", "drops"), ("--duplicates", "duplicates"),
                   ("--network", "network"), ("--q1", "q1"), ("--q2", "q2"), ("--colocated", "colocated"),
                   ("--unsafe-quorums", "unsafe_quorums"), ("--no-refinement", "no_refinement"),
                   ("--no-saturation", "no_saturation"), ("--no-crash-reduction", "no_crash_reduction"),
                   ("--no-learners-apart", "no_learners_apart"), ("--no-prompt-restart", "no_prompt_restart"),
                   ("--no-por", "no_por"), ("--no-reductions", "no_reductions"),
                   ("--max-round", "max_round"), ("--property", "properties"), ("--deviation", "deviation"))
#: --deviation's words: `warn` (default) and `error`; `fail` is the old word for `error`.
DEVIATION_MODES = {"warn": "warn", "error": "error", "fail": "error"}


def check_config(cluster: Cluster) -> CheckConfig:
    """The CheckConfig of the cluster flags (defaults filled in); sizes beyond what a run can set up refused."""
    fields: dict[str, Any] = {}
    for name in ("acceptors", "proposers", "learners", "values", "ballots", "crashes", "drops", "duplicates",
                 "network", "q1", "q2", "max_round"):
        value = getattr(cluster, name)
        if value is not None:
            fields[name] = parse_ballots(value) if name == "ballots" else value
    if "ballots" not in fields:
        proposers = fields.get("proposers") or (fields.get("acceptors", 3) if cluster.colocated else 2)
        fields["ballots"] = default_ballots(proposers)
    config = CheckConfig(colocated=cluster.colocated, unsafe_quorums=cluster.unsafe_quorums,
                         impl=cluster.impl or DEFAULT_IMPL, properties=cluster.properties, **fields)
    for flag, value, largest in (("--acceptors", config.acceptors, MAX_ACCEPTORS),
                                 ("--proposers", config.proposers, MAX_PROPOSERS),
                                 ("--learners", config.learners, MAX_LEARNERS),
                                 ("--values", config.values, MAX_VALUES)):
        check_size(flag, value, largest)
    return config


def reductions(request: RunRequest) -> Reductions:
    """The reductions the flags leave on (all of them unless switched off)."""
    if request.no_reductions:
        return Reductions.none()
    return Reductions(saturation=not request.no_saturation, crash=not request.no_crash_reduction,
                      learners_apart=not request.no_learners_apart, prompt_restart=not request.no_prompt_restart,
                      por=not request.no_por)


def build_model(request: RunRequest) -> Model:
    """The model the request describes; bad flags are a UsageError."""
    cluster = request.cluster
    if request.model == "spec":
        for flag, name in IMPL_ONLY_FLAGS:
            value = getattr(cluster, name) if hasattr(cluster, name) else getattr(request, name)
            if value not in (None, False, ()):
                raise UsageError(f"{flag} applies to --model impl only, not to --model spec (the Spec has "
                                 "--acceptors, --ballots, --values); drop it or use --model impl")
        from checker.models.spec_model import SpecModel
        from properties.spec import SpecConfig

        given = {"acceptors": cluster.acceptors, "ballots": cluster.ballots, "values": cluster.values}
        sizes: dict[str, Any] = {k: given[k] if given[k] is not None else v for k, v in SPEC_DEFAULTS.items()}
        ballots = parse_ballots(str(sizes["ballots"]))
        if isinstance(ballots, tuple):
            raise UsageError("--ballots for --model spec is the number of ballots in all: one integer")
        sizes["ballots"] = ballots
        for k, v in sizes.items():
            if v < 1:
                raise UsageError(f"--{k} must be at least 1, got {v}")
        check_size("--acceptors", sizes["acceptors"], MAX_ACCEPTORS)
        check_size("--ballots", sizes["ballots"], MAX_SPEC_BALLOTS)
        check_size("--values", sizes["values"], MAX_VALUES)
        try:
            return SpecModel(SpecConfig(sizes["acceptors"], sizes["ballots"], sizes["values"]), bug=request.spec_bug)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if request.spec_bug:
        raise UsageError("--spec-bug applies to --model spec only")
    if request.deviation is not None and cluster.no_refinement:
        raise UsageError("--deviation judges refines_spec, which --no-refinement turns off; drop one of them")
    from checker.models.impl_model import ImplModel

    config = check_config(cluster)
    try:
        return cast(Model, ImplModel(config, refinement=not cluster.no_refinement, reductions=reductions(request),
                                     deviation_stops=deviation_mode(request) == "error"))
    except ConfigurationError as exc:  # the factory refused this configuration: bad input, not a finding
        raise UsageError(f"--impl {config.impl}: {exc}") from None


def deviation_mode(request: RunRequest) -> str:
    """`warn` or `error`: what --deviation says (its old word `fail` is `error`); `warn` if not given."""
    return DEVIATION_MODES[request.deviation or "warn"]


def limits(request: RunRequest) -> Limits:
    """The search limits of the flags (--max-memory defaults to a share of physical memory)."""
    if request.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {request.workers}")
    most = WORKERS_PER_CORE * (os.cpu_count() or 1)
    if request.workers > most and request.ray is None:
        raise UsageError(f"--workers {request.workers}: this machine has {os.cpu_count()} cores, so at most {most} "
                         "workers (threads or processes); use about one per core (or --cluster to spread them over "
                         "machines)")
    memory = request.max_memory
    if memory is None:
        physical = physical_memory_mb()
        memory = None if physical is None else DEFAULT_MEMORY_SHARE * physical
    try:
        return Limits(request.max_states, request.max_depth, request.time_limit, memory)
    except ValueError as exc:  # Limits names the field; the flag is the same with dashes
        text = str(exc).replace("max_memory_mb", "--max-memory")
        for field in ("max_states", "max_depth", "time_limit"):
            text = text.replace(field, "--" + field.replace("_", "-"))
        raise UsageError(text) from None


def check_request(request: RunRequest) -> Limits:
    """Everything about the request that can be checked before the node is loaded: output paths (never over
    an input), flags that do not go together, the limits. Returns the limits."""
    out = request.out
    check_output_paths(dirs=[("--out", out)], files=[("--json", request.json)],
                       inputs=input_files(request.cluster.impl, request.cluster.properties))
    if request.strategy in ("bfs", "dfs") and request.seed is not None:
        raise UsageError(f"--seed applies to simulate (random walks, swarm); explore's {request.strategy} is not "
                         "random: drop --seed")
    if request.graph_limit is not None and not request.graph:
        raise UsageError("--graph-limit applies with --graph only; add --graph or drop --graph-limit")
    return limits(request)


def check_against_model(request: RunRequest, model: Model) -> None:
    """Flags that depend on the strategy and the model built (one line before the search starts)."""
    if request.workers > 1 and request.strategy not in ("bfs", "swarm"):
        raise UsageError(f"--workers > 1 is for --strategy bfs and simulate --strategy swarm, not "
                         f"{request.strategy}; drop --workers or pick one of those")
    if request.symmetry and capabilities(model).canonical is None:
        raise UsageError(f"--symmetry is not available for --model {request.model} yet; run without it")
    if request.graph and request.workers != 1:
        raise UsageError("--graph records the graph in one process; use --workers 1")
