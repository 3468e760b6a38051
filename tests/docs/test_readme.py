"""The README's statements that can be checked by a program: its file tree against a real run,
its test command against CI's, its lock file against the pins, and its notebook example."""

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

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


def readme_code_list(text: str) -> list[str]:
    """`a, b` `c` ... -> [a, b, c]: the names in a run of inline code spans."""
    return [n.strip() for span in re.findall(r"`([^`]+)`", text) for n in span.split(",")]


@pytest.mark.slow
def test_the_metrics_columns_are_in_the_order_the_readme_gives(smoke_run):
    workdir, _ = smoke_run
    version = (workdir / "results/smoke/latest").resolve()
    header = (version / "metrics.csv").read_text().splitlines()[0].split(",")
    text = " ".join(README.split("`metrics.csv` starts with")[1].split())
    lead = readme_code_list(text.split("Then come")[0])
    assert header[: len(lead)] == lead
    last = readme_code_list(text.split("last, for statsmodels,")[1].split(".")[0])
    assert last == ["llf", "llnull", "pseudo_r2", "llr_pvalue", "aic", "bic"]
    assert header[-len(last) :] == last  # the smoke sweep has statsmodels fits
    scores = header[len(lead) : -len(last)]
    assert scores == sorted(scores) and "accuracy_test_ci_high" in scores
    assert scores.index("accuracy_test_ci_high") < scores.index("accuracy_test_ci_low")


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


@pytest.mark.slow
def test_the_figures_left_out_are_the_ones_the_readme_names(smoke_run):
    """One grid point: none of the figures over C; split: none: no gap.png (always zero)."""
    workdir, _ = smoke_run
    version = (workdir / "results/smoke/latest").resolve()
    text = " ".join(
        README.split("An experiment of one grid point gets none of the figures")[1].split()
    )
    over_c = readme_code_list(text.split("(")[1].split(")")[0])
    assert over_c == ["accuracy_vs_C", "heatmap", "gap", "coef_paths"]
    assert "not drawn for `split: none`" in " ".join(README.split())
    drawn = lambda e: {p.stem for p in (version / "figures" / e / "overview").glob("*.png")}  # noqa: E731
    assert not drawn("digits") & set(over_c) and "calibration" in drawn("digits")  # one point
    assert "gap" not in drawn("example1") and "accuracy_vs_C" in drawn("example1")  # split none
    assert "gap" in drawn("iris")
