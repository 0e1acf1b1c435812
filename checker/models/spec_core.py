"""The Spec model's compiled core: successors and invariants of bit-set Spec states as rows of 64-bit limbs.

Owns the jitted twins of `SpecModel`'s successor function (`successor_states`/`successors`,
planted bugs included) and of its `violated`/`witnessed`, over an (n, words) uint64 array: a row
is the state's int cut into limbs, least significant first, so the fingerprints are the Python
engine's. It must agree with spec_model.py state for state (tests/test_spec_engines.py) and holds
no search logic: checker/search/flat_bfs.py drives it through `SpecCore`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checker.jit import LIMB_KEYS, LIMB_ZERO, fingerprint_row, njit

ONE = np.uint64(1)
#: Action kinds in the order of `SpecCore.KINDS` (coverage counts).
K1A, K1B, K2A, K2B = 0, 1, 2, 3


@njit
def _bits(s: Any, off: int, width: int) -> int:
    """The `width` (< 63) bits of row `s` from bit `off` on, as an int."""
    w = off >> 6
    sh = off & 63
    x = s[w] >> np.uint64(sh)
    if sh + width > 64:
        x |= s[w + 1] << np.uint64(64 - sh)
    return int(np.int64(x & np.uint64((1 << width) - 1)))


@njit
def _emit(s: Any, out: Any, fps: Any, parents: Any, kinds: Any, m: int, i: int, kind: int,
          off: int, width: int, value: int, msg_bit: int) -> int:
    """Write successor m: `s` with the `width` bits at `off` set to `value` (width 0: none) and
    message bit `msg_bit` set; a stutter (t == s) is dropped. Returns the next free row."""
    row = out[m]
    row[:] = s
    for j in range(width):
        k = off + j
        bit = ONE << np.uint64(k & 63)
        if (value >> j) & 1:
            row[k >> 6] |= bit
        else:
            row[k >> 6] &= ~bit
    row[msg_bit >> 6] |= ONE << np.uint64(msg_bit & 63)
    for w in range(s.shape[0]):
        if row[w] != s[w]:
            fps[m] = fingerprint_row(row, LIMB_KEYS, LIMB_ZERO)
            parents[m] = i
            kinds[kind] += 1
            return m + 1
    return m


@njit
def _top_vote(codes: int, V: int) -> tuple[int, int]:
    """(highest ballot voted in a 1b code set, bit set of the values voted at it); (-1, 0) if none."""
    c2 = codes >> 1  # bit j: vote code j + 1, i.e. ballot j // V, value j % V
    if c2 == 0:
        return -1, 0
    hi = 0
    while c2 >> (hi + 1):
        hi += 1
    vb = hi // V
    return vb, (c2 >> (vb * V)) & ((1 << V) - 1)


@njit
def expand_rows(frontier: Any, order: Any, p: Any, quorums: Any, out: Any, fps: Any, parents: Any,
                kinds: Any) -> int:
    """Every successor of the rows `frontier[order]` into `out` (rows), `fps` and `parents` (index
    into `order`); `kinds` counts them per action kind. `p` holds A, B, V, nv, lw, off_2b, off_1b,
    off_1a, off_2a and the two bug switches. Returns how many successors were written."""
    A, B, V, nv, lw = p[0], p[1], p[2], p[3], p[4]
    off_2b, off_1b, off_1a, off_2a = p[5], p[6], p[7], p[8]
    bug_2a, bug_2b = p[9], p[10]
    vmask = (1 << V) - 1
    codes = np.empty(A, dtype=np.int64)
    m = 0
    for i in range(order.shape[0]):
        s = frontier[order[i]]
        s1a = _bits(s, off_1a, B)
        s2a = _bits(s, off_2a, B * V)
        for b in range(B):  # Phase1a(b)
            if not (s1a >> b) & 1:
                m = _emit(s, out, fps, parents, kinds, m, i, K1A, 0, 0, 0, off_1a + b)
        for b in range(B):  # Phase2a(b, v)
            if (s2a >> (b * V)) & vmask:
                continue
            for a in range(A):
                codes[a] = _bits(s, off_1b + (b * A + a) * nv, nv)
            allowed = 0
            for qi in range(quorums.shape[0]):
                qm = quorums[qi]
                ok = True
                top = -1
                topvals = 0
                for a in range(A):
                    if not (qm >> a) & 1:
                        continue
                    if codes[a] == 0:
                        ok = False
                        break
                    vb, vals = _top_vote(codes[a], V)
                    if vb > top:
                        top = vb
                        topvals = vals
                    elif vb == top:
                        topvals |= vals
                if not ok:
                    continue
                if bug_2a or top < 0:
                    allowed = vmask
                else:
                    allowed |= topvals
            for v in range(V):
                if (allowed >> v) & 1:
                    m = _emit(s, out, fps, parents, kinds, m, i, K2A, 0, 0, 0, off_2a + b * V + v)
        for a in range(A):
            local = _bits(s, a * lw, lw)
            mb = local // nv - 1
            vote = local % nv
            for b in range(mb + 1, B):  # Phase1b(a, b)
                if (s1a >> b) & 1:
                    m = _emit(s, out, fps, parents, kinds, m, i, K1B, a * lw, lw, (b + 1) * nv + vote,
                              off_1b + (b * A + a) * nv + vote)
            for b in range(B):  # Phase2b(a, b, v)
                if not (b >= mb or bug_2b):
                    continue
                for v in range(V):
                    if not (s2a >> (b * V + v)) & 1:
                        continue
                    new = (b + 1) * nv + 1 + b * V + v
                    if new == local:
                        continue
                    m = _emit(s, out, fps, parents, kinds, m, i, K2B, a * lw, lw, new,
                              off_2b + (a * B + b) * V + v)
    return m


@njit
def check_rows(rows: Any, p: Any, quorums: Any, qcol: Any, qball: Any, allcol: Any, bad: Any,
               chosen_any: Any) -> None:
    """Per row: `bad[i]` the bit set of violated properties (bit j = PROPERTIES[j] of spec_model.py),
    `chosen_any[i]` whether some value is chosen (`sometimes_chosen`). The 2b bits are read as one
    int: `qcol[q, b, v]` has the bits of 2b(a, b, v) for a in quorum q, `qball[q, d]` those of every
    2b(a, d, *) for a in q, `allcol[b, v]` those of 2b(*, b, v)."""
    A, B, V, nv, lw = p[0], p[1], p[2], p[3], p[4]
    off_2b, off_1b, off_2a = p[5], p[6], p[8]
    nq = quorums.shape[0]
    mbs = np.empty(A, dtype=np.int64)
    for i in range(rows.shape[0]):
        s = rows[i]
        votes = _bits(s, off_2b, A * B * V)
        s2a = _bits(s, off_2a, B * V)
        flags = 0
        for a in range(A):
            local = _bits(s, a * lw, lw)
            mb = local // nv - 1
            mbs[a] = mb
            vote = local % nv
            if vote:
                vb = (vote - 1) // V
                if vb > mb:
                    flags |= 1 << 2  # inv_accepted_below_promise
                if not (votes >> ((a * B + vb) * V + (vote - 1) % V)) & 1:
                    flags |= 1 << 3  # inv_vote_recorded
            for b in range(B):
                codes = _bits(s, off_1b + (b * A + a) * nv, nv)
                if codes == 0:
                    continue
                if mb < b:
                    flags |= 1 << 4  # inv_1b_sound
                    continue
                c2 = codes >> 1
                j = 0
                while c2:
                    if c2 & 1 and not (votes >> ((a * B + j // V) * V + j % V)) & 1:
                        flags |= 1 << 4
                    c2 >>= 1
                    j += 1
        chosen = 0
        for b in range(B):
            for v in range(V):
                for qi in range(nq):
                    m = qcol[qi, b, v]
                    if votes & m == m:
                        chosen |= 1 << v
                        break
        nchosen = 0
        for v in range(V):
            if (chosen >> v) & 1:
                nchosen += 1
                proposed = False
                for b in range(B):
                    if (s2a >> (b * V + v)) & 1:
                        proposed = True
                if not proposed:
                    flags |= 1 << 1  # validity
        if nchosen > 1:
            flags |= 1  # agreement
        for b in range(B):
            n2a = 0
            for v in range(V):
                if not (s2a >> (b * V + v)) & 1:
                    if votes & allcol[b, v]:
                        flags |= 1 << 7  # inv_2b_has_2a
                    continue
                n2a += 1
                safe = False
                for qi in range(nq):  # ShowsSafeAt(Q, b, v)
                    qm = quorums[qi]
                    promised = True
                    for a in range(A):
                        if (qm >> a) & 1 and mbs[a] < b:
                            promised = False
                    if not promised:
                        continue
                    for c in range(-1, b):
                        if c != -1 and not votes & qcol[qi, c, v]:
                            continue
                        later = 0
                        for d in range(c + 1, b):
                            later |= qball[qi, d]
                        if not votes & later:
                            safe = True
                            break
                    if safe:
                        break
                if not safe:
                    flags |= 1 << 6  # inv_2a_safe
            if n2a > 1:
                flags |= 1 << 5  # inv_2a_unique
        bad[i] = flags
        chosen_any[i] = chosen != 0


@njit
def fingerprint_rows(rows: Any, fps: Any) -> None:
    for i in range(rows.shape[0]):
        fps[i] = fingerprint_row(rows[i], LIMB_KEYS, LIMB_ZERO)


class SpecCore:
    """A `SpecModel` as flat arrays for checker/search/flat_bfs.py (the model's `flat_core()` hook)."""

    KINDS = ("phase1a", "phase1b", "phase2a", "phase2b")

    def __init__(self, model: Any) -> None:
        """`model`: a `SpecModel` (spec_model.py imports this module, not the other way round)."""
        self.model = model
        self.words = (model.nbits + 63) // 64
        self.params = np.array([model.A, model.B, model.V, model.nv, model.lw, model.off_2b, model.off_1b,
                                model.off_1a, model.off_2a, model.bug == "phase2a_ignores_1b",
                                model.bug == "phase2b_ignores_maxbal"], dtype=np.int64)
        A, B, V = model.A, model.B, model.V
        self.quorums = np.array([sum(1 << a for a in q) for q in model.quorums], dtype=np.int64)
        nq = len(self.quorums)
        self.qcol = np.zeros((nq, B, V), dtype=np.int64)
        self.qball = np.zeros((nq, B), dtype=np.int64)
        self.allcol = np.zeros((B, V), dtype=np.int64)
        for qi, q in enumerate(model.quorums):
            for a in q:
                for b in range(B):
                    for v in range(V):
                        bit = 1 << ((a * B + b) * V + v)
                        self.qcol[qi, b, v] |= bit
                        self.qball[qi, b] |= bit
        for b in range(B):
            for v in range(V):
                for a in range(A):
                    self.allcol[b, v] |= 1 << ((a * B + b) * V + v)
        self.max_successors = model.B * (1 + model.V) + model.A * model.B * (1 + model.V)
        self.always = [p.name for p in model.properties() if p.kind == "always"]
        self.sometimes = [p.name for p in model.properties() if p.kind == "sometimes"]
        self._out = np.empty((0, self.words), dtype=np.uint64)  # successor buffers, reused per batch
        self._fps = np.empty(0, dtype=np.uint64)
        self._parents = np.empty(0, dtype=np.int64)

    def rows(self, states: list[int]) -> np.ndarray:
        w = self.words * 8
        buf = b"".join(s.to_bytes(w, "little") for s in states)
        return np.frombuffer(buf, dtype="<u8").reshape(len(states), self.words).astype(np.uint64)

    def state(self, row: np.ndarray) -> int:
        return int.from_bytes(np.ascontiguousarray(row, dtype="<u8").tobytes(), "little")

    def fingerprints(self, rows: np.ndarray) -> np.ndarray:
        fps = np.empty(len(rows), dtype=np.uint64)
        fingerprint_rows(rows, fps)
        return fps

    @staticmethod
    def fits(model: Any) -> bool:
        """Whether this core handles the model's sizes (each field it reads at once is under 63 bits)."""
        return bool(max(model.A * model.B * model.V, model.B * model.V, model.nv, model.lw, model.A) < 63)

    def expand(self, frontier: np.ndarray, order: np.ndarray, kinds: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(successor rows, their fingerprints, parent index into `order`) of the rows
        `frontier[order]`; `kinds` += per action kind."""
        cap = len(order) * self.max_successors
        if cap > len(self._fps):
            self._out = np.empty((cap, self.words), dtype=np.uint64)
            self._fps = np.empty(cap, dtype=np.uint64)
            self._parents = np.empty(cap, dtype=np.int64)
        m = expand_rows(frontier, order, self.params, self.quorums, self._out, self._fps, self._parents, kinds)
        return self._out[:m], self._fps[:m], self._parents[:m]

    def check(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(violated bit set per row, by `always` index; whether the `sometimes` property is witnessed)."""
        bad = np.empty(len(rows), dtype=np.int64)
        seen = np.empty(len(rows), dtype=np.bool_)
        check_rows(rows, self.params, self.quorums, self.qcol, self.qball, self.allcol, bad, seen)
        return bad, seen
