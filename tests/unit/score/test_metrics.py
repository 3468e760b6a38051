"""Metrics from the confusion matrix, checked against scikit-learn's own functions."""

import numpy as np
import pytest
from sklearn import metrics as skm

from lrsweep.score.metrics import binary_indicators, split_metrics


@pytest.mark.parametrize("k", [2, 3, 10])
def test_split_metrics_match_scikit_learn(k):
    rng = np.random.default_rng(k)
    y = rng.integers(0, k, 300)
    proba = rng.dirichlet(np.ones(k), 300)
    pred = np.where(rng.random(300) < 0.7, y, rng.integers(0, k, 300))
    classes = [f"c{i}" for i in range(k)]
    got = split_metrics(y, pred, proba, classes)
    s = got["scores"]
    assert s["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-15)
    assert s["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    for avg in ("macro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(y, pred, average=avg, zero_division=0)
        assert (s[f"precision_{avg}"], s[f"recall_{avg}"], s[f"f1_{avg}"]) == pytest.approx(
            (p, r, f)
        )
    assert s["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=list(range(k))))
    auc = (
        skm.roc_auc_score(y, proba[:, 1])
        if k == 2
        else skm.roc_auc_score(y, proba, multi_class="ovr")
    )
    assert s["roc_auc"] == pytest.approx(auc)
    assert got["confusion"] == skm.confusion_matrix(y, pred).tolist()
    expected = skm.classification_report(
        y, pred, target_names=classes, output_dict=True, zero_division=0
    )
    assert set(got["report"]) == set(expected)
    for key, value in expected.items():
        if isinstance(value, dict):
            assert got["report"][key] == pytest.approx(value), key
        else:
            assert got["report"][key] == pytest.approx(value), key
    text = skm.classification_report(y, pred, target_names=classes, digits=4, zero_division=0)
    assert got["report_text"].split() == text.split()


def test_class_never_predicted_scores_zero_precision():
    y = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 0, 1, 1, 1, 1])
    proba = np.eye(3)[pred] * 0.9 + 0.1 / 3
    s = split_metrics(y, pred, proba, [0, 1, 2])["scores"]
    assert s["precision[2]"] == 0.0 and s["recall[2]"] == 0.0
    assert s["precision_macro"] == pytest.approx(
        skm.precision_score(y, pred, average="macro", zero_division=0)
    )


def test_binary_indicators_by_hand():
    # [[TN, FP], [FN, TP]] = [[3, 1], [0, 6]]
    ind = binary_indicators([[3, 1], [0, 6]])
    assert ind == {"sensitivity": 1.0, "specificity": 0.75, "precision_pos": 6 / 7, "npv": 1.0}


@pytest.mark.parametrize("k", [2, 3])
def test_brier_score_and_average_precision_match_scikit_learn(k):
    rng = np.random.default_rng(10 + k)
    y = rng.integers(0, k, 400)
    proba = rng.dirichlet(np.ones(k), 400)
    pred = proba.argmax(axis=1)
    for positive in range(2 if k == 2 else 1):
        s = split_metrics(y, pred, proba, list(range(k)), positive)["scores"]
        if k == 2:
            assert s["brier"] == pytest.approx(
                skm.brier_score_loss(y == positive, proba[:, positive]), rel=1e-12
            )
            assert s["average_precision"] == pytest.approx(
                skm.average_precision_score(y == positive, proba[:, positive]), rel=1e-12
            )
        else:
            assert s["brier"] == pytest.approx(skm.brier_score_loss(y, proba), rel=1e-12)
            assert "average_precision" not in s


def test_positive_class_decides_sensitivity_specificity_and_npv():
    # classes ["benign", "malignant"]; malignant (index 1) is positive by default
    y = np.array([0, 0, 0, 1, 1, 1, 1])
    pred = np.array([0, 0, 1, 1, 1, 1, 0])
    proba = np.eye(2)[pred] * 0.8 + 0.1
    default = split_metrics(y, pred, proba, ["benign", "malignant"])["scores"]
    assert default["sensitivity"] == skm.recall_score(y, pred, pos_label=1)
    assert default["specificity"] == skm.recall_score(y, pred, pos_label=0)
    swapped = split_metrics(y, pred, proba, ["benign", "malignant"], positive=0)["scores"]
    assert swapped["sensitivity"] == default["specificity"]
    assert swapped["specificity"] == default["sensitivity"]
    assert swapped["npv"] == skm.precision_score(y, pred, pos_label=1)
    assert default["npv"] == skm.precision_score(y, pred, pos_label=0)
