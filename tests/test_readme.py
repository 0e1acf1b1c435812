"""The README stays a short front page: two commands first, the second exactly what CI runs, links that resolve."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"
DOC_PAGES = sorted((ROOT / "docs").glob("*.md"))


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def _commands(line: str) -> list[list[str]]:
    """`a && b && c` as argument lists (quotes removed, as a shell would)."""
    return [shlex.split(part) for part in line.split("&&")]


def test_readme_is_at_most_200_lines() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def test_readme_starts_with_the_two_commands() -> None:
    """After the title, nothing but the two commands: one runs the default check, one the tests."""
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# ")
    head = [ln for ln in lines[1:12] if ln.strip()][:6]
    assert head[0] == head[3] == "```bash" and head[2] == head[5] == "```", head
    run, test = head[1], head[4]
    assert _commands(run)[-1] == ["paxos-check"]
    assert _commands(test)[-1] == ["python", "-m", "pytest"]
    for line in (run, test):
        assert _commands(line)[:2] == [["python3", "-m", "venv", ".venv"], [".", ".venv/bin/activate"]]


def test_readme_test_command_is_what_ci_runs() -> None:
    """The README's second command installs what CI installs and runs exactly CI's test command."""
    test = _code_blocks(README.read_text(encoding="utf-8"))[1].strip()
    install, pytest_cmd = _commands(test)[2], _commands(test)[-1]
    script = CI.read_text(encoding="utf-8").replace("\\\n", " ")  # join continued lines
    ci_lines = [shlex.split(ln, comments=True) for ln in script.splitlines()]
    ci_installs = [ln for ln in ci_lines if "install" in ln and "-e" in ln]
    assert ci_installs and ci_installs[0][-1] == install[-1], (ci_installs, install)
    assert pytest_cmd in ci_lines, "CI must run the README's test command as one line"
    assert ["python", "-m", "pytest", "-m", "slow"] in [ln[:5] for ln in ci_lines], "CI runs the slow tests too"


def test_readme_and_docs_links_resolve() -> None:
    for page in [README, *DOC_PAGES]:
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for page in DOC_PAGES:
        assert f"(docs/{page.name})" in text, f"docs/{page.name} is not linked from the README"
