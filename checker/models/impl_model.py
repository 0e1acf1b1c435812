"""The implementation model: a cluster of real nodes (ours or `--impl`) as a `checker.model.Model`.

Owns the assembly of the parts and the `Model` face a search sees; each part owns one job:
impl_tables.py (interning, keys, node steps), impl_layout.py (state slots), impl_successors.py
(transitions), impl_saturation.py (mailbox caches, saturation), impl_verdicts.py (properties),
impl_apart.py (learners apart), impl_spelling.py (real traces), impl_views.py (decoding, text),
impl_orbits.py (symmetry hooks), impl_wire.py (wire and partitions). Semantics are those of
`paxos.Cluster`, which `describe` replays to write traces. Properties come from `properties/`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Any

from checker.config import CheckConfig
from checker.fingerprint import fp_hex
from checker.model import PropertyInfo, StepRow
from checker.models.impl_apart import LearnersApart
from checker.models.impl_encoding import (
    CRASH,
    CRASH_RESTART,
    DELIVER,
    DROP,
    DUPLICATE,
    KIND_NAMES,
    PROPOSE,
    RESTART,
    TIMEOUT,
    ImplState,
)
from checker.models.impl_layout import FP
from checker.models.impl_orbits import Orbits, least_image
from checker.models.impl_por import QuietBlocks
from checker.models.impl_saturation import Mailboxes
from checker.models.impl_spelling import Spelling
from checker.models.impl_successors import Action, Expansion, Successors
from checker.models.impl_tables import MASK64, ImplTables, NodeTransition
from checker.models.impl_verdicts import Verdicts
from checker.models.impl_views import Views
from checker.models.impl_wire import Wire, WireFace
from checker.models.reductions import Reductions, inert_kinds
from checker.user_properties import run_properties
from paxos import AcceptorDurable, Message, NodeFactory, Value
from paxos import Action as ClusterAction
from properties.invariants import PROPERTIES, WorldView
from properties.refinement import Refinement

#: Partition a parallel BFS by the acceptors' snapshots (`ImplModel.partition_key`), else by fingerprint.
PARTITION_BY_ACCEPTORS = True


class ImplModel:
    """Explore every interleaving of a cluster of nodes built by a factory, within `CheckConfig` bounds.

    States are flat tuples of small integers (impl_layout.StateLayout names the slots): each node
    snapshot, each message and each envelope is interned once (`tables`), and every node transition
    is computed once per (node state, input) and cached. The fingerprint is the XOR of stable
    per-component keys (Zobrist hashing), updated incrementally per step, so it is the same in every
    process although the interned ids are not.
    """

    kind = "impl"

    def __init__(self, cfg: CheckConfig, factory: NodeFactory | None = None, refinement: bool = True,
                 reductions: Reductions | None = None, deviation_stops: bool = True) -> None:
        """`deviation_stops=False` (`--deviation warn`): a `refines_spec` violation is reported but does
        not end a search that stops on the first violation."""
        t = self.tables = ImplTables(cfg, factory)
        self.gathered_from_workers = False  # gather_node_transitions was called: the node checks see every process's
        # the public names of the tables, as they always were
        self.cfg, self.cc, self.factory, self.ids, self.k, self.index = t.cfg, t.cc, t.factory, t.ids, t.k, t.index
        self.nodes, self.bag, self.p, self.values, self.proposal_of = t.nodes, t.bag, t.p, t.values, t.proposal_of
        self.proposer_idx, self.acceptor_idx, self.learner_idx = t.proposer_idx, t.acceptor_idx, t.learner_idx
        self.snaps, self.snap_id, self.msgs, self.msg_id = t.snaps, t.snap_id, t.msgs, t.msg_id
        self.envs, self.env_id, self.faults, self.layout = t.envs, t.env_id, t.faults, t.layout
        # the built-ins and the user's (--property); the user's step properties read whole views
        self.props = run_properties(cfg)
        spec_ballots = max(cfg.max_ballots, (cfg.max_round or 0) + 1)
        self.refinement = Refinement(self.cc, self.values, spec_ballots) if refinement else None
        if self.refinement is not None and not self.refinement.applicable:
            self.refinement = None  # flexible quorums: Paxos.tla has one quorum system, so no mapping
        self.ballot_limits = cfg.ballot_limits()
        self.reductions = self._choose_reductions(reductions if reductions is not None else Reductions())
        self.views = Views(t)
        pure = [i for i in t.learner_idx if i not in t.acceptor_idx and i not in t.proposer_idx]
        self.apart = pure if self.reductions.learners_apart else []
        apart = LearnersApart(t, self.views, self.apart)
        self.verdicts = Verdicts(t, self.views, self.props, self.refinement, apart, deviation_stops)
        self.mailboxes = Mailboxes(t, inert_entries=self.reductions.saturation)
        red = self.reductions
        #: the search's successors, and the same without saturation and prompt restarts, and without any reduction
        self.search_successors = Successors(t, self.mailboxes, self.verdicts, saturating=red.saturation,
                                            null_crashes=red.crash, prompt_restart=red.prompt_restart,
                                            apart_mask=apart.mask)
        #: quiet blocks (reductions.py, 6) over the search's successors, or None
        self.por = (QuietBlocks(self.search_successors, self.mailboxes, t, self.quiet_nodes(),
                                crashes=red.prompt_restart) if red.por else None)
        self._expand = self.por.expand if self.por is not None else self.search_successors.expand
        self.unsaturated_successors = Successors(t, self.mailboxes, self.verdicts, saturating=False,
                                                 null_crashes=red.crash, prompt_restart=False, apart_mask=apart.mask)
        self.unreduced_successors = Successors(t, self.mailboxes, self.verdicts, saturating=False,
                                               null_crashes=False, prompt_restart=False, apart_mask=0)
        self.spelling = Spelling(red.saturation, self.unsaturated_successors, self.unreduced_successors,
                                 self.mailboxes, apart, self.verdicts, self.por)
        self.orbits = Orbits(t)
        self.wire = WireFace(t, self.verdicts.acceptors_of)
        self._last: tuple[ImplState, Expansion] | None = None  # the last state's expansion, by value
        self._initial = t.make_initial()
        if not PARTITION_BY_ACCEPTORS:
            self.partition_key = None  # type: ignore[assignment]  # checker.model.partition_keys: none

    def _choose_reductions(self, wanted: Reductions) -> Reductions:
        """The reductions of checker/models/reductions.py that apply here; sets the inert message kinds."""
        reads = [p.reads for p in self.props] + ([Refinement.READS] if self.refinement is not None else [])
        self.tables.inert_names = inert_kinds(reads)
        wanted = wanted.for_network(self.cfg.network)
        t = self.tables
        pure = [i for i in t.learner_idx if i not in t.acceptor_idx and i not in t.proposer_idx]
        user_steps = any(p.kind == "step" and p not in PROPERTIES for p in self.props)
        return Reductions(saturation=wanted.saturation and bool(self.tables.inert_names),
                          crash=wanted.crash,
                          prompt_restart=wanted.prompt_restart,
                          # a user's step property may read learners, whose steps are not explored then
                          learners_apart=wanted.learners_apart and bool(pure) and not user_steps,
                          # quiet blocks need a node no property reads (a pure proposer)
                          por=wanted.por and bool(self.quiet_nodes()))

    def quiet_nodes(self) -> list[int]:
        """The nodes whose snapshots no property reads (reductions.py, 6): proposers that are neither
        acceptors nor learners (a `WorldView` has acceptor states and learned values, not proposers)."""
        t = self.tables
        return [i for i in t.proposer_idx if i not in t.acceptor_idx and i not in t.learner_idx]

    @property
    def accepted_mask(self) -> int:
        """The message ids of Accepted messages, as a bit set."""
        return self.tables.accepted_mask

    # -- the Model interface ------------------------------------------------------------------------

    def config(self) -> dict[str, object]:
        return self.cfg.to_json()

    def properties(self) -> Sequence[PropertyInfo]:
        return self.verdicts.infos

    def initial_states(self) -> Iterable[ImplState]:
        return (self._initial,)

    def successors(self, state: ImplState) -> Iterator[tuple[Action, ImplState]]:
        """`expand`, zipped; kept for `step_violated` on the same state (a search without `expand` asks
        it once per transition)."""
        out = self._expand(state)
        self._last = (state, out)
        return zip(out[0], out[1], strict=True)

    def expand(self, state: ImplState) -> Expansion:
        """Every transition of `state` at once: (actions, successor states, [(index, step properties broken)]).

        The search's fast path: one call per state, step verdicts included, so a strategy
        needs no per-transition call back into the model.
        """
        return self._expand(state)

    #: its compiled core runs `--workers N` as N threads of this process (checker/models/impl_core_threads.py)
    flat_core_workers = True

    def flat_core(self) -> Any:
        """The compiled core (checker/models/impl_core.py) of checker/search/flat_bfs.py's `--engine compiled`;
        None when it cannot explore this model exactly (`flat_core_refusal` says why; the Python engine runs it)."""
        from checker.models.impl_core import ImplCore
        from checker.models.impl_core_refusal import refusal

        return None if refusal(self) is not None else ImplCore(self)

    def flat_core_refusal(self) -> str | None:
        """Why the compiled core cannot explore this model exactly, or None."""
        from checker.models.impl_core_refusal import refusal

        return refusal(self)

    def step_violated(self, state: ImplState, action: Action, succ: ImplState) -> Sequence[str]:
        last = self._last
        if last is None or (last[0] is not state and last[0] != state):  # `is` first: asked per transition
            last = self._last = (state, self._expand(state))
        actions, states, broken = last[1]
        for j, names in broken:  # under quiet blocks one action can lead to several states: match both
            if actions[j] == action and states[j] == succ:
                return names
        return ()

    def fingerprint(self, state: ImplState) -> int:
        """Stable across processes: XOR of the components' stable keys (Zobrist), kept in the state (its
        low 64 bits: above them, with `symmetric_fingerprints` on, the changes of its images)."""
        return int(state[FP]) & MASK64

    def recompute_fingerprint(self, state: ImplState) -> int:
        """The fingerprint from scratch (tests check it equals the incremental one)."""
        return self.tables.recompute_fingerprint(state)

    def fingerprint_text(self, state: ImplState) -> str:
        return fp_hex(self.fingerprint(state))

    def violated(self, state: ImplState) -> Sequence[str]:
        return self.verdicts.violated(state)

    def witnessed(self, state: ImplState) -> Sequence[str]:
        return self.verdicts.witnessed(state)

    def node_transitions(self) -> Iterator[NodeTransition]:
        """Every node transition computed so far, as values (`ImplTables.node_transitions`); read by
        checker/models/hash_order.py and fidelity.py."""
        return self.tables.node_transitions()

    def gather_node_transitions(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Take in the node transitions a BFS's worker processes computed (bfs.py, at the end of a search over
        --workers), as values: `node_transitions` then yields them too, for the node checks."""
        self.tables.gather(rows)
        self.gathered_from_workers = True

    def transition_key(self, state: ImplState, action: Action, real: bool = False) -> tuple[int, int, int, int] | None:
        """The node transition (`node_transitions`' key) that `action` takes in `state`, None for an action
        that runs no node code (restart, drop, duplicate). Under reductions a step may take more (inert
        deliveries, a quiet block): `real_steps` spells those out, and `real=True` says `action` is one of
        those real steps (then it runs from `state[i]` even for a node whose steps quiet blocks merge)."""
        kind, i, arg = action
        if not real and self.por is not None and i in self.por.eligible:
            return None  # quiet blocks: the step may start from a snapshot its quiet steps reached, not state[i]
        if kind == DELIVER:
            return (i, state[i], DELIVER, self.tables.envs[arg][1])
        if kind in (PROPOSE, TIMEOUT):
            return (i, state[i], kind, arg)
        if kind == CRASH:
            return (i, state[i], CRASH, 0)
        return None

    def step_detail(self, state: ImplState, action: tuple[int, int, int]) -> str:
        """What went wrong in a step that broke node_error (the method, exception and file:line)."""
        return self.tables.step_detail(state, action)

    # -- counterexamples as real steps (impl_spelling.py) ---------------------------------------------

    def spell_out(self, initial: ImplState, steps: Sequence[tuple[Action, ImplState]],
                  prop: str | None) -> list[tuple[Action, ImplState]]:
        """A reduced path as real steps of the unreduced model, for the trace of `prop`."""
        return self.spelling.spell_out(initial, steps, prop)

    def real_steps(self, state: ImplState, action: Action, succ: ImplState) -> list[tuple[Action, ImplState]]:
        """The unreduced steps one reduced transition stands for."""
        return self.spelling.real_steps(state, action, succ)

    def completion(self, state: ImplState, prop: str | None) -> list[tuple[Action, ImplState]]:
        """The apart learners' own steps that make `prop` fail (or, for `sometimes`, hold) after `state`."""
        return self.spelling.completion(state, prop)

    # -- views, decoding, descriptions (impl_views.py) ------------------------------------------------

    def node_states(self, state: ImplState) -> tuple[Hashable, ...]:
        return self.views.node_states(state)

    def acceptor_states(self, state: ImplState) -> dict[int, AcceptorDurable]:
        return self.views.acceptor_states(state)

    def sent_messages(self, state: ImplState) -> frozenset[Message]:
        return self.views.sent_messages(state)

    def view(self, state: ImplState, apart_learned: dict[int, Value] | None = None) -> WorldView:
        """What properties see; `apart_learned` replaces the apart learners' values (learners apart)."""
        return self.views.view(state, apart_learned)

    def world(self, state: ImplState) -> Hashable:
        """The state as `paxos.Cluster.snapshot()` would give it (same shape, same fingerprint)."""
        return self.views.world(state)

    def cluster_action(self, action: Action) -> ClusterAction:
        """The `paxos.Cluster` action this model action stands for."""
        return self.views.cluster_action(action)

    def describe(self, state: ImplState, action: Action, succ: ImplState) -> StepRow:
        return self.views.describe(state, action, succ)

    def chosen_text(self, state: ImplState) -> str:
        """The chosen value(s) of a state, for graphs ("" if none)."""
        return self.views.chosen_text(state)

    def describe_state(self, state: ImplState) -> str:
        return self.views.describe_state(state)

    def coverage_summary(self) -> dict[str, str]:
        """Coverage facts known only to the model: the highest ballot any message carried."""
        return self.views.coverage_summary()

    def coverage_keys(self, action: Action) -> Sequence[tuple[str, str]]:
        return self.views.coverage_keys(action)

    def stable_action(self, action: Action) -> tuple[int, int, str]:
        """The action as every process names it (an envelope id spelled out as its message)."""
        return self.views.stable_action(action)

    # -- the wire and partitions of a parallel search (impl_wire.py) ----------------------------------

    def to_wire(self, states: Sequence[ImplState], peer: Hashable = None) -> Wire:
        """States as another process can read them (checker/models/impl_wire.py): on their own, or
        with only the table entries not sent to `peer` before."""
        return self.wire.to_wire(states, peer)

    def from_wire(self, wire: Wire, peer: Hashable = None) -> Sequence[ImplState]:
        """States packed by `to_wire` in any process, in this model's ids (rewritten when read); the
        batches from one `peer` in the order it packed them."""
        return self.wire.from_wire(wire, peer)

    def partition_key(self, state: ImplState) -> int:
        """The partition of a parallel BFS owning `state`: its acceptors' snapshots only (their stable
        Zobrist keys), so the many steps that leave every acceptor as it was (deliveries to proposers,
        timeouts, crashes of proposers) keep a successor in its parent's partition and it is not sent
        to another process. With PARTITION_BY_ACCEPTORS = False the model has no such hook (then: the
        fingerprint)."""
        return self.wire.partition_key(state)

    def partition_keys(self, states: Sequence[ImplState]) -> Any:
        """`partition_key` of each state, as an array of uint64 (the bulk form a parallel BFS uses:
        no call per state, one cached key per combination of acceptor snapshots)."""
        return self.wire.partition_keys(states)

    # -- symmetry: acceptor renaming, owned by impl_symmetry.py; its search hooks by impl_orbits.py ---

    def canonical(self, state: ImplState) -> ImplState:
        """The representative of `state`'s orbit under acceptor renaming (`--symmetry`): the image with
        the smallest fingerprint. A search does not need it once `symmetric_fingerprints` is on."""
        return self.orbits.canonical(state)

    def symmetric_fingerprints(self) -> None:
        """Make every key carry its changes under acceptor renaming, so that each state knows the
        fingerprints of all its images (`orbit_fingerprint`) without renaming anything.

        A Zobrist fingerprint is the XOR of per-component keys, so the fingerprint of image g.s
        is fp(s) XOR the XOR over components c of (key(c) XOR key(g.c)). Each key gets those
        changes for every group element packed above its low 64 bits; the fingerprint slot,
        updated by the same XORs as before, then holds fp(s) in its low 64 bits and every
        image's change above. `fingerprint` stays the state's own (the low bits). Idempotent."""
        if not self.orbits.start_orbit_keys():
            return
        t = self.tables
        for cache in (t.z_env_cache, t.z_msgs, t.z_add, self.mailboxes.deliveries, self.wire.partition_cache):
            cache.clear()
        self._initial = (*self._initial[:FP], t.recompute_fingerprint(self._initial))

    def orbit_fingerprint(self, state: ImplState) -> int:
        """The least fingerprint among the images of `state` (the same for every state of its orbit);
        needs `symmetric_fingerprints`."""
        return least_image(state[FP])

    def orbit_fingerprints(self, states: Sequence[ImplState]) -> Any:
        """`orbit_fingerprint` of each state as an array of uint64 (also checks, as the search goes, that
        the node treats acceptors alike on every transition met so far)."""
        return self.orbits.lanes(states).min(axis=1)

    def orbit_sizes(self, states: Sequence[ImplState]) -> Any:
        """How many distinct states acceptor renaming maps each state to, as an array."""
        return self.orbits.orbit_sizes(states)

    def orbit_size(self, state: ImplState) -> int:
        """How many distinct states acceptor renaming maps `state` to."""
        return self.orbits.orbit_size(state)


# the action encoding, re-exported for code that imported it from here
__all__ = ["CRASH", "CRASH_RESTART", "DELIVER", "DROP", "DUPLICATE", "KIND_NAMES", "PARTITION_BY_ACCEPTORS", "PROPOSE",
           "RESTART", "TIMEOUT", "ImplModel", "ImplState"]
