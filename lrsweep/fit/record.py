"""One grid point's fit, and the files of its store entry; with :mod:`lrsweep.score.record`, the
whole of a grid point, start to finish.

:func:`fit_point` is what the workflow's fit jobs run for every grid point (in a worker
process): the fit (:mod:`lrsweep.fit.sklearn`), its predictions and probabilities on the training
and test rows, with ``cv:`` the out-of-fold predictions of its fold fits, and for
scikit-learn the fitted model with its preprocessing as one pipeline. :func:`fit_files` turns
it into the bytes of its store entry, keyed by what changes the fitted model only;
:func:`stored_fit` reads it back, for :func:`lrsweep.score.record.score`;
:func:`lrsweep.score.record.fit_and_score` is both in one call, what a notebook calls to get
the workflow's numbers.
"""

from __future__ import annotations

import io
import json

import numpy as np

from lrsweep.config.grid import fit_settings
from lrsweep.domain import SCORED, Status
from lrsweep.store import modelfile
from lrsweep.store.entries import npy_name
from lrsweep.store.keys import dumps

# The files of a fit entry (``store/fits/<key>/``, and ``fits/<experiment>/<model_id>/`` of a
# version): this module is the only one that names them (the scores entry's are in
# :mod:`lrsweep.score.record`).
#: The fit's settings and result (:func:`fit_record`).
FIT_JSON = "fit.json"
#: The estimates, one row per class and term (:func:`coefficient_rows`).
COEFFICIENTS = "coefficients.csv"
#: Why an unexpected error happened (a fit whose job raised).
TRACEBACK = "traceback.txt"
#: The out-of-fold predictions and probabilities of the ``cv:`` fold fits.
CV_PRED, CV_PROBA = "cv_pred.npy", "cv_proba.npy"
#: statsmodels' classification table of the training rows.
PRED_TABLE = "pred_table.csv"
#: The fitted pipeline (scikit-learn fits), through :mod:`lrsweep.store.modelfile`.
MODEL = "model.skops"
#: statsmodels' ``summary()`` and ``summary2()`` texts: ``summary.txt``, ``summary2.txt``.
SUMMARIES = ("summary", "summary2")
#: A warm path's state in the entry of each of its points (:func:`path_state`): the fit's
#: estimates and, with ``cv:``, its fold fits' (splits, equations, terms), exactly as the next
#: point of the path starts from them, whether fitted in the same run or read back.
PATH_ESTIMATES, PATH_CV_ESTIMATES = "path_estimates.npy", "path_cv_estimates.npy"


#: What a fit entry's ``fit.json`` keeps of the fit's result (when the fit has it).
RESULT_KEYS = (
    "status",
    "reason",
    "converged",
    "n_iter",
    "fit_seconds",
    "multi_class",
    "tuned_threshold",
    "tuned_threshold_cv_score",
    "tuned_threshold_positive",
)
SCORED_KEYS = ("stats", "pred_table", "coef_classes", "terms")
#: The arrays of a fit entry: predictions and probabilities on the training and test rows.
ARRAYS = ("pred_train", "proba_train", "pred_test", "proba_test")


def model_pipeline(prepared, estimator):
    """The fitted estimator with the experiment's fitted preprocessing: raw rows in."""
    if prepared.preprocessor is None:
        return estimator
    from sklearn.pipeline import Pipeline

    return Pipeline([("preprocess", prepared.preprocessor), ("model", estimator)])


def fit_point(prepared, point: dict, init: dict | None = None, folds: bool = True) -> dict:
    """Fit one grid point (and, with ``cv:``, its fold fits): ``point``, ``result`` and
    ``model``. Never raises for a fit problem: a failure is ``status: failed`` with a
    one-line ``reason`` and its traceback. With ``folds=False`` the fold fits are left to the
    caller, who sets ``result["cv_fits"]`` (a fit job runs them as tasks of their own).

    A point on a warm path (``point["path"]``) starts from ``init``, the previous point's
    :func:`path_state` (None or empty: cold), its fit and each fold fit from that fold's
    (a tuned threshold's own fold fits start cold); its ``path_state`` is in ``next`` (with
    ``folds=False`` the caller makes it again once the folds are in)."""
    from lrsweep.fit.sklearn import cv_predictions, fit_grid_point

    init = (init or {}) if point.get("path") else {}
    result = fit_grid_point(prepared, point, init.get("estimates"))
    out = {"point": point, "result": result}
    if point.get("path"):
        out["next"] = EMPTY_PATH
    if result["status"] not in SCORED:
        return out
    cv = point.get("cv")
    if cv and folds:
        result["cv_fits"] = cv_predictions(
            prepared, point, cv["folds"], cv["repeats"], cv["random_state"], init.get("cv")
        )
    if point.get("path"):
        out["next"] = path_state(result)
    tune = point.get("tune_threshold")
    if tune and result.get("estimator") is not None and prepared.n_classes == 2:
        from lrsweep.fit.sklearn import tune_threshold
        from lrsweep.prepare.design import positive_index

        positive = positive_index(point["experiment"], prepared, tune.get("positive_class"))
        result.update(tune_threshold(prepared, point, positive))
    if result.get("estimator") is not None:
        out["model"] = model_pipeline(prepared, result["estimator"])
        if "tuned_threshold" in result:
            out["model"] = thresholded(out["model"], prepared, result)
    return out


def fit_path(prepared, point: dict) -> dict:
    """:func:`fit_point` of any grid point, a warm path's too, without a store: a point on a
    warm path is fitted after the points below it on its path (its family at each smaller C,
    ascending, from cold at the first), each from the one before, so a notebook gets the
    workflow's numbers for it."""
    path = point.get("path")
    state = None
    for c in (path or {}).get("before", []):
        state = fit_point(prepared, {**point, "C": c}, state).get("next")
    return fit_point(prepared, point, state)


#: The state of a warm path after a point without estimates (a failed fit): the next starts
#: cold.
EMPTY_PATH = {"estimates": None, "cv": None}


def path_state(result: dict) -> dict:
    """What the next point of a warm path starts from after a fit's ``result``: its
    ``estimates`` and, with ``cv:``, its fold fits' (``cv``), as float64 arrays (None when
    absent), the same values that the entry stores (:data:`PATH_ESTIMATES`)."""
    if result["status"] not in SCORED or result.get("estimates") is None:
        return EMPTY_PATH
    cv = (result.get("cv_fits") or {}).get("estimates")
    return {
        "estimates": np.asarray(result["estimates"], dtype=float),
        "cv": None if cv is None else np.asarray(cv, dtype=float),
    }


def stored_path_state(entry) -> dict:
    """A warm path point's :func:`path_state`, read back from its fit entry (checked reads)."""
    names = entry.names()
    return {
        "estimates": entry.load_npy(PATH_ESTIMATES) if PATH_ESTIMATES in names else None,
        "cv": entry.load_npy(PATH_CV_ESTIMATES) if PATH_CV_ESTIMATES in names else None,
    }


def thresholded(model, prepared, result: dict):
    """A fitted two-class model that predicts at its tuned threshold (scikit-learn's
    ``FixedThresholdClassifier`` around the frozen fitted pipeline): what ``model.skops``
    holds, so that ``lrsweep predict`` applies the threshold."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import FixedThresholdClassifier

    X = prepared.X_train if prepared.raw_train is None else prepared.raw_train
    return FixedThresholdClassifier(
        FrozenEstimator(model),
        threshold=result["tuned_threshold"],
        pos_label=result["tuned_threshold_positive"],
        response_method="predict_proba",
    ).fit(X, prepared.y_train)


def coefficient_rows(result: dict, class_names: dict) -> list[dict]:
    """The estimates, class by class (the fit's; their standard errors, intervals and odds
    ratios are scores, :func:`lrsweep.score.record.inference`)."""
    rows = []
    for i, cls in enumerate(result["coef_classes"]):
        for j, term in enumerate(result["terms"]):
            row = {"class": cls, "term": term, "estimate": float(result["estimates"][i][j])}
            row["class_name"] = class_names.get(cls, str(cls))
            rows.append(row)
    return rows


def fit_record(fitted: dict, prepared) -> dict:
    """What ``fit.json`` holds: the fit's settings, status, convergence and tables."""
    point, result = fitted["point"], fitted["result"]
    record = {
        "model_id": point["model_id"],
        **fit_settings(point),
        "classes": prepared.classes,
        "class_names": prepared.class_names,
        **{k: result[k] for k in RESULT_KEYS if k in result},
    }
    if result["status"] in SCORED:
        record.update({k: result[k] for k in SCORED_KEYS if k in result})
    cv = result.get("cv_fits")
    if cv:
        record["cv_fits"] = {"status": cv["status"], "reason": cv.get("reason", "")}
    if point.get("path"):
        record["path"] = point["path"]
    return record


def fit_files(fitted: dict, prepared) -> dict[str, bytes]:
    """The files of a fit's store entry, as bytes (what scoring it needs, and the model)."""
    import pandas as pd

    from lrsweep.store.entries import npy_bytes

    result = fitted["result"]
    files = {FIT_JSON: dumps(fit_record(fitted, prepared)).encode()}
    if result.get("traceback"):
        files[TRACEBACK] = result["traceback"].encode()
    if result["status"] not in SCORED:
        return files
    names = dict(zip(prepared.classes, prepared.class_names, strict=True))
    files[COEFFICIENTS] = pd.DataFrame(coefficient_rows(result, names)).to_csv(index=False).encode()
    for name in ARRAYS:
        dtype = np.int64 if name.startswith("pred") else float
        files[npy_name(name)] = npy_bytes(np.asarray(result[name], dtype=dtype))
    cv = result.get("cv_fits")
    if cv and cv["status"] == Status.OK:
        files[CV_PRED] = npy_bytes(np.asarray(cv["pred"], dtype=np.int64))
        files[CV_PROBA] = npy_bytes(np.asarray(cv["proba"], dtype=float))
    for name in SUMMARIES:
        if name in result:
            files[f"{name}.txt"] = result[name].encode()
    if "pred_table" in result:
        files[PRED_TABLE] = pd.DataFrame(result["pred_table"]).to_csv(index=False).encode()
    if fitted.get("model") is not None:
        files[MODEL] = modelfile.dumps(fitted["model"])
    state = fitted.get("next") or EMPTY_PATH
    for name, array in ((PATH_ESTIMATES, state["estimates"]), (PATH_CV_ESTIMATES, state["cv"])):
        if array is not None:
            files[name] = npy_bytes(array)
    return files


def stored_fit(entry, point: dict) -> dict:
    """A fit entry read back as :func:`fit_point` made it (``point``: the grid point with its
    scoring settings), for :func:`lrsweep.score.record.score`; the model itself is not loaded."""
    record = json.loads(entry.read_text(FIT_JSON))
    result = {k: record[k] for k in (*RESULT_KEYS, *SCORED_KEYS) if k in record}
    if result["status"] in SCORED:
        for name in ARRAYS:
            result[name] = entry.load_npy(npy_name(name))
        if "terms" in record and COEFFICIENTS in entry.names():
            estimates = read_coefficients(entry)["estimate"].to_numpy(dtype=float)
            result["estimates"] = estimates.reshape(len(record["coef_classes"]), -1)
        cv = record.get("cv_fits")
        if cv:
            result["cv_fits"] = dict(cv)
            if cv["status"] == Status.OK:
                result["cv_fits"]["pred"] = entry.load_npy(CV_PRED)
                result["cv_fits"]["proba"] = entry.load_npy(CV_PROBA)
    return {"point": point, "result": result}


def read_fit_record(entry) -> dict:
    return json.loads(entry.read_text(FIT_JSON))


def read_coefficients(entry, name: str = COEFFICIENTS):
    """A table of an entry (``coefficients.csv``, or a scores entry's ``inference.csv`` and
    ``marginal_effects.csv``)."""
    import pandas as pd

    return pd.read_csv(io.BytesIO(entry.read_bytes(name)))
