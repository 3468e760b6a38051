"""Translation to today's scikit-learn, skipped and failed points, label handling."""

import numpy as np
import pytest

from lrsweep.config.grid import expand_experiment
from lrsweep.config.resolve import resolve_config
from lrsweep.fit.sklearn import fit_grid_point, sklearn_kwargs
from lrsweep.prepare.design import prepare_experiment
from lrsweep.score.metrics import evaluate
from tests.conftest import EXAMPLE2, prepared_bundled


@pytest.fixture(scope="module")
def iris():
    return prepared_bundled("iris")


def test_translation_of_penalties():
    base = {
        "solver": "saga",
        "C": 2.0,
        "l1_ratio": 0.3,
        "class_weight": "balanced",
        "fit_intercept": True,
        "max_iter": 10,
        "tol": 1e-4,
        "random_state": 0,
    }
    assert sklearn_kwargs({**base, "penalty": "l1"})["l1_ratio"] == 1.0
    assert sklearn_kwargs({**base, "penalty": "l2"})["l1_ratio"] == 0.0
    assert sklearn_kwargs({**base, "penalty": "elasticnet"})["l1_ratio"] == 0.3
    none = sklearn_kwargs({**base, "penalty": "none"})
    assert none["C"] == np.inf and none["class_weight"] == "balanced"


def test_ovr_and_multinomial_differ_on_three_classes(iris):
    [ovr] = expand_experiment("iris", {"sklearn": {"multi_class": "ovr", "C": 0.1}})
    [mn] = expand_experiment("iris", {"sklearn": {"multi_class": "multinomial", "C": 0.1}})
    a, b = fit_grid_point(iris, ovr), fit_grid_point(iris, mn)
    assert a["multi_class"] == "ovr" and b["multi_class"] == "multinomial"
    assert not np.allclose(a["estimates"], b["estimates"])


def test_skipped_point_is_not_fitted(iris):
    [point] = expand_experiment("iris", {"sklearn": {"solver": "lbfgs", "penalty": "l1"}})
    result = fit_grid_point(iris, point)
    assert result["status"] == "skipped" and "l1 needs liblinear or saga" in result["reason"]


def test_convergence_warning_is_recorded_not_fatal(iris):
    [point] = expand_experiment("iris", {"sklearn": {"solver": "saga", "max_iter": 1, "C": 10.0}})
    result = fit_grid_point(iris, point)
    assert result["status"] == "ok" and result["converged"] is False and result["n_iter"] == 1


def test_solver_exception_becomes_a_failed_row(iris):
    [point] = expand_experiment("iris", {"sklearn": {"solver": "lbfgs"}})
    point["max_iter"] = -1  # scikit-learn raises; the point fails alone
    result = fit_grid_point(iris, point)
    assert result["status"] == "failed"
    assert "max_iter" in result["reason"] and "\n" not in result["reason"]
    assert "Traceback" in result["traceback"]


def test_string_labels_keep_their_class_order():
    exp = {
        **EXAMPLE2,
        "dataset": {
            "source": "inline",
            "x": EXAMPLE2["dataset"]["x"],
            "y": ["no" if v == 0 else "yes" for v in EXAMPLE2["dataset"]["y"]],
        },
    }
    sweep = resolve_config({"sweep": "t", "experiments": {"e": exp}})
    prepared = prepare_experiment("e", sweep["config"]["experiments"]["e"])
    assert prepared.classes == ["no", "yes"]
    result = fit_grid_point(prepared, sweep["grids"]["e"][0])
    assert result["coef_classes"] == ["yes"]
    assert evaluate(prepared, result)["train"]["confusion"] == [[2, 1], [1, 6]]
