"""The in-process cluster: nodes plus a network, advanced by one deterministic `step(action)`.

Owns the network semantics of DESIGN.md (`set`: every sent message stays
deliverable; `bag`: in-flight multiset with drop/duplicate), crash/restart,
fault budgets, and the ghost history of Accepted messages from which
"chosen" is computed. Randomness only in `run()`, from an explicit seed.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Hashable, Iterable, Union

from paxos._config import ClusterConfig, NodeRole
from paxos._errors import ConfigurationError, ProtocolError
from paxos._messages import Accepted, Message, Value
from paxos._protocol import NodeFactory, NodeProtocol, missing_methods
from paxos._roles import Dest, Outputs

NETWORKS = ("set", "bag")


@dataclass(frozen=True, slots=True)
class Envelope:
    """A message addressed to node `dst` (the sender is `msg.src`)."""

    dst: int
    msg: Message

    @property
    def src(self) -> int:
        return self.msg.src

    def sort_key(self) -> tuple[int, str]:
        """A deterministic order for listing envelopes (messages themselves are unordered)."""
        return (self.dst, repr(self.msg))


@dataclass(frozen=True, slots=True)
class Propose:
    """A client asks proposer `node` to propose `value`."""

    node: int
    value: Value


@dataclass(frozen=True, slots=True)
class Deliver:
    """The network hands `env` to its destination."""

    env: Envelope


@dataclass(frozen=True, slots=True)
class Drop:
    """The network loses one copy of `env` (bag network only)."""

    env: Envelope


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The network makes one more copy of `env` (bag network only)."""

    env: Envelope


@dataclass(frozen=True, slots=True)
class Crash:
    """Node `node` crashes: it loses volatile state and receives nothing until restarted."""

    node: int


@dataclass(frozen=True, slots=True)
class Restart:
    """Crashed node `node` comes back with its durable state."""

    node: int


@dataclass(frozen=True, slots=True)
class Timeout:
    """Proposer `node` gives up on its ballot and starts a higher one."""

    node: int


Action = Union[Propose, Deliver, Drop, Duplicate, Crash, Restart, Timeout]


@dataclass(frozen=True)
class Budgets:
    """How many faults and ballots a run may use; None means unlimited."""

    crashes: int | None = None
    drops: int | None = None
    duplicates: int | None = None
    ballots: int | None = None  # ballots per proposer, the first included


def resolve(config: ClusterConfig, dest: Dest) -> tuple[int, ...]:
    """Node ids a destination stands for (a role broadcasts to all its members)."""
    if isinstance(dest, NodeRole):
        return config.members_of(dest)
    if dest not in config.node_ids:
        raise ProtocolError(f"a node sent to id {dest!r}, which is not in the cluster {list(config.node_ids)}")
    return (dest,)


def chosen_values(config: ClusterConfig, history: Iterable[Accepted]) -> set[Value]:
    """Values chosen: accepted by a phase-2 quorum at one ballot, per the Accepted ever sent (ghost)."""
    voters: dict[tuple[object, Value], set[int]] = {}
    for m in history:
        voters.setdefault((m.bal, m.val), set()).add(m.src)
    return {val for (_, val), srcs in voters.items() if config.quorums.is_phase2_quorum(srcs)}


class Cluster:
    """Nodes and a network. `step(action)` is deterministic; `enabled()` lists what may happen next."""

    def __init__(
        self,
        config: ClusterConfig,
        factory: NodeFactory | None = None,
        network: str = "set",
        budgets: Budgets = Budgets(),
        logger: object | None = None,
    ) -> None:
        if network not in NETWORKS:
            raise ConfigurationError(f"unknown network {network!r}; use one of {', '.join(NETWORKS)}")
        if factory is None:
            from paxos._node import paxos_node_factory

            factory = paxos_node_factory
        self.config, self.network, self.budgets, self.logger = config, network, budgets, logger
        self.nodes: dict[int, NodeProtocol] = {}
        for node_id in config.node_ids:
            node = factory(node_id, config)
            lacking = missing_methods(node)
            if lacking:
                raise ConfigurationError(
                    f"node {node_id} built by the factory lacks {', '.join(lacking)}; see NodeProtocol"
                )
            self.nodes[node_id] = node
        self.in_flight: Counter[Envelope] = Counter()
        self.crashed: set[int] = set()
        self.history: set[Accepted] = set()
        self.proposed: set[Value] = set()
        self.used = Counter[str]()
        self.ballots_started: Counter[int] = Counter()
        self.steps = 0

    # -- what may happen ---------------------------------------------------------------------

    def _within(self, kind: str, limit: int | None) -> bool:
        return limit is None or self.used[kind] < limit

    def enabled(self, values: Iterable[Value] = ()) -> list[Action]:
        """Every action possible now (proposals of the given `values` included)."""
        actions: list[Action] = []
        ballots = self.budgets.ballots
        for p in self.config.proposers:
            if p in self.crashed:
                continue
            if self.ballots_started[p] == 0:
                actions.extend(Propose(p, v) for v in values)
            elif ballots is None or self.ballots_started[p] < ballots:
                actions.append(Timeout(p))
        for env in sorted(self.in_flight, key=Envelope.sort_key):
            if env.dst not in self.crashed:
                actions.append(Deliver(env))
            if self.network == "bag":
                if self._within("drops", self.budgets.drops):
                    actions.append(Drop(env))
                if self._within("duplicates", self.budgets.duplicates):
                    actions.append(Duplicate(env))
        for n in self.config.node_ids:
            if n in self.crashed:
                actions.append(Restart(n))
            elif self._within("crashes", self.budgets.crashes):
                actions.append(Crash(n))
        return actions

    # -- what happens --------------------------------------------------------------------------

    def step(self, action: Action) -> list[Envelope]:
        """Apply one action; returns the envelopes it sent. Raises ProtocolError if not enabled."""
        sent: list[Envelope] = []
        if isinstance(action, Propose):
            self._require_up(action.node)
            self.proposed.add(action.value)
            self.ballots_started[action.node] += 1
            sent = self._send(self.nodes[action.node].propose(action.value))
        elif isinstance(action, Timeout):
            self._require_up(action.node)
            self.ballots_started[action.node] += 1
            sent = self._send(self.nodes[action.node].on_timeout())
        elif isinstance(action, Deliver):
            self._require_in_flight(action.env)
            self._require_up(action.env.dst)
            if self.network == "bag":
                self.in_flight[action.env] -= 1
                if not self.in_flight[action.env]:
                    del self.in_flight[action.env]
            sent = self._send(self.nodes[action.env.dst].on_message(action.env.msg))
        elif isinstance(action, (Drop, Duplicate)):
            if self.network != "bag":
                raise ProtocolError("drop and duplicate need the bag network; the set network already covers loss")
            self._require_in_flight(action.env)
            kind = "drops" if isinstance(action, Drop) else "duplicates"
            self.used[kind] += 1
            self.in_flight[action.env] += 1 if isinstance(action, Duplicate) else -1
            if not self.in_flight[action.env]:
                del self.in_flight[action.env]
        elif isinstance(action, Crash):
            self._require_up(action.node)
            self.used["crashes"] += 1
            self.nodes[action.node].crash()
            self.crashed.add(action.node)
        elif isinstance(action, Restart):
            if action.node not in self.crashed:
                raise ProtocolError(f"node {action.node} is not crashed, so it cannot restart")
            self.crashed.discard(action.node)
        else:
            raise ProtocolError(f"unknown action {action!r}")
        self.steps += 1
        if self.logger is not None:
            self._log(action, sent)
        return sent

    def _send(self, outputs: Outputs) -> list[Envelope]:
        sent = []
        for dest, msg in outputs:
            if isinstance(msg, Accepted):
                self.history.add(msg)
            for dst in resolve(self.config, dest):
                env = Envelope(dst, msg)
                if self.network == "set":
                    self.in_flight[env] = 1
                else:
                    self.in_flight[env] += 1
                sent.append(env)
        return sent

    def _require_up(self, node: int) -> None:
        if node not in self.nodes:
            raise ProtocolError(f"node {node} is not in the cluster {list(self.config.node_ids)}")
        if node in self.crashed:
            raise ProtocolError(f"node {node} is crashed; restart it first")

    def _require_in_flight(self, env: Envelope) -> None:
        if env not in self.in_flight:
            raise ProtocolError(f"{env} is not in the network")

    def _log(self, action: Action, sent: list[Envelope]) -> None:
        log = getattr(self.logger, "log")
        name = type(action).__name__.lower()
        if isinstance(action, (Deliver, Drop, Duplicate)):
            log("receive" if isinstance(action, Deliver) else name, action.env.dst, action.env.src, action.env.msg)
        else:
            node = getattr(action, "node")
            log(name, node, None, None, "", f"value {action.value!r}" if isinstance(action, Propose) else "")
        for env in sent:
            log("send", env.src, env.dst, env.msg)

    # -- what is true ----------------------------------------------------------------------------

    def chosen(self) -> set[Value]:
        """Values chosen so far (ghost: from every Accepted ever sent, not from learners)."""
        return chosen_values(self.config, self.history)

    def learned(self) -> dict[int, Value]:
        """What each learner has learned (None if nothing yet)."""
        return {n: self.nodes[n].learned() for n in self.config.learners}

    def snapshot(self) -> Hashable:
        """The whole cluster state, hashable."""
        return (
            tuple(self.nodes[n].snapshot() for n in self.config.node_ids),
            tuple(sorted(self.in_flight.items(), key=lambda item: item[0].sort_key())),
            frozenset(self.crashed),
            frozenset(self.history),
        )

    def run(
        self,
        values: Iterable[Value],
        seed: int,
        max_steps: int = 10_000,
        crash_rate: float = 0.0,
        timeout_rate: float = 0.0,
    ) -> int:
        """Propose `values` (one per proposer, in order) and deliver messages in a seeded random
        order, each sent envelope delivered at most once, until nothing is left or `max_steps`;
        optionally crash (and later restart) nodes and time proposers out. Returns the steps taken."""
        rng = random.Random(seed)
        for p, v in zip(self.config.proposers, values):
            self.step(Propose(p, v))
        pending = Counter(self.in_flight)
        taken = 0
        while taken < max_steps:
            choices: list[Action] = [Deliver(e) for e in sorted(pending, key=Envelope.sort_key) if e.dst not in self.crashed]
            if crash_rate and rng.random() < crash_rate:
                choices += [a for a in self.enabled() if isinstance(a, (Crash, Restart))]
            if timeout_rate and rng.random() < timeout_rate:
                choices += [a for a in self.enabled() if isinstance(a, Timeout)]
            if not choices:
                choices = [Restart(n) for n in sorted(self.crashed)]
            if not choices:
                break
            action = rng.choice(choices)
            sent = self.step(action)
            if isinstance(action, Deliver):
                pending[action.env] -= 1
                if not pending[action.env]:
                    del pending[action.env]
            for env in sent:
                pending[env] += 1
            taken += 1
        return taken
