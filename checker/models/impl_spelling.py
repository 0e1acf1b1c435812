"""Counterexamples of a reduced implementation-model search spelled out as real, replayable steps.

Owns the translation of a reduced path into steps of the unreduced model (reductions.py: traces
stay real): each reduced step's inert deliveries and prompt restarts, the apart learners' steps,
and the cut after the first state that shows the property. It changes no reduction switch: it
expands through successor functions built without those reductions.
"""

from __future__ import annotations

from collections.abc import Sequence

from checker.models.impl_apart import LearnersApart
from checker.models.impl_encoding import CRASH, CRASH_RESTART, DELIVER, RESTART, ImplState
from checker.models.impl_por import QuietBlocks
from checker.models.impl_saturation import Mailboxes
from checker.models.impl_successors import Action, Successors
from checker.models.impl_verdicts import Verdicts

Step = tuple[Action, ImplState]


class Spelling:
    """Reduced paths of one model as real steps.

    `unsaturated`: the model's successors without saturation and prompt restarts (learners apart
    kept out, as in the reduced states); `unreduced`: without any reduction (learners in the state).
    """

    def __init__(self, saturating: bool, unsaturated: Successors, unreduced: Successors, mail: Mailboxes,
                 apart: LearnersApart, verdicts: Verdicts, por: QuietBlocks | None = None) -> None:
        """`por`: the model's quiet blocks (reductions.py, 6), whose quiet steps a step may stand for."""
        self.saturating = saturating
        self.por = por
        self.unsaturated = unsaturated
        self.unreduced = unreduced
        self.mail = mail
        self.apart = apart
        self.verdicts = verdicts

    def spell_out(self, initial: ImplState, steps: Sequence[Step], prop: str | None) -> list[Step]:
        """A reduced path as real steps of the unreduced model, for the trace of `prop`.

        Each reduced step becomes its action and the inert deliveries saturation took
        (`real_steps`), the apart learners' steps that show `prop` are appended
        (`completion`), and then every inert delivery whose messages no later step receives is
        left out: it changes nothing any property reads, so the shorter path shows `prop` just
        the same. The result is replayed on the unreduced model, so every state is real.
        """
        full: list[Step] = []
        inert: set[int] = set()  # inert deliveries, and the restart of a prompt crash (left out when unneeded)
        restarts: set[int] = set()
        prev = initial
        for action, state in steps:
            real, quiet = self.marked_steps(prev, action, state)
            at = len(full) + quiet  # the action itself, after the quiet steps of its block
            if action[0] == CRASH and action[2] == CRASH_RESTART:
                restarts.add(at + 1)
            inert.update(range(at + 1, len(full) + len(real)))
            full.extend(real)
            prev = state
        full.extend(self.completion(prev, prop))
        # a restart left out makes a later step to that node impossible: then keep the restarts
        for droppable in (inert, inert - restarts):
            try:
                return self._up_to_first_showing(self.unreduced_path(initial, self._kept(initial, full, droppable)),
                                                 prop)
            except LookupError:
                continue
        return full  # not expected; the full spelling is real too

    def _kept(self, initial: ImplState, full: list[Step], droppable: set[int]) -> list[Action]:
        """The actions of `full` less each droppable step whose new envelopes no later delivery needs."""
        at_net, needed, keep = self.unreduced.t.layout.net, 0, []
        for n in range(len(full) - 1, -1, -1):
            action, state = full[n]
            if n in droppable:
                before = full[n - 1][1] if n else initial
                if not state[at_net] & ~before[at_net] & needed:
                    continue
            keep.append(action)
            if action[0] == DELIVER:
                needed |= 1 << action[2]
        keep.reverse()
        return keep

    def completion(self, state: ImplState, prop: str | None) -> list[Step]:
        """The apart learners' own steps that make `prop` fail (or, for `sometimes`, hold) after `state`."""
        return self.apart.completion(state, self.verdicts.by_name.get(prop or ""))

    def _up_to_first_showing(self, path: list[Step], prop: str | None) -> list[Step]:
        """`path` (real states, learners in them) cut after the first state that shows `prop` (an
        `always` property failing, a `sometimes` one holding): the learners' own steps are appended
        per learner, and a later learner's steps (or a restart) can come after the one that shows it."""
        for n, (_, state) in enumerate(path):
            shows = self.verdicts.shows(state, prop)
            if shows is None:
                return path
            if shows:
                return path[: n + 1]
        return path

    def unreduced_path(self, initial: ImplState, actions: Sequence[Action]) -> list[Step]:
        """`actions` (real actions) taken from `initial` in the unreduced model; LookupError if one is not enabled."""
        out, cur = [], initial
        for action in actions:
            acts, states, _ = self.unreduced.expand(cur)
            if action not in acts:
                raise LookupError(action)
            cur = states[acts.index(action)]
            out.append((action, cur))
        return out

    def real_steps(self, state: ImplState, action: Action, succ: ImplState) -> list[Step]:
        """The unreduced steps one reduced transition stands for: the quiet steps of its block (quiet
        blocks), the action (a crash with a prompt restart is two: the crash, then the restart), then
        each inert delivery."""
        return self.marked_steps(state, action, succ)[0]

    def marked_steps(self, state: ImplState, action: Action, succ: ImplState) -> tuple[list[Step], int]:
        """`real_steps`, and how many of them are the quiet steps before the action."""
        por = self.por
        if por is None or action[1] not in por.eligible:
            steps = self._direct(state, action, succ, verify=False)
            assert steps is not None  # not verified: found or raised
            return steps, 0
        for quiet, inner in por.blocks(state, action[1]):  # the block: its quiet steps, shortest first
            steps = self._direct(inner, action, succ, verify=True)
            if steps is not None:
                return [*quiet, *steps], len(quiet)
        raise AssertionError(f"{action} cannot be spelled out from any block of quiet steps: a bug in the reduction")

    def _direct(self, state: ImplState, action: Action, succ: ImplState, verify: bool) -> list[Step] | None:
        """The action from `state` and the inert deliveries saturation took after it, reaching `succ`; None
        (with `verify`) if it does not reach `succ` from `state`."""
        prompt = action[0] == CRASH and action[2] == CRASH_RESTART
        if not self.saturating and not prompt and not verify:
            return [(action, succ)]
        real = (CRASH, action[1], 0) if prompt else action
        actions, states, _ = self.unsaturated.expand(state)
        if real not in actions:
            if verify:
                return None
            raise AssertionError(f"{real} is not enabled where the reduced path took it: a bug in a reduction")
        cur = states[actions.index(real)]
        steps = [(real, cur)]
        if prompt:
            actions, states, _ = self.unsaturated.expand(cur)
            restart = (RESTART, action[1], 0)
            cur = states[actions.index(restart)]
            steps.append((restart, cur))
        while cur != succ:
            nxt = self.mail.one_inert_delivery(cur, self.unsaturated.apart_mask) if self.saturating else None
            if nxt is None:
                if verify:
                    return None
                raise AssertionError(f"saturation of {action} cannot be spelled out: a bug in the reduction")
            steps.append(nxt)
            cur = nxt[1]
        return steps
