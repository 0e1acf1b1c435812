"""The Spec model's compiled core: successors and invariants of bit-set Spec states as rows of 64-bit limbs.

Owns the jitted twins of `SpecModel`'s successor function (`successor_states`/`successors`,
planted bugs included) and of its `violated`/`witnessed`, over an (n, words) uint64 array: a row
is the state's int cut into limbs, least significant first, so the fingerprints are the Python
engine's. It must agree with spec_model.py state for state (tests/test_spec_engines.py) and holds
no search logic: checker/search/flat_bfs.py drives it through `SpecCore`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from checker.jit import LIMB_KEYS, LIMB_ZERO, fingerprint_row, njit

if TYPE_CHECKING:
    from checker.models.spec_model import SpecModel

ONE = np.uint64(1)
#: Action kinds in the order of `SpecCore.KINDS` (coverage counts).
K1A, K1B, K2A, K2B = 0, 1, 2, 3


@njit
def _bit(s: Any, k: int) -> bool:
    return bool((s[k >> 6] >> np.uint64(k & 63)) & ONE)


@njit
def _set(s: Any, k: int) -> None:
    s[k >> 6] |= ONE << np.uint64(k & 63)


@njit
def _field(s: Any, off: int, width: int) -> int:
    x = 0
    for j in range(width):
        if _bit(s, off + j):
            x |= 1 << j
    return x


@njit
def _put_field(s: Any, off: int, width: int, value: int) -> None:
    for j in range(width):
        k = off + j
        mask = ONE << np.uint64(k & 63)
        if (value >> j) & 1:
            s[k >> 6] |= mask
        else:
            s[k >> 6] &= ~mask


@njit
def _emit(s: Any, out: Any, fps: Any, parents: Any, kinds: Any, m: int, i: int, kind: int,
          a: int, lw: int, local: int, msg_bit: int) -> int:
    """Write successor m: `s` with acceptor a's local code set to `local` (a < 0: unchanged) and
    message bit `msg_bit` set; a stutter (t == s) is dropped. Returns the next free row."""
    row = out[m]
    row[:] = s
    if a >= 0:
        _put_field(row, a * lw, lw, local)
    _set(row, msg_bit)
    for w in range(s.shape[0]):
        if row[w] != s[w]:
            fps[m] = fingerprint_row(row, LIMB_KEYS, LIMB_ZERO)
            parents[m] = i
            kinds[kind] += 1
            return m + 1
    return m


@njit
def expand_rows(frontier: Any, p: Any, quorums: Any, out: Any, fps: Any, parents: Any, kinds: Any) -> int:
    """Every successor of every row of `frontier` into `out` (rows), `fps` and `parents` (row of the
    parent); `kinds` counts them per action kind. `p` holds A, B, V, nv, lw, off_2b, off_1b, off_1a,
    off_2a and the two bug switches. Returns how many successors were written."""
    A, B, V, nv, lw = p[0], p[1], p[2], p[3], p[4]
    off_2b, off_1b, off_1a, off_2a = p[5], p[6], p[7], p[8]
    bug_2a, bug_2b = p[9], p[10]
    m = 0
    for i in range(frontier.shape[0]):
        s = frontier[i]
        for b in range(B):  # Phase1a(b)
            if not _bit(s, off_1a + b):
                m = _emit(s, out, fps, parents, kinds, m, i, K1A, -1, lw, 0, off_1a + b)
        for b in range(B):  # Phase2a(b, v)
            sent = False
            for v in range(V):
                if _bit(s, off_2a + b * V + v):
                    sent = True
            if sent:
                continue
            allowed = 0
            for qi in range(quorums.shape[0]):
                qm = quorums[qi]
                ok = True
                top = -1
                topvals = 0
                for a in range(A):
                    if not (qm >> a) & 1:
                        continue
                    has = False
                    for c in range(nv):
                        if _bit(s, off_1b + (b * A + a) * nv + c):
                            has = True
                            if c:
                                vb = (c - 1) // V
                                vv = (c - 1) % V
                                if vb > top:
                                    top = vb
                                    topvals = 1 << vv
                                elif vb == top:
                                    topvals |= 1 << vv
                    if not has:
                        ok = False
                        break
                if not ok:
                    continue
                if bug_2a or top < 0:
                    allowed = (1 << V) - 1
                else:
                    allowed |= topvals
            for v in range(V):
                if (allowed >> v) & 1:
                    m = _emit(s, out, fps, parents, kinds, m, i, K2A, -1, lw, 0, off_2a + b * V + v)
        for a in range(A):
            local = _field(s, a * lw, lw)
            mb = local // nv - 1
            vote = local % nv
            for b in range(B):  # Phase1b(a, b)
                if _bit(s, off_1a + b) and b > mb:
                    m = _emit(s, out, fps, parents, kinds, m, i, K1B, a, lw, (b + 1) * nv + vote,
                              off_1b + (b * A + a) * nv + vote)
            for b in range(B):  # Phase2b(a, b, v)
                for v in range(V):
                    if not _bit(s, off_2a + b * V + v):
                        continue
                    if b >= mb or bug_2b:
                        new = (b + 1) * nv + 1 + b * V + v
                        if new == local:
                            continue
                        m = _emit(s, out, fps, parents, kinds, m, i, K2B, a, lw, new,
                                  off_2b + (a * B + b) * V + v)
    return m


@njit
def _voted(s: Any, off_2b: int, B: int, V: int, a: int, b: int, v: int) -> bool:
    return _bit(s, off_2b + (a * B + b) * V + v)


@njit
def _shows_safe(s: Any, p: Any, qm: int, b: int, v: int) -> bool:
    A, B, V, nv, lw, off_2b = p[0], p[1], p[2], p[3], p[4], p[5]
    for a in range(A):
        if (qm >> a) & 1 and _field(s, a * lw, lw) // nv - 1 < b:
            return False
    for c in range(-1, b):
        if c != -1:
            some = False
            for a in range(A):
                if (qm >> a) & 1 and _voted(s, off_2b, B, V, a, c, v):
                    some = True
            if not some:
                continue
        clean = True
        for d in range(c + 1, b):
            for a in range(A):
                if (qm >> a) & 1:
                    for w in range(V):
                        if _voted(s, off_2b, B, V, a, d, w):
                            clean = False
        if clean:
            return True
    return False


@njit
def check_rows(rows: Any, p: Any, quorums: Any, bad: Any, chosen_any: Any) -> None:
    """Per row: `bad[i]` the bit set of violated properties (bit j = PROPERTIES[j] of spec_model.py),
    `chosen_any[i]` whether some value is chosen (`sometimes_chosen`)."""
    A, B, V, nv, lw = p[0], p[1], p[2], p[3], p[4]
    off_2b, off_1b, off_2a = p[5], p[6], p[8]
    for i in range(rows.shape[0]):
        s = rows[i]
        flags = 0
        for a in range(A):
            local = _field(s, a * lw, lw)
            mb = local // nv - 1
            vote = local % nv
            if vote:
                vb = (vote - 1) // V
                vv = (vote - 1) % V
                if vb > mb:
                    flags |= 1 << 2  # inv_accepted_below_promise
                if not _voted(s, off_2b, B, V, a, vb, vv):
                    flags |= 1 << 3  # inv_vote_recorded
            for b in range(B):
                for code in range(nv):
                    if _bit(s, off_1b + (b * A + a) * nv + code):
                        if mb < b:
                            flags |= 1 << 4  # inv_1b_sound
                        elif code:
                            if not _voted(s, off_2b, B, V, a, (code - 1) // V, (code - 1) % V):
                                flags |= 1 << 4
        chosen = 0
        for b in range(B):
            for v in range(V):
                for qi in range(quorums.shape[0]):
                    qm = quorums[qi]
                    full = True
                    for a in range(A):
                        if (qm >> a) & 1 and not _voted(s, off_2b, B, V, a, b, v):
                            full = False
                            break
                    if full:
                        chosen |= 1 << v
                        break
        nchosen = 0
        for v in range(V):
            if (chosen >> v) & 1:
                nchosen += 1
                proposed = False
                for b in range(B):
                    if _bit(s, off_2a + b * V + v):
                        proposed = True
                if not proposed:
                    flags |= 1 << 1  # validity
        if nchosen > 1:
            flags |= 1  # agreement
        for b in range(B):
            n2a = 0
            for v in range(V):
                if _bit(s, off_2a + b * V + v):
                    n2a += 1
                    safe = False
                    for qi in range(quorums.shape[0]):
                        if _shows_safe(s, p, quorums[qi], b, v):
                            safe = True
                            break
                    if not safe:
                        flags |= 1 << 6  # inv_2a_safe
                else:
                    for a in range(A):
                        if _voted(s, off_2b, B, V, a, b, v):
                            flags |= 1 << 7  # inv_2b_has_2a
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

    def __init__(self, model: SpecModel) -> None:
        from checker.models.spec_model import PROPERTIES

        self.model = model
        self.words = (model.nbits + 63) // 64
        self.params = np.array([model.A, model.B, model.V, model.nv, model.lw, model.off_2b, model.off_1b,
                                model.off_1a, model.off_2a, model.bug == "phase2a_ignores_1b",
                                model.bug == "phase2b_ignores_maxbal"], dtype=np.int64)
        self.quorums = np.array([sum(1 << a for a in q) for q in model.quorums], dtype=np.int64)
        self.max_successors = model.B * (1 + model.V) + model.A * model.B * (1 + model.V)
        self.always = [p.name for p in PROPERTIES if p.kind == "always"]
        self.sometimes = [p.name for p in PROPERTIES if p.kind == "sometimes"]

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

    def expand(self, frontier: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(successor rows, their fingerprints, parent row in `frontier`); `kinds` += per action kind."""
        cap = len(frontier) * self.max_successors
        out = np.empty((cap, self.words), dtype=np.uint64)
        fps = np.empty(cap, dtype=np.uint64)
        parents = np.empty(cap, dtype=np.int64)
        m = expand_rows(frontier, self.params, self.quorums, out, fps, parents, kinds)
        return out[:m], fps[:m], parents[:m]

    def check(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(violated bit set per row, by `always` index; whether the `sometimes` property is witnessed)."""
        bad = np.empty(len(rows), dtype=np.int64)
        seen = np.empty(len(rows), dtype=np.bool_)
        check_rows(rows, self.params, self.quorums, bad, seen)
        return bad, seen
