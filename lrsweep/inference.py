"""Honest comparisons: bootstrap intervals, McNemar's exact test with Holm's correction, and
repeated stratified cross-validation on the training rows.

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


def bootstrap_accuracy(y, pred, resamples: int, seed: int) -> np.ndarray:
    """Accuracies of ``resamples`` stratified bootstrap resamples of the test rows.

    Resampling the rows of class c with replacement (their number kept) draws the number of
    correct rows of that class from Binomial(n_c, k_c / n_c): exact, and O(classes) per
    resample however many rows there are."""
    rng = np.random.default_rng(seed)
    y, correct = np.asarray(y), np.asarray(pred) == np.asarray(y)
    total = np.zeros(resamples)
    for c in np.unique(y):
        rows = y == c
        n_c = int(rows.sum())
        total += rng.binomial(n_c, correct[rows].mean(), size=resamples)
    return total / len(y)


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


def bootstrap_intervals(y, pred, proba, resamples: int = 1000, seed: int = 0) -> dict:
    """95 % percentile intervals of test accuracy and ROC AUC (NaN without resamples)."""
    if resamples <= 0 or len(np.unique(y)) < 2:
        nan = float("nan")
        return {
            "accuracy_test_ci_low": nan,
            "accuracy_test_ci_high": nan,
            "roc_auc_test_ci_low": nan,
            "roc_auc_test_ci_high": nan,
        }
    acc = _percentile_interval(bootstrap_accuracy(y, pred, resamples, seed))
    auc = _percentile_interval(bootstrap_auc(y, proba, resamples, seed))
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
    """(train, validation) index arrays into the *training* rows only."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    return list(splitter.split(np.zeros(len(y_train)), y_train))


CV_METRICS = ("accuracy", "roc_auc", "log_loss", "f1_macro")


def cv_scores(prepared, point: dict, folds: int, repeats: int, seed: int) -> dict:
    """Mean and standard deviation of each metric over repeated stratified k-fold CV of one
    grid point, fitted and scored on the training rows alone (the test rows are never read)."""
    from lrsweep.data import Prepared
    from lrsweep.metrics import split_metrics
    from lrsweep.models import fit_grid_point

    X, y = np.asarray(prepared.X_train), np.asarray(prepared.y_train)
    values = {m: [] for m in CV_METRICS}
    for train, valid in cv_splits(y, folds, repeats, seed):
        fold = Prepared(
            X[train],
            X[valid],
            y[train],
            y[valid],
            prepared.classes,
            prepared.feature_names,
            prepared.meta,
        )
        result = fit_grid_point(fold, point)
        if result["status"] != "ok":
            return {"cv_status": result["status"], "cv_reason": result.get("reason", "")}
        scores = split_metrics(
            y[valid], result["pred_test"], result["proba_test"], prepared.classes
        )["scores"]
        for m in CV_METRICS:
            values[m].append(scores[m])
    out = {"cv_folds": folds * repeats}
    for m, v in values.items():
        out[f"cv_{m}_mean"] = float(np.nanmean(v))
        out[f"cv_{m}_std"] = float(np.nanstd(v, ddof=1)) if len(v) > 1 else float("nan")
    return out


def choose_C(table, metric: str = "accuracy") -> dict:
    """C with the best mean CV score, and by the one-standard-error rule: the smallest C (the
    strongest penalty) whose mean is within one standard error of the best mean."""
    table = table.dropna(subset=[f"cv_{metric}_mean"]).sort_values("C")
    if table.empty:
        return {"C_best_mean": float("nan"), "C_one_se": float("nan")}
    best = table.loc[table[f"cv_{metric}_mean"].idxmax()]
    se = best[f"cv_{metric}_std"] / math.sqrt(best["cv_folds"])
    within = table[table[f"cv_{metric}_mean"] >= best[f"cv_{metric}_mean"] - se]
    return {
        "C_best_mean": float(best["C"]),
        "best_mean": float(best[f"cv_{metric}_mean"]),
        "best_se": float(se),
        "C_one_se": float(within["C"].min()),
    }
