"""Plain data on disk: the one file format for values paxos-check writes and reads back as states.

Owns the frontier files of a checkpoint: a format line, a header (kind, version, SHA-256 of the
body, the arrays' places) and a body (a JSON document plus numpy arrays of plain numbers). Values
are tagged JSON; lists of equal tuples of ints become numpy columns. Must never execute what it
reads: no pickle, no import, no call of a class's code when an instance is rebuilt (its fields are
set directly), and a class is named only if it is a dataclass, named tuple or enum of a module this
process has already imported. A file that is damaged, altered or of another kind is refused with
`PlainDataError` (one line naming the file), before any of it is used.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

MAGIC = b"paxos-check plain data 1\n"
_MAX_HEADER = 1 << 20  # bytes of the header line
_DTYPES = ("<u8", "<i8", "|u1")  # the only array types a file may hold: numbers, never objects
_INT64 = 1 << 63


class PlainDataError(ValueError):
    """A value that cannot be written as plain data, or a file that cannot be read back as such."""


# -- values as tagged JSON ----------------------------------------------------------------------

class Columns:
    """A list of equal tuples of non-negative ints given by its columns, for a writer that has them as arrays
    (no tuple made): each column a 1-D array of uint64, or a 2-D array of uint64 limbs (least significant
    first: one int per row, of any size). Written as the list of tuples it stands for, and read back as one."""

    def __init__(self, columns: Sequence[np.ndarray], n: int) -> None:
        self.columns, self.n = list(columns), n


def _uint_rows(a: np.ndarray) -> np.ndarray:
    """Non-negative ints (1-D uint64, or rows of uint64 limbs) as rows of as few little-endian bytes as they need."""
    limbs = np.ascontiguousarray(a.reshape(len(a), -1), dtype="<u8")
    rows = limbs.view(np.uint8).reshape(len(a), -1)
    used = np.flatnonzero(rows.any(axis=0))
    return rows[:, : max(1, int(used[-1]) + 1 if len(used) else 1)]


class _Writer:
    """Values as tagged JSON (`{"t": [...]}` a tuple, `{"c": "module:Class", "v": [...]}` an instance, ...),
    with the numpy arrays it refers to by index."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self._names: dict[type, str] = {}

    def array(self, a: np.ndarray) -> int:
        self.arrays.append(np.ascontiguousarray(a))
        return len(self.arrays) - 1

    def value(self, v: Any) -> Any:
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return v if -_INT64 < v < _INT64 else {"i": hex(v)}
        if t is float:
            return {"f": v.hex()}
        if t is tuple:
            return {"t": [self.value(x) for x in v]}
        if t is list:
            cols = self.columns(v)
            return cols if cols is not None else {"l": [self.value(x) for x in v]}
        if t is frozenset or t is set:
            return {"fs" if t is frozenset else "s": [self.value(x) for x in v]}
        if t is dict:
            return {"d": [[self.value(k), self.value(x)] for k, x in v.items()]}
        if t is bytes:
            return {"b": v.hex()}
        if t is Columns:
            return {"cols": [{"uint": self.array(_uint_rows(c))} for c in v.columns], "n": v.n}
        if t is np.ndarray and v.dtype.str in _DTYPES:
            return {"a": self.array(v)}
        if isinstance(v, enum.Enum):
            return {"c": self.name(t), "e": v.name}
        if isinstance(v, tuple) and hasattr(t, "_fields"):
            return {"c": self.name(t), "v": [self.value(x) for x in v]}
        if dataclasses.is_dataclass(v):
            fields = dataclasses.fields(v)
            extra = set(getattr(v, "__dict__", {})) - {f.name for f in fields}
            if extra:
                raise PlainDataError(f"a {t.__qualname__} holds attributes outside its fields ({sorted(extra)[0]}), "
                                     "which a file cannot restore")
            return {"c": self.name(t), "v": [self.value(getattr(v, f.name)) for f in fields]}
        raise PlainDataError(f"a value of type {t.__module__}.{t.__qualname__} is not plain data (ints, str, bytes, "
                             "floats, tuples, lists, sets, dicts, dataclasses, named tuples, enums)")

    def name(self, t: type) -> str:
        got = self._names.get(t)
        if got is None:
            got = f"{t.__module__}:{t.__qualname__}"
            try:
                same = _class(got) is t
            except PlainDataError:
                same = False
            if not same:
                raise PlainDataError(f"class {t.__qualname__} cannot be found again by its name {got} "
                                     "(defined inside a function?); define it at module level")
            self._names[t] = got
        return got

    def columns(self, items: list[Any]) -> dict[str, Any] | None:
        """A list of tuples of one length whose items are ints (or tuples of ints) as numpy columns."""
        if len(items) < 2 or type(items[0]) is not tuple:
            return None
        width = len(items[0])
        if not all(type(s) is tuple and len(s) == width for s in items):
            return None
        cols: list[Any] = []
        for j in range(width):
            column = [s[j] for s in items]
            if all(type(x) is int for x in column):
                cols.append(self.int_column(column))
            elif all(type(x) is tuple and all(type(y) is int and -_INT64 < y < _INT64 for y in x) for x in column):
                flat = [y for x in column for y in x]
                cols.append({"ints": [self.int_column([len(x) for x in column]), self.int_column(flat)]})
            else:
                cols.append({"any": [self.value(x) for x in column]})
        return {"cols": cols, "n": len(items)}

    def int_column(self, column: list[int]) -> dict[str, Any]:
        """Non-negative ints as rows of as few little-endian bytes as the largest needs; others as int64."""
        if not column or min(column) < 0:
            if all(-_INT64 < x < _INT64 for x in column):
                return {"int": self.array(np.array(column, dtype="<i8"))}
            return {"any": [self.value(x) for x in column]}
        width = max(1, (max(column).bit_length() + 7) // 8)
        if width <= 8:
            rows = np.array(column, dtype="<u8").view(np.uint8).reshape(len(column), 8)[:, :width]
        else:
            buf = b"".join(x.to_bytes(width, "little") for x in column)
            rows = np.frombuffer(buf, dtype=np.uint8).reshape(len(column), width)
        return {"uint": self.array(rows)}


def _class(name: str) -> type:
    """The class `module:qualname` names, if it is plain data; never imports, never calls `__getattr__`."""
    module, _, qual = name.partition(":")
    obj: Any = sys.modules.get(module)
    if obj is None or not qual:
        raise PlainDataError(f"names class {name!r}, whose module is not part of this run")
    for part in qual.split("."):
        found = vars(obj).get(part) if hasattr(obj, "__dict__") else None
        if found is None:
            raise PlainDataError(f"names class {name!r}, which does not exist")
        obj = found
    if not isinstance(obj, type) or not (dataclasses.is_dataclass(obj) or issubclass(obj, enum.Enum)
                                         or (issubclass(obj, tuple) and hasattr(obj, "_fields"))):
        raise PlainDataError(f"names {name!r}, which is not a dataclass, named tuple or enum")
    return obj


class _Reader:
    """The values `_Writer` wrote, every part checked for its shape before it is used."""

    def __init__(self, arrays: Sequence[np.ndarray]) -> None:
        self.arrays = arrays
        self._classes: dict[str, type] = {}

    def array(self, i: Any) -> np.ndarray:
        if type(i) is not int or not 0 <= i < len(self.arrays):
            raise PlainDataError(f"refers to array {i!r}, which it does not hold")
        return self.arrays[i]

    def value(self, v: Any) -> Any:
        if v is None or type(v) in (bool, int, str):
            return v
        if type(v) is not dict or len(v) not in (1, 2):
            raise PlainDataError(f"holds {str(v)[:40]!r}, which is no value of this format")
        tag, body = next(iter(v.items()))
        if tag == "t":
            return tuple(self.value(x) for x in _list(body))
        if tag == "l":
            return [self.value(x) for x in _list(body)]
        if tag == "fs":
            return frozenset(self.value(x) for x in _list(body))
        if tag == "s":
            return {self.value(x) for x in _list(body)}
        if tag == "d":
            return {self.value(k): self.value(x) for k, x in (_pair(p) for p in _list(body))}
        if tag == "i":
            return int(_str(body), 16)
        if tag == "f":
            return float.fromhex(_str(body))
        if tag == "b":
            return bytes.fromhex(_str(body))
        if tag == "c":
            return self.instance(_str(body), v)
        if tag == "cols":
            return self.columns(v)
        if tag == "a":
            return self.array(body).copy()
        raise PlainDataError(f"holds the unknown tag {tag!r}")

    def instance(self, name: str, v: dict[str, Any]) -> Any:
        cls = self._classes.get(name)
        if cls is None:
            cls = self._classes[name] = _class(name)
        if issubclass(cls, enum.Enum):
            member = cls.__members__.get(_str(v.get("e")))
            if member is None:
                raise PlainDataError(f"names {v.get('e')!r}, no member of {name}")
            return member
        values = [self.value(x) for x in _list(v.get("v"))]
        if issubclass(cls, tuple):
            if len(values) != len(cls._fields):  # type: ignore[attr-defined]
                raise PlainDataError(f"gives {name} {len(values)} fields, not {len(cls._fields)}")  # type: ignore[attr-defined]
            return tuple.__new__(cls, values)
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        if len(values) != len(fields):
            raise PlainDataError(f"gives {name} {len(values)} fields, not {len(fields)}")
        obj = object.__new__(cls)
        for f, x in zip(fields, values, strict=True):
            object.__setattr__(obj, f.name, x)
        return obj

    def column(self, c: Any, ints_only: bool = False) -> list[Any]:
        """One column of `columns` (`ints_only`: of the int kinds only)."""
        if type(c) is not dict or len(c) != 1:
            raise PlainDataError("holds a malformed column")
        tag, body = next(iter(c.items()))
        if tag == "int":
            a = self.array(body)
            if a.ndim != 1:
                raise PlainDataError("holds a malformed column")
            out: list[Any] = a.astype(np.int64).tolist()
            return out
        if tag == "uint":
            rows = self.array(body)
            if rows.ndim != 2 or rows.dtype != np.uint8:
                raise PlainDataError("holds a malformed column")
            width = rows.shape[1]
            if width <= 8:  # widened to uint64 in one step
                wide = np.zeros((rows.shape[0], 8), dtype=np.uint8)
                wide[:, :width] = rows
                out = wide.view("<u8").ravel().tolist()
                return out
            buf = rows.tobytes()
            return [int.from_bytes(buf[k : k + width], "little") for k in range(0, len(buf), width)]
        if tag == "ints" and not ints_only:
            parts = _list(body)
            if len(parts) != 2:
                raise PlainDataError("holds a malformed column")
            lens, values = self.column(parts[0], True), self.column(parts[1], True)
            if any(k < 0 for k in lens) or sum(lens) != len(values):
                raise PlainDataError("holds a malformed column")
            ends = np.cumsum(lens, dtype=np.int64).tolist()
            return [tuple(values[e - k : e]) for k, e in zip(lens, ends, strict=True)]
        if tag == "any" and not ints_only:
            return [self.value(x) for x in _list(body)]
        raise PlainDataError(f"holds the unknown column kind {tag!r}")

    def columns(self, v: dict[str, Any]) -> list[tuple[Any, ...]]:
        n = v.get("n")
        if type(n) is not int or n < 0:
            raise PlainDataError("holds columns without a row count")
        cols: list[Sequence[Any]] = []
        for c in _list(v["cols"]):
            col = self.column(c)
            if len(col) != n:
                raise PlainDataError(f"holds a column of {len(col)} rows, not {n}")
            cols.append(col)
        return list(zip(*cols, strict=True)) if cols else [() for _ in range(n)]


def _list(v: Any) -> list[Any]:
    if type(v) is not list:
        raise PlainDataError(f"holds {str(v)[:40]!r} where a list belongs")
    return v


def _str(v: Any) -> str:
    if type(v) is not str:
        raise PlainDataError(f"holds {str(v)[:40]!r} where a string belongs")
    return v


def _pair(v: Any) -> tuple[Any, Any]:
    items = _list(v)
    if len(items) != 2:
        raise PlainDataError("holds a malformed dict entry")
    return items[0], items[1]


# -- files ----------------------------------------------------------------------------------------

def dumps(kind: str, version: int, value: Any) -> bytes:
    """`value` as the bytes of a plain-data file of `kind` (PlainDataError if it is not plain data)."""
    w = _Writer()
    doc = json.dumps(w.value(value), separators=(",", ":")).encode()
    parts, places, at = [doc], [], len(doc)
    for a in w.arrays:
        raw = a.tobytes()
        places.append([a.dtype.str, list(a.shape), at, len(raw)])
        parts.append(raw)
        at += len(raw)
    body = b"".join(parts)
    header = {"kind": kind, "version": version, "sha256": hashlib.sha256(body).hexdigest(), "length": len(body),
              "document": len(doc), "arrays": places}
    return MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n" + body


def check_file(data: bytes, kind: str, version: int, name: str) -> tuple[dict[str, Any], bytes]:
    """The header and body of a plain-data file of `kind` and `version`, its checksum checked; PlainDataError
    (one line naming `name`) if the file is of another kind or version, or damaged."""
    def bad(why: str) -> PlainDataError:
        return PlainDataError(f"{name} {why}")

    if not data.startswith(MAGIC):
        if data.startswith(b"\x80"):
            raise bad("is a pickle (written by an older paxos-check?), which paxos-check never reads: it could "
                      "run code")
        raise bad("is not a paxos-check plain data file (damaged, or another file put in its place)")
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + _MAX_HEADER)
    if end < 0:
        raise bad("has no readable header: the file is damaged")
    try:
        header = json.loads(data[len(MAGIC) : end])
        sha, length = header["sha256"], header["length"]
    except (ValueError, KeyError, TypeError):
        raise bad("has a damaged header") from None
    if header.get("kind") != kind:
        raise bad(f"holds {header.get('kind')!r}, not {kind!r}")
    if header.get("version") != version:
        raise bad(f"is version {header.get('version')!r} of its format; this paxos-check reads {version}")
    body = data[end + 1 :]
    if len(body) != length:
        raise bad(f"is truncated or padded ({len(body)} bytes of body, its header says {length}): the file is damaged")
    if hashlib.sha256(body).hexdigest() != sha:
        raise bad("does not match its checksum: the file was damaged or altered")
    return header, body


def loads(data: bytes, kind: str, version: int, name: str) -> Any:
    """The value of a plain-data file of `kind` and `version` (`check_file`), every part checked as it is
    rebuilt; PlainDataError (one line naming `name`) if anything is wrong."""
    header, body = check_file(data, kind, version, name)
    try:
        doc_len, places = header["document"], header["arrays"]
        arrays = [_array(body, p) for p in places]
        return _Reader(arrays).value(json.loads(body[:doc_len]))
    except PlainDataError as exc:
        raise PlainDataError(f"{name} {exc}") from None
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise PlainDataError(f"{name} is malformed ({type(exc).__name__}: {str(exc)[:80]})") from None


def _array(body: bytes, place: Any) -> np.ndarray:
    dtype, shape, at, size = place
    if dtype not in _DTYPES or type(shape) is not list or not all(type(d) is int and d >= 0 for d in shape):
        raise PlainDataError(f"holds an array of type {dtype!r}, which is not plain numbers")
    if type(at) is not int or type(size) is not int or at < 0 or at + size > len(body):
        raise PlainDataError("holds an array outside its body")
    a = np.frombuffer(body, dtype=np.dtype(dtype), count=size // np.dtype(dtype).itemsize, offset=at)
    return a.reshape(shape)
