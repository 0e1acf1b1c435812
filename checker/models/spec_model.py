"""The Spec (Paxos.tla) as a fast `Model`: states are Python ints (bit sets), successors are cached.

Owns the bit encoding of Spec states, successor caches per acceptor local state and per
message subset, the named invariants, symmetry (acceptor and value permutations) and the
planted-bug variants. It must agree state for state with properties/spec.py (tests check it)
and must not contain search logic.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from itertools import permutations
from typing import TYPE_CHECKING

from checker.fingerprint import FpArray, fingerprint_int, fingerprints_of_ints
from checker.model import PropertyInfo, StepRow
from properties.inductive import ACCEPTOR_PART, BY_NAME, CONJUNCTS, MESSAGE_PART, SAFE_PART, Universe
from properties.spec import Msg1a, Msg1b, Msg2a, Msg2b, SpecConfig, SpecState

if TYPE_CHECKING:
    from checker.models.spec_core import SpecCore

SpecAction = tuple[str, tuple[int, ...]]

#: Planted bugs for testing the checker: name -> what the buggy Spec does differently.
#: Caches keyed by parts of a state (successors of the message bits, invariant verdicts, chosen
#: values) start over past this many entries: unbounded, they grew with the state space (Spec
#: 3/4/2: ~0.25 entries and ~140 bytes per state), more than the 8 bytes per state the BFS keeps.
CACHE_ENTRIES = 1 << 16
BUGS: dict[str, str] = {
    "phase2a_ignores_1b": "Phase2a may send any value once a quorum has promised, ignoring their votes",
    "phase2b_ignores_maxbal": "Phase2b votes on any 2a message, even below the promise maxBal",
}
#: Mutants of the Spec for testing the checker (not for teaching: some never break agreement): one slip
#: each, so that between them and BUGS every conjunct of the inductive invariant the bit encoding can
#: represent is seen failing (tests/test_spec_engines.py holds both engines to the same verdicts).
MUTANTS: dict[str, str] = {
    "phase2a_twice": "Phase2a may send a second value in a ballot that already has a 2a message",
    "phase2b_any_value": "Phase2b votes for any value in a ballot that has some 2a message, not only its value",
    "phase2b_keeps_maxbal": "Phase2b records the vote but leaves maxBal as it was",
    "phase2b_silent": "Phase2b records the vote but sends no 2b message",
}

#: agreement and validity, Paxos.tla's inductive invariant (the conjuncts of properties/inductive.py, the
#: same predicates the implementation model and `prove spec` use), Voting's ShowsSafeAt, the witness.
PROPERTIES: tuple[PropertyInfo, ...] = (
    PropertyInfo("agreement", "always", "At most one value is chosen."),
    PropertyInfo("validity", "always", "A chosen value was proposed in some 2a message."),
    *(PropertyInfo(c.name, "always", f"{c.description} ({c.part} of Paxos.tla's Inv).") for c in CONJUNCTS),
    PropertyInfo("inv_2a_shown_safe", "always", "Every 2a value is shown safe at its ballot by the 1b messages "
                 "of some quorum (Voting's ShowsSafeAt, with maxBal and votes read from the state)."),
    PropertyInfo("sometimes_chosen", "sometimes", "Some value can be chosen at all."),
)

#: The methods of SpecModel that spec_core.py computes its own way (successors, verdicts, fingerprints).
CORE_TWINS = ("successors", "_succ_xor", "_succ_general", "_global", "_phase2a_values", "_acceptor", "chosen",
              "violated", "witnessed", "step_violated", "properties", "fingerprint", "fingerprints")


class SpecModel:
    """Paxos.tla over `SpecConfig`, states encoded as ints; see `encode`/`decode`.

    Bit layout, least significant first: each acceptor's local state (maxBal, last vote)
    as a code of `lw` bits; then one bit per possible 2b, 1b, 1a and 2a message.
    """

    kind = "spec"

    def __init__(self, cfg: SpecConfig, bug: str | None = None) -> None:
        if bug is not None and bug not in BUGS and bug not in MUTANTS:
            raise ValueError(f"unknown planted bug {bug!r}; choose one of {', '.join(BUGS)} (or a mutant for "
                             f"testing the checker: {', '.join(MUTANTS)})")
        self.cfg = cfg
        self.bug = bug
        A, B, V = cfg.acceptors, cfg.ballots, len(cfg.value_names)
        self.A, self.B, self.V = A, B, V
        self.nv = nv = 1 + B * V  # vote codes: 0 = none, 1 + vb*V + v
        self.nl = nl = (B + 1) * nv  # local codes: (maxBal + 1) * nv + vote
        self.lw = lw = max(1, (nl - 1).bit_length())
        self.lm = (1 << lw) - 1
        self.off_2b = A * lw
        self.off_1b = self.off_2b + A * B * V
        self.off_1a = self.off_1b + B * A * nv
        self.off_2a = self.off_1a + B
        self.nbits = self.off_2a + B * V
        self.width = (self.nbits + 7) // 8
        self.quorums = [sorted(q) for q in cfg.quorum_list]
        self._gcache: dict[int, tuple[list[int], list[tuple[SpecAction, int]]]] = {}
        self._acaches: list[dict[int, tuple[list[int], list[tuple[SpecAction, int, int]]]]] = [
            {} for _ in range(A)
        ]
        self._p2a_cache: dict[tuple[int, int], list[int]] = {}
        mask_2b = ((1 << (A * B * V)) - 1) << self.off_2b
        mask_2a = ((1 << (B * V)) - 1) << self.off_2a
        locals_mask = (1 << (A * lw)) - 1
        self._mask_2b = mask_2b
        # Each invariant group depends only on the bits of its mask, so its verdict is cached per key.
        checks: list[tuple[int, dict[int, tuple[str, ...]], Callable[[int], list[str]]]] = []
        for a in range(A):
            m = (self.lm << (a * lw)) | (((1 << (B * V)) - 1) << self.bit_2b(a, 0, 0))
            for b in range(B):
                m |= ((1 << nv) - 1) << self.bit_1b(b, a, 0)
            checks.append((m, {}, lambda s, m=m: self._conjuncts(s & m, ACCEPTOR_PART)))  # type: ignore[misc]
        mask_1a = ((1 << B) - 1) << self.off_1a
        checks.append((mask_2b | mask_2a | mask_1a, {},
                       lambda s: [*self._message_invariants(s), *self._conjuncts(s & (mask_2b | mask_2a | mask_1a),
                                                                                 MESSAGE_PART)]))
        safe_mask = locals_mask | mask_2b | mask_2a
        checks.append((safe_mask, {}, lambda s: [*self._inv_safe(s), *self._conjuncts(s & safe_mask, SAFE_PART)]))
        #: what the conjuncts quantify over: inv_2a_safe reads these phase-2 quorums (spec_core.py too)
        self.universe = Universe(tuple(frozenset(q) for q in cfg.quorum_list), tuple(cfg.value_names))
        self._checks = checks
        self._chosen_cache: dict[int, frozenset[int]] = {}
        self._group: list[tuple[tuple[int, ...], tuple[int, ...]]] | None = None
        self._tables: list[list[int]] = []
        self.successor_states: Callable[[int], list[int]] = (
            self._succ_xor if bug is None else self._succ_general
        )

    # -- encoding ------------------------------------------------------------------------
    def bit_2b(self, a: int, b: int, v: int) -> int:
        return self.off_2b + (a * self.B + b) * self.V + v

    def bit_1b(self, b: int, a: int, vote: int) -> int:
        return self.off_1b + (b * self.A + a) * self.nv + vote

    def bit_1a(self, b: int) -> int:
        return self.off_1a + b

    def bit_2a(self, b: int, v: int) -> int:
        return self.off_2a + b * self.V + v

    def vote_code(self, vbal: int, val: int | None) -> int:
        return 0 if vbal < 0 or val is None else 1 + vbal * self.V + val

    def vote_of(self, code: int) -> tuple[int, int | None]:
        if code == 0:
            return -1, None
        vb, v = divmod(code - 1, self.V)
        return vb, v

    def local(self, s: int, a: int) -> tuple[int, int]:
        """(maxBal, vote code) of acceptor a."""
        mb1, vote = divmod((s >> (a * self.lw)) & self.lm, self.nv)
        return mb1 - 1, vote

    def encode(self, st: SpecState) -> int:
        """The int of a readable SpecState (values by their index in cfg.value_names)."""
        vidx = {v: i for i, v in enumerate(self.cfg.value_names)}
        s = 0
        for a in range(self.A):
            val = None if st.max_val[a] is None else vidx[st.max_val[a]]
            code = (st.max_bal[a] + 1) * self.nv + self.vote_code(st.max_vbal[a], val)
            s |= code << (a * self.lw)
        for m in st.msgs:
            if isinstance(m, Msg1a):
                s |= 1 << self.bit_1a(m.bal)
            elif isinstance(m, Msg1b):
                mval = None if m.mval is None else vidx[m.mval]
                s |= 1 << self.bit_1b(m.bal, m.acc, self.vote_code(m.mbal, mval))
            elif isinstance(m, Msg2a):
                s |= 1 << self.bit_2a(m.bal, vidx[m.val])
            else:
                s |= 1 << self.bit_2b(m.acc, m.bal, vidx[m.val])
        return s

    def decode(self, state: Hashable) -> SpecState:
        """The readable SpecState of an int state."""
        s: int = state  # type: ignore[assignment]
        names = self.cfg.value_names
        mb, mvb, mv = [], [], []
        for a in range(self.A):
            bal, vote = self.local(s, a)
            vb, v = self.vote_of(vote)
            mb.append(bal)
            mvb.append(vb)
            mv.append(None if v is None else names[v])
        msgs: set[object] = set()
        for b in range(self.B):
            if s >> self.bit_1a(b) & 1:
                msgs.add(Msg1a(b))
            for v in range(self.V):
                if s >> self.bit_2a(b, v) & 1:
                    msgs.add(Msg2a(b, names[v]))
                for a in range(self.A):
                    if s >> self.bit_2b(a, b, v) & 1:
                        msgs.add(Msg2b(a, b, names[v]))
            for a in range(self.A):
                for code in range(self.nv):
                    if s >> self.bit_1b(b, a, code) & 1:
                        vb, v = self.vote_of(code)
                        msgs.add(Msg1b(a, b, vb, None if v is None else names[v]))
        return SpecState(tuple(mb), tuple(mvb), tuple(mv), frozenset(msgs))  # type: ignore[arg-type]

    # -- Model interface -----------------------------------------------------------------
    def config(self) -> dict[str, object]:
        cfg = self.cfg
        return {
            "acceptors": cfg.acceptors,
            "ballots": cfg.ballots,
            "values": list(cfg.value_names) if not isinstance(cfg.values, int) else cfg.values,
            "quorums": None if cfg.quorums is None else [sorted(q) for q in cfg.quorum_list],
            "bug": self.bug,
        }

    def properties(self) -> Sequence[PropertyInfo]:
        return PROPERTIES

    def initial_states(self) -> list[int]:
        return [0]  # every acceptor at maxBal -1 with no vote (local code 0), no message sent

    def fingerprint(self, state: Hashable) -> int:
        return fingerprint_int(state)  # type: ignore[arg-type]

    def fingerprints(self, states: Sequence[int]) -> FpArray:
        return fingerprints_of_ints(states, self.width)

    def successors(self, state: Hashable) -> list[tuple[SpecAction, int]]:
        s: int = state  # type: ignore[assignment]
        gacts = self._global(s)[1]
        out = [(act, s | y) for act, y in gacts]
        top = (s >> self.off_1a) << self.lw
        for a in range(self.A):
            for act, x, y in self._acceptor(a, top | ((s >> (a * self.lw)) & self.lm))[1]:
                t = (s ^ x) | y
                if t != s:
                    out.append((act, t))
        return out

    def _succ_xor(self, s: int) -> list[int]:
        # Bug-free Spec: every message an enabled non-stuttering step sends is new, so a
        # successor is s XOR (local change | message bit) and s OR (message bit).
        g = self._gcache.get(s >> self.off_1b)
        if g is None:
            g = self._global(s)
        out = [s | y for y in g[0]]
        top = (s >> self.off_1a) << self.lw
        lw, lm = self.lw, self.lm
        sh = 0
        for cache in self._acaches:
            k = top | ((s >> sh) & lm)
            e = cache.get(k)
            if e is None:
                e = self._acceptor(sh // lw, k)
            out += [s ^ m for m in e[0]]
            sh += lw
        return out

    def _succ_general(self, s: int) -> list[int]:
        return [t for _, t in self.successors(s)]

    # -- successor caches ----------------------------------------------------------------
    def _global(self, s: int) -> tuple[list[int], list[tuple[SpecAction, int]]]:
        """Phase1a and Phase2a steps, which depend only on the 1b, 1a and 2a bits."""
        key = s >> self.off_1b
        hit = self._gcache.get(key)
        if hit is not None:
            return hit
        acts: list[tuple[SpecAction, int]] = []
        for b in range(self.B):
            if not s >> self.bit_1a(b) & 1:
                acts.append((("phase1a", (b,)), 1 << self.bit_1a(b)))
        twice = self.bug == "phase2a_twice"
        for b in range(self.B):
            if not twice and any(s >> self.bit_2a(b, v) & 1 for v in range(self.V)):
                continue
            for v in self._phase2a_values(s, b):
                if not s >> self.bit_2a(b, v) & 1:  # (phase2a_twice: a 2a sent again is a stutter)
                    acts.append((("phase2a", (b, v)), 1 << self.bit_2a(b, v)))
        entry = ([y for _, y in acts], acts)
        if len(self._gcache) >= CACHE_ENTRIES:
            self._gcache.clear()
        self._gcache[key] = entry
        return entry

    def _phase2a_values(self, s: int, b: int) -> list[int]:
        width = self.A * self.nv
        bits = (s >> self.bit_1b(b, 0, 0)) & ((1 << width) - 1)
        hit = self._p2a_cache.get((b, bits))
        if hit is not None:
            return hit
        allowed: set[int] = set()
        for q in self.quorums:
            votes_by_acc = [[c for c in range(self.nv) if bits >> (a * self.nv + c) & 1] for a in q]
            if not all(votes_by_acc):
                continue
            if self.bug == "phase2a_ignores_1b":
                allowed.update(range(self.V))
                continue
            voted = [self.vote_of(c) for codes in votes_by_acc for c in codes if c]
            if not voted:
                allowed.update(range(self.V))
            else:
                top = max(vb for vb, _ in voted)
                allowed.update(v for vb, v in voted if vb == top and v is not None)
        out = sorted(allowed)
        self._p2a_cache[(b, bits)] = out
        return out

    def _acceptor(
        self, a: int, key: int
    ) -> tuple[list[int], list[tuple[SpecAction, int, int]]]:
        """Phase1b(a) and Phase2b(a), which depend on a's local state and the 1a and 2a bits."""
        cache = self._acaches[a]
        hit = cache.get(key)
        if hit is not None:
            return hit
        local = key & self.lm
        top = key >> self.lw  # 1a bits then 2a bits
        mb1, vote = divmod(local, self.nv)
        mb = mb1 - 1
        shift = a * self.lw
        acts: list[tuple[SpecAction, int, int]] = []
        for b in range(self.B):
            if top >> b & 1 and b > mb:
                new = (b + 1) * self.nv + vote
                acts.append((("phase1b", (a, b)), (local ^ new) << shift, 1 << self.bit_1b(b, a, vote)))
        bug = self.bug
        vmask = (1 << self.V) - 1
        for b in range(self.B):
            proposed_at_b = top >> (self.B + b * self.V) & vmask
            for v in range(self.V):
                if not (proposed_at_b if bug == "phase2b_any_value" else proposed_at_b >> v & 1):
                    continue
                if b >= mb or bug == "phase2b_ignores_maxbal":
                    new = (mb1 if bug == "phase2b_keeps_maxbal" else b + 1) * self.nv + 1 + b * self.V + v
                    if new == local:
                        continue  # local (b, b, v) means 2b(a, b, v) was sent with it: a stutter
                    sent = 0 if bug == "phase2b_silent" else 1 << self.bit_2b(a, b, v)
                    acts.append((("phase2b", (a, b, v)), (local ^ new) << shift, sent))
        entry = ([x | y for _, x, y in acts], acts)
        cache[key] = entry
        return entry

    # -- properties ----------------------------------------------------------------------
    def chosen(self, state: Hashable) -> frozenset[int]:
        """Indices of chosen values: some quorum sent 2b for it in one ballot."""
        s: int = state  # type: ignore[assignment]
        key = s & self._mask_2b
        hit = self._chosen_cache.get(key)
        if hit is not None:
            return hit
        out = set()
        for b in range(self.B):
            for v in range(self.V):
                voters = {a for a in range(self.A) if s >> self.bit_2b(a, b, v) & 1}
                if any(voters.issuperset(q) for q in self.quorums):
                    out.add(v)
        result = frozenset(out)
        if len(self._chosen_cache) >= CACHE_ENTRIES:
            self._chosen_cache.clear()
        self._chosen_cache[key] = result
        return result

    def violated(self, state: Hashable) -> Sequence[str]:
        s: int = state  # type: ignore[assignment]
        bad: tuple[str, ...] = ()
        for mask, cache, check in self._checks:
            key = s & mask
            names = cache.get(key)
            if names is None:
                if len(cache) >= CACHE_ENTRIES:
                    cache.clear()
                names = cache[key] = tuple(check(s))
            if names:
                bad += names
        if not bad:
            return bad
        order = [p.name for p in PROPERTIES]
        return sorted(set(bad), key=order.index)

    def _inv_safe(self, s: int) -> list[str]:
        return [] if self._votes_shown_safe(s) else ["inv_2a_shown_safe"]

    def _conjuncts(self, s: int, names: Sequence[str]) -> list[str]:
        """The conjuncts among `names` false in `s` (a state cut down to their group: properties/inductive.py)."""
        state = self.decode(s)
        return [n for n in names if BY_NAME[n].check(state, self.universe) is not None]

    def _voted(self, s: int, a: int, b: int, v: int) -> bool:
        return bool(s >> self.bit_2b(a, b, v) & 1)

    def _proposed(self, s: int) -> dict[int, list[int]]:
        return {b: [v for v in range(self.V) if s >> self.bit_2a(b, v) & 1] for b in range(self.B)}

    def _message_invariants(self, s: int) -> list[str]:
        bad = []
        chosen = self.chosen(s)
        proposed = self._proposed(s)
        if len(chosen) > 1:
            bad.append("agreement")
        if any(all(v not in vs for vs in proposed.values()) for v in chosen):
            bad.append("validity")
        return bad

    def _shows_safe(self, s: int, q: list[int], b: int, v: int) -> bool:
        """Voting's ShowsSafeAt(Q, b, v) with maxBal and votes read from the state."""
        if any(self.local(s, a)[0] < b for a in q):
            return False
        for c in range(-1, b):
            if c != -1 and not any(self._voted(s, a, c, v) for a in q):
                continue
            if all(not self._voted(s, a, d, w) for d in range(c + 1, b) for a in q for w in range(self.V)):
                return True
        return False

    def _votes_shown_safe(self, s: int) -> bool:
        for b, vs in self._proposed(s).items():
            for v in vs:
                if not any(self._shows_safe(s, q, b, v) for q in self.quorums):
                    return False
        return True

    def witnessed(self, state: Hashable) -> Sequence[str]:
        return ("sometimes_chosen",) if self.chosen(state) else ()

    def step_violated(self, state: Hashable, action: Hashable, succ: Hashable) -> Sequence[str]:
        return ()

    # -- text ----------------------------------------------------------------------------
    def value_name(self, v: int | None) -> str:
        return "" if v is None else str(self.cfg.value_names[v])

    def describe(self, state: Hashable, action: Hashable, succ: Hashable) -> StepRow:
        s: int = state  # type: ignore[assignment]
        t: int = succ  # type: ignore[assignment]
        name: str = action[0]  # type: ignore[index]
        params: tuple[int, ...] = action[1]  # type: ignore[index]
        if name == "phase1a":
            return StepRow(event=name, msg_type="1a", bal=str(params[0]), state_change="sent 1a")
        if name == "phase2a":
            b, v = params
            return StepRow(event=name, msg_type="2a", bal=str(b), value=self.value_name(v), state_change="sent 2a")
        a, b = params[0], params[1]
        mb0, vote0 = self.local(s, a)
        mb1 = self.local(t, a)[0]
        if name == "phase1b":
            vb, mval = self.vote_of(vote0)
            return StepRow(
                event=name, node=str(a), msg_type="1b", bal=str(b), max_vbal=str(vb),
                max_val=self.value_name(mval), state_change=f"maxBal {mb0} -> {mb1}",
            )
        v = params[2]
        vb0, v0 = self.vote_of(vote0)
        return StepRow(
            event=name, node=str(a), msg_type="2b", bal=str(b), value=self.value_name(v),
            state_change=f"maxBal {mb0} -> {mb1}; vote {vb0}/{self.value_name(v0) or '-'} -> {b}/{self.value_name(v)}",
        )

    def describe_state(self, state: Hashable) -> str:
        from properties.spec import describe_state

        return describe_state(self.cfg, self.decode(state))

    def action_kind(self, action: Hashable) -> str:
        return str(action[0])  # type: ignore[index]

    #: its compiled core runs `--workers N` as N threads of this process (SpecCore.set_workers)
    flat_core_workers = True

    def flat_core(self) -> SpecCore | None:
        """The compiled core of this model (checker/search/flat_bfs.py's `--engine compiled`); None
        when `flat_core_refusal()` says why it cannot stand in for it (the Python engine runs then)."""
        from checker.models.spec_core import SpecCore

        return SpecCore(self) if self.flat_core_refusal() is None else None

    def flat_core_refusal(self) -> str | None:
        """Why the compiled core cannot judge this model, or None: it replaces the methods CORE_TWINS
        names, so a subclass that changes one of them (another successor, another verdict) is refused,
        as is a property, planted bug or size the core does not handle (`SpecCore.refusal`)."""
        from checker.models.spec_core import SpecCore

        why = SpecCore.refusal(self)
        changed = [name for name in CORE_TWINS if getattr(type(self), name) is not getattr(SpecModel, name)]
        if why is None and changed:
            why = (f"{type(self).__name__} changes {', '.join(changed)}, which the compiled Spec core computes "
                   "its own way")
        return why

    # -- symmetry ------------------------------------------------------------------------
    def symmetry_group(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """(acceptor permutation, value permutation) pairs; acceptor ones must keep the quorum set."""
        if self._group is None:
            qset = {frozenset(q) for q in self.quorums}
            accs = [
                p for p in permutations(range(self.A))
                if {frozenset(p[a] for a in q) for q in qset} == qset
            ]
            self._group = [(p, sv) for p in accs for sv in permutations(range(self.V))]
            self._tables = [self._table(p, sv) for p, sv in self._group]
        return self._group

    def _map_vote(self, code: int, sv: tuple[int, ...]) -> int:
        vb, v = self.vote_of(code)
        return code if v is None else 1 + vb * self.V + sv[v]

    def _table(self, pa: tuple[int, ...], sv: tuple[int, ...]) -> list[int]:
        """Flat lookup table: index byte_i*256+value for message bytes, then locals a*nl+code."""
        moved = {}
        for a in range(self.A):
            for b in range(self.B):
                for v in range(self.V):
                    moved[self.bit_2b(a, b, v)] = self.bit_2b(pa[a], b, sv[v])
                for code in range(self.nv):
                    moved[self.bit_1b(b, a, code)] = self.bit_1b(b, pa[a], self._map_vote(code, sv))
        for b in range(self.B):
            moved[self.bit_1a(b)] = self.bit_1a(b)
            for v in range(self.V):
                moved[self.bit_2a(b, v)] = self.bit_2a(b, sv[v])
        nbytes = (self.nbits - self.off_2b + 7) // 8
        table = []
        for i in range(nbytes):
            for byte in range(256):
                img = 0
                for j in range(8):
                    src = self.off_2b + i * 8 + j
                    if byte >> j & 1 and src in moved:
                        img |= 1 << moved[src]
                table.append(img)
        for a in range(self.A):
            for code in range(self.nl):
                mb1, vote = divmod(code, self.nv)
                if vote >= self.nv:
                    table.append(0)
                    continue
                table.append((mb1 * self.nv + self._map_vote(vote, sv)) << (pa[a] * self.lw))
        return table

    def _images(self, s: int) -> list[int]:
        self.symmetry_group()
        msg = s >> self.off_2b
        nbytes = (self.nbits - self.off_2b + 7) // 8
        raw = msg.to_bytes(nbytes, "little")
        keys = [i * 256 + byte for i, byte in enumerate(raw) if byte]
        base = nbytes * 256
        keys += [base + a * self.nl + ((s >> (a * self.lw)) & self.lm) for a in range(self.A)]
        return [sum(map(t.__getitem__, keys)) for t in self._tables]

    def canonical(self, state: Hashable) -> int:
        """The least int among the images of `state` under the symmetry group."""
        return min(self._images(state))  # type: ignore[arg-type]

    def orbit_size(self, state: Hashable) -> int:
        """How many distinct states the symmetry group maps `state` to."""
        return len(set(self._images(state)))  # type: ignore[arg-type]

    def apply_symmetry(self, state: int, index: int) -> int:
        """The image of `state` under the index-th element of `symmetry_group()`."""
        return self._images(state)[index]
