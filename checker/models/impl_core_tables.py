"""The implementation model's tables as flat numpy arrays, for the compiled core (impl_core.py).

Owns the mirror of ImplTables the kernels read: the row layout of a state (snapshot ids, scalars,
fingerprint, then the network and the sent messages as `words` 64-bit limbs each, then under symmetry
the orbit lanes of impl_core_orbits.py), node-step results
per (node snapshot, input) as entries, envelopes, Zobrist keys, masks; how a state becomes a row and
back; and `resolve`, which runs a missing node step through `ImplTables.node_step` (so caches,
node_error faults and the node checks see exactly what the Python engine makes them see) and
brings the arrays up to date, widening rows when envelopes or messages outgrow the limbs. It
enumerates no successor and judges nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from checker.models.impl_encoding import CRASH, DELIVER, PROPOSE, TIMEOUT, ImplState
from checker.models.impl_layout import FP, PROPOSED, SENT

MASK64 = (1 << 64) - 1
#: the columns of omap: a node's step on these inputs (a delivery's is dmap's, per message)
OTHER_KINDS = {PROPOSE: 0, TIMEOUT: 1, CRASH: 2}
#: entry flags: the step changes something (an effective delivery); the delivery is inert (reductions.py, 1)
EFFECTIVE, INERT = 1, 2


def limbs(x: int, words: int) -> np.ndarray:
    """The 64-bit limbs of a bit set, least first."""
    return np.frombuffer(x.to_bytes(8 * words, "little"), dtype="<u8").astype(np.uint64)


def from_limbs(row: np.ndarray) -> int:
    return int.from_bytes(np.ascontiguousarray(row, dtype="<u8").tobytes(), "little")


def _grown(a: np.ndarray, rows: int, fill: int = 0, cols: int | None = None) -> np.ndarray:
    """`a` with at least `rows` rows (doubling) and `cols` columns, new cells `fill`."""
    n = len(a)
    width = a.shape[1] if a.ndim == 2 else None
    want_cols = width if cols is None else cols
    if rows <= n and want_cols == width:
        return a
    size = max(rows, 2 * n, 16) if rows > n else n
    shape: tuple[int, ...] = (size,) if a.ndim == 1 else (size, int(want_cols or 0))
    out = np.full(shape, fill, dtype=a.dtype)
    if a.ndim == 1:
        out[:n] = a
    else:
        c = min(width or 0, want_cols or 0)
        out[:n, :c] = a[:, :c]
    return out


class CoreTables:
    """Flat arrays over one `ImplModel`'s tables (kept in step with them by `sync`).

    Row layout: `sid_0 .. sid_{k-1}, crashed, crashes, drops, duplicates, started_0 .. started_{p-1},
    proposed, fp`, then `net` (words limbs), then `sent` (words limbs), then `lanes` columns (under symmetry:
    each image's fingerprint change, impl_core_orbits.py; 0 without). Node snapshots get a global
    index (`gsn[i, sid]`); `omap[g, c]` and `dmap[g, mid]` hold the entry of a node step (-1: not run yet).
    """

    def __init__(self, model: Any, step_names: list[str]) -> None:
        self.model = model
        t = self.t = model.tables
        self.k, self.p = t.k, t.p
        self.step_names = step_names  # step property names; bit j of an entry's `own` is step_names[j]
        self.s_crashed = self.k
        self.s_crashes = self.k + 1
        self.s_drops = self.k + 2
        self.s_dups = self.k + 3
        self.s_started = self.k + 4
        self.s_proposed = self.k + 4 + self.p
        self.s_fp = self.k + 5 + self.p
        self.scalars = self.k + 6 + self.p
        self.words = 1
        self.lanes = 0  # orbit lanes per row (set by the core under symmetry, before any row is made)
        self.nsnap = [0] * self.k  # sids of node i with a global index
        self.ngsn = 0
        self.gsn = np.full((self.k, 16), -1, dtype=np.int32)
        self.z_snap = np.zeros(16, dtype=np.uint64)
        self.omap = np.full((16, 3), -1, dtype=np.int32)
        self.dmap = np.full((16, 16), -1, dtype=np.int32)
        self.nmsg = self.nenv = 0
        self.z_msg = np.zeros(16, dtype=np.uint64)
        self.z_env = np.zeros(16, dtype=np.uint64)
        self.env_dst = np.zeros(16, dtype=np.int32)
        self.env_mid = np.zeros(16, dtype=np.int32)
        self.nentry = 0
        self.e_sid = np.zeros(16, dtype=np.int32)
        self.e_own = np.zeros(16, dtype=np.uint64)
        self.e_flag = np.zeros(16, dtype=np.uint8)
        self.e_ints: list[tuple[int, int]] = []  # per entry: (envelope bits, message bits) as ints
        self.e_bits = np.zeros((16, 2), dtype=np.uint64)
        self.dst_mask = np.zeros((self.k, 1), dtype=np.uint64)
        #: per global snapshot g, over envelope ids addressed to its node: deliveries run (`known`), effective
        #: (`eff`), inert with outputs (`iout`): the kernels read a mailbox through these, not entry by entry
        self.g_node = np.zeros(16, dtype=np.int32)
        self.m_known = np.zeros((16, 1), dtype=np.uint64)
        self.m_eff = np.zeros((16, 1), dtype=np.uint64)
        self.m_iout = np.zeros((16, 1), dtype=np.uint64)
        self.changed = True  # arrays replaced since the core last bound them
        self.widened = False  # rows grew wider since the core last looked
        self.sync()

    @property
    def row_width(self) -> int:
        return int(self.scalars + 2 * self.words + self.lanes)

    # -- rows <-> states --------------------------------------------------------------------------

    def rows(self, states: Sequence[ImplState]) -> np.ndarray:
        """States as rows of this layout."""
        k, p, w = self.k, self.p, self.words
        lay = self.t.layout
        out = np.zeros((len(states), self.row_width), dtype=np.uint64)
        for r, s in enumerate(states):
            out[r, :k] = s[:k]
            out[r, self.s_crashed] = s[lay.crashed]
            out[r, self.s_crashes] = s[lay.crashes]
            out[r, self.s_drops] = s[lay.drops]
            out[r, self.s_dups] = s[lay.duplicates]
            out[r, self.s_started:self.s_started + p] = s[lay.starts]
            out[r, self.s_proposed] = s[PROPOSED]
            out[r, self.s_fp] = int(s[FP]) & MASK64
            out[r, self.scalars:self.scalars + w] = limbs(s[lay.net], w)
            out[r, self.scalars + w:self.scalars + 2 * w] = limbs(s[SENT], w)
            slot = int(s[FP]) >> 64
            for h in range(self.lanes):
                out[r, self.scalars + 2 * w + h] = (slot >> (64 * h)) & MASK64
        return out

    def state(self, row: np.ndarray) -> ImplState:
        """The model's state tuple of a row."""
        k, p, w = self.k, self.p, self.words
        r = [int(x) for x in row[: self.scalars]]
        net = from_limbs(row[self.scalars:self.scalars + w])
        sent = from_limbs(row[self.scalars + w:self.scalars + 2 * w])
        slot = r[self.s_fp]  # with lanes: each image's change above the low 64 bits, as ImplTables keeps it
        for h, lane in enumerate(row[self.scalars + 2 * w:self.scalars + 2 * w + self.lanes].tolist()):
            slot |= int(lane) << (64 * (h + 1))
        return (*r[:k], net, r[self.s_crashed], r[self.s_crashes], r[self.s_drops], r[self.s_dups],
                *r[self.s_started:self.s_started + p], sent, r[self.s_proposed], slot)

    def state_columns(self, rows: np.ndarray) -> list[np.ndarray]:
        """The slots of `state(row)` for every row, as columns (a slot holding a big int as its uint64 limbs):
        what a checkpoint writes without making a tuple per state (plaindata.Columns)."""
        k, p, w, s = self.k, self.p, self.words, self.scalars
        one = [rows[:, c] for c in range(s)]
        slot = rows[:, [self.s_fp, *range(s + 2 * w, s + 2 * w + self.lanes)]]
        return [*one[:k], rows[:, s:s + w], one[self.s_crashed], one[self.s_crashes], one[self.s_drops],
                one[self.s_dups], *one[self.s_started:self.s_started + p], rows[:, s + w:s + 2 * w],
                one[self.s_proposed], slot]

    def widen(self, rows: np.ndarray) -> np.ndarray:
        """Rows made with fewer limbs, in this layout (zero limbs added to `net` and `sent`; lanes kept)."""
        return self.at_width(rows, self.row_width)

    def words_of(self, rows: np.ndarray) -> int:
        """The limbs of `net` (and of `sent`) in rows of this layout as wide as these."""
        return int((rows.shape[1] - self.scalars - self.lanes) // 2)

    def at_width(self, rows: np.ndarray, width: int) -> np.ndarray:
        """Rows of this layout with the limbs of rows `width` wide (zero limbs added, or zero ones dropped)."""
        old, new = self.words_of(rows), (width - self.scalars - self.lanes) // 2
        if old == new:
            return rows
        s, keep = self.scalars, min(old, new)
        if old > new and (rows[:, s + new:s + old].any() or rows[:, s + old + new:s + 2 * old].any()):
            raise ValueError(f"rows with messages beyond {new} limbs cannot be {width} columns wide")
        out = np.zeros((len(rows), width), dtype=np.uint64)
        out[:, :s + keep] = rows[:, :s + keep]
        out[:, s + new:s + new + keep] = rows[:, s + old:s + old + keep]
        if self.lanes:
            out[:, s + 2 * new:] = rows[:, s + 2 * old:]
        return out

    # -- keeping up with ImplTables -----------------------------------------------------------------

    def resolve(self, i: int, sid: int, kind: int, arg: int) -> None:
        """Run the node step the core missed (ImplTables.node_step: cached, faults recorded) and enter it."""
        t = self.t
        new_sid, env_bits, msg_bits, own = t.node_step(i, sid, kind, arg)
        self.sync()
        e = self.nentry
        self.nentry += 1
        if e >= len(self.e_sid):
            self.e_sid = _grown(self.e_sid, e + 1)
            self.e_own = _grown(self.e_own, e + 1)
            self.e_flag = _grown(self.e_flag, e + 1)
            self.e_bits = _grown(self.e_bits, e + 1)
            self.changed = True
        self.e_sid[e] = new_sid
        bits = 0
        for name in own:
            if name not in self.step_names:
                self.step_names.append(name)
            bits |= 1 << self.step_names.index(name)
        self.e_own[e] = bits
        flag = EFFECTIVE if (new_sid != sid or env_bits or msg_bits or own) else 0
        if kind == DELIVER and new_sid == sid and not own and not msg_bits & ~t.inert_mask:
            flag |= INERT
        self.e_flag[e] = flag
        self.e_ints.append((env_bits, msg_bits))
        w = self.words
        self.e_bits[e, :w] = limbs(env_bits, w)
        self.e_bits[e, w:] = limbs(msg_bits, w)
        g = self.gsn[i, sid]
        if kind == DELIVER:
            self.dmap[g, arg] = e
            self._mask_entry(g, i, arg, e)
        else:
            self.omap[g, OTHER_KINDS[kind]] = e

    def sync(self) -> None:
        """Enter the snapshots, messages and envelopes interned since the last call; widen if needed."""
        t = self.t
        words = max(1, -(-len(t.envs) // 64), -(-len(t.msgs) // 64))
        if words > self.words:
            self._widen_to(words)
        for i in range(self.k):
            have = len(t.snaps[i])
            if have > self.nsnap[i]:
                if have > self.gsn.shape[1]:
                    self.gsn = _grown(self.gsn.T, have, -1).T.copy()
                    self.changed = True
                need = self.ngsn + have - self.nsnap[i]
                if need > len(self.z_snap):
                    self.z_snap = _grown(self.z_snap, need)
                    self.omap = _grown(self.omap, need, -1)
                    self.dmap = _grown(self.dmap, need, -1)
                    self.g_node = _grown(self.g_node, need)
                    self.m_known = _grown(self.m_known, need)
                    self.m_eff = _grown(self.m_eff, need)
                    self.m_iout = _grown(self.m_iout, need)
                    self.changed = True
                for sid in range(self.nsnap[i], have):
                    self.gsn[i, sid] = self.ngsn
                    self.g_node[self.ngsn] = i
                    self.z_snap[self.ngsn] = t.z_snap[i][sid] & MASK64
                    self.ngsn += 1
                self.nsnap[i] = have
        if len(t.msgs) > self.nmsg:
            n = len(t.msgs)
            if n > len(self.z_msg):
                self.z_msg = _grown(self.z_msg, n)
                self.changed = True
            if n > self.dmap.shape[1]:
                self.dmap = _grown(self.dmap, len(self.dmap), -1, cols=max(n, 2 * self.dmap.shape[1]))
                self.changed = True
            for mid in range(self.nmsg, n):
                self.z_msg[mid] = t.z_msg[mid] & MASK64
            self.nmsg = n
        if len(t.envs) > self.nenv:
            n = len(t.envs)
            if n > len(self.z_env):
                self.z_env = _grown(self.z_env, n)
                self.env_dst = _grown(self.env_dst, n)
                self.env_mid = _grown(self.env_mid, n)
                self.changed = True
            for eid in range(self.nenv, n):
                dst, mid = t.envs[eid]
                self.z_env[eid] = t.z_env1[eid] & MASK64
                self.env_dst[eid] = dst
                self.env_mid[eid] = mid
                self.dst_mask[dst, eid >> 6] |= np.uint64(1 << (eid & 63))
            self.nenv = n

    def _widen_to(self, words: int) -> None:
        """Every array holding bit sets re-encoded with `words` limbs."""
        self.words = words
        self.e_bits = np.zeros((max(len(self.e_sid), 16), 2 * words), dtype=np.uint64)
        for e, (env, msg) in enumerate(self.e_ints):
            self.e_bits[e, :words] = limbs(env, words)
            self.e_bits[e, words:] = limbs(msg, words)
        self.dst_mask = np.zeros((self.k, words), dtype=np.uint64)
        for eid in range(self.nenv):
            dst = int(self.env_dst[eid])
            self.dst_mask[dst, eid >> 6] |= np.uint64(1 << (eid & 63))
        rows = max(len(self.g_node), 16)
        self.m_known = np.zeros((rows, words), dtype=np.uint64)
        self.m_eff = np.zeros((rows, words), dtype=np.uint64)
        self.m_iout = np.zeros((rows, words), dtype=np.uint64)
        for g, mid in zip(*np.nonzero(self.dmap[: self.ngsn] >= 0), strict=True):
            self._mask_entry(int(g), int(self.g_node[g]), int(mid), int(self.dmap[g, mid]))
        self.changed = self.widened = True

    def _mask_entry(self, g: int, i: int, mid: int, e: int) -> None:
        eid = self.t.env_id.get((i, mid))
        if eid is None or eid >= 64 * self.words:
            return  # no envelope (yet): the kernels never ask; a wider table enters it when widened
        w, bit = eid >> 6, np.uint64(1 << (eid & 63))
        self.m_known[g, w] |= bit
        if self.e_flag[e] & EFFECTIVE:
            self.m_eff[g, w] |= bit
        env, msg = self.e_ints[e]
        if self.e_flag[e] & INERT and (env or msg):
            self.m_iout[g, w] |= bit

    def mask(self, bits: int) -> np.ndarray:
        """A bit set over message or envelope ids as `words` limbs."""
        return limbs(bits, self.words)
