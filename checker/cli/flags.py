"""The flags of a checking run (explore, simulate, fuzz, resume) and the one place they become a `RunRequest`.

Owns argparse: the flag definitions, their help, and `run_request(args)`, which reads the Namespace
once. Nothing below checker/cli/ sees a Namespace; the flags are checked in checker/runs/build.py.
"""

from __future__ import annotations

import argparse
import math
import os
from typing import Any

from checker.config import DEFAULT_IMPL, IMPL_HELP
from checker.inputs import absolute, input_files, positive_float, positive_int
from checker.runs.build import DEFAULT_GRAPH_LIMIT, DEFAULT_MEMORY_SHARE, DEFAULT_OUT, DEVIATION_MODES
from checker.runs.request import Cluster, RunRequest
from checker.runs.scale import DEFAULT_CHECKPOINT_EVERY
from checker.runs.summarize import DEVIATION_VS_DANGER

#: The exit codes of explore and simulate, for their --help (README "Exit codes" says the same).
EXIT_CODES_HELP = (
    "Exit codes: 0 every property held within the stated bounds (explore: in every reachable state; "
    "simulate: not violated in any of the walks run, which is not a proof); 1 a property was violated "
    "(node_error included: a node that raised or returned malformed outputs), with its trace written; "
    "2 bad usage or bad input (one line), before any work; 3 the run stopped early (--max-states, "
    "--max-depth, --time-limit, --max-memory, Ctrl-C, or a node handler still running at the time "
    "limit) with nothing violated so far, its partial results written."
)


class _ExploreOnly(argparse.Action):
    """A flag of explore given to another command: refused in one line that says what stops this command."""

    def __init__(self, option_strings: list[str], dest: str, instead: str = "", **kwargs: Any) -> None:
        self.instead = instead
        super().__init__(option_strings, dest, nargs="?", help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        parser.error(f"{option_string} grows the bounds of explore (docs/sweep.md) and means nothing here; "
                     f"{self.instead}")


def refuse_budget(parser: argparse.ArgumentParser, instead: str) -> None:
    """`--budget` (explore's sweep of bounds) refused by this command with a pointer to what it has instead."""
    parser.add_argument("--budget", action=_ExploreOnly, instead=instead)


def seconds_or_zero(text: str) -> float:
    """A finite number of seconds >= 0 (0: at every level boundary)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds (0 or more), got {text!r}") from None
    if math.isnan(value) or math.isinf(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds (0 or more), got {text!r}")
    return value


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """Flags that choose the model and its bounds."""
    g = p.add_argument_group("model and bounds")
    g.add_argument("--model", choices=("impl", "spec"), default="impl",
                   help="impl: a cluster of real nodes (default); spec: Lamport's Paxos.tla")
    add_cluster_arguments(g, "ballots per proposer (spec: ballots in all)")
    g.add_argument("--symmetry", action="store_true", help="reduce interchangeable acceptors (and spec values)")
    g.add_argument("--spec-bug", default=None, help="spec model only: a planted bug of the Spec (for teaching)")
    r = p.add_argument_group("sound reductions of the implementation model (on by default; see "
                             "checker/models/reductions.py for why each keeps every verdict)")
    r.add_argument("--no-saturation", action="store_true",
                   help="do not take inert deliveries (Nacks nobody reads) eagerly")
    r.add_argument("--no-crash-reduction", action="store_true",
                   help="also branch on crashes that leave the node's state unchanged")
    r.add_argument("--no-learners-apart", action="store_true",
                   help="keep pure learners in the explored state instead of judging their reach per state")
    r.add_argument("--no-prompt-restart", action="store_true",
                   help="keep crashed nodes down until a separate restart step (default: a crash and its "
                        "restart are one step; a down node can do nothing a delay cannot)")
    r.add_argument("--no-por", action="store_true",
                   help="also store the states a proposer reaches by steps that send nothing (default: such "
                        "quiet steps are taken only together with the proposer's next step that sends "
                        "something; no property reads a proposer: a partial-order reduction)")
    r.add_argument("--no-reductions", action="store_true", help="all five of the above")
    c = p.add_argument_group("checks of the node along the explored graph (on by default)")
    c.add_argument("--no-hash-order-check", action="store_true",
                   help="do not re-run the explored node transitions under other PYTHONHASHSEED values "
                        "(the hash_order property: a node whose steps depend on set or dict iteration order)")
    c.add_argument("--no-fidelity-check", action="store_true",
                   help="do not re-run every explored node transition on live nodes that are never restored "
                        "(a snapshot() that loses state refuses the node, exit 2)")


def add_cluster_arguments(g: argparse._ActionsContainer, ballots_help: str = "ballots per proposer") -> None:
    """The implementation, the cluster's bounds and its fault model (explore, simulate, fuzz)."""
    g.add_argument("--impl", default=None, metavar="MODULE:FACTORY",
                   help=f"node implementation to check (default {DEFAULT_IMPL}): {IMPL_HELP}")
    for name, text in (("acceptors", "acceptors"), ("proposers", "proposers (each proposes its own value)"),
                       ("learners", "learners"), ("values", "distinct values"),
                       ("crashes", "crash budget"), ("drops", "message drop budget (bag network)"),
                       ("duplicates", "message duplication budget (bag network)")):
        g.add_argument(f"--{name}", type=int, default=None, metavar="N", help=text)
    g.add_argument("--ballots", default=None, metavar="N[,N...]",
                   help=f"{ballots_help}; N1,N2,... gives each proposer its own budget")
    g.add_argument("--network", choices=("set", "bag"), default=None,
                   help="set: every sent message stays deliverable (default); bag: in-flight multiset")
    g.add_argument("--colocated", action="store_true", help="every node is proposer, acceptor and learner")
    g.add_argument("--q1", type=int, default=None, help="phase-1 quorum size (flexible quorums)")
    g.add_argument("--q2", type=int, default=None, help="phase-2 quorum size (flexible quorums)")
    g.add_argument("--unsafe-quorums", action="store_true", help="allow non-intersecting quorums on purpose")
    g.add_argument("--no-refinement", action="store_true", help="do not check refines_spec (faster)")
    g.add_argument("--property", action="append", default=None, metavar="MODULE:FUNCTION",
                   help="also check your own property, a function of a WorldView (repeatable; PATH.py:FUNCTION "
                        "loads a file): one argument "
                        "(view) is an always invariant, two (before, after) a step property; @sometimes from "
                        "properties.user marks a witness. See examples/my_properties.py")
    g.add_argument("--max-round", type=int, default=None, metavar="R",
                   help="state constraint: messages of ballot round > R are sent but never delivered; bounds "
                        "nodes that start ballots by themselves (e.g. after Nacks), which --ballots does not")


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("limits and output")
    g.add_argument("--max-states", type=positive_int, default=None, metavar="N", help="stop after N distinct states")
    g.add_argument("--max-depth", type=positive_int, default=None, metavar="N",
                   help="explore paths of at most N states")
    g.add_argument("--time-limit", type=positive_float, default=None, metavar="SECONDS",
                   help="stop after this long (also a node handler still running then)")
    g.add_argument("--max-memory", type=positive_float, default=None, metavar="MB",
                   help=f"stop (bounded, results written) when the search uses this much memory "
                        f"(default {DEFAULT_MEMORY_SHARE * 100:.0f}%% of physical memory or of a container limit)")
    g.add_argument("--stop-on-first", action="store_true", help="stop at the first violation")
    g.add_argument("--deviation", choices=tuple(DEVIATION_MODES), default=None,
                   help=DEVIATION_VS_DANGER.replace("%", "%%") + " 'warn' (default) is that; 'error' makes a "
                        "deviation a violation too (exit 1, ends --stop-on-first), for strict conformance to "
                        "Paxos.tla ('fail' is the old word for 'error'). Implementation model with refines_spec only")
    g.add_argument("--seed", type=int, default=None, help="random seed (simulate only; default 0)")
    g.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="bfs on the compiled engine: N threads of one process run its kernels; a bfs on the Python "
                        "engine (--engine python, --cluster, --checkpoint, ...): N processes, one partition each; "
                        "swarm: N processes. Results equal one worker's (docs/engines.md)")
    g.add_argument("--engine", choices=("compiled", "python"), default="compiled",
                   help="bfs: compiled (default: numba, in one process, --workers as threads; the Spec without "
                        "--symmetry; the set network; otherwise the Python engine runs and the run says so) or "
                        "python (the pure-Python reference)")
    g.add_argument("--json", default=None, metavar="PATH", help="also write the run summary here")
    g.add_argument("--out", default=None, metavar="DIR",
                   help=f"run directory for summary.json and traces (default ./{DEFAULT_OUT})")
    g.add_argument("--report", action="store_true", help="render report.md and report.html into the run directory")
    g.add_argument("--graph", action="store_true",
                   help="keep the state graph for the report (GraphML; DOT too up to 5,000 states)")
    g.add_argument("--graph-limit", type=positive_int, default=None, metavar="N",
                   help=f"with --graph: keep the first N states of the graph (default {DEFAULT_GRAPH_LIMIT:,}); the "
                        "search goes on past them and the summary and report say the graph is partial")
    g.add_argument("--quiet", action="store_true", help="no progress line")


def add_cluster_flag(g: argparse._ActionsContainer, what: str) -> None:
    """`--cluster auto|ray://HOST:PORT`: run `what` on Ray."""
    g.add_argument("--cluster", default=None, metavar="auto|ray://HOST:PORT",
                   help=f"run {what} on Ray: 'auto' starts a local Ray, ray://HOST:PORT joins a running cluster "
                        "(its Ray client port, 10001 by default); needs pip install -e '.[cluster]'")


def add_scale_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("scale (bfs): Ray, checkpoints")
    add_cluster_flag(g, "the BFS partitions (--workers N of them) as actors")
    g.add_argument("--checkpoint", default=None, metavar="DIR",
                   help="write a checkpoint of the search to DIR at level boundaries; continue a killed run "
                        "with 'paxos-check resume DIR'")
    g.add_argument("--checkpoint-every", type=seconds_or_zero, default=None, metavar="SECONDS",
                   help=f"with --checkpoint: at most one checkpoint per SECONDS (default {DEFAULT_CHECKPOINT_EVERY:g}; "
                        "0: at every level)")


def cluster_of(args: argparse.Namespace) -> Cluster:
    """The flags of `add_cluster_arguments` (explore, simulate, fuzz)."""
    return Cluster(
        impl=args.impl, acceptors=args.acceptors, proposers=args.proposers, learners=args.learners,
        values=args.values, crashes=args.crashes, drops=args.drops, duplicates=args.duplicates,
        ballots=args.ballots, network=args.network, colocated=args.colocated, q1=args.q1, q2=args.q2,
        unsafe_quorums=args.unsafe_quorums, no_refinement=args.no_refinement,
        properties=tuple(args.property or ()), max_round=args.max_round,
    )


def run_request(args: argparse.Namespace, command: str, strategy: str, **fields: Any) -> RunRequest:
    """The request of explore/simulate/resume flags, read once (`fields`: what the subcommand adds, e.g. minimize)."""
    return RunRequest(
        command=command, strategy=strategy, out=os.path.abspath(args.out or DEFAULT_OUT),
        cluster=cluster_of(args), model=args.model, symmetry=args.symmetry, spec_bug=args.spec_bug,
        no_saturation=args.no_saturation, no_crash_reduction=args.no_crash_reduction,
        no_learners_apart=args.no_learners_apart, no_prompt_restart=args.no_prompt_restart,
        no_por=args.no_por, no_reductions=args.no_reductions, max_states=args.max_states, max_depth=args.max_depth,
        time_limit=args.time_limit, max_memory=args.max_memory, stop_on_first=args.stop_on_first,
        deviation=args.deviation, seed=args.seed, workers=args.workers, engine=args.engine,
        no_hash_order_check=args.no_hash_order_check, no_fidelity_check=args.no_fidelity_check,
        json=absolute(args.json),
        report=args.report, graph=args.graph, graph_limit=args.graph_limit, quiet=args.quiet,
        ray=args.cluster, checkpoint=getattr(args, "checkpoint", None),
        checkpoint_every=getattr(args, "checkpoint_every", None), **fields,
    )


def named_inputs(args: argparse.Namespace) -> list[str]:
    """The files a command's --impl and --property name (outputs must not replace them)."""
    return input_files(getattr(args, "impl", None), getattr(args, "property", None) or ())


def recorded_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The flags as `resume` reads them back from DIR/run.json (plain values only)."""
    return {k: v for k, v in vars(args).items() if not callable(v)}
