"""One grid point, start to finish: fit, score, and the files its store entry holds.

:func:`fit_and_score` is what the workflow runs for every grid point (in a worker process of
a fit job) and what a notebook calls to get the same numbers. Everything it computes is in its
result: the fit (:mod:`lrsweep.models`), the scores on training and test rows
(:mod:`lrsweep.metrics`), the test intervals and cross-validation scores
(:mod:`lrsweep.inference`), and for scikit-learn the fitted model with its preprocessing as
one pipeline. :func:`entry_files` turns it into the bytes of its store entry.
"""

from __future__ import annotations

import io
import json

import numpy as np

from lrsweep import modelfile
from lrsweep.grid import settings
from lrsweep.keys import dumps
from lrsweep.preprocess import positive_index

#: Statuses whose fits have scores (a ``separated`` fit predicts, but its estimates do not
#: exist: it is reported and never selected).
SCORED = ("ok", "separated")


def model_pipeline(prepared, estimator):
    """The fitted estimator with the experiment's fitted preprocessing: raw rows in."""
    if prepared.preprocessor is None:
        return estimator
    from sklearn.pipeline import Pipeline

    return Pipeline([("preprocess", prepared.preprocessor), ("model", estimator)])


def fit_and_score(prepared, point: dict) -> dict:
    """Fit one grid point and compute everything reported about it (see the module
    docstring). Never raises for a fit problem: a failure is ``status: failed`` with a
    one-line ``reason`` and its traceback."""
    from lrsweep.inference import cv_scores, score_intervals
    from lrsweep.metrics import evaluate
    from lrsweep.models import fit_grid_point

    positive = positive_index(point["experiment"], prepared, point.get("positive_class"))
    result = fit_grid_point(prepared, point)
    out = {"point": point, "result": result, "positive": positive}
    if result["status"] not in SCORED:
        return out
    out["evaluation"] = evaluate(prepared, result, positive)
    boot = point.get("bootstrap") or {}
    extras = score_intervals(
        prepared.y_test,
        result["pred_test"],
        result["proba_test"],
        boot.get("resamples", 0),
        boot.get("random_state", 0),
    )
    cv = point.get("cv")
    if cv:
        extras.update(
            cv_scores(prepared, point, cv["folds"], cv["repeats"], cv["random_state"], positive)
        )
    out["extras"] = extras
    if result.get("estimator") is not None:
        out["model"] = model_pipeline(prepared, result["estimator"])
    return out


def coefficient_rows(result: dict, class_names: dict) -> list[dict]:
    rows = []
    inference = result.get("inference") or {}
    for i, cls in enumerate(result["coef_classes"]):
        for j, term in enumerate(result["terms"]):
            row = {"class": cls, "term": term, "estimate": float(result["estimates"][i][j])}
            for name, values in inference.items():
                row[name] = float(np.asarray(values)[i][j])
            row["class_name"] = class_names.get(cls, str(cls))
            rows.append(row)
    return rows


def record_of(fitted: dict, prepared) -> dict:
    """What ``result.json`` holds: settings, status, scores and the tables of one fit."""
    from lrsweep.metrics import flat_scores

    point, result = fitted["point"], fitted["result"]
    record = {
        "model_id": point["model_id"],
        **settings(point),
        "status": result["status"],
        "reason": result.get("reason", ""),
        "converged": result.get("converged"),
        "n_iter": result.get("n_iter"),
        "fit_seconds": result.get("fit_seconds"),
        "classes": prepared.classes,
        "class_names": prepared.class_names,
        "positive_class": prepared.classes[fitted["positive"]] if prepared.n_classes == 2 else None,
    }
    if "multi_class" in result:
        record["multi_class"] = result["multi_class"]
    if "evaluation" in fitted:
        evaluation = fitted["evaluation"]
        record["scores"] = {**flat_scores(evaluation), **fitted["extras"]}
        record["stats"] = result.get("stats", {})
        for part in ("train", "test"):
            record[f"confusion_{part}"] = evaluation[part]["confusion"]
            record[f"report_{part}"] = evaluation[part]["report"]
        if "pred_table" in result:
            record["pred_table"] = result["pred_table"]
    return record


def entry_files(fitted: dict, prepared) -> dict[str, bytes]:
    """The files of a fit's store entry, as bytes."""
    import pandas as pd

    from lrsweep.store import npy_bytes

    record = record_of(fitted, prepared)
    result = fitted["result"]
    files = {"result.json": dumps(record).encode()}
    if result.get("traceback"):
        files["traceback.txt"] = result["traceback"].encode()
    if "evaluation" not in fitted:
        return files
    names = dict(zip(prepared.classes, prepared.class_names, strict=True))
    for part in ("train", "test"):
        files[f"classification_report_{part}.txt"] = fitted["evaluation"][part][
            "report_text"
        ].encode()
    files["coefficients.csv"] = (
        pd.DataFrame(coefficient_rows(result, names)).to_csv(index=False).encode()
    )
    files["proba_test.npy"] = npy_bytes(np.asarray(result["proba_test"], dtype=float))
    files["pred_test.npy"] = npy_bytes(np.asarray(result["pred_test"], dtype=np.int64))
    for name in ("summary", "summary2"):
        if name in result:
            files[f"{name}.txt"] = result[name].encode()
    if "pred_table" in result:
        files["pred_table.csv"] = pd.DataFrame(result["pred_table"]).to_csv(index=False).encode()
    if fitted.get("model") is not None:
        files["model.skops"] = modelfile.dumps(fitted["model"])
    return files


def read_record(entry) -> dict:
    return json.loads(entry.read_text("result.json"))


def read_coefficients(entry):
    import pandas as pd

    return pd.read_csv(io.BytesIO(entry.read_bytes("coefficients.csv")))
