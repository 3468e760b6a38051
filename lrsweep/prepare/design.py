"""What is learned from the training rows before any model: imputation, one-hot encoding and
standardization, as one scikit-learn transformer (the *preprocessor*), and the arrays every
fit of an experiment shares (:class:`Prepared`).

The preprocessor is fitted on the training rows only; the test rows are transformed with it.
Cross-validation fits a fresh copy inside each fold (:func:`fold_design`), so no fold sees
statistics of the rows it is scored on. A saved model is the preprocessor and the fitted
estimator as one ``Pipeline``, which takes raw rows (:mod:`lrsweep.fit.record`).

The design matrix: numeric columns (imputed, then standardized if asked), then one indicator
column per level of each categorical column, named ``column=level``. Levels unseen in training
get all-zero indicators. statsmodels gets the same design without each categorical column's
reference level (recorded in ``meta["reference_levels"]``), so that its unpenalized fit is
identifiable: the level ``reference: {column: level}`` names, else the column's most frequent
level in the training rows (:func:`reference_levels`; ``(missing)`` never by default).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrsweep.errors import quote, quote_list
from lrsweep.prepare.checks import drop_missing, encode_labels
from lrsweep.prepare.data import Raw, err, groups_column, load_dataset
from lrsweep.prepare.split import split_rows
from lrsweep.store import modelfile
from lrsweep.store.entries import (
    GROUPS_TRAIN,
    PREPARED_META,
    PREPROCESSOR,
    RAW_TRAIN_NPY,
    RAW_TRAIN_PARQUET,
    npy_name,
)

MISSING_LEVEL = "(missing)"


@dataclass
class Prepared:
    """The arrays every fit of an experiment shares. ``y_*`` hold class indices into
    ``classes``; ``X_*`` is the design (see the module docstring)."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    classes: list
    feature_names: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    preprocessor: Any = None  # fitted: raw rows -> design (None: the raw rows are the design)
    raw_train: Any = None  # raw training rows, kept when cross-validation must refit it
    sm_drop: list[int] = field(default_factory=list)  # design columns statsmodels leaves out
    groups_train: Any = None  # the training rows' group codes (statsmodels.groups), or None

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def class_names(self) -> list[str]:
        return self.meta.get("class_names") or [str(c) for c in self.classes]


def preparation_spec(exp: dict) -> dict:
    """The settings of an experiment its prepared data depends on (not its grids)."""
    return {
        "dataset": exp["dataset"],
        "split": exp.get("split", "none"),
        "standardize": bool(exp.get("standardize")),
        "categorical": exp.get("categorical") or [],
        "impute": exp.get("impute", "none"),
        "keep_raw": bool(exp.get("cv")),
        "reference": exp.get("reference") or {},
        "groups": groups_column(exp),
    }


def build_preprocessor(raw: Raw, standardize: bool, impute: str):
    """The (unfitted) transformer from raw rows to the design, or None when there is nothing
    to learn (the raw numbers are the design)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric_steps = []
    if impute != "none":
        numeric_steps.append(("impute", SimpleImputer(strategy=impute)))
    if standardize:
        numeric_steps.append(("scale", StandardScaler()))
    if not raw.categorical:
        if not numeric_steps:
            return None
        return numeric_steps[0][1] if len(numeric_steps) == 1 else Pipeline(numeric_steps)
    numeric = [c for c in raw.columns if c not in raw.categorical]
    fill = (
        SimpleImputer(strategy="most_frequent")
        if impute == "most_frequent"
        else SimpleImputer(strategy="constant", fill_value=MISSING_LEVEL)
    )
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=float)
    parts = []
    if numeric:
        parts.append(
            ("numeric", Pipeline(numeric_steps) if numeric_steps else "passthrough", numeric)
        )
    parts.append(("categorical", Pipeline([("fill", fill), ("onehot", encoder)]), raw.categorical))
    return ColumnTransformer(parts, sparse_threshold=0.0)


def design_names(
    preprocessor, raw: Raw, X_train=None, chosen: dict | None = None, experiment: str = ""
) -> tuple[list[str], list[int], dict]:
    """The design's column names, the columns statsmodels leaves out, and the reference
    level of each categorical column (:func:`reference_levels`, from the indicator counts
    of the training rows ``X_train``)."""
    if preprocessor is None or not raw.categorical:
        if chosen:
            column = next(iter(chosen))
            raise err(
                experiment,
                "reference",
                f"column {quote(column)} is not a categorical column (there are none)",
            )
        return list(raw.columns), [], {}
    numeric = [c for c in raw.columns if c not in raw.categorical]
    encoder = preprocessor.named_transformers_["categorical"].named_steps["onehot"]
    names, drop = list(numeric), []
    counts = []
    for column, levels in zip(raw.categorical, encoder.categories_, strict=True):
        start = len(names)
        names += [f"{column}={level}" for level in levels]
        counts.append(
            np.zeros(len(levels))
            if X_train is None
            else np.asarray(X_train)[:, start : start + len(levels)].sum(axis=0)
        )
    reference = reference_levels(
        experiment, raw.categorical, encoder.categories_, counts, chosen or {}
    )
    start = len(numeric)
    for column, levels in zip(raw.categorical, encoder.categories_, strict=True):
        drop.append(start + reference[column])
        start += len(levels)
    return (
        names,
        drop,
        {c: str(encoder.categories_[i][reference[c]]) for i, c in enumerate(raw.categorical)},
    )


def reference_levels(
    experiment: str, columns: list, categories: list, counts: list, chosen: dict
) -> dict[str, int]:
    """The index of each categorical column's reference level (the level statsmodels leaves
    out of its design): the one ``chosen`` names (``reference: {column: level}``), else the
    most frequent level of the training rows (``counts``), the first in sorted order on a
    tie. ``(missing)`` is a level of its own: it can be chosen, but is never the default."""
    unknown = [c for c in chosen if c not in columns]
    if unknown:
        raise err(
            experiment,
            "reference",
            f"column {quote(unknown[0])} is not a categorical column "
            f"(categorical: {quote_list(columns)})",
        )
    out = {}
    for column, levels, count in zip(columns, categories, counts, strict=True):
        levels = [str(v) for v in levels]
        if column in chosen:
            wanted = str(chosen[column])
            if wanted not in levels:
                raise err(
                    experiment,
                    f"reference.{column}",
                    f"{quote(wanted)} is not a level of column {quote(column)} in the "
                    f"training rows (levels: {quote_list(levels)})",
                )
            out[column] = levels.index(wanted)
            continue
        count = np.asarray(count, dtype=float).copy()
        if MISSING_LEVEL in levels and len(levels) > 1:
            count[levels.index(MISSING_LEVEL)] = -1.0
        out[column] = int(np.argmax(count))
    return out


def _take(X, rows):
    return X[rows] if isinstance(X, np.ndarray) else X.iloc[rows].reset_index(drop=True)


def check_imputable(experiment: str, raw: Raw, raw_train, impute: str) -> None:
    """An imputer learns a column's fill value from its training rows: a numeric column with
    none there cannot be filled (scikit-learn drops it, and the names no longer match)."""
    if impute == "none":
        return
    numeric = [c for c in raw.columns if c not in raw.categorical]
    if isinstance(raw_train, np.ndarray):
        empty = [raw.columns[i] for i in np.flatnonzero(np.isnan(raw_train).all(axis=0))]
    else:
        empty = [c for c in numeric if raw_train[c].isna().all()]
    if empty:
        raise err(
            experiment,
            "impute",
            f"column(s) {quote_list(empty)} have no value in the training rows: "
            "nothing to fill them with; drop them from the data",
        )


def load_checked(
    experiment: str, exp: dict, root: str | Path = ".", expected_sha256: str | None = None
):
    """Load and run every check that needs no split (columns, text in a numeric column, the
    target, gaps without ``dropna`` or ``impute``): (spec, raw, rows dropped, label codes,
    classes). The fit job runs it first, and the planner runs it on csv and parquet datasets
    (:func:`lrsweep.workflow.plan.check_data`), so that a dry run shows such an error before
    any job."""
    spec = preparation_spec(exp)
    raw = load_dataset(experiment, exp, root, expected_sha256)
    raw, dropped = drop_missing(
        experiment, raw, spec["dataset"].get("dropna", False), spec["impute"]
    )
    codes, classes = encode_labels(experiment, raw.y)
    return spec, raw, dropped, codes, classes


def _fit_transform(preprocessor, raw_train, raw_test, same_rows: bool):
    """Learn the preprocessing on the training rows: (X_train, X_test), the design before
    its terms are named (``X_test`` is ``X_train`` when the rows are the same)."""
    if preprocessor is None:
        return raw_train, raw_test
    if isinstance(raw_train, np.ndarray) and type(preprocessor).__name__ == "StandardScaler":
        # in place: the split made these arrays and nobody else holds them (memory: a large
        # dataset is never held three times)
        preprocessor.set_params(copy=False).fit(raw_train)
        X_train = preprocessor.transform(raw_train)
        X_test = X_train if same_rows else preprocessor.transform(raw_test)
        preprocessor.set_params(copy=True)
        return X_train, X_test
    X_train = preprocessor.fit_transform(raw_train)
    return X_train, X_train if same_rows else preprocessor.transform(raw_test)


def _spec_meta(spec: dict) -> dict:
    """What a prepared entry's meta data records of the experiment's settings."""
    return {
        "reference_chosen": sorted(spec["reference"]),
        "target": str(spec["dataset"].get("target") or "y"),
        "split": spec["split"],
        "standardized": spec["standardize"],
        "impute": spec["impute"],
    }


def prepare_experiment(
    experiment: str, exp: dict, root: str | Path = ".", expected_sha256: str | None = None
) -> Prepared:
    """Load → check → split → learn the preprocessing on the training rows → the design."""
    spec, raw, dropped, codes, classes = load_checked(experiment, exp, root, expected_sha256)
    train, test = split_rows(experiment, len(codes), codes, spec["split"], classes)
    same_rows = spec["split"] == "none"
    preprocessor = build_preprocessor(raw, spec["standardize"], spec["impute"])
    raw_train = _take(raw.X, train) if not same_rows else raw.X
    check_imputable(experiment, raw, raw_train, spec["impute"])
    raw_test = raw_train if same_rows else _take(raw.X, test)
    groups_train = None if raw.groups is None else np.asarray(raw.groups)[train]
    n_rows, n_raw = len(codes), len(raw.columns)
    keep = raw_train if spec["keep_raw"] and preprocessor is not None else None
    if keep is not None and isinstance(keep, np.ndarray):
        keep = keep.copy()
    del raw.X  # a large dataset: keep the split copies only
    X_train, X_test = _fit_transform(preprocessor, raw_train, raw_test, same_rows)
    names, sm_drop, reference = design_names(
        preprocessor, raw, X_train, spec["reference"], experiment
    )
    meta = {
        **raw.info,
        "n_rows": int(n_rows),
        "dropped_rows": dropped,
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "n_raw_features": int(n_raw),
        "n_features": len(names),
        "raw_columns": list(raw.columns),
        "categorical": list(raw.categorical),
        "reference_levels": reference,
        **_spec_meta(spec),
        "same_rows": same_rows,
        "class_names": [raw.class_names.get(c, str(c)) for c in classes],
    }
    if groups_train is not None:
        meta["groups"] = spec["groups"]
        meta["n_groups_train"] = int(len(np.unique(groups_train)))
    X_train = np.ascontiguousarray(X_train, dtype=float)
    X_test = X_train if same_rows else np.ascontiguousarray(X_test, dtype=float)
    return Prepared(
        X_train,
        X_test,
        codes[train],
        codes[test],
        classes,
        names,
        meta,
        preprocessor,
        keep,
        sm_drop,
        groups_train,
    )


# --------------------------------------------------------------------------------------------
# Cross-validation folds


def fold_design(prepared: Prepared, train: np.ndarray, valid: np.ndarray) -> Prepared:
    """The data of one cross-validation fold of the training rows: the preprocessing is
    learned again on the fold's own training rows (a fresh copy of the preprocessor), so
    the fold's validation rows play no part in it."""
    if prepared.preprocessor is None or prepared.raw_train is None:
        X = np.asarray(prepared.X_train)
        X_train, X_valid = X[train], X[valid]
    else:
        from sklearn.base import clone

        fold = clone(prepared.preprocessor)
        X_train = np.asarray(fold.fit_transform(_take(prepared.raw_train, train)), dtype=float)
        X_valid = np.asarray(fold.transform(_take(prepared.raw_train, valid)), dtype=float)
    y = np.asarray(prepared.y_train)
    return Prepared(
        X_train,
        X_valid,
        y[train],
        y[valid],
        prepared.classes,
        prepared.feature_names,
        prepared.meta,
        sm_drop=prepared.sm_drop,
    )


# --------------------------------------------------------------------------------------------
# Storage (an entry of lrsweep.store.entries)

ARRAYS = ("X_train", "X_test", "y_train", "y_test")


def save_prepared(prepared: Prepared, writer) -> dict:
    """Write the arrays, the fitted preprocessor and ``meta.json`` through a store writer."""
    import json

    for name in ARRAYS:
        if name == "X_test" and prepared.meta.get("same_rows"):
            continue  # the same rows as X_train
        writer.save_npy(npy_name(name), getattr(prepared, name))
    if prepared.groups_train is not None:
        writer.save_npy(GROUPS_TRAIN, np.asarray(prepared.groups_train, dtype=np.int64))
    if prepared.preprocessor is not None:
        writer.write_bytes(PREPROCESSOR, modelfile.dumps(prepared.preprocessor))
    if prepared.raw_train is not None:
        if isinstance(prepared.raw_train, np.ndarray):
            writer.save_npy(RAW_TRAIN_NPY, prepared.raw_train)
        else:
            buf = io.BytesIO()
            prepared.raw_train.to_parquet(buf, index=False)
            writer.write_bytes(RAW_TRAIN_PARQUET, buf.getvalue())
    meta = {
        **prepared.meta,
        "classes": prepared.classes,
        "feature_names": prepared.feature_names,
        "sm_drop": prepared.sm_drop,
    }
    writer.write_text(PREPARED_META, json.dumps(meta, indent=1, default=str))
    return meta


def load_prepared(entry, mmap: bool = True, with_raw: bool = True) -> Prepared:
    """A stored :class:`Prepared` (each file checked against its checksum as it is read)."""
    meta = entry.read_json(PREPARED_META)
    names = entry.names()
    arrays = {n: entry.load_npy(npy_name(n), mmap=mmap) for n in ARRAYS if npy_name(n) in names}
    if "X_test" not in arrays:
        arrays["X_test"] = arrays["X_train"]
    preprocessor = (
        modelfile.load(entry.read_bytes(PREPROCESSOR), f"{entry.label} preprocessor")
        if PREPROCESSOR in names
        else None
    )
    raw_train = None
    if with_raw and RAW_TRAIN_NPY in names:
        raw_train = entry.load_npy(RAW_TRAIN_NPY, mmap=mmap)
    elif with_raw and RAW_TRAIN_PARQUET in names:
        import pandas as pd

        raw_train = pd.read_parquet(io.BytesIO(entry.read_bytes(RAW_TRAIN_PARQUET)))
    return Prepared(
        **arrays,
        classes=meta["classes"],
        feature_names=meta["feature_names"],
        meta=meta,
        preprocessor=preprocessor,
        raw_train=raw_train,
        sm_drop=meta.get("sm_drop", []),
        groups_train=entry.load_npy(GROUPS_TRAIN) if GROUPS_TRAIN in names else None,
    )


def positive_index(experiment: str, prepared: Prepared, positive_class) -> int:
    """The index of the class called positive: the configured one (given as a label or as a
    class name), by default the second class in sorted order."""
    if positive_class is None:
        return 1
    for i, (label, name) in enumerate(zip(prepared.classes, prepared.class_names, strict=True)):
        if positive_class == label or str(positive_class) == str(label) or positive_class == name:
            return i
    shown = ", ".join(
        f"{name!s}" if str(name) == str(label) else f"{label} ({name})"
        for label, name in zip(prepared.classes, prepared.class_names, strict=True)
    )
    raise err(experiment, "positive_class", f"{positive_class!r} is not a class (classes: {shown})")


def check_cv_folds(experiment: str, prepared: Prepared, cv: dict | None) -> None:
    """Stratified folds put every class in every fold: refuse more folds than the training
    rows of the smallest class (scikit-learn fails per grid point, or fits folds without a
    class). Checked per run, since the prepared data's key does not hold the folds."""
    if not cv:
        return
    counts = np.bincount(np.asarray(prepared.y_train, dtype=int), minlength=prepared.n_classes)
    smallest = int(np.argmin(counts))
    if cv["folds"] > counts[smallest]:
        raise err(
            experiment,
            "cv.folds",
            f"{cv['folds']} folds need at least {cv['folds']} training rows of each class; "
            f"class {quote(prepared.class_names[smallest])} has {counts[smallest]}",
        )
