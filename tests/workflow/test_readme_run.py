"""The README's statements checked against a real run of the smoke sweep: its file tree, the
metrics columns' order, the figures left out."""

import re

from tests.docs.test_readme import README


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


def readme_code_list(text: str) -> list[str]:
    """`a, b` `c` ... -> [a, b, c]: the names in a run of inline code spans."""
    return [n.strip() for span in re.findall(r"`([^`]+)`", text) for n in span.split(",")]


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
