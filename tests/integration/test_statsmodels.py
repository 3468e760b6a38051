"""statsmodels fits that take seconds: L1 at alpha against saga at C = 1/alpha as objectives,
maxiter, wide and rank-deficient designs, a singular Hessian."""

import numpy as np
import pytest

from lrsweep.config.grid import expand_experiment
from lrsweep.fit.sklearn import fit_grid_point
from lrsweep.score.metrics import evaluate
from tests.conftest import DIGITS, EXAMPLE2
from tests.unit.fit.test_statsmodels import prepared_for, sm_point


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


def test_singular_hessian_names_the_constant_columns():
    r = fit_grid_point(prepared_for("digits", DIGITS), sm_point("digits", maxiter=5))
    assert r["status"] == "failed"
    assert r["reason"].startswith("singular Hessian: constant columns pixel_0_0")


BC = {
    "dataset": {"source": "sklearn", "name": "breast_cancer"},
    "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
    "standardize": True,
}


def l1_objective(prepared, estimates, alpha):
    """-loglik + alpha * sum|beta| (intercept not penalized), computed here from the
    coefficients with numpy alone: the objective statsmodels minimises."""
    X = np.column_stack([np.ones(len(prepared.X_train)), prepared.X_train])
    eta = X @ np.asarray(estimates)[0]
    y = np.asarray(prepared.y_train)
    loglik = np.sum(y * eta - np.logaddexp(0, eta))
    return -loglik + alpha * np.abs(np.asarray(estimates)[0][1:]).sum()


@pytest.mark.parametrize("alpha", [pytest.param(0.1, marks=pytest.mark.slow), 1.0, 10.0])
def test_l1_alpha_is_one_over_C_as_objectives(alpha):
    """statsmodels' L1 fit and saga at C = 1/alpha minimise the same objective: their optima
    agree to 1e-4 relative, even where the coefficients are not identified (a flat optimum:
    at alpha=1 they differ by 7e-2 while the objectives agree)."""
    prepared = prepared_for("bc", BC)
    [sk] = expand_experiment(
        "bc",
        {
            "sklearn": {
                "solver": "saga",
                "penalty": "l1",
                "C": 1 / alpha,
                "tol": 1e-10,
                "max_iter": 200000,
                "random_state": 0,
            }
        },
    )
    sm = sm_point("bc", regularized="l1", alpha=alpha)  # lrsweep's default maxiter
    a, b = fit_grid_point(prepared, sk), fit_grid_point(prepared, sm)
    assert a["status"] == b["status"] == "ok" and b["converged"]
    f_sk = l1_objective(prepared, a["estimates"], alpha)
    f_sm = l1_objective(prepared, b["estimates"], alpha)
    assert f_sm == pytest.approx(f_sk, rel=1e-4)


def test_l1_default_maxiter_converges_where_100_did_not():
    prepared = prepared_for("bc", BC)
    default = fit_grid_point(prepared, sm_point("bc", regularized="l1", alpha=0.1))
    capped = fit_grid_point(prepared, sm_point("bc", regularized="l1", alpha=0.1, maxiter=100))
    assert default["converged"] and not capped["converged"]
    assert default["n_iter"] > 100
    assert l1_objective(prepared, default["estimates"], 0.1) < l1_objective(
        prepared, capped["estimates"], 0.1
    )


def test_l1_fits_report_no_inference():
    prepared = prepared_for("bc", BC)
    r = fit_grid_point(prepared, sm_point("bc", regularized="l1", alpha=1.0))
    assert r["status"] == "ok" and r["inference"] is None
    assert r["summary"].startswith("NOTE (lrsweep): this is an L1-penalized fit")


def wide_inline(x, y):
    return {"dataset": {"source": "inline", "x": x.tolist(), "y": y.tolist()}, "split": "none"}


@pytest.mark.parametrize("classes", [2, 3])
def test_wide_full_row_rank_fails_at_once_without_fitting(monkeypatch, classes):
    """600 features for 200 rows: the design has full row rank, so any labelling is fitted
    exactly. Checked independently (numpy's rank; an unpenalized scikit-learn fit with
    training accuracy 1.0); lrsweep says so without running statsmodels' Newton (Logit for
    two classes, MNLogit for three)."""
    from sklearn.linear_model import LogisticRegression
    from statsmodels.discrete.discrete_model import Logit, MNLogit

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 600))
    y = rng.integers(0, classes, 200)
    prepared = prepared_for("wide", wide_inline(x, y))
    design = np.column_stack([np.ones(200), prepared.X_train])
    assert np.linalg.matrix_rank(design) == 200
    exact = LogisticRegression(C=np.inf, max_iter=5000).fit(prepared.X_train, prepared.y_train)
    assert exact.score(prepared.X_train, prepared.y_train) == 1.0

    def no_fit(*args, **kwargs):
        raise AssertionError("statsmodels' fit ran")

    monkeypatch.setattr(Logit, "fit", no_fit)
    monkeypatch.setattr(MNLogit, "fit", no_fit)
    r = fit_grid_point(prepared, sm_point("wide"))
    assert r["status"] == "failed"
    assert r["reason"] == (
        "perfect separation: 601 terms for 200 rows (the design has full row rank: any "
        "labelling is fitted exactly), so the maximum-likelihood estimate does not exist "
        "(use a penalty or regularized: l1)"
    )


def duplicated_rows(p, same_labels):
    """200 rows of p features, the last 50 copies of the first 50 (rank 150 with the
    intercept), with the copies' labels the same (separable) or flipped (two identical rows
    of different classes: not completely separable)."""
    rng = np.random.default_rng(1)
    base = rng.normal(size=(150, p))
    x = np.vstack([base, base[:50]])
    y = rng.integers(0, 2, 200)
    y[150:] = y[:50] if same_labels else 1 - y[:50]
    return x, y


def test_wide_rank_deficient_design_is_decided_on_its_row_space(monkeypatch):
    """A 200 x 2,001 design of rank 150: the linear programs get 150 columns, not 2,001 (the
    rows' coordinates in the row space), and agree with an unpenalized scikit-learn fit: the
    separable labelling is fitted exactly, the flipped one cannot be."""
    import scipy.optimize
    from sklearn.linear_model import LogisticRegression

    from lrsweep.fit.statsmodels import separation

    shapes = []
    linprog = scipy.optimize.linprog

    def recording(c, **kwargs):
        shapes.append(kwargs["A_ub"].shape)
        return linprog(c, **kwargs)

    monkeypatch.setattr(scipy.optimize, "linprog", recording)
    for same, expected in ((True, "complete"), (False, "quasi-complete")):
        x, y = duplicated_rows(2000, same)
        design = np.column_stack([np.ones(200), x])
        assert np.linalg.matrix_rank(design) == 150
        accuracy = LogisticRegression(C=np.inf, max_iter=5000).fit(x, y).score(x, y)
        assert (accuracy == 1.0) is same
        assert separation(design, y, 2) == expected
    assert shapes and all(cols <= 151 for _, cols in shapes)


def test_wide_rank_deficient_design_fails_as_collinear_without_fitting(monkeypatch):
    from statsmodels.discrete.discrete_model import Logit

    def no_fit(*args, **kwargs):
        raise AssertionError("statsmodels' fit ran")

    monkeypatch.setattr(Logit, "fit", no_fit)
    x, y = duplicated_rows(400, same_labels=False)
    r = fit_grid_point(prepared_for("wide", wide_inline(x, y)), sm_point("wide"))
    assert r["status"] == "failed"
    assert r["reason"] == (
        "singular Hessian: 401 terms but the design's rank is 150 (200 training rows), so the "
        "estimates are not identified; drop redundant columns or use regularized: l1"
    )
    x, y = duplicated_rows(400, same_labels=True)
    r = fit_grid_point(prepared_for("wide", wide_inline(x, y)), sm_point("wide"))
    assert r["reason"].startswith("perfect separation: the features separate the classes")
