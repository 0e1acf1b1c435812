"""The Spec model's two BFS engines agree: `--engine compiled` (checker/search/flat_bfs.py on
checker/models/spec_core.py) against `--engine python` (bfs.py's partitions over spec_model.py):
states, transitions, depth, states per level, coverage, verdicts and every counterexample path,
on several small configurations, the planted bugs and the search limits; and the pinned counts.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import json
import operator
import random
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from checker.cli.main import main
from checker.model import PropertyInfo
from checker.models import spec_core
from checker.models.spec_core import CORE_ALWAYS, SpecCore
from checker.models.spec_model import BUGS as SPEC_BUGS
from checker.models.spec_model import MUTANTS, SpecModel
from checker.search import flat_bfs
from checker.search.bfs import bfs
from checker.search.common import Limits, SearchOptions, SearchResult
from properties import inductive
from properties.spec import SpecConfig
from tests.engine_results import same_results

CONFIGS = [(3, 2, 2), (2, 3, 2), (3, 2, 3), (4, 2, 2), (1, 3, 2)]
BUGS = [None, "phase2a_ignores_1b", "phase2b_ignores_maxbal"]
#: Quorum systems other than majorities (SpecConfig's explicit quorums: both phases read the same list, and
#: inv_2a_safe reads it as the phase-2 quorums of properties/inductive.py's Universe).
LOPSIDED = (frozenset({0, 1}), frozenset({0, 2}))
FOUR_UNEVEN = (frozenset({0, 1}), frozenset({0, 2, 3}), frozenset({1, 2, 3}))


def _run(cfg: tuple[int, int, int] | SpecConfig, engine: str, bug: str | None = None, fallback: bool = False,
         **options: object) -> SearchResult:
    model = SpecModel(cfg if isinstance(cfg, SpecConfig) else SpecConfig(*cfg), bug=bug)
    if engine == "compiled" and not fallback:  # the compiled engine really runs, not the Python one
        assert flat_bfs.refusal(model, SearchOptions(**options)) is None  # type: ignore[arg-type]
    return bfs(model, SearchOptions(engine=engine, coverage=True, **options))  # type: ignore[arg-type]




@pytest.mark.parametrize("cfg", CONFIGS)
def test_engines_agree_on_correct_spec(cfg: tuple[int, int, int]) -> None:
    same_results(_run(cfg, "compiled"), _run(cfg, "python"))


@pytest.mark.parametrize("bug", BUGS[1:])
def test_engines_agree_on_planted_bugs_and_their_counterexamples(bug: str) -> None:
    compiled, python = _run((3, 2, 2), "compiled", bug), _run((3, 2, 2), "python", bug)
    same_results(compiled, python)
    assert compiled.violated  # the bug is found, with the same shortest paths
    assert python.bytes_per_state == 16.0 and compiled.bytes_per_state is not None
    assert compiled.bytes_per_state < 24.0  # 8-byte fingerprints, 4-byte ids in a table kept under 70% full


def test_pinned_tlc_counts_on_both_engines() -> None:
    for engine in ("compiled", "python"):
        small = _run((3, 2, 2), engine)
        assert (small.states, small.depth, small.transitions) == (3_921, 17, 9_442), engine
        assert small.exhaustive and all(p.status == "held" for p in small.properties)
    three = _run((3, 3, 2), "compiled")
    assert (three.states, three.depth) == (185_369, 25)


class _OneMoreProperty(SpecModel):
    """The Spec with a property of its own (as a user's would be): the core does not judge it."""

    def properties(self) -> Sequence[PropertyInfo]:
        return (*super().properties(), PropertyInfo("no_ballot_3", "always", "No 1a message for ballot 3."))

    def violated(self, state: Hashable) -> Sequence[str]:
        s: int = state  # type: ignore[assignment]
        extra = ["no_ballot_3"] if self.B > 3 and s >> self.bit_1a(3) & 1 else []
        return [*super().violated(state), *extra]


class _OwnVerdicts(SpecModel):
    """The Spec with the same property names but verdicts of its own: the core would not follow them."""

    def violated(self, state: Hashable) -> Sequence[str]:
        return ["agreement"] if state else []


def test_the_core_judges_exactly_the_models_properties() -> None:
    """The core judges every property the Spec model has, in its order: agreement, validity, the eleven
    conjuncts of properties/inductive.py and ShowsSafeAt (and the witness), so the compiled engine runs."""
    model = SpecModel(SpecConfig(3, 2, 2))
    assert tuple(p.name for p in model.properties() if p.kind == "always") == CORE_ALWAYS
    assert set(inductive.BY_NAME) <= set(CORE_ALWAYS)
    assert SpecCore.fits(model) and model.flat_core_refusal() is None
    assert flat_bfs.applies(model, SearchOptions(engine="compiled"))


def test_a_core_that_judges_fewer_or_other_properties_is_never_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A core that judged fewer properties than the model would call a violating state fine, so it is refused:
    a model with one property more, a model whose verdicts are its own, a core missing a conjunct. The
    Python engine runs instead, finds what it finds, and a run says so."""
    more = _OneMoreProperty(SpecConfig(2, 4, 1))
    why = flat_bfs.refusal(more, SearchOptions())
    assert why is not None and "no_ballot_3" in why and more.flat_core() is None
    compiled, python = bfs(more, SearchOptions()), bfs(more, SearchOptions(engine="python"))
    same_results(compiled, python)
    assert compiled.prop("no_ballot_3").status == "violated"
    own = _OwnVerdicts(SpecConfig(2, 1, 1))
    why = flat_bfs.refusal(own, SearchOptions())
    assert why is not None and "violated" in why
    assert bfs(own, SearchOptions()).prop("agreement").status == "violated"
    model = SpecModel(SpecConfig(3, 2, 2), bug="phase2a_ignores_1b")
    monkeypatch.setattr(spec_core, "CORE_ALWAYS", tuple(n for n in CORE_ALWAYS if n != "inv_2a_safe"))
    why = flat_bfs.refusal(model, SearchOptions())
    assert why is not None and "inv_2a_safe" in why and not SpecCore.fits(model) and model.flat_core() is None
    same_results(bfs(model, SearchOptions(engine="compiled", coverage=True)),
                 _run((3, 2, 2), "python", "phase2a_ignores_1b"))
    assert main(["explore", "--model", "spec", "--spec-bug", "phase2a_ignores_1b", "--out", str(tmp_path / "run")]) == 1
    out = capsys.readouterr().out
    assert "the Python engine runs this search; the compiled engine does not apply" in out and "inv_2a_safe" in out


def test_a_run_says_when_the_compiled_engine_does_not_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = "the Python engine runs this search; the compiled engine does not apply"
    for flags, reason in ((["--symmetry"], "--symmetry"), (["--workers", "2"], None), ([], None),
                          (["--engine", "python"], None)):  # --workers 2: threads of the compiled engine
        assert main(["explore", "--model", "spec", "--acceptors", "2", "--ballots", "1", "--values", "1",
                     "--out", str(tmp_path / "run"), *flags]) == 0
        out = capsys.readouterr().out
        if reason is None:
            assert said not in out
        else:
            assert f"{said}: {reason}" in out


@pytest.mark.parametrize("options", [
    {"limits": Limits(max_states=1_000)},
    {"limits": Limits(max_depth=9)},
    {"limits": Limits(max_depth=17)},  # the last level: nothing beyond it, so exhaustive
    {"stop_on_first_violation": True},
])
def test_engines_agree_under_limits(options: dict[str, Any]) -> None:
    for bug in (None, "phase2a_ignores_1b"):
        same_results(_run((3, 2, 2), "compiled", bug, **options), _run((3, 2, 2), "python", bug, **options))


def test_compiled_engine_defers_to_partitions_where_it_does_not_apply() -> None:
    """--symmetry and checkpoints run on bfs.py's partitions, with the same results (--workers runs on the
    compiled engine's threads: tests/test_impl_engines_workers.py)."""
    model = SpecModel(SpecConfig(3, 2, 2))
    assert flat_bfs.applies(model, SearchOptions())
    assert flat_bfs.applies(model, SearchOptions(workers=2))
    for opts in (SearchOptions(symmetry=True), SearchOptions(engine="python")):
        assert not flat_bfs.applies(model, opts)
    same_results(_run((3, 2, 2), "compiled", fallback=True, workers=2), _run((3, 2, 2), "python"))
    sym_c = _run((3, 2, 2), "compiled", fallback=True, symmetry=True)
    sym_p = _run((3, 2, 2), "python", symmetry=True)
    same_results(sym_c, sym_p)
    assert sym_c.states < 3_921


STATEWISE = [(None, (3, 2, 2)), ("phase2a_ignores_1b", (3, 2, 2)), ("phase2b_ignores_maxbal", (2, 2, 2)),
             *((m, (2, 2, 2)) for m in MUTANTS), ("phase2b_keeps_maxbal", (3, 2, 1))]


@pytest.mark.parametrize(("bug", "cfg"), STATEWISE)
def test_core_matches_the_model_state_by_state(bug: str | None, cfg: tuple[int, int, int]) -> None:
    """Successors, fingerprints and verdicts of every reachable state, the Spec's and each planted bug's."""
    model = SpecModel(SpecConfig(*cfg), bug=bug)
    core = SpecCore(model)
    states = [0]
    seen = {0}
    while states:
        rows = core.rows(states)
        out, fps, parents = core.expand(rows, np.arange(len(rows)), np.zeros(4, dtype=np.int64))
        bad, chosen = core.check(rows)
        for i, s in enumerate(states):
            mine = sorted(core.state(out[j]) for j in np.flatnonzero(parents == i))
            assert mine == sorted(model.successor_states(s))
            names = [n for j, n in enumerate(core.always) if bad[i] >> j & 1]
            assert names == list(model.violated(s))
            assert bool(chosen[i]) == bool(model.witnessed(s))
        assert fps.tolist() == [model.fingerprint(core.state(r)) for r in out]
        states = [t for t in (core.state(r) for r in out) if t not in seen]
        states = list(dict.fromkeys(states))
        seen.update(states)


def test_cli_engines_write_the_same_summary_and_traces(tmp_path: Path) -> None:
    runs = {}
    for engine in ("compiled", "python"):
        out = tmp_path / engine
        code = main(["explore", "--model", "spec", "--spec-bug", "phase2a_ignores_1b", "--engine", engine,
                     "--quiet", "--out", str(out)])
        assert code == 1
        summary = json.loads((out / "summary.json").read_text())
        traces = {p.name: p.read_text() for p in sorted((out / "traces").glob("*.csv"))}
        runs[engine] = (summary, traces)
    (a, ta), (b, tb) = runs["compiled"], runs["python"]
    for key in ("states", "transitions", "depth", "exhaustive", "coverage"):
        assert a[key] == b[key], key
    assert [(p["name"], p["status"]) for p in a["properties"]] == [(p["name"], p["status"]) for p in b["properties"]]
    assert ta == tb and ta


def test_engine_flag_is_checked() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["explore", "--model", "spec", "--engine", "fortran", "--quiet"])
    assert exc.value.code == 2


# -- every conjunct, seen failing on both engines ---------------------------------------------------------

#: (property, planted bug or mutant, configuration) where the Python engine reports the property violated:
#: the compiled engine must report the same, with the same shortest counterexample. Between them every
#: `always` property of the Spec fails somewhere, but inv_types and inv_maxval_none_iff, which no bit-set
#: state can break (test_the_encoding_cannot_break_two_conjuncts).
CONJUNCT_CASES = [
    ("agreement", "phase2b_any_value", (1, 2, 2)),
    ("agreement", "phase2a_ignores_1b", SpecConfig(3, 2, 2, quorums=LOPSIDED)),
    ("validity", "phase2b_any_value", (1, 2, 2)),
    ("inv_maxvbal_le_maxbal", "phase2b_keeps_maxbal", (3, 2, 1)),
    ("inv_maxvbal_voted", "phase2b_silent", (2, 2, 2)),
    ("inv_2b_le_maxvbal", "phase2b_ignores_maxbal", (1, 2, 2)),
    ("inv_1b_le_maxbal", "phase2b_ignores_maxbal", (1, 2, 2)),
    ("inv_1b_sound", "phase2b_silent", (2, 2, 2)),  # reports a vote it never cast
    ("inv_1b_sound", "phase2b_keeps_maxbal", (3, 2, 1)),  # reports a vote above the promised ballot
    ("inv_1b_no_vote_between", "phase2b_ignores_maxbal", (1, 2, 2)),
    ("inv_2a_unique", "phase2a_twice", (1, 2, 2)),
    ("inv_2a_safe", "phase2a_ignores_1b", (1, 2, 2)),
    ("inv_2a_safe", "phase2a_ignores_1b", SpecConfig(3, 2, 2, quorums=LOPSIDED)),
    ("inv_2a_safe", "phase2a_ignores_1b", SpecConfig(4, 2, 2, quorums=FOUR_UNEVEN)),
    ("inv_2a_safe", "phase2a_ignores_1b", SpecConfig(3, 2, 2, quorums=(frozenset({0}),))),
    ("inv_2a_safe", "phase2a_twice", (1, 2, 2)),
    ("inv_2a_safe", "phase2b_any_value", (1, 2, 2)),
    ("inv_2b_has_2a", "phase2b_any_value", (1, 2, 2)),
    ("inv_2a_shown_safe", "phase2a_ignores_1b", (1, 2, 2)),
    ("inv_2a_shown_safe", "phase2b_ignores_maxbal", (2, 2, 1)),
]
UNBREAKABLE = ("inv_types", "inv_maxval_none_iff")


@pytest.mark.parametrize(("name", "bug", "cfg"), CONJUNCT_CASES,
                         ids=[f"{n}-{b}-{i}" for i, (n, b, _) in enumerate(CONJUNCT_CASES)])
def test_both_engines_see_each_conjunct_fail(name: str, bug: str, cfg: tuple[int, int, int] | SpecConfig) -> None:
    python = _run(cfg, "python", bug)
    assert python.status(name) == "violated"
    path = python.prop(name).path
    assert path is not None
    model = SpecModel(cfg if isinstance(cfg, SpecConfig) else SpecConfig(*cfg), bug=bug)
    if name in inductive.BY_NAME:  # the predicate of properties/inductive.py itself says so
        assert inductive.BY_NAME[name].check(model.decode(path.last), model.universe) is not None
    same_results(_run(cfg, "compiled", bug), python)


def test_the_conjunct_cases_cover_every_property_the_encoding_can_break() -> None:
    assert set(CORE_ALWAYS) - {name for name, _, _ in CONJUNCT_CASES} == set(UNBREAKABLE)
    assert set(MUTANTS) | set(SPEC_BUGS) == {bug for _, bug, _ in CONJUNCT_CASES}


def test_the_encoding_cannot_break_two_conjuncts() -> None:
    """inv_types (every message has a ballot, a 2a a value) and inv_maxval_none_iff (a vote has both a ballot and a
    value or neither) are conjunctions of clauses about one acceptor or one message; every local code an acceptor
    can hold (all 2**lw of them) and every message bit alone decodes to a state that keeps both, so no bit-set
    state breaks them and no mutant can show them failing. The core never sets their bits."""
    model = SpecModel(SpecConfig(3, 3, 2))
    singles = [code << (a * model.lw) for a in range(model.A) for code in range(1 << model.lw)]
    singles += [1 << bit for bit in range(model.off_2b, model.nbits)]
    for s in singles:
        for name in UNBREAKABLE:
            assert inductive.BY_NAME[name].check(model.decode(s), model.universe) is None, (name, s)
    bad, _ = SpecCore(model).check(SpecCore(model).rows(singles))
    assert not any(int(b) >> CORE_ALWAYS.index(n) & 1 for b in bad for n in UNBREAKABLE)


def _flexible(cfg: SpecConfig, quorums2: tuple[frozenset[int], ...]) -> SpecModel:
    """The Spec whose conjuncts read other phase-2 quorums than its own (Flexible Paxos's q2 for inv_2a_safe)."""
    model = SpecModel(cfg)
    model.universe = dataclasses.replace(model.universe, quorums2=quorums2)
    return model


PAIRS_OF_4 = tuple(frozenset(q) for q in itertools.combinations(range(4), 2))
RANDOM_MODELS = {
    "3/2/2": lambda: SpecModel(SpecConfig(3, 2, 2)),
    "2/3/2": lambda: SpecModel(SpecConfig(2, 3, 2)),
    "3/3/3": lambda: SpecModel(SpecConfig(3, 3, 3)),
    "1/4/2": lambda: SpecModel(SpecConfig(1, 4, 2)),
    "3/3/2 lopsided": lambda: SpecModel(SpecConfig(3, 3, 2, quorums=LOPSIDED)),
    "4/2/2 uneven": lambda: SpecModel(SpecConfig(4, 2, 2, quorums=FOUR_UNEVEN)),
    "4/3/2 q1=3 q2=2": lambda: _flexible(SpecConfig(4, 3, 2), PAIRS_OF_4),
}


@pytest.mark.parametrize("which", list(RANDOM_MODELS))
def test_core_verdicts_equal_the_models_on_random_bit_sets(which: str) -> None:
    """Every verdict on random bit sets (reachable or not, of every density): a core that computed one conjunct
    wrong disagrees here on some row. Each breakable property fails on some row and holds on another."""
    model = RANDOM_MODELS[which]()
    core = SpecCore(model)
    rng = random.Random(which)
    states = [functools.reduce(operator.and_, (rng.getrandbits(model.nbits) for _ in range(k)))
              for k in (1, 2, 3, 4) for _ in range(150)]
    bad, chosen = core.check(core.rows(states))
    failed: collections.Counter[str] = collections.Counter()
    for s, b, c in zip(states, bad, chosen, strict=True):
        names = [n for j, n in enumerate(core.always) if int(b) >> j & 1]
        assert names == list(model.violated(s)), model.describe_state(s)
        assert bool(c) == bool(model.witnessed(s))
        failed.update(names)
    breakable = set(CORE_ALWAYS) - set(UNBREAKABLE)
    if model.A > 1:
        assert set(failed) == breakable
    assert all(failed[n] < len(states) for n in failed)


#: Configurations both engines exhaust in about a second together, majority and other quorum systems.
Config = tuple[int, int, int] | SpecConfig
SMALL_GRID: list[Config] = [*((a, b, v) for a in (1, 2) for b in (1, 2, 3) for v in (1, 2, 3)),
              *((3, b, v) for b in (1, 2) for v in (1, 2, 3)), *((4, 1, v) for v in (1, 2, 3)),
              SpecConfig(3, 2, 2, quorums=LOPSIDED), SpecConfig(3, 2, 1, quorums=(frozenset({0}),)),
              SpecConfig(4, 2, 1, quorums=FOUR_UNEVEN)]
#: Larger ones (seconds to a minute on the Python engine): `-m slow`.
LARGE_GRID: list[Config] = [(4, 2, 1), (4, 2, 2), (4, 2, 3), (3, 3, 1), (3, 3, 2), (5, 1, 2), (5, 2, 1),
              SpecConfig(3, 3, 2, quorums=LOPSIDED), SpecConfig(4, 2, 2, quorums=FOUR_UNEVEN)]


def _label(cfg: tuple[int, int, int] | SpecConfig) -> str:
    if isinstance(cfg, tuple):
        return "/".join(map(str, cfg))
    return f"{cfg.acceptors}/{cfg.ballots}/{cfg.values} q={[sorted(q) for q in cfg.quorum_list]}"


def test_engines_agree_on_every_small_configuration() -> None:
    for cfg in SMALL_GRID:
        compiled, python = _run(cfg, "compiled"), _run(cfg, "python")
        same_results(compiled, python)
        assert compiled.exhaustive and not compiled.violated, _label(cfg)


@pytest.mark.slow
@pytest.mark.parametrize("cfg", LARGE_GRID, ids=_label)
def test_engines_agree_on_larger_configurations(cfg: tuple[int, int, int] | SpecConfig) -> None:
    same_results(_run(cfg, "compiled"), _run(cfg, "python"))


@pytest.mark.slow
@pytest.mark.parametrize("bug", [*SPEC_BUGS, *MUTANTS])
def test_engines_agree_on_every_planted_bug_over_a_grid(bug: str) -> None:
    grid: list[tuple[int, int, int] | SpecConfig] = [(1, 3, 2), (2, 2, 2), (2, 3, 1), (3, 2, 1), (3, 2, 2),
                                                     SpecConfig(3, 2, 2, quorums=LOPSIDED)]
    for cfg in grid:
        same_results(_run(cfg, "compiled", bug), _run(cfg, "python", bug))


def test_core_matches_the_model_on_walks_where_fields_straddle_two_limbs() -> None:
    """22 acceptors with 3-bit local states: acceptor 21's field is bits 63..65, across the first two limbs
    (two quorums that meet in 10 and 11: the majorities of 22 are millions)."""
    model = SpecModel(SpecConfig(22, 1, 2, quorums=(frozenset(range(12)), frozenset(range(10, 22)))))
    core = SpecCore(model)
    assert model.lw == 3 and 21 * model.lw == 63 and core.words >= 2
    rng = random.Random(22)
    straddled = 0  # states whose acceptor 21 left its initial local state
    for _ in range(20):
        s = 0
        for _ in range(60):
            rows = core.rows([s])
            out, fps, _ = core.expand(rows, np.arange(1), np.zeros(4, dtype=np.int64))
            succ = [core.state(r) for r in out]
            assert sorted(succ) == sorted(model.successor_states(s))
            assert fps.tolist() == [model.fingerprint(t) for t in succ]
            bad, chosen = core.check(rows)
            assert [n for j, n in enumerate(core.always) if int(bad[0]) >> j & 1] == list(model.violated(s))
            assert bool(chosen[0]) == bool(model.witnessed(s))
            if not succ:
                break
            s = rng.choice(succ)
            straddled += model.local(s, 21) != (-1, 0)
    assert straddled
