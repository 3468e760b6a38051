"""Bootstrap intervals, McNemar and Holm, and cross-validation, each checked against an
independent computation."""

import copy

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from lrsweep.config.grid import expand_experiment
from lrsweep.results.selection import along_C
from lrsweep.score.intervals import (
    auc_interval,
    clopper_pearson,
    cv_scores,
    cv_splits,
    holm,
    mcnemar_exact,
    score_intervals,
    weighted_auc,
)
from tests.conftest import prepared_bundled


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


def _coverage(n: int, p: float, trials: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(trials):
        k = int(rng.binomial(n, p))
        low, high = clopper_pearson(k, n)
        hits += low <= p <= high
    return hits / trials


@pytest.mark.parametrize(
    ("n", "p"),
    [(200, 0.8), (360, 0.94), (45, 0.98), (45, 0.999), (20, 0.95), (10, 0.5), (1000, 0.999)],
)
def test_accuracy_interval_covers_the_true_accuracy_at_least_95_percent(n, p):
    """Clopper-Pearson's coverage, simulated: at least 95 % everywhere, including near 1 and
    on small test sets (where a percentile bootstrap collapses to [1, 1])."""
    assert _coverage(n, p, 4000, seed=n) >= 0.95 - 0.008  # 4000 trials: sd 0.0035


def test_clopper_pearson_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for k, n in [(45, 45), (0, 10), (339, 360), (1, 2)]:
        assert clopper_pearson(k, n) == pytest.approx(
            proportion_confint(k, n, alpha=0.05, method="beta"), abs=1e-12
        )
    low, high = clopper_pearson(45, 45)
    assert high == 1.0 and low == pytest.approx(0.9213, abs=1e-4)


def _auc_case(rng, n_pos, n_neg, shift):
    y = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    s = np.r_[rng.normal(shift, 1, n_pos), rng.normal(0, 1, n_neg)]
    p1 = 1 / (1 + np.exp(-s))
    return y, np.column_stack([1 - p1, p1])


@pytest.mark.parametrize(("n", "shift"), [(100, 1.0), (20, 4.5)])
def test_auc_interval_coverage_including_the_boundary(n, shift):
    """The AUC interval holds the true AUC (from a very large sample) in about 95 % of
    simulated test sets, also where most test sets have an AUC of 1 (shift 4.5, 20 + 20
    rows), where the bootstrap alone gives [1, 1]."""
    rng = np.random.default_rng(n)
    y_big, p_big = _auc_case(rng, 200_000, 200_000, shift)
    truth = roc_auc_score(y_big, p_big[:, 1])
    hits, trials, degenerate = 0, 300, 0
    for t in range(trials):
        y, p = _auc_case(rng, n, n, shift)
        low, high = auc_interval(y, p, 300, t)
        degenerate += roc_auc_score(y, p[:, 1]) == 1.0
        hits += low <= truth <= high
    if shift > 4:
        assert degenerate > trials / 3  # the boundary case is really exercised
    assert hits / trials >= 0.92


def test_intervals_are_reproducible_and_bracket_the_estimate():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 300)
    proba = rng.dirichlet(np.ones(3), 300)
    proba[np.arange(300), y] += 0.5
    proba /= proba.sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    a = score_intervals(y, pred, proba, 500, 7)
    assert a == score_intervals(y, pred, proba, 500, 7)
    acc, auc = (pred == y).mean(), roc_auc_score(y, proba, multi_class="ovr")
    assert a["accuracy_test_ci_low"] < acc < a["accuracy_test_ci_high"]
    assert a["roc_auc_test_ci_low"] < auc < a["roc_auc_test_ci_high"]


def test_a_perfect_auc_gets_an_interval_below_1():
    y = np.repeat([0, 1], 15)
    p1 = np.r_[np.linspace(0.1, 0.4, 15), np.linspace(0.6, 0.9, 15)]
    low, high = auc_interval(y, np.column_stack([1 - p1, p1]), 200, 0)
    assert high == 1.0 and low == pytest.approx(clopper_pearson(15, 15)[0])


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
    poisoned = copy.copy(wine)
    poisoned.X_test = np.full_like(np.asarray(wine.X_test), np.nan)
    [point] = expand_experiment("wine", {"sklearn": {"C": 0.1, "random_state": 0}})
    clean = cv_scores(wine, point, 5, 2, 0)
    assert cv_scores(poisoned, point, 5, 2, 0) == clean
    assert clean["cv_folds"] == 5 and clean["cv_repeats"] == 2
    assert 0.8 < clean["cv_accuracy_mean"] <= 1


def test_cv_scales_inside_each_fold_as_a_pipeline_does():
    """An independent computation: scikit-learn's own Pipeline(StandardScaler, model) under
    cross_validate on the raw training rows gives the same fold scores."""
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from lrsweep.config.resolve import resolve_config
    from lrsweep.prepare.design import prepare_experiment

    exp = {
        "dataset": {"source": "sklearn", "name": "wine"},
        "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
        "standardize": True,
        "cv": {"folds": 5, "repeats": 2, "random_state": 0},
        "sklearn": {"solver": "lbfgs", "C": 0.05, "random_state": 0},
    }
    sweep = resolve_config({"sweep": "t", "experiments": {"w": exp}})
    prepared = prepare_experiment("w", sweep["config"]["experiments"]["w"])
    point = sweep["grids"]["w"][0]
    ours = cv_scores(prepared, point, 5, 2, 0)
    from sklearn.model_selection import train_test_split

    data = load_wine()
    X_train, _, y_train, _ = train_test_split(
        data.data, data.target, test_size=0.3, random_state=0, stratify=data.target
    )
    scores = cross_val_score(
        make_pipeline(StandardScaler(), LogisticRegression(C=0.05, random_state=0)),
        X_train,
        y_train,
        cv=RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0),
    )
    assert ours["cv_accuracy_mean"] == pytest.approx(scores.mean(), abs=1e-12)
    assert ours["cv_accuracy_std"] == pytest.approx(scores.std(ddof=1), abs=1e-12)
    assert ours["cv_accuracy_se"] == pytest.approx(scores.std(ddof=1) / np.sqrt(5), abs=1e-12)


def test_one_standard_error_rule_prefers_the_stronger_penalty():
    import pandas as pd

    table = pd.DataFrame(
        {
            "C": [0.01, 0.1, 1.0, 10.0],
            "cv_accuracy_mean": [0.80, 0.93, 0.95, 0.94],
            "cv_accuracy_se": [0.03, 0.03, 0.03, 0.03],
        }
    )
    chosen = along_C(table)
    assert chosen["C_best_mean"] == 1.0
    assert chosen["C_one_se"] == 0.1  # 0.93 >= 0.95 - 0.03; 0.80 is not
