"""The shared vocabulary: one home for each word the stages share.

- :class:`Status`, what became of a grid point, and its groups (:data:`SCORED`).
- Metric directions: :data:`LOWER_IS_BETTER` names the metrics that are better lower; every
  other metric (accuracy, balanced accuracy, ROC AUC, F1, average precision, ...) is better
  higher. Read by the selection rule, the one-standard-error rule, the leaderboard and the
  figures.
- The default ``select:``.
"""

from __future__ import annotations

from enum import StrEnum


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
