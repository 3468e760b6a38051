"""Scoring: every number reported about a grid point, computed from what its fit stored.

A fit (:mod:`lrsweep.fit.record`) stores the fitted model, its coefficients, its predictions and
probabilities on the training and test rows and, with ``cv:``, the out-of-fold predictions of
its fold fits. :func:`score` turns those into the scores on training and test rows
(:mod:`lrsweep.score.metrics`), the test intervals and the cross-validation summaries
(:mod:`lrsweep.score.intervals`), for the positive class and the bootstrap the config names. So a
setting that only scores (:data:`lrsweep.domain.SCORE_ONLY_KEYS`) is keyed apart from the fit:
changing it scores the stored fits again and refits nothing.
"""

from __future__ import annotations

import json

from lrsweep.config.grid import settings
from lrsweep.domain import SCORED, Status
from lrsweep.prepare.design import positive_index
from lrsweep.store.keys import dumps

# The files of a scores entry (``store/scores/<key>/``; a version copies them into the fit's
# folder ``fits/<experiment>/<model_id>/``): this module is the only one that names them.
#: Every score of the grid point, the row of metrics.csv (:func:`record_of`).
RESULT_JSON = "result.json"
#: A statsmodels fit's coefficient table (z, p, intervals), one block per covariance type.
INFERENCE = "inference.csv"
#: A statsmodels fit's average marginal effects.
MARGINAL_EFFECTS = "marginal_effects.csv"
#: The parts of a fit's rows that have a classification report.
REPORT_PARTS = ("train", "test")


def report_name(part: str) -> str:
    """The file of the classification report of ``part`` (``train``, ``test``)."""
    return f"classification_report_{part}.txt"


def read_record(entry) -> dict:
    """A scores entry's (or a version fit folder's) ``result.json``."""
    return json.loads(entry.read_text(RESULT_JSON))


#: Selection metrics defined for two classes only.
TWO_CLASS_METRICS = ("f1", "average_precision")


def check_scoring(experiment: str, n_classes: int, exp: dict) -> None:
    """Refuse a two-class selection metric, or a decision threshold other than 0.5, for a
    target of more classes (one line)."""
    from lrsweep.errors import DataError, describe

    threshold = exp.get("threshold", 0.5)
    if n_classes > 2 and threshold != 0.5:
        raise DataError(
            describe(
                experiment,
                "threshold",
                f"a decision threshold needs two classes (this target has {n_classes})",
            )
        )
    metric = (exp.get("select") or {}).get("metric")
    if n_classes > 2 and metric in TWO_CLASS_METRICS:
        other = {"f1": "f1_macro", "average_precision": "roc_auc"}[metric]
        raise DataError(
            describe(
                experiment,
                "select.metric",
                f"{metric} needs two classes (this target has {n_classes}); use {other}",
            )
        )


def at_decision_threshold(result: dict, threshold: float, positive: int) -> dict:
    """A two-class fit's result with its predictions (training, test and out-of-fold rows)
    made again from its probabilities at ``threshold`` (:func:`lrsweep.score.metrics.at_threshold`).
    At the default 0.5 and no tuning the fit's own predictions are kept, so that the
    numbers of a config without ``threshold:`` are the estimator's own."""
    from lrsweep.score.metrics import at_threshold

    out = dict(result)
    for part in ("train", "test"):
        out[f"pred_{part}"] = at_threshold(result[f"proba_{part}"], threshold, positive)
    cv = result.get("cv_fits")
    if cv and cv.get("status") == Status.OK:
        out["cv_fits"] = {**cv, "pred": at_threshold(cv["proba"], threshold, positive)}
    return out


def score(fitted: dict, prepared) -> dict:
    """``fitted`` (``point`` and the fit's ``result``) with its scores: ``positive`` (the
    positive class's index), ``evaluation`` (train and test metrics) and ``extras`` (test
    intervals, CV summaries)."""
    from lrsweep.score.intervals import cv_fold_scores, cv_summary, score_intervals
    from lrsweep.score.metrics import evaluate

    point, result = fitted["point"], fitted["result"]
    positive = positive_index(point["experiment"], prepared, point.get("positive_class"))
    out = {**fitted, "positive": positive}
    if result["status"] not in SCORED:
        return out
    if prepared.n_classes == 2:
        out["threshold"] = result.get("tuned_threshold", point.get("threshold") or 0.5)
        if "tuned_threshold" in result or out["threshold"] != 0.5:
            result = at_decision_threshold(result, out["threshold"], positive)
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
        args = (cv["folds"], cv["repeats"], cv["random_state"], positive)
        folds = result["cv_fits"]
        if folds.get("status") == Status.OK:
            out["cv_fold_scores"] = cv_fold_scores(
                prepared.y_train, folds, prepared.class_names, *args
            )
        extras.update(
            cv_summary(
                prepared.y_train,
                folds,
                prepared.class_names,
                *args,
                rows=out.get("cv_fold_scores"),
            )
        )
    out["extras"] = extras
    mle = point.get("library") == "statsmodels" and point.get("regularized") == "none"
    if mle and point.get("cov_type") and result["status"] == Status.OK:
        out["inference"] = inference(point, result, prepared)
    return out


def inference(point: dict, result: dict, prepared) -> tuple[list[dict], list[dict]]:
    """The coefficient and marginal-effect rows of a statsmodels maximum-likelihood fit, one
    block per covariance type of ``point["cov_type"]``, from its stored estimates and the
    training rows (:mod:`lrsweep.score.covariance`): nothing is refitted."""
    from lrsweep.fit.statsmodels import design
    from lrsweep.score.covariance import check_cov_types, inference_tables

    has_groups = prepared.groups_train is not None
    check_cov_types(point["experiment"], point["cov_type"], prepared.n_classes, has_groups)
    names = dict(zip(prepared.classes, prepared.class_names, strict=True))
    classes = {"equations": list(result["coef_classes"]), "all": list(prepared.classes)}
    return inference_tables(
        design(prepared, prepared.X_train).to_numpy(),
        prepared.y_train,
        result["estimates"],
        list(result["terms"]),
        classes,
        names,
        point["cov_type"],
        prepared.groups_train,
        prepared.meta.get("reference_levels") or {},
    )


def record_of(scored: dict, prepared) -> dict:
    """What ``result.json`` holds: settings, status, scores and the tables of one fit."""
    from lrsweep.score.metrics import flat_scores

    point, result = scored["point"], scored["result"]
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
        "positive_class": prepared.classes[scored["positive"]] if prepared.n_classes == 2 else None,
    }
    if "multi_class" in result:
        record["multi_class"] = result["multi_class"]
    if "evaluation" in scored:
        evaluation = scored["evaluation"]
        record["scores"] = {**flat_scores(evaluation), **scored["extras"]}
        record["stats"] = result.get("stats", {})
        for part in ("train", "test"):
            record[f"confusion_{part}"] = evaluation[part]["confusion"]
            record[f"report_{part}"] = evaluation[part]["report"]
        if "pred_table" in result:
            record["pred_table"] = result["pred_table"]
        if "cv_fold_scores" in scored:
            record["cv_fold_scores"] = scored["cv_fold_scores"]
    record["threshold"] = scored.get("threshold")
    for key in ("tuned_threshold_cv_score",):
        if key in result:
            record[key] = result[key]
    return record


def score_files(scored: dict, prepared) -> dict[str, bytes]:
    """The files of a grid point's scores entry, as bytes: ``result.json`` and the
    classification reports."""
    files = {RESULT_JSON: dumps(record_of(scored, prepared)).encode()}
    if "evaluation" in scored:
        for part in REPORT_PARTS:
            text = scored["evaluation"][part]["report_text"]
            files[report_name(part)] = text.encode()
    if "inference" in scored:
        import pandas as pd

        coef_rows, me_rows = scored["inference"]
        files[INFERENCE] = pd.DataFrame(coef_rows).to_csv(index=False).encode()
        files[MARGINAL_EFFECTS] = pd.DataFrame(me_rows).to_csv(index=False).encode()
    return files


def fit_and_score(prepared, point: dict) -> dict:
    """Fit one grid point (:func:`lrsweep.fit.record.fit_path`: a point on a warm C path after
    the points below it) and compute everything reported about it (:func:`score`): the whole
    of a grid point, start to finish, as a notebook calls it to get the workflow's numbers."""
    from lrsweep.fit.record import fit_path

    return score(fit_path(prepared, point), prepared)


def entry_files(fitted: dict, prepared) -> dict[str, bytes]:
    """The files of a grid point's fit entry and scores entry together (``fitted`` scored by
    :func:`fit_and_score`), as a version holds them."""
    from lrsweep.fit.record import fit_files

    return {**fit_files(fitted, prepared), **score_files(fitted, prepared)}
