"""The compiled successor function of the implementation model: `Successors.expand` over rows.

Owns `expand_rows`, which expands frontier rows (impl_core_tables.py's layout) exactly as
impl_successors.py's `Successors.expand` does under the search's reductions in the set network
(saturation fixpoint, null crashes, prompt restarts, learners apart), and with quiet blocks on as
impl_por.py's `QuietBlocks.expand` does (its block search runs here, over states it synthesizes),
attaching step verdicts (the node's own, and `refines_spec` from a cache keyed as
`RefinementIndex.allows` keys its own). Every table lookup it needs and lacks is a miss: a node step
stops the batch (Python runs it, then the batch goes on from that row, so nodes run in the Python
engine's order); a refinement verdict marks the row incomplete. A row's successors are kept only
when it is complete. It runs no Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checker.jit import njit, njit_bare, njit_inline
from checker.models.impl_core_maps import ONE, ZERO, low_index, map_find, xor_bits

PROPOSE, TIMEOUT, DELIVER, CRASH, RESTART = 0, 1, 2, 5, 6
EFFECTIVE, INERT = np.uint8(1), np.uint8(2)
#: what `expand_rows` stopped on (GROW: `_expand_core` only)
DONE, NODE_MISS, FULL, GROW = 0, 1, 2, 3
#: the rows of `_expand_core`'s uint64 scratch `u`
(U_NET, U_SENT, U_NNET, U_NSENT, U_VSENT, U_FRESH, U_NMSG, U_MAIL, U_ACC_E, U_ACC_M, U_TMP, U_TMP2, U_KEY, U_ROW,
 U_BMAIL) = range(15)
N_SCRATCH = 15
#: P, the kernel's parameters (an int64 array); P_QUIET: the nodes quiet blocks reduce (QuietBlocks.eligible as a
#: bit set, 0 without quiet blocks), P_QUIET_CRASH: whether a crash with its prompt restart is a quiet step,
#: P_ROOM: the room a row's quiet blocks get at first, in units of envelopes + 1 (0: BLOCK_ROOM; it doubles as needed)
(P_K, P_P, P_SCALARS, P_WORDS, P_SATURATING, P_NULL_CRASHES, P_PROMPT, P_APART, P_CRASHES, P_REFINE, P_ERROR_BIT,
 P_REFINES_BIT, P_Z_CRASHES, P_Z_CRASHED, P_Z_PROPOSED, P_Z_STRIDE, P_MAX_OUT, P_QUIET, P_QUIET_CRASH,
 P_ROOM) = range(20)
N_PARAMS = 20
BLOCK_ROOM = 16
# Compile time: `_saturate`, `_quiet_moves`, `_emit_judged` and `_inert_of` are plain calls (compiled once each),
# not inlined at their call sites: inlined, numba typed and optimized the kernel with a copy of each per site.
# Without numba's reference counting (njit_bare) such a call costs no more than the inlined copy did (measured:
# the kernel's first compile 28.6 -> 16.0 CPU s, its search time within noise).
# Arguments of the called helpers are never literal constants (np.int64(0), k_deliver), or numba compiles a
# version of a helper per literal it sees (bench/results_impl_engine.md, "First-run compile time").


@njit_bare
def _inert_of(i: Any, sid: Any, bits: Any, gsn: Any, dmap: Any, env_mid: Any, m_known: Any, m_iout: Any, e_bits: Any,
              W: Any, acc_e: Any, acc_m: Any, miss: Any) -> bool:
    """What node i in `sid` sends on the inert deliveries among `bits` (Mailboxes.inert_of) into acc_e/acc_m;
    False (and `miss` set: the lowest delivery not run yet, the first Python would run) if one is missing."""
    g = gsn[i, sid]
    for w in range(W):
        acc_e[w] = ZERO
        acc_m[w] = ZERO
    for w in range(W):
        u = bits[w] & ~m_known[g, w]
        if u != ZERO:
            eid = w * 64 + low_index(u)
            miss[0], miss[1], miss[2], miss[3] = i, sid, DELIVER, env_mid[eid]
            return False
    for w in range(W):
        x = bits[w] & m_iout[g, w]
        while x != ZERO:
            eid = w * 64 + low_index(x)
            x &= x - ONE
            e = dmap[g, env_mid[eid]]
            for v in range(W):
                acc_e[v] |= e_bits[e, v]
                acc_m[v] |= e_bits[e, W + v]
    return True


@njit_bare
def _saturate(sids: Any, down: Any, actor: Any, actor_sid: Any, net: Any, sent: Any, fp: Any, fresh: Any,
              acc_e: Any, acc_m: Any, have_inert: bool, gsn: Any, dmap: Any, env_dst: Any, env_mid: Any, e_flag: Any,
              e_bits: Any, dst_mask: Any, z_env: Any, z_msg: Any, W: Any, tmp: Any, tmp2: Any,
              miss: Any, m_known: Any, m_iout: Any) -> tuple[bool, Any]:
    """Mailboxes.saturated: net/sent updated in place; (complete, new fingerprint)."""
    if (down >> actor) & 1:
        for w in range(W):
            acc_e[w] = ZERO
            acc_m[w] = ZERO
    elif not have_inert:
        for w in range(W):
            tmp[w] = net[w] & dst_mask[actor, w]
        if not _inert_of(actor, actor_sid, tmp, gsn, dmap, env_mid, m_known, m_iout, e_bits, W, acc_e, acc_m, miss):
            return False, fp
    for w in range(W):
        tmp[w] = fresh[w]
    first = True
    while True:
        for w in range(W):
            x = tmp[w]
            while x != ZERO:
                eid = w * 64 + low_index(x)
                x &= x - ONE
                dst = env_dst[eid]
                if (down >> dst) & 1:
                    continue
                if dst == actor:
                    if first:
                        continue
                    sid = actor_sid
                else:
                    sid = sids[dst]
                e = dmap[gsn[dst, sid], env_mid[eid]]
                if e < 0:
                    miss[0], miss[1], miss[2], miss[3] = dst, sid, DELIVER, env_mid[eid]
                    return False, fp
                if e_flag[e] & INERT:
                    for v in range(W):
                        acc_e[v] |= e_bits[e, v]
                        acc_m[v] |= e_bits[e, W + v]
        grew = False
        for w in range(W):
            tmp[w] = acc_e[w] & ~net[w]
            tmp2[w] = acc_m[w] & ~sent[w]
            if tmp[w] != ZERO or tmp2[w] != ZERO:
                grew = True
        if not grew:
            return True, fp
        for w in range(W):
            net[w] |= tmp[w]
            sent[w] |= tmp2[w]
            acc_e[w] = ZERO
            acc_m[w] = ZERO
        fp ^= xor_bits(tmp, z_env) ^ xor_bits(tmp2, z_msg)
        first = False


@njit_inline
def _step_bits(P: Any, i: Any, before: Any, after: Any, sent: Any, new_sent: Any, own: Any, acc_pos: Any,
               reads_of: Any, rkeys: Any, rvals: Any, key: Any) -> Any:
    """Verdicts.step: the step's own properties plus refines_spec; -1 if the refinement verdict is missing
    (its key is left in `key`)."""
    if P[P_REFINE] == 0 or (own >> np.uint64(P[P_ERROR_BIT])) & ONE:
        return np.int64(own)
    W = P[P_WORDS]
    pos = acc_pos[i]
    same = True
    for w in range(W):
        if sent[w] != new_sent[w]:
            same = False
    if same and (before == after or pos < 0):
        return np.int64(own)
    key[0] = np.uint64(pos + 1)
    key[1] = np.uint64(before)
    key[2] = np.uint64(after)
    for w in range(W):
        key[3 + w] = new_sent[w] & ~sent[w]
        key[3 + W + w] = ZERO
    for w in range(W):
        x = key[3 + w]
        while x != ZERO:
            mid = w * 64 + low_index(x)
            x &= x - ONE
            for v in range(W):
                key[3 + W + v] |= reads_of[mid, v]
    for v in range(W):
        key[3 + W + v] &= sent[v]
    found = map_find(rkeys, rvals, key)
    if found < 0:
        return np.int64(-1)
    if found == 1:
        return np.int64(own)
    return np.int64(own | (ONE << np.uint64(P[P_REFINES_BIT])))


@njit_inline
def _emit(out_rows: Any, out_bits: Any, out_act: Any, out_parent: Any, out_j: Any, nout: Any, start: Any, row: Any,
          S: Any, W: Any, i: Any, new_sid: Any, net: Any, sent: Any, fp: Any, bits: Any, kind: Any, arg: Any,
          r: Any) -> None:
    """Successor `nout` of row `r`: a copy of the row with node i in `new_sid`, this network, history and fp."""
    for c in range(S + 2 * W):
        out_rows[nout, c] = row[c]
    out_rows[nout, i] = new_sid
    for w in range(W):
        out_rows[nout, S + w] = net[w]
        out_rows[nout, S + W + w] = sent[w]
    out_rows[nout, S - 1] = fp
    out_bits[nout] = np.uint64(bits)
    out_act[nout, 0] = kind
    out_act[nout, 1] = i
    out_act[nout, 2] = arg
    out_parent[nout] = r
    out_j[nout] = nout - start


@njit_bare
def _emit_judged(P: Any, out_rows: Any, out_bits: Any, out_act: Any, out_parent: Any, out_j: Any, nout: Any, start: Any,
                 row: Any, S: Any, W: Any, i: Any, sid: Any, new_sid: Any, sent: Any, vsent: Any, own: Any, nnet: Any,
                 nsent: Any, nfp: Any, kind: Any, arg: Any, r: Any, acc_pos: Any, reads_of: Any, rkeys: Any,
                 rvals: Any, key: Any, rmiss: Any, nrm: Any) -> tuple[Any, bool]:
    """`_emit` with the step's verdicts (`_step_bits`: node i from `sid` to `new_sid`, history `sent` to `vsent`);
    (refinement misses written, False if this one's verdict was missing: its key is in rmiss)."""
    bits = _step_bits(P, i, sid, new_sid, sent, vsent, own, acc_pos, reads_of, rkeys, rvals, key)
    whole = True
    if bits < 0:
        for c in range(key.shape[0]):
            rmiss[nrm, c] = key[c]
        nrm += 1
        whole = False
        bits = 0
    _emit(out_rows, out_bits, out_act, out_parent, out_j, nout, start, row, S, W, i, new_sid, nnet, nsent, nfp, bits,
          kind, arg, r)
    return nrm, whole


@njit_bare
def _quiet_moves(i: Any, sid: Any, used: Any, mail: Any, W: Any, gsn: Any, dmap: Any, omap: Any, e_sid: Any,
                 e_bits: Any, e_own: Any, env_mid: Any, m_known: Any, m_eff: Any, crash: bool, crashes: Any,
                 q_sid: Any, q_used: Any, nq: Any, miss: Any) -> tuple[Any, bool]:
    """QuietBlocks.moves: append node i's quiet steps from `sid` with `used` crashes spent (`mail`: its envelopes)
    to the queue as (next snapshot, crashes spent): its quiet deliveries lowest envelope first, then its crash
    with the prompt restart. (queue length, False if a node step is missing: `miss` says which)."""
    g = gsn[i, sid]
    for w in range(W):
        x = mail[w] & (m_eff[g, w] | ~m_known[g, w])
        while x != ZERO:
            b = low_index(x)
            eid = w * 64 + b
            x &= x - ONE
            if not (m_known[g, w] >> np.uint64(b)) & ONE:
                miss[0], miss[1], miss[2], miss[3] = i, sid, DELIVER, env_mid[eid]
                return nq, False
            e = dmap[g, env_mid[eid]]
            if e_sid[e] == sid or e_own[e] != ZERO:
                continue
            loud = False
            for v in range(2 * W):
                if e_bits[e, v] != ZERO:
                    loud = True
            if not loud:
                q_sid[nq] = e_sid[e]
                q_used[nq] = used
                nq += 1
    if crash and used < crashes:
        e = omap[g, 2]
        if e < 0:
            miss[0], miss[1], miss[2], miss[3] = i, sid, CRASH, 0
            return nq, False
        if e_sid[e] != sid and e_own[e] == ZERO:
            q_sid[nq] = e_sid[e]
            q_used[nq] = used + 1
            nq += 1
    return nq, True


@njit_inline
def _seen_add(hkey: Any, hgen: Any, gen: Any, key: Any) -> bool:
    """Add `key` to the set of generation `gen` in the open-addressing table (hkey, hgen); False if it was in."""
    mask = np.uint64(hkey.shape[0] - 1)
    h = np.int64(((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)) & mask)
    while hgen[h] == gen:
        if hkey[h] == key:
            return False
        h = (h + 1) & np.int64(mask)
    hgen[h] = gen
    hkey[h] = key
    return True


@njit_inline
def _same(a: Any, b: Any, c: Any, d: Any, W: Any) -> bool:
    """a == b and c == d (W limbs each)."""
    for w in range(W):
        if a[w] != b[w] or c[w] != d[w]:
            return False
    return True


@njit
def expand_rows(rows: Any, order: Any, P: Any, gsn: Any, omap: Any, dmap: Any, e_sid: Any, e_bits: Any, e_own: Any,
                e_flag: Any, env_dst: Any, env_mid: Any, z_snap: Any, z_env: Any, z_msg: Any, zsc: Any, dst_mask: Any,
                prop: Any, quiet_nodes: Any, acc_pos: Any, reads_of: Any, rkeys: Any, rvals: Any, out_rows: Any,
                out_bits: Any, out_act: Any, out_parent: Any, out_j: Any, miss: Any, rmiss: Any, incomplete: Any,
                m_known: Any, m_eff: Any, m_iout: Any) -> tuple[int, int, int, int, int]:
    """`_expand_core` with its scratch arrays made here (it makes none: it runs without reference counting),
    their room for a row's quiet blocks grown as it asks (GROW: that row is expanded again)."""
    S, W, cap = P[P_SCALARS], P[P_WORDS], env_dst.shape[0]
    u = np.empty((N_SCRATCH, max(S + 2 * W, 3 + 2 * W)), dtype=np.uint64)
    sids = np.empty(P[P_K], dtype=np.int64)
    ent_eid = np.empty(cap, dtype=np.int64)
    ent_e = np.empty(cap, dtype=np.int64)
    ent_ie = np.empty((cap, W), dtype=np.uint64)
    ent_im = np.empty((cap, W), dtype=np.uint64)
    room = np.int64((cap + 1) * (P[P_ROOM] if P[P_ROOM] > 0 else BLOCK_ROOM))
    pos = nout = nrm = ninc = np.int64(0)
    while True:
        q_sid = np.empty(room, dtype=np.int64)
        q_used = np.empty(room, dtype=np.int64)
        hkey = np.zeros(2 * room, dtype=np.int64)
        hgen = np.zeros(2 * room, dtype=np.int64)
        seen = np.empty(room, dtype=np.int64)
        pos, nout, nrm, ninc, status = _expand_core(
            rows, order, P, gsn, omap, dmap, e_sid, e_bits, e_own, e_flag, env_dst, env_mid, z_snap, z_env, z_msg,
            zsc, dst_mask, prop, quiet_nodes, acc_pos, reads_of, rkeys, rvals, out_rows, out_bits, out_act,
            out_parent, out_j, miss, rmiss, incomplete, m_known, m_eff, m_iout, u, sids, ent_eid, ent_e, ent_ie,
            ent_im, q_sid, q_used, hkey, hgen, seen, pos, nout, nrm, ninc)
        if status != GROW:
            return pos, nout, nrm, ninc, status
        room *= 2
        if miss.shape[0] > 4:
            miss[4] += 1  # (rows expanded again: for tests)


@njit_bare
def _expand_core(rows: Any, order: Any, P: Any, gsn: Any, omap: Any, dmap: Any, e_sid: Any, e_bits: Any, e_own: Any,
                 e_flag: Any, env_dst: Any, env_mid: Any, z_snap: Any, z_env: Any, z_msg: Any, zsc: Any, dst_mask: Any,
                 prop: Any, quiet_nodes: Any, acc_pos: Any, reads_of: Any, rkeys: Any, rvals: Any, out_rows: Any,
                 out_bits: Any, out_act: Any, out_parent: Any, out_j: Any, miss: Any, rmiss: Any, incomplete: Any,
                 m_known: Any, m_eff: Any, m_iout: Any, u: Any, sids: Any, ent_eid: Any, ent_e: Any, ent_ie: Any,
                 ent_im: Any, q_sid: Any, q_used: Any, hkey: Any, hgen: Any, seen: Any, pos0: Any, nout0: Any,
                 nrm0: Any, ninc0: Any) -> tuple[int, int, int, int, int]:
    """Successors of rows[order[0]], rows[order[1]], ... (Successors.expand, or QuietBlocks.expand with quiet blocks
    on, in its order) into the out arrays.

    With quiet blocks (`quiet_nodes`: QuietBlocks.eligible in its order) a row is expanded as QuietBlocks.expand
    does: its successors less the quiet steps of its eligible nodes that leave the network and history as they
    are, then per eligible node the states its quiet steps reach (a breadth-first search over (snapshot, crashes
    spent), each such state a row made here, not saturated) expanded with that node alone as the actor, less
    their own such quiet steps.

    Returns (position in `order` reached, successors written, refinement misses written to `rmiss`, rows
    left incomplete for want of a refinement verdict (in `incomplete`), DONE | NODE_MISS (the node step in
    `miss` is missing: the row at the position reached has no successor written) | FULL (out of room: the
    row at the position reached has no successor written) | GROW (a block of the row at the position reached
    outgrew q_sid, q_used, hkey or seen: nothing of that row written)).

    It starts at order[pos0] with nout0 successors, nrm0 misses and ninc0 incomplete rows written already.
    It runs without numba's reference counting (njit_bare: each array view or helper call would cost two
    atomic operations, over half the kernel's time when it counted them), so it allocates nothing: `u` holds
    its uint64 scratch vectors (rows U_*), the rest are its scratch arrays (expand_rows makes them).
    """
    k, p, S, W = P[P_K], P[P_P], P[P_SCALARS], P[P_WORDS]
    saturating, apart, crashes = P[P_SATURATING] != 0, P[P_APART], P[P_CRASHES]
    zc0, zk0, zp0, stride = P[P_Z_CRASHES], P[P_Z_CRASHED], P[P_Z_PROPOSED], P[P_Z_STRIDE]
    quiet, quiet_crash, max_out = P[P_QUIET], P[P_QUIET_CRASH] != 0, P[P_MAX_OUT]
    error_bit = np.uint64(P[P_ERROR_BIT])
    k_deliver, k_crash = np.int64(DELIVER), np.int64(CRASH)
    c_crashed, c_crashes, c_started, c_proposed = k, k + 1, k + 4, k + 4 + p
    nout, nrm, ninc = np.int64(nout0), np.int64(nrm0), np.int64(ninc0)  # (not literals: one helper signature)
    net, sent, nnet, nsent, vsent = u[U_NET, :W], u[U_SENT, :W], u[U_NNET, :W], u[U_NSENT, :W], u[U_VSENT, :W]
    fresh, nmsg, mail, acc_e, acc_m = u[U_FRESH, :W], u[U_NMSG, :W], u[U_MAIL, :W], u[U_ACC_E, :W], u[U_ACC_M, :W]
    tmp, tmp2, key = u[U_TMP, :W], u[U_TMP2, :W], u[U_KEY, :3 + 2 * W]
    cap = env_dst.shape[0]
    # quiet blocks: the row being expanded (a frontier row, or a state inside a block), the block's node's mail,
    # its queue of (snapshot, crashes spent) and the set of those seen (a table stamped per block: never cleared)
    row, bmail = u[U_ROW, :S + 2 * W], u[U_BMAIL, :W]
    gen = 0
    for pos in range(pos0, order.shape[0]):
        if ninc >= incomplete.shape[0]:
            return pos, nout, nrm, ninc, FULL
        r = order[pos]
        start = nout
        nrm_row = nrm
        whole = True
        base = rows[r]
        for c in range(S + 2 * W):
            row[c] = base[c]
        crashed = np.int64(base[c_crashed])  # the same in every state of a row's blocks
        used0 = np.int64(base[c_crashes])
        actors = np.int64(-1)  # the nodes whose steps are taken: all, or the block's node
        blk = -1  # the block: its place in quiet_nodes (-1: the row itself), its node, queue head and length, seen
        bi = qh = nq = ns = np.int64(0)
        sid0 = np.int64(0)
        while True:
            if nout + max_out > out_rows.shape[0] or nrm + max_out > rmiss.shape[0]:
                return pos, start, nrm, ninc, FULL
            for i in range(k):
                sids[i] = row[i]
            for w in range(W):
                net[w] = row[S + w]
                sent[w] = row[S + W + w]
            fp = row[S - 1]
            # proposals and timeouts
            for jj in range(p):
                i = prop[jj, 0]
                if (crashed >> i) & 1 or not (actors >> i) & 1:
                    continue
                started = np.int64(row[c_started + jj])
                if started == 0:
                    kind, arg, col = PROPOSE, jj, 0
                elif started < prop[jj, 1]:
                    kind, arg, col = TIMEOUT, 0, 1
                else:
                    continue
                sid = sids[i]
                g = gsn[i, sid]
                e = omap[g, col]
                if e < 0:
                    miss[0], miss[1], miss[2], miss[3] = i, sid, kind, arg
                    return pos, start, nrm, ninc, NODE_MISS
                own = e_own[e]
                if (own >> error_bit) & ONE:  # the handler failed: nothing changes, the step is the finding
                    _emit(out_rows, out_bits, out_act, out_parent, out_j, nout, start, row, S, W, i, sid, net, sent,
                          fp, own, kind, arg, r)
                    nout += 1
                    continue
                new_sid = np.int64(e_sid[e])
                for w in range(W):
                    fresh[w] = e_bits[e, w] & ~net[w]
                    nnet[w] = net[w] | e_bits[e, w]
                    nmsg[w] = e_bits[e, W + w] & ~sent[w]
                    nsent[w] = sent[w] | e_bits[e, W + w]
                    vsent[w] = nsent[w]
                dfp = xor_bits(fresh, z_env) ^ xor_bits(nmsg, z_msg) ^ z_snap[g] ^ z_snap[gsn[i, new_sid]]
                dfp ^= zsc[jj * stride + started] ^ zsc[jj * stride + started + 1]
                proposed = np.int64(row[c_proposed])
                if kind == PROPOSE:
                    b = prop[jj, 2]
                    if not (proposed >> b) & 1:
                        proposed |= np.int64(1) << b
                        dfp ^= zsc[zp0 + b]
                nfp = fp ^ dfp
                if saturating:
                    ok, nfp = _saturate(sids, crashed | apart, i, new_sid, nnet, nsent, nfp, fresh, acc_e, acc_m,
                                        False, gsn, dmap, env_dst, env_mid, e_flag, e_bits, dst_mask, z_env, z_msg, W,
                                        tmp, tmp2, miss, m_known, m_iout)
                    if not ok:
                        return pos, start, nrm, ninc, NODE_MISS
                nrm, ok = _emit_judged(P, out_rows, out_bits, out_act, out_parent, out_j, nout, start, row, S, W, i,
                                       sid, new_sid, sent, vsent, own, nnet, nsent, nfp, kind, arg, r, acc_pos,
                                       reads_of, rkeys, rvals, key, rmiss, nrm)
                whole = whole and ok
                out_rows[nout, c_started + jj] = started + 1
                out_rows[nout, c_proposed] = proposed
                nout += 1
            # deliveries in the set network: per node, its effective ones first (Mailboxes.delivery_entries)
            skip = crashed | apart
            for i in range(k):
                if (skip >> i) & 1 or not (actors >> i) & 1:
                    continue
                empty = True
                for w in range(W):
                    mail[w] = net[w] & dst_mask[i, w]
                    if mail[w] != ZERO:
                        empty = False
                if empty:
                    continue
                sid = sids[i]
                g = gsn[i, sid]
                nent = 0
                unknown = np.int64(-1)  # the lowest envelope of its mail whose delivery has not run yet
                for w in range(W):
                    u = mail[w] & ~m_known[g, w]
                    if u != ZERO:
                        unknown = w * 64 + low_index(u)
                        break
                for w in range(W):
                    x = mail[w] & (m_eff[g, w] | ~m_known[g, w])  # effective or not run yet, lowest first
                    while x != ZERO:
                        b = low_index(x)
                        eid = w * 64 + b
                        x &= x - ONE
                        if not (m_known[g, w] >> np.uint64(b)) & ONE:
                            miss[0], miss[1], miss[2], miss[3] = i, sid, DELIVER, env_mid[eid]
                            return pos, start, nrm, ninc, NODE_MISS
                        e = dmap[g, env_mid[eid]]
                        stutter = e_sid[e] == sid and e_own[e] == ZERO
                        if stutter:
                            for v in range(W):
                                if (e_bits[e, v] & ~net[v]) != ZERO or (e_bits[e, W + v] & ~sent[v]) != ZERO:
                                    stutter = False
                        if stutter:
                            # no entry: its inert outputs (_inert_of over the node's own mail) are not needed,
                            # but their first missing node step is the one Python would run now
                            if saturating and unknown >= 0:
                                miss[0], miss[1], miss[2], miss[3] = i, sid, DELIVER, env_mid[unknown]
                                return pos, start, nrm, ninc, NODE_MISS
                            continue
                        if saturating:
                            for v in range(W):
                                tmp2[v] = mail[v] | (e_bits[e, v] & dst_mask[i, v])
                            if not _inert_of(i, np.int64(e_sid[e]), tmp2, gsn, dmap, env_mid, m_known, m_iout, e_bits,
                                             W, ent_ie[nent], ent_im[nent], miss):
                                return pos, start, nrm, ninc, NODE_MISS
                        else:
                            for v in range(W):
                                ent_ie[nent, v] = ZERO
                                ent_im[nent, v] = ZERO
                        ent_eid[nent] = eid
                        ent_e[nent] = e
                        nent += 1
                quiet_i = (quiet >> i) & 1
                for q in range(nent):
                    e = ent_e[q]
                    new_sid = np.int64(e_sid[e])
                    own = e_own[e]
                    anything = new_sid != sid or own != ZERO
                    silent = True  # sends nothing at all (a quiet step if it moves an eligible node: QuietBlocks)
                    inert_new = False
                    for w in range(W):
                        fresh[w] = e_bits[e, w] & ~net[w]
                        nmsg[w] = e_bits[e, W + w] & ~sent[w]
                        nnet[w] = net[w] | e_bits[e, w]
                        nsent[w] = sent[w] | e_bits[e, W + w]
                        vsent[w] = nsent[w]
                        if e_bits[e, w] != ZERO or e_bits[e, W + w] != ZERO:
                            silent = False
                        if fresh[w] != ZERO or nmsg[w] != ZERO:
                            anything = True
                        if fresh[w] != ZERO or (ent_ie[q, w] & ~net[w]) != ZERO or (ent_im[q, w] & ~sent[w]) != ZERO:
                            inert_new = True
                    if not anything:
                        continue  # a stutter
                    nfp = fp ^ z_snap[g] ^ z_snap[gsn[i, new_sid]] ^ xor_bits(fresh, z_env) ^ xor_bits(nmsg, z_msg)
                    if saturating and inert_new:
                        for w in range(W):
                            acc_e[w] = ent_ie[q, w]
                            acc_m[w] = ent_im[q, w]
                        ok, nfp = _saturate(sids, skip, i, new_sid, nnet, nsent, nfp, fresh, acc_e, acc_m, True, gsn,
                                            dmap, env_dst, env_mid, e_flag, e_bits, dst_mask, z_env, z_msg, W, tmp,
                                            tmp2, miss, m_known, m_iout)
                        if not ok:
                            return pos, start, nrm, ninc, NODE_MISS
                    if quiet_i and silent and new_sid != sid and own == ZERO and _same(nnet, net, nsent, sent, W):
                        continue  # a state inside a block: not a state of the reduced model
                    nrm, ok = _emit_judged(P, out_rows, out_bits, out_act, out_parent, out_j, nout, start, row, S, W,
                                           i, sid, new_sid, sent, vsent, own, nnet, nsent, nfp, k_deliver, ent_eid[q],
                                           r, acc_pos, reads_of, rkeys, rvals, key, rmiss, nrm)
                    whole = whole and ok
                    nout += 1
            # restarts and crashes
            c_used = np.int64(row[c_crashes])
            for i in range(k):
                if (apart >> i) & 1 or not (actors >> i) & 1:
                    continue
                sid = sids[i]
                g = gsn[i, sid]
                for w in range(W):
                    nnet[w] = net[w]
                    nsent[w] = sent[w]
                    fresh[w] = ZERO
                if (crashed >> i) & 1:
                    up = crashed & ~(np.int64(1) << i)
                    nfp = fp ^ zsc[zk0 + i]
                    if saturating:  # back up: its mail may hold inert deliveries it could not take
                        ok, nfp = _saturate(sids, up | apart, i, sid, nnet, nsent, nfp, fresh, acc_e, acc_m, False,
                                            gsn, dmap, env_dst, env_mid, e_flag, e_bits, dst_mask, z_env, z_msg, W,
                                            tmp, tmp2, miss, m_known, m_iout)
                        if not ok:
                            return pos, start, nrm, ninc, NODE_MISS
                    _emit(out_rows, out_bits, out_act, out_parent, out_j, nout, start, row, S, W, i, sid, nnet, nsent,
                          nfp, ZERO, RESTART, 0, r)
                    out_rows[nout, c_crashed] = up
                    nout += 1
                elif c_used < crashes:
                    e = omap[g, 2]
                    if e < 0:
                        miss[0], miss[1], miss[2], miss[3] = i, sid, CRASH, 0
                        return pos, start, nrm, ninc, NODE_MISS
                    own = e_own[e]
                    if (own >> error_bit) & ONE:
                        _emit(out_rows, out_bits, out_act, out_parent, out_j, nout, start, row, S, W, i, sid, net,
                              sent, fp, own, CRASH, 0, r)
                        nout += 1
                        continue
                    new_sid = np.int64(e_sid[e])
                    if P[P_NULL_CRASHES] != 0 and new_sid == sid and own == ZERO:
                        continue  # a crash that changes nothing is a delay (reductions.py, 2)
                    dfp = z_snap[g] ^ z_snap[gsn[i, new_sid]] ^ zsc[zc0 + c_used] ^ zsc[zc0 + c_used + 1]
                    down = crashed
                    if P[P_PROMPT] != 0:  # the node restarts at once (reductions.py, 4)
                        nfp = fp ^ dfp
                        if saturating:
                            ok, nfp = _saturate(sids, crashed | apart, i, new_sid, nnet, nsent, nfp, fresh, acc_e,
                                                acc_m, False, gsn, dmap, env_dst, env_mid, e_flag, e_bits, dst_mask,
                                                z_env, z_msg, W, tmp, tmp2, miss, m_known, m_iout)
                            if not ok:
                                return pos, start, nrm, ninc, NODE_MISS
                        if (quiet_crash and (quiet >> i) & 1 and new_sid != sid and own == ZERO
                                and _same(nnet, net, nsent, sent, W)):
                            continue  # a state inside a block (a quiet crash and its restart)
                        arg = 1
                    else:
                        down = crashed | (np.int64(1) << i)
                        nfp = fp ^ dfp ^ zsc[zk0 + i]
                        arg = 0
                    nrm, ok = _emit_judged(P, out_rows, out_bits, out_act, out_parent, out_j, nout, start, row, S, W,
                                           i, sid, new_sid, sent, sent, own, nnet, nsent, nfp, k_crash, arg, r, acc_pos,
                                           reads_of, rkeys, rvals, key, rmiss, nrm)
                    whole = whole and ok
                    out_rows[nout, c_crashes] = c_used + 1
                    out_rows[nout, c_crashed] = down
                    nout += 1
            if quiet == 0:
                break
            # quiet blocks: the next state of this block to expand, else the next eligible node's block
            if blk >= 0:
                if nq + cap + 1 > q_sid.shape[0]:
                    return pos, start, nrm_row, ninc, GROW
                nq, ok = _quiet_moves(bi, sids[bi], c_used, bmail, W, gsn, dmap, omap, e_sid, e_bits, e_own, env_mid,
                                      m_known, m_eff, quiet_crash, crashes, q_sid, q_used, nq, miss)
                if not ok:
                    return pos, start, nrm, ninc, NODE_MISS
            found = False
            while True:
                while qh < nq:
                    sid, used = q_sid[qh], q_used[qh]
                    qh += 1
                    if 2 * (ns + 1) > hkey.shape[0] or ns == seen.shape[0]:  # (the table at most half full)
                        return pos, start, nrm_row, ninc, GROW
                    if not _seen_add(hkey, hgen, gen, (sid << 16) | used):
                        continue  # back in a snapshot of this block (a cycle of quiet steps)
                    seen[ns] = (sid << 16) | used
                    ns += 1
                    found = True
                    break
                if found:
                    break
                blk += 1
                if blk >= quiet_nodes.shape[0]:
                    break
                bi = quiet_nodes[blk]
                if ((crashed | apart) >> bi) & 1:
                    continue
                for w in range(W):
                    bmail[w] = base[S + w] & dst_mask[bi, w]
                sid0 = np.int64(base[bi])
                gen += 1
                seen[0] = (sid0 << 16) | used0
                _seen_add(hkey, hgen, gen, seen[0])
                ns = 1
                qh = nq = 0
                if nq + cap + 1 > q_sid.shape[0]:
                    return pos, start, nrm_row, ninc, GROW
                nq, ok = _quiet_moves(bi, sid0, used0, bmail, W, gsn, dmap, omap, e_sid, e_bits, e_own,
                                      env_mid, m_known, m_eff, quiet_crash, crashes, q_sid, q_used, nq, miss)
                if not ok:
                    return pos, start, nrm, ninc, NODE_MISS
            if not found:
                break
            # QuietBlocks.moved: the row with the block's node in `sid`, `used` crashes spent, nothing saturated
            for c in range(S + 2 * W):
                row[c] = base[c]
            row[bi] = sid
            row[c_crashes] = used
            row[S - 1] = base[S - 1] ^ z_snap[gsn[bi, sid0]] ^ z_snap[gsn[bi, sid]] ^ zsc[zc0 + used0] ^ zsc[zc0 + used]
            actors = np.int64(1) << bi
        if not whole:
            nout = start
            incomplete[ninc] = r
            ninc += 1
    return order.shape[0], nout, nrm, ninc, DONE

