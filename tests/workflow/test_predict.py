"""`lrsweep predict`: a version's saved pipeline applied to raw rows of a real table."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from lrsweep.tools.cli import main
from tests.conftest import REPO, snakemake

CONFIG = {
    "sweep": "affairs",
    "experiments": {
        "affairs": {
            "dataset": {
                "source": "csv",
                "path": str(REPO / "data/affairs.csv"),
                "target": "had_affair",
            },
            "categorical": ["occupation", "occupation_husb"],
            "impute": "median",
            "positive_class": "yes",
            "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
            "standardize": True,
            "cv": {"folds": 3, "repeats": 1, "random_state": 0},
            "sklearn": {"solver": ["lbfgs", "liblinear"], "C": [0.01, 1.0]},
            "statsmodels": {"method": "newton"},
        }
    },
}


@pytest.fixture(scope="module")
def affairs(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("affairs")
    proc = snakemake(workdir, config=CONFIG)
    assert proc.returncode == 0, proc.stderr[-3000:]
    version = (workdir / "results/affairs/latest").resolve()
    table = pd.read_csv(REPO / "data/affairs.csv")
    _, test = train_test_split(table, test_size=0.25, random_state=0, stratify=table["had_affair"])
    return workdir, version, test


def predict(workdir, new, out, *choice):
    """``lrsweep predict new -o out --experiment affairs <choice>`` in the workdir."""
    return cli(workdir, "predict", str(new), "-o", str(out), "--experiment", "affairs", *choice)


def cli(workdir, *args):
    import os

    old = os.getcwd()
    os.chdir(workdir)
    try:
        return main(list(args))
    finally:
        os.chdir(old)


def test_predictions_on_the_raw_test_rows_equal_the_stored_ones(affairs, tmp_path):
    workdir, version, test = affairs
    (tmp_path / "new.csv").write_text(test.drop(columns="had_affair").to_csv(index=False))
    metrics = pd.read_csv(version / "metrics.csv")
    for model_id in metrics[metrics.library == "sklearn"].model_id:
        assert (
            predict(workdir, tmp_path / "new.csv", tmp_path / "p.csv", "--model-id", model_id) == 0
        )
        out = pd.read_csv(tmp_path / "p.csv")
        fit = version / "fits/affairs" / model_id
        pred = np.load(fit / "pred_test.npy")
        assert out["predicted"].tolist() == [["no", "yes"][i] for i in pred]
        np.testing.assert_array_equal(
            out[["p_no", "p_yes"]].to_numpy(), np.load(fit / "proba_test.npy")
        )
    # the columns of the input come back, with the predictions after them
    assert list(out.columns[:3]) == ["rate_marriage", "age", "yrs_married"]


def test_the_input_comes_back_as_it_was_written(affairs, tmp_path):
    workdir, _, _ = affairs
    lines = (REPO / "data/affairs.csv").read_text().splitlines()[:40]  # with gaps (line 16)
    assert any(",," in line for line in lines)
    (tmp_path / "new.csv").write_text("\n".join(lines) + "\n")
    assert predict(workdir, tmp_path / "new.csv", tmp_path / "p.csv", "--selected") == 0
    written = (tmp_path / "p.csv").read_text().splitlines()
    assert written[0] == lines[0] + ",predicted,p_no,p_yes"
    for old, new in zip(lines[1:], written[1:], strict=True):
        assert new.startswith(old + ",")  # 32 stays 32, a gap stays a gap


def test_selected_takes_the_leaderboards_choice(affairs, tmp_path, capsys):
    workdir, version, test = affairs
    test.to_csv(tmp_path / "new.csv", index=False)  # the target column may be there
    assert predict(workdir, tmp_path / "new.csv", tmp_path / "p.csv", "--selected") == 0
    said = capsys.readouterr().out
    board = (version / "leaderboard.md").read_text()
    row = next(line for line in board.splitlines() if line.startswith("| affairs |"))
    chosen = row.split("|")[3].strip()
    assert f"affairs/{chosen} of {version.name}" in said


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda t: t.drop(columns=["age"]).assign(agee=1), "missing 'age'; unexpected 'agee'"),
        (lambda t: t.assign(extra=1), "unexpected 'extra'"),
    ],
)
def test_columns_that_do_not_match_are_refused_by_name(affairs, tmp_path, capsys, change, fragment):
    workdir, version, test = affairs
    change(test.drop(columns="had_affair")).to_csv(tmp_path / "bad.csv", index=False)
    code = predict(workdir, tmp_path / "bad.csv", tmp_path / "p.csv", "--selected")
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert fragment in err and "the model takes: rate_marriage, age" in err
    assert not (tmp_path / "p.csv").exists()


def test_a_statsmodels_fit_or_a_tampered_model_is_refused(affairs, tmp_path, capsys):
    workdir, version, test = affairs
    test.to_csv(tmp_path / "new.csv", index=False)
    new, out = tmp_path / "new.csv", tmp_path / "p.csv"
    assert predict(workdir, new, out, "--model-id", "sm_mle_newton") == 1
    assert (
        "is a statsmodels fit: lrsweep saves scikit-learn pipelines only" in capsys.readouterr().err
    )
    assert cli(workdir, "verify") == 0
    capsys.readouterr()
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(version.parent, copy, symlinks=True)
    model = copy / version.name / "fits/affairs/sk_lbfgs_l2_C1_rs0/model.skops"
    model.unlink()  # a hard link to the store: replace it, do not edit it in place
    model.write_bytes(b"PK\x03\x04 not a model")
    code = predict(workdir, new, out, "--model-id", "sk_lbfgs_l2_C1_rs0", "--results", str(copy))
    assert code == 1 and "does not match the version's SHA256SUMS" in capsys.readouterr().err
    assert cli(workdir, "verify", "--results", str(copy)) == 1
