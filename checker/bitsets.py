"""Bit sets of interned ids (network, ghost history, crashed nodes): the one way to list their members."""

from __future__ import annotations

from collections.abc import Iterator


def bit_ids(mask: int) -> Iterator[int]:
    """The positions of the set bits of `mask`, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low
