"""Checkpoints of a BFS: the files in `--checkpoint DIR` and how they are written and read back.

Layout of DIR:
  levels/p<i>of<n>-L<k>.fps, .par   partition i's level k: sorted fingerprints, their parents
                                    (written once by `LevelStore` as the level is stored)
  levels/p<i>of<n>-F<tag>.bin       partition i's frontier when checkpoint <tag> was taken
  checkpoint.json                   the counters of the search and, per partition, what to read
                                    back; written last and atomically, so it names only files
                                    that are whole. Its absence means "no checkpoint yet".
A checkpoint is taken at a level boundary (every state of the level stored and checked, none
expanded), so resuming re-expands that level and ends with exactly the states, transitions and
verdicts of an uninterrupted run. Owns the file layout only: what a partition saves is
bfs.py's, what a run saved to rebuild its model is the caller's (checker/runs/).
"""

from __future__ import annotations

import json
import os
from typing import Any

from paxos import atomic_write_bytes, atomic_write_text

VERSION = 1
CHECKPOINT_FILE = "checkpoint.json"
LEVELS = "levels"


def levels_dir(root: str) -> str:
    return os.path.join(root, LEVELS)


def frontier_name(index: int, parts: int, tag: int) -> str:
    return f"p{index}of{parts}-F{tag}.bin"


def write_frontier(root: str, index: int, parts: int, tag: int, blob: bytes) -> str:
    """Write one partition's frontier (bytes from bfs.pack_batch) atomically; its file name."""
    name = frontier_name(index, parts, tag)
    atomic_write_bytes(os.path.join(levels_dir(root), name), blob)
    return name


def read_frontier(root: str, name: str) -> bytes:
    with open(os.path.join(levels_dir(root), name), "rb") as f:
        return f.read()


def write_checkpoint(root: str, meta: dict[str, Any]) -> None:
    """Make `meta` the checkpoint of DIR (atomically), then drop frontier files it no longer names."""
    meta = dict(meta, version=VERSION)
    atomic_write_text(os.path.join(root, CHECKPOINT_FILE), json.dumps(meta) + "\n")
    keep = {p["frontier"] for p in meta["partitions"]}
    folder = levels_dir(root)
    for name in os.listdir(folder):
        if "-F" in name and name.endswith(".bin") and name not in keep:
            try:
                os.unlink(os.path.join(folder, name))
            except FileNotFoundError:
                pass


def has_checkpoint(root: str) -> bool:
    return os.path.isfile(os.path.join(root, CHECKPOINT_FILE))


def read_checkpoint(root: str) -> dict[str, Any]:
    """The checkpoint of DIR; ValueError (one line) if it is missing, unreadable or of another version."""
    path = os.path.join(root, CHECKPOINT_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            meta: dict[str, Any] = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"{root} has no {CHECKPOINT_FILE}: the run was killed before its first checkpoint "
                         "(or this is not a --checkpoint directory); start it again") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} cannot be read ({exc})") from None
    if meta.get("version") != VERSION:
        raise ValueError(f"{path} is checkpoint version {meta.get('version')!r}; this paxos-check reads {VERSION}")
    return meta
