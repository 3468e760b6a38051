"""End-to-end: real `snakemake` runs of the workflow in temporary folders."""

import filecmp
import json
import os
import shlex
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import EXAMPLE1, EXAMPLE2, REPO, snakemake, snakemake_cmd
from tests.integration.test_tutorial import DIGITS_CONFUSION


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
    assert list(ex1.model_id) == ["sk_liblinear_l2_C1_rs0", "sk_liblinear_l2_C10_rs0"]
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
        (out / "fits/digits/sk_liblinear_l2_C0.05_mc-ovr_rs0" / "result.json").read_text()
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
    fit = out / "fits/example1/sk_liblinear_l2_C1_rs0"
    for name in [
        "result.json",
        "coefficients.csv",
        "proba_test.npy",
        "classification_report_test.txt",
        "classification_report_train.txt",
        "model.skops",
    ]:
        assert (fit / name).is_file(), name
    board = (out / "leaderboard.md").read_text()
    assert "| digits | test (optimistic) | sk_liblinear_l2_C0.05_mc-ovr_rs0 |" in board
    assert "| example1 | all rows (optimistic) |" in board  # split: none has no test rows
    assert "`selected_by: all rows (optimistic)`: `split: none`" in board
    assert "Leaderboard" in proc.stderr  # printed at the end of the run
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["packages"]["scikit-learn"].startswith("1.9")
    assert prov["grid_points"] == len(metrics)
    assert prov["datasets"]["digits"]["prepared_checksums"]["X_train.npy"]
    assert {t["rule"] for t in prov["timings"]} == {"fit"}
    assert prov["computed_with"]["digits/sk_liblinear_l2_C0.05_mc-ovr_rs0"]["scikit-learn"]


def png_shape(path):
    from matplotlib.image import imread

    return imread(path).shape


def ink(path) -> tuple[float, int]:
    """What a PNG has drawn: the share of its pixels that are not white, and how many colours
    it uses (a blank or one-colour image has next to none of either)."""
    from PIL import Image

    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    return float((pixels < 245).any(axis=1).mean()), len(np.unique(pixels, axis=0))


FIGURES = {
    "iris/overview": [
        "accuracy_vs_C.png",
        "heatmap.png",
        "gap.png",
        "coef_paths.png",
        "calibration.png",
    ],
    "example1/overview": ["roc.png", "accuracy_vs_C.png", "precision_recall.png"],
    "example1/fits": [
        "confusion--liblinear--l2--C1--sk_liblinear_l2_C1_rs0.png",
        "tutorial--liblinear--l2--C10--sk_liblinear_l2_C10_rs0.png",
    ],
    "example2/fits": [
        "statsmodels--newton--none--Cinf--sm_mle_newton.png",
        "tutorial--newton--none--Cinf--sm_mle_newton.png",
    ],
    "digits/fits": ["confusion--liblinear--l2--C0.05--sk_liblinear_l2_C0.05_mc-ovr_rs0.png"],
    "synthetic/overview": ["roc.png", "coef_paths.png"],
}


def test_every_kind_of_figure_is_drawn(smoke_run):
    workdir, _ = smoke_run
    figures = version_dir(workdir) / "figures"
    for folder, names in FIGURES.items():
        for name in names:
            h, w, _ = png_shape(figures / folder / name)
            assert 250 <= h <= 2500 and 350 <= w <= 2500, (folder, name, h, w)
            # drawn, not blank: axes, text and data in more than a few colours (anti-aliased
            # text alone gives dozens; a figure with lines, fills or cells gives hundreds)
            inked, colours = ink(figures / folder / name)
            assert inked >= 0.02 and colours >= 50, (folder, name, inked, colours)
    # a confusion matrix for every fitted grid point, and none for skipped ones
    metrics = pd.read_csv(version_dir(workdir) / "metrics.csv")
    for experiment, group in metrics.groupby("experiment"):
        drawn = list((figures / experiment / "fits").glob("confusion--*.png"))
        assert len(drawn) == (group.status == "ok").sum()
    h, w, _ = png_shape(figures / "digits/fits" / FIGURES["digits/fits"][0])
    assert min(h, w) >= 600  # a 10 x 10 matrix stays readable


def test_statsmodels_rows_and_agreement(smoke_run):
    workdir, _ = smoke_run
    out = version_dir(workdir)
    metrics = pd.read_csv(out / "metrics.csv").set_index(["experiment", "model_id"])
    row = metrics.loc[("example2", "sm_mle_newton")]
    assert row["library"] == "statsmodels" and row["n_iter"] == 7
    assert row["llf"] == pytest.approx(-3.5047, abs=5e-5)
    assert row["pseudo_r2"] == pytest.approx(0.4263, abs=5e-5)
    assert row["aic"] == pytest.approx(11.0094, abs=5e-5)
    coefs = pd.read_csv(out / "coefficients.csv")
    sm = coefs[(coefs.experiment == "example2") & (coefs.model_id == "sm_mle_newton")]
    assert sm.std_err.tolist() == pytest.approx([1.737, 0.528], abs=5e-4)
    assert set(["z", "p_value", "ci_low", "ci_high"]) <= set(coefs.columns)
    fit = out / "fits/example2/sm_mle_newton"
    assert "LLR p-value:                   0.02248" in (fit / "summary.txt").read_text()
    assert (fit / "pred_table.csv").read_text().splitlines()[1:] == ["2,1", "1,6"]
    agreement = pd.read_csv(out / "agreement.csv")
    [row] = agreement.itertuples()
    assert row.experiment == "synthetic" and row.max_abs_coef_diff <= 1e-4
    assert row.llf_sklearn == pytest.approx(row.llf_statsmodels, abs=1e-6)


def test_failed_points_are_listed_and_the_run_exits_nonzero(tmp_path):
    config = {
        "sweep": "fails",
        "experiments": {
            "example1": {**EXAMPLE1, "statsmodels": {"method": "newton"}},
            "example2": EXAMPLE2,
        },
    }
    proc = snakemake(tmp_path, config=config)
    assert proc.returncode != 0
    assert "1 grid point(s) FAILED" in proc.stderr
    assert "| example1 | sm_mle_newton | perfect separation:" in proc.stderr
    metrics = pd.read_csv(version_dir(tmp_path, "fails") / "metrics.csv")
    failed = metrics[metrics.status == "failed"]
    assert failed.model_id.tolist() == ["sm_mle_newton"]
    assert (metrics.status == "ok").sum() == 4  # every other fit went on
    # the two small experiments share a fit job, named after them
    [log] = (tmp_path / "results/fails/logs/fit").glob("example1+example2-*.log")
    assert "Traceback" in log.read_text() and "PerfectSeparation" in log.read_text()


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


def fit_tokens(workdir, sweep):
    """The tokens of the fit jobs run so far, newest last."""
    paths = sorted(
        (workdir / f"results/{sweep}/store/jobs/fit").glob("*.json"), key=os.path.getmtime
    )
    return [json.loads(p.read_text()) for p in paths]


def job_tokens(workdir, sweep, rule):
    return sorted((workdir / f"results/{sweep}/store/jobs/{rule}").glob("*.json"))


def jobs_since(workdir, sweep, before) -> list[dict]:
    """The tokens of the fit jobs that ran since ``before`` (the token files then)."""
    return [json.loads(t.read_text()) for t in job_tokens(workdir, sweep, "fit") if t not in before]


SCORING = {
    "sweep": "scoring",
    "figures": False,
    "experiments": {
        "example2": EXAMPLE2,
        "synth": {
            "dataset": {
                "source": "synthetic",
                "n_samples": 300,
                "n_features": 3,
                "n_informative": 2,
                "random_state": 0,
            },
            "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
            "standardize": True,
            "cv": {"folds": 3, "repeats": 2, "random_state": 0},
            "sklearn": {"C": [0.1, 1.0], "random_state": 0},
        },
    },
}


def test_a_setting_that_only_scores_refits_nothing(tmp_path):
    """bootstrap and positive_class only score: changing them makes a new version whose
    scores come from the stored fits (and stored CV predictions): the fit jobs that run fit
    nothing and make no new fit entry; a changed C still fits its point."""
    from sklearn.metrics import average_precision_score, recall_score

    store = tmp_path / "results/scoring/store"
    proc = snakemake(tmp_path, config=SCORING)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first = pd.read_csv(version_dir(tmp_path, "scoring") / "metrics.csv")
    fits = set(os.listdir(store / "fits"))
    fit_jobs = job_tokens(tmp_path, "scoring", "fit")
    assert len(fits) == 4 and first["roc_auc_test_ci_low"].notna().all()

    proc = snakemake(tmp_path, "--config", "bootstrap={resamples: 0}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "0 of 4 grid points to fit (4 in the store)" in proc.stderr
    assert "changed since" in proc.stderr and "bootstrap.resamples" in proc.stderr
    assert set(os.listdir(store / "fits")) == fits  # no fit entry made
    ran = jobs_since(tmp_path, "scoring", fit_jobs)
    assert len(ran) == 1 and ran[0]["fitted"] == []  # the job ran, fitting nothing
    assert len(ran[0]["scored"]) == 4 and len(ran[0]["reused"]) == 4  # it scored every fit
    second = pd.read_csv(version_dir(tmp_path, "scoring") / "metrics.csv")
    intervals = ["roc_auc_test_ci_low", "roc_auc_test_ci_high"]
    assert second[intervals].isna().all().all()  # no resamples: no bootstrap interval
    # everything else is as it was, the fit times too: read from the same stored fits
    pd.testing.assert_frame_equal(first.drop(columns=intervals), second.drop(columns=intervals))

    other = {**SCORING["experiments"]["synth"], "positive_class": 0}
    config = {**SCORING, "experiments": {**SCORING["experiments"], "synth": other}}
    proc = snakemake(tmp_path, config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "0 of 4 grid points to fit (4 in the store)" in proc.stderr
    assert set(os.listdir(store / "fits")) == fits
    assert all(t["fitted"] == [] for t in jobs_since(tmp_path, "scoring", fit_jobs))
    version = version_dir(tmp_path, "scoring")
    third = pd.read_csv(version / "metrics.csv").set_index("model_id")
    keys = json.loads((version / "provenance.json").read_text())["keys"]["synth"]
    y_test = np.load(store / "prepared" / keys["prepared"] / "y_test.npy")
    for model_id in ("sk_lbfgs_l2_C0.1_rs0", "sk_lbfgs_l2_C1_rs0"):
        # an independent computation on the stored predictions, with class 0 as positive
        fit = version / "fits/synth" / model_id
        pred, proba = np.load(fit / "pred_test.npy"), np.load(fit / "proba_test.npy")
        row = third.loc[model_id]
        assert row["positive_class"] == 0
        assert row["sensitivity_test"] == pytest.approx(recall_score(y_test, pred, pos_label=0))
        assert row["specificity_test"] == pytest.approx(recall_score(y_test, pred, pos_label=1))
        expected = average_precision_score(y_test == 0, proba[:, 0])
        assert row["average_precision_test"] == pytest.approx(expected)
        before = first.set_index("model_id").loc[model_id]
        assert row["sensitivity_test"] == pytest.approx(before["specificity_test"])
        assert row["cv_accuracy_mean"] == before["cv_accuracy_mean"]  # from the stored folds

    grown = {**SCORING["experiments"]["synth"], "sklearn": {"C": [0.1, 1.0, 10.0]}}
    config = {**SCORING, "experiments": {**SCORING["experiments"], "synth": grown}}
    proc = snakemake(tmp_path, config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 of 5 grid points to fit (4 in the store)" in proc.stderr
    assert len(set(os.listdir(store / "fits")) - fits) == 1


def test_changing_the_selection_metric_refits_nothing_and_the_leaderboard_follows(tmp_path):
    """select only scores and selects: a new metric makes a new version from the stored fits
    (its fit job fits nothing, no fit entry is made), and its leaderboard, cv_selection.csv and
    metrics.csv say which metric chose; the choice is the best mean CV log-loss
    (lower is better)."""
    store = tmp_path / "results/scoring/store"
    grid = {**SCORING["experiments"]["synth"], "sklearn": {"C": [0.001, 0.1, 10.0]}}
    config = {**SCORING, "experiments": {"synth": grid}}
    proc = snakemake(tmp_path, config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    fits = set(os.listdir(store / "fits"))
    fit_jobs = job_tokens(tmp_path, "scoring", "fit")
    board = (version_dir(tmp_path, "scoring") / "leaderboard.md").read_text()
    assert "| select_metric |" in board and "| accuracy |" in board

    chosen = {**grid, "select": {"metric": "log_loss"}}
    proc = snakemake(tmp_path, config={**SCORING, "experiments": {"synth": chosen}})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "0 of 3 grid points to fit (3 in the store)" in proc.stderr
    assert set(os.listdir(store / "fits")) == fits
    assert all(t["fitted"] == [] for t in jobs_since(tmp_path, "scoring", fit_jobs))
    version = version_dir(tmp_path, "scoring")
    metrics = pd.read_csv(version / "metrics.csv")
    assert (metrics["select_metric"] == "log_loss").all()
    lowest = metrics.loc[metrics["cv_log_loss_mean"].idxmin(), "model_id"]
    board = (version / "leaderboard.md").read_text()
    line = next(line for line in board.splitlines() if line.startswith("| synth |"))
    assert f"| {lowest} |" in line and "| log_loss |" in line
    assert (pd.read_csv(version / "cv_selection.csv")["metric"] == "log_loss").all()


def test_adding_a_C_value_fits_only_that_point_and_keeps_the_old_version(tmp_path, capsys):
    assert snakemake(tmp_path, config=small_config([1.0, 10.0])).returncode == 0
    first = version_dir(tmp_path, "small")
    snapshot = tmp_path / "snapshot"
    shutil.copytree(first, snapshot, symlinks=True)
    store = tmp_path / "results/small/store"
    figures_before = {kind: set(os.listdir(store / kind)) for kind in ("fitfigs", "figures")}

    proc = snakemake(tmp_path, config=small_config([1.0, 10.0, 100.0]))
    assert proc.returncode == 0, proc.stderr[-3000:]
    second = version_dir(tmp_path, "small")
    assert second != first
    token = fit_tokens(tmp_path, "small")[-1]
    assert token["fitted"] == ["sk_liblinear_l2_C100_rs0"]
    # the other points, example2's included, come from the store
    assert len(token["reused"]) == 4
    # and so do their figures: one new per-fit set, and example1's overview only
    drawn = {k: set(os.listdir(store / k)) - figures_before[k] for k in figures_before}
    assert len(drawn["fitfigs"]) == 1 and len(drawn["figures"]) == 1
    [log] = [
        p
        for p in (tmp_path / "results/small/logs/fit").glob("*.log")
        if p.stat().st_mtime > first.stat().st_mtime
    ]
    assert "example1: overview figures drawn" in log.read_text()
    assert "example2: overview figures drawn" not in log.read_text()
    for name in ("example2/overview/accuracy_vs_C.png", "example2/fits"):
        a, b = first / "figures" / name, second / "figures" / name
        if a.is_file():
            assert a.read_bytes() == b.read_bytes()  # the same bytes: taken, not drawn again
        else:
            assert sorted(os.listdir(a)) == sorted(os.listdir(b))
    # the earlier version is byte for byte as it was
    cmp = filecmp.dircmp(first, snapshot)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert len(pd.read_csv(second / "metrics.csv")) == 5

    # the README's commands, as copied: versions, and compare by position
    from lrsweep.tools.cli import main

    os.chdir(tmp_path)  # the sweep config.yaml names: found without --results
    try:
        assert main(["versions"]) == 0
        listing = capsys.readouterr().out.splitlines()
        assert listing[0].split("|")[1:4] == [" name ", " pointed at (UTC) ", " version "]
        assert [line.split("|")[3].strip() for line in listing[2:]] == [second.name, first.name]
        assert listing[2].startswith("| latest |") and listing[3].startswith("| latest~1 |")
        assert "| config.yaml | 5 | 0 |" in listing[2] and "| config.yaml | 4 | 0 |" in listing[3]
        assert main(["compare", "latest~1", "latest", "--out", str(tmp_path / "cmp")]) == 0
        assert capsys.readouterr().out.startswith(
            f"{first.name} -> {second.name}: 1 added, 0 removed, 0 changed, 4 unchanged"
        )
        assert main(["compare", "latest~2", "latest"]) == 1
        # a reader that stops at once (`| true`, or `| head`): no traceback, the files written
        cli = f"{shlex.quote(sys.executable)} -m lrsweep.tools.cli"
        piped = subprocess.run(
            f"set -o pipefail; {cli} compare latest~1 latest --out cmp_piped | true",
            shell=True,
            executable="/bin/bash",
            capture_output=True,
            text=True,
        )
        assert (piped.returncode, piped.stderr) == (141, "")
        assert (tmp_path / "cmp_piped/comparison.csv").is_file()
        assert "latest~2: results/small has only 1 version(s) before the latest" in (
            capsys.readouterr().err
        )
    finally:
        os.chdir(REPO)
    table = pd.read_csv(tmp_path / "cmp/comparison.csv")
    assert table.set_index("model_id")["change"]["sk_liblinear_l2_C100_rs0"] == "added"
    assert (table.change == "unchanged").sum() == 4
    assert png_shape(tmp_path / "cmp/comparison.png")[0] > 200


def test_bad_config_is_one_line_and_loses_nothing(tmp_path):
    assert snakemake(tmp_path, config=small_config([1.0])).returncode == 0
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "results").rglob("*"))
    bad = small_config([1.0])
    bad["experiments"]["example1"]["sklearn"]["C"] = -1
    proc = snakemake(tmp_path, config=bad)
    assert proc.returncode != 0
    assert "experiment 'example1': key 'sklearn.C': -1 is not allowed" in proc.stderr
    # one line, Snakemake's wrapping ("WorkflowError in file ...", a traceback line) left out
    said = [line for line in proc.stderr.splitlines() if not line.startswith("Using workflow")]
    assert len(said) == 1 and said[0].startswith("lrsweep: "), proc.stderr
    after = sorted(p.relative_to(tmp_path) for p in (tmp_path / "results").rglob("*"))
    assert before == after


def test_lint_is_clean(tmp_path):
    (tmp_path / "config.yaml").write_text((REPO / "config.yaml").read_text())
    shutil.copytree(REPO / "data", tmp_path / "data")
    proc = snakemake(tmp_path, "--lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Congratulations, your workflow is in a good condition!" in proc.stdout + proc.stderr


def test_data_error_is_one_line_and_other_experiments_still_fit(tmp_path):
    """Data errors that only the job can see (they need the split, or an inline dataset's
    labels) stop their experiment; the others are fitted and kept. (A csv file's errors that
    need no split stop the run while planning: test_a_data_error_stops_the_run_while_planning.)"""
    (tmp_path / "data").mkdir()
    pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "outcome": ["x"] * 5 + ["y"]}).to_csv(
        tmp_path / "data/one.csv", index=False
    )
    one_class = {"source": "inline", "x": [[1.0], [2.0], [3.0]], "y": ["x", "x", "x"]}
    config = {
        "sweep": "bad",
        "experiments": {
            "example1": EXAMPLE1,
            # a csv file gets a fit job of its own; this one shares example1's job
            "inline": {"dataset": one_class, "split": "none"},
            "mydata": {
                "dataset": {"source": "csv", "path": "data/one.csv", "target": "outcome"},
                "split": {"test_size": 0.5, "random_state": 0, "stratify": True},
            },
        },
    }
    proc = snakemake(tmp_path, config=config)
    assert proc.returncode != 0
    assert (
        "lrsweep: experiment 'inline': key 'dataset.target': the target has a single class"
    ) in proc.stderr
    assert (
        "lrsweep: experiment 'mydata': key 'split.stratify': class 'y' (1 row) too small for a "
        "stratified split"
    ) in proc.stderr
    fits = list((tmp_path / "results/bad/store/fits").iterdir())
    assert len(fits) == 2  # the good experiment's two fits went on and are kept
    # the terminal gets one line per problem and where the details are, not the traceback
    assert "Traceback" not in proc.stderr
    said = [line for line in proc.stderr.splitlines() if line.startswith("lrsweep: experiment")]
    assert len(said) == 2 and "(details: results/bad/logs/fit/" in said[-1]
    assert not list((tmp_path / "results/bad").glob("v-*"))  # no version short of experiments
    # the bad experiments taken out, the good one's fits come from the store
    del config["experiments"]["inline"], config["experiments"]["mydata"]
    proc = snakemake(tmp_path, config=config)
    assert proc.returncode == 0 and ": 0 of 2 grid points to fit (2 in the store)" in proc.stderr


def test_missing_data_file_is_refused_before_any_job(tmp_path):
    config = {
        "sweep": "bad",
        "experiments": {
            "mydata": {"dataset": {"source": "csv", "path": "data/nope.csv", "target": "y"}}
        },
    }
    proc = snakemake(tmp_path, config=config)
    assert proc.returncode != 0
    assert "experiment 'mydata': key 'dataset.path': file not found: data/nope.csv" in proc.stderr
    assert not (tmp_path / "results").exists()


def spawn_snakemake(workdir, cores="2"):
    """A snakemake run in the background (its own process group, so it can be killed whole)."""
    import subprocess

    return subprocess.Popen(
        snakemake_cmd(workdir, cores=cores),
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_config():
    grid = {
        "solver": ["saga", "lbfgs", "liblinear"],
        "C": [0.01, 0.1, 1.0, 10.0],
        "max_iter": 300,
        "random_state": 0,
    }
    return {
        "sweep": "kill",
        "experiments": {
            name: {
                "dataset": {"source": "sklearn", "name": name},
                "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
                "standardize": True,
                "sklearn": grid,
            }
            for name in ("digits", "breast_cancer", "wine")
        },
    }


def test_killed_run_completes_on_rerun_with_the_same_results(tmp_path):
    import signal
    import time

    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "config.yaml").write_text(yaml.safe_dump(kill_config(), sort_keys=False))
    proc = spawn_snakemake(killed)
    fits = killed / "results/kill/store/fits"
    deadline = time.time() + 300
    while time.time() < deadline and len(list(fits.glob("*/MANIFEST.json"))) < 3:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(fits.glob("*/MANIFEST.json")))
    assert 3 <= done_before < 36, "the kill must land mid-sweep"
    assert not (killed / "results/kill/latest").exists()

    # Snakemake's lock outlives a SIGKILL: the README says to unlock, then rerun
    assert snakemake(killed, "--unlock").returncode == 0
    rerun = snakemake(killed)
    assert rerun.returncode == 0, rerun.stderr[-3000:]

    clean = tmp_path / "clean"
    assert snakemake(clean, config=kill_config()).returncode == 0
    a = pd.read_csv(version_dir(killed, "kill") / "metrics.csv").drop(columns=["fit_seconds"])
    b = pd.read_csv(version_dir(clean, "kill") / "metrics.csv").drop(columns=["fit_seconds"])
    pd.testing.assert_frame_equal(a, b)
    coef_a = (version_dir(killed, "kill") / "coefficients.csv").read_text()
    assert coef_a == (version_dir(clean, "kill") / "coefficients.csv").read_text()
    # nothing half-written was taken: no temporary is left, every entry reads back whole
    assert not list(fits.glob(".*"))


def test_second_invocation_is_refused_by_the_lock(tmp_path):
    import time

    (tmp_path / "config.yaml").write_text(yaml.safe_dump(kill_config()))
    first = spawn_snakemake(tmp_path, cores="1")
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list((tmp_path / ".snakemake/locks").glob("*")):
            time.sleep(0.2)
        second = snakemake(tmp_path)
        assert second.returncode != 0
        assert "Directory cannot be locked" in second.stderr
    finally:
        first.terminate()
        first.wait()


def test_intervals_comparisons_and_cross_validation(smoke_run):
    workdir, _ = smoke_run
    out = version_dir(workdir)
    metrics = pd.read_csv(out / "metrics.csv")
    ok = metrics[metrics.status == "ok"]
    for name in ("accuracy_test", "roc_auc_test"):
        low, high = ok[f"{name}_ci_low"], ok[f"{name}_ci_high"]
        assert (low <= ok[name] + 1e-12).all() and (ok[name] <= high + 1e-12).all()
    digits = ok[ok.experiment == "digits"].iloc[0]
    assert 0.90 < digits["accuracy_test_ci_low"] < 0.9416 < digits["accuracy_test_ci_high"] < 0.97

    comparisons = pd.read_csv(out / "comparisons.csv")
    iris = comparisons[comparisons.experiment == "iris"]
    candidates = ok[(ok.experiment == "iris") & ok.converged]
    assert len(iris) == len(candidates) - 1  # every candidate but the selected one
    assert (iris.p_holm >= iris.p_value).all()
    board = (out / "leaderboard.md").read_text()
    assert "n_not_worse" in board and "## Not significantly worse than the selected fit" in board

    # cross-validation on the training rows of iris only
    iris_ok = ok[ok.experiment == "iris"]
    assert iris_ok.cv_accuracy_mean.notna().all() and (iris_ok.cv_folds == 3).all()
    assert (iris_ok.cv_repeats == 2).all()
    assert ok[ok.experiment == "digits"].cv_accuracy_mean.isna().all()
    selection = pd.read_csv(out / "cv_selection.csv")
    assert set(selection.experiment) == {"iris"}
    assert set(selection.C_best_mean) <= {0.1, 1.0} and set(selection.C_one_se) <= {0.1, 1.0}


def test_dropped_rows_and_unconverged_fits_are_counted_where_people_read(tmp_path):
    """Issue #28: the rows dropna dropped were only in the fit log, and the summary's "ok"
    counted fits that did not converge. Now summary.txt, provenance.json and report.html say
    both."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    frame["y"] = (frame["a"] + rng.normal(size=60) > 0).astype(int)
    frame.loc[[3, 7, 11], "b"] = np.nan
    tmp_path.mkdir(exist_ok=True)
    frame.to_csv(tmp_path / "d.csv", index=False)
    config = {
        "sweep": "dr",
        "figures": False,
        "experiments": {
            "gaps": {
                "dataset": {"source": "csv", "path": "d.csv", "target": "y", "dropna": True},
                "sklearn": {"solver": "lbfgs", "C": [0.1, 1.0], "max_iter": [1, 100]},
            }
        },
    }
    proc = snakemake(tmp_path, config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = version_dir(tmp_path, "dr")
    metrics = pd.read_csv(out / "metrics.csv")
    unconverged = int((~metrics["converged"].astype(bool)).sum())
    assert unconverged == 2  # max_iter 1 (lbfgs stops short of the optimum)
    summary = (out / "summary.txt").read_text()
    assert f"grid points: 4 ok ({unconverged} not converged), 0 skipped, 0 failed" in summary
    assert "experiment 'gaps': dropna dropped 3 rows with a gap or an infinite value" in summary
    assert summary in proc.stderr  # what was printed
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["datasets"]["gaps"]["dropped_rows"] == 3
    page = (out / "report.html").read_text()
    assert "4 ok (2 not converged)" in page and "dropna dropped 3 rows" in page


DATA_ERRORS = {
    # (file contents, dataset settings, the start of the one line)
    "missing column": (
        "a,b,y\n1,2,0\n2,3,1\n3,4,0\n4,5,1\n",
        {"target": "y", "features": ["a", "c"]},
        "lrsweep: experiment 'e': key 'dataset.features': column(s) 'c' not in d.csv",
    ),
    "wrong target": (
        "a,b,y\n1,2,0\n2,3,1\n3,4,0\n4,5,1\n",
        {"target": "a"},
        "lrsweep: experiment 'e': key 'dataset.target': the target has 4 distinct values in 4 rows",
    ),
    "text in a numeric column": (
        "a,b,y\n1,2,0\n2,x,1\n3,4,0\n4,5,1\n",
        {"target": "y"},
        "lrsweep: experiment 'e': key 'dataset.features': column 'b' holds text ('x' on line 3 "
        "of the file)",
    ),
    "gaps without impute": (
        "a,b,y\n1,2,0\n2,,1\n3,4,0\n4,5,1\n",
        {"target": "y"},
        "lrsweep: experiment 'e': key 'dataset': NaN or missing values (b: 1)",
    ),
}


@pytest.mark.parametrize("case", list(DATA_ERRORS))
@pytest.mark.parametrize("dry", [True, False])
def test_a_data_error_stops_the_run_while_planning(tmp_path, case, dry):
    """Issue #28: a data error that the file alone shows was found only in the fit job (a dry
    run said "25 of 25 grid points to fit"; the run printed the line and 14 lines of
    Snakemake's exceptions). Now planning finds it: one line, exit 1, no job."""
    text, dataset, line = DATA_ERRORS[case]
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "d.csv").write_text(text)
    config = {
        "sweep": "de",
        "experiments": {
            "e": {
                "dataset": {"source": "csv", "path": "d.csv", **dataset},
                "split": "none",
                "sklearn": {"C": [0.1, 1.0]},
            }
        },
    }
    proc = snakemake(tmp_path, *(["-n"] if dry else []), config=config)
    assert proc.returncode == 1, proc.stderr[-2000:]
    lines = [s for s in proc.stderr.splitlines() if not s.startswith("Using workflow")]
    assert len(lines) == 1 and lines[0].startswith(line), proc.stderr[-2000:]
    assert "grid points to fit" not in proc.stderr
    assert not (tmp_path / "results/de/store/prepared").exists()  # no job ran
    assert not (tmp_path / "results/de/logs").exists()
