"""Checking what a user gives before any work starts: numbers, sizes and output paths.

Owns the argparse types of numeric flags (NaN, infinity, negatives and zero where it means
nothing are refused by argparse itself, as one line), the largest sizes a run can set up, and
`check_output_paths`, which every subcommand calls before it searches, proves or renders.
It reads the file system but writes nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from checker.errors import UsageError

#: Largest sizes whose setup is quick. Beyond them the quorum systems alone (every majority
#: of the acceptors, each pair checked to intersect) take minutes before any limit applies;
#: no exhaustive search of such sizes would finish anyway (use `prove` for every size).
MAX_ACCEPTORS = 13
MAX_PROPOSERS = 100
MAX_LEARNERS = 100
MAX_VALUES = 1000
MAX_SPEC_BALLOTS = 50


def check_size(flag: str, value: int, largest: int) -> None:
    if value > largest:
        raise UsageError(f"{flag} {value} is too large to set up: the largest supported size is {largest}")


def _number(text: str, kind: Callable[[str], float], least: float, strict: bool, what: str) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if math.isnan(value) or math.isinf(value) or value < least or (strict and value == least):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (seconds, MB)."""
    return _number(text, float, 0.0, True, "a finite number greater than 0")


def positive_int(text: str) -> int:
    """An integer >= 1."""
    return int(_number(text, int, 1, False, "an integer of at least 1"))


def natural_int(text: str) -> int:
    """An integer >= 0."""
    return int(_number(text, int, 0, False, "an integer of at least 0"))


def _writable(directory: Path) -> str | None:
    """None if a file can be created in `directory` (tried, then removed: `os.access` trusts root), else why not."""
    try:
        made = tempfile.mkdtemp(prefix=".paxos-check-probe.", dir=directory)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.rmdir(made)
    return None


def _nearest_existing(path: Path) -> Path:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def _check_creatable(flag: str, path: Path, what: str) -> None:
    """`path` does not exist yet: its nearest existing ancestor must be a writable directory."""
    ancestor = _nearest_existing(path.parent if path.parent != path else path)
    if not ancestor.is_dir():
        raise UsageError(f"{flag} {path}: {ancestor} is a file, so {what} cannot be created under it; "
                         "choose another path")
    why = _writable(ancestor)
    if why is not None:
        raise UsageError(f"{flag} {path}: cannot create {what} in {ancestor} ({why}); choose another path")


def check_output_dir(flag: str, path: str | os.PathLike[str]) -> Path:
    """A directory we will write into (created if missing)."""
    target = Path(path)
    if target.exists():
        if not target.is_dir():
            raise UsageError(f"{flag} {target} is a file, not a directory; name a directory (it is created if missing)")
        why = _writable(target)
        if why is not None:
            raise UsageError(f"{flag} {target}: cannot write into this directory ({why}); choose another path")
        return target
    _check_creatable(flag, target, "the directory")
    return target


def check_output_file(flag: str, path: str | os.PathLike[str]) -> Path:
    """A file we will write (replaced if present, atomically, so its directory must be writable)."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{flag} {target} is a directory; name a file, e.g. {target / 'summary.json'}")
    if target.exists() or target.is_symlink():
        if not target.is_file():
            raise UsageError(f"{flag} {target} is not a regular file; name a file to write")
        why = _writable(target.parent)
        if why is not None:
            raise UsageError(f"{flag} {target}: cannot write into {target.parent} ({why}); choose another path")
        return target
    parent = target.parent
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"{flag} {target}: {parent} is a file, not a directory; choose another path")
    _check_creatable(flag, target, "the file")
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_paths(dirs: Iterable[tuple[str, str | os.PathLike[str] | None]] = (),
                       files: Iterable[tuple[str, str | os.PathLike[str] | None]] = (),
                       inputs: Iterable[str | os.PathLike[str] | None] = ()) -> None:
    """Every output a command will write, as (flag, path) pairs (None: not asked); one line on the first bad one.
    No output file may be one of `inputs` (the files the command reads): that would replace the only record."""
    read = [Path(p) for p in inputs if p is not None]
    for flag, path in dirs:
        if path is not None:
            check_output_dir(flag, path)
    for flag, path in files:
        if path is None:
            continue
        target = check_output_file(flag, path)
        for source in read:
            if _same_file(target, source) or target.resolve() == source.resolve():
                raise UsageError(f"{flag} {target} is the input file {source}; writing there would replace it: "
                                 "choose another output path")


def input_files(impl: str | None, properties: Iterable[str] = ()) -> list[str]:
    """The files a run reads: an `--impl` or `--property` module given as a file path, or by a module name
    whose file is under the current directory (found without importing it). Outputs must not replace them."""
    found = []
    for spec in [impl, *properties]:
        module = (spec or "").partition(":")[0]
        if module.endswith(".py"):
            found.append(module)
        elif module:
            base = module.replace(".", os.sep)
            found += [p for p in (base + ".py", os.path.join(base, "__init__.py")) if os.path.isfile(p)]
    return found


def absolute(path: str | os.PathLike[str] | None) -> str | None:
    """`path` made absolute against the current directory, once at start: code the run calls (a node, a
    property) may change the working directory, which must not move where the outputs land."""
    return None if path is None else os.path.abspath(os.fspath(path))


#: The largest trace, log or JSON input read (bytes): anything larger is refused before it is read whole.
MAX_INPUT_BYTES = 256 * 1024 * 1024


class TooLarge(ValueError):
    """A file holds more than the most its reader reads (`read_at_most`)."""


def read_at_most(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a file, never more than `limit` read: TooLarge (a ValueError) beyond; OSError as open
    raises it. The callers turn both into their own one-line errors."""
    with open(os.fspath(path), "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"larger than {limit} bytes")
    return data


def read_json_object(path: str | os.PathLike[str], limit: int) -> dict[str, Any]:
    """A JSON object from a file of at most `limit` bytes (`read_at_most`): ValueError when it is larger,
    not UTF-8, not JSON or not an object; OSError as open raises it (FileNotFoundError: missing)."""
    value = json.loads(read_at_most(path, limit).decode("utf-8"))
    if type(value) is not dict:
        raise ValueError("not a JSON object")
    return value


def read_bounded(path: str | os.PathLike[str], what: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a file the user named, at most `limit` of them (a UsageError beyond: never read whole)."""
    name = os.fspath(path)
    try:
        return read_at_most(name, limit)
    except OSError as exc:
        raise UsageError(f"{name}: cannot open the {what}: {exc.strerror}") from None
    except TooLarge:
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
        raise UsageError(f"{name}: the {what} is larger than {size}, the most this command reads; give a smaller "
                         "file (split a log by round)") from None


def read_text_file(path: str | os.PathLike[str], what: str, give: str) -> tuple[str, str]:
    """(name, text) of a CSV file the user named; one-line UsageErrors if it cannot be opened, is larger
    than MAX_INPUT_BYTES, is not UTF-8 text or is empty. `what`: "trace" or "log"; `give`: the file to give instead."""
    name = os.fspath(path)
    data = read_bounded(name, what)
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet may have saved it with a byte-order mark
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name}: not a text CSV {what} (byte {exc.start} is not UTF-8); give {give}") from None
    if not text.strip():
        raise UsageError(f"{name}: the file is empty; give {give}")
    return name, text
