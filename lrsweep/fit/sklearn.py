"""Fitting: scikit-learn and statsmodels behind one function, :func:`fit_grid_point`.

The config speaks the tutorial's vocabulary; :func:`sklearn_estimator` translates it for the
installed scikit-learn (1.8+: ``penalty`` is deprecated, ``multi_class`` is gone):

============  ==============================================
config        scikit-learn 1.9
============  ==============================================
penalty l2    ``l1_ratio=0``
penalty l1    ``l1_ratio=1``
elasticnet    ``l1_ratio=<l1_ratio>`` (saga)
none          ``C=inf``
ovr           ``OneVsRestClassifier(LogisticRegression(...))`` (3+ classes)
multinomial   ``LogisticRegression`` (multinomial for 3+ classes)
auto          ovr for liblinear, multinomial otherwise
============  ==============================================
"""

from __future__ import annotations

import math
import time
import traceback
import warnings
from typing import Any

import numpy as np

from lrsweep.domain import Status
from lrsweep.prepare.design import Prepared


def resolved_multi_class(point: dict, n_classes: int) -> str:
    if n_classes <= 2:
        return "binary"
    mc = point["multi_class"]
    if mc == "auto":
        return "ovr" if point["solver"] == "liblinear" else "multinomial"
    return mc


def sklearn_kwargs(point: dict) -> dict:
    """Keyword arguments for today's ``LogisticRegression`` from a grid point."""
    penalty = point["penalty"]
    l1_ratio = {"l2": 0.0, "l1": 1.0, "none": 0.0}.get(penalty, point["l1_ratio"])
    return {
        "solver": point["solver"],
        "C": math.inf if penalty == "none" else float(point["C"]),
        "l1_ratio": float(l1_ratio),
        "class_weight": None if point["class_weight"] == "none" else point["class_weight"],
        "fit_intercept": bool(point["fit_intercept"]),
        "max_iter": int(point["max_iter"]),
        "tol": float(point["tol"]),
        "random_state": point["random_state"],
    }


def sklearn_estimator(point: dict, n_classes: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    estimator = LogisticRegression(**sklearn_kwargs(point))
    if resolved_multi_class(point, n_classes) == "ovr":
        return OneVsRestClassifier(estimator)
    return estimator


def _full_proba(proba: np.ndarray, seen: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities for every class, also those absent from the training rows."""
    if proba.shape[1] == n_classes:
        return proba
    full = np.zeros((proba.shape[0], n_classes))
    full[:, seen] = proba
    return full


def warm_started(estimator, init: np.ndarray | None):
    """``estimator`` set to start its fit from ``init`` (the ``estimates`` of the previous fit
    of its warm path: the intercepts in column 0, then the coefficients, a row per class
    equation), in place: scikit-learn's ``warm_start`` reads ``coef_`` and ``intercept_`` at
    ``fit``. Without ``init``, or for a ``OneVsRestClassifier`` (it fits clones), the estimator
    is left as it is: a cold fit."""
    from sklearn.linear_model import LogisticRegression

    if init is None or not isinstance(estimator, LogisticRegression):
        return estimator
    init = np.array(init, dtype=float)  # a copy: the fit must not write into the caller's
    estimator.set_params(warm_start=True)
    estimator.coef_ = init[:, 1:]
    estimator.intercept_ = init[:, 0]
    return estimator


def cold_again(estimator):
    """``warm_start`` set back off after a warm-started fit, so that the saved model is an
    ordinary one (its parameters those of a cold fit)."""
    from sklearn.linear_model import LogisticRegression

    if isinstance(estimator, LogisticRegression) and estimator.warm_start:
        estimator.set_params(warm_start=False)
    return estimator


def fit_sklearn(prepared: Prepared, point: dict, init: np.ndarray | None = None) -> dict:
    """One scikit-learn fit; with ``init`` started from those estimates (:func:`warm_started`)."""
    from sklearn.exceptions import ConvergenceWarning

    k = prepared.n_classes
    estimator = warm_started(sklearn_estimator(point, k), init)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(prepared.X_train, prepared.y_train)
        seconds = time.perf_counter() - start
    cold_again(estimator)
    inner = getattr(estimator, "estimators_", [estimator])
    coef = np.vstack([e.coef_ for e in inner])
    intercept = np.concatenate([np.ravel(e.intercept_) for e in inner])
    seen = np.asarray(estimator.classes_)
    rows = (
        [prepared.classes[i] for i in seen]
        if coef.shape[0] == len(seen)
        else [prepared.classes[seen[-1]]]
    )
    return {
        "status": Status.OK,
        "estimator": estimator,
        "multi_class": resolved_multi_class(point, k),
        "converged": not any(issubclass(w.category, ConvergenceWarning) for w in caught),
        "n_iter": int(max(int(np.max(e.n_iter_)) for e in inner)),
        "fit_seconds": seconds,
        "coef_classes": rows,
        "terms": ["intercept", *prepared.feature_names],
        "estimates": np.column_stack([intercept, coef]),
        "pred_train": estimator.predict(prepared.X_train).astype(np.int64),
        "pred_test": estimator.predict(prepared.X_test).astype(np.int64),
        "proba_train": _full_proba(estimator.predict_proba(prepared.X_train), seen, k),
        "proba_test": _full_proba(estimator.predict_proba(prepared.X_test), seen, k),
    }


def fit_grid_point(prepared: Prepared, point: dict, init: np.ndarray | None = None) -> dict:
    """Fit one grid point (a scikit-learn one from ``init`` when given: its warm path).
    Never raises for a fit problem: a failure is ``status: failed`` with a one-line
    ``reason`` and the ``traceback`` kept for the log."""
    out: dict[str, Any] = {k: point[k] for k in point if k not in ("status", "reason")}
    if point.get("status") == Status.SKIPPED:
        return {**out, "status": Status.SKIPPED, "reason": point.get("reason", "")}
    try:
        if point["library"] == "sklearn":
            result = fit_sklearn(prepared, point, init)
        else:
            from lrsweep.fit.statsmodels import fit_statsmodels

            result = fit_statsmodels(prepared, point)
    except Exception as exc:  # one bad grid point must not stop the sweep
        from lrsweep.fit.statsmodels import explain_failure

        return {
            **out,
            "status": Status.FAILED,
            "reason": explain_failure(exc, prepared),
            "traceback": traceback.format_exc(),
        }
    return {**out, "reason": "", **result}


# --------------------------------------------------------------------------------------------
# Cross-validation fold fits on the training rows


def cv_splits(y_train, folds: int, repeats: int, seed: int):
    """(train, validation) index arrays into the *training* rows only, repeat after repeat:
    split ``i`` is fold ``i % folds`` of repeat ``i // folds``."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    return list(splitter.split(np.zeros(len(y_train)), y_train))


def cv_predictions(
    prepared: Prepared, point: dict, folds: int, repeats: int, seed: int, init=None
) -> dict:
    """The out-of-fold predictions of repeated stratified k-fold CV of one grid point, on the
    training rows alone (the test rows are never read): ``pred`` (repeats, n_train) and
    ``proba`` (repeats, n_train, classes), every training row predicted once per repeat by
    the fold fit that did not see it. The preprocessing is learned again inside each fold.
    A fold fit that is not ``ok`` ends it: ``status`` and ``reason`` say why.

    The same as :func:`cv_combine` of every :func:`cv_fold` (a fit job runs the folds as
    tasks of their own, in parallel, and combines them so). On a warm path, ``init`` holds
    each split's estimates of the previous point's fold fits (``init[i]`` starts split
    ``i``)."""
    splits = list(cv_splits(np.asarray(prepared.y_train), folds, repeats, seed))
    starts = [None] * len(splits) if init is None else init
    fits = (
        cv_fold(prepared, point, train, valid, start)
        for (train, valid), start in zip(splits, starts, strict=True)
    )
    return cv_combine(prepared, splits, folds, fits)


def cv_fold(prepared: Prepared, point: dict, train, valid, init=None) -> dict:
    """One fold fit of :func:`cv_predictions` (``train``, ``valid``: row indices of the
    training rows; ``init``: on a warm path, the previous point's estimates in this fold):
    ``status``, ``reason`` and, when ``ok``, the ``pred`` and ``proba`` of the ``valid`` rows
    and the fit's ``estimates``."""
    from lrsweep.prepare.design import fold_design

    result = fit_grid_point(fold_design(prepared, train, valid), point, init)
    if result["status"] != Status.OK:
        return {"status": result["status"], "reason": result.get("reason", "")}
    return {
        "status": Status.OK,
        "pred": result["pred_test"],
        "proba": result["proba_test"],
        "estimates": result["estimates"],
    }


def cv_combine(prepared: Prepared, splits: list, folds: int, fits) -> dict:
    """:func:`cv_predictions`'s result from the fold fits (:func:`cv_fold`, in the order of
    ``splits``): the first fold fit that is not ``ok`` ends it. ``estimates`` (splits,
    equations, terms) are the fold fits', where the next point of a warm path starts."""
    n = len(prepared.y_train)
    repeats = len(splits) // folds
    pred = np.zeros((repeats, n), dtype=np.int64)
    proba = np.zeros((repeats, n, prepared.n_classes))
    estimates = []
    for i, ((_, valid), fit) in enumerate(zip(splits, fits, strict=False)):
        if fit["status"] != Status.OK:
            return {"status": fit["status"], "reason": fit.get("reason", "")}
        pred[i // folds, valid] = fit["pred"]
        proba[i // folds, valid] = fit["proba"]
        estimates.append(fit.get("estimates"))
    out = {"status": Status.OK, "pred": pred, "proba": proba}
    shapes = {None if e is None else e.shape for e in estimates}
    if len(shapes) == 1 and None not in shapes:  # a fold without a class has fewer equations
        out["estimates"] = np.stack(estimates)
    return out


# --------------------------------------------------------------------------------------------
# A tuned decision threshold (two classes)


def _cost(y, pred, false_positive: float, false_negative: float, pos_label: int) -> float:
    """The mean cost of a prediction: false_positive per false positive, false_negative per
    false negative."""
    y, pred = np.asarray(y), np.asarray(pred)
    fp = np.sum((pred == pos_label) & (y != pos_label))
    fn = np.sum((pred != pos_label) & (y == pos_label))
    return float((false_positive * fp + false_negative * fn) / len(y))


def _accuracy(y, pred, pos_label: int) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y, pred))


def _balanced_accuracy(y, pred, pos_label: int) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y, pred))


def threshold_scorer(tune: dict, positive: int):
    """The scorer a tuned threshold maximizes (``tune``: the point's ``tune_threshold``). Each
    takes ``pos_label``: TunedThresholdClassifierCV reads the positive class from its scorer
    (the class whose probability the threshold cuts)."""
    from sklearn.metrics import f1_score, make_scorer

    metric = tune["tune"]
    if metric == "cost":
        return make_scorer(
            _cost,
            greater_is_better=False,
            false_positive=float(tune["false_positive"]),
            false_negative=float(tune["false_negative"]),
            pos_label=positive,
        )
    score = {"f1": f1_score, "accuracy": _accuracy, "balanced_accuracy": _balanced_accuracy}
    return make_scorer(score[metric], pos_label=positive)


def tune_threshold(prepared: Prepared, point: dict, positive: int) -> dict:
    """The decision threshold of a two-class scikit-learn grid point, chosen on the training
    rows by scikit-learn's ``TunedThresholdClassifierCV`` with the experiment's folds
    (:func:`cv_splits`): each fold fits the whole pipeline (the preprocessing learned again
    inside it) and scores the candidate thresholds on its validation rows. The test rows are
    never read. Returns ``tuned_threshold``, ``tuned_threshold_cv_score`` (the mean fold score
    there, scikit-learn's ``best_score_``) and ``tuned_threshold_positive``."""
    from sklearn.base import clone
    from sklearn.model_selection import TunedThresholdClassifierCV

    cv = point["cv"]
    X = prepared.X_train if prepared.raw_train is None else prepared.raw_train
    estimator = sklearn_estimator(point, prepared.n_classes)
    if prepared.preprocessor is not None and prepared.raw_train is not None:
        from sklearn.pipeline import Pipeline

        estimator = Pipeline([("preprocess", clone(prepared.preprocessor)), ("model", estimator)])
    splits = cv_splits(prepared.y_train, cv["folds"], cv["repeats"], cv["random_state"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tuner = TunedThresholdClassifierCV(
            estimator,
            scoring=threshold_scorer(point["tune_threshold"], positive),
            response_method="predict_proba",
            cv=splits,
            refit=True,
        ).fit(X, np.asarray(prepared.y_train))
    return {
        "tuned_threshold": float(tuner.best_threshold_),
        "tuned_threshold_cv_score": float(tuner.best_score_),
        "tuned_threshold_positive": int(positive),
    }
