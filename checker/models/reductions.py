"""Sound reductions of the implementation model's state space, and the argument for each.

Owns the switches (`Reductions`), the rule deciding which message kinds are inert
(`inert_kinds`), and the arguments below. The reductions run inside
`checker/models/impl_successors.py` and `impl_saturation.py` (saturation, null crashes and
prompt restarts, on the hot path), `impl_apart.py` with `learners.py` (learners apart) and
`impl_por.py` (quiet blocks, the partial-order reduction, wrapping the successor function); traces
found under them are spelled out as real steps by `impl_spelling.py` (`ImplModel.spell_out`).
Nothing here runs a search.

Notation. A state t has node snapshots, a network, a ghost history `sent` of every
message ever sent, crash flags and budgets. A property *reads* a message kind if its
verdict can depend on whether messages of that kind are in `sent` or in the network;
properties declare this (`properties.invariants.Property.reads`, `Refinement.READS`),
and a kind nobody declares is *inert*. Nodes are deterministic: a node's outputs and
next snapshot depend only on its snapshot and its input (the node protocol; checked
by the contract check before exploring).

1. Saturation of inert deliveries (set network; `--no-saturation` turns it off).
   A delivery is inert in t when it leaves the receiver's snapshot unchanged, sends only
   messages of inert kinds, and breaks no step property. `sat(t)` is t plus every
   message that a sequence of inert deliveries from t can add (a fixpoint: snapshots do
   not move, the network only grows). The reduced model takes each action and then
   saturates. Soundness, both ways:
   (a) every reduced state is reachable: sat(t) is reached from t by real deliveries,
       which are enabled forever in the set network (messages persist);
   (b) nothing is missed: relate an unreduced state t to a reduced state u when they
       agree on every snapshot, crash flag, budget and counter, and u's network and
       history contain t's plus extra messages of inert kinds only. Any action enabled
       in t is enabled in u (more messages only enable more deliveries), and leads to
       states related again: the acting node computes the same thing from the same
       snapshot and input. Every property verdict, `always`, `sometimes` and `step`, is
       equal on related states/steps because they differ only in inert kinds. By
       induction every unreduced path has a related reduced path, so each violation and
       each witness of the unreduced graph is found in the reduced one (possibly shorter:
       inert steps are not counted there).
   A property or refinement that reads a kind makes that kind non-inert, so a user's
   property reading Nacks turns saturation off for Nacks, not silently unsound.

2. Crashes that change nothing (`--no-crash-reduction`).
   A crash whose node snapshot after `crash()` equals the one before changes only the
   crash flag and the budget. While crashed, the node receives, proposes and times out
   nothing; restart clears the flag. So any path through such a crash is matched by the
   same path without it and without its restart: every other action stays enabled (the
   node being up enables more, and one more crash of budget left enables more), node
   states and messages are equal, and no property reads crash flags or budgets. Such a
   crash can matter for the budget only by using it up, which only disables actions; so
   not branching on it loses no reachable snapshot/message combination. (In the bag
   network the same holds: a crashed node's envelopes stay in flight.)

3. Learners apart (set network; `--no-learners-apart`).
   A pure learner (not an acceptor, not a proposer) whose every step sends nothing and
   breaks no step property influences no other node and no property except through its
   own snapshot (`learned()`). The reduced model never delivers to it nor crashes it;
   instead, at each state t, `learners.LearnerReach` enumerates every snapshot the
   learner can reach by receiving any sequence of the envelopes addressed to it in t's
   network and by crashing/restarting, with the fewest crashes each needs. Because the
   network is persistent, a delivery can be postponed to the end of any path, so the
   pairs (t, learner snapshot) of the unreduced graph are exactly the reduced states
   with a learner outcome whose crashes fit in t's remaining budget (shared with the
   other nodes: learners' crashes are summed). `always` and `sometimes` properties are
   evaluated over every feasible combination of learner outcomes. If a learner ever
   sends a message or breaks a step property, the reduction is not sound for it:
   `LearnersNotApart` is raised and the run restarts without this reduction, saying so.

4. Prompt restarts (`--no-prompt-restart`).
   A crashed node takes no step until it restarts: nothing is delivered to it, it neither
   proposes, times out nor crashes again, and `Restart` does not call the node at all (its
   snapshot after the restart is its snapshot after `crash()`). The reduced model restarts
   a crashed node in the same step as its crash, so no state has a crash flag set. Sound,
   both ways: (a) each reduced step is the two real steps Crash, Restart; (b) an unreduced
   path with Crash(n) at i and Restart(n) at j > i (or never) maps to the path with the
   restart moved to i + 1: the actions between do not involve n, and each is enabled with
   n up (being up only enables more: deliveries to n, n's own steps; drops and duplicates
   in the bag network do not depend on n), and leads to the same snapshots, network,
   history, budgets and counters, the crash flags aside. No property reads crash flags
   (`WorldView` has none), so every verdict, `always`, `sometimes` and `step`, is equal
   along the two paths. The crash budget is spent by the same crashes. Learners apart keep
   their own crashes and restarts in `LearnerReach`, unchanged.

5. What Paxos.tla's inductive invariant reads (the `inv_*` conjuncts of properties/inductive.py).
   The conjuncts read the Spec image of every sent Prepare, Promise, Accept and Accepted, and each
   declares it honestly in `Property.reads`. In a run with `refines_spec` (the default, majority
   quorums) nothing changes: `Refinement.READS` is these four kinds already, so the inert kinds are
   the same (Nack) and the default check explores the same 1,055,691 states as before (then, before 6;
   bench/results_deviation.md). Without a refinement (`--no-refinement`, or flexible quorums, where the
   Paxos.tla mapping does not apply) the four kinds become non-inert and saturation covers Nacks
   only: argument 1 then holds as it stands. We did not declare less, although part of the invariant
   would allow it: most conjuncts are anti-monotone in the messages they read (more Promises or
   Accepts can only make them fail, never hold), so a violation in t persists in a related u with
   extra messages, and u is reachable by (a). But `inv_2b_has_2a` reads Accepts positively (an extra
   Accept can make it hold: a vote without its Accept could hide in u), and `spell_out` leaves out
   inert deliveries whose messages no later step receives, which would drop the very Promise a
   violation of `inv_1b_*` is about, so a trace would not reproduce it. An honest `reads` keeps both
   facts true; its cost is measured in bench/results_deviation.md. The conjuncts' verdicts are cached
   per part (checker/models/impl_inductive.py), not per view, so the default check's extra time is
   the conjuncts' own.

6. Quiet blocks: a partial-order reduction (set network; `--no-por`; `impl_por.py`).
   *Invisible nodes*: a node whose snapshot no property reads. Properties see a `WorldView` (acceptor
   states, learned values, the messages sent, the values proposed) and step verdicts read the acting
   acceptor and the messages, so every pure proposer (neither acceptor nor learner;
   `ImplModel.quiet_nodes`) is invisible, whatever the node's code; an acceptor or a learner never is.
   A step of an invisible node P is *quiet* when it sends nothing at all, breaks no step property of
   its own (`node_error`) and changes P's snapshot, and it is a delivery (quietness is then a fact of
   P's cached transition, snapshot and message) or, with prompt restarts (4), a crash within the
   budget (a crash sends nothing; it changes P's snapshot and spends one crash of the budget).
   The reduced model has, at a state s, every transition of the model of 1-5 except P's quiet ones,
   plus, for each state x that P's quiet steps reach from s (deliveries of envelopes in s's network
   and crashes, any number, any order: a search over P's snapshot and the crashes used, closed by a
   visited set, so a node whose quiet steps return to an earlier snapshot ends), every non-quiet step
   of P from x (a delivery that sends something, a proposal or timeout, a crash that is not quiet, a
   node_error). So a quiet step is taken only as part of a *block*: P's quiet steps, then one loud
   step of P; the states inside a block are not stored. Soundness, both ways:
   (a) every reduced state is reachable: a block is a sequence of real steps (the network persists,
       so its envelopes stay deliverable; P stays up; each crash is within the budget).
   (b) nothing is missed. Take any path of the model of 1-5 (unsaturated: saturation is added on top
       below). Move each quiet step q of P to the right, past steps of other nodes, until it is just
       before P's next step, and delete the quiet steps after P's last non-quiet step. Each swap of q
       with a step u of another node B keeps the path real and its end state equal: q adds no message
       and changes only P's snapshot (and, for a crash, the crashes used), so u is enabled with the
       same effect (B's step reads B's snapshot, its message, B's crash flag, and for a crash the
       budget: if q is a crash, u a crash, then u was enabled with one crash more used, so it is with
       one less); after u, q is still enabled (messages persist; P's snapshot is the same; a crash q
       is moved to a point where the crashes used are at most those of its old point, less its own
       one, so below the budget) and still quiet. Deleting trailing quiet steps changes the later
       states in P's snapshot and crashes used only, and leaves every later step enabled (fewer
       crashes used only enable more). The result is a reduced path: each run of P's quiet steps ends
       in P's next loud step, taken from the same state as before. Verdicts: `always` and `sometimes`
       properties read no invisible snapshot and no budget, but learners apart (3) judge every learner
       outcome whose crashes fit in the remaining budget, and a state of the new path has at most the
       crashes used of its old one, so at least the old outcomes: every violation and witness of the
       old state shows in its new one (a state inside a block shows no more than the block's first
       state, which has fewer or equal crashes used). Every step verdict of a loud step is the same
       (same state before and after, crashes used aside, which no step property reads); other nodes'
       steps read no invisible snapshot; a quiet step breaks nothing (no message: refines_spec sees a
       Spec stutter; node_error is never quiet). So every violation and witness of the unreduced graph
       is found. (Without prompt restarts a crash takes P down, its restart is P's own step, and
       crashes are not quiet.)
   With saturation: quietness does not depend on the network, and a block's steps need only their
   envelopes in the network, so argument 1 (b) holds for the blocked model as it stands (a
   transition enabled in t is enabled in a related u, with related results); the inert deliveries
   saturation takes are loud steps (they send something), so 1 (a) holds too. A reduced transition is
   therefore (block, loud step, saturation), which is what `QuietBlocks.expand` computes.
   Why no cycle proviso: nothing is chosen per state (no persistent or stubborn set leaves another
   node's transition for later): every transition of every other node and every loud step of P are
   kept at every state, and the argument is a rewriting of any path, cyclic graphs included, so no
   transition can be ignored around a cycle. Why not a persistent set of one node's deliveries: in
   the set network another node's step can send P a message whose delivery depends on P's current
   ones (two Promises in either order), so {P's enabled deliveries} is not persistent; the
   stubborn-set repair (add a necessary enabling set: the nodes that can still send to P) adds the
   acceptors, which can always answer a Prepare again, and acceptor steps are visible (the `inv_*`
   conjuncts read acceptor states and Promises/Accepteds at every state), so the set is the whole
   set of enabled transitions at almost every state. Quiet blocks keep only what commutes with
   everything else.
   Measured (bench/results_reductions.md, sections E, F): see docs/reductions.md. With 3 acceptors,
   2 proposers, ballots 1, with or without a crash: 5,041 or 11,129 -> 1,777 states, exactly the
   number of distinct (acceptor states, messages read, values proposed) among them, the least any
   reduction preserving every verdict here can store. A run whose `--impl` node has no pure proposer
   (`--colocated`), or the bag network, records it off.
   Traces: `Spelling.marked_steps` finds the block (a search of P's quiet steps from the state,
   shortest first; a crash written as its crash and restart) whose loud step reaches the stored
   successor, and writes its steps as real rows. The hash_order trace search looks for a proposer's
   transition in those real rows (`transition_key(..., real=True)`), since the step's own snapshot may
   be one a block reached rather than the state's.

Counterexamples stay real: `ImplModel.spell_out` expands each reduced step into the
action and the inert deliveries saturation took, one row each, and appends the
learner's own deliveries and crashes for a learner property; `replay` on `paxos.Cluster`
re-executes them with equal fingerprints. The shortest counterexample of the reduced
graph is reported with its real length; it need not be the shortest real trace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from paxos import MESSAGE_TYPES


@dataclass(frozen=True)
class Reductions:
    """Which reductions an implementation run uses (each sound; see the module docstring)."""

    saturation: bool = True
    crash: bool = True
    learners_apart: bool = True
    prompt_restart: bool = True
    por: bool = True

    @classmethod
    def none(cls) -> Reductions:
        return cls(False, False, False, False, False)

    def names(self) -> list[str]:
        """The active reductions, as recorded in the summary and stated in the verdict."""
        return [n for n, on in (("saturation", self.saturation), ("crash", self.crash),
                                ("learners_apart", self.learners_apart), ("prompt_restart", self.prompt_restart),
                                ("por", self.por))
                if on]

    def for_network(self, network: str) -> Reductions:
        """What applies: saturation, learners apart and quiet blocks need the set network's persistent messages."""
        if network == "set":
            return self
        return Reductions(False, self.crash, False, self.prompt_restart, False)


class LearnersNotApart(Exception):
    """A learner sent a message or broke a step property: the learners-apart reduction does not apply."""


def inert_kinds(reads: Iterable[frozenset[str] | None]) -> frozenset[str]:
    """Message kinds (type names) no property reads; `None` among `reads` means "reads every kind"."""
    read: set[str] = set()
    for kinds in reads:
        if kinds is None:
            return frozenset()
        read |= kinds
    return frozenset(t.__name__ for t in MESSAGE_TYPES) - read
