"""Recording a state graph during exploration and exporting it as GraphML and DOT.

Owns the `graph.graphml`/`graph.dot` files of docs/formats.md and the action-text
format of edges (`format_action`, read back by reports/_msc.py). It does no search:
the engine feeds it nodes and edges. It keeps them in flat arrays (about 20 bytes per
edge plus the label per state) and streams the files, because a networkx graph of
100,000 states took 1.3 GB and 8 s to write with `networkx.write_graphml`.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from checker.errors import UsageError
from checker.model import Action, Model, State, StepRow
from paxos._atomic import atomic_write_bytes

DEFAULT_GRAPH_LIMIT = 50_000
#: graph.dot is written only up to this many states: Graphviz does not lay out more in useful time
DOT_LIMIT = 5_000
GRAPHML_NAME = "graph.graphml"
DOT_NAME = "graph.dot"
MESSAGE_EVENTS = frozenset({"deliver", "drop", "duplicate"})
_FP_HEX = re.compile(r"[0-9a-f]{16}")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def format_action(row: StepRow) -> str:
    """The edge `action` text of one transition.

    Message events: `EVENT MSG_TYPE BAL SENDER->RECEIVER[ vbal=B[ vval=V]][ val=VALUE]`
    (e.g. `deliver Prepare 1@1 1->3`, `deliver Promise 0@2 4->2 vbal=0@1 vval=v1`: a Promise's
    accepted ballot and value, a Nack's higher ballot as `vbal`); any other event:
    `EVENT[ NODE][ bal=BAL][ val=VALUE]` (e.g. `crash 2`, `propose 1 val=a`).
    """
    if row.event in MESSAGE_EVENTS and row.msg_type:
        text = f"{row.event} {row.msg_type} {row.bal or '-'} {row.peer or '?'}->{row.node or '?'}"
        if row.max_vbal:
            text += f" vbal={row.max_vbal}" + (f" vval={row.max_val}" if row.max_val else "")
    else:
        text = row.event + (f" {row.node}" if row.node else "")
        if row.bal:
            text += f" bal={row.bal}"
    if row.value:
        text += f" val={row.value}"
    return text


class GraphRecorder:
    """Collects the states and transitions of a search, then writes graph.graphml and graph.dot.

    The engine calls `add_node` once per distinct state (when it is first found) and
    `add_edge` once per transition (from `on_transition(state, action, succ)`), in any
    order. Edges whose endpoint was never added (a successor beyond a search limit) are
    left out of the files. The graph is capped at `limit` states: past it no state is added
    (`capped` becomes True, the summary says so) and the search goes on at full speed; the
    states kept are the first ones found (under BFS, the shallowest).
    """

    def __init__(self, limit: int = DEFAULT_GRAPH_LIMIT) -> None:
        if limit < 1:
            raise UsageError(f"--graph-limit must be a positive number of states, got {limit}")
        self.limit = limit
        self._index: dict[int, int] = {}
        self._depth = array("l")
        self._init = bytearray()
        self._chosen: list[str] = []
        self._label: list[str] = []
        self._src = array("Q")
        self._dst = array("Q")
        self._action = array("l")
        self._actions: dict[str, int] = {}
        self.capped = False

    @property
    def states(self) -> int:
        return len(self._depth)

    @property
    def edges(self) -> int:
        return len(self._src)

    def add_node(self, fp_hex: str, depth: int, init: bool, chosen: str, label: str) -> None:
        """Record a state; a repeated fingerprint is ignored (the first depth wins, as in BFS)."""
        self._add(_parse_fp(fp_hex), depth, init, chosen, label)

    def _add(self, fp: int, depth: int, init: bool, chosen: str, label: str) -> bool:
        """Record a state by its fingerprint; False if the graph is full (then it is `capped`)."""
        if fp in self._index:
            return True
        if len(self._depth) >= self.limit:
            self.capped = True
            return False
        self._index[fp] = len(self._depth)
        self._depth.append(depth)
        self._init.append(1 if init else 0)
        self._chosen.append(chosen)
        self._label.append(label)
        return True

    def add_edge(self, src_hex: str, dst_hex: str, action: str) -> None:
        """Record one transition with its action text (see `format_action`)."""
        code = self._actions.setdefault(action, len(self._actions))
        self._src.append(_parse_fp(src_hex))
        self._dst.append(_parse_fp(dst_hex))
        self._action.append(code)

    def add_transition(self, src_hex: str, dst_hex: str, row: StepRow) -> None:
        """`add_edge` with the action text made from the transition's trace row."""
        self.add_edge(src_hex, dst_hex, format_action(row))

    def transition_hook(self, model: Model, chosen: Callable[[State], str], initial_states: Iterable[State],
                        key: Callable[[State], int] | None = None) -> Callable[[State, Action, State], None]:
        """An `on_transition(state, action, succ)` for `SearchOptions` that records the whole graph.

        Initial states are recorded first (depth 0). A successor seen for the first time gets
        its source's depth + 1, which is its BFS depth when the search is BFS (under DFS it is
        the depth along the first path found). `chosen(state)` is the chosen value or "".
        Edge texts come from `model.describe` via `format_action`, once per distinct action (the
        text names the action only: event, nodes, message), not once per transition. Once the
        graph is capped, a transition that would add a state costs two fingerprints and a lookup.
        `key` is the fingerprint the search stores (`checker.search.common.state_key_fn`; default:
        the model's `fingerprint`), so that under symmetry a node is an orbit.
        """
        fingerprint = key if key is not None else model.fingerprint
        for state in initial_states:
            self._add(fingerprint(state), 0, True, chosen(state), model.describe_state(state))
        index, texts = self._index, self._actions
        codes: dict[Action, int] = {}

        def hook(state: State, action: Action, succ: State) -> None:
            src = fingerprint(state)
            if src not in index:  # not reachable in BFS; keeps the graph whole under other strategies
                if self.capped or not self._add(src, 0, False, chosen(state), model.describe_state(state)):
                    return
            dst = fingerprint(succ)
            if dst not in index:
                if self.capped or not self._add(dst, self._depth[index[src]] + 1, False, chosen(succ),
                                                model.describe_state(succ)):
                    return
            code = codes.get(action)
            if code is None:
                code = codes[action] = texts.setdefault(format_action(model.describe(state, action, succ)),
                                                        len(texts))
            self._src.append(src)
            self._dst.append(dst)
            self._action.append(code)

        return hook

    def write(self, run_dir: str | Path, exhaustive: bool = False) -> dict[str, object]:
        """Write graph.graphml and graph.dot into `run_dir`; return the summary's `graph` block. `complete`
        is true only if the search was `exhaustive` (every successor of every state explored) and no state
        was left out by the cap: only then may a report say what can no longer happen from a state."""
        directory = Path(run_dir)
        edges = list(self._edges())
        atomic_write_bytes(directory / GRAPHML_NAME, "".join(self._graphml_lines(edges)).encode("utf-8"))
        dot = None
        if self.states <= DOT_LIMIT:
            atomic_write_bytes(directory / DOT_NAME, "".join(self._dot_lines(edges)).encode("utf-8"))
            dot = DOT_NAME
        else:  # a stale graph.dot of an earlier run must not pass for this one
            (directory / DOT_NAME).unlink(missing_ok=True)
        dangling = len(edges) < self.edges  # a transition to a state never recorded: its source is not whole
        return {"graphml": GRAPHML_NAME, "dot": dot, "states": self.states, "edges": len(edges),
                "limit": self.limit, "complete": exhaustive and not self.capped and not dangling,
                "capped": self.capped}

    def _edges(self) -> Iterator[tuple[str, str, str]]:
        names = list(self._actions)
        for src, dst, code in zip(self._src, self._dst, self._action, strict=True):
            if src in self._index and dst in self._index:
                yield f"{src:016x}", f"{dst:016x}", names[code]

    def _nodes(self) -> Iterator[tuple[str, int, bool, str, str]]:
        for fp, i in self._index.items():
            yield f"{fp:016x}", self._depth[i], bool(self._init[i]), self._chosen[i], self._label[i]

    def _graphml_lines(self, edges: list[tuple[str, str, str]]) -> Iterator[str]:
        yield (
            "<?xml version='1.0' encoding='utf-8'?>\n"
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
            '<key id="depth" for="node" attr.name="depth" attr.type="int"/>\n'
            '<key id="init" for="node" attr.name="init" attr.type="boolean"/>\n'
            '<key id="chosen" for="node" attr.name="chosen" attr.type="string"/>\n'
            '<key id="label" for="node" attr.name="label" attr.type="string"/>\n'
            '<key id="action" for="edge" attr.name="action" attr.type="string"/>\n'
            '<graph edgedefault="directed">\n'
        )
        for fp, depth, init, chosen, label in self._nodes():
            yield (
                f'<node id="{fp}"><data key="depth">{depth}</data>'
                f'<data key="init">{"true" if init else "false"}</data>'
                f'<data key="chosen">{_xml(chosen)}</data><data key="label">{_xml(label)}</data></node>\n'
            )
        for src, dst, action in edges:
            yield f'<edge source="{src}" target="{dst}"><data key="action">{_xml(action)}</data></edge>\n'
        yield "</graph>\n</graphml>\n"

    def _dot_lines(self, edges: list[tuple[str, str, str]]) -> Iterator[str]:
        yield "digraph states {\n  node [shape=box, fontsize=9];\n"
        for fp, depth, init, chosen, label in self._nodes():
            style = ', style="filled,bold", fillcolor="#e7f5ff"' if init else ""
            if chosen:
                style = ', style=filled, fillcolor="#d3f9d8"'
            text = f"{label}\ndepth {depth}" + (f"\nchosen {chosen}" if chosen else "")
            yield f'  "{fp}" [label="{_dot_str(text)}"{style}];\n'
        for src, dst, action in edges:
            yield f'  "{src}" -> "{dst}" [label="{_dot_str(action)}"];\n'
        yield "}\n"


def _parse_fp(fp_hex: str) -> int:
    if not _FP_HEX.fullmatch(fp_hex):
        raise ValueError(f"fingerprint must be 16 lowercase hex digits, got {fp_hex!r}")
    return int(fp_hex, 16)


def _xml(text: str) -> str:
    return escape(_XML_BAD.sub("?", text))


def _dot_str(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


__all__ = ["DEFAULT_GRAPH_LIMIT", "DOT_LIMIT", "GraphRecorder", "format_action"]
