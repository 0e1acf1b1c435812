"""Acceptor symmetry (`--symmetry`) in the compiled core: the orbit lanes of rows of impl_core_tables.py's layout.

Owns the lane tables and `lanes_of`. Under symmetry every Zobrist key of ImplTables carries, above its
low 64 bits, its change under each non-identity acceptor renaming (impl_symmetry.py, orbit keys); a
row keeps those XORed changes as `L` extra columns after its limbs ("lanes"), so that the fingerprint
of its image under element h+1 is `fp ^ lane[h]` and its orbit fingerprint is the least of them, as
impl_orbits.least_image reads them from a state's fingerprint slot. `lanes_of` computes a successor's
lanes from its parent's and the difference between the two rows (snapshot columns, network and history
limbs, crashed set, crash count, proposals started, values proposed): it never looks at how the step was
made (saturation, quiet blocks), so it holds for any successor row. It renames nothing, checks no node
(impl_symmetry.check_transitions does) and picks no member of an orbit (the search does).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checker.jit import njit
from checker.models.impl_core_maps import ONE, ZERO, low_index
from checker.models.impl_core_tables import MASK64, CoreTables

#: the largest group the core keeps lanes for (one uint64 column per non-identity element and frontier row)
MAX_GROUP = 24
#: Q, the post-pass's parameters (an int64 array)
(Q_K, Q_P, Q_SCALARS, Q_WORDS, Q_LANES, Q_Z_CRASHES, Q_Z_CRASHED, Q_Z_PROPOSED, Q_Z_STRIDE) = range(9)
N_Q = 9


def lane_changes(key: int, lanes: int) -> np.ndarray:
    """The per-element changes packed above the low 64 bits of an orbit key, as `lanes` uint64."""
    return np.array([(key >> (64 * (h + 1))) & MASK64 for h in range(lanes)], dtype=np.uint64)


def slot_lanes(slots: list[int], lanes: int) -> np.ndarray:
    """The lanes of fingerprint slots (own fingerprint low, each image's change above): (n, lanes)."""
    out = np.zeros((len(slots), lanes), dtype=np.uint64)
    for r, slot in enumerate(slots):
        out[r] = lane_changes(slot, lanes)
    return out


class OrbitLanes:
    """The change of each key under each non-identity element, as tables the post-pass reads, grown with
    the core's tables (`sync`): per global snapshot index, message id, envelope id and scalar key."""

    def __init__(self, tables: CoreTables, scalar_keys: list[int], lanes: int) -> None:
        self.tb = tables
        self.lanes = lanes
        self.zsc = np.array([lane_changes(z, lanes) for z in scalar_keys], dtype=np.uint64).reshape(-1, lanes)
        self.snap = np.zeros((16, lanes), dtype=np.uint64)
        self.msg = np.zeros((16, lanes), dtype=np.uint64)
        self.env = np.zeros((16, lanes), dtype=np.uint64)
        self.nsnap = [0] * tables.k
        self.nmsg = self.nenv = 0

    def sync(self) -> None:
        """Enter the keys of the snapshots, messages and envelopes the core's tables hold and these lack."""
        tb, t, L = self.tb, self.tb.t, self.lanes
        self.snap = _room(self.snap, tb.ngsn)
        for i in range(tb.k):
            for sid in range(self.nsnap[i], tb.nsnap[i]):
                self.snap[tb.gsn[i, sid]] = lane_changes(t.z_snap[i][sid], L)
            self.nsnap[i] = tb.nsnap[i]
        self.msg = _room(self.msg, tb.nmsg)
        for mid in range(self.nmsg, tb.nmsg):
            self.msg[mid] = lane_changes(t.z_msg[mid], L)
        self.nmsg = tb.nmsg
        self.env = _room(self.env, tb.nenv)
        for eid in range(self.nenv, tb.nenv):
            self.env[eid] = lane_changes(t.z_env1[eid], L)
        self.nenv = tb.nenv

    def post(self, parents: np.ndarray, out: np.ndarray, parent_of: np.ndarray, Q: np.ndarray) -> np.ndarray:
        """Write the lanes of successor rows `out` (of parents[parent_of]); their orbit fingerprints."""
        self.sync()
        fps = np.empty(len(out), dtype=np.uint64)
        lanes_of(parents, out, parent_of, Q, self.tb.gsn, self.snap, self.env, self.msg, self.zsc, fps)
        return fps


def _room(a: np.ndarray, n: int) -> np.ndarray:
    if n <= len(a):
        return a
    out = np.zeros((max(n, 2 * len(a)), a.shape[1]), dtype=a.dtype)
    out[: len(a)] = a
    return out


def orbit_fingerprints(rows: np.ndarray, fp_col: int, first_lane: int) -> np.ndarray:
    """The least of each row's own fingerprint and its images' (numpy, for rows made outside a kernel)."""
    fp = rows[:, fp_col]
    return np.minimum(fp, (rows[:, first_lane:] ^ fp[:, None]).min(axis=1)) if rows.shape[1] > first_lane else fp


def orbit_sizes(rows: np.ndarray, fp_col: int, first_lane: int) -> np.ndarray:
    """How many distinct states each row's orbit has (distinct image fingerprints), as impl_orbits counts."""
    fp = rows[:, fp_col : fp_col + 1]
    images = np.sort(np.concatenate([fp, rows[:, first_lane:] ^ fp], axis=1), axis=1)
    sizes: np.ndarray = 1 + (images[:, 1:] != images[:, :-1]).sum(axis=1)
    return sizes


@njit
def lanes_of(parents: Any, out: Any, parent_of: Any, Q: Any, gsn: Any, ch_snap: Any, ch_env: Any, ch_msg: Any,
             ch_zsc: Any, fps: Any) -> None:
    """Lanes of out[r] = lanes of parents[parent_of[r]] XOR the changes of every component the two rows
    differ in (left: removed, right: added); fps[r] = the least of out[r]'s own fingerprint and its images'."""
    k, p, S, W, L = Q[Q_K], Q[Q_P], Q[Q_SCALARS], Q[Q_WORDS], Q[Q_LANES]
    zc0, zk0, zp0, stride = Q[Q_Z_CRASHES], Q[Q_Z_CRASHED], Q[Q_Z_PROPOSED], Q[Q_Z_STRIDE]
    c_crashed, c_crashes, c_started, c_proposed = k, k + 1, k + 4, k + 4 + p
    base = S + 2 * W
    acc = np.empty(L, dtype=np.uint64)
    for r in range(out.shape[0]):
        par = parents[parent_of[r]]
        row = out[r]
        for h in range(L):
            acc[h] = par[base + h]
        for i in range(k):
            a, b = par[i], row[i]
            if a != b:
                ga, gb = gsn[i, np.int64(a)], gsn[i, np.int64(b)]
                for h in range(L):
                    acc[h] ^= ch_snap[ga, h] ^ ch_snap[gb, h]
        for w in range(W):
            x = par[S + w] ^ row[S + w]
            while x != ZERO:
                e = w * 64 + low_index(x)
                x &= x - ONE
                for h in range(L):
                    acc[h] ^= ch_env[e, h]
            x = par[S + W + w] ^ row[S + W + w]
            while x != ZERO:
                m = w * 64 + low_index(x)
                x &= x - ONE
                for h in range(L):
                    acc[h] ^= ch_msg[m, h]
        x = par[c_crashed] ^ row[c_crashed]
        while x != ZERO:
            i = low_index(x)
            x &= x - ONE
            for h in range(L):
                acc[h] ^= ch_zsc[zk0 + i, h]
        if par[c_crashes] != row[c_crashes]:
            a, b = zc0 + np.int64(par[c_crashes]), zc0 + np.int64(row[c_crashes])
            for h in range(L):
                acc[h] ^= ch_zsc[a, h] ^ ch_zsc[b, h]
        for j in range(p):
            if par[c_started + j] != row[c_started + j]:
                a, b = j * stride + np.int64(par[c_started + j]), j * stride + np.int64(row[c_started + j])
                for h in range(L):
                    acc[h] ^= ch_zsc[a, h] ^ ch_zsc[b, h]
        x = par[c_proposed] ^ row[c_proposed]
        while x != ZERO:
            v = low_index(x)
            x &= x - ONE
            for h in range(L):
                acc[h] ^= ch_zsc[zp0 + v, h]
        fp = row[S - 1]
        best = fp
        for h in range(L):
            row[base + h] = acc[h]
            if fp ^ acc[h] < best:
                best = fp ^ acc[h]
        fps[r] = best
