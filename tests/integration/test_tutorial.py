"""The tutorial's published scikit-learn numbers, reproduced through the package's functions."""

import warnings

import pytest

from lrsweep.config.resolve import resolve_config
from lrsweep.fit.sklearn import fit_grid_point
from lrsweep.prepare.design import prepare_experiment
from lrsweep.score.metrics import evaluate
from tests.conftest import DIGITS, EXAMPLE1, EXAMPLE2

# The tutorial's digits confusion matrix (test rows, liblinear, C=0.05, one-vs-rest).
DIGITS_CONFUSION = [
    [27, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 32, 0, 0, 0, 0, 1, 0, 1, 1],
    [1, 1, 33, 1, 0, 0, 0, 0, 0, 0],
    [0, 0, 1, 28, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 29, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 39, 0, 0, 0, 1],
    [0, 1, 0, 0, 0, 0, 43, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 39, 0, 0],
    [0, 2, 1, 2, 0, 0, 0, 1, 33, 0],
    [0, 0, 0, 1, 0, 1, 0, 2, 1, 36],
]


def fit(name, exp, model_index=0):
    sweep = resolve_config({"sweep": "t", "experiments": {name: exp}})
    prepared = prepare_experiment(name, sweep["config"]["experiments"][name])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning from the translation
        result = fit_grid_point(prepared, sweep["grids"][name][model_index])
    assert result["status"] == "ok", result.get("reason")
    return prepared, result, evaluate(prepared, result)


@pytest.mark.parametrize(
    ("index", "intercept", "coef", "accuracy", "confusion"),
    [
        (0, -1.04608067, 0.51491375, 0.9, [[3, 1], [0, 6]]),
        (1, -3.51335372, 1.12066084, 1.0, [[4, 0], [0, 6]]),
    ],
)
def test_example1(index, intercept, coef, accuracy, confusion):
    _, result, ev = fit("example1", EXAMPLE1, index)
    assert result["estimates"][0][0] == pytest.approx(intercept, abs=5e-9)
    assert result["estimates"][0][1] == pytest.approx(coef, abs=5e-9)
    assert ev["train"]["scores"]["accuracy"] == accuracy
    assert ev["train"]["confusion"] == confusion


def test_example1_tutorial_indicators():
    # C=1: [[3, 1], [0, 6]] -> specificity 3/4, negative predictive value 3/3
    _, _, ev = fit("example1", EXAMPLE1, 0)
    scores = ev["test"]["scores"]
    assert scores["specificity"] == 0.75 and scores["npv"] == 1.0
    assert scores["sensitivity"] == 1.0 and scores["precision[1]"] == pytest.approx(6 / 7)


def test_example2_sklearn():
    _, result, ev = fit("example2", EXAMPLE2, 0)
    assert result["estimates"][0][0] == pytest.approx(-1.51632619, abs=5e-9)
    assert result["estimates"][0][1] == pytest.approx(0.703457, abs=5e-7)
    assert ev["train"]["scores"]["accuracy"] == 0.8
    assert ev["train"]["confusion"] == [[2, 1], [1, 6]]


def test_digits():
    prepared, result, ev = fit("digits", DIGITS)
    assert (prepared.meta["n_train"], prepared.meta["n_test"]) == (1437, 360)
    assert ev["train"]["scores"]["accuracy"] == 0.964509394572025
    assert ev["test"]["scores"]["accuracy"] == 0.9416666666666667
    assert ev["test"]["confusion"] == DIGITS_CONFUSION
    assert result["multi_class"] == "ovr" and len(result["coef_classes"]) == 10
