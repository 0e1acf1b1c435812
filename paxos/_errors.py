"""Typed errors of the protocol package: what was wrong and how to fix it.

Owns only exception types; raised by configuration checks and by the seed API.
"""

from __future__ import annotations


class PaxosError(Exception):
    """Base of every error the protocol package raises on purpose."""


class ConfigurationError(PaxosError, ValueError):
    """An impossible or unsafe configuration (node counts, quorum sizes, ids, values)."""


class ProtocolError(PaxosError):
    """An operation the node's roles or state do not allow (e.g. propose on a pure acceptor)."""
