"""Bootstrap intervals, McNemar and Holm, and cross-validation, each checked against an
independent computation."""

import numpy as np
import pytest
from conftest import prepared_bundled
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from lrsweep.config import expand_experiment
from lrsweep.inference import (
    bootstrap_accuracy,
    bootstrap_intervals,
    choose_C,
    cv_scores,
    cv_splits,
    holm,
    mcnemar_exact,
    weighted_auc,
)


@pytest.mark.parametrize("seed", range(5))
def test_mcnemar_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.random(200) < 0.8, rng.random(200) < 0.75
    n01, n10, p = mcnemar_exact(a, b)
    table = [[(a & b).sum(), (a & ~b).sum()], [(~a & b).sum(), (~a & ~b).sum()]]
    assert (n10, n01) == (table[0][1], table[1][0])
    assert p == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-12)


def test_mcnemar_identical_classifiers():
    a = np.array([True, False, True])
    assert mcnemar_exact(a, a) == (0, 0, 1.0)


@pytest.mark.parametrize("seed", range(5))
def test_holm_matches_statsmodels(seed):
    p = np.random.default_rng(seed).random(12) ** 3
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1], rel=1e-12)


@pytest.mark.parametrize("ties", [True, False])
def test_weighted_auc_with_unit_weights_is_roc_auc(ties):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = rng.random(500) + 0.3 * y
    if ties:
        s = np.round(s, 2)
    assert len(np.unique(s)) < 500 if ties else len(np.unique(s)) == 500
    assert weighted_auc(s, y == 1, np.ones((1, 500)))[0] == pytest.approx(roc_auc_score(y, s))
    # counts act as repeated rows, as integers or as floats
    w = rng.integers(0, 3, 500)
    rep = np.repeat(np.arange(500), w)
    expected = roc_auc_score(y[rep], s[rep])
    for weights in (w[None, :], w[None, :].astype(float)):
        assert weighted_auc(s, y == 1, weights)[0] == pytest.approx(expected, rel=1e-12)


def test_bootstrap_interval_covers_a_known_accuracy_about_95_percent():
    """Test sets of 100 + 100 rows whose per-class accuracy is 0.8: the interval should hold
    the true accuracy 0.8 in about 95 % of 400 simulated test sets."""
    rng = np.random.default_rng(12345)
    y = np.repeat([0, 1], 100)
    hits = 0
    trials = 400
    for t in range(trials):
        correct = rng.random(200) < 0.8
        pred = np.where(correct, y, 1 - y)
        samples = bootstrap_accuracy(y, pred, 1000, seed=t)
        low, high = np.percentile(samples, [2.5, 97.5])
        hits += low <= 0.8 <= high
    assert 0.91 <= hits / trials <= 0.98


def test_bootstrap_intervals_are_reproducible_and_bracket_the_estimate():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 300)
    proba = rng.dirichlet(np.ones(3), 300)
    proba[np.arange(300), y] += 0.5
    proba /= proba.sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    a = bootstrap_intervals(y, pred, proba, 500, 7)
    assert a == bootstrap_intervals(y, pred, proba, 500, 7)
    acc, auc = (pred == y).mean(), roc_auc_score(y, proba, multi_class="ovr")
    assert a["accuracy_test_ci_low"] < acc < a["accuracy_test_ci_high"]
    assert a["roc_auc_test_ci_low"] < auc < a["roc_auc_test_ci_high"]


@pytest.fixture(scope="module")
def wine():
    return prepared_bundled("wine")


def test_cv_never_touches_the_test_rows(wine):
    splits = cv_splits(wine.y_train, 5, 2, 0)
    assert len(splits) == 10
    for train, valid in splits:
        assert max(train.max(), valid.max()) < len(wine.y_train)
        assert set(train).isdisjoint(valid)
    # poison the test rows: cross-validation must not notice
    poisoned = type(wine)(
        wine.X_train,
        np.full_like(np.asarray(wine.X_test), np.nan),
        wine.y_train,
        wine.y_test,
        wine.classes,
        wine.feature_names,
        wine.meta,
    )
    [point] = expand_experiment("wine", {"sklearn": {"C": 0.1}})
    clean = cv_scores(wine, point, 5, 2, 0)
    assert cv_scores(poisoned, point, 5, 2, 0) == clean
    assert clean["cv_folds"] == 10 and 0.8 < clean["cv_accuracy_mean"] <= 1


def test_one_standard_error_rule_prefers_the_stronger_penalty():
    import pandas as pd

    table = pd.DataFrame(
        {
            "C": [0.01, 0.1, 1.0, 10.0],
            "cv_accuracy_mean": [0.80, 0.93, 0.95, 0.94],
            "cv_accuracy_std": [0.15, 0.15, 0.15, 0.15],
            "cv_folds": [25] * 4,
        }
    )
    chosen = choose_C(table)
    assert chosen["C_best_mean"] == 1.0
    assert chosen["C_one_se"] == 0.1  # 0.93 >= 0.95 - 0.15 / 5; 0.80 is not
