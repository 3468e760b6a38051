"""cv_selection.csv against an independent computation with scikit-learn alone (cross-validated
fits of wine)."""

import numpy as np
import pandas as pd
import pytest

from lrsweep.results.tables import cv_selection


def test_cv_selection_separates_model_families_as_an_independent_computation_does():
    """wine, saga with l1, ovr and multinomial: each family (every grid key but C) gets its own
    best-mean and one-SE C. Recomputed here with scikit-learn alone: Pipeline(StandardScaler,
    LogisticRegression) under cross_val_score on the training rows."""
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from lrsweep.config.resolve import resolve_config
    from lrsweep.prepare.design import prepare_experiment
    from lrsweep.results.tables import metrics_row
    from lrsweep.score.record import fit_and_score, record_of

    Cs = [0.1, 1.0, 10.0]
    exp = {
        "dataset": {"source": "sklearn", "name": "wine"},
        "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
        "standardize": True,
        "cv": {"folds": 5, "repeats": 1, "random_state": 0},
        "sklearn": {
            "solver": "saga",
            "penalty": "l1",
            "C": Cs,
            "multi_class": ["ovr", "multinomial"],
            "max_iter": 5000,
        },
    }
    sweep = resolve_config({"sweep": "t", "experiments": {"w": exp}})
    prepared = prepare_experiment("w", sweep["config"]["experiments"]["w"])
    rows = []
    for point in sweep["grids"]["w"]:
        fitted = fit_and_score(prepared, point)
        rows.append({"experiment": "w", **metrics_row(record_of(fitted, prepared))})
    table = cv_selection(pd.DataFrame(rows)).set_index("multi_class")
    assert set(table.index) == {"ovr", "multinomial"}

    data = load_wine()
    X_train, _, y_train, _ = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0, stratify=data.target
    )
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    for mc in ("ovr", "multinomial"):
        means, ses = [], []
        for C in Cs:
            model = LogisticRegression(
                solver="saga", l1_ratio=1.0, C=C, max_iter=5000, random_state=0
            )
            if mc == "ovr":
                model = OneVsRestClassifier(model)
            scores = cross_val_score(
                make_pipeline(StandardScaler(), model), X_train, y_train, cv=folds
            )
            means.append(scores.mean())
            ses.append(scores.std(ddof=1) / np.sqrt(5))
        best = int(np.argmax(means))
        one_se = min(C for C, m in zip(Cs, means, strict=True) if m >= means[best] - ses[best])
        assert table.loc[mc, "best_mean"] == pytest.approx(means[best], abs=1e-9)
        assert table.loc[mc, "C_best_mean"] == Cs[best]
        assert table.loc[mc, "C_one_se"] == one_se
