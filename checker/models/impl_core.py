"""The compiled core of the implementation model: `ImplModel.flat_core()` for checker/search/flat_bfs.py.

Owns the miss protocol between the kernels and the model's Python parts: a batch of frontier rows is
expanded by impl_core_kernel.py until it needs a node step it lacks (Python runs it through
ImplTables.node_step, impl_core_tables.py enters it, the batch goes on from that row) or a
`refines_spec` verdict it lacks (the row is redone once RefinementIndex.allows has answered); new
states are judged through compiled maps keyed as impl_verdicts.py keys its caches, a miss asking
`Verdicts.violated` / `witnessed` of the decoded state. Results, caches and node checks are the
Python engine's (docs/engines.md); what this core cannot do exactly, impl_core_refusal.py names, and the
Python engine runs it. Under `--symmetry` (orbit keys on: impl_symmetry.py) rows carry orbit lanes
(impl_core_orbits.py), successors come with their orbit fingerprints in the Python engine's order, and
every node transition the batch ran is checked against its renamed images before they are returned.
It decides no search order and picks no member of an orbit (flat_bfs.py does).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from checker.models.impl_core_kernel import (
    FULL,
    N_PARAMS,
    NODE_MISS,
    P_APART,
    P_CRASHES,
    P_ERROR_BIT,
    P_K,
    P_MAX_OUT,
    P_NULL_CRASHES,
    P_P,
    P_PROMPT,
    P_QUIET,
    P_QUIET_CRASH,
    P_REFINE,
    P_REFINES_BIT,
    P_SATURATING,
    P_SCALARS,
    P_WORDS,
    P_Z_CRASHED,
    P_Z_CRASHES,
    P_Z_PROPOSED,
    P_Z_STRIDE,
    expand_rows,
)
from checker.models.impl_core_maps import SlotMap, WordMap
from checker.models.impl_core_orbits import (
    N_Q,
    Q_LANES,
    Q_WORDS,
    OrbitLanes,
    lanes_of,
    orbit_fingerprints,
    orbit_sizes,
)
from checker.models.impl_core_safe import SafeTwin
from checker.models.impl_core_tables import MASK64, CoreTables, from_limbs
from checker.models.impl_core_threads import KernelThreads
from checker.models.impl_layout import SENT
from checker.models.impl_view_parts import ViewParts
from paxos import NODE_ERROR
from properties.inductive import SAFE_PART

_OUT = 1 << 15  # successors per kernel call at most (more: the call returns and is called again)
_CHECK_CHUNK = 1 << 15  # rows of a level whose verdict keys are built at once
_CHECKED = 8192  # rows judged at a time under symmetry (partition.py's chunk)


#: the rows of a chunk whose keys a map lacks: (their indices, the index of each one's key among the chunk's
#: new keys, those keys (by first row), the index of each key's first row); not a key per row
_Missed = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _own(a: np.ndarray) -> np.ndarray:
    """`a`, or a copy of it when it is a view (of the kernel's buffers, reused by its next call); the threads'
    batches (impl_core_threads.run_slice) are copies already."""
    return a if a.base is None else a.copy()


def _flat(keys: np.ndarray) -> np.ndarray:
    """Rows of uint64 as one opaque item each (for np.unique)."""
    return np.ascontiguousarray(keys).view(np.dtype((np.void, 8 * keys.shape[1]))).ravel()


def _missed(keys: np.ndarray, where: np.ndarray, start: int) -> _Missed:
    """The misses of a chunk starting at row `start`: rows `where` of `keys`."""
    _, first, group = np.unique(_flat(keys[where]), return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # the chunk's new keys by their first row
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return (start + where, rank[group.ravel()].astype(np.int32), keys[where[first[order]]], start + where[first[order]])


def _with(keys: np.ndarray, changes: np.ndarray) -> np.ndarray:
    """Zobrist keys as a first column before their lane changes (`ImplCore.derive`'s tables), as many rows as
    both have."""
    n = min(len(keys), len(changes))
    out = np.empty((n, 1 + changes.shape[1]), dtype=np.uint64)
    out[:, 0], out[:, 1:] = keys[:n], changes[:n]
    return out


class ImplCore:
    """Successors, fingerprints and verdicts of batches of implementation-model states as rows of uint64."""

    ordered = True  # expand and check a level in fingerprint order (nodes then run in the Python engine's order)
    seen_bits = True  # `check` gives a bit per sometimes property

    def __init__(self, model: Any) -> None:
        self.model = model
        t = self.t = model.tables
        props = model.properties()
        self.always = [p.name for p in props if p.kind == "always"]
        self.sometimes = [p.name for p in props if p.kind == "sometimes"]
        self.step_names = [p.name for p in props if p.kind == "step"]
        for name in (NODE_ERROR, "refines_spec"):
            if name not in self.step_names:
                self.step_names.append(name)
        self.pending_sometimes: set[str] = set(self.sometimes)
        self.tables = CoreTables(model, self.step_names)
        self.verdicts = model.verdicts
        self.inductive = model.verdicts.inductive
        v = model.verdicts
        self.parts = ViewParts(t, v.views, v.view_props, v.apart, v.views_of)
        # SAFE_PART judged on every row by its compiled twin (impl_core_safe.py), when it is inv_2a_safe alone
        self.safe_twin = (SafeTwin(self.inductive, list(t.acceptor_idx), 1 << self.always.index("inv_2a_safe"))
                          if SAFE_PART == ("inv_2a_safe",) and "inv_2a_safe" in self.inductive.wanted else None)
        succ = model.search_successors
        cfg = t.cfg
        limits = list(t.cfg.ballot_limits())
        stride = max(limits) + 2
        zsc = [t.z[("started", j, c)] for j in range(t.p) for c in range(stride)]
        zc0 = len(zsc)
        zsc += [t.z[("crashes", c)] for c in range(cfg.crashes + 2)]
        zk0 = len(zsc)
        zsc += [t.z[("crashed", t.ids[i])] for i in range(t.k)]
        zp0 = len(zsc)
        zsc += [t.z[("proposed", v)] for v in t.values]
        self.zsc = np.array([z & MASK64 for z in zsc], dtype=np.uint64)
        self.orbit = t.orbit  # the ImplSymmetry when keys carry orbit changes (--symmetry), else None
        self.lanes: OrbitLanes | None = None
        self._ref: np.ndarray | None = None  # `derive`'s reference row
        self.unreduced = 0  # the states of the orbits checked (`check`), under symmetry
        if self.orbit is not None and self.orbit.size > 1:
            self.tables.lanes = self.orbit.size - 1
            self.lanes = OrbitLanes(self.tables, zsc, self.orbit.size - 1)
        self.prop = np.array([[t.proposer_idx[j], limits[j], t.values.index(t.proposal_of[j])] for j in range(t.p)],
                             dtype=np.int64).reshape(t.p, 3)
        self.acc_pos = np.array(model.verdicts.acceptor_at, dtype=np.int64)
        P = self.P = np.zeros(N_PARAMS, dtype=np.int64)
        P[P_K], P[P_P], P[P_SCALARS] = t.k, t.p, self.tables.scalars
        P[P_SATURATING], P[P_NULL_CRASHES], P[P_PROMPT] = succ.saturating, succ.null_crashes, succ.prompt_restart
        P[P_APART], P[P_CRASHES] = succ.apart_mask, cfg.crashes
        self.refine = model.verdicts.refine_index
        P[P_REFINE] = self.refine is not None
        P[P_ERROR_BIT], P[P_REFINES_BIT] = self.step_names.index(NODE_ERROR), self.step_names.index("refines_spec")
        P[P_Z_CRASHES], P[P_Z_CRASHED], P[P_Z_PROPOSED], P[P_Z_STRIDE] = zc0, zk0, zp0, stride
        por = model.por  # quiet blocks (reductions.py, 6): the kernel runs QuietBlocks.expand
        self.quiet_nodes = np.array(por.eligible if por is not None else (), dtype=np.int64)
        P[P_QUIET] = sum(1 << i for i in self.quiet_nodes.tolist())
        P[P_QUIET_CRASH] = por is not None and por.crashes
        self.Q = np.zeros(N_Q, dtype=np.int64)  # impl_core_orbits.lanes_of's parameters: P's first ones
        self.Q[:Q_LANES], self.Q[Q_LANES + 1:] = P[:Q_LANES], (zc0, zk0, zp0, stride)
        self.Q[Q_LANES] = self.tables.lanes
        self.apart = list(model.apart)
        self.user_sometimes = model.verdicts.user_sometimes
        self.acc_cols = list(t.acceptor_idx)
        self.learner_cols = list(t.learner_idx)
        self.per_action: Counter[tuple[int, int, int]] = Counter()
        self.step_best: dict[int, tuple[int, int, int]] = {}  # bit -> (parent fp, j, target)
        self._maps_words = 0
        self._reads_msgs = -1
        self._reads = np.zeros((1, 1), dtype=np.uint64)  # per message: the sent messages its steps' verdicts read
        self._bound: tuple[Any, ...] | None = None
        self._cap = _OUT  # rows of the kernel's output buffers
        self.threads: KernelThreads | None = None  # --workers N: the kernel's threads (set_workers)
        self._new_maps()

    # -- the face flat_bfs.py sees ----------------------------------------------------------------

    def set_workers(self, workers: int) -> None:
        """Expand each chunk with `workers` threads (impl_core_threads.py); 1: in the calling thread alone. Every
        node step still runs in this process, so the model holds every transition for the node checks."""
        self.close()
        if workers > 1:
            self.threads = KernelThreads(workers)
            self.model.gathered_from_workers = True

    def close(self) -> None:
        """End the kernel's threads, if any."""
        if self.threads is not None:
            self.threads.close()
            self.threads = None

    @property
    def words(self) -> int:
        """Row width (uint64 columns); grows when envelopes or messages outgrow the limbs."""
        return self.tables.row_width

    def rows(self, states: list[Any]) -> np.ndarray:
        """States as rows (after the tables caught up with ids interned since: e.g. a checkpoint's frontier)."""
        self.tables.sync()
        if self.tables.changed:
            self._after_tables_grew()
        return self.tables.rows(states)

    def state(self, row: np.ndarray) -> Any:
        return self.tables.state(row)

    def state_columns(self, rows: np.ndarray) -> list[np.ndarray]:
        """The slots of the rows' states as columns (a checkpoint's frontier: CoreTables.state_columns)."""
        return self.tables.state_columns(rows)

    def widen(self, rows: np.ndarray) -> np.ndarray:
        return self.tables.widen(rows)

    @property
    def symmetric(self) -> bool:
        """Whether fingerprints are orbit fingerprints (the model's keys carry orbit changes)."""
        return self.orbit is not None

    def fingerprints(self, rows: np.ndarray) -> np.ndarray:
        """The fingerprints a search stores: each row's own, or under symmetry its orbit's (the least image's)."""
        tb = self.tables
        if self.orbit is not None:
            self.orbit.check_transitions()
            return orbit_fingerprints(rows, tb.s_fp, tb.scalars + 2 * tb.words)
        return np.ascontiguousarray(rows[:, tb.s_fp])

    def own_fingerprints(self, rows: np.ndarray) -> np.ndarray:
        """Each row's own fingerprint (under symmetry it tells members of one orbit apart)."""
        return np.ascontiguousarray(rows[:, self.tables.s_fp])

    @property
    def fp_column(self) -> int | None:
        """The row column holding the state's fingerprint (flat_bfs.py's store keeps it apart), or None under
        symmetry (the store keeps orbit fingerprints: the row's own is stored with it)."""
        return None if self.orbit is not None else int(self.tables.s_fp)

    @property
    def shared_from(self) -> int:
        """The row columns from here on (the network and the sent messages) are shared by many states of a level:
        flat_bfs.py's store keeps each distinct value of them once per level."""
        return int(self.tables.scalars)

    @property
    def row_tail(self) -> int:
        """The last row columns (the orbit lanes) are each row's own: not shared with other states."""
        return int(self.tables.lanes)

    @property
    def derived_columns(self) -> tuple[int, ...]:
        """Row columns (besides the lanes, `row_tail`) flat_bfs.py's store does not keep, `derive` writing them
        into rows read back: under symmetry the row's own fingerprint (the store keeps its orbit's)."""
        return (int(self.tables.s_fp),) if self.lanes is not None else ()

    def derive(self, rows: np.ndarray) -> None:
        """Write the orbit lanes (`row_tail`) and own fingerprint (`derived_columns`) of rows read back from
        flat_bfs.py's store, which keeps neither (48 of a row's 60-odd packed bytes with 3 acceptors): each is
        a reference row's (an initial state's, made by ImplTables) XOR the changes of every component the two
        rows differ in, as impl_core_orbits.lanes_of computes a successor's lanes from its parent's (it reads
        nothing else); the fingerprint as one more lane whose changes are the Zobrist keys themselves."""
        if self.lanes is None or not len(rows):
            return
        tb = self.tables
        if self._ref is None:
            self._ref = tb.rows([next(iter(self.model.initial_states()))])
        ref, w, n = tb.at_width(self._ref, rows.shape[1]), tb.words_of(rows), len(rows)
        base, lanes = tb.scalars + 2 * w, tb.lanes
        # one pass: the row with its fingerprint as lane 0 before the lanes, the Zobrist keys lane 0's changes
        own = np.empty((n, base + 1 + lanes), dtype=np.uint64)
        own[:, :base] = rows[:, :base]
        one = np.empty((1, base + 1 + lanes), dtype=np.uint64)
        one[:, :base], one[0, base], one[:, base + 1:] = ref[:, :base], ref[0, tb.s_fp], ref[:, base:]
        self.lanes.sync()
        ol = self.lanes
        q = self.Q.copy()
        q[Q_WORDS], q[Q_LANES] = w, 1 + lanes
        lanes_of(one, own, np.zeros(n, dtype=np.int64), q, tb.gsn, _with(tb.z_snap, ol.snap), _with(tb.z_env, ol.env),
                 _with(tb.z_msg, ol.msg), _with(self.zsc, ol.zsc), np.empty(n, dtype=np.uint64))
        rows[:, tb.s_fp] = own[:, base]
        rows[:, base:] = own[:, base + 1:]

    def orbit_sizes(self, rows: np.ndarray) -> np.ndarray:
        """How many distinct states each row's orbit has (1 each without symmetry)."""
        tb = self.tables
        return orbit_sizes(tb.widen(rows), tb.s_fp, tb.scalars + 2 * tb.words)

    def take_step_events(self) -> list[tuple[str, int, int]]:
        """(property, fingerprint of the parent, fingerprint of the successor) of each step property's first
        violation in the level just expanded (least parent fingerprint, then first transition), as bfs.py's
        partitions report them; forgets them."""
        out = [(self.step_names[b], pfp, target) for b, (pfp, _, target) in sorted(self.step_best.items())]
        self.step_best = {}
        return out

    emits = True  # `expand` hands its successors to `emit` batch by batch (under symmetry: all at once)

    def expand(self, frontier: np.ndarray, order: np.ndarray, kinds: Any = None, emit: Any = None) -> Any:
        """The successors of the rows frontier[order]: each batch the kernel writes goes to `emit(rows, their
        fingerprints, parent index into order)` at once (the arrays are reused after it returns), in
        Successors.expand's order; returns the sum of what `emit` returned. Without `emit`: (successor rows,
        their fingerprints, parent index into `order`), concatenated.

        Under symmetry the fingerprints are orbit fingerprints, the successors come all at once (one `emit`) in
        the Python engine's order (by parent, then as Successors.expand makes them), and every node transition
        run is checked against its renamed images first (impl_symmetry.check_transitions: an asymmetric node
        is refused)."""
        if emit is not None and self.orbit is None:
            return self._expand(frontier, order, lambda r, f, p, j: emit(r, f, p))
        pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

        def keep(r: np.ndarray, f: np.ndarray, p: np.ndarray, j: np.ndarray) -> int:
            pieces.append((_own(r), _own(p), _own(f), _own(j)))
            return 0

        self._expand(frontier, order, keep)
        tb = self.tables
        if not pieces:
            out = np.zeros((0, tb.row_width), dtype=np.uint64)
            fps, parents = np.zeros(0, dtype=np.uint64), np.zeros(0, np.int64)
        else:
            out = np.concatenate([tb.widen(p[0]) for p in pieces]) if len(pieces) > 1 else tb.widen(pieces[0][0])
            parents = np.concatenate([p[1] for p in pieces])
            fps = np.concatenate([p[2] for p in pieces])
            if self.orbit is not None and len(pieces) > 1 and bool(np.any(parents[1:] < parents[:-1])):
                # rows redone after a refinement miss came last: back to the order of their parents
                js = np.concatenate([p[3] for p in pieces])
                again = np.lexsort((js, parents))
                out, parents, fps = out[again], parents[again], fps[again]
        return (out, fps, parents) if emit is None else emit(out, fps, parents)

    def _expand(self, frontier: np.ndarray, order: np.ndarray, emit: Any) -> int:
        """`expand`'s kernel loop: each batch to `emit(rows, fingerprints, parent index, transition index)`.
        With threads (`--workers N`, impl_core_threads.py) the rows are first expanded by N threads at once,
        those that miss put aside; those are then expanded here in row order, misses resolved as they come."""
        tb = self.tables
        rows = tb.widen(np.ascontiguousarray(frontier[order]))
        pending = np.arange(len(rows), dtype=np.int64)
        total = 0
        if self.threads is not None and self.threads.applies(len(rows)):
            total, pending = self._parallel(rows, pending, emit)
        total += self._serial(rows, pending, emit)
        if self.orbit is not None:  # as the Python engine does after each chunk (impl_orbits.lanes)
            self.orbit.check_transitions()
            tb.sync()
            if tb.changed:
                self._after_tables_grew()
        return total

    def _serial(self, rows: np.ndarray, pending: np.ndarray, emit: Any) -> int:
        """The one-worker loop over rows[pending], in order: a node-step miss stops the kernel at its row, is
        resolved (the node runs), and the kernel goes on from that row; rows lacking a refinement verdict are
        redone once it is known."""
        tb = self.tables
        total = 0
        while len(pending):
            args = self._args()
            out_rows, out_bits, out_act, out_parent, out_j, miss, rmiss, incomplete = self._bufs
            pos, nout, nrm, ninc, status = expand_rows(rows, pending, *args)
            if nout:
                total += self._take(rows, out_rows[:nout], out_bits[:nout], out_act[:nout], out_parent[:nout],
                                    out_j[:nout], emit)
            if nrm:
                self._resolve_refinement(rmiss[:nrm])
            if status == FULL and not pos and not nout:
                self._cap *= 2  # one row's successors (its quiet blocks') outgrew the buffers
                self._bound = None
            if status == NODE_MISS:
                tb.resolve(int(miss[0]), int(miss[1]), int(miss[2]), int(miss[3]))
                self._after_tables_grew()
                if tb.widened:
                    rows = tb.widen(rows)
            # the rows left (a view: a miss costs no copy of them), after those to redo
            pending = np.concatenate([incomplete[:ninc], pending[pos:]]) if ninc else pending[pos:]
        return total

    def _parallel(self, rows: np.ndarray, pending: np.ndarray, emit: Any) -> tuple[int, np.ndarray]:
        """The threads' pass over rows[pending] (impl_core_threads.py): their successors taken slice by slice,
        the refinement verdicts they lacked resolved; (what `emit` returned, the rows to redo, in row order)."""
        assert self.threads is not None
        args = self._args()
        at = next(i for i, a in enumerate(args) if a is self._bufs[0])  # the output buffers among the arguments
        head, tail = args[:at], args[at + len(self._bufs):]
        bufs = self.threads.buffers(lambda: self._buffers(len(self._bufs[0]), self.tables.words), self._bufs)
        total = 0
        keys: list[np.ndarray] = []
        redo: list[np.ndarray] = []
        for batches, missed, again in self.threads.run(rows, pending, head, tail, bufs):
            for out_rows, out_bits, out_act, out_parent, out_j in batches:
                total += self._take(rows, out_rows, out_bits, out_act, out_parent, out_j, emit)
            keys += missed
            redo += again
        if keys:
            self._resolve_refinement(np.concatenate(keys))
        return total, np.sort(np.concatenate(redo)) if redo else pending[:0]

    def _take(self, rows: np.ndarray, out_rows: np.ndarray, out_bits: np.ndarray, out_act: np.ndarray,
              out_parent: np.ndarray, out_j: np.ndarray, emit: Any) -> int:
        """One batch of the kernel's successors (of rows[out_parent]): their fingerprints (under symmetry their
        orbit lanes first, before the tables may widen), coverage and step verdicts, then `emit`."""
        tb = self.tables
        if self.lanes is not None:
            self.Q[Q_WORDS] = tb.words
            fps = self.lanes.post(rows, out_rows, out_parent, self.Q)
        else:
            fps = np.ascontiguousarray(out_rows[:, tb.s_fp])
        self._account(rows, out_bits, out_act, out_parent, out_j, fps)
        return int(emit(out_rows, fps, out_parent, out_j))

    def check(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(always properties violated, sometimes properties witnessed) per row, as bit sets by index into
        `always` / `sometimes`: `check_level` of these rows."""
        return self.check_level(len(rows), lambda where: rows[where])

    def check_level(self, n: int, rows_of: Any) -> tuple[np.ndarray, np.ndarray]:
        """`check` of the n rows `rows_of(indices)` gives, read in chunks (no copy of them all). Misses ask
        the model (Verdicts.violated / witnessed) map by map (the view part, then the inductive invariant's
        three parts, each keyed as it keys its cache, then the sometimes properties), each new key once, for
        its first row, in row order. Under symmetry in spans of _CHECKED rows judged each on its own, each
        after the node transitions run so far are checked against their renamed images (where partition.py's
        `_check` asks impl_orbits.lanes for orbit sizes)."""
        bad = np.zeros(n, dtype=np.uint64)
        seen = np.zeros(n, dtype=np.uint64)
        span = max(n, 1) if self.orbit is None else _CHECKED
        for lo in range(0, n, span):
            hi = min(n, lo + span)
            if self.orbit is not None:
                self.orbit.check_transitions()
            self._check_span(hi - lo, lambda where, lo=lo: rows_of(lo + where), bad[lo:hi], seen[lo:hi])
        return bad, seen

    def _check_span(self, n: int, rows_of: Any, bad: np.ndarray, seen: np.ndarray) -> None:
        """check_level's judging of n rows into `bad` and `seen`, keys built a chunk at a time."""
        judges = self._judges(bad, seen)
        done = 0
        counted = False
        while not counted or done < len(judges):
            todo = judges[done:]
            words = self.tables.words
            misses: list[list[_Missed]] = [[] for _ in todo]
            for start in range(0, n, _CHECK_CHUNK):
                rows = self.tables.widen(rows_of(np.arange(start, min(n, start + _CHECK_CHUNK), dtype=np.int64)))
                self._maps_current()
                if not counted:  # the states of the orbits checked; inv_2a_safe of every row
                    tb = self.tables
                    if self.orbit is not None:
                        self.unreduced += int(orbit_sizes(rows, tb.s_fp, tb.scalars + 2 * tb.words).sum())
                    if self.safe_twin is not None:
                        self.safe_twin.judge(rows, tb.scalars + tb.words, tb.words, tb.mask,
                                             bad[start:start + len(rows)])
                for q, (table, key, _, out) in enumerate(todo):
                    keys = key(rows)
                    got, missing = table().find_many(keys)
                    hit = np.flatnonzero(got >= 0)
                    out[start + hit] |= got[hit].astype(np.uint64)
                    if missing:
                        misses[q].append(_missed(keys, np.flatnonzero(got < 0), start))
            counted = True
            for q, (table, _, ask, out) in enumerate(todo):
                done += 1
                if misses[q]:
                    self._ask(table(), misses[q], ask, out, rows_of)
                    if self.tables.words != words:  # new maps, keys of another width: the rest again
                        break

    _Judge = tuple[Any, Any, Any, np.ndarray]

    def _judges(self, bad: np.ndarray, seen: np.ndarray) -> list[_Judge]:
        """(the map (a callable: maps are replaced when rows widen), its key of rows, the question a miss asks
        of a state, the bit sets its values go to) per verdict map, in the order check_level asks them.

        The view properties go by part (impl_view_parts.py): the "history" and "learners" ones under the
        Accepted messages, proposed values and learners (first: with learners apart its misses run their node
        steps, in the order Verdicts.view_violated would), the "acceptor" ones with the inductive invariant's
        ACCEPTOR_PART per acceptor (one map: its key holds what both read), the rest under the whole view's key."""
        vp, ind = self.parts, self.inductive
        judges: list[ImplCore._Judge] = []
        if vp.history or vp.learners or self.apart:
            judges.append((lambda: self.light_map, self._light_key, lambda st: self._names_bits(vp.light(st)), bad))
        if ind.wanted or vp.acceptor:
            for pos in range(len(self.acc_cols)):
                judges.append((lambda: self.acc_map, lambda rows, pos=pos: self._acc_key(rows, pos),
                               lambda st, pos=pos: self._acceptor_bits(pos, st[self.acc_cols[pos]], st[SENT]), bad))
        if ind.wanted:
            judges.append((lambda: self.msg_map, lambda rows: self._sent(rows) & self._ind_masks[1],
                           lambda st: self._names_bits(ind.message_part(st[SENT])), bad))
        if ind.wanted & set(SAFE_PART) and self.safe_twin is None:
            judges.append((lambda: self.safe_map, lambda rows: np.concatenate(
                [rows[:, self.acc_cols], self._sent(rows) & self._ind_masks[2]], axis=1),
                lambda st: self._names_bits(ind.safe_part([st[c] for c in self.acc_cols], st[SENT])),
                bad))
        if vp.whole:
            judges.append((lambda: self.always_map, self._always_key,
                           lambda st: self._names_bits(vp.whole_part(st)), bad))
        if self.pending_sometimes & set(self.sometimes):
            judges.append((lambda: self.sometimes_map, self._sometimes_key, self._witnessed_bits, seen))
        return judges

    def _acceptor_bits(self, pos: int, sid: int, sent: int) -> int:
        """The inductive invariant's ACCEPTOR_PART and the "acceptor" view properties of one acceptor."""
        names = self.parts.acceptor_part(pos, sid, sent)
        if self.inductive.wanted:
            names += self.inductive.acceptor_part(pos, sid, sent)
        return self._names_bits(names)

    def _sent(self, rows: np.ndarray) -> np.ndarray:
        s, w = self.tables.scalars, self.tables.words
        return rows[:, s + w:s + 2 * w]

    def _acc_key(self, rows: np.ndarray, pos: int) -> np.ndarray:
        return np.concatenate([np.full((len(rows), 1), pos, dtype=np.uint64), rows[:, self.acc_cols[pos]:
                               self.acc_cols[pos] + 1], self._sent(rows) & self._ind_masks[0][pos]], axis=1)

    # -- misses ---------------------------------------------------------------------------------

    def _ask(self, table: WordMap, misses: list[_Missed], ask: Any, out: np.ndarray, rows_of: Any) -> None:
        """Each new key among the missed rows asks `ask(state)` once, for its first row, in row order (the order
        the Python engine meets them: verdicts may run node steps); its rows get the answer."""
        keys = np.concatenate([m[2] for m in misses])  # each chunk's new keys, by their first row there
        _, first, inverse = np.unique(_flat(keys), return_index=True, return_inverse=True)
        firsts = np.argsort(first, kind="stable")  # chunks come in row order: a key's first row is its first
        vals = np.empty(len(first), dtype=np.int64)
        rows = rows_of(np.concatenate([m[3] for m in misses])[first[firsts]])
        for u, row in zip(firsts.tolist(), rows, strict=True):  # each new key once, by its first row
            vals[u] = ask(self.tables.state(self.tables.widen(row[None])[0]))  # (an answer may widen rows)
        inverse = inverse.ravel()
        at = 0
        for where, group, chunk_keys, _ in misses:
            out[where] |= vals[inverse[at + group]].astype(np.uint64)
            at += len(chunk_keys)
        table.put_many(keys[first], vals.astype(np.uint64))
        self.tables.sync()  # a verdict may have run node steps (learners apart): new ids
        if self.tables.changed:
            self._after_tables_grew()

    def _names_bits(self, found: Any) -> int:
        names = set(found)
        return sum(1 << j for j, n in enumerate(self.always) if n in names)

    def _witnessed_bits(self, state: Any) -> int:
        names = set(self.verdicts.witnessed(state))
        return sum(1 << j for j, n in enumerate(self.sometimes) if n in names)

    def _always_key(self, rows: np.ndarray) -> np.ndarray:
        """What Verdicts.view_violated reads: acceptors, learners, sent messages of the kinds its views read,
        proposed values, and the apart learners' places."""
        tb = self.tables
        s, w = tb.scalars, tb.words
        viewed = rows[:, s + w:s + 2 * w] & tb.mask(self.t.view_mask)
        parts = [rows[:, self.acc_cols], rows[:, self.learner_cols], viewed, rows[:, tb.s_proposed:tb.s_proposed + 1]]
        return np.ascontiguousarray(np.concatenate(parts + self._apart_parts(rows), axis=1))

    def _light_key(self, rows: np.ndarray) -> np.ndarray:
        """What ViewParts.light reads: the Accepted messages, proposed values, learners (when a "learners"
        property is judged) and the apart learners' places."""
        parts = self._history_parts(rows)
        if self.parts.learners:
            parts.append(rows[:, self.learner_cols])
        return np.ascontiguousarray(np.concatenate(parts + self._apart_parts(rows), axis=1))

    def _sometimes_key(self, rows: np.ndarray) -> np.ndarray:
        parts = self._history_parts(rows)
        if self.user_sometimes:
            parts += [rows[:, self.acc_cols], rows[:, self.learner_cols]]
        return np.ascontiguousarray(np.concatenate(parts + self._apart_parts(rows), axis=1))

    def _history_parts(self, rows: np.ndarray) -> list[np.ndarray]:
        """The rows' Accepted messages and proposed values: the head of the light and sometimes keys."""
        tb = self.tables
        s, w = tb.scalars, tb.words
        return [rows[:, s + w:s + 2 * w] & tb.mask(self.t.accepted_mask), rows[:, tb.s_proposed:tb.s_proposed + 1]]

    def _apart_parts(self, rows: np.ndarray) -> list[np.ndarray]:
        if not self.apart:
            return []
        tb = self.tables
        s, w = tb.scalars, tb.words
        parts = []
        for i in self.apart:
            parts += [rows[:, i:i + 1], rows[:, s:s + w] & tb.dst_mask[i]]
        parts.append(np.uint64(self.t.cfg.crashes) - rows[:, tb.s_crashes:tb.s_crashes + 1])
        return parts

    def _resolve_refinement(self, keys: np.ndarray) -> None:
        assert self.refine is not None
        w = self.tables.words
        vals = np.empty(len(keys), dtype=np.uint64)
        for r, key in enumerate(keys):
            new, sent = from_limbs(key[3:3 + w]), from_limbs(key[3 + w:3 + 2 * w])
            vals[r] = 1 if self.refine.allows(int(key[0]) - 1, int(key[1]), int(key[2]), sent, sent | new) else 2
        self.rmap.put_many(keys, vals)
        self._bound = None

    def _account(self, rows: np.ndarray, bits: np.ndarray, act: np.ndarray, parent: np.ndarray, j: np.ndarray,
                 targets: np.ndarray) -> None:
        """Coverage counts, and the first violation of each step property among these transitions."""
        codes, counts = np.unique((act[:, 0] << 48) | (act[:, 1] << 40) | act[:, 2], return_counts=True)
        for code, n in zip(codes.tolist(), counts.tolist(), strict=True):
            self.per_action[(code >> 48, (code >> 40) & 0xFF, code & ((1 << 40) - 1))] += n
        flagged = np.flatnonzero(bits)
        if not len(flagged):
            return
        tb = self.tables
        pfps = rows[parent[flagged], tb.s_fp]
        if self.orbit is not None:  # as stored: the parents' orbit fingerprints
            pfps = orbit_fingerprints(rows[parent[flagged]], tb.s_fp, tb.scalars + 2 * tb.words)
        for b in range(len(self.step_names)):
            has = flagged[(bits[flagged] >> np.uint64(b)) & np.uint64(1) == 1]
            if not len(has):
                continue
            sub = pfps[(bits[flagged] >> np.uint64(b)) & np.uint64(1) == 1]
            first = int(np.lexsort((j[has], sub))[0])
            best = (int(sub[first]), int(j[has[first]]), int(targets[has[first]]))
            old = self.step_best.get(b)
            if old is None or best[:2] < old[:2]:
                self.step_best[b] = best

    # -- keeping the arrays bound -----------------------------------------------------------------

    def _after_tables_grew(self) -> None:
        self._bound = None
        if self.tables.words != self._maps_words:
            self._new_maps()

    def _new_maps(self) -> None:
        w = self._maps_words = self.tables.words
        self.rmap = SlotMap(3 + 2 * w)
        self.always_map = WordMap(len(self.acc_cols) + len(self.learner_cols) + w + 1 + self._apart_width(w))
        self.light_map = WordMap(w + 1 + (len(self.learner_cols) if self.parts.learners else 0) + self._apart_width(w))
        extra = len(self.acc_cols) + len(self.learner_cols) if self.user_sometimes else 0
        self.sometimes_map = WordMap(w + 1 + extra + self._apart_width(w))
        self.acc_map = WordMap(2 + w)
        self.msg_map = WordMap(w)
        self.safe_map = WordMap(len(self.acc_cols) + w)
        self._amask_msgs = self._amask_words = -1
        self._reads_msgs = -1
        self._bound = None

    def _apart_width(self, w: int) -> int:
        return (len(self.apart) * (1 + w) + 1) if self.apart else 0

    def _maps_current(self) -> None:
        """The message masks of the inductive invariant's parts up to date with the interned messages."""
        t = self.t
        if self._amask_msgs != len(t.msgs) or self._amask_words != self.tables.words:
            own, msg, safe = self.inductive.masks()
            mask = self.tables.mask
            self._ind_masks = ([mask(m) for m in own], mask(msg), mask(safe))
            self._amask_msgs, self._amask_words = len(t.msgs), self.tables.words

    def _args(self) -> tuple[Any, ...]:
        tb = self.tables
        if self._bound is not None and not tb.changed and self._reads_msgs == tb.nmsg:
            return self._bound
        tb.changed = False
        tb.widened = False
        w = tb.words
        if self._reads_msgs != tb.nmsg or self._reads.shape[1] != w or len(self._reads) < tb.nmsg:
            self._reads = np.zeros((max(len(tb.z_msg), 1), w), dtype=np.uint64)
            if self.refine is not None:
                for mid in range(tb.nmsg):
                    self._reads[mid] = tb.mask(self.refine.reads_of(mid))
            self._reads_msgs = tb.nmsg
        P = self.P
        P[P_WORDS] = w
        P[P_MAX_OUT] = tb.p + len(tb.env_dst) + tb.k
        cap = max(self._cap, int(P[P_MAX_OUT]) + 1)  # room for the successors of one state at least
        old = getattr(self, "_bufs", None)
        if old is None or old[0].shape != (cap, tb.row_width) or old[6].shape[1] != 3 + 2 * w:
            self._bufs = self._buffers(cap, w)
        self._bound = (P, tb.gsn, tb.omap, tb.dmap, tb.e_sid, tb.e_bits, tb.e_own, tb.e_flag, tb.env_dst, tb.env_mid,
                       tb.z_snap, tb.z_env, tb.z_msg, self.zsc, tb.dst_mask, self.prop, self.quiet_nodes, self.acc_pos,
                       self._reads, self.rmap.keys, self.rmap.vals, *self._bufs, tb.m_known, tb.m_eff, tb.m_iout)
        return self._bound

    def _buffers(self, cap: int, w: int) -> tuple[np.ndarray, ...]:
        """The kernel's output buffers, reused from call to call (fresh ones would cost their page faults
        each time)."""
        tb = self.tables
        return (np.empty((cap, tb.row_width), dtype=np.uint64), np.empty(cap, dtype=np.uint64),
                np.empty((cap, 3), dtype=np.int64), np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64),
                np.zeros(5, dtype=np.int64), np.empty((cap, 3 + 2 * w), dtype=np.uint64),
                np.empty(1 << 14, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        """Bytes held by the verdict maps."""
        return sum(m.nbytes for m in (self.rmap, self.always_map, self.light_map, self.sometimes_map, self.acc_map,
                                       self.msg_map, self.safe_map))
