"""``lrsweep export mlflow`` of a real version: read back from MLflow it equals its
metrics.csv, figures and models are artifacts, exporting again adds nothing, a version is a
parent run."""

import contextlib
import csv
import filecmp
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrsweep.tools.cli import main
from tests.conftest import EXAMPLE1, EXAMPLE2, snakemake

SETTINGS = (
    "library",
    "solver",
    "penalty",
    "C",
    "l1_ratio",
    "multi_class",
    "class_weight",
    "fit_intercept",
    "max_iter",
    "tol",
    "random_state",
    "method",
    "maxiter",
    "regularized",
    "alpha",
    "positive_class",
)


SWEEP = "mlflow_demo"


IRIS = {
    "dataset": {"source": "sklearn", "name": "iris"},
    "cv": {"folds": 3, "repeats": 1, "random_state": 0},
    "split": {"test_size": 0.3, "random_state": 1, "stratify": True},
    "standardize": True,
    "sklearn": {
        "solver": ["lbfgs", "liblinear"],
        "penalty": ["l1", "l2"],  # lbfgs + l1 is a skipped grid point
        "C": [1.0],
        "max_iter": 500,
        "random_state": 0,
    },
}


def export(*args) -> tuple[int, int]:
    """Run ``lrsweep export mlflow`` in this process; (runs created, runs already there)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["export", "mlflow", *args]) == 0
    found = re.search(r"^(\d+) runs created, (\d+) already existed", out.getvalue(), re.M)
    assert found, out.getvalue()
    return int(found[1]), int(found[2])


def as_number(text: str):
    try:
        return float(text)
    except ValueError:
        return None


def all_runs(client, experiment_id, kind="grid point"):
    """The grid points' runs (nested in their version's), or with ``kind="version"`` the
    parent runs."""
    runs = client.search_runs([experiment_id], max_results=1000)
    assert not runs.token
    parents = [r for r in runs if r.data.tags.get("lrsweep.kind") == "version"]
    return parents if kind == "version" else [r for r in runs if r not in parents]


def artifact_files(client, run_id, path=None) -> list[str]:
    out = []
    for item in client.list_artifacts(run_id, path):
        out += artifact_files(client, run_id, item.path) if item.is_dir else [item.path]
    return out


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A version of a small sweep (the tutorial's two examples and an iris grid), exported
    once with the defaults of ``--results`` and ``--version`` into a SQLite store."""
    pytest.importorskip("mlflow")
    workdir = tmp_path_factory.mktemp("mlflow")
    config = {"sweep": SWEEP, "experiments": {"example1": EXAMPLE1, "example2": EXAMPLE2}}
    config["experiments"]["iris"] = IRIS
    proc = snakemake(workdir, config=config)
    assert proc.returncode == 0, proc.stderr[-4000:]
    version = (workdir / "results" / SWEEP / "latest").resolve()
    with open(version / "metrics.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(workdir)  # the only results/<sweep>; MLflow's ./mlruns goes here too
        mp.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        counts = export("--tracking-uri", uri)
    return workdir, version, rows, uri, counts


def test_one_run_per_row_with_its_params_metrics_and_tags(exported):
    from mlflow.tracking import MlflowClient

    _, version, rows, uri, counts = exported
    assert counts == (len(rows), 0) and len(rows) == 8
    sweep = json.loads((version / "provenance.json").read_text())["sweep"]
    assert sweep == version.parent.name == SWEEP
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(sweep)
    runs = all_runs(client, experiment.experiment_id)
    assert len(runs) == len(rows)
    by_point = {(r.data.tags["experiment"], r.data.tags["model_id"]): r for r in runs}
    assert len(by_point) == len(rows)
    statuses = set()
    for row in rows:
        run = by_point[(row["experiment"], row["model_id"])]
        assert run.info.status == "FINISHED"
        expected = {k: row[k] for k in SETTINGS if row[k] != ""}
        assert run.data.params.keys() == expected.keys(), row["model_id"]
        for name, text in expected.items():
            if as_number(text) is None:
                assert run.data.params[name] == text
            else:
                assert float(run.data.params[name]) == float(text), name
        numbers = {k: as_number(v) for k, v in row.items() if k not in SETTINGS and v != ""}
        expected = {k: v for k, v in numbers.items() if v is not None and not math.isnan(v)}
        assert run.data.metrics == pytest.approx(expected, rel=1e-12, abs=0), row["model_id"]
        tags = run.data.tags
        assert tags["version"] == version.name
        for name in ("experiment", "model_id", "status"):
            assert tags[name] == row[name]
        assert tags.get("reason", "") == row["reason"]
        statuses.add(row["status"])
    assert statuses == {"ok", "skipped"}
    assert any("llf" in r.data.metrics and "aic" in r.data.metrics for r in runs)  # statsmodels
    assert any("cv_accuracy_mean" in r.data.metrics for r in runs)


def test_figures_and_models_are_artifacts(exported, tmp_path):
    from mlflow.tracking import MlflowClient

    _, version, rows, uri, _ = exported
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(SWEEP)
    runs = {
        (r.data.tags["experiment"], r.data.tags["model_id"]): r
        for r in all_runs(client, experiment.experiment_id)
    }
    models = 0
    for row in rows:
        exp, model_id = row["experiment"], row["model_id"]
        run = runs[(exp, model_id)]
        files = artifact_files(client, run.info.run_id)
        names = [f.rsplit("/", 1)[-1] for f in files]
        confusion = sorted(
            (version / "figures" / exp / "fits").glob(f"confusion--*--{model_id}.png")
        )
        if row["status"] == "ok":
            assert len(confusion) == 1, model_id
            assert confusion[0].name in names
            local = client.download_artifacts(
                run.info.run_id, files[names.index(confusion[0].name)], str(tmp_path)
            )
            assert filecmp.cmp(local, confusion[0], shallow=False)
        else:
            assert not any(n.startswith("confusion--") for n in names)
        model = version / "fits" / exp / model_id / "model.skops"
        assert ("model.skops" in names) == model.is_file(), model_id
        if model.is_file():
            models += 1
            local = client.download_artifacts(
                run.info.run_id, files[names.index("model.skops")], str(tmp_path / model_id)
            )
            assert filecmp.cmp(local, model, shallow=False)
    assert models >= 5  # not vacuous: every ok scikit-learn fit has one


def test_exporting_again_creates_no_runs(exported, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    workdir, version, rows, _, _ = exported
    uri = f"sqlite:///{tmp_path / 'again.db'}"
    monkeypatch.chdir(tmp_path)  # no results/ here: --results names it
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    args = ["--tracking-uri", uri, "--results", str(workdir / "results" / SWEEP)]
    assert export(*args) == (len(rows), 0)
    assert export(*args, "--version", version.name) == (0, len(rows))
    assert export(*args, "--version", "latest~0") == (0, len(rows))  # the README's latest~N
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["export", "mlflow", *args, "--version", "latest~1"]) == 1
    assert err.getvalue().strip().endswith("has only 0 version(s) before the latest")
    client = MlflowClient(tracking_uri=uri)
    experiment_id = client.get_experiment_by_name(SWEEP).experiment_id
    runs = all_runs(client, experiment_id)
    assert len(runs) == len(rows)

    # An export killed half-way leaves a run RUNNING: the next export makes it again.
    interrupted = runs[0]
    client.update_run(interrupted.info.run_id, status="RUNNING")
    assert export(*args) == (1, len(rows) - 1)
    runs = all_runs(client, experiment_id)
    assert len(runs) == len(rows)
    assert all(r.info.status == "FINISHED" for r in runs)
    point = [interrupted.data.tags[k] for k in ("experiment", "model_id")]
    again = [r for r in runs if [r.data.tags[k] for k in ("experiment", "model_id")] == point]
    assert [r.data.params for r in again] == [interrupted.data.params]


def leaderboard_choices(version) -> dict:
    """experiment -> selected model_id, read from leaderboard.md's table."""
    lines = (version / "leaderboard.md").read_text().split("\n## ")[0].splitlines()
    head = next(line for line in lines if line.startswith("| experiment"))
    columns = [c.strip() for c in head.strip("|").split("|")]
    out = {}
    for line in lines:
        if line.startswith("| ") and line != head and not line.startswith("|---"):
            cells = dict(zip(columns, (c.strip() for c in line.strip("|").split("|")), strict=True))
            out[cells["experiment"]] = cells["model_id"]
    return out


def test_a_version_is_a_parent_run_and_the_selected_fits_are_tagged_and_load(exported, tmp_path):
    """Issue #28: one parent run per version, a nested run per grid point, the selected fit of
    each experiment tagged lrsweep.selected = true, and its pipeline an MLflow model that
    mlflow.pyfunc.load_model loads and that predicts what `lrsweep predict` writes."""
    import mlflow
    import pandas as pd
    from mlflow.tracking import MlflowClient

    workdir, version, rows, uri, _ = exported
    client = MlflowClient(tracking_uri=uri)
    experiment_id = client.get_experiment_by_name(SWEEP).experiment_id
    (parent,) = all_runs(client, experiment_id, kind="version")
    assert parent.info.run_name == version.name and parent.info.status == "FINISHED"
    runs = all_runs(client, experiment_id)
    assert {r.data.tags["mlflow.parentRunId"] for r in runs} == {parent.info.run_id}
    nested = client.search_runs(
        [experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert len(nested) == len(rows)
    chosen = leaderboard_choices(version)
    assert set(chosen) == {"example1", "example2", "iris"}
    selected = client.search_runs([experiment_id], filter_string="tags.`lrsweep.selected` = 'true'")
    assert {r.data.tags["experiment"]: r.data.tags["model_id"] for r in selected} == chosen
    keys = json.loads((version / "provenance.json").read_text())["keys"]
    for r in runs:
        tags = r.data.tags
        assert tags["lrsweep.fit_key"] == keys[tags["experiment"]]["fits"][tags["model_id"]]

    iris = next(r for r in selected if r.data.tags["experiment"] == "iris")
    assert chosen["iris"].startswith("sk_")
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model(f"runs:/{iris.info.run_id}/model")
    from sklearn.datasets import load_iris

    data = load_iris(as_frame=True).frame.drop(columns="target").head(30)
    features = json.loads((version / "provenance.json").read_text())["datasets"]["iris"]
    data.columns = features["features"]
    data.to_csv(tmp_path / "rows.csv", index=False)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lrsweep.tools.cli",
            "predict",
            "--results",
            str(version.parent),
            "--experiment",
            "iris",
            "--selected",
            str(tmp_path / "rows.csv"),
            "-o",
            str(tmp_path / "p.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    expected = pd.read_csv(tmp_path / "p.csv")
    got = model.predict(pd.read_csv(tmp_path / "rows.csv"))
    assert list(got.columns) == list(expected.columns)
    assert list(got["predicted"]) == list(expected["predicted"])
    probabilities = [c for c in expected.columns if c.startswith("p_")]
    assert len(probabilities) == 3
    assert np.allclose(got[probabilities], expected[probabilities], rtol=1e-12, atol=1e-15)
    # a model from code around the skops file: no pickle of the estimator among its files
    files = artifact_files(client, iris.info.run_id)
    local = Path(mlflow.artifacts.download_artifacts(f"runs:/{iris.info.run_id}/model"))
    stored = [p.name for p in local.rglob("*") if p.is_file()]
    assert "model.skops" in stored and not [n for n in stored if n.endswith((".pkl", ".pickle"))]
    # lrsweep's code goes with it, the whole package (what the model imports to load)
    code = {p.relative_to(local).as_posix() for p in local.rglob("*.py")}
    assert {"code/lrsweep/store/modelfile.py", "code/lrsweep/tools/predict.py"} <= code, code
    assert "model.skops" in [f.rsplit("/", 1)[-1] for f in files]
    statsmodels = next(r for r in selected if r.data.tags["experiment"] == "example2")
    assert chosen["example2"].startswith("sm_")  # no scikit-learn pipeline: no model
    assert not client.list_artifacts(statsmodels.info.run_id, "model")
