"""Your own properties, checked by every paxos-check strategy: `--property examples.my_properties:NAME`.

A property is a plain function of a `WorldView` (the same view the built-in properties read):

* `view.config`     the cluster (`acceptors`, `proposers`, `learners`, `quorums`)
* `view.acceptors`  acceptor id -> `AcceptorDurable(promised, accepted_bal, accepted_val)`
* `view.learned`    learner id -> the value it learned, or None
* `view.history`    every `Accepted(src, bal, val)` ever sent (ghost state)
* `view.proposed`   every value a client asked a proposer to propose

It returns None or True when it holds, False or a sentence saying why when it fails. One
argument is an `always` invariant, two (`before`, `after`) a `step` property, judged on every
step that changes the view; the decorator `sometimes` (from properties.user) marks a witness
that must hold in some reachable state. Try, from the repository root:

    paxos-check explore --property examples.my_properties:learned_value_is_stable \\
        --property examples.my_properties:learners_agree \\
        --property examples.my_properties:a_retry_reaches_phase_2
    paxos-check explore --impl paxos.bugs:own_value --crashes 0 --no-refinement \\
        --property examples.my_properties:chosen_value_is_kept --stop-on-first

The second finds a counterexample named after the property (`traces/chosen_value_is_kept.csv`):
the buggy proposer gets a higher ballot accepted with its own value after another value was
chosen, before a second value is chosen. A property that raises while the checker runs is
reported as a violation of that property, with the exception and file:line.
"""

from __future__ import annotations

from properties.invariants import WorldView
from properties.user import sometimes, step


def learners_agree(view: WorldView) -> str | None:
    """No two learners learned different values."""
    values = {v for v in view.learned.values() if v is not None}
    if len(values) > 1:
        return f"learners learned different values: {sorted(map(repr, values))}"
    return None


def chosen_value_is_kept(view: WorldView) -> str | None:
    """Paxos Made Simple's P2b: once v is chosen at ballot b, every Accepted of a higher ballot carries v."""
    voters: dict[tuple[object, object], set[int]] = {}
    for m in view.history:
        voters.setdefault((m.bal, m.val), set()).add(m.src)
    for (bal, val), srcs in sorted(voters.items(), key=repr):
        if not view.config.quorums.is_phase2_quorum(srcs):
            continue
        for m in sorted(view.history, key=lambda m: (m.bal, m.src)):
            if m.bal > bal and m.val != val:  # type: ignore[operator]
                return (f"{val!r} is chosen at ballot {bal} (acceptors {sorted(srcs)}), but acceptor {m.src} "
                        f"accepted {m.val!r} at the higher ballot {m.bal}")
    return None


def learned_value_is_stable(before: WorldView, after: WorldView) -> str | None:
    """Once a learner has learned a value it keeps it (a crash may forget it: None again)."""
    for n, old in before.learned.items():
        new = after.learned.get(n)
        if old is not None and new is not None and new != old:
            return f"learner {n} learned {old!r} and then {new!r}"
    return None


@step(name="votes_only_move_up")
def vote_never_goes_back(before: WorldView, after: WorldView) -> str | None:
    """An acceptor that votes again votes at a higher ballot, or at the same ballot for the same value."""
    for a, new in after.acceptors.items():
        old = before.acceptors.get(a)
        if old is None or old.accepted_bal.is_bottom or new.accepted_bal > old.accepted_bal:
            continue
        if (new.accepted_bal, new.accepted_val) != (old.accepted_bal, old.accepted_val):
            return (f"acceptor {a} voted {old.accepted_val!r} at {old.accepted_bal} and then "
                    f"{new.accepted_val!r} at {new.accepted_bal}")
    return None


@sometimes
def a_retry_reaches_phase_2(view: WorldView) -> bool:
    """Some acceptor accepts a proposal of a retried ballot (round 1 or more): the retry path is exercised."""
    return any(m.bal.round >= 1 for m in view.history)
