"""The symmetry hooks of the implementation model: orbit fingerprints read from a state's fingerprint slot.

Owns what a search asks of a model under `--symmetry` (canonical states, orbit fingerprints and
sizes, in bulk as arrays); the group, the renaming and the orbit keys are impl_symmetry.py's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from checker.models.impl_encoding import ImplState
from checker.models.impl_layout import FP
from checker.models.impl_tables import MASK64, ImplTables


def least_image(slot: int) -> int:
    """The least fingerprint among a state's images, from its fingerprint slot (own fingerprint in the
    low 64 bits, each image's change above them)."""
    best = fp = slot & MASK64
    rest = slot >> 64
    while rest:
        image = fp ^ (rest & MASK64)
        if image < best:
            best = image
        rest >>= 64
    return best


class Orbits:
    """Acceptor symmetry as a search sees it, for one model's tables."""

    def __init__(self, tables: ImplTables) -> None:
        self.t = tables

    def canonical(self, state: ImplState) -> ImplState:
        from checker.models.impl_symmetry import symmetry_of

        result: ImplState = symmetry_of(self.t).canonical(state)
        return result

    def start_orbit_keys(self) -> bool:
        """Make every key carry its changes under acceptor renaming; False if it did already."""
        if self.t.orbit is not None:
            return False
        from checker.models.impl_symmetry import symmetry_of

        sym = symmetry_of(self.t)
        self.t.orbit = sym
        sym.start_orbit_keys()
        return True

    def lanes(self, states: Sequence[ImplState]) -> Any:
        """Per state, the fingerprints of its images under every group element (identity first)."""
        sym = self.t.orbit
        assert sym is not None, "symmetric_fingerprints() first"
        sym.check_transitions()
        width = sym.size
        if width == 1:
            return np.fromiter((s[FP] for s in states), dtype=np.uint64, count=len(states)).reshape(-1, 1)
        nbytes = 8 * width
        raw = b"".join([s[FP].to_bytes(nbytes, "little") for s in states])
        lanes = np.frombuffer(raw, dtype="<u8").reshape(len(states), width).astype(np.uint64)
        lanes[:, 1:] ^= lanes[:, :1]
        return lanes

    def orbit_sizes(self, states: Sequence[ImplState]) -> Any:
        lanes = np.sort(self.lanes(states), axis=1)
        sizes: Any = 1 + (lanes[:, 1:] != lanes[:, :-1]).sum(axis=1)
        return sizes

    def orbit_size(self, state: ImplState) -> int:
        if self.t.orbit is not None:
            return int(self.orbit_sizes([state])[0])
        from checker.models.impl_symmetry import symmetry_of

        return symmetry_of(self.t).orbit_size(state)
