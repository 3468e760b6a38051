"""The shared vocabulary: one home for each word the stages share.

- :class:`Status`, what became of a grid point, and its groups (:data:`SCORED`).
- Metric directions: :data:`LOWER_IS_BETTER` names the metrics that are better lower; every
  other metric (accuracy, balanced accuracy, ROC AUC, F1, average precision, ...) is better
  higher. Read by the selection rule, the one-standard-error rule, the leaderboard and the
  figures.
- The default ``select:``.
- The figure file grammar: :func:`fit_figure_name` makes a per-fit figure's file name,
  :func:`parse_fit_figure` reads it back.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    """What became of one grid point (the ``status`` column of metrics.csv; a ``StrEnum``, so
    it is written, compared and read back as its plain text)."""

    OK = "ok"  # fitted, estimates exist
    SEPARATED = "separated"  # fitted, but the classes are (quasi-)separated: no finite MLE
    FAILED = "failed"  # the fit raised a problem of the fit (not converged, not identified)
    SKIPPED = "skipped"  # not fitted: the settings cannot go together (the reason says why)
    ERROR = "error"  # an unexpected error: a bug, with its traceback in the log


#: Statuses whose fits have estimates to score, draw and report (never FAILED/SKIPPED/ERROR).
SCORED = frozenset({Status.OK, Status.SEPARATED})
#: The order statuses are counted and listed in (summaries, the report's status menu).
STATUS_ORDER = (Status.OK, Status.SEPARATED, Status.SKIPPED, Status.FAILED, Status.ERROR)

#: Metrics that are better lower (losses).
LOWER_IS_BETTER = frozenset({"log_loss", "brier"})
#: ``select:`` when the config is silent: rank by accuracy, take the best.
DEFAULT_SELECT = {"metric": "accuracy", "rule": "best"}


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` (a bare name: ``log_loss``, ``roc_auc``) is better."""
    return metric not in LOWER_IS_BETTER


# --------------------------------------------------------------------------------------------
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
            return {"solver": "fit_regularized", "penalty": "l1", "C": f"{1 / row['alpha']:g}"}
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
