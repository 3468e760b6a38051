"""The README's statements that can be checked by a program: its file tree against a real run,
its test command against CI's, its lock file against the pins, and its notebook example."""

import re
import subprocess
import sys

import pytest
from conftest import REPO

README = (REPO / "README.md").read_text()


def tree_entries() -> list[tuple[int, str]]:
    """(depth, name) of each entry of the README's tree of a run's results."""
    block = README.split("<!-- tree")[1].split("<!-- /tree -->")[0]
    lines = block.split("```")[1].splitlines()[1:]
    out = []
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent > 8:
            continue  # a continuation of the description above
        out.append((indent // 2, line.split()[0]))
    return out


def matching(folder, pattern: str) -> list:
    """The children of ``folder`` that a README name (with placeholders) stands for."""
    found = [folder]
    for part in pattern.rstrip("/").split("/"):
        regex = re.escape(part)
        for placeholder, rx in (
            ("<version>", "v-[0-9a-f]{10}"),
            ("<sweep>", ".+"),
            ("<experiment>", ".+"),
            ("<model_id>", ".+"),
        ):
            regex = regex.replace(re.escape(placeholder), rx)
        found = [c for f in found if f.is_dir() for c in f.iterdir() if re.fullmatch(regex, c.name)]
    return found


@pytest.mark.slow
def test_the_readme_tree_is_the_tree_of_a_real_run(smoke_run):
    workdir, _ = smoke_run
    entries = tree_entries()
    assert entries[0] == (0, "results/<sweep>/")
    sweep = workdir / "results/smoke"
    version = (sweep / "latest").resolve()
    parents = {0: [workdir]}
    for depth, name in entries:
        base = parents[depth]
        found = [m for b in base for m in matching(b, name)]
        assert found, f"README lists {name!r}, which a real run does not make"
        parents[depth + 1] = found
    # and every file or folder a run makes is in the README
    listed_top = {name.rstrip("/").split("/")[0] for d, name in entries if d == 1}
    for child in sweep.iterdir():
        name = "<version>" if re.fullmatch("v-[0-9a-f]{10}", child.name) else child.name
        assert name in listed_top, f"a run makes results/<sweep>/{child.name}, not in the README"
    listed_version = {name.rstrip("/").split("/")[0] for d, name in entries if d == 2}
    for child in version.iterdir():
        assert child.name in listed_version, f"a version holds {child.name}, not in the README"


def test_the_readme_test_command_is_what_ci_runs():
    command = README.split("Run the test suite")[1].split("```bash\n")[1].split("\n```")[0]
    ci = (REPO / ".ci/run").read_text()
    assert command in ci.split("# --- begin README test command ---")[1]


def test_the_lock_file_holds_every_pin():
    pins = [
        line
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    ]
    lock = (REPO / "requirements.lock").read_text().lower().splitlines()
    assert pins and all(pin.lower() in lock for pin in pins), set(pins) - set(lock)


def test_the_notebook_example_gives_the_tutorials_number(tmp_path):
    code = README.split("a notebook gets the workflow's numbers:")[1].split("```python\n")[1]
    code = code.split("```")[0]
    expected = code.strip().splitlines()[-1].split("# ")[1]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected
