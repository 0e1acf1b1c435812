"""What an implementation check runs on: the bounds, the fault model and the node implementation.

`CheckConfig` is the one description of a run shared by the explorer, the
Hypothesis machine, traces (it travels in them as JSON) and replay.
`load_factory` turns `MODULE:FACTORY` into a node factory, with one-line
errors. It runs nothing.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checker.errors import UsageError
from paxos import (
    NETWORKS,
    Budgets,
    Cluster,
    ClusterConfig,
    ConfigurationError,
    FlexibleQuorums,
    NodeFactory,
    PaxosNode,
    QuorumSystem,
    Value,
    is_path_spec,
    load_module_file,
    missing_methods,
    split_spec,
    trusted_paths,
)
from paxos._guard import own_failure

DEFAULT_IMPL = "paxos:PaxosNode"


def parse_ballots(text: str) -> int | tuple[int, ...]:
    """`--ballots`: `N` (every proposer) or `N1,N2,...` (one per proposer, in proposer order)."""
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise UsageError(f"--ballots must be an integer or a comma list of integers (one per proposer), "
                         f"got {text!r}") from None
    return parts[0] if len(parts) == 1 else parts


def default_ballots(proposers: int) -> int | tuple[int, ...]:
    """The command line's ballot budget when --ballots is not given: every proposer has one ballot
    and the last may retry once, so the default check covers a retry (the bugs of a retry need one
    proposer's second ballot; a second one for every proposer is out of a minute's reach)."""
    return 2 if proposers == 1 else (1,) * (proposers - 1) + (2,)


def ballots_text(ballots: int | tuple[int, ...]) -> str:
    """How `--ballots` is written for this budget."""
    return ",".join(map(str, ballots)) if isinstance(ballots, tuple) else str(ballots)


def bounds_text(config: Mapping[str, Any]) -> str:
    """A run configuration (`CheckConfig.to_json()` or a Spec's) as `key=value, ...`, defaults left out."""
    return ", ".join(f"{k}={','.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"
                     for k, v in config.items() if k != "impl" and v not in (None, False))


def config_flags(config: Mapping[str, Any]) -> list[str]:
    """Command-line flags that give a configuration (a catalog entry's `config`): every field, so no
    default leaks in."""
    flags: list[str] = []
    for key, value in config.items():
        if key == "impl":
            flags += ["--impl", str(value)]
        elif isinstance(value, tuple):
            flags += ["--ballots", ",".join(str(v) for v in value)]
        else:
            flags += [f"--{key}", str(value)]
    return flags


@dataclass(frozen=True)
class CheckConfig:
    """Every bound of an implementation run. Defaults: the README's default check."""

    acceptors: int = 3
    proposers: int = 2
    learners: int = 1
    values: int = 2
    ballots: int | tuple[int, ...] = 1  # per proposer: one limit for all, or one per proposer
    network: str = "set"
    crashes: int = 1
    drops: int = 0
    duplicates: int = 0
    colocated: bool = False
    q1: int | None = None
    q2: int | None = None
    unsafe_quorums: bool = False
    impl: str = DEFAULT_IMPL
    #: None, or the highest ballot round whose messages are delivered (a state constraint that
    #: bounds nodes which start ballots by themselves, whatever --ballots says)
    max_round: int | None = None
    #: the user's own properties, `MODULE:FUNCTION` each (`--property`; checker/user_properties.py)
    properties: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        def need(flag: str, value: object, least: int) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise UsageError(f"--{flag} must be an integer >= {least}, got {value!r}")

        need("acceptors", self.acceptors, 1)
        need("proposers", self.proposers, 1)
        need("learners", self.learners, 0)
        need("values", self.values, 1)
        if isinstance(self.ballots, list):
            object.__setattr__(self, "ballots", tuple(self.ballots))  # from JSON
        if isinstance(self.ballots, tuple):
            if len(self.ballots) != self.proposers:
                raise UsageError(f"--ballots {ballots_text(self.ballots)} gives {len(self.ballots)} limit(s) for "
                                 f"{self.proposers} proposer(s): give one per proposer (e.g. 1,2) or one for all")
            for b in self.ballots:
                need("ballots", b, 1)
        else:
            need("ballots", self.ballots, 1)
        need("crashes", self.crashes, 0)
        need("drops", self.drops, 0)
        need("duplicates", self.duplicates, 0)
        if self.max_round is not None:
            need("max-round", self.max_round, 0)
        if isinstance(self.properties, (list, str)):
            object.__setattr__(self, "properties", tuple([self.properties] if isinstance(self.properties, str)
                                                         else self.properties))  # from JSON
        for spec in self.properties:
            if not isinstance(spec, str) or ":" not in spec:
                raise UsageError(f"--property {spec!r}: expected MODULE:FUNCTION")
        if self.network not in NETWORKS:
            raise UsageError(f"--network must be one of {', '.join(NETWORKS)}, got {self.network!r}")
        if self.network == "set" and (self.drops or self.duplicates):
            raise UsageError(
                "--drops/--duplicates need --network bag: the set network already lets any message be "
                "lost, duplicated or reordered"
            )
        if self.colocated and self.acceptors != self.proposers:
            raise UsageError(
                f"--colocated runs every node in every role, so --acceptors ({self.acceptors}) and "
                f"--proposers ({self.proposers}) must be equal"
            )
        self.cluster_config()  # validates the quorum sizes

    # -- derived -------------------------------------------------------------------------------

    def quorum_system(self, acceptor_ids: tuple[int, ...]) -> QuorumSystem | None:
        if self.q1 is None and self.q2 is None:
            return None
        n = len(acceptor_ids)
        q1 = self.q1 if self.q1 is not None else n // 2 + 1
        q2 = self.q2 if self.q2 is not None else n // 2 + 1
        try:
            return FlexibleQuorums(acceptor_ids, q1, q2, unsafe=self.unsafe_quorums)
        except ConfigurationError as exc:
            raise UsageError(f"{exc} (flags --q1/--q2, --unsafe-quorums)") from None

    def cluster_config(self) -> ClusterConfig:
        try:
            if self.colocated:
                ids = tuple(range(1, self.acceptors + 1))
                return ClusterConfig.colocated(self.acceptors, self.quorum_system(ids))
            base = ClusterConfig.separate(self.acceptors, self.proposers, self.learners)
            return ClusterConfig.separate(
                self.acceptors, self.proposers, self.learners, self.quorum_system(base.acceptors)
            )
        except ConfigurationError as exc:
            raise UsageError(str(exc)) from None

    def value_names(self) -> tuple[str, ...]:
        return tuple(f"v{i + 1}" for i in range(self.values))

    def proposer_values(self) -> dict[int, Value]:
        """Each proposer's client value: the i-th proposer proposes value i (mod --values)."""
        names = self.value_names()
        return {p: names[i % len(names)] for i, p in enumerate(self.cluster_config().proposers)}

    def ballot_limits(self) -> tuple[int, ...]:
        """Each proposer's ballot budget, in `ClusterConfig.proposers` order."""
        if isinstance(self.ballots, tuple):
            return self.ballots
        return (self.ballots,) * len(self.cluster_config().proposers)

    @property
    def max_ballots(self) -> int:
        """The largest ballot budget of any proposer."""
        return max(self.ballots) if isinstance(self.ballots, tuple) else self.ballots

    def budgets(self) -> Budgets:
        return Budgets(crashes=self.crashes, drops=self.drops, duplicates=self.duplicates, ballots=self.ballots,
                       max_round=self.max_round)

    def new_cluster(self, factory: NodeFactory | None = None) -> Cluster:
        """A fresh reference cluster for this configuration."""
        return Cluster(
            self.cluster_config(),
            factory if factory is not None else load_factory(self.impl),
            network=self.network,
            budgets=self.budgets(),
        )

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if not self.properties:
            del data["properties"]  # only runs with --property record it
        else:
            data["properties"] = list(self.properties)
        return data

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> CheckConfig:
        known = {f.name for f in dataclasses.fields(CheckConfig)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"unknown configuration keys {unknown}; known keys are {sorted(known)}")
        return CheckConfig(**dict(data))


#: What `--help` says of `--impl` wherever a subcommand takes it.
IMPL_HELP = ("MODULE:FACTORY, or PATH.py:FACTORY to load a file by path (its folder importable); code a file path "
             "names is loaded only when that path is on the command line, never because a trace or run.json names it")


def add_trust_argument(parser: Any) -> None:
    """`--trust PATH.py:NAME` (repeatable): a file a trace or run directory names as a --property, vouched for."""
    parser.add_argument("--trust", action="append", default=None, metavar="PATH.py:NAME",
                        help="a file path the trace or run names as its --property (or --impl) that you vouch "
                             "for: paxos-check loads code from a file path only when the command line gives it")


def check_named_files(where: str, impl: str | None, properties: Sequence[str] = ()) -> None:
    """Refuse in one line, before any work, a file path that `where` (a file) names as the implementation or
    a property when the command line did not give the same path (`paxos.trust_command_line`)."""
    trusted = trusted_paths()
    if trusted is None:
        return
    for flag, spec in [("--impl", impl), *(("--trust", p) for p in properties)]:
        if spec and is_path_spec(spec) and os.path.realpath(split_spec(spec)[0]) not in trusted:
            raise UsageError(f"{where} names the file {split_spec(spec)[0]} as {flag}; paxos-check loads code from "
                             f"a file path only when that path is on the command line: add {flag} {spec}")


def load_factory(spec: str) -> NodeFactory:
    """Resolve `MODULE:FACTORY` or `PATH.py:FACTORY` to a node factory `(node_id, ClusterConfig) -> node`.

    A `PaxosNode` subclass is accepted as is (built with `config=`); anything
    else is called as `factory(node_id, config)`. The first node built is
    checked against the node protocol. The current directory is importable,
    so `--impl mypkg.node:make` works from the project that holds `mypkg`; a
    file path is loaded by path with its directory importable (`paxos.load_module_file`),
    and only when the command line gave that path (never because a file named it).
    """
    module_name, attr = split_spec(spec)
    if not module_name or not attr:
        raise UsageError(f"--impl {spec!r}: expected MODULE:FACTORY or PATH.py:FACTORY, e.g. paxos:PaxosNode, "
                         "mypkg.node:make_node or path/to/node.py:make_node")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: modules of the current project import
    try:
        module = load_module_file(module_name) if is_path_spec(spec) else importlib.import_module(module_name)
    except ConfigurationError as exc:  # a path the command line did not give, or no such file
        raise UsageError(f"--impl {spec!r}: {exc}") from None
    except BaseException as exc:  # an import error of the user's code, any kind (sys.exit too)
        if not own_failure(exc):
            raise
        raise UsageError(f"--impl {spec!r}: cannot import module {module_name!r}: "
                         f"{type(exc).__name__}: {exc}") from None
    target = getattr(module, attr, None)
    if target is None:
        raise UsageError(f"--impl {spec!r}: module {module_name!r} has no attribute {attr!r}")
    if inspect.isclass(target) and issubclass(target, PaxosNode):
        cls = target

        def factory(node_id: int, config: ClusterConfig) -> Any:
            return cls(node_id, config=config)
    elif callable(target):
        factory = target
    else:
        raise UsageError(f"--impl {spec!r}: {attr!r} is not callable; name a factory (node_id, config) -> node")
    probe_config = ClusterConfig.separate(1, 1, 1)
    try:
        probe = factory(probe_config.acceptors[0], probe_config)
    except BaseException as exc:
        if not own_failure(exc):
            raise
        raise UsageError(f"--impl {spec!r}: calling the factory as factory(node_id, config) failed: {exc}") from None
    lacking = missing_methods(probe)
    if lacking:
        raise UsageError(
            f"--impl {spec!r}: its nodes lack {', '.join(lacking)} of the node protocol (paxos.NodeProtocol)"
        )
    return factory
