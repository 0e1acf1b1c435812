"""Acceptor symmetry of the implementation model: renaming acceptor ids in whole states, and orbit representatives.

Owns the symmetry group (permutations of acceptor ids that keep the quorum system and the
roles), the renaming of our snapshots and messages, the representative of an orbit (the
image with the smallest fingerprint, so it is the same in every process) and the run-time
check that the implementation really treats acceptors alike. It must not search, define
properties or change how `ImplModel` steps.

What is reduced and what is not:
- acceptors: a permutation of acceptor ids that maps the phase-1 quorums onto themselves and
  the phase-2 quorums onto themselves (majority and flexible thresholds: every permutation)
  renames every acceptor id in a state: node positions, message `src`, envelope
  destinations, the ghost history and the crashed set. An acceptor that is also a proposer
  (`--colocated`) is never moved (see below), so co-located clusters have no symmetry.
- proposers are NOT reduced: a ballot is `(round, proposer id)` and the id breaks ties, so
  swapping two proposers changes which of their ballots is higher; that is not a symmetry
  of Paxos. Values are tied to proposers (proposer i proposes value i), so neither are they.

Messages are ours, so we rename them (`paxos.rename_node_ids`: a node id appears only as a
message's `src`). Snapshots are the node's: each node renames its own through the optional
method of the node protocol, `rename_snapshot(snapshot, mapping)` (`paxos.RenamesSnapshots`;
`PaxosNode` has it); a node without it is refused with a `UsageError`. Nothing about the
node is trusted: every node transition the search uses is checked against its renamed
images (an implementation may look at acceptor ids, e.g. break ties by the lowest id, or
its rename may miss a field), and every renamed snapshot must show the same
`acceptor_state()` and `learned()` as the original; a difference stops the run with a
`UsageError`, never with a wrong verdict.

How a search uses it (orbit keys, `ImplModel.symmetric_fingerprints`): a state's fingerprint is
the XOR of one key per component, so the fingerprint of its image under g is its own XOR, over
components c, (key(c) XOR key(g.c)). Every key gets those changes for all g packed above its low
64 bits (`start_orbit_keys`, `extend_key` as tables grow), so the fingerprint slot that each step
already updates by XOR carries the fingerprints of all images of the state at no extra cost per
step, and the search stores the least of them (`orbit_fingerprint`), which is the fingerprint of
the canonical form below. States are then kept as they are reached, never renamed. Why this keeps
every verdict: if t = g.s then, the node being checked equivariant, the successors of t are the
images under g of those of s, and every property reads t as it reads s; so the orbits reachable
from s and from t are the same, and expanding whichever member of an orbit is met first explores
every reachable orbit, exactly as expanding the canonical form does (tests/test_impl_symmetry.py
compares the two on every reachable state and on whole searches).
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from checker.errors import UsageError
from checker.models.impl_encoding import DELIVER, KIND_NAMES, ImplState
from checker.models.impl_layout import FP, SENT
from checker.models.impl_tables import ImplTables
from paxos import CannotRename, ClusterConfig, Message, QuorumSystem, RenamesSnapshots, rename_node_ids
from paxos._guard import own_failure

MASK64 = (1 << 64) - 1
_CHUNK = 16  # bit sets (network, ghost history) are renamed 16 bits at a time through cached tables
_CHUNK_MASK = (1 << _CHUNK) - 1

IdMap = Mapping[int, int]
Chunks = dict[int, tuple[int, list[int]]]  # chunk key -> (packed fingerprint change, image bits per element)
ChunkMiss = Callable[[int], tuple[int, list[int]]]
_Scan = tuple[int, "list[tuple[int, list[int]]] | None", list[tuple[int, list[int]]], list[tuple[int, list[int]]]]
_NUMPY_FROM = 24  # groups larger than this pick the least image fingerprint with numpy


__all__ = ["CannotRename", "ImplSymmetry", "acceptor_symmetries", "quorum_automorphisms", "refusal", "rename",
           "symmetry_of"]

#: Our messages (and `PaxosNode` snapshots) with node ids renamed: `paxos.rename_node_ids`.
rename = rename_node_ids


# -- the group ---------------------------------------------------------------------------------------


def quorum_automorphisms(quorums: QuorumSystem, fixed: Iterable[int] = (),
                         same_class: Mapping[int, object] | None = None) -> list[dict[int, int]]:
    """Every permutation of the acceptor ids that maps the phase-1 quorums onto themselves and the
    phase-2 quorums onto themselves, fixes every id in `fixed`, and maps each id to one of the same
    `same_class` value. Brute force over all permutations; the identity comes first.
    """
    members = tuple(quorums.members)
    keep = set(fixed)
    q1 = {frozenset(q) for q in quorums.phase1_quorums()}
    q2 = {frozenset(q) for q in quorums.phase2_quorums()}
    out: list[dict[int, int]] = []
    for image in itertools.permutations(members):
        perm = dict(zip(members, image, strict=True))
        if any(perm[a] != a for a in keep & set(members)):
            continue
        if same_class is not None and any(same_class[a] != same_class[perm[a]] for a in members):
            continue
        if {frozenset(perm[a] for a in q) for q in q1} != q1 or {frozenset(perm[a] for a in q) for q in q2} != q2:
            continue
        out.append(perm)
    out.sort(key=lambda p: any(p[a] != a for a in members))  # identity first, order otherwise kept
    return out


def acceptor_symmetries(cc: ClusterConfig) -> list[dict[int, int]]:
    """The acceptor renamings that are symmetries of a cluster: quorum automorphisms that fix every
    acceptor that is also a proposer and keep whether an acceptor is also a learner."""
    roles = {a: cc.roles_of(a) for a in cc.acceptors}
    return quorum_automorphisms(cc.quorums, fixed=cc.proposers, same_class=roles)


# -- renaming snapshots: the node's own rename_snapshot ----------------------------------------------


def refusal(model: ImplTables) -> str | None:
    """Why acceptor symmetry cannot be used for this model's implementation, or None if it can."""
    for node in model.nodes:
        if not callable(getattr(node, "rename_snapshot", None)):
            return (f"--symmetry renames acceptor ids inside node snapshots with the node's optional "
                    f"rename_snapshot(snapshot, mapping) method (paxos.RenamesSnapshots); --impl {model.cfg.impl} "
                    f"builds {type(node).__name__} nodes, which have none: add it, or run without --symmetry")
    return None


# -- the symmetry of one model -------------------------------------------------------------------------


class ImplSymmetry:
    """The acceptor symmetry group of one `ImplModel`, with cached images of its interned parts.

    Group element g (0 is the identity) renames node ids by `maps[g]` and moves node index i
    to `moves[g][i]`. Images are computed for all non-identity elements at once: the
    fingerprint change of each component under every element is packed into one big int
    (element g in bits 64(g-1) .. 64g-1), so a state's image fingerprints cost one XOR per
    component, not one per component and element.
    """

    def __init__(self, model: ImplTables, verify: bool = True) -> None:
        problem = refusal(model)
        if problem is not None:
            raise UsageError(problem)
        self.model = model
        self.verify = verify
        self.k = model.k
        self.at_net, self.at_crashed = model.layout.net, model.layout.crashed
        self.maps = acceptor_symmetries(model.cc)
        self.moves = [tuple(model.index[m.get(n, n)] for n in model.ids) for m in self.maps]
        self.gens = len(self.maps) - 1  # non-identity elements
        # per element g >= 1 (list index g-1): images of interned ids
        self._snap_img: list[list[dict[int, int]]] = [[{} for _ in range(self.k)] for _ in range(self.gens)]
        self._msg_img: list[dict[int, int]] = [{} for _ in range(self.gens)]
        self._env_img: list[dict[int, int]] = [{} for _ in range(self.gens)]
        # packed fingerprint changes, and images of bit-set chunks
        self._snap_d: list[dict[int, int]] = [{} for _ in range(self.k)]
        self._net_d: Chunks = {}
        self._sent_d: Chunks = {}
        self._crash_d: Chunks = {}
        self._bag_d: dict[tuple[int, int], int] = {}
        # run-time equivariance check of node transitions
        self._checked: set[tuple[int, int, int, int]] = set()
        self._checked_upto = 0
        # orbit keys (ImplModel.symmetric_fingerprints): table entries whose keys still lack their changes
        self._orbit_keys = False
        self._pending: list[tuple[str, int, int]] = []
        self._draining = False

    # -- public -----------------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of elements of the group (1: no symmetry)."""
        return len(self.maps)

    def canonical(self, state: ImplState) -> ImplState:
        """The representative of `state`'s orbit: the image with the smallest fingerprint."""
        if not self.gens:
            return state
        self.check_transitions()
        fp = state[FP] & MASK64
        scan = self._scan(state)
        packed = scan[0]
        best, best_g = fp, 0
        if self.gens <= _NUMPY_FROM:
            shift = 0
            for g in range(1, self.gens + 1):
                f = fp ^ (packed >> shift & MASK64)
                if f < best:
                    best, best_g = f, g
                shift += 64
        else:
            lanes = self._lanes(fp, packed)
            g = int(lanes.argmin())
            if int(lanes[g]) < fp:
                best_g = g + 1
        return state if best_g == 0 else self._build(state, best_g - 1, scan)

    def orbit_size(self, state: ImplState) -> int:
        """How many distinct states the group maps `state` to (distinct fingerprints)."""
        fp = state[FP] & MASK64
        if not self.gens:
            return 1
        packed = self._scan(state)[0]
        if self.gens > _NUMPY_FROM:
            return len({fp, *self._lanes(fp, packed).tolist()})
        return len({fp} | {fp ^ (packed >> (64 * h) & MASK64) for h in range(self.gens)})

    def image(self, state: ImplState, g: int) -> ImplState:
        """The image of `state` under group element `g` (0 is the identity), fingerprint included."""
        return state if g == 0 else self._build(state, g - 1, self._scan(state))

    def _lanes(self, fp: int, packed: int) -> npt.NDArray[np.uint64]:
        """The fingerprints of the images under elements 1..gens, as an array."""
        raw: npt.NDArray[np.uint64] = np.frombuffer(packed.to_bytes(8 * self.gens, "little"), dtype="<u8")
        lanes: npt.NDArray[np.uint64] = np.bitwise_xor(raw, np.uint64(fp))
        return lanes

    # -- packed fingerprint changes ---------------------------------------------------------------------
    def _scan(self, state: ImplState) -> _Scan:
        """(packed fingerprint changes, chunk entries of the network, crashed set and history)."""
        k = self.k
        d = 0
        snap_d = self._snap_d
        for i in range(k):
            hit = snap_d[i].get(state[i])
            d ^= hit if hit is not None else self._snap_delta(i, state[i])
        net: Any = state[self.at_net]
        net_hits: list[tuple[int, list[int]]] | None = None
        if self.model.bag:
            d ^= self._bag_delta(net)
        else:
            net_hits = []
            table, c = self._net_d, 0
            while net:  # inlined _hits: this is the hot loop of --symmetry
                v = net & _CHUNK_MASK
                if v:
                    e = table.get(c << _CHUNK | v)
                    if e is None:
                        e = self._net_chunk(c << _CHUNK | v)
                    net_hits.append(e)
                    d ^= e[0]
                net >>= _CHUNK
                c += 1
        crashed = state[self.at_crashed]
        crash_hits = self._hits(self._crash_d, self._crash_chunk, crashed) if crashed else []
        for e in crash_hits:
            d ^= e[0]
        sent_hits = self._hits(self._sent_d, self._sent_chunk, state[SENT])
        for e in sent_hits:
            d ^= e[0]
        return d, net_hits, crash_hits, sent_hits

    def _build(self, state: ImplState, h: int, scan: _Scan) -> ImplState:
        """The image under element h + 1 from a scan of `state`."""
        packed, net_hits, crash_hits, sent_hits = scan
        out: list[Any] = list(state)
        imgs = self._snap_img[h]
        for i, j in enumerate(self.moves[h + 1]):
            out[j] = imgs[i][state[i]]
        if net_hits is None:
            bag = cast("tuple[int, ...]", state[self.at_net])
            out[self.at_net] = tuple(sorted(self._env(e, h) for e in bag))
        else:
            bits = 0
            for e in net_hits:
                bits |= e[1][h]
            out[self.at_net] = bits
        bits = 0
        for e in crash_hits:
            bits |= e[1][h]
        out[self.at_crashed] = bits
        bits = 0
        for e in sent_hits:
            bits |= e[1][h]
        out[SENT] = bits
        if self._orbit_keys:  # the slot holds the changes of every image too: make them from scratch
            return (*out[:FP], self.model.recompute_fingerprint(tuple(out)))
        out[FP] = state[FP] ^ (packed >> (64 * h) & MASK64)
        return tuple(out)

    @staticmethod
    def _hits(table: Chunks, miss: ChunkMiss, mask: int) -> list[tuple[int, list[int]]]:
        """The table entries of the non-zero chunks of bit set `mask`."""
        out = []
        c = 0
        while mask:
            v = mask & _CHUNK_MASK
            if v:
                key = c << _CHUNK | v
                hit = table.get(key)
                out.append(hit if hit is not None else miss(key))
            mask >>= _CHUNK
            c += 1
        return out

    def _chunk(self, table: Chunks, key: int, one: Callable[[int, int], tuple[int, int]]) -> tuple[int, list[int]]:
        """Packed delta and per-element image bits of chunk `key`; `one(bit, h)` -> (image bit, delta)."""
        c, v = key >> _CHUNK, key & _CHUNK_MASK
        packed = 0
        images = [0] * self.gens
        for h in range(self.gens):
            bits = v
            img = d = 0
            while bits:
                low = bits & -bits
                b, dd = one(c * _CHUNK + low.bit_length() - 1, h)
                img |= 1 << b
                d ^= dd
                bits ^= low
            images[h] = img
            packed |= d << (64 * h)
        entry = table[key] = (packed, images)
        return entry

    def _net_chunk(self, key: int) -> tuple[int, list[int]]:
        z = self.model.z_env_plain
        return self._chunk(self._net_d, key, lambda e, h: (self._env(e, h), z(e, 1) ^ z(self._env(e, h), 1)))

    def _sent_chunk(self, key: int) -> tuple[int, list[int]]:
        zm = self.model.z_msg
        return self._chunk(self._sent_d, key, lambda m, h: (self._msg(m, h), (zm[m] ^ zm[self._msg(m, h)]) & MASK64))

    def _crash_chunk(self, key: int) -> tuple[int, list[int]]:
        z, ids = self.model.z, self.model.ids

        def one(i: int, h: int) -> tuple[int, int]:
            j = self.moves[h + 1][i]
            return j, (z[("crashed", ids[i])] ^ z[("crashed", ids[j])]) & MASK64

        return self._chunk(self._crash_d, key, one)

    def _bag_delta(self, net: tuple[int, ...]) -> int:
        d = 0
        for eid in set(net):
            d ^= self.env_count_delta(eid, net.count(eid))
        return d

    def env_count_delta(self, eid: int, count: int) -> int:
        """Packed fingerprint changes of envelope `eid` being in the network `count` times."""
        hit = self._bag_d.get((eid, count))
        if hit is None:
            z = self.model.z_env_plain
            own = z(eid, count)
            hit = 0
            for h in range(self.gens):
                hit |= (own ^ z(self._env(eid, h), count)) << (64 * h)
            self._bag_d[(eid, count)] = hit
        return hit

    # -- orbit keys: every key with its changes under each element packed above bit 64 ----------------
    def start_orbit_keys(self) -> None:
        """Give every key of the model (made so far, and from now on as entries are interned) its
        packed changes above its low 64 bits (`ImplModel.symmetric_fingerprints`)."""
        model = self.model
        plain = [model.z[("crashed", n)] & MASK64 for n in model.ids]
        for i, n in enumerate(model.ids):
            packed = 0
            for h in range(self.gens):
                packed |= (plain[i] ^ plain[self.moves[h + 1][i]]) << (64 * h)
            model.z[("crashed", n)] = plain[i] | packed << 64
        self._orbit_keys = True
        self._pending.extend(("snap", i, sid) for i in range(self.k) for sid in range(len(model.snaps[i])))
        self._pending.extend(("msg", 0, mid) for mid in range(len(model.msgs)))
        self._pending.extend(("env", 0, eid) for eid in range(len(model.envs)))
        self._drain()

    def extend_key(self, table: str, i: int, ident: int) -> None:
        """A new entry of a model table ("snap" of node i, "msg", "env"): give its key its changes."""
        self._pending.append((table, i, ident))
        if not self._draining:
            self._drain()

    def _drain(self) -> None:
        """Extend the keys of every pending entry. Renaming interns the images of an entry, which are
        extended in turn; a true renaming closes an orbit after at most |G| entries per entry."""
        limit = 4 * self.size * max(1, len(self._pending))
        model = self.model
        self._draining = True
        try:
            done = 0
            while self._pending:
                table, i, ident = self._pending.pop()
                if table == "snap":
                    keys = model.z_snap[i]
                    keys[ident] = keys[ident] & MASK64 | self._snap_delta(i, ident) << 64
                elif table == "msg":
                    model.z_msg[ident] = model.z_msg[ident] & MASK64 | self._msg_delta(ident) << 64
                else:
                    model.z_env1[ident] = model.z_env1[ident] & MASK64 | self.env_count_delta(ident, 1) << 64
                done += 1
                if done > limit:
                    raise UsageError(
                        f"--symmetry: {type(model.nodes[0]).__name__}.rename_snapshot of --impl {model.cfg.impl} "
                        "keeps making new snapshots (renaming a renamed snapshot does not give one of the "
                        "original's renamings back); fix it or run without --symmetry")
        finally:
            self._draining = False

    def _msg_delta(self, mid: int) -> int:
        zm = self.model.z_msg
        packed = 0
        for h in range(self.gens):
            packed |= ((zm[mid] ^ zm[self._msg(mid, h)]) & MASK64) << (64 * h)
        return packed

    def check_transitions(self) -> None:
        """Check the node transitions cached since the last call against their renamed images."""
        if self.verify and len(self.model.node_cache) != self._checked_upto:
            self._check_new_transitions()

    # -- images of interned ids (h = element - 1) -------------------------------------------------------
    def _snap_delta(self, i: int, sid: int) -> int:
        hit = self._snap_d[i].get(sid)
        if hit is not None:
            return hit
        model = self.model
        snap = model.snaps[i][sid]
        zs = model.z_snap
        packed = 0
        for h in range(self.gens):
            j = self.moves[h + 1][i]
            new = self._rename_snapshot(i, snap, h + 1)
            sid2 = model.intern_snap(j, new)
            self._snap_img[h][i][sid] = sid2
            packed |= ((zs[i][sid] ^ zs[j][sid2]) & MASK64) << (64 * h)
        self._snap_d[i][sid] = packed
        return packed

    def _snap(self, i: int, sid: int, h: int) -> int:
        self._snap_delta(i, sid)
        return self._snap_img[h][i][sid]

    def _msg(self, mid: int, h: int) -> int:
        table = self._msg_img[h]
        hit = table.get(mid)
        if hit is None:
            model = self.model
            hit = table[mid] = model.intern_msg(self._rename_message(model.msgs[mid], h + 1))
        return hit

    def _env(self, eid: int, h: int) -> int:
        table = self._env_img[h]
        hit = table.get(eid)
        if hit is None:
            dst, mid = self.model.envs[eid]
            hit = table[eid] = self.model.intern_env(self.moves[h + 1][dst], self._msg(mid, h))
        return hit

    def _rename_message(self, msg: Message, g: int) -> Message:
        return cast(Message, rename_node_ids(msg, self.maps[g]))

    def _rename_snapshot(self, i: int, snap: Hashable, g: int) -> Hashable:
        """Node `i`'s snapshot renamed by element `g` through the node's `rename_snapshot`, checked:
        hashable, and showing node `moves[g][i]` the same acceptor state and learned value."""
        model = self.model
        node = model.nodes[i]
        impl = model.cfg.impl
        try:
            new = cast(RenamesSnapshots, node).rename_snapshot(snap, dict(self.maps[g]))  # refusal() checked it has it
            hash(new)
        except CannotRename as exc:
            raise UsageError(f"--symmetry cannot rename acceptor ids in a state of --impl {impl}: it holds {exc}, "
                             "which is not one of paxos's snapshot or message types; run without --symmetry") from None
        except BaseException as exc:  # the node's own rename (sys.exit too): a usage problem, in one line
            if not own_failure(exc):
                raise
            raise UsageError(f"--symmetry: {type(node).__name__}.rename_snapshot of --impl {impl} failed "
                             f"({_describe(exc)}); fix it or run without --symmetry") from None
        j = self.moves[g][i]
        before, after = _observe(node, snap), _observe(model.nodes[j], new)
        if before != after:
            raise UsageError(
                f"--symmetry: {type(node).__name__}.rename_snapshot of --impl {impl} changes what properties see: "
                f"node {model.ids[i]}'s state renamed by {_swap(self.maps[g])} gives node {model.ids[j]} "
                f"(acceptor state, learned) {after}, not {before}; fix it or run without --symmetry")
        return new

    # -- equivariance of node transitions ---------------------------------------------------------------
    def _check_new_transitions(self) -> None:
        """Check every node transition cached since the last call against its renamed images."""
        cache = self.model.node_cache
        fresh = len(cache) - self._checked_upto
        new = list(itertools.islice(reversed(cache), fresh if fresh > 0 else len(cache)))
        for key in new:
            if key not in self._checked:
                self.check_transition(key)
        self._checked_upto = len(cache)

    def check_transition(self, key: tuple[int, int, int, int]) -> None:
        """Raise UsageError unless every renaming of node transition `key` is the renamed transition."""
        model = self.model
        i, sid, kind, arg = key
        new_sid, env_bits, msg_bits, broken = model.node_step(i, sid, kind, arg)
        self._checked.add(key)
        for h in range(self.gens):
            j = self.moves[h + 1][i]
            key2 = (j, self._snap(i, sid, h), kind, self._msg(arg, h) if kind == DELIVER else arg)
            got = model.node_step(*key2)
            want = (self._snap(i, new_sid, h), self._bits_image(env_bits, self._env, h),
                    self._bits_image(msg_bits, self._msg, h))
            self._checked.add(key2)
            if got[:3] != want or set(got[3]) != set(broken):
                raise UsageError(self._asymmetry(key, h + 1))

    @staticmethod
    def _bits_image(bits: int, one: Callable[[int, int], int], h: int) -> int:
        out = 0
        while bits:
            low = bits & -bits
            out |= 1 << one(low.bit_length() - 1, h)
            bits ^= low
        return out

    def _asymmetry(self, key: tuple[int, int, int, int], g: int) -> str:
        model = self.model
        i, _, kind, arg = key
        what = KIND_NAMES[kind]
        if kind == DELIVER:
            what += f" {type(model.msgs[arg]).__name__} from {model.msgs[arg].src}"
        return (f"--symmetry: --impl {model.cfg.impl} does not treat acceptors alike: node {model.ids[i]}'s step "
                f"'{what}' differs from its renaming by acceptor ids {_swap(self.maps[g])} (its behaviour depends "
                "on acceptor ids, or its rename_snapshot misses some); run without --symmetry")


def _swap(ids: IdMap) -> str:
    return ", ".join(f"{a}->{b}" for a, b in sorted(ids.items()) if a != b)


def _observe(node: Any, snap: Hashable) -> tuple[object, object]:
    """What properties read of a node in state `snap`: (acceptor_state(), learned())."""
    node.restore(snap)
    return node.acceptor_state(), node.learned()


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def symmetry_of(model: ImplTables) -> ImplSymmetry:
    """The symmetry of a model's tables, built on first use."""
    sym: ImplSymmetry | None = model.symmetry
    if sym is None:
        sym = model.symmetry = ImplSymmetry(model)
    return sym
