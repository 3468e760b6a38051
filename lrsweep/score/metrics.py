"""Classification metrics of one fit, on the training and on the test rows.

:func:`split_metrics` is pure: class indices and probabilities in, a flat dict of numbers and
the confusion matrix and classification report out.
"""

from __future__ import annotations

import warnings

import numpy as np


def at_threshold(proba, threshold: float, positive: int = 1) -> np.ndarray:
    """Two-class predictions at a decision threshold: the positive class where its probability
    is at least ``threshold`` (as scikit-learn's ``FixedThresholdClassifier`` and
    ``TunedThresholdClassifierCV`` predict), else the other class."""
    proba = np.asarray(proba, dtype=float)
    return np.where(proba[..., positive] >= threshold, positive, 1 - positive).astype(np.int64)


def binary_indicators(cm: np.ndarray) -> dict[str, float]:
    """The tutorial's four indicators from a 2×2 confusion matrix [[TN, FP], [FN, TP]]."""
    (tn, fp), (fn, tp) = np.asarray(cm)

    def ratio(a, b):
        return float(a / (a + b)) if a + b else float("nan")

    return {
        "sensitivity": ratio(tp, fn),
        "specificity": ratio(tn, fp),
        "precision_pos": ratio(tp, fp),
        "npv": ratio(tn, fn),
    }


def per_class(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 and support per class from a confusion matrix (0 where undefined,
    as scikit-learn's ``zero_division=0``)."""
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, recall, f1, support


def classification_report(cm: np.ndarray, names: list[str], digits: int = 4) -> tuple[str, dict]:
    """scikit-learn's classification report (text and dict), computed from the confusion
    matrix in one pass (the sklearn function validates its input some twenty times)."""
    precision, recall, f1, support = per_class(cm)
    total = support.sum()
    accuracy = float(np.trace(cm) / total) if total else 0.0
    report = {
        name: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1-score": float(f1[i]),
            "support": float(support[i]),
        }
        for i, name in enumerate(names)
    }
    report["accuracy"] = accuracy
    weights = support / total if total else np.zeros_like(support)
    report["macro avg"] = {
        "precision": float(precision.mean()),
        "recall": float(recall.mean()),
        "f1-score": float(f1.mean()),
        "support": float(total),
    }
    report["weighted avg"] = {
        "precision": float(precision @ weights),
        "recall": float(recall @ weights),
        "f1-score": float(f1 @ weights),
        "support": float(total),
    }
    width = max(len("weighted avg"), *(len(n) for n in names), digits)
    head = " " * width + "".join(f" {h:>9}" for h in ("precision", "recall", "f1-score", "support"))
    lines = [head, ""]
    for name in names:
        r = report[name]
        lines.append(
            f"{name:>{width}}" + f" {r['precision']:>9.{digits}f} {r['recall']:>9.{digits}f}"
            f" {r['f1-score']:>9.{digits}f} {int(r['support']):>9}"
        )
    lines.append("")
    lines.append(f"{'accuracy':>{width}}" + " " * 20 + f" {accuracy:>9.{digits}f} {int(total):>9}")
    for avg in ("macro avg", "weighted avg"):
        r = report[avg]
        lines.append(
            f"{avg:>{width}}" + f" {r['precision']:>9.{digits}f} {r['recall']:>9.{digits}f}"
            f" {r['f1-score']:>9.{digits}f} {int(r['support']):>9}"
        )
    return "\n".join(lines) + "\n", report


def confusion_scores(cm: np.ndarray, names: list[str]) -> dict:
    """The scores that come from the confusion matrix: accuracy, balanced accuracy, macro and
    weighted precision, recall and F1, and each class's."""
    precision, recall, f1, support = per_class(cm)
    total = support.sum()
    weights = support / total
    present = support > 0
    out: dict = {
        "accuracy": float(np.trace(cm) / total),
        "balanced_accuracy": float(recall[present].mean()),
        "precision_macro": float(precision.mean()),
        "recall_macro": float(recall.mean()),
        "f1_macro": float(f1.mean()),
        "precision_weighted": float(precision @ weights),
        "recall_weighted": float(recall @ weights),
        "f1_weighted": float(f1 @ weights),
    }
    for i, name in enumerate(names):
        out.update(
            {
                f"precision[{name}]": float(precision[i]),
                f"recall[{name}]": float(recall[i]),
                f"f1[{name}]": float(f1[i]),
            }
        )
    return out


def roc_auc(y: np.ndarray, proba: np.ndarray, present: np.ndarray) -> float:
    """ROC AUC (several classes: one-vs-rest, macro-averaged); NaN when fewer than two classes
    are present, or, with more than two, when one is missing."""
    from sklearn import metrics as skm

    k = proba.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if present.sum() < 2:
            return float("nan")
        if k == 2:
            return float(skm.roc_auc_score(y, proba[:, 1]))
        if present.all():
            return float(
                skm.roc_auc_score(
                    y, proba, multi_class="ovr", average="macro", labels=list(range(k))
                )
            )
        return float("nan")


def probability_scores(y: np.ndarray, proba: np.ndarray, f1: np.ndarray, positive: int) -> dict:
    """Log-loss and the Brier score; for two classes also the positive class's F1 (``f1``: the
    per-class F1) and average precision, in that order."""
    from sklearn import metrics as skm

    k = proba.shape[1]
    p_true = np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0)
    row_sums = proba.sum(axis=1)
    out = {"log_loss": float(-np.mean(np.log(p_true / row_sums)))}
    truth = np.eye(k)[y]
    if k != 2:
        out["brier"] = float(np.mean(np.sum((proba - truth) ** 2, axis=1)))
        return out
    out["f1"] = float(f1[positive])  # the positive class's F1 (scikit-learn's f1_score)
    out["brier"] = float(np.mean((proba[:, positive] - truth[:, positive]) ** 2))
    is_pos = y == positive
    out["average_precision"] = (
        float(skm.average_precision_score(is_pos, proba[:, positive]))
        if 0 < is_pos.sum() < len(y)
        else float("nan")
    )
    return out


def split_metrics(
    y: np.ndarray, pred: np.ndarray, proba: np.ndarray, names: list, positive: int = 1
) -> dict:
    """Metrics of one split; keys are bare (``accuracy``), the caller adds ``_train``/``_test``.

    ``names`` are the classes' display names, ``positive`` the index of the class that
    sensitivity, specificity, npv and average precision call positive (two classes).
    Everything but ROC AUC, log-loss, the Brier score and average precision comes from the
    confusion matrix. ROC AUC of several classes is one-vs-rest, macro-averaged; the Brier
    score is the mean over rows of the squared distance between the probabilities and the
    one-hot truth (for two classes, of the positive class's probability and 0/1), as
    scikit-learn's ``brier_score_loss``."""
    k = len(names)
    names = [str(c) for c in names]
    y, pred = np.asarray(y, dtype=np.int64), np.asarray(pred, dtype=np.int64)
    proba = np.asarray(proba, dtype=float)
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    _precision, _recall, f1, support = per_class(cm)
    out = confusion_scores(cm, names)
    out["roc_auc"] = roc_auc(y, proba, support > 0)
    out.update(probability_scores(y, proba, f1, positive))
    report_text, report_dict = classification_report(cm, names)
    if k == 2:
        negative = 1 - positive
        ind = binary_indicators(cm[np.ix_([negative, positive], [negative, positive])])
        out.update(
            {
                "specificity": ind["specificity"],
                "npv": ind["npv"],
                "sensitivity": ind["sensitivity"],
            }
        )
    return {
        "scores": out,
        "confusion": cm.tolist(),
        "report_text": report_text,
        "report": report_dict,
    }


def evaluate(prepared, result: dict, positive: int = 1) -> dict:
    """Scores on train and test for a fitted grid point (see :func:`split_metrics`)."""
    out = {}
    for part in ("train", "test"):
        y = getattr(prepared, f"y_{part}")
        out[part] = split_metrics(
            y, result[f"pred_{part}"], result[f"proba_{part}"], prepared.class_names, positive
        )
    return out


def flat_scores(evaluation: dict) -> dict[str, float]:
    """``{"accuracy_train": ..., "accuracy_test": ..., ...}`` from :func:`evaluate`."""
    return {
        f"{k}_{part}": v
        for part in ("train", "test")
        for k, v in evaluation[part]["scores"].items()
    }
