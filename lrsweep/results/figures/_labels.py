"""How fits and series are named in titles, legends and labels (words only: no drawing)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lrsweep.domain import SKLEARN_DEFAULTS

METRIC_LABELS = {
    "accuracy": "accuracy",
    "roc_auc": "ROC AUC",
    "f1_macro": "F1 (macro)",
    "log_loss": "log-loss",
    "precision_macro": "precision (macro)",
    "recall_macro": "recall (macro)",
    "balanced_accuracy": "balanced accuracy",
}


#: Grid keys of ``sklearn:`` besides solver, penalty and C. A figure that drew fits differing
#: only in one of these on one line or in one cell would merge them, so each one that varies
#: in an experiment splits series and is named in labels (:func:`varying_keys`).
VARIANT_KEYS = (
    "class_weight",
    "multi_class",
    "l1_ratio",
    "fit_intercept",
    "max_iter",
    "tol",
    "random_state",
)
#: The value of each variant key that a one-fit title leaves unsaid: the config's defaults
#: (:data:`lrsweep.config.grid.SKLEARN_DEFAULTS`, compared as :func:`setting_value` reads
#: them). multi_class is recorded resolved: "binary" says nothing.
TITLE_DEFAULTS = {**{k: SKLEARN_DEFAULTS[k] for k in VARIANT_KEYS}, "multi_class": "binary"}


def setting_value(value):
    """A grid setting as one comparable Python value: metrics tables hold 1000.0 for 1000,
    "True" or True, NaN or None for "not set", depending on how they were read."""
    if value is None or isinstance(value, (list, dict)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return {"True": True, "False": False, "": None, "None": None}.get(value, value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return value


def setting_text(key: str, value) -> str:
    value = setting_value(value)
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{key}={shown}"


def fit_settings(row, keys=None) -> str:
    """What a fit is, in words: library, solver, penalty, C and the other settings in
    ``keys`` (default: those that differ from :data:`TITLE_DEFAULTS`, so that a one-fit
    figure never hides that its fit was, say, class-weighted)."""
    if row["library"] == "statsmodels":
        return (
            f"statsmodels L1, alpha={float(row['alpha']):g}"
            if row.get("regularized") == "l1"
            else f"statsmodels MLE ({row['method']})"
        )
    c = float(row["C"])
    what = f"{row['solver']}, {row['penalty']}, C={'inf' if math.isinf(c) else f'{c:g}'}"
    for key in VARIANT_KEYS if keys is None else keys:
        value = setting_value(row.get(key))
        if value is None or (keys is None and value == TITLE_DEFAULTS.get(key)):
            continue
        what += f", {setting_text(key, value)}"
    return what


def varying_keys(sk: pd.DataFrame) -> list[str]:
    """The variant keys (:data:`VARIANT_KEYS`) that take several values among fits with the
    same solver, penalty and C: drawn as one series, those fits would zig-zag on one line or
    share one heatmap cell. (multi_class is recorded resolved, so liblinear's ovr beside
    lbfgs' multinomial, which the solver already tells apart, does not count.)"""
    keys = []
    cells = [sk[c] for c in ("solver", "penalty", "C")]
    for key in VARIANT_KEYS:
        if key in sk and len(sk):
            values = sk[key].map(lambda v: repr(setting_value(v)))
            if (values.groupby(cells, dropna=False).nunique() > 1).any():
                keys.append(key)
    return keys


def series_label(row, keys=()) -> str:
    """A series of fits that differ only in C: solver / penalty and the varying keys."""
    label = f"{row['solver']} / {row['penalty']}"
    for key in keys:
        if setting_value(row.get(key)) is not None:
            label += f", {setting_text(key, row.get(key))}"
    return label


def series_title(sk: pd.DataFrame) -> str:
    """The legend title of the series of ``sk``: what tells them apart."""
    return ", ".join(["solver / penalty", *varying_keys(sk)])


def fit_title(row, part: str = "test") -> str:
    """A one-line description of a fit: library, settings, accuracy on the ``part`` rows
    (``all`` for ``split: none``)."""
    rows = "all rows" if part == "all" else "the test rows"
    return f"{fit_settings(row)} — accuracy on {rows} {row['accuracy_test']:.4f}"


def fit_label(row, varying=()) -> str:
    """A fit in a legend: its series' settings (solver, penalty, C, the varying keys)."""
    if row["library"] == "statsmodels":
        return fit_settings(row)
    return fit_settings(row, keys=varying)


def counterpart_label(row) -> str:
    """A scikit-learn fit as the statsmodels figure names it: its model_id, whether it is
    penalized (and how much) and whether it converged."""
    if row.get("penalty") == "none" or math.isinf(float(row.get("C", 0))):
        how = "unpenalized"
    else:
        how = f"{row['penalty']}-penalized, C={float(row['C']):g}"
    if row.get("converged") is False or str(row.get("converged")).lower() == "false":
        how += ", NOT converged"
    return f"scikit-learn {row['model_id']} ({how})"
