"""Model selection against scikit-learn's own objects (issue #24): real workflow runs on the
affairs table (imbalanced, about 32 % "yes"), checked against ``cross_validate``,
``GridSearchCV`` and ``TunedThresholdClassifierCV`` on a ``Pipeline`` of the same
preprocessing, built here from scikit-learn alone."""

import copy
import os

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO, snakemake

FEATURES = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]
CS = [0.001, 0.01, 1.0]
FOLDS, REPEATS, SEED = 4, 2, 3
CONFIG = {
    "sweep": "sk",
    "figures": False,
    "bootstrap": {"resamples": 0},
    "experiments": {
        "affairs": {
            "dataset": {
                "source": "csv",
                "path": str(REPO / "data/affairs.csv"),
                "target": "had_affair",
                "features": FEATURES,
            },
            "impute": "median",
            "positive_class": "yes",
            "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
            "standardize": True,
            "cv": {"folds": FOLDS, "repeats": REPEATS, "random_state": SEED},
            "sklearn": [
                {"solver": "liblinear", "penalty": ["l1", "l2"], "C": CS},
                {"solver": "lbfgs", "penalty": ["l2", "none"], "C": CS},
            ],
        }
    },
}
#: cross_validate's scorer of each CV metric, and its sign (scikit-learn negates losses).
SCORERS = {
    "accuracy": ("accuracy", 1),
    "balanced_accuracy": ("balanced_accuracy", 1),
    "roc_auc": ("roc_auc", 1),
    "log_loss": ("neg_log_loss", -1),
    "brier": ("neg_brier_score", -1),
    "f1": ("f1", 1),
    "f1_macro": ("f1_macro", 1),
    "average_precision": ("average_precision", 1),
}


def training_rows(test_table: bool = False):
    """The split of the config, made by scikit-learn: X_train, X_test, y_train, y_test (and
    the test rows as a table of the raw columns)."""
    from sklearn.model_selection import train_test_split

    table = pd.read_csv(REPO / "data/affairs.csv")
    y = (table["had_affair"] == "yes").astype(int).to_numpy()
    rows = np.arange(len(table))
    train, test = train_test_split(rows, test_size=0.25, random_state=0, stratify=y)
    X = table[FEATURES].to_numpy(dtype=float)
    out = (X[train], X[test], y[train], y[test])
    return (*out, table.iloc[test][FEATURES]) if test_table else out


def pipeline(**model):
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    defaults = {"random_state": 0, "max_iter": 100, "tol": 1e-4}
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(**{**defaults, **model})),
        ]
    )


def model_settings(row) -> dict:
    """A metrics.csv row as LogisticRegression's arguments (scikit-learn 1.9's vocabulary)."""
    l1_ratio = {"l1": 1.0, "l2": 0.0, "none": 0.0}[row["penalty"]]
    C = np.inf if row["penalty"] == "none" else float(row["C"])
    return {"solver": row["solver"], "C": C, "l1_ratio": l1_ratio}


def folds():
    from sklearn.model_selection import RepeatedStratifiedKFold

    return RepeatedStratifiedKFold(n_splits=FOLDS, n_repeats=REPEATS, random_state=SEED)


@pytest.fixture(scope="module")
def affairs_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("affairs")
    proc = snakemake(workdir, config=CONFIG)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return workdir


def version_of(workdir):
    return (workdir / "results/sk/latest").resolve()


def test_sub_grids_leave_no_skipped_row(affairs_run):
    metrics = pd.read_csv(version_of(affairs_run) / "metrics.csv")
    assert (metrics["status"] == "ok").all() and metrics["converged"].all()
    assert len(metrics) == 3 * 2 + 3 + 1  # liblinear l1/l2 x 3 C, lbfgs l2 x 3 C, lbfgs none


def test_cv_folds_are_cross_validate_of_the_same_pipeline(affairs_run):
    """Every grid point's fold scores are scikit-learn's cross_validate with the same
    RepeatedStratifiedKFold on a Pipeline of the same preprocessing (to 1e-9), and
    metrics.csv's CV means, standard deviations and standard errors are their summaries."""
    from sklearn.model_selection import cross_validate

    version = version_of(affairs_run)
    metrics = pd.read_csv(version / "metrics.csv").set_index("model_id")
    table = pd.read_csv(version / "cv_folds.csv")
    assert list(table.columns[:5]) == ["experiment", "model_id", "repeat", "fold", "n_valid"]
    X_train, _, y_train, _ = training_rows()
    scoring = [s for s, _ in SCORERS.values()]
    for model_id, row in metrics.iterrows():
        ours = table[table["model_id"] == model_id].sort_values(["repeat", "fold"])
        assert len(ours) == FOLDS * REPEATS
        theirs = cross_validate(
            pipeline(**model_settings(row)), X_train, y_train, cv=folds(), scoring=scoring
        )
        for metric, (scorer, sign) in SCORERS.items():
            expected = sign * theirs[f"test_{scorer}"]
            np.testing.assert_allclose(ours[metric], expected, rtol=0, atol=1e-9)
            assert row[f"cv_{metric}_mean"] == pytest.approx(expected.mean(), abs=1e-12)
            sd = expected.std(ddof=1)
            assert row[f"cv_{metric}_std"] == pytest.approx(sd, abs=1e-12)
            assert row[f"cv_{metric}_se"] == pytest.approx(sd / np.sqrt(FOLDS), abs=1e-12)


def leaderboard_choice(version) -> str:
    board = (version / "leaderboard.md").read_text().splitlines()
    head = next(line for line in board if line.startswith("| experiment |"))
    line = next(line for line in board if line.startswith("| affairs |"))
    cells = dict(
        zip(
            [c.strip() for c in head.strip("|").split("|")],
            [c.strip() for c in line.strip("|").split("|")],
            strict=True,
        )
    )
    return cells["model_id"], cells["select_metric"]


@pytest.mark.parametrize("metric", ["accuracy", "roc_auc", "log_loss"])
def test_the_leaderboard_picks_what_grid_search_cv_picks(affairs_run, metric):
    """GridSearchCV(pipeline, list of grids, scoring=..., refit=metric, cv=the same
    RepeatedStratifiedKFold).best_params_ is the leaderboard's selected fit, and its
    mean_test_score of every candidate is metrics.csv's CV mean of that grid point (1e-9).
    Changing the metric fits nothing. The best mean is unique in this grid (checked), so
    GridSearchCV's first-best and lrsweep's tie-break cannot differ."""
    from sklearn.model_selection import GridSearchCV

    config = copy.deepcopy(CONFIG)
    config["experiments"]["affairs"]["select"] = {"metric": metric}
    fits = set(os.listdir(affairs_run / "results/sk/store/fits"))
    proc = snakemake(affairs_run, config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if metric != "accuracy":  # the default: the same version, nothing to do
        assert "0 of 10 grid points to fit (10 in the store)" in proc.stderr
    assert set(os.listdir(affairs_run / "results/sk/store/fits")) == fits
    model_id, chosen_by = leaderboard_choice(version_of(affairs_run))
    assert chosen_by == metric

    X_train, _, y_train, _ = training_rows()
    grids = [
        {"model__solver": ["liblinear"], "model__l1_ratio": [1.0, 0.0], "model__C": CS},
        {"model__solver": ["lbfgs"], "model__l1_ratio": [0.0], "model__C": [*CS, np.inf]},
    ]
    scorer = SCORERS[metric][0]
    search = GridSearchCV(
        pipeline(),
        grids,
        scoring=list(dict.fromkeys([scorer, "accuracy"])),
        refit=scorer,
        cv=folds(),
    ).fit(X_train, y_train)
    means = search.cv_results_[f"mean_test_{scorer}"]
    assert np.sum(means >= means.max() - 1e-9) == 1  # a unique best: no tie to break
    metrics = pd.read_csv(version_of(affairs_run) / "metrics.csv").set_index("model_id")
    expected = {k.removeprefix("model__"): v for k, v in search.best_params_.items()}
    assert model_settings(metrics.loc[model_id]) == expected
    sign = SCORERS[metric][1]
    settings = [model_settings(row) for _, row in metrics.iterrows()]
    for params, mean in zip(search.cv_results_["params"], means, strict=True):
        point = settings.index({k.removeprefix("model__"): v for k, v in params.items()})
        ours = metrics.iloc[point][f"cv_{metric}_mean"]
        assert ours == pytest.approx(sign * mean, abs=1e-9), params
    assert len(means) == len(metrics)  # every grid point is a candidate, once


def fixed(model, threshold):
    from sklearn.model_selection import FixedThresholdClassifier

    return FixedThresholdClassifier(
        model, threshold=threshold, pos_label=1, response_method="predict_proba"
    )


def assert_test_scores(row, pred, y_test):
    """metrics.csv's thresholded test scores against scikit-learn's metrics of ``pred``."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    assert row["accuracy_test"] == pytest.approx(accuracy_score(y_test, pred), abs=1e-12)
    assert row["f1_test"] == pytest.approx(f1_score(y_test, pred), abs=1e-12)
    expected = balanced_accuracy_score(y_test, pred)
    assert row["balanced_accuracy_test"] == pytest.approx(expected, abs=1e-12)


def assert_confusion_and_predict(version, experiment, model_id, pred, y_test, test_table):
    """The fit's confusion matrix is scikit-learn's of ``pred``, and lrsweep predict (the
    version's model.skops) gives ``pred`` on the test rows."""
    import json

    from sklearn.metrics import confusion_matrix

    from lrsweep.tools.predict import predict_table

    record = json.loads((version / "fits" / experiment / model_id / "result.json").read_text())
    assert record["confusion_test"] == confusion_matrix(y_test, pred).tolist()
    out = predict_table(version, experiment, model_id, test_table)
    assert list(out["predicted"] == "yes") == list(pred == 1)


def test_a_fixed_threshold_refits_nothing_and_is_fixed_threshold_classifiers(affairs_run):
    """threshold: 0.3 only scores: no fit. The test scores, the confusion matrix, the fold
    scores and lrsweep predict are FixedThresholdClassifier's at 0.3 on the same Pipeline."""
    from sklearn.model_selection import cross_validate

    config = copy.deepcopy(CONFIG)
    config["experiments"]["affairs"]["threshold"] = 0.3
    proc = snakemake(affairs_run, config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "0 of 10 grid points to fit (10 in the store)" in proc.stderr
    version = version_of(affairs_run)
    metrics = pd.read_csv(version / "metrics.csv").set_index("model_id")
    folds_table = pd.read_csv(version / "cv_folds.csv")
    X_train, X_test, y_train, y_test, test_table = training_rows(test_table=True)
    for model_id in ("sk_lbfgs_l2_C1_rs0", "sk_liblinear_l1_C0.01_rs0"):
        row = metrics.loc[model_id]
        assert row["threshold"] == 0.3
        model = fixed(pipeline(**model_settings(row)), 0.3).fit(X_train, y_train)
        pred = model.predict(X_test)
        assert_test_scores(row, pred, y_test)
        assert_confusion_and_predict(version, "affairs", model_id, pred, y_test, test_table)
        cv = cross_validate(
            fixed(pipeline(**model_settings(row)), 0.3),
            X_train,
            y_train,
            cv=folds(),
            scoring=["accuracy", "f1"],
        )
        ours = folds_table[folds_table["model_id"] == model_id].sort_values(["repeat", "fold"])
        np.testing.assert_allclose(ours["accuracy"], cv["test_accuracy"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours["f1"], cv["test_f1"], rtol=0, atol=1e-12)


def test_a_tuned_threshold_is_tuned_threshold_classifier_cvs(tmp_path):
    """threshold: {tune: f1} and {tune: cost, ...}: the threshold is TunedThresholdClassifierCV's
    best_threshold_ on the same Pipeline and folds, its CV score its best_score_, and the test
    rows scored at it (scores, confusion matrix, lrsweep predict) are its predictions."""
    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import TunedThresholdClassifierCV

    def cost(y, pred):  # 1 per false positive, 5 per false negative, per row
        return (np.sum((pred == 1) & (y == 0)) + 5 * np.sum((pred == 0) & (y == 1))) / len(y)

    base = copy.deepcopy(CONFIG["experiments"]["affairs"])
    base["sklearn"] = {"solver": ["lbfgs", "liblinear"], "C": [0.01, 1.0]}
    tunes = {
        "f1": ({"tune": "f1"}, make_scorer(f1_score)),
        "cost": (
            {"tune": "cost", "false_positive": 1, "false_negative": 5},
            make_scorer(cost, greater_is_better=False),
        ),
    }
    experiments = {name: {**base, "threshold": tune} for name, (tune, _) in tunes.items()}
    proc = snakemake(tmp_path, config={**CONFIG, "experiments": experiments})
    assert proc.returncode == 0, proc.stderr[-3000:]
    version = version_of(tmp_path)
    metrics = pd.read_csv(version / "metrics.csv")
    X_train, X_test, y_train, y_test, test_table = training_rows(test_table=True)
    for name, (_, scorer) in tunes.items():
        rows = metrics[metrics["experiment"] == name].set_index("model_id")
        assert len(rows) == 4
        for model_id, row in rows.iterrows():
            tuner = TunedThresholdClassifierCV(
                pipeline(**model_settings(row)),
                scoring=scorer,
                response_method="predict_proba",
                cv=folds(),
            ).fit(X_train, y_train)
            assert row["threshold_tune"] == name
            assert row["threshold"] == pytest.approx(tuner.best_threshold_, abs=1e-12)
            assert row["threshold_cv_score"] == pytest.approx(tuner.best_score_, abs=1e-12)
            pred = tuner.predict(X_test)
            assert_test_scores(row, pred, y_test)
            assert_confusion_and_predict(version, name, model_id, pred, y_test, test_table)
