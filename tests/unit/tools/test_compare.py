"""Comparing two versions' metrics tables."""

import pandas as pd
import pytest

from lrsweep.tools.compare import compare_metrics


def table(rows):
    return pd.DataFrame(
        rows, columns=["experiment", "model_id", "status", "accuracy_train", "accuracy_test"]
    )


def test_added_removed_changed_unchanged():
    old = table([("e", "a", "ok", 0.9, 0.8), ("e", "b", "ok", 0.9, 0.7), ("e", "c", "ok", 1, 1)])
    new = table([("e", "a", "ok", 0.9, 0.8), ("e", "b", "ok", 0.9, 0.75), ("e", "d", "ok", 1, 0.9)])
    out = compare_metrics(old, new).set_index("model_id")
    assert out["change"].to_dict() == {
        "d": "added",
        "c": "removed",
        "b": "changed",
        "a": "unchanged",
    }
    assert out.loc["b", "delta"] == 0.75 - 0.7
    assert pd.isna(out.loc["d", "accuracy_test_old"]) and out.loc["d", "accuracy_test_new"] == 0.9


def test_status_change_counts_as_changed():
    old = table([("e", "a", "ok", 0.9, 0.8)])
    new = table([("e", "a", "failed", None, None)])
    assert compare_metrics(old, new)["change"].tolist() == ["changed"]


def test_compare_to_selected_uses_mcnemar_and_holm():
    import numpy as np
    from statsmodels.stats.contingency_tables import mcnemar
    from statsmodels.stats.multitest import multipletests

    from lrsweep.results.tables import compare_to_selected, leaderboard, not_worse_table

    rng = np.random.default_rng(0)
    y_right = {
        "best": rng.random(400) < 0.95,
        "close": rng.random(400) < 0.94,
        "bad": rng.random(400) < 0.70,
    }
    metrics = pd.DataFrame(
        {
            "experiment": "e",
            "model_id": list(y_right),
            "library": "sklearn",
            "solver": "lbfgs",
            "penalty": "l2",
            "C": [1.0, 2.0, 3.0],
            "status": "ok",
            "converged": True,
            "accuracy_test": [v.mean() for v in y_right.values()],
        }
    )
    coefs = pd.DataFrame(columns=["experiment", "model_id", "class", "term", "estimate"])
    best = metrics.sort_values("accuracy_test").iloc[-1]["model_id"]
    correct = {("e", m): v for m, v in y_right.items()}
    out = compare_to_selected(metrics, coefs, correct).set_index("model_id")
    assert best not in out.index and set(out["selected_model_id"]) == {best}
    raw = []
    for m in out.index:
        a, b = y_right[best], y_right[m]
        table = [[(a & b).sum(), (a & ~b).sum()], [(~a & b).sum(), (~a & ~b).sum()]]
        raw.append(mcnemar(table, exact=True).pvalue)
        assert out.loc[m, "p_value"] == pytest.approx(raw[-1])
    assert out["p_holm"].tolist() == pytest.approx(list(multipletests(raw, method="holm")[1]))
    assert out.loc["bad", "significantly_worse"]
    board = leaderboard(metrics, coefs, out.reset_index())
    kept = not_worse_table(board, out.reset_index())
    assert "bad" not in set(kept["model_id"]) and best in set(kept["model_id"])
