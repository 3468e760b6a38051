"""The fit job's body: forked workers and one process alike, reuse from the store, data errors
stopping only their experiment, and a damaged store repaired by the next job."""

import json
import logging

import numpy as np
import pytest

from lrsweep.errors import DataError, LrsweepError
from lrsweep.store.entries import Store
from lrsweep.workflow.jobs import run_fit_job
from lrsweep.workflow.plan import pack_jobs
from tests.conftest import planned

LOG = logging.getLogger("test")

WINE = {
    "dataset": {"source": "sklearn", "name": "wine"},
    "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
    "standardize": True,
    # max_iter 3 stops most fits early: their ConvergenceWarning must be recorded by the
    # worker that fitted them, not by a neighbour
    "sklearn": {"solver": ["lbfgs", "saga"], "C": [0.01, 1.0, 100.0], "max_iter": [3, 500]},
}


def fit_params(experiments, **top):
    """A pack job's parameters, the store marked as the Snakefile marks it."""
    plan = planned(experiments, **top)
    [job] = pack_jobs(plan)
    Store(plan.store).mark()
    return job.params


def test_a_job_that_cannot_see_the_store_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    [job] = pack_jobs(planned({"wine": WINE}))  # planned elsewhere: no store here
    with pytest.raises(LrsweepError) as raised:
        run_fit_job(job.params, 1, LOG)
    assert str(raised.value).startswith("results/t/store is not visible on this machine")
    assert "shared by every node" in str(raised.value) and "\n" not in str(raised.value)


def records(store_root, params):
    out = {}
    for spec in params["experiments"].values():
        for p in spec["points"]:
            record = json.loads((store_root / "fits" / p["key"] / "fit.json").read_text())
            record.pop("fit_seconds")
            out[p["model_id"]] = record
    return out


def test_forked_workers_and_one_process_store_the_same_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    params = fit_params({"wine": WINE}, figures=False)
    token = run_fit_job(params, 2, LOG)
    assert len(token["fitted"]) == 12 and token["workers"] == 2
    parallel = records(tmp_path / "results/t/store", params)
    converged = [r["converged"] for r in parallel.values()]
    assert True in converged and False in converged

    monkeypatch.chdir(tmp_path / "results")  # a second store, filled by one process
    Store(params["store"]).mark()
    token = run_fit_job(params, 1, LOG)
    assert len(token["fitted"]) == 12
    assert records(tmp_path / "results/results/t/store", params) == parallel

    again = run_fit_job(params, 2, LOG)
    assert again["fitted"] == [] and len(again["reused"]) == 12


def test_a_data_error_stops_only_its_experiment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    one_class = {"source": "inline", "x": [[1.0], [2.0], [3.0]], "y": ["x", "x", "x"]}
    good = {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"C": [0.1, 1.0]}}
    params = fit_params(
        {
            "bad": {"dataset": one_class, "split": "none"},
            "good": good,
            "also_bad": {"dataset": one_class, "split": "none"},
        }
    )
    with pytest.raises(DataError) as raised:
        run_fit_job(params, 1, LOG)
    lines = f"lrsweep: {raised.value}".splitlines()
    assert [line.split("'")[1] for line in lines] == ["bad", "also_bad"]
    assert all("key 'dataset.target': the target has a single class" in x for x in lines)
    for p in params["experiments"]["good"]["points"]:  # the good experiment was kept
        assert (tmp_path / "results/t/store/fits" / p["key"] / "MANIFEST.json").is_file()


def test_an_unexpected_error_is_one_line_beside_the_data_errors(tmp_path, monkeypatch):
    import lrsweep.workflow.store_access

    monkeypatch.chdir(tmp_path)
    one_class = {"source": "inline", "x": [[1.0], [2.0], [3.0]], "y": ["x", "x", "x"]}
    good = {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"C": [0.1, 1.0]}}
    params = fit_params({"bad": {"dataset": one_class, "split": "none"}, "good": good})
    compute_fit = lrsweep.workflow.store_access.compute_fit

    def broken(store, prepared, point, init=None):  # a bug hit by one grid point
        if point["C"] == 1.0:
            raise IndexError("single positional indexer is out-of-bounds")
        return compute_fit(store, prepared, point, init)

    monkeypatch.setattr(lrsweep.workflow.store_access, "compute_fit", broken)
    with pytest.raises(DataError) as raised:
        run_fit_job(params, 1, LOG)
    first, second = str(raised.value).split("\nlrsweep: ")
    assert first.startswith("experiment 'bad': key 'dataset.target'")  # not hidden by the bug
    assert second == (
        "experiment 'good' (sk_lbfgs_l2_C1_rs0): unexpected error: IndexError: single "
        "positional indexer is out-of-bounds (traceback in the log)"
    )


@pytest.mark.parametrize(
    ("target", "damage"),
    [
        ("fits", "fit.json"),
        ("fits", "pred_test.npy"),
        ("prepared", "X_train.npy"),
        ("prepared", "meta.json"),
    ],
)
def test_a_damaged_store_is_repaired_with_one_warning(
    tmp_path, monkeypatch, capsys, target, damage
):
    monkeypatch.chdir(tmp_path)
    iris = {
        "dataset": {"source": "sklearn", "name": "iris"},
        "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
        "standardize": True,
        "sklearn": {"C": [0.1, 1.0]},
    }
    params = fit_params({"iris": iris})
    run_fit_job(params, 1, LOG)
    clean = records(tmp_path / "results/t/store", params)
    spec = params["experiments"]["iris"]
    key = spec["prepared"] if target == "prepared" else spec["points"][0]["key"]
    path = tmp_path / "results/t/store" / target / key / damage
    data = bytearray(path.read_bytes())
    data[-3] = (data[-3] + 1) % 256  # one byte changed, the size kept
    path.write_bytes(bytes(data))
    capsys.readouterr()

    token = run_fit_job(params, 1, LOG)
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1, err
    assert "experiment 'iris'" in warnings[0] and damage in warnings[0]
    assert "recomputing it" in warnings[0]
    # prepared again, the data is the same: its fits stay valid; a damaged fit is fitted again
    assert token["fitted"] == ([] if target == "prepared" else [spec["points"][0]["model_id"]])
    assert records(tmp_path / "results/t/store", params) == clean


def test_the_saved_pipeline_reproduces_the_stored_predictions(tmp_path, monkeypatch):
    """A saved model takes raw rows: applied to the raw test rows it gives the stored
    predictions and probabilities exactly."""
    import pandas as pd
    from sklearn.model_selection import train_test_split

    from lrsweep.store.modelfile import load as skops_load

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    n = 300
    table = pd.DataFrame(
        {
            "age": np.where(rng.random(n) < 0.1, np.nan, rng.integers(20, 70, n).astype(float)),
            "job": rng.choice(["teacher", "nurse", "farmer"], n),
            "y": rng.choice(["no", "yes"], n),
        }
    )
    table.to_csv(tmp_path / "people.csv", index=False)
    exp = {
        "dataset": {"source": "csv", "path": "people.csv", "target": "y"},
        "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
        "standardize": True,
        "categorical": ["job"],
        "impute": "mean",
        "sklearn": {"solver": ["lbfgs", "liblinear"], "C": [0.1, 1.0]},
    }
    params = fit_params({"people": exp})
    run_fit_job(params, 1, LOG)
    _, test = train_test_split(table, test_size=0.25, random_state=0, stratify=table["y"])
    for p in params["experiments"]["people"]["points"]:
        folder = tmp_path / "results/t/store/fits" / p["key"]
        model = skops_load((folder / "model.skops").read_bytes(), "model")
        raw = test[["age", "job"]]
        np.testing.assert_array_equal(model.predict(raw), np.load(folder / "pred_test.npy"))
        np.testing.assert_array_equal(model.predict_proba(raw), np.load(folder / "proba_test.npy"))


CANCER = {
    "dataset": {"source": "sklearn", "name": "breast_cancer"},
    "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
    "standardize": True,
    "cv": {"folds": 3, "repeats": 2, "random_state": 0},
    "sklearn": {"C": [0.1, 1.0], "random_state": 0},
}


def test_a_fit_job_scores_from_the_stored_fits_and_a_score_change_fits_nothing(
    tmp_path, monkeypatch
):
    """The fit job scores every point from its stored fit (CV points after their parts,
    from the stored fold predictions): the same numbers as fitting and scoring in one call;
    run again it computes nothing; with another positive class it fits nothing, and its
    scores are scikit-learn's on the stored predictions."""
    from sklearn.metrics import average_precision_score, recall_score

    from lrsweep.score.record import fit_and_score, record_of
    from lrsweep.workflow.plan import Jobs
    from lrsweep.workflow.store_access import prepared_data

    monkeypatch.chdir(tmp_path)
    store = tmp_path / "results/t/store"
    plan = planned({"c": CANCER})
    Store(plan.store).mark()
    jobs = Jobs(plan)
    [fit] = jobs.fits("pack")
    token = run_fit_job(fit.params, 1, LOG)
    assert len(token["fitted"]) == 2 and len(token["scored"]) == 2
    again = run_fit_job(fit.params, 1, LOG)
    assert again["fitted"] == [] and again["scored"] == [] and len(again["reused"]) == 2
    prepared = prepared_data(Store(plan.store), "c", fit.params["experiments"]["c"])
    for point in plan.experiments["c"]["points"]:
        stored = json.loads((store / "scores" / point["score_key"] / "result.json").read_text())
        direct = record_of(fit_and_score(prepared, point), prepared)
        stored.pop("fit_seconds"), direct.pop("fit_seconds")
        assert json.loads(json.dumps(direct)) == stored
        assert np.isfinite(stored["scores"]["cv_accuracy_mean"])

    other = planned({"c": {**CANCER, "positive_class": 0}})
    [fit2] = Jobs(other).fits("pack")
    assert fit2.key != fit.key
    fits = sorted(p.name for p in (store / "fits").iterdir())
    token = run_fit_job(fit2.params, 1, LOG)
    assert token["fitted"] == [] and len(token["scored"]) == 2
    assert sorted(p.name for p in (store / "fits").iterdir()) == fits
    y_test = np.asarray(prepared.y_test)
    for point in other.experiments["c"]["points"]:
        scores = json.loads((store / "scores" / point["score_key"] / "result.json").read_text())[
            "scores"
        ]
        fitted = store / "fits" / point["key"]
        pred, proba = np.load(fitted / "pred_test.npy"), np.load(fitted / "proba_test.npy")
        assert scores["sensitivity_test"] == pytest.approx(recall_score(y_test, pred, pos_label=0))
        assert scores["average_precision_test"] == pytest.approx(
            average_precision_score(y_test == 0, proba[:, 0])
        )


def test_cross_validated_points_fitted_in_parts_store_the_sequential_numbers(
    tmp_path, monkeypatch, caplog
):
    """Two workers cut each cross-validated point into its final fit and one task per fold;
    the stored out-of-fold predictions are those of the folds fitted one after another."""
    from lrsweep.fit.sklearn import cv_predictions
    from lrsweep.workflow.store_access import prepared_data

    monkeypatch.chdir(tmp_path)
    params = fit_params({"c": CANCER}, figures=False)
    with caplog.at_level(logging.INFO, logger="test"):
        token = run_fit_job(params, 2, LOG)
    assert len(token["fitted"]) == 2 and token["workers"] == 2
    assert "2 grid point(s) as 14 task(s) in 2 workers" in caplog.text  # 1 + 3 x 2 each
    spec = params["experiments"]["c"]
    prepared = prepared_data(Store(params["store"]), "c", spec)
    for point in spec["points"]:
        folder = tmp_path / "results/t/store/fits" / point["key"]
        direct = cv_predictions(prepared, point, 3, 2, 0)
        np.testing.assert_array_equal(np.load(folder / "cv_pred.npy"), direct["pred"])
        np.testing.assert_array_equal(np.load(folder / "cv_proba.npy"), direct["proba"])


def test_points_fitted_in_parts_are_scored_and_drawn_before_their_overview(
    tmp_path, monkeypatch, caplog
):
    """With figures on, a cross-validated point cut into parts is scored (and its figures
    drawn) once its parts are stored, and its experiment's overview is drawn after every
    point's scores, in the same job: nothing is left for the publish job to draw."""
    monkeypatch.chdir(tmp_path)
    params = fit_params({"c": CANCER})
    with caplog.at_level(logging.INFO, logger="test"):
        token = run_fit_job(params, 2, LOG)
    assert len(token["fitted"]) == 2 and len(token["scored"]) == 2
    assert "failed" not in caplog.text and "unexpected" not in caplog.text
    assert "c: overview figures drawn" in caplog.text
    store = Store(params["store"])
    spec = params["experiments"]["c"]
    assert store.has("figures", spec["overview"])
    for point in spec["points"]:
        assert store.has("scores", point["score_key"]) and store.has("fitfigs", point["figkey"])


def test_the_first_fold_that_is_not_ok_ends_the_cross_validation():
    """Folds fitted apart are combined as if fitted in order: the first fold fit that is not
    ok (in the order of the splits, not of finishing) names the status and reason."""
    from types import SimpleNamespace

    from lrsweep.fit.sklearn import cv_combine

    prepared = SimpleNamespace(y_train=np.zeros(4), n_classes=2)
    splits = [(None, np.array([0, 1])), (None, np.array([2, 3]))] * 2
    ok = {"status": "ok", "pred": np.array([1, 0]), "proba": np.full((2, 2), 0.5)}
    fits = [ok, {"status": "failed", "reason": "first"}, {"status": "skipped"}, ok]
    assert cv_combine(prepared, splits, 2, fits) == {"status": "failed", "reason": "first"}
    combined = cv_combine(prepared, splits, 2, [ok] * 4)
    assert combined["pred"].tolist() == [[1, 0, 1, 0], [1, 0, 1, 0]]
    assert combined["proba"].shape == (2, 4, 2)
