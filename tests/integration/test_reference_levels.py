"""statsmodels' reference levels, robust and clustered inference, odds ratios and marginal
effects as a grid point reports them (real preparation and fits, independent numbers)."""

import re

import numpy as np
import pandas as pd
import pytest

from lrsweep.config.resolve import resolve_config
from lrsweep.errors import LrsweepError
from lrsweep.prepare.design import MISSING_LEVEL, prepare_experiment
from lrsweep.score.record import entry_files, fit_and_score

REGIONS = ["east", "north", "south", "west"]


def regions_table(n=500, seed=0, gaps=0.04, missing_first=False):
    """A table with a text column with gaps; ``north`` has a true effect of +0.8."""
    rng = np.random.default_rng(seed)
    region = rng.choice(REGIONS, size=n, p=[0.2, 0.25, 0.35, 0.2]).astype(object)
    region[rng.random(n) < gaps] = None
    x = rng.normal(size=n)
    eta = -0.2 + 0.7 * x + 0.8 * (region == "north")
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    school = [f"s{i % 25:02d}" for i in range(n)]
    return pd.DataFrame({"x": x, "region": region, "school": school, "y": y})


def experiment(tmp_path, table, **extra):
    table.to_csv(tmp_path / "d.csv", index=False)
    statsmodels = extra.pop("statsmodels", {"method": "newton"})
    exp = {
        "dataset": {"source": "csv", "path": "d.csv", "target": "y", "features": ["x", "region"]},
        "categorical": ["region"],
        "impute": "median",  # categorical gaps become the level (missing)
        "split": extra.pop("split", "none"),
        "statsmodels": statsmodels,
        **extra,
    }
    sweep = resolve_config({"sweep": "t", "experiments": {"e": exp}})
    return sweep["config"]["experiments"]["e"], sweep["grids"]["e"]


def prepare(tmp_path, table, **extra):
    exp, grid = experiment(tmp_path, table, **extra)
    return prepare_experiment("e", exp, tmp_path), grid


def test_default_reference_is_the_most_frequent_training_level(tmp_path):
    table = regions_table()
    split = {"test_size": 0.25, "random_state": 0, "stratify": False}
    p, _ = prepare(tmp_path, table, split=split)
    from sklearn.model_selection import train_test_split

    train = train_test_split(table, test_size=0.25, random_state=0)[0]
    counts = train["region"].value_counts()  # gaps not counted: never the default
    assert p.meta["reference_levels"] == {"region": counts.index[0]} == {"region": "south"}
    assert p.feature_names[p.sm_drop[0]] == "region=south"
    assert f"region={MISSING_LEVEL}" in p.feature_names  # a level of its own, kept


def test_missing_is_never_the_default_even_when_most_frequent(tmp_path):
    table = regions_table(gaps=0.5)
    p, _ = prepare(tmp_path, table)
    assert table["region"].isna().sum() > table["region"].value_counts().iloc[0]
    assert p.meta["reference_levels"] == {"region": table["region"].value_counts().index[0]}


def test_named_reference_matches_a_formula_fit(tmp_path):
    """``reference: {region: north}``: the estimates are statsmodels' formula fit with
    Treatment('north') on the same rows (an independent design)."""
    import statsmodels.formula.api as smf

    table = regions_table()
    p, grid = prepare(tmp_path, table, reference={"region": "north"})
    assert p.meta["reference_levels"] == {"region": "north"}
    fitted = fit_and_score(p, grid[0])
    files = entry_files(fitted, p)
    ours = pd.read_csv(pd.io.common.BytesIO(files["inference.csv"]))
    data = table.assign(region=table["region"].fillna(MISSING_LEVEL))
    theirs = smf.logit("y ~ x + C(region, Treatment('north'))", data=data).fit(disp=0)
    for level in ["east", "south", "west", MISSING_LEVEL]:
        row = ours[ours["term"] == f"region={level}"].iloc[0]
        name = f"C(region, Treatment('north'))[T.{level}]"
        assert row["estimate"] == pytest.approx(theirs.params[name], rel=1e-6)
        assert row["std_err"] == pytest.approx(theirs.bse[name], rel=1e-6)
        assert row["reference"] == "region=north"
    summary = files["summary.txt"].decode()
    assert "region=north (named in the config)" in summary
    assert re.search(r"Dep\. Variable: +y ", summary)


def test_summary_names_the_target(tmp_path):
    table = regions_table().rename(columns={"y": "passed"})
    table.to_csv(tmp_path / "d.csv", index=False)
    exp = {
        "dataset": {"source": "csv", "path": "d.csv", "target": "passed", "features": ["x"]},
        "split": "none",
        "statsmodels": {"method": "newton"},
    }
    sweep = resolve_config({"sweep": "t", "experiments": {"e": exp}})
    p = prepare_experiment("e", sweep["config"]["experiments"]["e"], tmp_path)
    files = entry_files(fit_and_score(p, sweep["grids"]["e"][0]), p)
    assert re.search(r"Dep\. Variable: +passed ", files["summary.txt"].decode())
    assert re.search(r"Dependent Variable: +passed ", files["summary2.txt"].decode())


@pytest.mark.parametrize(
    "reference, line",
    [
        (
            {"region": "nowhere"},
            "experiment 'e': key 'reference.region': 'nowhere' is not a level of column "
            "'region' in the training rows (levels: '(missing)', 'east', 'north', 'south', "
            "'west')",
        ),
        (
            {"x": "1"},
            "experiment 'e': key 'reference': column 'x' is not a categorical column "
            "(categorical: 'region')",
        ),
    ],
)
def test_a_bad_reference_is_one_line(tmp_path, reference, line):
    with pytest.raises(LrsweepError) as caught:
        prepare(tmp_path, regions_table(), reference=reference)
    assert str(caught.value) == line


def test_cov_types_are_blocks_of_one_fit_against_independent_sandwich(tmp_path):
    """HC1 and clustered standard errors of a real grid point equal the sandwich computed
    here by hand from statsmodels' own fit (bread, meat and the corrections)."""
    import statsmodels.api as sm

    table = regions_table()
    p, grid = prepare(
        tmp_path,
        table,
        statsmodels={
            "method": "newton",
            "cov_type": ["nonrobust", "HC1", "cluster"],
            "groups": "school",
        },
    )
    assert len(grid) == 1  # covariance types are not grid points
    assert "school" not in p.meta["raw_columns"]  # not a feature
    files = entry_files(fit_and_score(p, grid[0]), p)
    table_ = pd.read_csv(pd.io.common.BytesIO(files["inference.csv"]))
    assert list(table_["cov_type"].unique()) == ["nonrobust", "HC1", "cluster"]
    exog = pd.get_dummies(table[["x", "region"]].fillna(MISSING_LEVEL), dtype=float)
    exog = sm.add_constant(
        exog.drop(columns=f"region={p.meta['reference_levels']['region']}".replace("=", "_"))
    )
    fit = sm.Logit(table["y"], exog).fit(disp=0)
    X, pr = exog.to_numpy(), fit.predict()
    bread = np.linalg.inv(X.T @ (X * (pr * (1 - pr))[:, None]))
    s = X * (table["y"].to_numpy() - pr)[:, None]
    n, k = X.shape
    hc1 = n / (n - k) * bread @ s.T @ s @ bread
    sums = pd.DataFrame(s).groupby(table["school"].to_numpy()).sum().to_numpy()
    G = len(sums)
    cl = G / (G - 1) * (n - 1) / (n - k) * bread @ sums.T @ sums @ bread
    for cov_type, V in (("nonrobust", fit.cov_params().to_numpy()), ("HC1", hc1), ("cluster", cl)):
        block = table_[table_["cov_type"] == cov_type]
        np.testing.assert_allclose(block["std_err"], np.sqrt(np.diag(V)), rtol=1e-6)
        np.testing.assert_allclose(block["estimate"], fit.params, rtol=1e-6)
        np.testing.assert_allclose(
            block["odds_ratio_ci_high"],
            np.exp(fit.params + 1.959963984540054 * np.sqrt(np.diag(V))),
            rtol=1e-6,
        )
    me = pd.read_csv(pd.io.common.BytesIO(files["marginal_effects.csv"]))
    theirs = fit.get_margeff(at="overall", method="dydx")
    block = me[me["cov_type"] == "nonrobust"]
    np.testing.assert_allclose(block["marginal_effect"], theirs.margeff, rtol=1e-6)
    np.testing.assert_allclose(block["std_err"], theirs.margeff_se, rtol=1e-5)


def test_cluster_without_groups_is_one_line(tmp_path):
    with pytest.raises(LrsweepError) as caught:
        experiment(tmp_path, regions_table(), statsmodels={"cov_type": "cluster"})
    assert str(caught.value) == (
        "experiment 'e': key 'statsmodels.cov_type': cluster needs statsmodels.groups "
        "(the column that names each row's group)"
    )


def test_groups_not_a_column_is_one_line(tmp_path):
    with pytest.raises(LrsweepError) as caught:
        prepare(tmp_path, regions_table(), statsmodels={"cov_type": "cluster", "groups": "town"})
    assert str(caught.value).startswith(
        "experiment 'e': key 'statsmodels.groups': column 'town' not in d.csv (columns: 'x', "
    )


def test_hc3_with_three_classes_is_one_line(tmp_path):
    table = regions_table()
    table["y"] = np.random.default_rng(1).integers(0, 3, len(table))
    p, grid = prepare(tmp_path, table, statsmodels={"cov_type": ["HC0", "HC3"]})
    with pytest.raises(LrsweepError) as caught:
        fit_and_score(p, grid[0])
    assert str(caught.value) == (
        "experiment 'e': key 'statsmodels.cov_type': HC3 needs the leverages of one equation, "
        "which a 3-class (multinomial) fit does not have: use nonrobust, HC0, HC1 or cluster"
    )


def test_sklearn_in_the_reference_design_is_the_same_fit(tmp_path):
    """The comparison figure's transform: an unpenalized scikit-learn fit on the full one-hot
    design, moved to statsmodels' design, equals statsmodels' MLE, and predicts the same."""
    from sklearn.linear_model import LogisticRegression

    from lrsweep.results.tables import in_reference_design

    p, grid = prepare(tmp_path, regions_table())
    model = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(p.X_train, p.y_train)
    full = pd.DataFrame(
        {
            "term": ["intercept", *p.feature_names],
            "estimate": [model.intercept_[0], *model.coef_[0]],
        }
    )
    moved = in_reference_design(full, p.meta["reference_levels"])
    sm = fit_and_score(p, grid[0])["result"]
    assert list(moved["term"]) == sm["terms"]
    np.testing.assert_allclose(moved["estimate"], sm["estimates"][0], rtol=1e-4, atol=1e-6)
    from lrsweep.fit.statsmodels import design

    eta_full = model.decision_function(p.X_train)
    eta_moved = design(p, p.X_train).to_numpy() @ moved["estimate"].to_numpy()
    np.testing.assert_allclose(eta_moved, eta_full, rtol=1e-9, atol=1e-9)


def test_comparison_figure_names_its_counterparts_and_keeps_its_title(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from lrsweep.results.figures._labels import counterpart_label
    from lrsweep.results.figures._statsmodels import plot_statsmodels_vs_sklearn

    penalized = {"model_id": "sk_saga_l1_C1", "penalty": "l1", "C": 1.0, "converged": False}
    assert counterpart_label(penalized) == (
        "scikit-learn sk_saga_l1_C1 (l1-penalized, C=1, NOT converged)"
    )
    free = {"model_id": "sk_lbfgs_none_Cinf", "penalty": "none", "C": np.inf, "converged": True}
    assert counterpart_label(free) == "scikit-learn sk_lbfgs_none_Cinf (unpenalized)"
    sm = pd.DataFrame(
        {
            "term": ["intercept", "x"],
            "estimate": [0.1, 0.5],
            "ci_low": [0, 0.3],
            "ci_high": [0.2, 0.7],
        }
    )
    sk = pd.DataFrame({"term": ["intercept", "x"], "estimate": [0.1, 0.4], "model": ["m", "m"]})
    title = (
        "breast_cancer: statsmodels L1 (alpha=1, maxiter=1000) — accuracy on the test rows 0.9737"
    )
    fig = plot_statsmodels_vs_sklearn(sm, sk, title, note="a note")
    fig.canvas.draw()
    box = fig.axes[0].title.get_window_extent()
    width = fig.get_figwidth() * fig.dpi
    assert box.x0 >= 0 and box.x1 <= width, (box, width)
    assert fig.axes[0].title.get_text().replace("\n", " ") == title


def test_a_coefficient_counts_once_whatever_its_cov_types(tmp_path):
    """The selection rule's nonzero count (used by `lrsweep predict` on a version's
    coefficients.csv) does not see a coefficient once per covariance type."""
    from lrsweep.results import selection

    table = regions_table()
    table.to_csv(tmp_path / "d.csv", index=False)
    p, grid = prepare(tmp_path, table, statsmodels={"cov_type": ["nonrobust", "HC0", "HC3"]})
    rows = pd.read_csv(
        pd.io.common.BytesIO(entry_files(fit_and_score(p, grid[0]), p)["inference.csv"])
    )
    assert len(rows) == 3 * 6
    assert selection.nonzero_counts(rows.assign(model_id="m")) == {"m": 5}


def test_groups_is_not_a_default_feature(tmp_path):
    table = regions_table()[["x", "school", "y"]]
    table.to_csv(tmp_path / "d.csv", index=False)
    exp = {
        "dataset": {"source": "csv", "path": "d.csv", "target": "y"},  # features: the rest
        "split": "none",
        "statsmodels": {"cov_type": "cluster", "groups": "school"},
    }
    sweep = resolve_config({"sweep": "t", "experiments": {"e": exp}})
    p = prepare_experiment("e", sweep["config"]["experiments"]["e"], tmp_path)
    assert p.feature_names == ["x"]
    codes = pd.factorize(table["school"], sort=True)[0]
    np.testing.assert_array_equal(p.groups_train, codes)
