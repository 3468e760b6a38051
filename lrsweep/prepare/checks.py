"""The checks of a loaded dataset: gaps and infinite numbers (refused, dropped with ``dropna``,
or left for ``impute``), the target, and its labels encoded as class codes.
"""

from __future__ import annotations

import numpy as np

from lrsweep.errors import quote, quote_list
from lrsweep.prepare.data import NUMBER, Raw, err, is_missing


def missing_masks(raw: Raw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(feature gaps, infinite numbers: both rows x columns, rows without a label or a group)."""
    import pandas as pd

    y_bad = pd.isna(pd.Series(raw.y)).to_numpy()
    if raw.groups is not None:  # a row without a group cannot be clustered: as a label gap
        y_bad = y_bad | (np.asarray(raw.groups) < 0)
    if not raw.is_frame:
        return np.isnan(raw.X), np.isinf(raw.X), y_bad
    gaps = raw.X.isna().to_numpy()
    numeric = [c for c in raw.columns if c not in raw.categorical]
    inf = np.zeros_like(gaps)
    if numeric:
        values = raw.X[numeric].to_numpy(dtype=float)
        idx = [raw.columns.index(c) for c in numeric]
        inf[:, idx] = np.isinf(values)
    return gaps, inf, y_bad


def _drop_rows(experiment: str, raw: Raw, keep: np.ndarray) -> Raw:
    """The rows of ``raw`` that ``keep`` marks (``dropna: true``)."""
    if not keep.any():
        raise err(experiment, "dataset.dropna", "no rows are left after dropping those with gaps")
    X = raw.X[keep] if not raw.is_frame else raw.X.loc[keep].reset_index(drop=True)
    groups = None if raw.groups is None else np.asarray(raw.groups)[keep]
    return Raw(X, raw.y[keep], raw.columns, raw.categorical, raw.class_names, raw.info, groups)


def _refuse_missing(experiment: str, raw: Raw, gaps, inf, y_bad, impute: str) -> None:
    """The error for the first kind of gap that cannot stay (no group, no label, an infinite
    number, a feature gap without ``impute``), counted by column."""

    def listing(mask):
        return ", ".join(f"{raw.columns[j]}: {int(c)}" for j, c in enumerate(mask.sum(axis=0)) if c)

    if raw.groups is not None and (np.asarray(raw.groups) < 0).any():
        raise err(
            experiment,
            "statsmodels.groups",
            f"{int((np.asarray(raw.groups) < 0).sum())} rows have no group; set 'dropna: true' "
            "on the dataset to drop them",
        )
    if y_bad.any():
        raise err(
            experiment,
            "dataset.target",
            f"{int(y_bad.sum())} rows have no label; set 'dropna: true' on the dataset to drop "
            "them",
        )
    if inf.any():
        raise err(
            experiment,
            "dataset",
            f"infinite values ({listing(inf)}); set 'dropna: true' on the dataset to drop "
            "those rows",
        )
    if impute == "none":
        raise err(
            experiment,
            "dataset",
            f"NaN or missing values ({listing(gaps)}); set 'dropna: true' on the dataset to "
            "drop those rows, or 'impute: mean' (median, most_frequent) to fill them",
        )


def drop_missing(experiment: str, raw: Raw, dropna: bool, impute: str) -> tuple[Raw, int]:
    """Refuse gaps (counted by column) unless ``dropna`` (the rows are dropped and counted) or,
    for feature gaps, ``impute`` (they are filled in :mod:`lrsweep.prepare.design`). Infinite
    numbers are never imputed."""
    gaps, inf, y_bad = missing_masks(raw)
    if not (gaps.any() or inf.any() or y_bad.any()):
        return raw, 0
    if dropna:
        keep = ~(gaps.any(axis=1) | inf.any(axis=1) | y_bad)
        return _drop_rows(experiment, raw, keep), int((~keep).sum())
    _refuse_missing(experiment, raw, gaps, inf, y_bad, impute)
    return raw, 0


def check_target(experiment: str, y: np.ndarray) -> None:
    """Refuse a target that is not a set of classes: one mixing numbers and text, or one that
    looks continuous (non-integer numbers, or fewer than two rows per distinct value)."""
    if y.dtype.kind in "iufb":  # numbers only: the same checks, vectorized (1,000,000 rows)
        values = y[~np.isnan(y)] if y.dtype.kind == "f" else y
        floats = values if y.dtype.kind == "f" else values[:0]
        _check_classes(experiment, floats, len(np.unique(values)), len(values))
        return
    values = [v for v in y.tolist() if not is_missing(v)]
    texts = [v for v in values if isinstance(v, str)]
    if texts:
        numeric = [v for v in texts if NUMBER.match(v)]
        others = [v for v in values if not isinstance(v, str)]
        if (numeric or others) and len(numeric) + len(others) < len(values):
            shown = sorted({str(v) for v in values})
            raise err(
                experiment,
                "dataset.target",
                f"the target mixes numbers and text ({quote_list(shown, 6)}): give every row the "
                "same kind of label",
            )
    floats = np.asarray([v for v in values if isinstance(v, float)], dtype=float)
    _check_classes(experiment, floats, len(set(values)), len(values))


def _check_classes(experiment: str, floats: np.ndarray, distinct: int, rows: int) -> None:
    """The target's float labels are whole numbers, and there are at least two rows per
    distinct value (beyond two classes)."""
    fractional = floats[np.mod(floats, 1) != 0]
    if fractional.size:
        raise err(
            experiment,
            "dataset.target",
            f"the target has non-integer values (such as {fractional[0]:g}): it looks "
            "continuous; logistic regression needs classes",
        )
    if distinct > 2 and distinct > rows / 2:
        raise err(
            experiment,
            "dataset.target",
            f"the target has {distinct} distinct values in {rows} rows: it looks "
            "continuous, not a set of classes (fewer than two rows per class)",
        )


def encode_labels(experiment: str, y: np.ndarray) -> tuple[np.ndarray, list]:
    """Labels (numbers or strings) to indices 0..k-1; the sorted class order is recorded."""
    check_target(experiment, y)
    if y.dtype == object:
        y = np.asarray([v.item() if isinstance(v, np.generic) else v for v in y], dtype=object)
        kinds = {type(v) for v in y}
        if kinds <= {int, float, bool}:
            y = y.astype(float)
            if np.all(np.mod(y, 1) == 0):
                y = y.astype(np.int64)
    classes, codes = np.unique(y, return_inverse=True)
    classes = [c.item() if isinstance(c, np.generic) else c for c in classes]
    if len(classes) < 2:
        only = classes[0] if classes else None
        raise err(
            experiment,
            "dataset.target",
            f"the target has a single class ({quote(only)}); logistic regression needs two or more",
        )
    return codes.astype(np.int64), classes
