"""The properties a run checks: the built-ins plus the user's own (`--property`, `CheckConfig.properties`).

Owns loading the user's properties once per process (`properties/user.py` does the loading
and guarding) and refusing a bad one in one line before any work (`check_user_properties`).
Every checker of the implementation (model, replay, fuzz, validate) asks `run_properties`.
"""

from __future__ import annotations

import functools

from checker.config import CheckConfig
from checker.errors import UsageError
from paxos import NodeFactory, NodeFault
from properties.invariants import PROPERTIES, Property, view_of_cluster
from properties.user import PropertyError, load_properties, probe, with_builtins


@functools.lru_cache(maxsize=32)
def _load(specs: tuple[str, ...]) -> tuple[Property, ...]:
    try:
        return load_properties(specs)
    except PropertyError as exc:
        raise UsageError(str(exc)) from None


def user_properties(config: CheckConfig) -> tuple[Property, ...]:
    """The user's properties of `config`, loaded (a UsageError if one cannot be)."""
    return _load(tuple(config.properties)) if config.properties else ()


def run_properties(config: CheckConfig) -> tuple[Property, ...]:
    """Every property a run of `config` checks, in report order (built-ins, the user's, the witness)."""
    user = user_properties(config)
    return with_builtins(user) if user else PROPERTIES


def check_user_properties(config: CheckConfig, factory: NodeFactory | None = None) -> None:
    """Load the user's properties and call each on the initial state: any defect is one UsageError."""
    user = user_properties(config)
    if not user:
        return
    try:
        view = view_of_cluster(config.new_cluster(factory))
    except NodeFault:
        return  # the node contract check says this better
    try:
        probe(user, view)
    except PropertyError as exc:
        raise UsageError(str(exc)) from None
