"""Choosing a model: the rule, written once, used by the leaderboard, the comparisons, the
figures and ``lrsweep predict --selected``.

- Only fits that can be trusted are candidates: status ``ok`` and converged (a fit that did not
  converge, or whose estimates do not exist under separation, is reported but never chosen).
- With ``cv:`` an experiment's fits are ranked by their mean cross-validated accuracy on the
  training rows; the test rows are used once, to report the chosen fits. Without ``cv:`` they
  are ranked by test accuracy, and the leaderboard says that this selection is optimistic:
  the best of many fits on one test set is, on average, lucky on it (the winner's curse).
- Ties: scores within 1e-9 of each other are equal (differences of 2e-12 are rounding, not
  evidence). Ranked by accuracy, then ROC AUC, then log-loss; equal on all three, the simpler
  model wins: the stronger penalty (smaller C, with C = 1/alpha for statsmodels' L1 and
  infinity for unpenalized fits), then fewer nonzero coefficients, then the model_id.
- The one-standard-error rule (ESL 7.10), with ``cv:``: the simplest fit whose mean CV accuracy
  is within one standard error of the best mean (standard error of the folds: see
  :mod:`lrsweep.inference`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TOLERANCE = 1e-9
#: The metric that leads the ranking (higher is better); ROC AUC and log-loss break its ties.
METRIC = "accuracy"


def candidates(metrics: pd.DataFrame) -> pd.DataFrame:
    """The fits that may be chosen: status ok and converged."""
    converged = metrics["converged"].map(lambda v: v is True or v == "True" or v == 1.0)
    return metrics[(metrics["status"] == "ok") & converged]


def effective_C(row) -> float:
    """C, the inverse strength of the penalty, of any fit (statsmodels L1: 1/alpha)."""
    if row.get("library") == "statsmodels":
        alpha = row.get("alpha")
        if row.get("regularized") == "l1" and alpha and not pd.isna(alpha) and float(alpha) > 0:
            return 1.0 / float(alpha)
        return math.inf
    return float(row["C"])


def uses_cv(group: pd.DataFrame) -> bool:
    return "cv_accuracy_mean" in group.columns and group["cv_accuracy_mean"].notna().any()


def selection_column(group: pd.DataFrame) -> str:
    """The metrics.csv column the ranking of ``group`` is led by: the mean CV score of
    :data:`METRIC` with ``cv:``, else its test score."""
    return f"cv_{METRIC}_mean" if uses_cv(group) else f"{METRIC}_test"


def _level(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """A sortable key where values within :data:`TOLERANCE` are equal."""
    v = values.astype(float)
    v = v if higher_is_better else -v
    return (-(v / TOLERANCE).round()).fillna(np.inf)


def ranked(group: pd.DataFrame, on: str = "auto", nonzero: dict | None = None) -> pd.DataFrame:
    """Candidates best first by the rule of the module docstring. ``on``: "cv", "test" or
    "auto" (cv when the fits have CV scores)."""
    group = candidates(group)
    if group.empty:
        return group
    if on == "auto":
        on = "cv" if uses_cv(group) else "test"
    prefix, suffix = ("cv_", "_mean") if on == "cv" else ("", "_test")
    keys = pd.DataFrame(index=group.index)
    for i, (metric, higher) in enumerate(
        (
            (METRIC, True),
            *((m, h) for m, h in (("roc_auc", True), ("log_loss", False)) if m != METRIC),
        )
    ):
        col = f"{prefix}{metric}{suffix}"
        keys[i] = _level(group[col], higher) if col in group else 0.0
    keys["C"] = group.apply(effective_C, axis=1)
    keys["nonzero"] = group["model_id"].map(nonzero or {}).fillna(0)
    keys["model_id"] = group["model_id"]
    order = keys.sort_values([0, 1, 2, "C", "nonzero", "model_id"], kind="stable").index
    return group.loc[order]


def selected(group: pd.DataFrame, nonzero: dict | None = None) -> pd.Series | None:
    """The chosen fit of one experiment, or None when no fit may be chosen."""
    order = ranked(group, nonzero=nonzero)
    return None if order.empty else order.iloc[0]


def one_se(group: pd.DataFrame, nonzero: dict | None = None) -> pd.Series | None:
    """The one-standard-error choice of one experiment (with CV scores), or None."""
    order = ranked(group, on="cv", nonzero=nonzero) if uses_cv(group) else None
    if order is None or order.empty:
        return None
    best = order.iloc[0]
    bound = best["cv_accuracy_mean"] - best["cv_accuracy_se"] - TOLERANCE
    within = order[order["cv_accuracy_mean"] >= bound].copy()
    within["_C"] = within.apply(effective_C, axis=1)
    within["_nonzero"] = within["model_id"].map(nonzero or {}).fillna(0)
    return within.sort_values(["_C", "_nonzero", "model_id"], kind="stable").iloc[0]


def protocol(group: pd.DataFrame, same_rows: bool = False) -> str:
    """How an experiment's fit was chosen, in words (leaderboard, summary, report, figures).
    ``same_rows``: the experiment has ``split: none``, its "test" rows are its training rows."""
    if uses_cv(group):
        return "best mean CV accuracy on the training rows (test rows used once, to report)"
    if same_rows:
        return "best accuracy (optimistic: split: none, chosen and reported on the fitted rows)"
    return "best test accuracy (optimistic: chosen and reported on the same test rows)"


def nonzero_counts(coefficients: pd.DataFrame) -> dict:
    """Per model_id of one experiment, the number of nonzero coefficients (intercept aside),
    each counted once (a version's coefficients.csv has a block per statsmodels cov_type)."""
    if coefficients.empty:
        return {}
    terms = coefficients[coefficients["term"] != "intercept"]
    if "cov_type" in terms.columns:
        terms = terms.drop_duplicates(["model_id", "class", "term"])
    return (terms["estimate"].abs() > 0).groupby(terms["model_id"]).sum().to_dict()
