"""Shared pytest fixtures: where the test categories write their CSV logs, and the two node layouts.

`--paxos-log-dir DIR` (or `PAXOS_LOG_DIR`) chooses the directory of the
category logs (`test_basic.csv`, ...); by default a pytest temporary
directory, never the source tree. Keep this file small and additive.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from paxos import ClusterConfig, NodeRole, PaxosLogger, PaxosNode, read_csv_rows


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--paxos-log-dir",
        default=None,
        metavar="DIR",
        help="write the test category CSV logs (test_basic.csv, ...) into DIR "
        "(default: $PAXOS_LOG_DIR, else a pytest temporary directory)",
    )


@pytest.fixture(scope="session")
def paxos_log_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of the category logs: the option, else $PAXOS_LOG_DIR, else a temporary one."""
    chosen = request.config.getoption("--paxos-log-dir") or os.environ.get("PAXOS_LOG_DIR")
    if not chosen:
        return tmp_path_factory.mktemp("paxos-logs")
    path = Path(chosen).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def category_logger(request: pytest.FixtureRequest, paxos_log_dir: Path) -> Iterator[PaxosLogger]:
    """One PaxosLogger per test module, writing `test_<LOG_CATEGORY>.csv`; saved at module teardown."""
    category = getattr(request.module, "LOG_CATEGORY", None)
    if not isinstance(category, str):
        raise pytest.UsageError(f"{request.module.__name__} uses category_logger but sets no LOG_CATEGORY string")
    logger = PaxosLogger(round=0, filename=paxos_log_dir / f"test_{category}.csv")
    yield logger
    logger.save_to_csv()


@pytest.fixture
def paxos_log(category_logger: PaxosLogger) -> PaxosLogger:
    """The module's logger, with a fresh `round` number for this test (its rows carry that round)."""
    category_logger.round += 1
    return category_logger


@pytest.fixture
def saved_rows(paxos_log: PaxosLogger) -> Callable[[], list[dict[str, str]]]:
    """Save the category log now and return this test's rows, re-read from the file."""

    def read() -> list[dict[str, str]]:
        path = paxos_log.save_to_csv()
        return [row for row in read_csv_rows(path) if row["round"] == str(paxos_log.round)]

    return read


@dataclass(frozen=True)
class Layout:
    """How roles map to nodes: `separate` (one role per node) or `colocated` (every node all roles)."""

    name: str

    def config(self, acceptors: int = 3, proposers: int = 1, learners: int = 1) -> ClusterConfig:
        """A cluster with `acceptors` acceptors; colocated ignores the other counts (n nodes, all roles)."""
        if self.name == "colocated":
            return ClusterConfig.colocated(acceptors)
        return ClusterConfig.separate(acceptors, proposers, learners)


@pytest.fixture(params=["separate", "colocated"])
def layout(request: pytest.FixtureRequest) -> Layout:
    """Run a test against single-role nodes and again against composed nodes."""
    return Layout(request.param)


#: A test's saved log rows, re-read from the CSV (the `saved_rows` fixture).
Rows = Callable[[], list[dict[str, str]]]


def seed_nodes(count: int, logger: PaxosLogger | None) -> dict[int, PaxosNode]:
    """The seed README's cluster: `count` nodes built with the seed constructor, sharing `logger`."""
    return {
        i: PaxosNode(node_id=i, role=NodeRole.ACCEPTOR, logger=logger, node_count=count) for i in range(1, count + 1)
    }
