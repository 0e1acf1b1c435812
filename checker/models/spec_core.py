"""The Spec model's compiled core: successors and invariants of bit-set Spec states as rows of 64-bit limbs.

Owns the jitted twins of `SpecModel`'s successor function (`successor_states`/`successors`,
planted bugs included) and of its `violated`/`witnessed`, over an (n, words) uint64 array: a row
is the state's int cut into limbs, least significant first, so the fingerprints are the Python
engine's. It must agree with spec_model.py state for state (tests/test_spec_engines.py) and holds
no search logic: checker/search/flat_bfs.py drives it through `SpecCore`. Under `--workers N` a batch is cut
into N slices, expanded and checked by N threads (core_threads.py), results in slice order: one call's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checker.jit import LIMB_KEYS, LIMB_ZERO, fingerprint_row, njit
from checker.models.core_threads import SliceThreads

ONE = np.uint64(1)
_MIN_SPLIT = 256  # rows of a batch from which threads (--workers N) split it
#: Action kinds in the order of `SpecCore.KINDS` (coverage counts).
K1A, K1B, K2A, K2B = 0, 1, 2, 3


#: The `always` properties `check_rows` judges, bit j of its result = CORE_ALWAYS[j]: agreement, validity,
#: the eleven conjuncts of Paxos.tla's inductive invariant (properties/inductive.py, in its order) and
#: Voting's ShowsSafeAt. Written out, not read from the model: `SpecCore.refusal` compares it with the
#: model's list, so a property added to the model and not here makes the core refuse the model.
CORE_ALWAYS = ("agreement", "validity", "inv_types", "inv_maxval_none_iff", "inv_maxvbal_le_maxbal",
               "inv_maxvbal_voted", "inv_2b_le_maxvbal", "inv_1b_le_maxbal", "inv_1b_sound",
               "inv_1b_no_vote_between", "inv_2a_unique", "inv_2a_safe", "inv_2b_has_2a", "inv_2a_shown_safe")
CORE_SOMETIMES = ("sometimes_chosen",)
#: The planted bugs and mutants of spec_model.py that `expand_rows` follows, by switch p[9]...p[14].
CORE_BUGS = ("phase2a_ignores_1b", "phase2b_ignores_maxbal", "phase2a_twice", "phase2b_any_value",
             "phase2b_keeps_maxbal", "phase2b_silent")
F_AGREEMENT, F_VALIDITY, F_TYPES, F_NONE_IFF, F_VBAL_LE_BAL, F_VBAL_VOTED, F_2B_LE_VBAL, F_1B_LE_BAL, \
    F_1B_SOUND, F_1B_NO_VOTE_BETWEEN, F_2A_UNIQUE, F_2A_SAFE, F_2B_HAS_2A, F_SHOWN_SAFE = (
        1 << j for j in range(len(CORE_ALWAYS)))


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
    message bit `msg_bit` set (none if negative); a stutter (t == s) is dropped. Returns the next free row."""
    row = out[m]
    row[:] = s
    if width:
        w = off >> 6
        sh = np.uint64(off & 63)
        field = np.uint64((1 << width) - 1)
        val = np.uint64(value)
        row[w] = (row[w] & ~(field << sh)) | (val << sh)
        if (off & 63) + width > 64:  # the field goes on in the next limb
            rest = np.uint64(64 - (off & 63))
            row[w + 1] = (row[w + 1] & ~(field >> rest)) | (val >> rest)
    if msg_bit >= 0:
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
    off_1a, off_2a and the switches of CORE_BUGS. Returns how many successors were written."""
    A, B, V, nv, lw = p[0], p[1], p[2], p[3], p[4]
    off_2b, off_1b, off_1a, off_2a = p[5], p[6], p[7], p[8]
    bug_2a, bug_2b, twice, any_value, keeps, silent = p[9], p[10], p[11], p[12], p[13], p[14]
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
            if (s2a >> (b * V)) & vmask and not twice:
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
                if (allowed >> v) & 1 and not (s2a >> (b * V + v)) & 1:
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
                at_b = (s2a >> (b * V)) & vmask
                for v in range(V):
                    if not (at_b if any_value else (at_b >> v) & 1):
                        continue
                    new = ((mb + 1) if keeps else (b + 1)) * nv + 1 + b * V + v
                    if new == local:
                        continue
                    m = _emit(s, out, fps, parents, kinds, m, i, K2B, a * lw, lw, new,
                              -1 if silent else off_2b + (a * B + b) * V + v)
    return m


@njit
def check_rows(rows: Any, p: Any, quorums: Any, quorums2: Any, qcol: Any, qlater: Any, allcol: Any, samev: Any,
               bad: Any, chosen_any: Any) -> None:
    """Per row: `bad[i]` the bit set of violated properties (bit j = CORE_ALWAYS[j], the model's order),
    `chosen_any[i]` whether some value is chosen (`sometimes_chosen`).

    The 2b bits are read as one int `votes` (bit (a*B + b)*V + v), and acceptor a's as `mine` (bit b*V + v,
    the layout of 1b vote codes less one). `qcol[q, b, v]` has the bits of 2b(a, b, v) for a in quorum q,
    `qlater[q, lo, hi]` those of every 2b(a, d, *) for a in q and lo <= d < hi, `allcol[b, v]` those of
    2b(*, b, v), `samev[v]` the bits b*V + v of every b. `quorums` (the model's) choose values and show a 2a
    safe (ShowsSafeAt); `quorums2` (the conjuncts' phase-2 quorums, properties/inductive.py) judge inv_2a_safe.
    inv_types and inv_maxval_none_iff hold by the encoding (every encoded message has a ballot and a 2a a
    value; a vote code is none or a ballot with a value), as does inv_1b_sound's "both or neither" clause."""
    A, B, V, nv, lw = p[0], p[1], p[2], p[3], p[4]
    off_2b, off_1b, off_2a = p[5], p[6], p[8]
    BV = B * V
    bvmask = (1 << BV) - 1
    vmask = (1 << V) - 1
    nvmask = (1 << nv) - 1
    lmask = (1 << lw) - 1
    nq = quorums.shape[0]
    nq2 = quorums2.shape[0]
    one_read_1b = A * nv <= 62  # the 1b codes of every acceptor at one ballot read as one int
    one_read_locals = A * lw <= 62
    mbs = np.empty(A, dtype=np.int64)
    mines = np.empty(A, dtype=np.int64)
    atleast = np.empty(B, dtype=np.int64)  # bit a: maxBal of a >= b
    for i in range(rows.shape[0]):
        s = rows[i]
        votes = _bits(s, off_2b, A * BV)
        s2a = _bits(s, off_2a, BV)
        flags = 0
        # -- each acceptor's own state (ACCEPTOR_PART of properties/inductive.py) --
        atleast[:] = 0
        locals_ = _bits(s, 0, A * lw) if one_read_locals else 0
        for a in range(A):
            local = (locals_ >> (a * lw)) & lmask if one_read_locals else _bits(s, a * lw, lw)
            mb = local // nv - 1
            mbs[a] = mb
            vote = local % nv
            mine = (votes >> (a * BV)) & bvmask
            mines[a] = mine
            for b in range(min(mb, B - 1) + 1):
                atleast[b] |= 1 << a
            vb = -1
            if vote:
                vb = (vote - 1) // V
                if vb > mb:
                    flags |= F_VBAL_LE_BAL
                if not (mine >> (vote - 1)) & 1:  # 2b(a, vb, v) is bit vb*V + v = vote - 1 of mine
                    flags |= F_VBAL_VOTED
            if mine >> ((vb + 1) * V):  # a 2b above its current vote
                flags |= F_2B_LE_VBAL
        # -- each 1b message against its acceptor --
        for b in range(B):
            if one_read_1b:
                all_codes = _bits(s, off_1b + b * A * nv, A * nv)
                if all_codes == 0:
                    continue
            for a in range(A):
                if one_read_1b:
                    codes = (all_codes >> (a * nv)) & nvmask  # bit c: 1b(a, b) reporting vote code c
                else:
                    codes = _bits(s, off_1b + (b * A + a) * nv, nv)
                if codes == 0:
                    continue
                if b > mbs[a]:
                    flags |= F_1B_LE_BAL
                mine = mines[a]
                c1 = codes >> 1  # the votes reported, in mine's layout
                if c1 & ~mine or c1 >> ((b + 1) * V):  # a vote never cast, or above b
                    flags |= F_1B_SOUND
                below = mine & ((1 << (b * V)) - 1)  # a's votes below b
                if below:
                    if codes & 1:  # reports no vote, yet a voted below b
                        flags |= F_1B_NO_VOTE_BETWEEN
                    else:
                        for d in range(B):  # the lowest ballot reported leaves the widest gap up to b
                            if (c1 >> (d * V)) & vmask:
                                if below >> ((d + 1) * V):
                                    flags |= F_1B_NO_VOTE_BETWEEN
                                break
        # -- chosen values, and the 2a messages --
        chosen = 0
        if votes:
            for b in range(B):
                for v in range(V):
                    if (chosen >> v) & 1:
                        continue
                    for qi in range(nq):
                        m = qcol[qi, b, v]
                        if votes & m == m:
                            chosen |= 1 << v
                            break
        if chosen & (chosen - 1):
            flags |= F_AGREEMENT
        proposed_values = 0
        proposed = 0  # the 2b bits of every (b, v) with a 2a message
        unsafe = -1  # bit c*V + w: a phase-2 quorum can still choose w at c (computed when first needed)
        for b in range(B):
            at = (s2a >> (b * V)) & vmask
            if at == 0:
                continue
            proposed_values |= at
            if at & (at - 1):
                flags |= F_2A_UNIQUE
            for v in range(V):
                if not (at >> v) & 1:
                    continue
                proposed |= allcol[b, v]
                safe = False
                for qi in range(nq):  # ShowsSafeAt(Q, b, v) for some quorum Q (spec_model.py's _shows_safe)
                    if quorums[qi] & ~atleast[b]:
                        continue  # a member has not promised b
                    for c in range(-1, b):
                        if c != -1 and not votes & qcol[qi, c, v]:
                            continue
                        if not votes & qlater[qi, c + 1, b]:
                            safe = True
                            break
                    if safe:
                        break
                if not safe:
                    flags |= F_SHOWN_SAFE
                if b == 0:
                    continue
                if unsafe == -1:  # properties/inductive.py's unsafe_below, every c < B - 1 and w at once
                    unsafe = 0
                    for c in range(B - 1):
                        low = 0  # acceptors with maxBal <= c
                        for x in range(A):
                            if mbs[x] <= c:
                                low |= 1 << x
                        for w in range(V):
                            can = low
                            for x in range(A):
                                if (mines[x] >> (c * V + w)) & 1:
                                    can |= 1 << x
                            for qi in range(nq2):
                                if can & quorums2[qi] == quorums2[qi]:
                                    unsafe |= 1 << (c * V + w)
                                    break
                if unsafe & ((1 << (b * V)) - 1) & ~samev[v]:  # some w != v can be chosen below b
                    flags |= F_2A_SAFE
        if chosen & ~proposed_values:
            flags |= F_VALIDITY
        if votes & ~proposed:
            flags |= F_2B_HAS_2A
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
                                model.off_1a, model.off_2a, *(model.bug == bug for bug in CORE_BUGS)],
                               dtype=np.int64)
        A, B, V = model.A, model.B, model.V
        self.quorums = np.array([sum(1 << a for a in q) for q in model.quorums], dtype=np.int64)
        self.quorums2 = np.array([sum(1 << a for a in q) for q in model.universe.quorums2], dtype=np.int64)
        nq = len(self.quorums)
        self.qcol = np.zeros((nq, B, V), dtype=np.int64)
        qball = np.zeros((nq, B), dtype=np.int64)
        self.allcol = np.zeros((B, V), dtype=np.int64)
        for qi, q in enumerate(model.quorums):
            for a in q:
                for b in range(B):
                    for v in range(V):
                        bit = 1 << ((a * B + b) * V + v)
                        self.qcol[qi, b, v] |= bit
                        qball[qi, b] |= bit
        for b in range(B):
            for v in range(V):
                for a in range(A):
                    self.allcol[b, v] |= 1 << ((a * B + b) * V + v)
        self.qlater = np.zeros((nq, B + 1, B + 1), dtype=np.int64)
        for lo in range(B + 1):
            for hi in range(lo + 1, B + 1):
                self.qlater[:, lo, hi] = self.qlater[:, lo, hi - 1] | qball[:, hi - 1]
        self.samev = np.array([sum(1 << (b * V + v) for b in range(B)) for v in range(V)], dtype=np.int64)
        self.max_successors = model.B * (1 + model.V) + model.A * model.B * (1 + model.V)
        self.always = list(CORE_ALWAYS)
        self.sometimes = list(CORE_SOMETIMES)
        self._out = np.empty((0, self.words), dtype=np.uint64)  # successor buffers, reused per batch
        self._fps = np.empty(0, dtype=np.uint64)
        self._parents = np.empty(0, dtype=np.int64)
        self.threads: SliceThreads | None = None  # --workers N (set_workers)
        self._slice_bufs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

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
    def refusal(model: Any) -> str | None:
        """Why this core cannot stand in for `model`, or None when it can: it must judge exactly the model's
        properties (CORE_ALWAYS and CORE_SOMETIMES, names, kinds and order: a core that judged fewer would
        call a violating state fine), follow its planted bug, read the conjuncts' values and quorums as
        the model does, and fit its sizes (each field it reads at once under 63 bits)."""
        props = [(p.name, p.kind) for p in model.properties()]
        expected = [*((n, "always") for n in CORE_ALWAYS), *((n, "sometimes") for n in CORE_SOMETIMES)]
        if props != expected:
            extra = [f"{n} ({k})" for n, k in props if (n, k) not in expected]
            missing = [n for n, _ in expected if (n, _) not in props]
            what = "; ".join(x for x in (f"it does not judge {', '.join(extra)}" if extra else "",
                                         f"the model lacks {', '.join(missing)}" if missing else "") if x)
            return f"the compiled Spec core judges other properties than this model ({what or 'another order'})"
        if model.bug is not None and model.bug not in CORE_BUGS:
            return f"the compiled Spec core does not follow the planted bug {model.bug}"
        if tuple(model.universe.values) != tuple(model.cfg.value_names):
            return "the compiled Spec core quantifies inv_2a_safe over every value of the model, not these"
        if max(model.A * model.B * model.V, model.B * model.V, model.nv, model.lw, model.A) >= 63:
            return (f"the compiled Spec core reads a field of {model.A}/{model.B}/{model.V} as one 64-bit int "
                    "(needs acceptors x ballots x values < 63)")
        return None

    @staticmethod
    def fits(model: Any) -> bool:
        """Whether this core can stand in for `model` (`refusal(model)` is None)."""
        return SpecCore.refusal(model) is None

    def set_workers(self, workers: int) -> None:
        """Expand and check each batch with `workers` threads (`--workers N`: core_threads.py; the kernels have no
        misses, so each slice is the same pure function of its rows as the whole batch); 1: one thread."""
        self.close()
        if workers > 1:
            self.threads = SliceThreads(workers)
            self._slice_bufs = [(self._out, self._fps, self._parents) for _ in range(workers)]

    def close(self) -> None:
        """End the threads, if any."""
        if self.threads is not None:
            self.threads.close()
            self.threads = None

    def expand(self, frontier: np.ndarray, order: np.ndarray, kinds: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(successor rows, their fingerprints, parent index into `order`) of the rows
        `frontier[order]`; `kinds` += per action kind. With threads, `order` in contiguous slices, one per
        thread, their successors concatenated in slice order: what one call gives."""
        if self.threads is not None and len(order) >= _MIN_SPLIT:
            cuts = self.threads.cuts(len(order))
            parts = self.threads.map(self._expand_slice, [(frontier, order, int(cuts[s]), int(cuts[s + 1]), s)
                                                          for s in range(self.threads.workers)])
            for _, _, _, k in parts:
                kinds += k
            return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                    np.concatenate([p[2] for p in parts]))
        cap = len(order) * self.max_successors
        if cap > len(self._fps):
            self._out = np.empty((cap, self.words), dtype=np.uint64)
            self._fps = np.empty(cap, dtype=np.uint64)
            self._parents = np.empty(cap, dtype=np.int64)
        m = expand_rows(frontier, order, self.params, self.quorums, self._out, self._fps, self._parents, kinds)
        return self._out[:m], self._fps[:m], self._parents[:m]

    def _expand_slice(self, frontier: np.ndarray, order: np.ndarray, lo: int, hi: int, s: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`expand` of frontier[order[lo:hi]] into thread s's own buffers (parents as indices into the whole
        `order`); (rows, fingerprints, parents, kinds counted), run in a thread."""
        out, fps, parents = self._slice_bufs[s]
        cap = (hi - lo) * self.max_successors
        if cap > len(fps):
            out, fps, parents = self._slice_bufs[s] = (np.empty((cap, self.words), dtype=np.uint64),
                                                       np.empty(cap, dtype=np.uint64), np.empty(cap, dtype=np.int64))
        kinds = np.zeros(len(self.KINDS), dtype=np.int64)
        m = expand_rows(frontier, order[lo:hi], self.params, self.quorums, out, fps, parents, kinds)
        return out[:m], fps[:m], parents[:m] + lo, kinds

    def check(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(violated bit set per row, by `always` index; whether the `sometimes` property is witnessed)."""
        bad = np.empty(len(rows), dtype=np.int64)
        seen = np.empty(len(rows), dtype=np.bool_)
        cuts = [0, len(rows)] if self.threads is None or len(rows) < _MIN_SPLIT else self.threads.cuts(len(rows))
        args = [(rows[cuts[s]:cuts[s + 1]], self.params, self.quorums, self.quorums2, self.qcol, self.qlater,
                 self.allcol, self.samev, bad[cuts[s]:cuts[s + 1]], seen[cuts[s]:cuts[s + 1]])
                for s in range(len(cuts) - 1)]
        if self.threads is None or len(args) == 1:
            check_rows(*args[0])
        else:  # each thread judges its slice into its part of `bad` and `seen`
            self.threads.map(check_rows, args)
        return bad, seen
