"""Every input gets a clear answer (issue 14): bad flags, misbehaving nodes, bad output paths, bad traces.

Each test drives the real `paxos-check` console script in a subprocess and pins the exit code
(0 held, 1 violated, 2 bad input, 3 stopped early), the one line a bad input gets, and that no
traceback of our own code is printed. The misbehaving nodes are in `tests/bad_nodes.py`
(`--impl tests.bad_nodes:NAME`, importable because the subprocesses run in the project root).
Configurations are tiny (2 acceptors, 1 proposer, no crash) so the module stays fast.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAXOS_CHECK = str(Path(sys.executable).parent / "paxos-check")
#: the smallest implementation configuration: every run of it takes a fraction of a second
TINY = ("--acceptors", "2", "--proposers", "1", "--learners", "0", "--crashes", "0")
TINY_LEARNER = ("--acceptors", "2", "--proposers", "1", "--learners", "1", "--crashes", "0")
SUBCOMMANDS = ("explore", "simulate", "fuzz", "prove", "replay", "minimize", "report")
#: explore and simulate run the fast implementation model, whose node_error reporting is the other
#: half of issue 14 (the model's owner's); until it lands, those cases are a named, skipped gap
MODEL_REPORTS_NODE_ERROR = "NODE_ERROR" in (ROOT / "checker" / "models" / "impl_tables.py").read_text()
needs_model_node_error = pytest.mark.skipif(not MODEL_REPORTS_NODE_ERROR,
                                            reason="the implementation model does not report node_error yet")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def lines(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.strip()]


def paxos_check(*args: str | os.PathLike[str], timeout: float = 60, cwd: Path = ROOT) -> Result:
    proc = subprocess.run([PAXOS_CHECK, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output, result.output


def refused(*args: str | os.PathLike[str], timeout: float = 60) -> str:
    """Run, and check it is refused as bad input: exit 2, exactly one line, no traceback. Returns the line."""
    result = paxos_check(*args, timeout=timeout)
    assert_no_traceback(result)
    assert result.code == 2, result.output
    lines = result.lines()
    assert len(lines) == 1, f"expected one line, got:\n{result.output}"
    assert "error:" in lines[0]
    return lines[0]


def assert_refused(args: tuple[str | os.PathLike[str], ...], *phrases: str, timeout: float = 60) -> None:
    line = refused(*args, timeout=timeout)
    for phrase in phrases:
        assert phrase in line, f"{phrase!r} not in {line!r}"


@pytest.fixture(scope="module")
def violated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run directory with a counterexample of a catalog bug (refines_spec, agreement)."""
    out = tmp_path_factory.mktemp("own_value")
    result = paxos_check("explore", "--impl", "paxos.bugs:own_value", "--ballots", "1", "--crashes", "0",
                         "--learners", "0", "--quiet", "--out", out)
    assert result.code == 1, result.output
    return out


# -- 1. every --help works ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [*SUBCOMMANDS, None])
def test_every_help_works(command: str | None) -> None:
    result = paxos_check(*((command,) if command else ()), "--help")
    assert_no_traceback(result)
    assert result.code == 0, result.output
    assert result.stdout.startswith("usage: paxos-check")


@pytest.mark.parametrize("command", ["explore", "simulate", "fuzz"])
def test_help_states_the_exit_codes(command: str) -> None:
    text = paxos_check(command, "--help").stdout
    for code in ("0", "1", "2", "3"):
        assert f"{code} " in text or f"{code}:" in text
    assert "exit" in text.lower()


# -- 2. a misbehaving node is a finding (node_error) with a replayable trace ------------------------


def _node_error_run(tmp_path: Path, command: str, impl: str, *extra: str) -> tuple[Result, Path]:
    out = tmp_path / command
    args = [command, "--impl", f"tests.bad_nodes:{impl}", *TINY_LEARNER, "--out", str(out), "--quiet", *extra]
    if command == "simulate":
        args += ["--walks", "50"]
    if command == "fuzz":
        args += ["--examples", "50", "--seed", "1"]
    return paxos_check(*args), out


NODE_FAULTS = [
    ("raising_on_accepted", "ZeroDivisionError", "bad_nodes.py:"),
    ("raising_on_promise", "KeyError", "bad_nodes.py:"),
    ("string_on_promise", "returned str", "list of (destination, message) pairs"),
    ("objects_on_promise", "returned the item", "(destination, message) pair"),
    ("int_on_accepted", "returned int", "list of (destination, message) pairs"),
    ("unhashable_snapshot", "snapshot", "unhashable"),
    ("raising_snapshot", "RuntimeError", "bad_nodes.py:"),
]


@pytest.mark.parametrize("command", [pytest.param("explore", marks=needs_model_node_error),
                                     pytest.param("simulate", marks=needs_model_node_error), "fuzz"])
@pytest.mark.parametrize(("impl", "what", "where"), NODE_FAULTS)
def test_misbehaving_node_is_a_node_error_finding(tmp_path: Path, command: str, impl: str, what: str,
                                                  where: str) -> None:
    result, out = _node_error_run(tmp_path, command, impl)
    assert_no_traceback(result)
    assert result.code == 1, result.output
    assert "node_error" in result.stdout and what in result.stdout and where in result.stdout, result.stdout
    summary = json.loads((out / "summary.json").read_text())
    entry = next(p for p in summary["properties"] if p["name"] == "node_error")
    assert entry["status"] == "violated" and entry["kind"] == "step"
    trace = out / entry["trace"]
    rows = list(csv.DictReader(trace.open(encoding="utf-8")))
    assert rows[-1]["property"] == "node_error" and what in rows[-1]["detail"]
    replay = paxos_check("replay", trace)
    assert_no_traceback(replay)
    assert replay.code == 1, replay.output
    assert f"node_error fails at step {len(rows) - 1}" in replay.stdout and what in replay.stdout


@needs_model_node_error
def test_explore_node_error_trace_is_shortest(tmp_path: Path) -> None:
    # the proposer raises on the first Promise: propose, deliver Prepare, deliver Promise
    result, out = _node_error_run(tmp_path, "explore", "raising_on_promise")
    assert result.code == 1, result.output
    rows = list(csv.DictReader((out / "traces" / "node_error.csv").open(encoding="utf-8")))
    assert len(rows) - 1 == 3
    assert "node 1 on_message" in rows[-1]["detail"]


def test_minimize_keeps_the_node_error(tmp_path: Path) -> None:
    result, out = _node_error_run(tmp_path, "fuzz", "raising_on_accepted", "--no-minimize")
    assert result.code == 1, result.output
    short = tmp_path / "short.csv"
    minimized = paxos_check("minimize", out / "traces" / "node_error.csv", "-o", short)
    assert_no_traceback(minimized)
    assert minimized.code == 0, minimized.output
    replay = paxos_check("replay", short)
    assert replay.code == 1 and "node_error" in replay.stdout and "ZeroDivisionError" in replay.stdout


def test_replay_against_a_raising_node_reports_node_error(violated_run: Path) -> None:
    # the catalog bug's trace, replayed against a node that raises on the first Promise
    replay = paxos_check("replay", violated_run / "traces" / "refines_spec.csv", "--impl",
                         "tests.bad_nodes:raising_on_promise")
    assert_no_traceback(replay)
    assert replay.code == 1, replay.output
    assert "node_error" in replay.stdout and "KeyError" in replay.stdout


def test_minimize_against_a_raising_node_is_one_line(violated_run: Path, tmp_path: Path) -> None:
    assert_refused(("minimize", violated_run / "traces" / "agreement.csv", "-o", tmp_path / "m.csv",
                    "--impl", "tests.bad_nodes:raising_on_promise"), "agreement", "node_error")


@pytest.mark.parametrize("command", ["explore", "simulate", "fuzz"])
def test_a_node_broken_before_any_schedule_is_bad_input(tmp_path: Path, command: str) -> None:
    assert_refused((command, "--impl", "tests.bad_nodes:raising_factory", *TINY, "--out", tmp_path / "o"),
                   "--impl", "factory", "this factory is broken")
    assert_refused((command, "--impl", "tests.bad_nodes:not_a_node", *TINY, "--out", tmp_path / "o"),
                   "--impl", "lack", "on_message")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["explore", "simulate", "fuzz"])
def test_a_handler_that_never_returns_stops_at_the_time_limit(tmp_path: Path, command: str) -> None:
    out = tmp_path / "run"
    started = time.monotonic()
    result = paxos_check(command, "--impl", "tests.bad_nodes:hanging_on_nack", *TINY, "--time-limit", "2",
                         "--out", out, "--quiet", timeout=30)
    assert time.monotonic() - started < 20
    assert_no_traceback(result)
    assert result.code == 3, result.output
    assert "on_message" in result.output and "node 1" in result.output and "did not return" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped_by"] == "time_limit" and summary["exhaustive"] is False


# -- 3. output paths are checked before any work ----------------------------------------------------


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a_file"
    path.write_text("not a directory\n")
    return path


@pytest.mark.parametrize("command", ["explore", "simulate", "fuzz"])
def test_out_naming_a_file_is_refused(command: str, a_file: Path) -> None:
    assert_refused((command, *TINY, "--out", a_file), "--out", "is a file")
    assert_refused((command, *TINY, "--out", a_file / "sub"), "--out", "is a file")
    assert a_file.read_text() == "not a directory\n"


@pytest.mark.parametrize("command", ["explore", "simulate", "fuzz"])
def test_json_naming_a_directory_is_refused(command: str, tmp_path: Path, a_file: Path) -> None:
    assert_refused((command, *TINY, "--out", tmp_path / "o", "--json", tmp_path), "--json", "is a directory")
    assert_refused((command, *TINY, "--out", tmp_path / "o", "--json", a_file / "x.json"), "--json", "is a file")
    assert not (tmp_path / "o").exists()


def test_json_naming_a_device_is_refused(tmp_path: Path) -> None:
    assert_refused(("explore", *TINY, "--out", tmp_path / "o", "--json", "/dev/null"), "--json",
                   "not a regular file")


def test_unwritable_out_is_refused(tmp_path: Path) -> None:
    # /proc is not writable, even by root
    assert_refused(("explore", *TINY, "--out", "/proc/paxos-check-run"), "--out", "cannot")


def test_minimize_output_paths(violated_run: Path, tmp_path: Path, a_file: Path) -> None:
    trace = violated_run / "traces" / "agreement.csv"
    assert_refused(("minimize", trace, "-o", tmp_path), "-o", "is a directory")
    assert_refused(("minimize", trace, "-o", a_file / "x.csv"), "-o", "is a file")


def test_report_output_path(violated_run: Path, a_file: Path) -> None:
    assert_refused(("report", violated_run, "--out", a_file), "--out", "is a file")


def test_prove_checks_its_output_before_proving(a_file: Path, tmp_path: Path) -> None:
    assert_refused(("prove", "spec", "--report"), "--report", "--out", timeout=20)
    assert_refused(("prove", "spec", "--out", a_file), "--out", "is a file", timeout=20)
    assert_refused(("prove", "quorums", "--json", tmp_path), "--json", "is a directory", timeout=20)


# -- 4. sizes that cannot be checked are refused at once ---------------------------------------------


@pytest.mark.parametrize("args", [
    ("explore", "--acceptors", "1000"),
    ("explore", "--acceptors", "100", "--time-limit", "1"),
    ("simulate", "--acceptors", "100", "--walks", "1"),
    ("fuzz", "--acceptors", "1000", "--examples", "1"),
    ("explore", "--model", "spec", "--acceptors", "30"),
    ("explore", "--proposers", "1000"),
    ("explore", "--values", "100000"),
])
def test_sizes_too_large_are_refused_with_the_largest_supported(args: tuple[str, ...], tmp_path: Path) -> None:
    assert_refused((*args, "--out", tmp_path / "o"), "largest supported", timeout=20)


# -- 5. flags that do not apply are refused ------------------------------------------------------------


@pytest.mark.parametrize(("flags", "phrase"), [
    (("--impl", "paxos.bugs:own_value"), "--impl"),
    (("--colocated",), "--colocated"),
    (("--unsafe-quorums",), "--unsafe-quorums"),
    (("--no-refinement",), "--no-refinement"),
])
def test_spec_model_refuses_impl_flags(flags: tuple[str, ...], phrase: str, tmp_path: Path) -> None:
    assert_refused(("explore", "--model", "spec", *flags, "--out", tmp_path / "o"), phrase, "--model spec")


def test_flags_for_other_strategies_are_refused(tmp_path: Path) -> None:
    assert_refused(("explore", *TINY, "--seed", "5", "--out", tmp_path / "o"), "--seed", "simulate")
    assert_refused(("explore", *TINY, "--graph-limit", "5", "--out", tmp_path / "o"), "--graph-limit", "--graph")
    assert_refused(("explore", *TINY, "--strategy", "dfs", "--workers", "2", "--out", tmp_path / "o"),
                   "--workers > 1", "not dfs")
    assert_refused(("simulate", *TINY, "--workers", "2", "--out", tmp_path / "o"), "--workers > 1", "swarm")


def test_a_typo_in_workers_forks_nothing(tmp_path: Path) -> None:
    """--workers 100000 is refused before a single process starts (a few per core at most)."""
    assert_refused(("explore", *TINY, "--workers", "100000", "--out", tmp_path / "o"), "--workers 100000", "cores")


# -- 6. traces: malformed, binary, truncated -------------------------------------------------------------


def _rewrite(src: Path, dst: Path, edit: object) -> Path:
    text = src.read_text(encoding="utf-8")
    dst.write_text(edit(text) if callable(edit) else str(edit), encoding="utf-8")
    return dst


@pytest.mark.parametrize("command", ["replay", "minimize"])
def test_bad_trace_files_are_refused(command: str, violated_run: Path, tmp_path: Path) -> None:
    trace = violated_run / "traces" / "refines_spec.csv"
    text = trace.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    out = ("-o", str(tmp_path / "m.csv")) if command == "minimize" else ()
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    assert_refused((command, binary, *out), str(binary), "not a text")
    mid_row = _rewrite(trace, tmp_path / "mid_row.csv", text[: len(text) - 40])
    assert_refused((command, mid_row, *out), "truncated")
    last_rows = _rewrite(trace, tmp_path / "last_rows.csv", "".join(lines[:-2]))
    assert_refused((command, last_rows, *out), "truncated", f"{len(lines) - 2} steps")
    empty = _rewrite(trace, tmp_path / "empty.csv", "")
    assert_refused((command, empty, *out), "empty")
    header = _rewrite(trace, tmp_path / "header.csv", "a,b,c\n1,2,3\n")
    assert_refused((command, header, *out), "missing column")
    nul = tmp_path / "nul.csv"
    nul.write_bytes(text.encode() .replace(b"propose", b"pro\0pose", 1))
    assert_refused((command, nul, *out), str(nul))
    assert_refused((command, tmp_path, *out), "cannot open")
    assert_refused((command, tmp_path / "missing.csv", *out), "No such file")


def test_a_trace_saved_with_a_bom_replays(violated_run: Path, tmp_path: Path) -> None:
    # spreadsheets save UTF-8 with a byte-order mark; the trace is still the same trace
    trace = violated_run / "traces" / "refines_spec.csv"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + trace.read_bytes())
    result = paxos_check("replay", bom)
    assert result.code == 1 and "VIOLATION reproduced: refines_spec" in result.stdout, result.output


def test_trace_configuration_too_large_is_refused(violated_run: Path, tmp_path: Path) -> None:
    trace = violated_run / "traces" / "refines_spec.csv"
    rows = list(csv.reader(trace.open(encoding="utf-8")))
    header = json.loads(rows[1][-1])
    header["config"]["acceptors"] = 1000
    rows[1][-1] = json.dumps(header)
    big = tmp_path / "big.csv"
    with big.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    assert_refused(("replay", big), "largest supported", timeout=20)


# -- 7. numeric flags --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "value"), [
    ("--max-memory", "nan"), ("--max-memory", "inf"), ("--max-memory", "-5"), ("--max-memory", "0"),
    ("--time-limit", "nan"), ("--time-limit", "inf"), ("--time-limit", "-1"), ("--time-limit", "0"),
    ("--max-states", "0"), ("--max-depth", "-1"), ("--workers", "0"), ("--graph-limit", "0"),
    ("--acceptors", "0"), ("--acceptors", "two"), ("--crashes", "-1"), ("--q1", "-1"),
])
def test_numeric_flags_are_validated(flag: str, value: str, tmp_path: Path) -> None:
    assert_refused(("explore", *TINY, flag, value, "--out", tmp_path / "o"), flag)


@pytest.mark.parametrize(("command", "flag", "value"), [
    ("simulate", "--walks", "0"), ("simulate", "--walk-depth", "-3"), ("simulate", "--time-limit", "nan"),
    ("fuzz", "--examples", "0"), ("fuzz", "--steps", "-1"), ("prove", "--timeout-ms", "0"),
])
def test_numeric_flags_of_other_subcommands(command: str, flag: str, value: str) -> None:
    assert_refused((command, flag, value), flag)


@pytest.mark.parametrize("command", [("explore", *TINY), ("simulate", *TINY, "--walks", "20"),
                                     ("fuzz", *TINY, "--examples", "5")], ids=lambda c: c[0])
def test_a_time_limit_beyond_the_alarm_clock_is_no_limit(command: tuple[str, ...], tmp_path: Path) -> None:
    """A finite --time-limit longer than the platform's timer can count (1e17 s) is a limit never reached, not
    an OverflowError from setitimer (explore's --budget: tests/test_sweep.py)."""
    result = paxos_check(*command, "--time-limit", "1e17", "--out", tmp_path / "o", "--quiet", timeout=120)
    assert_no_traceback(result)
    assert result.code == 0, result.output


@pytest.mark.parametrize("command", ["simulate", "fuzz"])
def test_budget_outside_explore_says_where_it_belongs(command: str, tmp_path: Path) -> None:
    """--budget grows explore's bounds (docs/sweep.md); elsewhere it has no meaning: one line naming explore and
    what stops this command instead, not argparse's bare 'unrecognized arguments'."""
    assert_refused((command, "--budget", "60", "--out", tmp_path / "o"), f"paxos-check {command}: error: --budget",
                   "explore", "--time-limit")
    assert not (tmp_path / "o").exists()


# -- 8. Ctrl-C keeps partial results -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["explore", "simulate", "fuzz"])
def test_ctrl_c_keeps_partial_results(command: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = {"explore": ["--ballots", "2", "--crashes", "2"],
            "simulate": ["--walks", "10000000"],
            "fuzz": ["--examples", "10000000", "--seed", "3"]}[command]
    proc = subprocess.Popen([PAXOS_CHECK, command, *args, "--out", str(out), "--quiet"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # the announcement: the run has started
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # it ignored Ctrl-C: fail, but leave no run behind
            proc.kill()
            proc.wait()
    assert "Traceback" not in stdout + stderr, stdout + stderr
    assert proc.returncode == 3, stdout + stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped_by"] == "interrupted" and summary["exhaustive"] is False


# -- 10. random modes: one rule for exit codes and verdict words ----------------------------------------------


def test_simulate_exit_code_and_verdicts(tmp_path: Path) -> None:
    result = paxos_check("simulate", *TINY, "--walks", "20", "--out", tmp_path / "o", "--quiet")
    assert result.code == 0, result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    statuses = {p["name"]: p["status"] for p in summary["properties"]}
    assert statuses["agreement"] == "not_violated"
    assert "unknown" not in {s for n, s in statuses.items() if n != "sometimes_chosen"}
    assert "NOT VIOLATED in 20 walks" in result.stdout and "not a proof" in result.stdout


def test_fuzz_exit_code_and_verdicts(tmp_path: Path) -> None:
    result = paxos_check("fuzz", *TINY, "--examples", "10", "--seed", "1", "--out", tmp_path / "o", "--quiet")
    assert result.code == 0, result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    statuses = {p["name"]: p["status"] for p in summary["properties"]}
    assert statuses["agreement"] == "not_violated" and statuses["node_error"] == "not_violated"
    assert "not a proof" in result.stdout


def test_simulate_stopped_early_exits_3(tmp_path: Path) -> None:
    result = paxos_check("simulate", "--walks", "100000000", "--time-limit", "1", "--out", tmp_path / "o", "--quiet")
    assert result.code == 3, result.output
    assert "BOUNDED" in result.stdout


# -- 11. the summary says where its trace paths resolve ------------------------------------------------------


def test_summary_records_the_run_directory(violated_run: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "summary.json"
    out = tmp_path / "run"
    result = paxos_check("explore", "--impl", "paxos.bugs:own_value", "--ballots", "1", "--crashes", "0",
                         "--learners", "0", "--quiet", "--out", out, "--json", elsewhere)
    assert result.code == 1
    summary = json.loads(elsewhere.read_text())
    assert Path(summary["run_dir"]) == out.resolve()
    for p in summary["properties"]:
        if p["trace"]:
            assert (Path(summary["run_dir"]) / p["trace"]).is_file()


# -- 12. the node contract: a node whose snapshot loses state is refused -------------------------------------


@pytest.mark.parametrize("command", ["explore", "simulate", "fuzz"])
@pytest.mark.parametrize(("impl", "method"), [("snapshot_omits_learner", "snapshot"),
                                              ("restore_drops_learner", "restore")])
def test_a_node_that_loses_state_in_snapshot_is_refused(command: str, impl: str, method: str,
                                                        tmp_path: Path) -> None:
    line = refused(command, "--impl", f"tests.bad_nodes:{impl}", *TINY_LEARNER, "--out", tmp_path / "o")
    assert method in line and "step" in line and "learn" in line, line
    assert not (tmp_path / "o").exists()


def test_our_node_passes_the_contract_in_the_default_configuration(tmp_path: Path) -> None:
    result = paxos_check("simulate", "--walks", "5", "--out", tmp_path / "o", "--quiet")
    assert result.code == 0, result.output
