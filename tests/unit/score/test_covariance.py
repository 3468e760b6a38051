"""lrsweep's covariance, odds ratios and average marginal effects against R's glm and sandwich
(tests/data/r_reference: spector.R made spector_reference.csv once; R is not needed here)."""

import numpy as np
import pandas as pd
import pytest

from lrsweep.score import covariance as cov
from tests.conftest import REPO

REF = REPO / "tests" / "data" / "r_reference"
TERMS = ["intercept", "GPA", "TUCE", "PSI"]
RTOL = 1e-4


@pytest.fixture(scope="module")
def ref():
    return pd.read_csv(REF / "spector_reference.csv", keep_default_na=False)


@pytest.fixture(scope="module")
def spector(ref):
    """The design, labels, groups and R's estimates (so that only the formulas are compared;
    statsmodels' own Newton fit is compared to R's estimates apart)."""
    data = pd.read_csv(REF / "spector.csv")
    X = np.column_stack([np.ones(len(data)), data[["GPA", "TUCE", "PSI"]].to_numpy()])
    b = r_values(ref, "estimate", "").reshape(-1, 1)
    return X, data["GRADE"].to_numpy(), b, data["GROUP"].to_numpy()


def r_values(ref, quantity, cov_type, terms=TERMS):
    rows = ref[(ref["quantity"] == quantity) & (ref["cov_type"] == cov_type)]
    return rows.set_index("term").loc[terms, "value"].astype(float).to_numpy()


def test_statsmodels_estimates_match_r(spector, ref):
    import statsmodels.api as sm

    X, y, _, _ = spector
    fit = sm.Logit(y, X).fit(method="newton", disp=0)
    np.testing.assert_allclose(fit.params, r_values(ref, "estimate", ""), rtol=RTOL)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"])
def test_covariance_matches_sandwich(spector, ref, cov_type):
    X, y, b, groups = spector
    V = cov.covariance(X, y, b, cov_type, groups)
    rows = ref[(ref["quantity"] == "vcov") & (ref["cov_type"] == cov_type)]
    expected = rows.pivot(index="term", columns="term2", values="value").loc[TERMS, TERMS]
    np.testing.assert_allclose(V, expected.astype(float).to_numpy(), rtol=RTOL)
    se = cov.wald(b, V)["std_err"]
    np.testing.assert_allclose(se, r_values(ref, "std_err", cov_type), rtol=RTOL)


def test_hc1_is_not_statsmodels_hc1(spector, ref):
    """statsmodels' own HC1 on Logit applies no n/(n-k): 5.198 for the intercept, R 5.556."""
    import statsmodels.api as sm

    X, y, b, _ = spector
    theirs = sm.Logit(y, X).fit(disp=0, cov_type="HC1").bse[0]
    ours = cov.wald(b, cov.covariance(X, y, b, "HC1"))["std_err"][0]
    assert theirs == pytest.approx(5.198, abs=1e-3)
    assert ours == pytest.approx(5.5564, abs=1e-3)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "cluster"])
def test_odds_ratios_match_r(spector, ref, cov_type):
    X, y, b, groups = spector
    inference = cov.wald(b, cov.covariance(X, y, b, cov_type, groups))
    ors = cov.odds_ratios(inference, b)
    for name in ("odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high"):
        np.testing.assert_allclose(ors[name], r_values(ref, name, cov_type), rtol=RTOL)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "HC3", "cluster"])
def test_average_marginal_effects_match_r(spector, ref, cov_type):
    X, y, b, groups = spector
    me = cov.marginal_effects(X, b, cov.covariance(X, y, b, cov_type, groups))
    terms = TERMS[1:]
    np.testing.assert_allclose(
        me["effect"][0, 1:], r_values(ref, "ame", cov_type, terms), rtol=RTOL
    )
    np.testing.assert_allclose(
        me["std_err"][0, 1:], r_values(ref, "ame_std_err", cov_type, terms), rtol=RTOL
    )


@pytest.fixture(scope="module")
def three_classes():
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    X = sm.add_constant(rng.normal(size=(300, 2)))
    eta = X @ np.array([[0.0, 0.3, -0.2], [0.0, 1.0, -0.5], [0.0, -0.4, 0.8]])
    P = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=p) for p in P])
    return X, y, sm.MNLogit(y, X).fit(disp=0, tol=1e-12)


def test_multinomial_matches_statsmodels(three_classes):
    """Three classes: statsmodels' nonrobust and HC0 (a plain sandwich there) and its
    get_margeff, an independent implementation."""
    import statsmodels.api as sm

    X, y, fit = three_classes
    V = cov.covariance(X, y, fit.params, "nonrobust")
    np.testing.assert_allclose(V, np.asarray(fit.cov_params()), rtol=RTOL)
    hc0 = sm.MNLogit(y, X).fit(disp=0, tol=1e-12, cov_type="HC0")
    np.testing.assert_allclose(
        np.sqrt(np.diag(cov.covariance(X, y, fit.params, "HC0"))),
        np.asarray(hc0.bse).T.ravel(),
        rtol=RTOL,
    )
    me = cov.marginal_effects(X, fit.params, V)
    theirs = fit.get_margeff(at="overall", method="dydx")
    np.testing.assert_allclose(me["effect"][:, 1:].T, theirs.margeff, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(me["std_err"][:, 1:].T, theirs.margeff_se, rtol=RTOL)


def test_cov_type_refusals():
    assert cov.check_cov_type("HC1", 2, False) is None
    assert "multinomial" in cov.check_cov_type("HC3", 3, False)
    assert "statsmodels.groups" in cov.check_cov_type("cluster", 2, False)


def test_a_grid_point_reports_rs_numbers(ref):
    """End to end through lrsweep's preparation, fit and scores: a csv experiment on the
    Spector & Mazzeo table with cov_type HC0, HC1 and cluster (groups GROUP, not a feature)
    gives R's standard errors, odds ratios and average marginal effects."""
    import io

    from lrsweep.config.resolve import resolve_config
    from lrsweep.prepare.design import prepare_experiment
    from lrsweep.score.record import entry_files, fit_and_score

    cov_types = ["nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"]
    exp = {
        "dataset": {
            "source": "csv",
            "path": "spector.csv",
            "target": "GRADE",
            "features": ["GPA", "TUCE", "PSI"],
        },
        "split": "none",
        "statsmodels": {"method": "newton", "cov_type": cov_types, "groups": "GROUP"},
    }
    sweep = resolve_config({"sweep": "t", "experiments": {"spector": exp}})
    prepared = prepare_experiment("spector", sweep["config"]["experiments"]["spector"], REF)
    [point] = sweep["grids"]["spector"]
    files = entry_files(fit_and_score(prepared, point), prepared)
    coefs = pd.read_csv(io.BytesIO(files["inference.csv"]))
    effects = pd.read_csv(io.BytesIO(files["marginal_effects.csv"]))
    for cov_type in cov_types:
        block = coefs[coefs["cov_type"] == cov_type].set_index("term").loc[TERMS]
        np.testing.assert_allclose(block["estimate"], r_values(ref, "estimate", ""), rtol=RTOL)
        for name in ("std_err", "odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high"):
            np.testing.assert_allclose(block[name], r_values(ref, name, cov_type), rtol=RTOL)
        me = effects[effects["cov_type"] == cov_type].set_index("term").loc[TERMS[1:]]
        np.testing.assert_allclose(
            me["marginal_effect"], r_values(ref, "ame", cov_type, TERMS[1:]), rtol=RTOL
        )
        np.testing.assert_allclose(
            me["std_err"], r_values(ref, "ame_std_err", cov_type, TERMS[1:]), rtol=RTOL
        )
