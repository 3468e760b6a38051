"""statsmodels fits: the tutorial's summary numbers, failures a person understands, and
agreement with scikit-learn."""

import numpy as np
import pytest
from conftest import DIGITS, EXAMPLE1, EXAMPLE2

from lrsweep.config import expand_experiment, resolve_config
from lrsweep.data import prepare_experiment
from lrsweep.metrics import evaluate
from lrsweep.models import fit_grid_point


def prepared_for(name, exp):
    sweep = resolve_config({"sweep": "t", "experiments": {name: exp}})
    return prepare_experiment(name, sweep["config"]["experiments"][name])


def sm_point(name, **spec):
    return [p for p in expand_experiment(name, {"statsmodels": spec})][0]


def test_example2_logit_reproduces_the_tutorial_summary():
    prepared = prepared_for("example2", EXAMPLE2)
    r = fit_grid_point(prepared, sm_point("example2", method="newton", maxiter=100))
    assert r["status"] == "ok" and r["converged"] and r["n_iter"] == 7
    assert r["estimates"][0] == pytest.approx([-1.972805, 0.82240094], abs=5e-7)
    assert r["inference"]["std_err"][0] == pytest.approx([1.737, 0.528], abs=5e-4)
    s = r["stats"]
    assert s["llf"] == pytest.approx(-3.5047, abs=5e-5)
    assert s["llnull"] == pytest.approx(-6.1086, abs=5e-5)
    assert s["pseudo_r2"] == pytest.approx(0.4263, abs=5e-5)
    assert s["llr_pvalue"] == pytest.approx(0.02248, abs=5e-6)
    assert s["aic"] == pytest.approx(11.0094, abs=5e-5)
    assert s["bic"] == pytest.approx(11.6146, abs=5e-5)
    assert r["proba_train"][0, 1] == pytest.approx(0.12208792, abs=5e-9)
    assert r["proba_train"][-1, 1] == pytest.approx(0.99563083, abs=5e-9)
    assert r["pred_table"] == [[2, 1], [1, 6]]
    assert evaluate(prepared, r)["train"]["confusion"] == [[2, 1], [1, 6]]
    assert "Logit Regression Results" in r["summary"] and "Pseudo R-squared" in r["summary2"]


def test_perfect_separation_fails_with_a_reason():
    r = fit_grid_point(prepared_for("example1", EXAMPLE1), sm_point("example1"))
    assert r["status"] == "failed"
    assert r["reason"].startswith("perfect separation: ")
    assert "PerfectSeparation" in r["traceback"]


def test_singular_hessian_names_the_constant_columns():
    r = fit_grid_point(prepared_for("digits", DIGITS), sm_point("digits", maxiter=5))
    assert r["status"] == "failed"
    assert r["reason"].startswith("singular Hessian: constant columns pixel_0_0")


@pytest.mark.parametrize("C", [0.1, 0.5])
def test_l1_alpha_is_one_over_C(C):
    exp = {
        "dataset": {"source": "sklearn", "name": "breast_cancer"},
        "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
        "standardize": True,
    }
    prepared = prepared_for("bc", exp)
    # saga: liblinear would penalize the intercept too (its intercept_scaling), statsmodels not
    [sk] = expand_experiment(
        "bc",
        {
            "sklearn": {
                "solver": "saga",
                "penalty": "l1",
                "C": C,
                "tol": 1e-9,
                "max_iter": 100000,
                "random_state": 0,
            }
        },
    )
    sm = sm_point("bc", regularized="l1", alpha=1 / C, maxiter=5000)
    a, b = fit_grid_point(prepared, sk), fit_grid_point(prepared, sm)
    assert a["status"] == b["status"] == "ok"
    assert np.max(np.abs(a["estimates"] - b["estimates"])) < 1e-3


def test_mnlogit_for_three_classes():
    exp = {
        "dataset": {"source": "sklearn", "name": "iris"},
        "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
        "standardize": True,
    }
    r = fit_grid_point(prepared_for("iris", exp), sm_point("iris", regularized="l1", alpha=1.0))
    assert r["status"] == "ok"
    assert r["coef_classes"] == [1, 2] and r["estimates"].shape == (2, 5)
    assert r["inference"]["ci_low"].shape == (2, 5)
