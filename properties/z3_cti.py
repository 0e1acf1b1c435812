"""Counterexamples of the Spec proof as plain data: small z3 models turned into concrete states.

Owns model minimisation, the translation of a z3 model into a Spec state (acceptors a0..,
ballots 0.., values v0.., Paxos.tla's message records) and its text form. It must not build
obligations or decide what is proved; properties/z3_spec.py calls it on a satisfiable frame.
"""

from __future__ import annotations

from typing import Any

import z3

from properties.z3_vocab import _State, _Step, _Vocab


def bound_sort(sort: Any, size: int, prefix: str = "elem") -> Any:
    """``forall x: sort. x = e0 or ... or x = e(size-1)``: the universe has at most `size` elements."""
    elems = [z3.Const(f"{prefix}_{sort.name()}_{i}", sort) for i in range(size)]
    x = z3.Const(f"{prefix}_{sort.name()}", sort)
    return z3.ForAll([x], z3.Or(*[x == e for e in elems]))


def minimize_model(solver: z3.Solver, k: _Vocab) -> Any:
    """Shrink each sort's universe as far as the obligation stays satisfiable; return the model.

    Leaves the solver at the frame it was given (all added bounds are popped).
    """
    model = solver.model()
    pushed = 0
    for sort in (k.acc, k.bal, k.val, k.q1, k.q2):
        universe = model.get_universe(sort)
        size = len(universe) if universe is not None else 0
        for bound in range(1, size):
            solver.push()
            solver.add(bound_sort(sort, bound, "min"))
            if solver.check() == z3.sat:
                model = solver.model()
                pushed += 1
                break
            solver.pop()
    for _ in range(pushed):
        solver.pop()
    return model


def extract_state(k: _Vocab, model: Any, pre: _State, step: _Step | None,
                   action: str, conjunct: str) -> dict[str, Any]:
    """The model as a small concrete Spec state (see `format_state` for the shape)."""

    def holds(term: Any) -> bool:
        return bool(z3.is_true(model.eval(term, model_completion=True)))

    def universe(sort: Any) -> list[Any]:
        found = model.get_universe(sort)
        return list(found) if found is not None else []

    unordered = universe(k.bal)
    ballots_z = sorted(unordered, key=lambda x: sum(holds(k.le(y, x)) for y in unordered))
    names: dict[str, Any] = {}
    none_b = model.eval(k.none_b, model_completion=True)
    none_v = model.eval(k.none_v, model_completion=True)
    ballot_no = {str(b): i for i, b in enumerate(x for x in ballots_z if not x.eq(none_b))}
    ballot_no[str(none_b)] = -1
    accs = universe(k.acc)
    acc_name = {str(a): f"a{i}" for i, a in enumerate(accs)}
    vals = universe(k.val)
    val_name: dict[str, str | None] = {str(none_v): None}
    for v in vals:
        if not v.eq(none_v):
            val_name[str(v)] = f"v{len(val_name) - 1}"

    def name(term: Any) -> Any:
        key = str(model.eval(term, model_completion=True))
        for table in (ballot_no, acc_name, val_name):
            if key in table:
                return table[key]
        return key

    def quorums(sort: Any, member: Any) -> list[list[str]]:
        return [[acc_name[str(a)] for a in accs if holds(member(a, q))] for q in universe(sort)]

    def snapshot(s: _State) -> dict[str, Any]:
        msgs: list[dict[str, Any]] = []
        msgs += [{"type": "1a", "bal": name(b)} for b in ballots_z if holds(s.m1a(b))]
        msgs += [{"type": "1b", "acc": name(a), "bal": name(b), "mbal": name(mb), "mval": name(mv)}
                 for a in accs for b in ballots_z for mb in ballots_z for mv in vals
                 if holds(s.m1b(a, b, mb, mv))]
        msgs += [{"type": "2a", "bal": name(b), "val": name(v)}
                 for b in ballots_z for v in vals if holds(s.m2a(b, v))]
        msgs += [{"type": "2b", "acc": name(a), "bal": name(b), "val": name(v)}
                 for a in accs for b in ballots_z for v in vals if holds(s.m2b(a, b, v))]
        chosen = [{"bal": name(b), "val": name(v), "quorum": members}
                  for b in ballots_z for v in vals
                  for members, q in zip(quorums(k.q2, k.member2), universe(k.q2), strict=True)
                  if all(holds(s.m2b(a, b, v)) for a in accs if holds(k.member2(a, q)))]
        return {
            "chosen": chosen,
            "maxBal": {name(a): name(s.max_bal(a)) for a in accs},
            "maxVBal": {name(a): name(s.max_vbal(a)) for a in accs},
            "maxVal": {name(a): name(s.max_val(a)) for a in accs},
            "msgs": msgs,
        }

    names.update({
        "kind": "spec_state",
        "failed": {"action": action, "conjunct": conjunct},
        "acceptors": [acc_name[str(a)] for a in accs],
        "ballots": sorted(n for n in ballot_no.values() if n >= 0),
        "values": [n for n in val_name.values() if n is not None],
        "quorums": {"phase1": quorums(k.q1, k.member1), "phase2": quorums(k.q2, k.member2)},
    })
    names.update(snapshot(pre))
    if step is not None:
        names["action"] = {"name": action,
                           "params": {p: name(term) for p, term in step.params.items()
                                      if p != "q"}}
        if "q" in step.params:
            q = step.params["q"]
            names["action"]["params"]["q"] = [acc_name[str(a)] for a in accs
                                              if holds(k.member1(a, q))]
        names["after"] = snapshot(step.post)
    return names


def _fmt_msg(m: dict[str, Any]) -> str:
    fields = ", ".join(f"{key}={m[key]}" for key in m if key != "type")
    return f"{m['type']}({fields})"


def format_state(state: dict[str, Any]) -> str:
    """A counterexample from `prove_spec` as a few readable lines.

    The dict has `acceptors`, `ballots` (real ballots; -1 means "no ballot"), `values`
    (None is Paxos.tla's None), `quorums` {phase1, phase2}, per-acceptor `maxBal`,
    `maxVBal`, `maxVal`, `msgs` (records with Paxos.tla's fields: type, acc, bal, mbal, mval,
    val), and for a failed step `action` {name, params} and `after` (the successor state).
    """
    failed = state.get("failed", {})
    lines = [f"counterexample: {failed.get('action')} does not preserve {failed.get('conjunct')}"
             if failed.get("action") not in ("Init", "Safety") else
             f"counterexample: {failed.get('action')} / {failed.get('conjunct')}"]
    lines.append(f"  acceptors {state['acceptors']}  ballots {state['ballots']}  "
                 f"values {state['values']}")
    lines.append(f"  phase-1 quorums {state['quorums']['phase1']}  "
                 f"phase-2 quorums {state['quorums']['phase2']}")

    def block(title: str, s: dict[str, Any]) -> None:
        lines.append(f"  {title}:")
        for a in state["acceptors"]:
            lines.append(f"    {a}: maxBal={s['maxBal'][a]} maxVBal={s['maxVBal'][a]} "
                         f"maxVal={s['maxVal'][a]}")
        lines.append("    msgs: " + (", ".join(_fmt_msg(m) for m in s["msgs"]) or "(none)"))
        if s["chosen"]:
            lines.append("    chosen: " + ", ".join(
                f"{c['val']} at {c['bal']} by {c['quorum']}" for c in s["chosen"]))

    block("state", state)
    if "action" in state:
        params = ", ".join(f"{p}={v}" for p, v in state["action"]["params"].items())
        lines.append(f"  step: {state['action']['name']}({params})")
        block("after", state["after"])
    return "\n".join(lines)
