"""Choosing a model: the rule, written once, used by the leaderboard, the comparisons, the
figures and ``lrsweep predict --selected``.

- Only fits that can be trusted are candidates: status ``ok`` and converged (a fit that did not
  converge, or whose estimates do not exist under separation, is reported but never chosen).
- The selection metric is the experiment's ``select: {metric: ...}`` (default accuracy), read
  from metrics.csv's ``select_metric`` column; its direction (log-loss and Brier lower is
  better) is :data:`lrsweep.domain.LOWER_IS_BETTER`, the one table of directions.
- With ``cv:`` an experiment's fits are ranked by their mean cross-validated score on the
  training rows; the test rows are used once, to report the chosen fits. Without ``cv:`` they
  are ranked by their test score, and the leaderboard says that this selection is optimistic:
  the best of many fits on one test set is, on average, lucky on it (the winner's curse).
- Ties: scores within 1e-9 of each other are equal (differences of 2e-12 are rounding, not
  evidence). Ranked by the selection metric, then accuracy, ROC AUC and log-loss (those of
  them that are not the selection metric); equal on all, the simpler model wins: the
  stronger penalty (smaller C, with C = 1/alpha for statsmodels' L1 and infinity for
  unpenalized fits), then fewer nonzero coefficients, then the model_id.
- The one-standard-error rule (ESL 7.10), with ``cv:``: the simplest fit (the same order of
  simplicity) whose mean CV score is within one standard error of the best mean (standard
  error of the folds: see :mod:`lrsweep.score.intervals`). ``select: {rule: one_se}`` selects it;
  with ``rule: best`` the leaderboard still names it (``one_se_model_id``), and
  cv_selection.csv applies the same rule within each model family along C.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lrsweep.domain import DEFAULT_SELECT, Status, effective_C, higher_is_better
from lrsweep.store.versions import COEFFICIENTS, METRICS

TOLERANCE = 1e-9
#: The metric that leads the ranking when an experiment names none (``select: metric``).
METRIC = DEFAULT_SELECT["metric"]


def candidates(metrics: pd.DataFrame) -> pd.DataFrame:
    """The fits that may be chosen: status ok and converged."""
    converged = metrics["converged"].map(lambda v: v is True or v == "True" or v == 1.0)
    return metrics[(metrics["status"] == Status.OK) & converged]


#: What breaks a tie in the selection metric, in this order (the selection metric left out).
TIE_METRICS = ("accuracy", "roc_auc", "log_loss")


def select_of(group: pd.DataFrame) -> dict:
    """An experiment's ``select`` settings (metric and rule) as metrics.csv records them;
    accuracy and ``best`` for a table without them (a version made before they existed)."""
    out = dict(DEFAULT_SELECT)
    for key in out:
        col = f"select_{key}"
        if col in group.columns:
            values = group[col].dropna()
            if len(values):
                out[key] = str(values.iloc[0])
    return out


def uses_cv(group: pd.DataFrame) -> bool:
    return "cv_accuracy_mean" in group.columns and group["cv_accuracy_mean"].notna().any()


def selection_column(group: pd.DataFrame) -> str:
    """The metrics.csv column the ranking of ``group`` is led by: the mean CV score of its
    selection metric (:func:`select_of`) with ``cv:``, else its test score."""
    return _column(select_of(group)["metric"], "cv" if uses_cv(group) else "test")


def _level(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """A sortable key where values within :data:`TOLERANCE` are equal."""
    v = values.astype(float)
    v = v if higher_is_better else -v
    return (-(v / TOLERANCE).round()).fillna(np.inf)


def _column(metric: str, on: str) -> str:
    return f"cv_{metric}_mean" if on == "cv" else f"{metric}_test"


def _simplicity(group: pd.DataFrame, nonzero: dict | None) -> pd.DataFrame:
    """The sort keys of simplicity: effective C, nonzero coefficients, model_id."""
    keys = pd.DataFrame(index=group.index)
    keys["C"] = group.apply(effective_C, axis=1) if len(group) else []
    keys["nonzero"] = group["model_id"].map(nonzero or {}).fillna(0)
    keys["model_id"] = group["model_id"]
    return keys


def ranked(
    group: pd.DataFrame, on: str = "auto", nonzero: dict | None = None, metric: str | None = None
) -> pd.DataFrame:
    """Candidates best first by the rule of the module docstring. ``on``: "cv", "test" or
    "auto" (cv when the fits have CV scores); ``metric``: the selection metric (default the
    experiment's, :func:`select_of`)."""
    metric = metric or select_of(group)["metric"]
    group = candidates(group)
    if group.empty:
        return group
    if on == "auto":
        on = "cv" if uses_cv(group) else "test"
    keys = pd.DataFrame(index=group.index)
    order = [metric, *(m for m in TIE_METRICS if m != metric)]
    for i, m in enumerate(order):
        col = _column(m, on)
        keys[i] = _level(group[col], higher_is_better(m)) if col in group else 0.0
    keys = keys.join(_simplicity(group, nonzero))
    by = [*range(len(order)), "C", "nonzero", "model_id"]
    return group.loc[keys.sort_values(by, kind="stable").index]


def within_one_se(order: pd.DataFrame, metric: str, nonzero: dict | None = None) -> pd.DataFrame:
    """The one-standard-error rule (ESL 7.10), the one implementation: of ``order`` (fits with
    CV scores, best first), those whose mean CV ``metric`` is within one standard error (the
    best fit's) of the best mean, simplest first (effective C, nonzero coefficients,
    model_id)."""
    best = order.iloc[0]
    mean, se = f"cv_{metric}_mean", f"cv_{metric}_se"
    sign = 1.0 if higher_is_better(metric) else -1.0
    bound = sign * float(best[mean]) - float(best[se]) - TOLERANCE
    within = order[sign * order[mean].astype(float) >= bound]
    keys = _simplicity(within, nonzero)
    return within.loc[keys.sort_values(["C", "nonzero", "model_id"], kind="stable").index]


def best(group: pd.DataFrame, nonzero: dict | None = None) -> pd.Series | None:
    """The best-ranked fit of one experiment (whatever its rule), or None."""
    order = ranked(group, nonzero=nonzero)
    return None if order.empty else order.iloc[0]


def one_se(group: pd.DataFrame, nonzero: dict | None = None) -> pd.Series | None:
    """The one-standard-error choice of one experiment (with CV scores), or None."""
    order = ranked(group, on="cv", nonzero=nonzero) if uses_cv(group) else None
    if order is None or order.empty:
        return None
    return within_one_se(order, select_of(group)["metric"], nonzero).iloc[0]


def selected(group: pd.DataFrame, nonzero: dict | None = None) -> pd.Series | None:
    """The chosen fit of one experiment by its rule (``best``, or ``one_se`` with CV), or
    None when no fit may be chosen."""
    if select_of(group)["rule"] == "one_se" and uses_cv(group):
        return one_se(group, nonzero)
    return best(group, nonzero)


def along_C(table: pd.DataFrame, metric: str = METRIC) -> dict:
    """Within one model family (fits differing in C only, with CV scores): the C of the best
    mean CV ``metric`` and the C of the one-standard-error rule (:func:`within_one_se`)."""
    col = f"cv_{metric}_mean"
    table = table.dropna(subset=[col])
    if table.empty:
        return {"C_best_mean": float("nan"), "C_one_se": float("nan")}
    if "model_id" not in table:
        table = table.assign(model_id=[f"{i:09d}" for i in range(len(table))])
    order = ranked(table.assign(status=Status.OK, converged=True), on="cv", metric=metric)
    top = order.iloc[0]
    return {
        "C_best_mean": float(top["C"]),
        "best_mean": float(top[col]),
        "best_se": float(top[f"cv_{metric}_se"]),
        "C_one_se": float(within_one_se(order, metric).iloc[0]["C"]),
    }


def protocol(group: pd.DataFrame, same_rows: bool = False) -> str:
    """How an experiment's fit was chosen, in words (leaderboard, summary, report, figures).
    ``same_rows``: the experiment has ``split: none``, its "test" rows are its training rows."""
    choice = select_of(group)
    metric = choice["metric"]
    if uses_cv(group):
        what = f"best mean CV {metric}"
        if choice["rule"] == "one_se":
            what = f"simplest within one SE of the best mean CV {metric}"
        return f"{what} on the training rows (test rows used once, to report)"
    if same_rows:
        return f"best {metric} (optimistic: split: none, chosen and reported on the fitted rows)"
    return f"best test {metric} (optimistic: chosen and reported on the same test rows)"


def nonzero_counts(coefficients: pd.DataFrame) -> dict:
    """Per model_id of one experiment, the number of nonzero coefficients (intercept aside),
    each counted once (a version's coefficients.csv has a block per statsmodels cov_type)."""
    if coefficients.empty:
        return {}
    terms = coefficients[coefficients["term"] != "intercept"]
    if "cov_type" in terms.columns:
        terms = terms.drop_duplicates(["model_id", "class", "term"])
    return (terms["estimate"].abs() > 0).groupby(terms["model_id"]).sum().to_dict()


def selected_fits(version_dir: Path) -> dict:
    """Per experiment of a version: the selected fit's model_id and test accuracy (None when
    no fit may be selected)."""
    metrics = pd.read_csv(version_dir / METRICS)
    coefs = pd.read_csv(version_dir / COEFFICIENTS)
    out = {}
    for name, group in metrics.groupby("experiment", sort=False):
        nonzero = nonzero_counts(coefs[coefs["experiment"] == name])
        best = selected(group, nonzero)
        out[str(name)] = (
            None
            if best is None
            else {"model_id": str(best["model_id"]), "accuracy_test": float(best["accuracy_test"])}
        )
    return out
