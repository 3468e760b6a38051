"""``lrsweep export mlflow``: a version read back from MLflow equals its metrics.csv.

The end-to-end tests make a version with a real run of the workflow, export it into a SQLite
tracking store in a temporary folder and read it back with MLflow's own client; what they
expect comes from the version's files, read here with the csv module, not from the exporter.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

from lrsweep.tools.cli import main
from lrsweep.tools.mlflow_export import artifacts, row_to_run, run_key

#: The settings columns of metrics.csv, as the issue lists them: MLflow parameters.
MISSING = "lrsweep: MLflow is not installed; pip install -r requirements-mlflow.txt"
NAN = float("nan")


# --------------------------------------------------------------------------------------------
# Without MLflow


def test_row_to_run_splits_settings_scores_and_names():
    row = {
        "experiment": "iris",
        "model_id": "sk_lbfgs_l2_C0.5_it500_rs0",
        "library": "sklearn",
        "solver": "lbfgs",
        "penalty": "l2",
        "C": 0.5,
        "l1_ratio": NAN,
        "multi_class": "auto",
        "class_weight": "none",
        "status": "ok",
        "reason": NAN,
        "converged": True,
        "n_iter": 12.0,
        "fit_seconds": 0.01,
        "accuracy_train": 0.9,
        "accuracy_test": np.float64(0.8),
        "fit_intercept": True,
        "max_iter": 500.0,
        "tol": 1e-4,
        "random_state": 0.0,
        "method": NAN,
        "maxiter": None,
        "regularized": "",
        "alpha": NAN,
        "positive_class": NAN,
        "n_classes": np.int64(3),
        "cv_accuracy_mean": 0.85,
        "roc_auc_test": NAN,
    }
    params, metrics, tags = row_to_run(row, sweep="s", version="v-1", extra_tags={"x": "y"})
    assert params == {
        "library": "sklearn",
        "solver": "lbfgs",
        "penalty": "l2",
        "C": "0.5",
        "multi_class": "auto",
        "class_weight": "none",
        "fit_intercept": "True",
        "max_iter": "500",
        "tol": "0.0001",
        "random_state": "0",
    }
    assert metrics == {
        "n_iter": 12.0,
        "fit_seconds": 0.01,
        "accuracy_train": 0.9,
        "accuracy_test": 0.8,
        "n_classes": 3.0,
        "cv_accuracy_mean": 0.85,
    }
    assert all(type(v) is float for v in metrics.values())
    key = tags.pop("lrsweep.key")
    assert tags == {
        "experiment": "iris",
        "model_id": "sk_lbfgs_l2_C0.5_it500_rs0",
        "status": "ok",
        "converged": "True",
        "sweep": "s",
        "version": "v-1",
        "x": "y",
    }
    assert key == run_key("s", "v-1", "iris", "sk_lbfgs_l2_C0.5_it500_rs0")


def test_row_to_run_failed_statsmodels_row():
    row = {
        "experiment": 2024,  # a numeric-looking name is still a name
        "model_id": "sm_mle_newton",
        "library": "statsmodels",
        "solver": NAN,
        "status": "failed",
        "reason": "perfect separation",
        "converged": NAN,
        "accuracy_test": NAN,
        "method": "newton",
        "maxiter": 100.0,
        "regularized": "none",
        "positive_class": 1.0,
        "llf": -3.25,
        "aic": np.float64(10.5),
    }
    params, metrics, tags = row_to_run(row, sweep="s", version="v-2")
    assert params == {
        "library": "statsmodels",
        "method": "newton",
        "maxiter": "100",
        "regularized": "none",
        "positive_class": "1",
    }
    assert metrics == {"llf": -3.25, "aic": 10.5}
    assert tags["experiment"] == "2024" and tags["reason"] == "perfect separation"
    assert tags["status"] == "failed" and "converged" not in tags


def test_run_key_tells_versions_and_experiments_apart():
    keys = {
        run_key("s", "v-1", "iris", "a"),
        run_key("s", "v-2", "iris", "a"),
        run_key("s", "v-1", "digits", "a"),
        run_key("s", "v-1", "iris", "b"),
        run_key("t", "v-1", "iris", "a"),
    }
    assert len(keys) == 5


def test_artifacts_of_one_grid_point():
    figs = "figures/e/fits/"
    mine = ["confusion--lbfgs--l2--C1--sk_C1.png", "tutorial--lbfgs--l2--C1--sk_C1.png"]
    other = ["confusion--lbfgs--l2--C1--x_sk_C1.png", "confusion--lbfgs--l2--C1--sk_C10.png"]
    fit = "fits/e/sk_C1/"
    listed = [figs + n for n in mine + other] + [
        fit + n for n in ("model.skops", "result.json", "proba_test.npy")
    ]
    got = {(Path(p).name, folder) for p, folder in artifacts(listed, "e", "sk_C1")}
    assert got == {
        (mine[0], "figures"),
        (mine[1], "figures"),
        ("model.skops", "model"),
        ("result.json", "fit"),
    }
    assert artifacts(listed, "e", "no_such_point") == []


def test_missing_mlflow_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow raises ImportError
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["export", "mlflow"])
    assert str(exc.value) == MISSING


# --------------------------------------------------------------------------------------------
# A real version, exported and read back
