"""The in-process cluster: nodes plus a network, advanced by one deterministic `step(action)`.

Owns the network semantics of DESIGN.md (`set`: every sent message stays
deliverable; `bag`: in-flight multiset with drop/duplicate), crash/restart,
fault budgets, and the ghost history of Accepted messages from which
"chosen" is computed. Randomness only in `run()`, from an explicit seed.
Every call into a node goes through `paxos._guard`: a node that raises or
returns malformed outputs raises `NodeFault` (property `node_error`), and the
step that met it changes nothing of the cluster's own state.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from paxos._config import ClusterConfig, NodeRole
from paxos._errors import ConfigurationError, ProtocolError
from paxos._guard import NodeFault, call_handler, call_node, checked_snapshot
from paxos._messages import Accepted, Message, Value, check_value
from paxos._protocol import NodeFactory, NodeProtocol, missing_methods
from paxos._roles import Dest, Outputs
from paxos._state import AcceptorDurable

if TYPE_CHECKING:
    from paxos._csvlog import PaxosLogger

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


Action: TypeAlias = Propose | Deliver | Drop | Duplicate | Crash | Restart | Timeout


@dataclass(frozen=True)
class Budgets:
    """How many faults and ballots a run may use; None means unlimited."""

    crashes: int | None = None
    drops: int | None = None
    duplicates: int | None = None
    #: ballots per proposer, the first included: one limit for all, or one per proposer in
    #: `ClusterConfig.proposers` order
    ballots: int | tuple[int, ...] | None = None
    #: a state constraint for nodes that start ballots by themselves: a message of a ballot round
    #: above this is recorded as sent but never delivered (the network loses it)
    max_round: int | None = None

    def __post_init__(self) -> None:
        for name, least in (("crashes", 0), ("drops", 0), ("duplicates", 0), ("ballots", 1), ("max_round", 0)):
            limit = getattr(self, name)
            limits = limit if name == "ballots" and isinstance(limit, tuple) and limit else (limit,)
            if limit is not None and any(isinstance(x, bool) or not isinstance(x, int) or x < least for x in limits):
                what = "an integer" + (" (or a tuple of them, one per proposer)" if name == "ballots" else "")
                raise ConfigurationError(f"budget {name} must be None (unlimited) or {what} >= {least}, got {limit!r}")

    def ballots_for(self, position: int) -> int | None:
        """The ballot budget of the proposer at `position` in `ClusterConfig.proposers` (None: unlimited)."""
        if isinstance(self.ballots, tuple):
            return self.ballots[position]
        return self.ballots


def beyond_round(msg: Message, max_round: int | None) -> bool:
    """Is `msg` of a ballot round above `max_round` (so never delivered under that constraint)?"""
    return max_round is not None and msg.bal.round > max_round


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
        logger: PaxosLogger | None = None,
    ) -> None:
        if not isinstance(config, ClusterConfig):
            raise ConfigurationError(
                f"Cluster needs a ClusterConfig (e.g. ClusterConfig.separate(3)), got {config!r}"
            )
        if network not in NETWORKS:
            raise ConfigurationError(f"unknown network {network!r}; use one of {', '.join(NETWORKS)}")
        if not isinstance(budgets, Budgets):
            raise ConfigurationError(f"budgets must be a Budgets(...), got {budgets!r}")
        if isinstance(budgets.ballots, tuple) and len(budgets.ballots) != len(config.proposers):
            raise ConfigurationError(
                f"Budgets(ballots={budgets.ballots!r}) gives {len(budgets.ballots)} limit(s) for "
                f"{len(config.proposers)} proposer(s); give one per proposer, or one integer for all"
            )
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
        self.sent: set[Message] = set()  # ghost: every message ever sent
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
        for position, p in enumerate(self.config.proposers):
            if p in self.crashed:
                continue
            ballots = self.budgets.ballots_for(position)
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
        """Apply one action; returns the envelopes it sent.

        Raises ProtocolError, changing nothing, if the action is impossible now
        (a crashed or unknown node, a message not in flight, a non-proposer
        proposing) or would exceed a budget. Unlike `enabled()`, it lets a
        proposer propose again (a new value and a higher ballot) within its
        ballot budget.
        """
        sent: list[Envelope] = []
        before = self._observe(action) if self.logger is not None else None
        if isinstance(action, Propose):
            self._require_proposer(action.node)
            check_value(action.value)
            node = action.node
            sent = self._send(node, "propose", call_handler(node, "propose", self.nodes[node].propose, action.value))
            self.proposed.add(action.value)
            self.ballots_started[action.node] += 1
        elif isinstance(action, Timeout):
            self._require_proposer(action.node)
            node = action.node
            sent = self._send(node, "on_timeout", call_handler(node, "on_timeout", self.nodes[node].on_timeout))
            self.ballots_started[action.node] += 1
        elif isinstance(action, Deliver):
            self._require_in_flight(action.env)
            self._require_up(action.env.dst)
            dst = action.env.dst
            outputs = call_handler(dst, "on_message", self.nodes[dst].on_message, action.env.msg)
            if self.network == "bag":
                self.in_flight[action.env] -= 1
                if not self.in_flight[action.env]:
                    del self.in_flight[action.env]
            sent = self._send(dst, "on_message", outputs)
        elif isinstance(action, (Drop, Duplicate)):
            if self.network != "bag":
                raise ProtocolError("drop and duplicate need the bag network; the set network already covers loss")
            self._require_in_flight(action.env)
            kind = "drops" if isinstance(action, Drop) else "duplicates"
            self._require_budget(kind, getattr(self.budgets, kind))
            self.used[kind] += 1
            self.in_flight[action.env] += 1 if isinstance(action, Duplicate) else -1
            if not self.in_flight[action.env]:
                del self.in_flight[action.env]
        elif isinstance(action, Crash):
            self._require_up(action.node)
            self._require_budget("crashes", self.budgets.crashes)
            call_node(action.node, "crash", self.nodes[action.node].crash)
            self.used["crashes"] += 1
            self.crashed.add(action.node)
        elif isinstance(action, Restart):
            if action.node not in self.crashed:
                raise ProtocolError(f"node {action.node} is not crashed, so it cannot restart")
            self.crashed.discard(action.node)
        else:
            raise ProtocolError(f"unknown action {action!r}")
        self.steps += 1
        if before is not None:
            self._log(action, sent, before)
        return sent

    def _send(self, node: int, method: str, outputs: Outputs) -> list[Envelope]:
        """Put `node`'s outputs on the network; a destination outside the cluster is the node's fault."""
        targets = []
        for dest, _ in outputs:
            try:
                targets.append(resolve(self.config, dest))
            except ProtocolError as exc:
                raise NodeFault(node, method, str(exc)) from None
        sent = []
        for (_, msg), dsts in zip(outputs, targets, strict=True):
            self.sent.add(msg)
            if beyond_round(msg, self.budgets.max_round):
                continue  # sent, but lost: above the run's highest ballot round
            for dst in dsts:
                env = Envelope(dst, msg)
                if self.network == "set":
                    self.in_flight[env] = 1
                else:
                    self.in_flight[env] += 1
                sent.append(env)
        return sent

    def _require_proposer(self, node: int) -> None:
        self._require_up(node)
        if node not in self.config.proposers:
            raise ProtocolError(
                f"node {node} is not a proposer (proposers: {list(self.config.proposers)}); "
                "propose and time out only on proposer nodes"
            )
        limit = self.budgets.ballots_for(self.config.proposers.index(node))
        if limit is not None and self.ballots_started[node] >= limit:
            raise ProtocolError(
                f"proposer {node} has used all {limit} ballot(s) of its budget; raise Budgets(ballots=...) "
                "to let it start more"
            )

    def _require_budget(self, kind: str, limit: int | None) -> None:
        if not self._within(kind, limit):
            raise ProtocolError(f"the {kind} budget ({limit}) is used up; raise Budgets({kind}=...) to allow more")

    def _require_up(self, node: int) -> None:
        if node not in self.nodes:
            raise ProtocolError(f"node {node} is not in the cluster {list(self.config.node_ids)}")
        if node in self.crashed:
            raise ProtocolError(f"node {node} is crashed; restart it first")

    def _require_in_flight(self, env: Envelope) -> None:
        if env not in self.in_flight:
            raise ProtocolError(f"{env} is not in the network")

    def _observe(self, action: Action) -> tuple[int, object, Value]:
        """The acting node and what the log reports of it: its acceptor state and learned value."""
        node_id = action.env.dst if isinstance(action, (Deliver, Drop, Duplicate)) else action.node
        node = self.nodes.get(node_id)
        if node is None:
            return node_id, None, None
        return node_id, call_node(node_id, "acceptor_state", node.acceptor_state), call_node(node_id, "learned",
                                                                                              node.learned)

    def _log(self, action: Action, sent: list[Envelope], before: tuple[int, object, Value]) -> None:
        """One row for the action (with the acting node's state change), one per message sent, and a
        `learn` row when a learner learns."""
        assert self.logger is not None
        log = self.logger.log
        node_id, acc_before, learned_before = before
        _, acc_after, learned_after = self._observe(action)
        change = []
        if isinstance(acc_before, AcceptorDurable) and isinstance(acc_after, AcceptorDurable):
            if acc_before.promised != acc_after.promised:
                change.append(f"promised {acc_before.promised} -> {acc_after.promised}")
            if (acc_before.accepted_bal, acc_before.accepted_val) != (acc_after.accepted_bal, acc_after.accepted_val):
                val = acc_after.accepted_val
                change.append(f"accepted {acc_before.accepted_bal} -> {acc_after.accepted_bal} {val!r}")
        name = type(action).__name__.lower()
        if isinstance(action, (Deliver, Drop, Duplicate)):
            event = "receive" if isinstance(action, Deliver) else name
            log(event, action.env.dst, action.env.src, action.env.msg, "; ".join(change))
        else:
            value = action.value if isinstance(action, Propose) else None
            detail = f"value {value!r}" if value is not None else ""
            log(name, action.node, None, None, "; ".join(change), detail, value)
        for env in sent:
            log("send", env.src, env.dst, env.msg)
        if learned_before is None and learned_after is not None:
            log("learn", node_id, None, None, f"learned {learned_after!r}", "", learned_after)

    # -- what is true ----------------------------------------------------------------------------

    @property
    def history(self) -> frozenset[Accepted]:
        """Every Accepted ever sent (ghost state: "chosen" is computed from it)."""
        return frozenset(m for m in self.sent if isinstance(m, Accepted))

    def chosen(self) -> set[Value]:
        """Values chosen so far (ghost: from every Accepted ever sent, not from learners)."""
        return chosen_values(self.config, self.history)

    def learned(self) -> dict[int, Value]:
        """What each learner has learned (None if nothing yet)."""
        return {n: call_node(n, "learned", self.nodes[n].learned) for n in self.config.learners}

    def snapshot(self) -> Hashable:
        """The whole world, hashable: node states, network, crashed nodes, budgets used, ghost state.

        The checker's explorer encodes the same world; their fingerprints agree.
        """
        return (
            tuple(checked_snapshot(n, self.nodes[n].snapshot) for n in self.config.node_ids),
            frozenset(self.in_flight.items()),
            frozenset(self.crashed),
            (self.used["crashes"], self.used["drops"], self.used["duplicates"]),
            tuple(self.ballots_started[p] for p in self.config.proposers),
            frozenset(self.sent),
            frozenset(self.proposed),
        )

    def run(
        self,
        values: Iterable[Value],
        seed: int,
        max_steps: int = 10_000,
        crash_rate: float = 0.0,
        timeout_rate: float = 0.0,
    ) -> int:
        """A seeded random run: propose, then deliver in random order; returns the steps taken.

        `values` are proposed by the first proposers, one each, in order.
        Then each sent envelope is delivered at most once, in an order drawn
        from `seed`, until nothing is left or `max_steps`; with probability
        `crash_rate` per step a crash or restart (within the budgets) may be
        drawn, with `timeout_rate` a proposer timeout. Same seed, same run.
        """
        proposals = list(values)
        if len(proposals) > len(self.config.proposers):
            raise ConfigurationError(
                f"{len(proposals)} values for {len(self.config.proposers)} proposer(s); "
                "pass at most one value per proposer"
            )
        for rate_name, rate in (("crash_rate", crash_rate), ("timeout_rate", timeout_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ConfigurationError(f"{rate_name} must be a probability between 0 and 1, got {rate!r}")
        rng = random.Random(seed)
        for p, v in zip(self.config.proposers, proposals, strict=False):
            self.step(Propose(p, v))
        pending = Counter(self.in_flight)
        taken = 0
        while taken < max_steps:
            choices: list[Action] = [
                Deliver(e) for e in sorted(pending, key=Envelope.sort_key) if e.dst not in self.crashed
            ]
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
