"""Checkpoints of a BFS: the files in `--checkpoint DIR` and how they are written and read back.

Layout of DIR:
  levels/p<i>of<n>-L<k>.fps, .par   partition i's level k: sorted fingerprints, their parents
                                    (written once by `LevelStore` as the level is stored)
  levels/p<i>of<n>-F<tag>.bin       partition i's frontier when checkpoint <tag> was taken: a
                                    plain-data file (checker/plaindata.py: a version and a checksum,
                                    no pickle)
  checkpoint.json                   the counters of the search and, per partition, what to read
                                    back with the SHA-256 of every file it names; written last and
                                    atomically, so it names only files that are whole. Its absence
                                    means "no checkpoint yet".
Every file is data: `verify_checkpoint` checks the whole of it (shape, names, checksums) before a
resumed search reads any state, and refuses in one line (`CheckpointError`) naming the file.
A checkpoint is taken at a level boundary (every state of the level stored and checked, none
expanded), so resuming re-expands that level and ends with exactly the states, transitions and
verdicts of an uninterrupted run. Owns the file layout only: what a partition saves is
bfs.py's, what a run saved to rebuild its model is the caller's (checker/runs/).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from checker.errors import UsageError
from checker.inputs import read_json_object
from checker.plaindata import PlainDataError, check_file
from paxos import atomic_write_bytes, atomic_write_text

VERSION = 2  # 1: frontiers were pickles (never read now)
CHECKPOINT_FILE = "checkpoint.json"
LEVELS = "levels"
FRONTIER_KIND = "frontier"
FRONTIER_VERSION = 1
_MAX_META = 1 << 28  # bytes of checkpoint.json read at most
_FRONTIER_NAME = re.compile(r"^p(\d+)of(\d+)-F(\d+)\.bin$")
_LEVEL_NAME = re.compile(r"^p\d+of\d+-L(\d+)\.(fps|par)$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


class CheckpointError(UsageError):
    """A checkpoint that cannot be resumed: the message names the file, what is wrong, what is left."""


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def levels_dir(root: str) -> str:
    return os.path.join(root, LEVELS)


def frontier_name(index: int, parts: int, tag: int) -> str:
    return f"p{index}of{parts}-F{tag}.bin"


def level_name(index: int, parts: int, level: int, ext: str) -> str:
    """Partition `index` of `parts`, level `level`: its fingerprints (`ext` "fps") or parents ("par")."""
    return f"p{index}of{parts}-L{level}.{ext}"


def write_frontier(root: str, index: int, parts: int, tag: int, blob: bytes) -> str:
    """Write one partition's frontier (a plain-data file from partition.frontier_file) atomically; its name."""
    name = frontier_name(index, parts, tag)
    atomic_write_bytes(os.path.join(levels_dir(root), name), blob)
    return name


def read_frontier(root: str, name: str) -> bytes:
    with open(os.path.join(levels_dir(root), name), "rb") as f:
        return f.read()


def write_checkpoint(root: str, meta: dict[str, Any]) -> None:
    """Make `meta` the checkpoint of DIR (atomically), then drop frontier files it no longer names.

    The flags of DIR/run.json (the caller's, if any) are recorded with it, so a resume can tell a
    run.json changed since (other bounds) from the one the checkpoint was taken under."""
    meta = dict(meta, version=VERSION, run=_run_flags(root))
    atomic_write_text(os.path.join(root, CHECKPOINT_FILE), json.dumps(meta) + "\n")
    keep = {p["frontier"] for p in meta["partitions"]}
    folder = levels_dir(root)
    for name in os.listdir(folder):
        if "-F" in name and name.endswith(".bin") and name not in keep:
            try:
                os.unlink(os.path.join(folder, name))
            except FileNotFoundError:
                pass


RUN_FILE = "run.json"


def _run_flags(root: str) -> Any:
    try:
        with open(os.path.join(root, RUN_FILE), encoding="utf-8") as f:
            return json.load(f).get("args")
    except (OSError, ValueError, AttributeError):
        return None


def has_checkpoint(root: str) -> bool:
    return os.path.isfile(os.path.join(root, CHECKPOINT_FILE))


_RESTART = ("nothing in it can be resumed: start the run again in a new --checkpoint directory "
            "(its flags are in run.json)")


def read_checkpoint(root: str) -> dict[str, Any]:
    """The checkpoint of DIR, its shape checked; CheckpointError (one line) if it is missing, unreadable,
    malformed or of another version."""
    path = os.path.join(root, CHECKPOINT_FILE)
    try:
        meta = read_json_object(path, _MAX_META)
    except FileNotFoundError:
        raise CheckpointError(f"{root} has no {CHECKPOINT_FILE}: the run was killed before its first checkpoint "
                              "(or this is not a --checkpoint directory); start it again") from None
    except OSError as exc:
        raise CheckpointError(f"{path} cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:  # larger than any checkpoint, not UTF-8, not JSON, not an object
        raise CheckpointError(f"{path} is damaged ({str(exc)[:80]}); {_RESTART}") from None
    version = meta.get("version")
    if version == 1:
        raise CheckpointError(f"{path} was written by an older paxos-check, whose frontier files are pickles "
                              f"(never read: they could run code); {_RESTART}")
    if version != VERSION:
        raise CheckpointError(f"{path} is checkpoint version {version!r}; this paxos-check reads {VERSION}; "
                              f"{_RESTART}")
    why = _malformed(meta)
    if why:
        raise CheckpointError(f"{path} is malformed ({why}); {_RESTART}")
    return meta


def _ints(v: Any) -> bool:
    return type(v) is list and all(type(x) is int and x >= 0 for x in v)


def _strs(v: Any) -> bool:
    return type(v) is list and all(type(x) is str for x in v)


def _malformed(meta: dict[str, Any]) -> str | None:
    """What is wrong with the shape of a checkpoint's counters, or None."""
    if meta.get("run") is not None and type(meta.get("run")) is not dict:
        return "'run' is not the flags of a run"
    parts = meta.get("parts")
    if type(parts) is not int or parts < 1:
        return "'parts' is not a positive integer"
    for key in ("per_depth",):
        if not _ints(meta.get(key)):
            return f"{key!r} is not a list of counts"
    if type(meta.get("transitions")) is not int or meta["transitions"] < 0:
        return "'transitions' is not a count"
    if type(meta.get("seconds")) not in (int, float):
        return "'seconds' is not a number"
    events = meta.get("events")
    if type(events) is not list or not all(
            type(e) is list and len(e) == 3 and type(e[0]) is str and type(e[1]) is int
            and (e[2] is None or type(e[2]) is int) for e in events):
        return "'events' is not a list of [name, fingerprint, target]"
    saved = meta.get("partitions")
    if type(saved) is not list or not all(type(p) is dict and type(p.get("index")) is int for p in saved) or \
            sorted(p["index"] for p in saved) != list(range(parts)):
        return f"'partitions' does not describe partitions 0..{parts - 1}"
    for p in saved:
        m = _FRONTIER_NAME.match(str(p.get("frontier")))
        if m is None or int(m.group(1)) != p["index"] or int(m.group(2)) != parts:
            return f"partition {p['index']} names the frontier file {str(p.get('frontier'))[:60]!r}"
        if not _ints(p.get("sizes")) or type(p.get("levels")) is not int or type(p.get("unreduced")) is not int:
            return f"partition {p['index']}'s counts are not counts"
        if not _strs(p.get("reported")) or not _strs(p.get("pending")) or p.get("packed") not in (None, True, False):
            return f"partition {p['index']}'s property names are not names"
        cov = p.get("coverage")
        if type(cov) is not dict or not all(type(c) is dict and all(type(n) is int for n in c.values())
                                            for c in cov.values()):
            return f"partition {p['index']}'s coverage is not counts"
        digests = p.get("digests")
        files = p.get("levels_files")
        if not (_strs(digests) and _strs(files) and len(digests) == len(files) + 1 == 2 * len(p["sizes"]) + 1
                and all(_SHA.match(d) for d in digests)):
            return f"partition {p['index']} does not give a checksum for each of its files"
    if sum(meta["per_depth"]) != sum(sum(p["sizes"]) for p in saved):
        return "'per_depth' does not add up to the states the partitions stored"
    return None


def verify_checkpoint(root: str, meta: dict[str, Any]) -> None:
    """Check every file `meta` names before any of it is used: the frontier files' format, version and
    checksum, the level files' checksums. CheckpointError (one line naming the file) otherwise."""
    folder = levels_dir(root)
    for p in meta["partitions"]:
        names = [p["frontier"], *p["levels_files"]]
        for name, digest in zip(names, p["digests"], strict=True):  # shapes checked by read_checkpoint
            if not _FRONTIER_NAME.match(name) and not _LEVEL_NAME.match(name):
                raise CheckpointError(f"{root}/{CHECKPOINT_FILE} names the file {name[:60]!r}, which is no "
                                      f"checkpoint file; {_RESTART}")
            path = os.path.join(folder, name)
            try:
                if name == p["frontier"]:
                    with open(path, "rb") as f:
                        check_file(f.read(), FRONTIER_KIND, FRONTIER_VERSION, path)
                got = sha256_file(path)
            except FileNotFoundError:
                raise CheckpointError(f"{path} is missing; {_RESTART}") from None
            except OSError as exc:
                raise CheckpointError(f"{path} cannot be read ({exc.strerror or exc}); {_RESTART}") from None
            except PlainDataError as exc:
                raise CheckpointError(f"{exc}; {_RESTART}") from None
            level = _LEVEL_NAME.match(name)
            if level is not None:
                k = int(level.group(1))
                size = p["sizes"][k] if k < len(p["sizes"]) else -1
                if os.path.getsize(path) != 8 * size:
                    raise CheckpointError(f"{path} holds {os.path.getsize(path) // 8} fingerprints, {CHECKPOINT_FILE} "
                                          f"says {size}: the file was truncated or altered; {_RESTART}")
            if got != digest:
                raise CheckpointError(f"{path} does not match the checksum {CHECKPOINT_FILE} gives it: the file "
                                      f"was damaged or altered; {_RESTART}")


def open_checkpoint(root: str | None, resume: bool, parts: int) -> dict[str, Any] | None:
    """Before a BFS of `parts` partitions with `--checkpoint root` starts: the checkpoint to resume, every file
    it names checked (`resume`), else None; CheckpointError (one line) for one that cannot be resumed, or
    ValueError if `root` already holds a checkpoint a fresh run would write over. Either engine calls it."""
    if resume:
        if not root:
            raise ValueError("resume needs the checkpoint directory (options.checkpoint)")
        saved = read_checkpoint(root)
        if saved["parts"] != parts:
            raise CheckpointError(f"the checkpoint in {root} has {saved['parts']} partitions; "
                                  f"resume it with workers={saved['parts']}, not {parts}")
        verify_checkpoint(root, saved)  # every file whole and unaltered before any is used
        return saved
    if root and has_checkpoint(root):
        raise ValueError(f"{root} already holds a checkpoint: resume it, or checkpoint elsewhere")
    return None


def settle_saved(root: str, events: list[list[Any]], kinds: Mapping[str, str],
                 settle: Callable[[list[tuple[str, int, int | None]]], None]) -> None:
    """Settle the property events a checkpoint recorded (`settle`: the engine's, into paths); CheckpointError if
    they name properties this model lacks or states the checkpoint does not hold (an altered checkpoint.json)."""
    unknown = sorted({name for name, _, _ in events if name not in kinds})
    if unknown:
        raise CheckpointError(f"{root}/{CHECKPOINT_FILE} names the property {unknown[0]!r}, which this run does not "
                              f"check: the checkpoint belongs to another run or was altered; {_RESTART}")
    try:
        settle([(name, fp, target) for name, fp, target in events])
    except (KeyError, RuntimeError, ValueError) as exc:  # a fingerprint with no stored ancestry
        raise CheckpointError(f"{root}/{CHECKPOINT_FILE} records a property event at a state it does not hold "
                              f"({str(exc).strip(chr(39))}): the checkpoint was altered; {_RESTART}") from None
