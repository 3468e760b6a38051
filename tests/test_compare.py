"""Comparing two versions' metrics tables."""

import pandas as pd

from lrsweep.compare import compare_metrics


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
