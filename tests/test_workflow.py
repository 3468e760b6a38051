"""End-to-end: real `snakemake` runs of the workflow in temporary folders."""

import filecmp
import json
import os

import pandas as pd
import pytest
from conftest import EXAMPLE1, EXAMPLE2, REPO, snakemake
from test_tutorial import DIGITS_CONFUSION

pytestmark = pytest.mark.slow


def version_dir(workdir, sweep="smoke"):
    return (workdir / "results" / sweep / "latest").resolve()


def test_smoke_run_reproduces_the_tutorial(smoke_run):
    workdir, _ = smoke_run
    out = version_dir(workdir)
    metrics = pd.read_csv(out / "metrics.csv").set_index("model_id", drop=False)
    for col in [
        "experiment",
        "model_id",
        "library",
        "solver",
        "penalty",
        "C",
        "l1_ratio",
        "multi_class",
        "class_weight",
        "status",
        "reason",
        "converged",
        "n_iter",
        "fit_seconds",
        "accuracy_train",
        "accuracy_test",
    ]:
        assert col in metrics.columns
    ex1 = metrics[metrics.experiment == "example1"]
    assert ex1.loc["sk_liblinear_l2_C1_rs0", "accuracy_train"] == 0.9
    assert ex1.loc["sk_liblinear_l2_C10_rs0", "accuracy_train"] == 1.0
    digits = metrics[metrics.experiment == "digits"].iloc[0]
    assert digits["accuracy_train"] == 0.964509394572025
    assert digits["accuracy_test"] == 0.9416666666666667

    coefs = pd.read_csv(out / "coefficients.csv")
    assert list(coefs.columns[:5]) == ["experiment", "model_id", "class", "term", "estimate"]
    ex1c = coefs[(coefs.experiment == "example1")].set_index(["model_id", "term"])["estimate"]
    assert ex1c[("sk_liblinear_l2_C1_rs0", "intercept")] == pytest.approx(-1.04608067, abs=5e-9)
    assert ex1c[("sk_liblinear_l2_C1_rs0", "x0")] == pytest.approx(0.51491375, abs=5e-9)
    assert ex1c[("sk_liblinear_l2_C10_rs0", "intercept")] == pytest.approx(-3.51335372, abs=5e-9)
    assert ex1c[("sk_liblinear_l2_C10_rs0", "x0")] == pytest.approx(1.12066084, abs=5e-9)
    ex2 = coefs[(coefs.experiment == "example2") & (coefs.model_id == "sk_liblinear_l2_C10_rs0")]
    assert ex2.estimate.tolist() == pytest.approx([-1.51632619, 0.703457], abs=5e-7)

    record = json.loads(
        (
            workdir / "results/smoke/fits/digits/sk_liblinear_l2_C0.05_mc-ovr_rs0" / "result.json"
        ).read_text()
    )
    assert record["confusion_test"] == DIGITS_CONFUSION
    assert [record["confusion_test"][i][i] for i in range(10)] == [
        27,
        32,
        33,
        28,
        29,
        39,
        43,
        39,
        33,
        36,
    ]


def test_smoke_run_tables_and_files(smoke_run):
    workdir, proc = smoke_run
    out = version_dir(workdir)
    metrics = pd.read_csv(out / "metrics.csv")
    iris = metrics[metrics.experiment == "iris"]
    assert len(iris) == 12  # 3 solvers x 2 penalties x 2 C
    skipped = iris[iris.status == "skipped"]
    assert set(skipped.solver) == {"lbfgs"} and skipped.reason.str.contains("l1 needs").all()
    assert (metrics.status != "failed").all()
    # per-fit files of one grid point
    fit = workdir / "results/smoke/fits/example1/sk_liblinear_l2_C1_rs0"
    for name in [
        "result.json",
        "coefficients.csv",
        "proba_test.npy",
        "classification_report_test.txt",
        "classification_report_train.txt",
    ]:
        assert (fit / name).is_file(), name
    board = (out / "leaderboard.md").read_text()
    assert "| digits | sk_liblinear_l2_C0.05_mc-ovr_rs0 |" in board
    assert "Leaderboard" in proc.stderr  # printed at the end of the run
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["packages"]["scikit-learn"].startswith("1.9")
    assert prov["grid_points"] == len(metrics)
    assert prov["datasets"]["digits"]["prepared"]["X_train"]
    assert {t["rule"] for t in prov["timings"]} == {"prepare", "fit"}


def test_unchanged_rerun_does_nothing(smoke_run):
    workdir, _ = smoke_run
    proc = snakemake(workdir)
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stderr + proc.stdout


def small_config(C):
    return {
        "sweep": "small",
        "experiments": {
            "example1": {**EXAMPLE1, "sklearn": {**EXAMPLE1["sklearn"], "C": C}},
            "example2": EXAMPLE2,
        },
    }


def manifest(workdir, experiment):
    return json.loads((workdir / f"results/small/fits/{experiment}/manifest.json").read_text())


def test_adding_a_C_value_fits_only_that_point_and_keeps_the_old_version(tmp_path):
    assert snakemake(tmp_path, config=small_config([1.0, 10.0])).returncode == 0
    first = version_dir(tmp_path, "small")
    snapshot = tmp_path / "snapshot"
    os.system(f"cp -a {first} {snapshot}")

    proc = snakemake(tmp_path, config=small_config([1.0, 10.0, 100.0]))
    assert proc.returncode == 0, proc.stderr[-3000:]
    second = version_dir(tmp_path, "small")
    assert second != first
    assert manifest(tmp_path, "example1")["fitted"] == ["sk_liblinear_l2_C100_rs0"]
    assert len(manifest(tmp_path, "example1")["reused"]) == 2
    assert (
        "rule prepare" not in proc.stderr
        and "rule fit:\n    input: results/small/prepared/example2" not in proc.stderr
    )
    # the earlier version is byte for byte as it was
    cmp = filecmp.dircmp(first, snapshot)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert len(pd.read_csv(second / "metrics.csv")) == 5


def test_bad_config_is_one_line_and_loses_nothing(tmp_path):
    assert snakemake(tmp_path, config=small_config([1.0])).returncode == 0
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "results").rglob("*"))
    bad = small_config([1.0])
    bad["experiments"]["example1"]["sklearn"]["C"] = -1
    proc = snakemake(tmp_path, config=bad)
    assert proc.returncode != 0
    assert "experiment 'example1': key 'sklearn.C': -1 is not allowed" in proc.stderr
    after = sorted(p.relative_to(tmp_path) for p in (tmp_path / "results").rglob("*"))
    assert before == after


def test_lint_is_clean(tmp_path):
    (tmp_path / "config.yaml").write_text((REPO / "config.yaml").read_text())
    proc = snakemake(tmp_path, "--lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Congratulations, your workflow is in a good condition!" in proc.stdout + proc.stderr
