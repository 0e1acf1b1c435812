"""What takes a BFS beyond one process and one run: `--cluster`, `--checkpoint`, `--checkpoint-every`,
and `paxos-check resume DIR`.

Owns checking those fields of a RunRequest before any work (one line, exit 2; the flags themselves are
checker/cli/flags.py's), the run file that lets `resume` rebuild the run from its flags (`DIR/run.json`),
and the search options they turn into. The search itself (partitions, checkpoints, Ray actors) is
checker/search/'s; this module only hands it options.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from checker.errors import UsageError
from checker.inputs import check_output_paths, read_json_object
from checker.runs.build import DEFAULT_OUT, build_model
from checker.runs.request import RunRequest
from checker.search.checkpoint import RUN_FILE, has_checkpoint, read_checkpoint
from paxos import atomic_write_text

DEFAULT_CHECKPOINT_EVERY = 60.0
_RAY_ADDRESS = re.compile(r"^ray://[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


def check_cluster_flag(cluster: str | None) -> None:
    """Refuse a bad --cluster before any work: its address, Ray not installed, and a ray:// cluster
    joined without Ray's token authentication (the driver and the actors exchange pickled objects:
    whoever can talk to an unauthenticated cluster can run code on it and on us)."""
    if cluster is None:
        return
    if cluster != "auto" and not _RAY_ADDRESS.match(cluster):
        raise UsageError(f"--cluster must be 'auto' or ray://HOST:PORT, got {cluster!r}")
    if cluster != "auto" and not ray_token_configured():
        raise UsageError(f"--cluster {cluster}: Ray's token authentication is not configured here, and paxos-check "
                         "never joins a cluster without it (Ray runs whatever its members send): export "
                         "RAY_AUTH_MODE=token and RAY_AUTH_TOKEN=<the head's token> ('ray get-auth-token' on the head)")
    if importlib.util.find_spec("ray") is None:
        raise UsageError("--cluster needs Ray, which is not installed: pip install -e '.[cluster]'")


def ray_token_configured() -> bool:
    """True if Ray's token authentication is on in this environment (RAY_AUTH_MODE=token) and a token is
    there to send: RAY_AUTH_TOKEN, the file RAY_AUTH_TOKEN_PATH names, or ~/.ray/auth_token (Ray's order)."""
    if os.environ.get("RAY_AUTH_MODE", "").strip().lower() != "token":
        return False
    if os.environ.get("RAY_AUTH_TOKEN", "").strip():
        return True
    named = os.environ.get("RAY_AUTH_TOKEN_PATH")
    path = Path(named) if named else Path.home() / ".ray" / "auth_token"
    try:
        return bool(path.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError):
        return False


def check_scale_arguments(request: RunRequest, resume: bool = False) -> None:
    """Refuse bad --cluster/--checkpoint flags before any work (`resume`: flags read back from run.json,
    whose --checkpoint DIR may hold a checkpoint)."""
    cluster = request.ray
    checkpoint = request.checkpoint
    if request.checkpoint_every is not None and checkpoint is None:
        raise UsageError("--checkpoint-every applies with --checkpoint DIR only; add --checkpoint or drop it")
    if cluster is None and checkpoint is None:
        return
    flag = "--cluster" if cluster is not None else "--checkpoint"
    if request.strategy != "bfs":
        raise UsageError(f"{flag} is for --strategy bfs; drop it or use bfs")
    if request.graph:
        raise UsageError(f"--graph keeps the state graph in this process; it does not go with {flag}")
    check_cluster_flag(cluster)
    if checkpoint is not None:
        check_output_paths(dirs=[("--checkpoint", checkpoint)])
        if has_checkpoint(checkpoint) and not resume:
            raise UsageError(f"--checkpoint {checkpoint} already holds a checkpoint: continue it with "
                             f"'paxos-check resume {checkpoint}', or give another directory")


def scale_options(request: RunRequest, resume: bool = False) -> dict[str, Any]:
    """The SearchOptions fields of these flags (for run.execute's `extra`)."""
    out: dict[str, Any] = {}
    if request.checkpoint is not None:
        every = request.checkpoint_every
        out.update(checkpoint=str(request.checkpoint), resume=resume,
                   checkpoint_every=DEFAULT_CHECKPOINT_EVERY if every is None else every)
    if request.ray is not None:  # the request is plain frozen data: it pickles to Ray workers as it is
        out.update(cluster=request.ray, model_factory=functools.partial(build_model, request))
    return out


def write_run_file(checkpoint: str, flags: dict[str, Any]) -> None:
    """Record the flags in DIR/run.json so that `resume DIR` can rebuild this run."""
    flags = dict(flags)
    for key in ("out", "json", "checkpoint"):  # resume may run from another directory
        if flags.get(key) is not None:
            flags[key] = os.path.abspath(flags[key])
    if flags.get("out") is None:
        flags["out"] = os.path.abspath(DEFAULT_OUT)
    os.makedirs(checkpoint, exist_ok=True)
    atomic_write_text(Path(checkpoint) / RUN_FILE, json.dumps({"version": 1, "args": flags}, indent=1) + "\n")


_MAX_RUN_FILE = 1 << 20  # bytes of run.json read at most


def read_run_flags(directory: str) -> dict[str, Any]:
    """The flags DIR/run.json records, as written (data: cmd_resume checks them as explore checks its own);
    UsageError (one line) if it is missing, damaged or of another version."""
    path = Path(directory) / RUN_FILE
    if not Path(directory).is_dir():
        raise UsageError(f"{directory} is not a directory: give the --checkpoint DIR of the run to resume")
    try:
        saved = read_json_object(path, _MAX_RUN_FILE)
        if type(saved.get("args")) is not dict:
            raise ValueError("no 'args' object")
    except FileNotFoundError:
        raise UsageError(f"{directory} has no {RUN_FILE}: it is not the --checkpoint DIR of a run") from None
    except OSError as exc:
        raise UsageError(f"{path} cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:  # larger than any run file, not UTF-8, not JSON, not an object with 'args'
        raise UsageError(f"{path} is damaged ({str(exc)[:80]}): nothing can be resumed without the run's flags; "
                         "start the run again") from None
    if saved.get("version") != 1:
        raise UsageError(f"{path} is run file version {saved.get('version')!r}; this paxos-check reads 1")
    flags: dict[str, Any] = saved["args"]
    return flags


def check_resumable(directory: str, flags: dict[str, Any]) -> bool:
    """True if DIR holds a checkpoint taken under exactly these flags, False if it holds none yet (the run
    was killed before its first one). UsageError (one line) for a damaged checkpoint or a run.json changed
    since the checkpoint was taken."""
    if not has_checkpoint(directory):
        return False
    meta = read_checkpoint(directory)  # CheckpointError is a UsageError
    taken = meta.get("run")
    if taken is not None and taken != flags:
        keys = sorted(set(taken) | set(flags), key=str)
        diff = [k for k in keys if k != "checkpoint" and taken.get(k) != flags.get(k)]
        if diff:
            what = "; ".join(f"--{k.replace('_', '-')} {flags.get(k)!r} there, {taken.get(k)!r} in the checkpoint"
                             for k in diff[:3])
            raise UsageError(f"{Path(directory) / RUN_FILE} was changed after the checkpoint was taken ({what}): the "
                             "checkpoint is whole, so put those flags back (checkpoint.json records them) to resume "
                             "it, or start the run again in a new --checkpoint directory")
    return True


def shared_writable(directory: str) -> list[str]:
    """DIR itself, its levels/ folder and the files in them that users other than the owner may write."""
    out = []
    levels = os.path.join(directory, "levels")
    paths = [directory, levels] + [os.path.join(d, n) for d in (directory, levels) if os.path.isdir(d)
                                   for n in sorted(os.listdir(d))]
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            out.append(path)
    return out
