"""Classification metrics of one fit, on the training and on the test rows.

:func:`split_metrics` is pure: class indices and probabilities in, a flat dict of numbers and
the confusion matrix and classification report out.
"""

from __future__ import annotations

import warnings

import numpy as np


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


def split_metrics(y: np.ndarray, pred: np.ndarray, proba: np.ndarray, classes: list) -> dict:
    """Metrics of one split; keys are bare (``accuracy``), the caller adds ``_train``/``_test``."""
    from sklearn import metrics as skm

    labels = list(range(len(classes)))
    names = [str(c) for c in classes]
    y, pred = np.asarray(y), np.asarray(pred)
    cm = skm.confusion_matrix(y, pred, labels=labels)
    out: dict = {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "balanced_accuracy": float(
            np.mean([cm[i, i] / cm[i].sum() for i in labels if cm[i].sum()])
        ),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for avg in ("macro", "weighted"):
            p, r, f, _ = skm.precision_recall_fscore_support(
                y, pred, labels=labels, average=avg, zero_division=0
            )
            out.update(
                {f"precision_{avg}": float(p), f"recall_{avg}": float(r), f"f1_{avg}": float(f)}
            )
        p, r, f, s = skm.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
        for i, name in enumerate(names):
            out.update(
                {
                    f"precision[{name}]": float(p[i]),
                    f"recall[{name}]": float(r[i]),
                    f"f1[{name}]": float(f[i]),
                }
            )
        present = np.unique(y)
        if len(present) < 2:
            auc = float("nan")
        elif len(classes) == 2:
            auc = float(skm.roc_auc_score(y, proba[:, 1]))
        elif len(present) == len(classes):
            auc = float(
                skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=labels)
            )
        else:
            auc = float("nan")
        out["roc_auc"] = auc
        out["log_loss"] = float(skm.log_loss(y, np.clip(proba, 1e-15, 1), labels=labels))
        report_text = skm.classification_report(
            y, pred, labels=labels, target_names=names, zero_division=0, digits=4
        )
        report_dict = skm.classification_report(
            y, pred, labels=labels, target_names=names, zero_division=0, output_dict=True
        )
    if len(classes) == 2:
        ind = binary_indicators(cm)
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


def evaluate(prepared, result: dict) -> dict:
    """Scores on train and test for a fitted grid point (see :func:`split_metrics`)."""
    out = {}
    for part in ("train", "test"):
        y = getattr(prepared, f"y_{part}")
        out[part] = split_metrics(
            y, result[f"pred_{part}"], result[f"proba_{part}"], prepared.classes
        )
    return out


def flat_scores(evaluation: dict) -> dict[str, float]:
    """``{"accuracy_train": ..., "accuracy_test": ..., ...}`` from :func:`evaluate`."""
    return {
        f"{k}_{part}": v
        for part in ("train", "test")
        for k, v in evaluation[part]["scores"].items()
    }
