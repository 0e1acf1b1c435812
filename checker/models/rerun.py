"""One node input run on a node, with its outputs as the implementation model consumes them; and a batch of
node transitions re-run in a child process under another PYTHONHASHSEED.

The model reads a step's outputs as sets (the messages sent; the envelopes they make deliverable), so
`run_input` gives them as frozensets: the order of a node's outputs is no difference. The child reads its
batch from a pipe (pickle, never a file) and answers which transitions came out otherwise. Knows nothing
of searches or verdicts.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Hashable, Sequence
from typing import Any

from checker.config import CheckConfig, load_factory
from checker.hashseed import ENV
from paxos import (
    ClusterConfig,
    Message,
    NodeFault,
    NodeProtocol,
    ProtocolError,
    beyond_round,
    call_handler,
    call_node,
    checked_snapshot,
    resolve,
)

#: What a node step gives, as the model sees it: (snapshot after, messages sent, envelopes (dst index, message)
#: made deliverable, fault text or "" when the handler did not fail).
Outcome = tuple[Hashable, frozenset[Message], frozenset[tuple[int, Message]], str]
#: A transition to re-run: (node index, snapshot before, input, the outcome the model has).
Item = tuple[int, Hashable, tuple[str, Any], Outcome]

METHOD_OF = {"deliver": "on_message", "propose": "propose", "timeout": "on_timeout", "crash": "crash"}


def run_input(node: NodeProtocol, node_id: int, cc: ClusterConfig, index: dict[int, int], max_round: int | None,
              what: tuple[str, Any]) -> Outcome:
    """Give `node` one input (as it is, no restore) and return its outcome; a raise or a malformed output
    is a fault (its text), not an exception."""
    kind, arg = what
    method = METHOD_OF[kind]
    try:
        if kind == "deliver":
            outputs = call_handler(node_id, method, node.on_message, arg)
        elif kind == "propose":
            outputs = call_handler(node_id, method, node.propose, arg)
        elif kind == "timeout":
            outputs = call_handler(node_id, method, node.on_timeout)
        else:
            outputs = []
            call_node(node_id, method, node.crash)
        after = checked_snapshot(node_id, node.snapshot)
        msgs: set[Message] = set()
        envs: set[tuple[int, Message]] = set()
        for dest, msg in outputs:
            try:
                dsts = resolve(cc, dest)
            except ProtocolError as exc:
                raise NodeFault(node_id, method, str(exc)) from None
            msgs.add(msg)
            if not beyond_round(msg, max_round):
                envs.update((index[d], msg) for d in dsts)
    except NodeFault as fault:
        return (None, frozenset(), frozenset(), str(fault))
    return (after, frozenset(msgs), frozenset(envs), "")


def same(a: Outcome, b: Outcome) -> bool:
    """Equal outcomes; two faults are the same whatever their text (a fault changes nothing in the model)."""
    if a[3] or b[3]:
        return bool(a[3]) == bool(b[3])
    return a == b


class Rerunner:
    """The nodes of one configuration, each rebuilt from a snapshot for every input (as the model does)."""

    def __init__(self, cfg: CheckConfig) -> None:
        self.cfg = cfg
        self.cc = cfg.cluster_config()
        factory = load_factory(cfg.impl)
        self.ids = self.cc.node_ids
        self.index = {n: i for i, n in enumerate(self.ids)}
        self.nodes = [factory(n, self.cc) for n in self.ids]

    def outcome(self, i: int, snap: Hashable, what: tuple[str, Any]) -> Outcome:
        node, n = self.nodes[i], self.ids[i]
        try:
            call_node(n, "restore", node.restore, snap)
        except NodeFault as fault:
            return (None, frozenset(), frozenset(), str(fault))
        return run_input(node, n, self.cc, self.index, self.cfg.max_round, what)


def _child_main() -> None:
    """The child: read (sys.path, config, items) from stdin; write [(item index, its outcome here)] for every
    item whose outcome differs from the one given, or ("error", text)."""
    path, cfg, items = pickle.loads(sys.stdin.buffer.read())
    sys.path[:] = path
    try:
        rerun = Rerunner(cfg)
        out: Any = [(n, got) for n, (i, snap, what, expected) in enumerate(items)
                    if not same(got := rerun.outcome(i, snap, what), expected)]
    except Exception as exc:  # the child's own failure (e.g. the factory does not load there): said, not hidden
        out = ("error", f"{type(exc).__name__}: {exc}")
    sys.stdout.buffer.write(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))


def rerun_in_children(cfg: CheckConfig, items: Sequence[Item],
                      seeds: Sequence[str]) -> dict[str, list[tuple[int, Outcome]]]:
    """Re-run `items` in one child process per hash seed (in parallel); per seed, the items whose outcome
    differs there. Raises RuntimeError when a child fails, ValueError when a snapshot cannot be pickled."""
    try:
        data = pickle.dumps((list(sys.path), cfg, list(items)), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise ValueError(f"the node's snapshots or messages cannot be sent to another process: {exc}") from None
    results: dict[str, Any] = {}

    def one(seed: str) -> None:
        env = dict(os.environ, **{ENV: seed})
        proc = subprocess.run([sys.executable, "-c", "from checker.models.rerun import _child_main; _child_main()"],
                              input=data, capture_output=True, env=env, check=False, cwd=os.getcwd())
        if proc.returncode != 0:
            results[seed] = ("error", proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"])
        else:
            results[seed] = pickle.loads(proc.stdout)

    threads = [threading.Thread(target=one, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed, got in results.items():
        if isinstance(got, tuple):
            raise RuntimeError(f"the re-run under PYTHONHASHSEED={seed} failed: {got[1]}")
    return dict(results)
