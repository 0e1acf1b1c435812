"""A trace as the Informal Trace Format (ITF, Apalache ADR-015) that Apalache and Quint read: its Spec-level view.

Owns the Spec-level states of a trace (`spec_run`: for an implementation trace, its worlds under
the refinement mapping of properties/refinement.py, re-executed on `paxos.Cluster`; for a Spec
trace, the Spec's own states), their ITF encoding (`to_itf`, `write_itf`), the reader
(`read_itf`, values decoded) and the schema check (`check_itf`, docs/formats.md). The
variables are those of Paxos.tla: maxBal, maxVBal, maxVal, msgs. Prints nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.config import CheckConfig, load_factory
from checker.errors import UsageError
from checker.inputs import read_bounded
from checker.model import StepRow
from checker.models.impl_steps import find_action, row_key, step_cluster
from checker.traces.replay import replayer_for
from checker.traces.trace_csv import Trace
from paxos import NodeFault, atomic_write_text
from properties.invariants import view_of_cluster
from properties.refinement import Refinement
from properties.spec import Msg1a, Msg1b, Msg2a, Msg2b, SpecConfig, SpecState, explain_step

ITF_VARS = ("maxBal", "maxVBal", "maxVal", "msgs")
ADR = "https://apalache-mc.org/docs/adr/015adr-trace.html"
#: Paxos.tla's `None`: the maxVal of an acceptor that has not voted, and a 1b's mval without a vote.
NONE = "None"
#: The types of the variables, in Apalache's type notation (ADR-002), as `#meta.varTypes`.
VAR_TYPES = {
    "maxBal": "Str -> Int",
    "maxVBal": "Str -> Int",
    "maxVal": "Str -> Str",
    "msgs": "Set([type: Str, acc: Str, bal: Int, mbal: Int, mval: Str, val: Str])",
}
MSG_FIELDS = {"1a": ("bal",), "1b": ("acc", "bal", "mbal", "mval"), "2a": ("bal", "val"),
              "2b": ("acc", "bal", "val")}


@dataclass
class SpecRun:
    """A trace's Spec-level states: the initial one, then one per step, and the Spec step explaining each."""

    acceptors: list[str]  # the name of each Spec acceptor (index) in the ITF
    acceptor_ids: dict[str, int]  # name -> node id (implementation) or Spec index
    spec_config: SpecConfig
    rows: list[StepRow]
    states: list[SpecState] = field(default_factory=list)
    explained: list[str | None] = field(default_factory=list)  # per step: e.g. "phase1b(a=0, b=5)", "stutter"
    faults: dict[int, str] = field(default_factory=dict)  # 1-based step -> node fault (the state is unchanged)
    scale: int | None = None  # implementation ballots (round, node) map to round * scale + node


def spec_run(trace: Trace, impl: str | None = None) -> SpecRun:
    """Re-execute `trace` and return its Spec-level states; an impossible step is a UsageError."""
    rows = [s.row for s in trace.steps]
    if trace.model == "impl":
        return _impl_run(trace, rows, impl)
    return _spec_model_run(trace, rows)


def _impl_run(trace: Trace, rows: list[StepRow], impl: str | None) -> SpecRun:
    try:
        config = CheckConfig.from_json({**trace.config, **({"impl": impl} if impl else {})})
    except TypeError as exc:
        raise UsageError(f"the trace's configuration is not valid: {exc}") from None
    cc = config.cluster_config()
    ref = Refinement(cc, config.value_names(), max(config.max_ballots, (config.max_round or 0) + 1))
    names = [f"a{a}" for a in cc.acceptors]
    run = SpecRun(names, {n: a for n, a in zip(names, cc.acceptors, strict=True)}, ref.spec_config, rows,
                  scale=ref.scale)
    cluster = config.new_cluster(load_factory(config.impl))
    values = config.value_names()

    def abstract() -> SpecState:
        return ref.abstract(dict(view_of_cluster(cluster).acceptors), cluster.sent)

    state = abstract()
    run.states.append(state)
    for i, row in enumerate(rows):
        action = find_action(cluster, row, values, trace.version < 2)
        if action is None:
            what = " ".join(x for x in row_key(row) if x)
            raise UsageError(f"step {i + 1} ({what}) is not enabled when the trace is re-executed with "
                             f"{config.impl}; export the trace with the implementation that wrote it")
        try:
            step_cluster(cluster, action)
            after = abstract()
        except NodeFault as fault:  # the step changes nothing (docs/formats.md, node_error) and ends the run
            run.faults[i + 1] = str(fault)
            run.states.append(state)
            run.explained.append("stutter")
            break
        run.explained.append(ref.explain(state, after))
        run.states.append(after)
        state = after
    return run


def _spec_model_run(trace: Trace, rows: list[StepRow]) -> SpecRun:
    model: Any = replayer_for(trace).model  # type: ignore[attr-defined]
    cfg: SpecConfig = model.cfg
    names = [f"a{a}" for a in range(cfg.acceptors)]
    run = SpecRun(names, {n: a for a, n in enumerate(names)}, cfg, rows)
    (state,) = tuple(model.initial_states())[:1]
    run.states.append(model.decode(state))
    for i, row in enumerate(rows):
        succ = next((t for a, t in model.successors(state) if row_key(model.describe(state, a, t)) == row_key(row)),
                    None)
        if succ is None:
            raise UsageError(f"step {i + 1} ({' '.join(x for x in row_key(row) if x)}) is not a step of the Spec "
                             "here; the trace is not one the Spec model wrote")
        before, after = run.states[-1], model.decode(succ)
        run.explained.append(explain_step(cfg, before, after))
        run.states.append(after)
        state = succ
    return run


# -- encoding ---------------------------------------------------------------------------------------------


def _int(n: int) -> dict[str, str]:
    return {"#bigint": str(n)}


def _val(v: Hashable) -> str:
    return NONE if v is None else str(v)


def _msg(m: Hashable, names: list[str]) -> dict[str, Any]:
    if isinstance(m, Msg1a):
        return {"type": "1a", "bal": _int(m.bal)}
    if isinstance(m, Msg1b):
        return {"type": "1b", "acc": names[m.acc], "bal": _int(m.bal), "mbal": _int(m.mbal), "mval": _val(m.mval)}
    if isinstance(m, Msg2a):
        return {"type": "2a", "bal": _int(m.bal), "val": _val(m.val)}
    assert isinstance(m, Msg2b)
    return {"type": "2b", "acc": names[m.acc], "bal": _int(m.bal), "val": _val(m.val)}


def itf_state(s: SpecState, names: list[str]) -> dict[str, Any]:
    """One Spec state as ITF values: three maps from acceptor names and the set of message records."""
    msgs = sorted((_msg(m, names) for m in s.msgs), key=lambda r: json.dumps(r, sort_keys=True))
    return {
        "maxBal": {"#map": [[n, _int(b)] for n, b in zip(names, s.max_bal, strict=True)]},
        "maxVBal": {"#map": [[n, _int(b)] for n, b in zip(names, s.max_vbal, strict=True)]},
        "maxVal": {"#map": [[n, _val(v)] for n, v in zip(names, s.max_val, strict=True)]},
        "msgs": {"#set": msgs},
    }


def _row_text(row: StepRow) -> str:
    what = " ".join(x for x in (row.event, row.msg_type, row.bal, row.value) if x)
    if row.max_vbal:
        what += f" (max_vbal {row.max_vbal}{', max_val ' + row.max_val if row.max_val else ''})"
    return f"{what} {row.peer}->{row.node}" if row.peer else f"{what} {row.node}".rstrip()


def to_itf(trace: Trace, run: SpecRun, source: str) -> dict[str, Any]:
    """The ITF object of a trace (ADR-015); `#meta` says where each state came from."""
    states = []
    for i, s in enumerate(run.states):
        meta: dict[str, Any] = {"index": i}
        if i == 0:
            meta["action"] = "init"
        else:
            step = trace.steps[i - 1]
            meta.update(action=_row_text(step.row), step=i, spec_action=run.explained[i - 1])
            if step.property:
                meta["property"] = step.property
            if i in run.faults:
                meta["node_error"] = run.faults[i]
        states.append({"#meta": meta, **itf_state(s, run.acceptors)})
    mapping = ("acceptor names are 'a' + node id; ballot ROUND@NODE is the integer ROUND * "
               f"{run.scale} + NODE (-1: none); values as in the trace, 'None' for no value"
               if run.scale is not None else "acceptor names are 'a' + the Spec's acceptor index; -1: no ballot")
    return {
        "#meta": {
            "format": "ITF",
            "format-description": ADR,
            "source": source,
            "description": f"paxos-check export of {'an implementation' if trace.model == 'impl' else 'a Spec'} "
                           f"trace" + (f" of {trace.property}" if trace.property else "")
                           + ": the Spec-level state (Paxos.tla's variables) after each step",
            "varTypes": VAR_TYPES,
            "paxos-check": {"model": trace.model, "impl": trace.impl, "property": trace.property,
                            "config": trace.config, "mapping": mapping, "acceptors": run.acceptor_ids},
        },
        "vars": list(ITF_VARS),
        "states": states,
    }


def write_itf(path: str | os.PathLike[str], data: dict[str, Any]) -> Path:
    """Write an ITF object atomically (one state per line block, indented for diffs)."""
    return atomic_write_text(path, json.dumps(data, indent=1) + "\n")


# -- reading and the schema ------------------------------------------------------------------------------


def decode_value(x: Any) -> Any:
    """An ITF expression as a Python value: ints, strings, bools, tuples (#tup and lists), frozensets (#set),
    dicts (#map and records)."""
    if isinstance(x, dict):
        if "#bigint" in x:
            return int(x["#bigint"])
        if "#set" in x:
            return frozenset(_hashable(decode_value(e)) for e in x["#set"])
        if "#map" in x:
            return {_hashable(decode_value(k)): decode_value(v) for k, v in x["#map"]}
        if "#tup" in x:
            return tuple(decode_value(e) for e in x["#tup"])
        return {k: decode_value(v) for k, v in x.items() if not k.startswith("#")}
    if isinstance(x, list):
        return tuple(decode_value(e) for e in x)
    return x


def _hashable(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    return v


def read_itf(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load an ITF file as JSON (a UsageError if it is not JSON); `check_itf` validates it."""
    name = os.fspath(path)
    raw = read_bounded(name, "ITF file")
    try:
        data: dict[str, Any] = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{name}: not ITF JSON: {exc}") from None
    return data


def check_itf(data: Any) -> list[str]:
    """Every way `data` departs from ADR-015 and from this exporter's schema (docs/formats.md); [] if none."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return ["the trace is not a JSON object"]
    unknown = set(data) - {"#meta", "params", "vars", "states", "loop"}
    if unknown:
        problems.append(f"unknown top-level keys {sorted(unknown)}")
    if not isinstance(data.get("#meta", {}), dict):
        problems.append("#meta is not an object")
    variables = data.get("vars")
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        return [*problems, "vars is not a list of strings"]
    if list(variables) != list(ITF_VARS):
        problems.append(f"vars are {variables}, expected {list(ITF_VARS)}")
    states = data.get("states")
    if not isinstance(states, list) or not states:
        return [*problems, "states is not a non-empty list"]
    for i, state in enumerate(states):
        where = f"state {i}"
        if not isinstance(state, dict):
            problems.append(f"{where} is not an object")
            continue
        meta = state.get("#meta")
        if not isinstance(meta, dict) or meta.get("index") != i:
            problems.append(f"{where}: #meta.index is not {i}")
        missing = [v for v in variables if v not in state]
        extra = [k for k in state if k != "#meta" and k not in variables]
        if missing or extra:
            problems.append(f"{where}: missing variables {missing}, unknown keys {extra}")
            continue
        for v in variables:
            problems.extend(f"{where}.{v}: {p}" for p in _check_expr(state[v]))
        problems.extend(f"{where}: {p}" for p in _check_paxos(state))
    return problems


def _check_expr(x: Any) -> list[str]:
    """ADR-015's expression grammar."""
    if isinstance(x, (bool, str)):
        return []
    if isinstance(x, int):
        return [] if -(2**53) + 1 <= x <= 2**53 - 1 else [f"integer {x} out of JSON range; use #bigint"]
    if isinstance(x, list):
        return [p for e in x for p in _check_expr(e)]
    if not isinstance(x, dict):
        return [f"{type(x).__name__} is no ITF expression"]
    tags = [k for k in x if k.startswith("#")]
    if not tags:
        return [p for e in x.values() for p in _check_expr(e)]
    if len(x) != 1:
        return [f"a tagged expression has other keys: {sorted(x)}"]
    tag, body = tags[0], x[tags[0]]
    if tag == "#bigint":
        ok = isinstance(body, str) and body.lstrip("-").isdigit()
        return [] if ok else [f"#bigint {body!r} is not [-][0-9]+"]
    if tag in ("#set", "#tup"):
        return [p for e in body for p in _check_expr(e)] if isinstance(body, list) else [f"{tag} is not a list"]
    if tag == "#map":
        if not isinstance(body, list) or not all(isinstance(p, list) and len(p) == 2 for p in body):
            return ["#map is not a list of [key, value] pairs"]
        return [p for k, v in body for p in (*_check_expr(k), *_check_expr(v))]
    if tag == "#unserializable":
        return [] if isinstance(body, str) else ["#unserializable is not a string"]
    return [f"unknown tag {tag}"]


def _check_paxos(state: dict[str, Any]) -> list[str]:
    """This exporter's schema: Paxos.tla's variables with their types (VAR_TYPES)."""
    problems = []
    try:
        bal, vbal, val, msgs = (decode_value(state[v]) for v in ITF_VARS)
    except (TypeError, ValueError, AttributeError) as exc:
        return [f"cannot decode: {exc}"]
    for name, m, want in (("maxBal", bal, int), ("maxVBal", vbal, int), ("maxVal", val, str)):
        if not isinstance(m, dict) or not all(isinstance(k, str) and isinstance(v, want) and not isinstance(v, bool)
                                              for k, v in m.items()):
            problems.append(f"{name} is not a map from acceptor names to {want.__name__}")
    if isinstance(bal, dict) and isinstance(vbal, dict) and isinstance(val, dict):
        if not set(bal) == set(vbal) == set(val):
            problems.append("maxBal, maxVBal and maxVal have different acceptors")
    if not isinstance(msgs, frozenset):
        return [*problems, "msgs is not a set"]
    for rec in msgs:
        fields = dict(rec) if isinstance(rec, tuple) else {}
        kind = fields.get("type")
        if kind not in MSG_FIELDS or set(fields) != {"type", *MSG_FIELDS[kind]}:
            problems.append(f"message {fields or rec!r} is not a 1a/1b/2a/2b record of Paxos.tla")
    return problems


def spec_states(data: dict[str, Any]) -> list[SpecState]:
    """The SpecStates an ITF file (of this exporter) holds, acceptors in the order of the maps."""
    out = []
    for state in data["states"]:
        bal, vbal, val, msgs = (decode_value(state[v]) for v in ITF_VARS)
        names = list(bal)
        index = {n: i for i, n in enumerate(names)}
        spec_msgs: set[Hashable] = set()
        for rec in msgs:
            f: dict[str, Any] = {k: (None if x == NONE else x) for k, x in dict(rec).items()}
            if f["type"] == "1a":
                spec_msgs.add(Msg1a(f["bal"]))
            elif f["type"] == "1b":
                spec_msgs.add(Msg1b(index[f["acc"]], f["bal"], f["mbal"], f["mval"]))
            elif f["type"] == "2a":
                spec_msgs.add(Msg2a(f["bal"], f["val"]))
            else:
                spec_msgs.add(Msg2b(index[f["acc"]], f["bal"], f["val"]))
        out.append(SpecState(tuple(bal[n] for n in names), tuple(vbal[n] for n in names),
                             tuple(None if val[n] == NONE else val[n] for n in names),
                             frozenset(spec_msgs)))  # type: ignore[arg-type]
    return out
