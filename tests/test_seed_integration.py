"""Seed category "integration": complete Paxos rounds end to end, through the seed API and the Cluster.

Whole rounds in both networks with fault budgets, their logs re-read from
test_integration.csv, and seeded runs that reproduce exactly.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import Rows

from paxos import (
    LOG_COLUMNS,
    LOG_FORMAT,
    Accept,
    Budgets,
    Cluster,
    ClusterConfig,
    Deliver,
    Drop,
    Duplicate,
    Envelope,
    NodeRole,
    PaxosLogger,
    PaxosNode,
    Prepare,
    Promise,
    Proposal,
    Propose,
    read_csv_rows,
)

if TYPE_CHECKING:
    from conftest import Layout

LOG_CATEGORY = "integration"
pytest_plugins = ["pytester"]

PHASES = ["Prepare", "Promise", "Accept", "Accepted"]


def first_index(rows: list[dict[str, str]], **match: str) -> int:
    return next(i for i, r in enumerate(rows) if all(r[k] == v for k, v in match.items()))


def test_complete_seed_round_logs_the_phases_in_order(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    nodes = {i: PaxosNode(node_id=i, role=NodeRole.ACCEPTOR, logger=paxos_log, node_count=3) for i in (1, 2, 3)}
    proposal = Proposal(node_id=3, proposal_number=4, value=("k", 1))
    nodes[3].send_prepare(nodes, proposal)
    assert [nodes[i].send_promise(proposal) is not None for i in (1, 2)] == [True, True]
    assert nodes[3].send_accept(nodes, proposal) == 3
    rows = saved_rows()
    order = [first_index(rows, event="send", msg_type=m) for m in PHASES] + [first_index(rows, event="learn")]
    assert order == sorted(order)
    assert rows[0]["event"] == "propose" and rows[0]["value"] == "('k', 1)"
    assert {r["bal"] for r in rows if r["msg_type"]} == {"4@3"}
    steps = [int(r["step"]) for r in rows]
    assert steps == list(range(steps[0], steps[0] + len(rows))), "steps number the rows consecutively"

    # The same file through the csv module: the header and the format column of every row.
    with open(paxos_log.filename, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert tuple(table[0]) == LOG_COLUMNS
    assert {r["format"] for r in table} == {LOG_FORMAT}
    assert table == read_csv_rows(paxos_log.filename)


@pytest.mark.parametrize("network", ["set", "bag"])
def test_complete_cluster_round(layout: Layout, network: str, paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    config = layout.config(5, proposers=2, learners=2)
    budgets = Budgets(crashes=1, drops=1, duplicates=1, ballots=3) if network == "bag" else Budgets(crashes=1)
    cluster = Cluster(config, network=network, budgets=budgets, logger=paxos_log)
    steps = cluster.run(["x", "y"], seed=11, crash_rate=0.1, timeout_rate=0.1)
    assert 0 < steps < 10_000
    [value] = cluster.chosen()
    # Learner state is volatile: a learner that crashed may have forgotten, never learned otherwise.
    assert set(cluster.learned().values()) <= {value, None}
    rows = saved_rows()
    assert [r["event"] for r in rows[:2]] == ["propose", "send"]
    learns = [r for r in rows if r["event"] == "learn"]
    assert learns and {r["value"] for r in learns} == {value}
    crashed = {r["node"] for r in rows if r["event"] == "crash"}
    assert {r["node"] for r in learns} | crashed >= {str(n) for n in config.learners}
    sends = [r for r in rows if r["event"] == "send"]
    received = [r for r in rows if r["event"] == "receive"]
    assert len(received) <= len(sends), "each sent message is delivered at most once by run()"
    for phase in PHASES:
        assert any(r["msg_type"] == phase for r in received), f"some {phase} was delivered"


def test_bag_network_round_with_a_duplicate_and_a_drop(paxos_log: PaxosLogger, saved_rows: Rows) -> None:
    config = ClusterConfig.separate(3, 1, 1)
    cluster = Cluster(config, network="bag", budgets=Budgets(drops=1, duplicates=1), logger=paxos_log)
    p = config.proposers[0]
    a1, a2, a3 = config.acceptors
    cluster.step(Propose(p, "v"))
    prepare = {e.dst: e for e in cluster.in_flight}
    cluster.step(Drop(prepare[a3]))  # a3 never hears of the ballot
    [promise] = cluster.step(Deliver(prepare[a1]))
    cluster.step(Duplicate(promise))
    assert cluster.in_flight[promise] == 2
    assert cluster.step(Deliver(promise)) == []
    assert cluster.step(Deliver(promise)) == [], "the duplicate Promise is not counted twice"
    [promise2] = cluster.step(Deliver(prepare[a2]))
    accepts = cluster.step(Deliver(promise2))
    assert {e.msg for e in accepts} == {Accept(p, promise.msg.bal, "v")}
    for env in accepts:
        for accepted in cluster.step(Deliver(env)):
            cluster.step(Deliver(accepted))
    assert cluster.chosen() == {"v"} and set(cluster.learned().values()) == {"v"}
    assert not any(isinstance(a, (Drop, Duplicate)) for a in cluster.enabled()), "both budgets are used up"

    rows = saved_rows()
    assert [(r["event"], r["msg_type"], r["node"]) for r in rows if r["event"] in ("drop", "duplicate")] == [
        ("drop", "Prepare", str(a3)), ("duplicate", "Promise", str(p)),
    ]
    promises_received = [r for r in rows if r["event"] == "receive" and r["msg_type"] == "Promise"]
    assert len(promises_received) == 3


def test_seeded_runs_reproduce_exactly(layout: Layout) -> None:
    config = layout.config(3, proposers=2)

    def run(seed: int) -> tuple[object, list[dict[str, str]]]:
        logger = PaxosLogger()
        cluster = Cluster(config, network="bag", budgets=Budgets(crashes=2, duplicates=2, ballots=3), logger=logger)
        cluster.run(["a", "b"], seed=seed, crash_rate=0.2, timeout_rate=0.2)
        return cluster.snapshot(), logger.entries

    for seed in (0, 1, 2, 99):
        assert run(seed) == run(seed)
    assert len({repr(run(seed)[1]) for seed in range(10)}) > 1, "different seeds give different runs"


def test_prepare_reaches_only_acceptors(layout: Layout) -> None:
    config = layout.config(3)
    cluster = Cluster(config)
    sent = cluster.step(Propose(config.proposers[0], "v"))
    assert sorted(e.dst for e in sent) == sorted(config.acceptors)
    assert all(isinstance(e.msg, Prepare) for e in sent)
    promises = [out for e in sorted(sent, key=Envelope.sort_key) for out in cluster.step(Deliver(e))]
    assert all(isinstance(e.msg, Promise) and e.dst == config.proposers[0] for e in promises)



DEMO_TEST = """
LOG_CATEGORY = "demo"


def test_logs(paxos_log):
    paxos_log.log("propose", 1, value="v")
"""


#: Inner pytest runs: no cache, and without the Hypothesis plugin (seconds of start-up each).
INNER = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def test_log_directory_is_chosen_by_option_or_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_demo=DEMO_TEST)
    by_option, by_env = tmp_path / "by-option", tmp_path / "by-env"
    monkeypatch.setenv("PAXOS_LOG_DIR", str(by_env))
    pytester.runpytest(*INNER, "--paxos-log-dir", str(by_option)).assert_outcomes(passed=1)
    rows = read_csv_rows(by_option / "test_demo.csv")
    assert [(r["format"], r["event"], r["value"]) for r in rows] == [(LOG_FORMAT, "propose", "v")]
    assert not by_env.exists(), "the option wins over the environment"
    pytester.runpytest(*INNER).assert_outcomes(passed=1)
    assert read_csv_rows(by_env / "test_demo.csv")
    monkeypatch.delenv("PAXOS_LOG_DIR")
    pytester.runpytest(*INNER, "--basetemp", str(tmp_path / "base")).assert_outcomes(passed=1)
    assert list((tmp_path / "base").rglob("test_demo.csv")), "by default: pytest's temporary directory"
    assert not list(pytester.path.rglob("*.csv")), "never the directory the tests live in"
