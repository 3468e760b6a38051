"""Compare two versions of a sweep: which grid points were added, removed or changed (the
table; its figure is :func:`lrsweep.results.figures.plot_comparison`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["experiment", "model_id"]
#: Columns whose change between versions makes a grid point "changed".
RESULT_COLUMNS = ["status", "accuracy_train", "accuracy_test", "roc_auc_test", "log_loss_test"]


def compare_metrics(
    old: pd.DataFrame, new: pd.DataFrame, metric: str = "accuracy_test", atol: float = 1e-12
) -> pd.DataFrame:
    """One row per grid point of either version: ``change`` is added, removed, changed or
    unchanged; ``<metric>_old``, ``<metric>_new`` and ``delta`` give the metric."""
    cols = KEY + [c for c in RESULT_COLUMNS if c in old.columns and c in new.columns]
    if metric not in cols:
        cols.append(metric)
    merged = old[cols].merge(
        new[cols], on=KEY, how="outer", suffixes=("_old", "_new"), indicator=True
    )
    merged["change"] = (
        merged["_merge"]
        .map({"left_only": "removed", "right_only": "added", "both": "unchanged"})
        .astype(str)
    )
    both = merged["_merge"] == "both"
    differs = pd.Series(False, index=merged.index)
    for c in cols[2:]:
        a, b = merged[f"{c}_old"], merged[f"{c}_new"]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            same = np.isclose(a, b, atol=atol, rtol=0, equal_nan=True)
        else:
            same = (a == b) | (a.isna() & b.isna())
        differs |= ~same
    merged.loc[both & differs, "change"] = "changed"
    merged["delta"] = merged[f"{metric}_new"] - merged[f"{metric}_old"]
    out = merged[
        KEY + ["change", "status_old", "status_new", f"{metric}_old", f"{metric}_new", "delta"]
    ]
    order = {"added": 0, "removed": 1, "changed": 2, "unchanged": 3}
    return (
        out.sort_values(KEY)
        .sort_values("change", key=lambda s: s.map(order), kind="stable")
        .reset_index(drop=True)
    )
