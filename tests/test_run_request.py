"""The run request: built once from the flags in checker/cli/, frozen, plain data; nothing below the CLI
reads an argparse Namespace."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from checker.cli.flags import run_request
from checker.cli.main import build_parser
from checker.runs.build import check_config, reductions
from checker.runs.request import RunRequest

ROOT = Path(__file__).resolve().parent.parent


def _request(*argv: str) -> RunRequest:
    args = build_parser("explore").parse_args(["explore", *argv])
    return run_request(args, "explore", args.strategy)


def test_flags_become_typed_fields() -> None:
    r = _request("--acceptors", "2", "--ballots", "1,2", "--property", "m:f", "--property", "m:g",
                 "--no-learners-apart", "--cluster", "auto", "--json", "x.json", "--engine", "python")
    assert r.cluster.acceptors == 2 and r.cluster.ballots == "1,2" and r.cluster.properties == ("m:f", "m:g")
    assert r.no_learners_apart and r.ray == "auto" and r.engine == "python"
    assert Path(r.json or "").is_absolute() and Path(r.out).is_absolute()
    assert check_config(r.cluster).ballots == (1, 2)
    assert reductions(r).names() == ["saturation", "crash", "prompt_restart", "por"]


def test_the_request_is_frozen_and_pickles_for_ray_workers() -> None:
    r = _request("--workers", "2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.no_learners_apart = True  # type: ignore[misc]
    retry = dataclasses.replace(r, no_learners_apart=True)  # what run.py does when learners-apart does not apply
    assert retry.no_learners_apart and not r.no_learners_apart
    assert pickle.loads(pickle.dumps(r)) == r


def test_nothing_below_the_cli_reads_a_namespace() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "checker").rglob("*.py"))
                 if "cli" not in p.relative_to(ROOT).parts and "argparse.Namespace" in p.read_text(encoding="utf-8")]
    assert offenders == []
