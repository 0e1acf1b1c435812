"""Fixture run directories for the report tests, written exactly as docs/formats.md pins them.

Builds summary.json, traces/*.csv (paxos-trace/1) and, on request, graph.graphml/graph.dot
through checker.traces.graph.GraphRecorder, so tests run without the explorer. The agreement
counterexample is a realistic planted bug: an acceptor that forgets its accepted value on crash.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checker.traces.graph import GraphRecorder
from paxos._atomic import atomic_write_text

COLUMNS = ("format", "step", "event", "node", "peer", "msg_type", "bal", "value",
           "max_vbal", "max_val", "state_change", "fingerprint", "property", "detail")

CONFIG: dict[str, Any] = {
    "acceptors": 3, "proposers": 2, "learners": 1, "values": 2, "ballots": 2, "network": "bag",
    "crashes": 1, "drops": 1, "duplicates": 1, "symmetry": False, "impl": "tests.buggy:ForgetfulNode",
    "seed": 0, "max_states": None, "max_depth": None, "time_limit": None, "workers": 1,
}

# (event, node, peer, msg_type, bal, value, max_vbal, max_val, state_change)
_WITNESS = [
    ("propose", "1", "", "", "1@1", "a", "", "", "proposer 1: ballot - -> 1@1, sent Prepare 1@1"),
    ("deliver", "3", "1", "Prepare", "1@1", "", "", "", "acceptor 3: promised - -> 1@1"),
    ("deliver", "4", "1", "Prepare", "1@1", "", "", "", "acceptor 4: promised - -> 1@1"),
    ("deliver", "1", "3", "Promise", "1@1", "", "-", "", "proposer 1: promises 1 of 2"),
    ("deliver", "1", "4", "Promise", "1@1", "", "-", "", "proposer 1: promises 2 of 2, sent Accept 1@1 a"),
    ("deliver", "3", "1", "Accept", "1@1", "a", "", "", "acceptor 3: accepted - -> 1@1 a"),
    ("deliver", "4", "1", "Accept", "1@1", "a", "", "", "acceptor 4: accepted - -> 1@1 a; a is chosen"),
]
AGREEMENT_STEPS = [
    *_WITNESS[:6],
    ("duplicate", "4", "1", "Accept", "1@1", "a", "", "", "network: Accept 1@1 1->4 now twice in flight"),
    _WITNESS[6],
    ("propose", "2", "", "", "1@2", "b", "", "", "proposer 2: ballot - -> 1@2, sent Prepare 1@2"),
    ("crash", "4", "", "", "", "", "", "", "acceptor 4: down; volatile state lost (bug: accepted 1@1 a not durable)"),
    ("restart", "4", "", "", "", "", "", "", "acceptor 4: up with promised -, accepted -"),
    ("deliver", "4", "2", "Prepare", "1@2", "", "", "", "acceptor 4: promised - -> 1@2"),
    ("deliver", "5", "2", "Prepare", "1@2", "", "", "", "acceptor 5: promised - -> 1@2"),
    ("deliver", "2", "4", "Promise", "1@2", "", "-", "", "proposer 2: promises 1 of 2"),
    ("deliver", "2", "5", "Promise", "1@2", "", "-", "",
     "proposer 2: promises 2 of 2, no prior value, sent Accept 1@2 b"),
    ("drop", "3", "2", "Accept", "1@2", "b", "", "", "network: Accept 1@2 2->3 lost"),
    ("deliver", "4", "2", "Accept", "1@2", "b", "", "", "acceptor 4: accepted - -> 1@2 b"),
    ("deliver", "5", "2", "Accept", "1@2", "b", "", "", "acceptor 5: accepted - -> 1@2 b; b is chosen"),
]
AGREEMENT_FAULTS = {"duplicate": 1, "crash": 1, "restart": 1, "drop": 1}


def trace_csv(steps: Sequence[tuple[str, ...]], *, prop: str | None, config: dict[str, Any] | None = None,
              seed: int = 1) -> str:
    """A paxos-trace/1 file; the last step carries `prop` in its `property` column if `prop` is given."""
    rng = random.Random(seed)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    detail = {"trace_version": 1, "model": "impl", "impl": (config or CONFIG)["impl"],
              "config": config or CONFIG, "property": prop}
    w.writerow(["paxos-trace/1", 0, "config", "", "", "", "", "", "", "", "", f"{rng.getrandbits(64):016x}", "",
                json.dumps(detail, sort_keys=True)])
    for i, (event, node, peer, msg, bal, value, mvb, mvl, change) in enumerate(steps, start=1):
        breaks = prop if prop and i == len(steps) else ""
        w.writerow(["paxos-trace/1", i, event, node, peer, msg, bal, value, mvb, mvl, change,
                    f"{rng.getrandbits(64):016x}", breaks, ""])
    return buf.getvalue()


def synthetic_graph(recorder: GraphRecorder, states: int, *, seed: int = 0) -> list[int]:
    """A layered Paxos-like state graph of `states` states; returns the states per depth.

    Most branches lead to a chosen value; some take the "dueling" turn (a proposer times
    out into its last ballot) from which no value can be chosen; a few edges go back a
    layer (duplicates re-delivered), so there are cycles.
    """
    rng = random.Random(seed)
    doomed: list[bool] = []
    ids: list[str] = []
    chosen: list[str] = []
    layers: list[list[int]] = []
    n_layers = 18
    weights = [math.exp(-(((d - 0.55 * n_layers) / (0.22 * n_layers)) ** 2)) for d in range(1, n_layers)]
    widths = [1] + [max(1, round((states - 1) * w / sum(weights))) for w in weights]
    peak = widths.index(max(widths))
    widths[peak] += states - sum(widths)
    for depth, w in enumerate(widths):
        layer = []
        for _ in range(w):
            i = len(ids)
            ids.append(f"{rng.getrandbits(64):016x}")
            doomed.append(False)
            chosen.append("")
            layer.append(i)
        layers.append(layer)
        if depth == 0:
            continue
        prev = layers[depth - 1]
        for i in layer:  # every state has a parent in the layer above
            p = rng.choice(prev)
            doomed[i] = doomed[p] or rng.random() < 0.04
            chosen[i] = chosen[p] or ("" if doomed[i] or depth < 6 or rng.random() > 0.15 else rng.choice("ab"))
            if depth == len(widths) - 1 and not doomed[i] and not chosen[i]:
                chosen[i] = "a"
            _edge(recorder, ids, p, i, rng, dueling=doomed[i] and not doomed[p])
    for depth, layer in enumerate(layers):
        _add_nodes(recorder, ids, layer, depth, doomed, chosen, rng)
        if depth + 1 < len(layers):
            nxt = layers[depth + 1]
            for i in layer:
                for _ in range(rng.randint(2, 7)):
                    j = rng.choice(nxt)
                    if doomed[j] == doomed[i] and (not chosen[i] or chosen[j] == chosen[i]):
                        _edge(recorder, ids, i, j, rng, dueling=False)
        if depth > 0:
            for i in layer:
                if rng.random() < 0.05:
                    j = rng.choice(layers[depth - 1])
                    if doomed[j] == doomed[i] and chosen[j] == chosen[i]:
                        _edge(recorder, ids, i, j, rng, dueling=False)
    return widths


def _add_nodes(recorder: GraphRecorder, ids: list[str], layer: list[int], depth: int, doomed: list[bool],
               chosen: list[str], rng: random.Random) -> None:
    for i in layer:
        ballots = "2@1 2@2" if doomed[i] else f"{rng.randint(1, 2)}@{rng.randint(1, 2)}"
        label = f"promised [{ballots}] accepted [{chosen[i] or '-'}] msgs {rng.randint(1, 12)}"
        recorder.add_node(ids[i], depth, depth == 0, chosen[i], label)


def _edge(recorder: GraphRecorder, ids: list[str], i: int, j: int, rng: random.Random, *, dueling: bool) -> None:
    if dueling:
        action = f"timeout {rng.choice('12')} bal=2@{rng.choice('12')}"
    else:
        kind = rng.random()
        p, a = rng.choice("12"), rng.choice("345")
        if kind < 0.7:
            msg = rng.choice(["Prepare", "Accept"])
            action = f"deliver {msg} 1@{p} {p}->{a}" + (" val=a" if msg == "Accept" else "")
        elif kind < 0.9:
            action = f"deliver {rng.choice(['Promise', 'Accepted'])} 1@{p} {a}->{p}"
        elif kind < 0.95:
            action = f"duplicate Prepare 1@{p} {p}->{a}"
        else:
            action = f"crash {a}"
    recorder.add_edge(ids[i], ids[j], action)


def build_run(directory: Path, *, kind: str = "violated", graph_states: int | None = None,
              proofs: bool = False, seed: int = 0) -> Path:
    """Write a run directory. kind: violated (agreement broken), held (exhaustive, all held),
    bounded (stopped by max_states, nothing found)."""
    directory.mkdir(parents=True, exist_ok=True)
    traces = directory / "traces"
    atomic_write_text(traces / "sometimes_chosen.csv", trace_csv(_WITNESS, prop=None, seed=seed + 1))
    props: list[dict[str, Any]] = [
        {"name": "agreement", "kind": "always", "status": "held", "trace": None},
        {"name": "validity", "kind": "always", "status": "held", "trace": None},
        {"name": "refines_spec", "kind": "step", "status": "held", "trace": None},
        {"name": "sometimes_chosen", "kind": "sometimes", "status": "held",
         "trace": "traces/sometimes_chosen.csv", "witness_length": len(_WITNESS)},
    ]
    config = dict(CONFIG)
    exhaustive, stopped_by = True, None
    if kind == "violated":
        atomic_write_text(traces / "agreement.csv", trace_csv(AGREEMENT_STEPS, prop="agreement", seed=seed + 2))
        props[0] = {"name": "agreement", "kind": "always", "status": "violated", "trace": "traces/agreement.csv"}
        props[1]["status"] = props[2]["status"] = "unknown"
        exhaustive, stopped_by = False, "violation"
    elif kind == "bounded":
        config["max_states"] = 5000
        for p in props[:3]:
            p["status"] = "unknown"
        exhaustive, stopped_by = False, "max_states"
    elif kind != "held":
        raise ValueError(kind)
    graph_block = None
    if graph_states is not None:
        recorder = GraphRecorder(max(graph_states, 1))  # the whole synthetic graph (as --graph-limit N would keep)
        per_depth = synthetic_graph(recorder, graph_states, seed=seed)
        graph_block = recorder.write(directory, exhaustive=exhaustive)
    else:
        per_depth = [1, 3, 9, 24, 61, 140, 262, 401, 515, 560, 498, 371, 220, 102, 37, 9, 2]
    states = sum(per_depth)
    summary = {
        "version": 1, "command": "explore", "config": config, "model": "impl", "strategy": "bfs",
        "exhaustive": exhaustive, "stopped_by": stopped_by, "states": states,
        "transitions": graph_block["edges"] if graph_block else states * 3, "depth": len(per_depth) - 1,
        "seconds": 0.84, "peak_rss_mb": 61.2, "states_per_depth": per_depth,
        "coverage": {"actions": {"deliver": 7012, "propose": 402, "timeout": 388, "crash": 97, "restart": 90,
                                 "drop": 511, "duplicate": 430},
                     "messages": {"Prepare": 2101, "Promise": 1733, "Accept": 1689, "Accepted": 1489},
                     "faults": {"crash": 97, "restart": 90, "drop": 511, "duplicate": 430},
                     "max_ballot": "2@2"},
        "symmetry_reduction": None, "properties": props, "proofs": None, "graph": graph_block,
    }
    if proofs:
        summary["proofs"] = [
            {"goal": "inductive_invariant", "action": "Phase1b", "conjunct": "Inv2", "status": "proved",
             "seconds": 0.031, "model": None},
            {"goal": "inductive_invariant", "action": "Phase2a", "conjunct": "Inv3", "status": "failed",
             "seconds": 0.118, "model": {"maxBal": {"a1": 1, "a2": 0}, "maxVBal": {"a1": 0, "a2": -1},
                                         "msgs": ["2a(1, v1)", "2a(1, v2)"]}},
        ]
    atomic_write_text(directory / "summary.json", json.dumps(summary, indent=2) + "\n")
    return directory
