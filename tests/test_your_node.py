"""Adapting your own node (docs/your-node.md): snapshot helpers, floats, Nack phases and old traces,
nodes loaded by file path (and only when the command line names the path), a library named `paxos`,
the crash-amnesia note, snapshot diffs in trace text, and the foreign example end to end."""

from __future__ import annotations

import csv
import dataclasses
import enum
import json
import math
import subprocess
import sys
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest

import paxos
from checker.config import CheckConfig, load_factory
from checker.fingerprint import canonical_bytes, fingerprint_object
from checker.models.contract import check_node_contract
from checker.models.impl_steps import step_cluster
from paxos import (
    BOTTOM,
    NAN,
    Ballot,
    ConfigurationError,
    Deliver,
    Envelope,
    Nack,
    PlainSnapshots,
    Prepare,
    Promise,
    Propose,
    freeze,
    import_package_as,
    snapshot_diff,
    thaw,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FILE_NODE = f"{FIXTURES / 'file_node' / 'node_file.py'}:make"
FOREIGN = "examples/foreign_paxos/adapter.py:make_node"
SMALL = ["--crashes", "0", "--ballots", "1", "--max-round", "1"]


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`paxos-check ARGS` as a user runs it (the console script's module), from the repository root."""
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


# -- freeze / thaw and floats -------------------------------------------------------------------------

class Color(enum.Enum):
    RED = 1
    BLUE = 2


Point = namedtuple("Point", "x y")


@dataclasses.dataclass
class Box:
    items: list[Any]
    tag: str = "t"


@dataclasses.dataclass(frozen=True, slots=True)
class Frozen:
    a: float
    b: tuple[int, ...]


STATE: dict[str, Any] = {
    "d": {1: [1.5, -0.0], "k": {2, 3}}, "t": (Point(1, 2.25), Color.BLUE), "box": Box([Frozen(0.1, (1,)), None]),
    "fs": frozenset({b"x", 4}), "inf": math.inf, "none": None, "flag": True, "ballot": Ballot(2, 1),
}


def test_freeze_thaw_round_trips_plain_data_without_sharing() -> None:
    frozen = freeze(STATE)
    hash(frozen)
    back = thaw(frozen)
    assert back == STATE and type(back["t"][0]) is Point and back["t"][1] is Color.BLUE
    assert type(back["box"]) is Box and back["box"].items[0] == Frozen(0.1, (1,))
    back["d"][1].append(9)  # a thawed value is a fresh copy: the snapshot does not change
    assert thaw(frozen) == STATE
    assert freeze([1, 2]) != freeze((1, 2))  # a list and a tuple stay different kinds
    assert fingerprint_object(freeze(STATE)) == fingerprint_object(freeze(thaw(freeze(STATE))))


def test_nan_and_negative_zero_keep_snapshots_equal_and_fingerprints_stable() -> None:
    a, b = freeze({"x": float("nan"), "z": -0.0}), freeze({"x": float("nan"), "z": 0.0})
    assert a == b and hash(a) == hash(b)
    assert math.isnan(thaw(a)["x"]) and freeze(float("nan")) is NAN
    assert canonical_bytes(-0.0) == canonical_bytes(0.0) == canonical_bytes(0)
    assert canonical_bytes(1.0) == canonical_bytes(1)  # 1.0 == 1: equal values, equal bytes
    assert canonical_bytes(float("nan")) == canonical_bytes(NAN)
    assert len({canonical_bytes(x) for x in (0.1, 0.2, 1.5, math.inf, -math.inf)}) == 5
    assert canonical_bytes(Color.RED) != canonical_bytes(Color.BLUE)


def test_freeze_names_what_is_not_plain_data() -> None:
    with pytest.raises(TypeError, match=r"state\['sock'\] is a object"):
        freeze({"sock": object()}, "state")


class Counter(PlainSnapshots):
    state_fields = ("promised", "seen", "peers")
    durable_fields = ("promised",)

    def __init__(self) -> None:
        self.promised, self.seen, self.peers = 0.0, [], {1: "a"}
        self.remember_initial()

    def rename_ids(self, state: dict[str, Any], node: Any) -> None:
        state["peers"] = {node(k): v for k, v in state["peers"].items()}


def test_plain_snapshots_crash_keeps_durable_fields_only() -> None:
    node = Counter()
    node.promised, node.seen, node.peers[2] = 2.5, [1.25], "b"
    snap = node.snapshot()
    node.crash()
    assert (node.promised, node.seen, node.peers) == (2.5, [], {1: "a"})
    node.restore(snap)
    assert (node.promised, node.seen, node.peers) == (2.5, [1.25], {1: "a", 2: "b"})
    renamed = dict(node.rename_snapshot(snap, {1: 2, 2: 1}))
    assert thaw(renamed["peers"]) == {2: "a", 1: "b"}
    assert snapshot_diff(snap, node.snapshot()) == ""
    node.seen.append(7.5)
    assert snapshot_diff(snap, node.snapshot()) == "seen: [1.25] -> [1.25, 7.5]"


# -- Nack phases and old traces --------------------------------------------------------------------------

def test_a_nack_without_phase_encodes_as_before_the_field_existed() -> None:
    old = Nack(3, Ballot(0, 1), Ballot(0, 2))
    assert old.phase == 0
    assert canonical_bytes(old) == b"C\x04\x00Nack" + canonical_bytes((3, Ballot(0, 1), Ballot(0, 2)))
    assert canonical_bytes(Nack(3, Ballot(0, 1), Ballot(0, 2), 1)) != canonical_bytes(old)
    assert paxos.message_fields(Nack(3, Ballot(0, 1), Ballot(0, 2), 2))["value"] == "2"
    with pytest.raises(ConfigurationError, match="Nack phase"):
        Nack(3, BOTTOM, BOTTOM, 7)


def test_old_traces_replay_through_paxos_check() -> None:
    done = cli("replay", "tests/fixtures/trace_v1_nacks.csv")
    assert done.returncode == 0, done.stderr
    assert "every property held" in done.stdout and "fingerprints differ" not in done.stdout
    done = cli("replay", "tests/fixtures/trace_v1_forgetful_agreement.csv")
    assert done.returncode == 1 and "VIOLATION reproduced: agreement fails at step 14" in done.stdout
    # against a node that names its Nacks' phases (loaded by path): the old rows and fingerprints still match
    done = cli("replay", "tests/fixtures/trace_v1_nacks.csv", "--impl", FILE_NODE)
    assert done.returncode == 0, done.stderr
    assert "(phase 1, promised 0@2)" in done.stdout and "fingerprints differ" not in done.stdout


@pytest.fixture(scope="module")
def foreign_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The foreign example's first deviation (refines_spec at step 9: the fast retry skips phase 1)."""
    out = tmp_path_factory.mktemp("foreign") / "run"
    done = cli("explore", "--impl", FOREIGN, *SMALL, "--stop-on-first", "--out", str(out))
    assert done.returncode == 1, done.stderr
    return out


def test_new_traces_record_the_phase(foreign_run: Path, tmp_path: Path) -> None:
    trace = foreign_run / "traces" / "refines_spec.csv"
    rows = list(csv.DictReader(trace.open()))
    assert json.loads(rows[0]["detail"])["trace_version"] == 2
    walk = cli("simulate", "--impl", FOREIGN, *SMALL, "--walks", "30", "--seed", "3", "--out", str(tmp_path / "sim"))
    nacks = [r for p in (tmp_path / "sim" / "traces").glob("*.csv") for r in csv.DictReader(p.open())
             if r["msg_type"] == "Nack"]
    assert walk.returncode in (0, 1), walk.stderr
    assert all(r["value"] in ("1", "2") for r in nacks)


# -- loading by file path ------------------------------------------------------------------------------------

def test_impl_from_a_file_path_and_its_sibling_imports(tmp_path: Path) -> None:
    done = cli("explore", "--impl", FILE_NODE, "--acceptors", "2", "--proposers", "1", "--crashes", "0",
               "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "HELD" in done.stdout
    assert callable(load_factory(FILE_NODE))


def test_replay_refuses_a_file_the_trace_names(foreign_run: Path) -> None:
    done = cli("replay", str(foreign_run / "traces" / "refines_spec.csv"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "add --impl " + FOREIGN in done.stderr


@pytest.mark.slow
def test_a_file_named_only_by_a_file_is_refused_in_one_line(foreign_run: Path, tmp_path: Path) -> None:
    out = foreign_run
    trace = str(out / "traces" / "refines_spec.csv")
    for args in (["replay", trace], ["minimize", trace, "-o", str(tmp_path / "m.csv")],
                 ["export", trace, "--format", "pytest", "-o", str(tmp_path / "t.py")], ["report", str(out)]):
        done = cli(*args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert f"only when that path is on the command line: add --impl {FOREIGN}" in done.stderr
        assert not (tmp_path / "m.csv").exists() and not (tmp_path / "t.py").exists()
    done = cli("replay", trace, "--impl", FOREIGN)
    assert done.returncode == 1 and "VIOLATION reproduced: refines_spec" in done.stdout
    assert cli("report", str(out), "--impl", FOREIGN).returncode == 0
    assert "PATH.py:FACTORY" in cli("explore", "--help").stdout


def test_a_library_named_paxos_loads_under_another_name() -> None:
    lib = import_package_as(FIXTURES / "lib_named_paxos" / "paxos", "their_paxos_for_test")
    assert lib.WIRE.NAME == "their wire" and lib.Engine().ping(1.5) == lib.wire.Ping(1.5)
    assert sys.modules["their_paxos_for_test.engine"].Ping is lib.wire.Ping
    assert sys.modules["paxos"] is paxos and "paxos.wire" not in sys.modules and hasattr(paxos, "PaxosNode")


# -- the foreign example: contract, first run, trace text -----------------------------------------------------

def test_foreign_adapter_is_short_and_keeps_the_contract() -> None:
    assert len((ROOT / "examples" / "foreign_paxos" / "adapter.py").read_text().splitlines()) <= 80
    factory = load_factory(str(ROOT / FOREIGN))
    check_node_contract(CheckConfig(ballots=1, crashes=1, max_round=1), factory)


def test_first_run_says_a_crash_wiped_unpersisted_state(tmp_path: Path) -> None:
    done = cli("explore", "--impl", FOREIGN, "--ballots", "1", "--max-round", "1", "--stop-on-first",
               "--out", str(tmp_path / "run"))
    assert done.returncode == 1
    notes = [line for line in done.stdout.splitlines() if line.startswith("note: the first violation follows")]
    assert len(notes) == 1 and "crash of node 3" in notes[0] and "--crashes 0" in notes[0]
    ours = cli("explore", "--impl", "paxos.bugs:volatile_acceptor", "--stop-on-first", "--out", str(tmp_path / "a"))
    assert ours.returncode == 1 and "note: the first violation follows the crash of node" in ours.stdout
    protocol = cli("explore", "--impl", "paxos.bugs:own_value", "--stop-on-first", "--out", str(tmp_path / "b"))
    assert protocol.returncode == 1 and "note: the first violation" not in protocol.stdout


def test_a_delivery_that_changes_only_internal_state_says_what_changed() -> None:
    config = CheckConfig(crashes=0)
    cluster = config.new_cluster()
    step_cluster(cluster, Propose(1, "v1"))
    step_cluster(cluster, Deliver(Envelope(3, Prepare(1, Ballot(0, 1)))))
    row = step_cluster(cluster, Deliver(Envelope(1, Promise(3, Ballot(0, 1), BOTTOM, None))))
    assert row.state_change.startswith("proposer_volatile.promises: + Promise(src=3, bal=Ballot(round=0, node_id=1)")


def test_a_property_from_a_file_path_and_trusting_it_again(tmp_path: Path) -> None:
    props = tmp_path / "my_props.py"
    props.write_text("def at_most_one_learned(view):\n    return None\n")
    spec = f"{props}:at_most_one_learned"
    out = tmp_path / "run"
    done = cli("explore", "--acceptors", "2", "--proposers", "1", "--crashes", "0", "--property", spec,
               "--out", str(out))
    assert done.returncode == 0 and "at_most_one_learned" in done.stdout, done.stdout + done.stderr
    trace = str(out / "traces" / "sometimes_chosen.csv")
    refused = cli("replay", trace)
    assert refused.returncode == 2 and f"add --trust {spec}" in refused.stderr
    assert cli("replay", trace, "--trust", spec).returncode == 0


def test_resume_of_a_run_whose_node_is_a_file_needs_the_path(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    first = cli("explore", "--impl", FOREIGN, *SMALL, "--stop-on-first", "--checkpoint", str(ck),
                "--out", str(tmp_path / "run"))
    assert first.returncode == 1, first.stderr
    refused = cli("resume", str(ck))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "run.json names the file examples/foreign_paxos/adapter.py as --impl" in refused.stderr
    again = cli("resume", str(ck), "--impl", FOREIGN)
    # inv_2a_safe at step 9 (353 states with quiet blocks, reductions.py 6; 968 with --no-por)
    assert again.returncode == 1 and "353 distinct states" in again.stdout
