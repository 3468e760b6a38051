"""The shared vocabulary of selection: metric directions and the default ``select:``.

One table, read by the selection rule, the one-standard-error rule, the leaderboard and the
figures: :data:`LOWER_IS_BETTER` names the metrics that are better lower; every other metric
(accuracy, balanced accuracy, ROC AUC, F1, average precision, ...) is better higher.
"""

from __future__ import annotations

#: Metrics that are better lower (losses).
LOWER_IS_BETTER = frozenset({"log_loss", "brier"})
#: ``select:`` when the config is silent: rank by accuracy, take the best.
DEFAULT_SELECT = {"metric": "accuracy", "rule": "best"}


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` (a bare name: ``log_loss``, ``roc_auc``) is better."""
    return metric not in LOWER_IS_BETTER
