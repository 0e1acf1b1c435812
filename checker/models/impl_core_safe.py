"""The compiled twin of the inductive invariant's SAFE_PART (inv_2a_safe) on the compiled core's rows.

Owns a per-message table of the Spec images of Accept (2a) and Accepted (2b) messages, each acceptor's
maxBal per snapshot id (asked of InductiveIndex as its safe_part asks, only for snapshots met in rows
judged), and the kernel that judges every row at once, so that no row waits for a Python verdict of a
new key. The predicate is properties/inductive.py's `inv_2a_safe`; tests/test_view_parts.py compares
this twin with InductiveIndex.safe_part on random and explored rows. Must not judge any other conjunct.

inv_2a_safe fails iff some Accept 2a(b, v) has `unsafe_below`: a ballot 0 <= c < b, a value w != v of the
universe (every 2b value, None never, and ANOTHER_VALUE, voted by no one) and a phase-2 quorum q with
every member x at maxBal[x] <= c or having voted (x, c, w). With w = ANOTHER_VALUE that is "every member
at maxBal <= c", strongest at c = b - 1: some q has every maxBal < b (b >= 1). A 2b value w holds for a
quorum at c only through a vote (x, c, w) of a member, or through every member's maxBal <= c (the case
above); so besides that case it is enough to try each vote (c, w) with 0 <= c < b and w != v as the witness.
Values are compared by interned id (a dict: equal values, one id), None as -1 (never a w).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checker.jit import njit
from checker.models.impl_core_maps import low_index
from checker.models.impl_inductive import InductiveIndex
from properties.spec import Msg2a, Msg2b

_NONE = -1  # the value id of None (an Accept or Accepted without a value)
_UNKNOWN = -2  # maxBal of a snapshot not asked yet


@njit
def unsafe_rows(rows: Any, acc_cols: Any, sent_at: Any, words: Any, m2a: Any, m2b: Any, m_acc: Any, m_bal: Any,
                m_val: Any, max_bal: Any, q2: Any, bit: Any, out: Any, need: Any) -> int:
    """Per row r: `out[r] |= bit` if inv_2a_safe fails; `need[r] = 1` (and nothing judged) if one of its
    acceptor snapshots has no maxBal yet. Returns how many rows need one."""
    n_acc = acc_cols.shape[0]
    mbs = np.empty(n_acc, dtype=np.int64)
    cap = 64 * words
    v_acc = np.empty(cap, dtype=np.int64)
    v_bal = np.empty(cap, dtype=np.int64)
    v_val = np.empty(cap, dtype=np.int64)
    missing = 0
    for r in range(rows.shape[0]):
        known = True
        for x in range(n_acc):
            sid = np.int64(rows[r, acc_cols[x]])
            if sid >= max_bal.shape[1] or max_bal[x, sid] == _UNKNOWN:
                known = False
                break
            mbs[x] = max_bal[x, sid]
        if not known:
            need[r] = 1
            missing += 1
            continue
        nv = 0
        for w in range(words):
            bits = rows[r, sent_at + w] & m2b[w]
            while bits != np.uint64(0):
                mid = w * 64 + low_index(bits)
                bits &= bits - np.uint64(1)
                v_acc[nv], v_bal[nv], v_val[nv] = m_acc[mid], m_bal[mid], m_val[mid]
                nv += 1
        bad = False
        for w in range(words):
            bits = rows[r, sent_at + w] & m2a[w]
            while bits != np.uint64(0) and not bad:
                mid = w * 64 + low_index(bits)
                bits &= bits - np.uint64(1)
                b, v = m_bal[mid], m_val[mid]
                if b <= 0:
                    continue  # no ballot c < b
                for qi in range(q2.shape[0]):  # w = ANOTHER_VALUE at c = b - 1
                    every = True
                    for x in range(n_acc):
                        if (q2[qi] >> x) & 1 and mbs[x] > b - 1:
                            every = False
                            break
                    if every:
                        bad = True
                        break
                for j in range(nv):  # w a value some acceptor voted at c
                    if bad:
                        break
                    c, val = v_bal[j], v_val[j]
                    if c < 0 or c >= b or val == _NONE or val == v:
                        continue
                    for qi in range(q2.shape[0]):
                        every = True
                        for x in range(n_acc):
                            if not (q2[qi] >> x) & 1 or mbs[x] <= c:
                                continue
                            voted = False
                            for k in range(nv):
                                if v_acc[k] == x and v_bal[k] == c and v_val[k] == val:
                                    voted = True
                                    break
                            if not voted:
                                every = False
                                break
                        if every:
                            bad = True
                            break
            if bad:
                break
        if bad:
            out[r] |= bit
    return missing


class SafeTwin:
    """The tables `unsafe_rows` reads, kept up to date with the model's interned messages and snapshots."""

    def __init__(self, inductive: InductiveIndex, acc_cols: list[int], bit: int) -> None:
        """`acc_cols`: each acceptor's row column (acceptor order); `bit`: inv_2a_safe's verdict bit (a power
        of two)."""
        self.ind = inductive
        self.acc_cols = np.array(acc_cols, dtype=np.int64)
        self.bit = np.uint64(bit)
        self.q2 = np.array([sum(1 << x for x in q) for q in inductive.q2], dtype=np.int64)
        self.value_id: dict[Any, int] = {}
        self.m_acc = np.zeros(0, dtype=np.int64)
        self.m_bal = np.zeros(0, dtype=np.int64)
        self.m_val = np.zeros(0, dtype=np.int64)
        self.is2a, self.is2b = 0, 0  # bit sets of message ids
        self.max_bal = np.full((len(acc_cols), 16), _UNKNOWN, dtype=np.int64)

    def _extend(self) -> None:
        ind = self.ind
        ind.masks()  # its Spec images of every message interned so far
        old = len(self.m_bal)
        new = len(ind.spec_of)
        if new == old:
            return
        acc, bal, val = (np.concatenate([a, np.zeros(new - old, dtype=np.int64)])
                         for a in (self.m_acc, self.m_bal, self.m_val))
        for mid in range(old, new):
            m = ind.spec_of[mid]
            if isinstance(m, (Msg2a, Msg2b)):
                bal[mid] = m.bal
                val[mid] = _NONE if m.val is None else self.value_id.setdefault(m.val, len(self.value_id))
                if isinstance(m, Msg2a):
                    self.is2a |= 1 << mid
                else:
                    acc[mid] = m.acc
                    self.is2b |= 1 << mid
        self.m_acc, self.m_bal, self.m_val = acc, bal, val

    def judge(self, rows: np.ndarray, sent_at: int, words: int, limbs: Any, out: np.ndarray) -> None:
        """`out[r] |= bit` for each row r of `rows` (widened to `words` limbs of sent messages from column
        `sent_at`) where inv_2a_safe fails. `limbs(bits)` gives a bit set as `words` limbs."""
        self._extend()
        rows = np.ascontiguousarray(rows)  # one compiled signature (C layout), whatever the caller's view
        need = np.zeros(len(rows), dtype=np.uint8)
        args = (self.acc_cols, np.int64(sent_at), np.int64(words), limbs(self.is2a), limbs(self.is2b), self.m_acc,
                self.m_bal, self.m_val)
        if not unsafe_rows(rows, *args, self.max_bal, self.q2, self.bit, out, need):
            return
        again = np.flatnonzero(need)
        for x, col in enumerate(self.acc_cols.tolist()):
            sids = np.unique(rows[again, col]).astype(np.int64)
            if sids.max() >= self.max_bal.shape[1]:
                grown = np.full((len(self.acc_cols), max(2 * self.max_bal.shape[1], int(sids.max()) + 1)), _UNKNOWN,
                                dtype=np.int64)
                grown[:, :self.max_bal.shape[1]] = self.max_bal
                self.max_bal = grown
            for sid in sids[self.max_bal[x, sids] == _UNKNOWN].tolist():
                self.max_bal[x, sid] = self.ind.max_bal(x, sid)
        sub = np.ascontiguousarray(rows[again])
        part = np.zeros(len(again), dtype=np.uint64)
        still = unsafe_rows(sub, *args, self.max_bal, self.q2, self.bit, part, np.zeros(len(again), dtype=np.uint8))
        assert still == 0, "every acceptor snapshot of these rows has its maxBal now"
        out[again] |= part
