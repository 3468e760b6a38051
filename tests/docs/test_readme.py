"""The README's statements that can be checked by a program: its file tree against a real run,
its test command against CI's, its lock file against the pins, and its notebook example."""

import re
import subprocess
import sys

from tests.conftest import REPO

README = (REPO / "README.md").read_text()


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


def test_the_files_the_readme_examples_write_are_ignored_by_git():
    written = set(re.findall(r" -o (\S+\.csv)", README))
    assert {"predictions.csv"} <= written
    for name in written | {"p.csv"}:
        proc = subprocess.run(["git", "check-ignore", "-q", name], cwd=REPO)
        assert proc.returncode == 0, f"{name} is not in .gitignore"


def test_the_affairs_example_counts_its_fits_as_the_readme_says():
    from lrsweep.config.resolve import resolve_config
    from lrsweep.config.yaml import load_yaml

    sweep = resolve_config(load_yaml(str(REPO / "config.yaml")))
    points = [p for p in sweep["grids"]["affairs"] if p["library"] == "sklearn"]
    skipped = [p for p in points if p["status"] == "skipped"]
    said = " ".join(README.split("### Worked example: a raw table")[1].split()[:120])
    fits, grid, left = re.search(
        r"chooses among (\d+) scikit-learn fits \(a grid of (\d+):.* of which the (\d+) ", said
    ).groups()
    assert (int(grid), int(left), int(fits)) == (
        len(points),
        len(skipped),
        len(points) - len(skipped),
    )
    assert {p["solver"] for p in skipped} == {"lbfgs"} and {p["penalty"] for p in skipped} == {"l1"}


def test_the_synthetic_defaults_are_as_the_readme_says():
    import inspect

    import yaml
    from sklearn.datasets import make_classification

    schema = yaml.safe_load((REPO / "lrsweep/config/config.schema.yaml").read_text())
    found = {}  # the synthetic dataset's defaults in the schema

    def walk(node):
        if isinstance(node, dict):
            if "n_redundant" in node and isinstance(node["n_redundant"], dict):
                found.update({k: v.get("default") for k, v in node.items() if isinstance(v, dict)})
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    sklearn = {k: p.default for k, p in inspect.signature(make_classification).parameters.items()}
    said = " ".join(README.split("`synthetic` (`make_classification`")[1].split())
    said = said.split("are scikit-learn's)")[0]
    text = said.split("lrsweep's defaults are")[1]
    ours, theirs = text.split("where scikit-learn's are")
    ours = dict(re.findall(r"`(\w+): ([\d.]+)`", ours))
    numbers = re.findall(r"\b(\d+|none)\b", theirs.split(",")[0] + theirs.split(",")[1])
    assert list(ours) == ["n_samples", "n_redundant", "random_state"]
    for (key, value), other in zip(ours.items(), numbers, strict=True):
        assert found[key] == int(value) != sklearn[key]
        assert sklearn[key] == (None if other == "none" else int(other))
    same = dict(re.findall(r"`(\w+): ([\d.]+)`", theirs))
    assert same and all(float(found[k]) == float(v) == float(sklearn[k]) for k, v in same.items())
