"""Reading the state graph of `explore --graph` (graph.graphml) into flat arrays.

Owns GraphML parsing and its error messages. Files laid out exactly as
checker.traces.graph.GraphRecorder writes them (one element per line, its key ids) take a
regex fast path; any other GraphML goes through expat. It analyses nothing.
"""

from __future__ import annotations

import gc
import re
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from xml.parsers import expat

from reports._errors import ReportInputError

_OUR_KEYS = (
    '<key id="depth" for="node" attr.name="depth" attr.type="int"/>',
    '<key id="init" for="node" attr.name="init" attr.type="boolean"/>',
    '<key id="chosen" for="node" attr.name="chosen" attr.type="string"/>',
    '<key id="label" for="node" attr.name="label" attr.type="string"/>',
    '<key id="action" for="edge" attr.name="action" attr.type="string"/>',
)
_NODE = re.compile(
    r'^<node id="([^"<>&]*)"><data key="depth">(-?\d+)</data><data key="init">(true|false)</data>'
    r'<data key="chosen">([^<]*)</data><data key="label">([^<]*)</data></node>$', re.M)
_EDGE = re.compile(r'^<edge source="([^"<>&]*)" target="([^"<>&]*)"><data key="action">([^<]*)</data></edge>$', re.M)


@dataclass(slots=True)
class StateGraph:
    """A state graph in flat arrays: node i has ids[i], depth[i], ...; edge j is src[j] -> dst[j]."""

    path: Path
    ids: list[str] = field(default_factory=list)
    depth: array[int] = field(default_factory=lambda: array("l"))
    init: list[bool] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)
    label: list[str] = field(default_factory=list)
    src: array[int] = field(default_factory=lambda: array("l"))
    dst: array[int] = field(default_factory=lambda: array("l"))
    action: list[str] = field(default_factory=list)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector around bulk allocation of acyclic objects.

    Collections triggered by allocating hundreds of thousands of small objects took a
    third of the GraphML load and over half of the graph analysis of a 100,000-state run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_graphml(path: Path, *, fast: bool = True) -> StateGraph:
    """Parse graph.graphml; node attributes depth, init, chosen, label and edge attribute action.

    Not `networkx.read_graphml`: it took 9 s and 1.3 GB for a 100,000-state graph here.
    `fast=False` forces the general expat parser (tests compare the two).
    """
    if not path.is_file():
        raise ReportInputError(
            f"{path}: file is missing (summary.json 'graph' refers to it); re-run explore with --graph"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportInputError(f"{path}: cannot read: {exc}") from None
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # entity expansion and external entities: never ours
        raise ReportInputError(f"{path}: the graph declares a DOCTYPE or entities, which paxos-check never writes; "
                               "re-run explore with --graph to write it again")
    with paused_gc():
        graph = _ours(path, data) if fast else None
        if graph is None:
            graph = _expat(path, data)
    if not graph.ids:
        raise ReportInputError(f"{path}: the graph has no nodes")
    if not any(graph.init):
        raise ReportInputError(f"{path}: no node has init=true; expected the initial state(s) marked")
    return graph


def _ours(path: Path, data: bytes) -> StateGraph | None:
    """The fast path: every node and edge line matched, else None (and expat decides)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = text[:2000]
    if not all(key in head for key in _OUR_KEYS) or not text.rstrip().endswith("</graph>\n</graphml>"):
        return None
    nodes = _NODE.findall(text)
    edges = _EDGE.findall(text)
    if len(nodes) != text.count("<node ") or len(edges) != text.count("<edge "):
        return None
    ids = [n[0] for n in nodes]
    index = {node_id: i for i, node_id in enumerate(ids)}
    if len(index) != len(ids):
        twice = next(node_id for i, node_id in enumerate(ids) if index[node_id] != i)
        raise ReportInputError(f"{path}: node id {twice!r} appears twice")
    try:
        src = array("l", [index[e[0]] for e in edges])
        dst = array("l", [index[e[1]] for e in edges])
    except KeyError:
        bad = next(e for e in edges if e[0] not in index or e[1] not in index)
        raise ReportInputError(f"{path}: edge {bad[0]} -> {bad[1]} names unknown node") from None
    texts = {t: unescape(t) for t in {e[2] for e in edges}}  # action texts repeat a lot
    return StateGraph(
        path,
        ids=ids,
        depth=array("l", [int(n[1]) for n in nodes]),
        init=[n[2] == "true" for n in nodes],
        chosen=[unescape(n[3]) if "&" in n[3] else n[3] for n in nodes],
        label=[unescape(n[4]) if "&" in n[4] else n[4] for n in nodes],
        src=src,
        dst=dst,
        action=[texts[e[2]] for e in edges],
    )


def _add_edge(path: Path, graph: StateGraph, index: dict[str, int], source: str, target: str) -> None:
    try:
        graph.src.append(index[source])
        graph.dst.append(index[target])
    except KeyError as exc:
        raise ReportInputError(f"{path}: edge {source} -> {target} names unknown node {exc.args[0]!r}") from None


def _expat(path: Path, data: bytes) -> StateGraph:
    """Any GraphML: key ids are looked up by attribute name."""
    graph = StateGraph(path)
    keys: dict[str, str] = {}      # GraphML key id -> attribute name
    index: dict[str, int] = {}
    pending: list[tuple[str, str]] = []  # edge endpoints by id, resolved at the end (nodes may come later)
    cur: dict[str, Any] = {}
    text: list[str] = []
    data_key: list[str | None] = [None]

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "key":
            keys[attrs.get("id", "")] = attrs.get("attr.name", "")
        elif tag == "node":
            cur.clear()
            cur["id"] = attrs.get("id", "")
        elif tag == "edge":
            cur.clear()
            pending.append((attrs.get("source", ""), attrs.get("target", "")))
        elif tag == "data":
            data_key[0] = keys.get(attrs.get("key", ""), attrs.get("key", ""))
            text.clear()

    def chars(chunk: str) -> None:
        if data_key[0] is not None:
            text.append(chunk)

    def end(tag: str) -> None:
        if tag == "data":
            cur[data_key[0] or ""] = "".join(text)
            data_key[0] = None
        elif tag == "node":
            _finish_node(path, parser.CurrentLineNumber, graph, index, cur)
        elif tag == "edge":
            graph.action.append(cur.get("action", ""))

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        raise ReportInputError(f"{path}: not valid GraphML/XML at line {exc.lineno}: {reason}") from None
    for source, target in pending:
        _add_edge(path, graph, index, source, target)
    return graph


def _finish_node(path: Path, line: int, graph: StateGraph, index: dict[str, int], cur: dict[str, Any]) -> None:
    node_id = cur["id"]
    if node_id in index:
        raise ReportInputError(f"{path}: line {line}: node id {node_id!r} appears twice")
    try:
        depth = int(cur["depth"])
    except (KeyError, ValueError):
        raise ReportInputError(f"{path}: line {line}: node {node_id!r} needs an integer 'depth' attribute") from None
    init_text = cur.get("init", "false").strip().lower()
    if init_text not in ("true", "false", "1", "0"):
        raise ReportInputError(f"{path}: line {line}: node {node_id!r} has init={init_text!r}, expected true or false")
    index[node_id] = len(graph.ids)
    graph.ids.append(node_id)
    graph.depth.append(depth)
    graph.init.append(init_text in ("true", "1"))
    graph.chosen.append(cur.get("chosen", ""))
    graph.label.append(cur.get("label", ""))
