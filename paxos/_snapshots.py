"""Snapshots of plain-data node state: `freeze`/`thaw`, the `PlainSnapshots` mixin, and `snapshot_diff`.

Owns turning a node's state made of dicts, lists, sets, tuples, dataclasses, namedtuples, enums,
ints, floats, str, bytes and None (nested any way) into a hashable value of tuples, frozensets and
scalars, and back into fresh mutable objects. No protocol logic; the node contract check
(checker/models/contract.py) verifies whatever a node built with these helpers does.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
from collections.abc import Callable, Hashable, Mapping
from typing import Any, ClassVar

#: Every NaN freezes to this one object: NaN != NaN, but a tuple holding the same object compares equal
#: to itself and hashes alike, so two snapshots with a NaN in the same place are one state.
NAN = float("nan")


def _class_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _class_of(name: str) -> type:
    module, _, qualname = name.partition(":")
    target: Any = sys.modules.get(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    if not isinstance(target, type):
        raise TypeError(f"thaw: class {name} is not loaded in this process; import its module first")
    return target


def freeze(value: Any, where: str = "state") -> Hashable:
    """`value` as a hashable, comparable value that `thaw` turns back into an equal, unshared copy.

    Scalars stay as they are (a NaN becomes `NAN`, -0.0 becomes 0.0: equal values, one form); a
    container becomes a tuple tagged with its kind, so a frozen tuple never reads as a frozen list.
    Anything else is a TypeError naming where in the state it is (`where`).
    """
    if value is None or (isinstance(value, (bool, int, str, bytes)) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, float):
        return NAN if value != value else (0.0 if value == 0 else value)
    if isinstance(value, enum.Enum):
        return ("enum", _class_name(type(value)), value.name)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return ("dataclass", _class_name(type(value)),
                tuple((f.name, freeze(getattr(value, f.name), f"{where}.{f.name}")) for f in dataclasses.fields(value)))
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
        return ("namedtuple", _class_name(type(value)), tuple(freeze(x, f"{where}[{i}]") for i, x in enumerate(value)))
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return (kind, tuple(freeze(x, f"{where}[{i}]") for i, x in enumerate(value)))
    if isinstance(value, (set, frozenset)):
        return ("set" if isinstance(value, set) else "frozenset", frozenset(freeze(x, f"{where} item") for x in value))
    if isinstance(value, dict):
        return ("dict", frozenset((freeze(k, f"{where} key"), freeze(v, f"{where}[{k!r}]")) for k, v in value.items()))
    raise TypeError(f"freeze: {where} is a {type(value).__name__}, not plain data (dict, list, set, tuple, "
                    "dataclass, namedtuple, enum, int, float, str, bytes, None); convert it in the adapter")


def thaw(frozen: Any) -> Any:
    """A fresh value equal to the one `freeze` was given (mutable containers new, nothing shared)."""
    if not isinstance(frozen, tuple):
        return frozen
    kind = frozen[0]
    if kind == "list":
        return [thaw(x) for x in frozen[1]]
    if kind == "tuple":
        return tuple(thaw(x) for x in frozen[1])
    if kind == "set":
        return {thaw(x) for x in frozen[1]}
    if kind == "frozenset":
        return frozenset(thaw(x) for x in frozen[1])
    if kind == "dict":
        return {thaw(k): thaw(v) for k, v in frozen[1]}
    if kind == "enum":
        return getattr(_class_of(frozen[1]), frozen[2])
    if kind == "namedtuple":
        return _class_of(frozen[1])(*(thaw(x) for x in frozen[2]))
    if kind == "dataclass":
        cls: Any = _class_of(frozen[1])
        obj = cls.__new__(cls)
        for name, field in frozen[2]:
            object.__setattr__(obj, name, thaw(field))  # frozen dataclasses too; __init__ is not re-run
        return obj
    raise TypeError(f"thaw: {frozen!r:.60} is not a value from freeze()")


class PlainSnapshots:
    """`snapshot()`, `restore()`, `crash()` and `rename_snapshot()` for a node whose state is plain data.

    Declare where the state is: `state_fields`, the attribute names on `state_holder()` (the adapter
    itself by default, or the library's object it wraps), and `durable_fields`, those a real node
    persists before replying (kept by `crash()`; the others go back to the values they had when
    `remember_initial()` was called, at the end of `__init__`). A snapshot is a tuple of
    `(field, frozen value)` pairs, so a trace can say which field a step changed. If the state holds
    node ids and you want `--symmetry`, override `rename_ids`; the checker verifies the renaming.
    """

    state_fields: ClassVar[tuple[str, ...]] = ()
    durable_fields: ClassVar[tuple[str, ...]] = ()
    _plain_initial: tuple[tuple[str, Hashable], ...]

    def state_holder(self) -> Any:
        """The object whose attributes `state_fields` names (default: this node)."""
        return self

    def remember_initial(self) -> None:
        """Record the state a fresh node has: `crash()` resets the volatile fields to it."""
        self._plain_initial = self.snapshot()

    def snapshot(self) -> tuple[tuple[str, Hashable], ...]:
        holder = self.state_holder()
        return tuple((name, freeze(getattr(holder, name), name)) for name in self.state_fields)

    def restore(self, snapshot: Hashable) -> None:
        holder = self.state_holder()
        for name, frozen in snapshot:  # type: ignore[attr-defined]
            setattr(holder, name, thaw(frozen))

    def crash(self) -> None:
        initial = getattr(self, "_plain_initial", None)
        if initial is None:
            raise TypeError(f"{type(self).__name__}.crash(): call self.remember_initial() at the end of __init__")
        self.restore(tuple((name, frozen) for name, frozen in initial if name not in self.durable_fields))

    def rename_ids(self, state: dict[str, Any], node: Callable[[int], int]) -> None:
        """Rename node ids inside `state` (field -> thawed value) in place with `node(id)`; default: none held."""

    def rename_snapshot(self, snapshot: Hashable, mapping: Mapping[int, int]) -> Hashable:
        state = {name: thaw(frozen) for name, frozen in snapshot}  # type: ignore[attr-defined]
        self.rename_ids(state, lambda a: mapping.get(a, a))
        return tuple((name, freeze(state[name], name)) for name in state)


def _short(value: Any, width: int = 40) -> str:
    try:
        shown = thaw(value)  # a frozen value reads as what the node holds
    except (TypeError, AttributeError, IndexError, ValueError):
        shown = value
    text = repr(shown)
    return text if len(text) <= width else text[: width - 3] + "..."


def _fields(s: Any) -> list[tuple[str, Any]] | None:
    if isinstance(s, tuple) and s and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in s):
        return list(s)
    if dataclasses.is_dataclass(s) and not isinstance(s, type):
        return [(f.name, getattr(s, f.name)) for f in dataclasses.fields(s)]
    if isinstance(s, tuple) and hasattr(s, "_fields"):
        return list(zip(s._fields, s, strict=True))
    return None


def _plain(value: Any) -> Any:
    try:
        return thaw(value)
    except (TypeError, AttributeError, IndexError, ValueError):
        return value


def _collection_changes(name: str, before: Any, after: Any) -> list[str] | None:
    """`promises[4]: + Promise(...)`: the keys (or members) a dict (or set) gained, lost or changed."""
    b, a = _plain(before), _plain(after)
    if isinstance(b, dict) and isinstance(a, dict):
        out = [f"{name}[{k!r}]: + {_short(a[k], 60)}" for k in a if k not in b]
        out += [f"{name}[{k!r}]: - {_short(b[k], 60)}" for k in b if k not in a]
        return out + [f"{name}[{k!r}]: {_short(b[k])} -> {_short(a[k])}" for k in a if k in b and a[k] != b[k]]
    if isinstance(b, (set, frozenset)) and isinstance(a, (set, frozenset)):
        return ([f"{name}: + {_short(x, 60)}" for x in a - b] + [f"{name}: - {_short(x, 60)}" for x in b - a])
    return None


def _changes(prefix: str, before: Any, after: Any, depth: int) -> list[str]:
    listed = _collection_changes(prefix or "state", before, after)
    if listed:
        return listed
    fb, fa = _fields(before), _fields(after)
    if depth == 0 or fb is None or fa is None or [n for n, _ in fb] != [n for n, _ in fa]:
        return [f"{prefix or 'state'}: {_short(before)} -> {_short(after)}"]
    out: list[str] = []
    for (name, b), (_, a) in zip(fb, fa, strict=True):
        if b != a:
            out += _changes(f"{prefix}.{name}" if prefix else name, b, a, depth - 1)
    return out


def snapshot_diff(before: Any, after: Any, limit: int = 3) -> str:
    """What changed between two snapshots of one node, briefly: `round: 1 -> 2; promises: {} -> {3: ...}`.

    Fields are named when a snapshot is a tuple of `(name, value)` pairs (`PlainSnapshots`) or a
    dataclass (ours, down to the fields of its parts); otherwise the whole value, cut short."""
    if before == after:
        return ""
    changed = _changes("", before, after, 2)
    more = f"; and {len(changed) - limit} more" if len(changed) > limit else ""
    return "; ".join(changed[:limit]) + more
