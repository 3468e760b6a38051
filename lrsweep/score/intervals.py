"""Honest comparisons: intervals, McNemar's exact test with Holm's correction, and repeated
stratified cross-validation on the training rows.

- Test accuracy gets the Clopper-Pearson exact interval (Clopper & Pearson 1934): its coverage
  is at least 95 % for every true accuracy and test-set size, including 1.0 on 45 rows.
- ROC AUC gets a stratified bootstrap percentile interval; where that interval collapses to a
  point (an AUC of 1, or 0, on every resample) it is replaced by the Clopper-Pearson interval
  of the AUC as a proportion over ``min(positives, negatives)`` trials, a conservative
  effective sample size for the Mann-Whitney statistic. ``tests/integration/test_intervals.py``
  checks the
  coverage of both by simulation, near 1 and on small test sets.
- The standard error of a cross-validated mean is the standard deviation of the fold scores
  divided by the square root of the number of folds (ESL 7.10, as glmnet's ``cv.glmnet``):
  repeats reuse the same rows, so they do not count as independent data.

All functions are pure: arrays in, numbers out.
"""

from __future__ import annotations

import math

import numpy as np

LEVEL = 0.95


def _percentile_interval(samples: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def _class_weights(y: np.ndarray, rng, size: int) -> np.ndarray:
    """(size, n) integer row counts of stratified bootstrap resamples: within each class, n_c
    draws with replacement from its n_c rows."""
    weights = np.zeros((size, len(y)), dtype=np.int64)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        n_c = len(idx)
        draws = rng.integers(0, n_c, size=(size, n_c)) + (np.arange(size) * n_c)[:, None]
        weights[:, idx] = np.bincount(draws.ravel(), minlength=size * n_c).reshape(size, n_c)
    return weights


def weighted_auc(scores: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of one score for each row of ``weights`` (row counts); ties count one half.

    Vectorized over the resamples: rows sorted by score, the cumulative negative weight read
    at each positive row (below its score, and tied with it). With integer counts every sum
    is an exact integer, so the only rounding is the final division."""
    order = np.argsort(scores, kind="mergesort")
    s, pos = np.asarray(scores)[order], np.asarray(positive, bool)[order]
    w = np.asarray(weights)[:, order]
    wneg = np.where(pos, 0, w)
    cum = np.zeros((len(w), len(s) + 1), dtype=wneg.dtype)
    np.cumsum(wneg, axis=1, out=cum[:, 1:])
    rows = np.flatnonzero(pos)
    starts = np.r_[0, np.flatnonzero(s[1:] != s[:-1]) + 1]
    if len(starts) == len(s):  # no tied scores: below a positive row is what precedes it
        below, tied = cum[:, rows], 0
    else:
        ends = np.r_[starts[1:], len(s)]
        group = np.repeat(np.arange(len(starts)), ends - starts)[rows]
        below = cum[:, starts[group]]  # negative weight strictly below the row's score
        tied = cum[:, ends[group]] - below  # negative weight at the same score
    wpos = w[:, rows]
    twice = (wpos * (2 * below + tied)).sum(axis=1)
    denom = wpos.sum(axis=1) * wneg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, twice / (2 * denom), np.nan)


def bootstrap_auc(y, proba, resamples: int, seed: int, chunk: int = 100) -> np.ndarray:
    """ROC AUC (binary; one-vs-rest macro for more classes) of stratified bootstrap resamples."""
    rng = np.random.default_rng(seed)
    y, proba = np.asarray(y), np.asarray(proba, dtype=float)
    k = proba.shape[1]
    out = []
    for start in range(0, resamples, chunk):
        weights = _class_weights(y, rng, min(chunk, resamples - start))
        if k == 2:
            out.append(weighted_auc(proba[:, 1], y == 1, weights))
        else:
            present = [c for c in range(k) if (y == c).any()]
            if len(present) < k:
                out.append(np.full(len(weights), np.nan))
                continue
            out.append(
                np.mean([weighted_auc(proba[:, c], y == c, weights) for c in range(k)], axis=0)
            )
    return np.concatenate(out)


def clopper_pearson(successes: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval of a binomial proportion."""
    from scipy.special import betaincinv  # scipy.stats costs 0.8 s to import

    alpha = 1 - level
    low = 0.0 if successes == 0 else float(betaincinv(successes, n - successes + 1, alpha / 2))
    high = 1.0 if successes == n else float(betaincinv(successes + 1, n - successes, 1 - alpha / 2))
    return low, high


def auc_interval(y, proba, resamples: int, seed: int) -> tuple[float, float]:
    """The ROC AUC interval of the module docstring (bootstrap, with the boundary fallback)."""
    y, proba = np.asarray(y), np.asarray(proba, dtype=float)
    samples = bootstrap_auc(y, proba, resamples, seed)
    low, high = _percentile_interval(samples)
    finite = samples[np.isfinite(samples)]
    if finite.size and np.ptp(finite) == 0:
        k = proba.shape[1]
        classes = [1] if k == 2 else range(k)
        n_eff = min(min((y == c).sum(), (y != c).sum()) for c in classes)
        value = float(finite[0])
        low, high = clopper_pearson(round(value * n_eff), int(n_eff))
    return low, high


def score_intervals(y, pred, proba, resamples: int = 1000, seed: int = 0) -> dict:
    """95 % intervals of test accuracy (exact) and ROC AUC (bootstrap: NaN without resamples)."""
    y = np.asarray(y)
    nan = float("nan")
    correct = int((np.asarray(pred) == y).sum())
    acc = clopper_pearson(correct, len(y)) if len(y) else (nan, nan)
    auc = (nan, nan)
    if resamples > 0 and len(np.unique(y)) >= 2:
        auc = auc_interval(y, proba, resamples, seed)
    return {
        "accuracy_test_ci_low": acc[0],
        "accuracy_test_ci_high": acc[1],
        "roc_auc_test_ci_low": auc[0],
        "roc_auc_test_ci_high": auc[1],
    }


# --------------------------------------------------------------------------------------------
# Paired tests


def mcnemar_exact(correct_a, correct_b) -> tuple[int, int, float]:
    """McNemar's exact test on two classifiers' correctness on the same rows.

    Returns (n01, n10, p): rows only b gets right, rows only a gets right, and the two-sided
    exact p-value, min(1, 2 * P(X <= min(n01, n10))) with X ~ Binomial(n01 + n10, 1/2)."""
    from scipy.special import bdtr  # the binomial CDF (scipy.stats costs 0.8 s to import)

    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    n01, n10 = int((~a & b).sum()), int((a & ~b).sum())
    n = n01 + n10
    p = 1.0 if n == 0 else min(1.0, 2 * float(bdtr(min(n01, n10), n, 0.5)))
    return n01, n10, p


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error rate)."""
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


# --------------------------------------------------------------------------------------------
# Cross-validation on the training rows


def cv_splits(y_train, folds: int, repeats: int, seed: int):
    """(train, validation) index arrays into the *training* rows only (the fold fits'
    :func:`lrsweep.fit.sklearn.cv_splits`)."""
    from lrsweep.fit.sklearn import cv_splits

    return cv_splits(y_train, folds, repeats, seed)


#: The metrics of every fold (cv_folds.csv) and their summaries (metrics.csv's cv_<metric>_*):
#: every metric an experiment may select on. f1 (the positive class's), and average
#: precision are two-class metrics (NaN for more classes).
CV_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
    "log_loss",
    "brier",
    "f1",
    "f1_macro",
    "average_precision",
)


def cv_fold_scores(y_train, cv: dict, names: list, folds: int, repeats: int, seed: int, positive=1):
    """Every metric of :data:`CV_METRICS` on each validation fold, one dict per split
    (``repeat``, ``fold``, ``n_valid`` and the metrics), from the out-of-fold predictions
    ``cv`` of :func:`lrsweep.fit.sklearn.cv_predictions`: the rows of ``cv_folds.csv``. Split ``i``
    is fold ``i % folds`` of repeat ``i // folds`` of scikit-learn's
    ``RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)``."""
    from lrsweep.score.metrics import split_metrics

    y = np.asarray(y_train)
    rows = []
    for i, (_, valid) in enumerate(cv_splits(y, folds, repeats, seed)):
        r = i // folds
        scores = split_metrics(
            y[valid], cv["pred"][r][valid], cv["proba"][r][valid], names, positive
        )["scores"]
        row = {"repeat": r, "fold": i % folds, "n_valid": len(valid)}
        rows.append({**row, **{m: scores.get(m, float("nan")) for m in CV_METRICS}})
    return rows


def cv_summary(
    y_train, cv: dict, names: list, folds: int, repeats: int, seed: int, positive=1, rows=None
):
    """Mean, standard deviation and standard error of each metric over the folds of repeated
    stratified k-fold CV, computed from the fold scores (``rows``, of :func:`cv_fold_scores`,
    which it computes when not given) of the out-of-fold predictions ``cv`` of
    :func:`lrsweep.fit.sklearn.cv_predictions` (the fold rows are derived from the split settings
    again): a fit's CV scores are computed again from its stored predictions, never refitted."""
    if cv.get("status") != "ok":
        return {"cv_status": cv.get("status"), "cv_reason": cv.get("reason", "")}
    if rows is None:
        rows = cv_fold_scores(y_train, cv, names, folds, repeats, seed, positive)
    out = {"cv_folds": folds, "cv_repeats": repeats}
    for m in CV_METRICS:
        v = np.array([row[m] for row in rows], dtype=float)
        if np.isnan(v).all():
            continue
        sd = float(np.nanstd(v, ddof=1)) if len(v) > 1 else float("nan")
        out[f"cv_{m}_mean"] = float(np.nanmean(v))
        out[f"cv_{m}_std"] = sd
        out[f"cv_{m}_se"] = sd / math.sqrt(folds)
    return out


def cv_scores(prepared, point: dict, folds: int, repeats: int, seed: int, positive: int = 1):
    """:func:`cv_summary` of a grid point's fold fits, fitted here (on the training rows
    alone; the preprocessing is learned again inside each fold)."""
    from lrsweep.fit.sklearn import cv_predictions

    cv = cv_predictions(prepared, point, folds, repeats, seed)
    return cv_summary(prepared.y_train, cv, prepared.class_names, folds, repeats, seed, positive)
