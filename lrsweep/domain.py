"""The shared vocabulary: one home for each word the stages share.

- :class:`Status`, what became of a grid point, and its groups (:data:`SCORED`).
- Metric directions: :data:`LOWER_IS_BETTER` names the metrics that are better lower; every
  other metric (accuracy, balanced accuracy, ROC AUC, F1, average precision, ...) is better
  higher. Read by the selection rule, the one-standard-error rule, the leaderboard and the
  figures.
- The default ``select:``.
- Setting keys and their defaults (:data:`SKLEARN_DEFAULTS`, :data:`STATSMODELS_DEFAULTS`,
  :data:`SETTING_KEYS`, the keys that only score); :func:`effective_C`, the one ``C = 1/alpha``.
- The figure file grammar: :func:`fit_figure_name` makes a per-fit figure's file name,
  :func:`parse_fit_figure` reads it back.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, NamedTuple


class Status(StrEnum):
    """What became of one grid point (the ``status`` column of metrics.csv; a ``StrEnum``, so
    it is written, compared and read back as its plain text)."""

    OK = "ok"  # fitted, estimates exist
    SEPARATED = "separated"  # fitted, but the classes are (quasi-)separated: no finite MLE
    FAILED = "failed"  # the fit raised a problem of the fit (not converged, not identified)
    SKIPPED = "skipped"  # not fitted: the settings cannot go together (the reason says why)
    ERROR = "error"  # an unexpected error: a bug, with its traceback in the log
    PENDING = "pending"  # a grid point not fitted yet (the expanded grid only, never a result)


#: Statuses whose fits have estimates to score, draw and report (never FAILED/SKIPPED/ERROR).
SCORED = frozenset({Status.OK, Status.SEPARATED})
#: The order statuses are counted and listed in (summaries, the report's status menu).
STATUS_ORDER = (Status.OK, Status.SEPARATED, Status.SKIPPED, Status.FAILED, Status.ERROR)
#: The statuses a finished version's metrics.csv can hold, in that order (an ERROR stops the
#: job, so no version holds one): the per-status counts of the summary table and the run's text.
RECORDED = tuple(s for s in STATUS_ORDER if s is not Status.ERROR)

#: Metrics that are better lower (losses).
LOWER_IS_BETTER = frozenset({"log_loss", "brier"})
#: ``select:`` when the config is silent: rank by accuracy, take the best.
DEFAULT_SELECT = {"metric": "accuracy", "rule": "best"}


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` (a bare name: ``log_loss``, ``roc_auc``) is better."""
    return metric not in LOWER_IS_BETTER


# --------------------------------------------------------------------------------------------
# Settings: the keys of a grid point and their defaults

#: Grid keys of the ``sklearn:`` block and the value each takes when the config is silent.
SKLEARN_DEFAULTS: dict[str, Any] = {
    "solver": "lbfgs",
    "penalty": "l2",
    "C": 1.0,
    "l1_ratio": None,
    "multi_class": "auto",
    "class_weight": "none",
    "fit_intercept": True,
    "max_iter": 100,
    "tol": 1e-4,
    "random_state": 0,
}

#: Grid keys of the ``statsmodels:`` block and their defaults. ``maxiter`` None is resolved
#: per fit by :data:`MAXITER_DEFAULT`.
STATSMODELS_DEFAULTS: dict[str, Any] = {
    "regularized": "none",
    "alpha": None,
    "method": "newton",
    "maxiter": None,
}
#: Iterations by kind of statsmodels fit when the config is silent: enough to converge.
#: ``fit_regularized(method="l1")`` stops unconverged at 100 on breast_cancer (alpha=0.1); its
#: own default is 1000.
MAXITER_DEFAULT = {"none": 100, "l1": 1000}
FLOAT_KEYS = ("C", "tol", "alpha", "l1_ratio")
#: The settings of a grid point, in the order of metrics.csv.
SETTING_KEYS = (
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
)
#: Settings of the statistics computed with every fit (not part of its model_id).
SCORING_KEYS = (
    "bootstrap",
    "cv",
    "positive_class",
    "cov_type",
    "select",
    "threshold",
    "tune_threshold",
)
#: Of those, the settings that only score a stored fit: they are in the key of its scores,
#: never in the key of the fit (``cv`` is not among them: its fold fits are fitting; nor is
#: ``tune_threshold``: a tuned threshold is chosen by fold fits of its own, and the saved
#: model applies it). A fixed ``threshold`` only scores. ``cov_type`` (statsmodels fits: the
#: list of covariance types of its inference tables) is computed from the stored estimates
#: (:mod:`lrsweep.score.covariance`).
SCORE_ONLY_KEYS = ("bootstrap", "positive_class", "cov_type", "select", "threshold")
#: The covariance type of a statsmodels fit when the config is silent.
COV_TYPE_DEFAULT = "nonrobust"


def effective_C(row) -> float:
    """C, the inverse strength of the penalty, of any fit (a grid point, or a row of
    metrics.csv): scikit-learn's ``C``; statsmodels' L1 ``1/alpha`` (the two objectives agree at
    ``alpha = 1/C``, :mod:`lrsweep.fit.statsmodels`); infinity for an unpenalized statsmodels fit
    (or an ``alpha`` that is missing or not above 0)."""
    if row.get("library") == "statsmodels":
        try:
            alpha = float(row.get("alpha"))
        except (TypeError, ValueError):
            return math.inf
        return 1.0 / alpha if row.get("regularized") == "l1" and alpha > 0 else math.inf
    return float(row["C"])


# The figure file grammar: how a per-fit figure's file name is made, and read back

#: Between the parts of a per-fit figure's file name.
FIGURE_SEP = "--"


class FitFigure(NamedTuple):
    """The parts of a per-fit figure's file name
    ``<figure>--<solver>--<penalty>--C<C>--<model_id>.png`` (:func:`fit_figure_name`)."""

    figure: str  # confusion, tutorial, statsmodels
    solver: str
    penalty: str
    C: str
    model_id: str


def figure_labels(row) -> dict[str, str]:
    """solver, penalty and C of a fit as used in figure file names (and report labels). A
    statsmodels fit's "solver" is its method (``newton``, ...), or ``fit_regularized`` for L1,
    so that its figure is ``statsmodels--newton--none--Cinf--sm_mle_newton.png``, not
    ``statsmodels--statsmodels--...``: the model_id already says which library fitted it."""
    if row["library"] == "statsmodels":
        if row.get("regularized") == "l1":
            return {"solver": "fit_regularized", "penalty": "l1", "C": f"{effective_C(row):g}"}
        return {"solver": str(row.get("method") or "newton"), "penalty": "none", "C": "inf"}
    c = float(row["C"])
    return {
        "solver": row["solver"],
        "penalty": row["penalty"],
        "C": "inf" if math.isinf(c) else f"{c:g}",
    }


def fit_figure_name(figure: str, row) -> str:
    """The file name of the ``figure`` (``confusion``, ``tutorial``, ``statsmodels``) of the fit
    ``row`` (a metrics row: model_id and its settings) in a version's ``figures/<e>/fits/``."""
    labels = figure_labels(row)
    parts = (figure, labels["solver"], labels["penalty"], f"C{labels['C']}", row["model_id"])
    return FIGURE_SEP.join(parts) + ".png"


def parse_fit_figure(name: str) -> FitFigure | None:
    """The parts of a name made by :func:`fit_figure_name`, or None for any other name. The
    model_id is the whole rest after the fourth separator, so ``sk_C1`` is never read out of
    ``x_sk_C1``'s figure."""
    if not name.endswith(".png"):
        return None
    parts = name[: -len(".png")].split(FIGURE_SEP, 4)
    if len(parts) != 5 or not parts[3].startswith("C") or not all(parts):
        return None
    figure, solver, penalty, c, model_id = parts
    return FitFigure(figure, solver, penalty, c[1:], model_id)


def overview_fit_figure(model_id: str) -> str:
    """The name a statsmodels fit's figure has in its experiment's overview entry (drawn with
    the overview: it shows scikit-learn's fits beside it); published as
    :func:`fit_figure_name` ``("statsmodels", row)``."""
    return f"statsmodels{FIGURE_SEP}{model_id}.png"


def parse_overview_fit_figure(name: str) -> str | None:
    """The model_id of a name made by :func:`overview_fit_figure`, or None."""
    head = f"statsmodels{FIGURE_SEP}"
    if name.startswith(head) and name.endswith(".png") and len(name) > len(head) + 4:
        return name[len(head) : -len(".png")]
    return None
