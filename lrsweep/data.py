"""Datasets: load, check, split, standardize, and store the prepared arrays.

``prepare_experiment`` is the whole stage as one pure function; ``save_prepared`` and
``load_prepared`` move its result to and from disk (``.npy`` files that are memory-mapped
when read, so a large dataset is stored once and read without copies).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrsweep.errors import DataError

BUNDLED = ("digits", "breast_cancer", "iris", "wine")
ARRAYS = ("X_train", "X_test", "y_train", "y_test")


@dataclass
class Prepared:
    """The arrays every fit of an experiment shares. ``y_*`` hold class indices into ``classes``."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    classes: list
    feature_names: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def _err(experiment: str, key: str, message: str) -> DataError:
    return DataError(f"experiment '{experiment}': key '{key}': {message}")


# --------------------------------------------------------------------------------------------
# Loading


def load_dataset(experiment: str, spec: dict, root: str | Path = ".") -> tuple:
    """Return ``(X float64 array, y array, feature_names, info)`` for a dataset spec."""
    source = spec["source"]
    info: dict[str, Any] = {"source": source}
    if source == "inline":
        X = np.asarray(spec["x"], dtype=float)
        y = np.asarray(spec["y"])
        if X.ndim != 2 or len(X) != len(y):
            raise _err(experiment, "dataset.x", f"x has {len(X)} rows but y has {len(y)} values")
        names = spec.get("feature_names") or [f"x{i}" for i in range(X.shape[1])]
        if len(names) != X.shape[1]:
            raise _err(
                experiment, "dataset.feature_names", f"{len(names)} names for {X.shape[1]} columns"
            )
        return X, y, list(names), info
    if source == "sklearn":
        return _load_bundled(experiment, spec["name"]) + (info,)
    if source == "synthetic":
        params = {
            k: spec[k]
            for k in (
                "n_samples",
                "n_features",
                "n_informative",
                "n_redundant",
                "n_classes",
                "class_sep",
                "random_state",
            )
        }
        if params["n_informative"] + params["n_redundant"] > params["n_features"]:
            raise _err(
                experiment,
                "dataset.n_informative",
                "n_informative + n_redundant must not exceed n_features",
            )
        if params["n_classes"] > 2 ** params["n_informative"]:
            raise _err(experiment, "dataset.n_classes", "n_classes must be <= 2 ** n_informative")
        X, y = make_synthetic(**params)
        return X, y, [f"x{i}" for i in range(X.shape[1])], info
    if source in ("csv", "parquet"):
        return _load_table(experiment, spec, Path(root)) + (info,)
    raise _err(
        experiment,
        "dataset.source",
        f"unknown source {source!r} (allowed: inline, sklearn, csv, parquet, synthetic)",
    )


def _load_bundled(experiment: str, name: str) -> tuple:
    from sklearn import datasets

    if name not in BUNDLED:
        raise _err(
            experiment,
            "dataset.name",
            f"unknown bundled dataset {name!r} (allowed: {', '.join(BUNDLED)})",
        )
    bunch = getattr(datasets, f"load_{name}")()
    names = [str(n) for n in getattr(bunch, "feature_names", [])] or [
        f"x{i}" for i in range(bunch.data.shape[1])
    ]
    return np.asarray(bunch.data, dtype=float), np.asarray(bunch.target), names


def resolve_path(path: str, root: str | Path = ".") -> Path:
    """Data paths are relative to the project folder (where the Snakefile is)."""
    p = Path(path)
    return p if p.is_absolute() else Path(root) / p


def _load_table(experiment: str, spec: dict, root: Path) -> tuple:
    import pandas as pd

    path = resolve_path(spec["path"], root)
    if not path.is_file():
        raise _err(experiment, "dataset.path", f"file not found: {path}")
    try:
        frame = pd.read_csv(path) if spec["source"] == "csv" else pd.read_parquet(path)
    except Exception as exc:  # a parser error, told in one line
        raise _err(
            experiment, "dataset.path", f"cannot read {path}: {exc}".splitlines()[0]
        ) from exc
    target = spec["target"]
    if target not in frame.columns:
        raise _err(
            experiment,
            "dataset.target",
            f"column {target!r} not in {path.name} (columns: {', '.join(map(str, frame.columns))})",
        )
    features = spec.get("features") or [c for c in frame.columns if c != target]
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise _err(
            experiment,
            "dataset.features",
            f"column(s) {', '.join(map(repr, missing))} not in {path.name}",
        )
    if target in features:
        raise _err(
            experiment, "dataset.features", f"the target {target!r} is also listed as a feature"
        )
    X = frame[features]
    non_numeric = [
        c
        for c in features
        if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
    ]
    if non_numeric:
        raise _err(
            experiment,
            "dataset.features",
            f"non-numeric feature column(s) {', '.join(map(repr, non_numeric))}: "
            "encode them as numbers or leave them out of 'features'",
        )
    y = frame[target].to_numpy()
    return X.to_numpy(dtype=float), y, [str(c) for c in features]


# --------------------------------------------------------------------------------------------
# Checks


def check_finite(
    experiment: str, X: np.ndarray, y: np.ndarray, names: list[str], dropna: bool
) -> tuple[np.ndarray, np.ndarray, int]:
    """Refuse NaN/inf (counted by column) unless ``dropna``; then drop those rows and count them."""
    import pandas as pd

    bad = ~np.isfinite(X)
    y_bad = pd.isna(pd.Series(y)).to_numpy()
    if not bad.any() and not y_bad.any():
        return X, y, 0
    if not dropna:
        counts = {names[j]: int(c) for j, c in enumerate(bad.sum(axis=0)) if c}
        if y_bad.any():
            counts["<target>"] = int(y_bad.sum())
        listed = ", ".join(f"{k}: {v}" for k, v in counts.items())
        raise _err(
            experiment,
            "dataset",
            f"NaN or infinite values ({listed}); set 'dropna: true' on the dataset to drop "
            "those rows",
        )
    keep = ~(bad.any(axis=1) | y_bad)
    return X[keep], y[keep], int((~keep).sum())


def make_synthetic(random_state: int, **params) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``make_classification(**params, random_state=random_state)``: the same
    numbers, with at most two copies of the data in memory instead of three.

    make_classification ends with ``X[:, :] = X[:, perm]``, and numpy copies the right-hand
    side once more because it overlaps the left: a 1,000,000 x 50 dataset peaked at 3.06 times
    its size. Here it generates unshuffled from the same RandomState, then draws the row and
    feature permutations exactly as it does (``utils.shuffle``, then ``shuffle`` of the feature
    indices) and applies both in one indexing step. ``tests/test_data.py`` holds the two equal.
    """
    from sklearn.datasets import make_classification

    rng = np.random.RandomState(random_state)
    X, y = make_classification(**params, shuffle=False, random_state=rng)
    rows = np.arange(len(y))
    rng.shuffle(rows)
    columns = np.arange(X.shape[1])
    rng.shuffle(columns)
    return X[np.ix_(rows, columns)], y[rows]


def encode_labels(experiment: str, y: np.ndarray) -> tuple[np.ndarray, list]:
    """Labels (numbers or strings) to indices 0..k-1; the sorted class order is recorded."""
    classes, codes = np.unique(y, return_inverse=True)
    classes = [c.item() if isinstance(c, np.generic) else c for c in classes]
    if len(classes) < 2:
        only = classes[0] if classes else None
        raise _err(
            experiment,
            "dataset.target",
            f"the target has a single class ({only!r}); logistic regression needs two or more",
        )
    return codes.astype(np.int64), classes


def split_data(experiment: str, X, y, split: Any, classes: list) -> tuple:
    """``split: none`` fits and scores on all rows (as the tutorial does)."""
    if split == "none":
        return X, X, y, y
    from sklearn.model_selection import train_test_split

    n = len(y)
    n_test = int(np.ceil(split["test_size"] * n))
    if n_test < 1 or n - n_test < 2:
        raise _err(
            experiment,
            "split.test_size",
            f"test_size {split['test_size']} of {n} rows leaves too few rows to train or to test",
        )
    stratify = None
    if split["stratify"]:
        counts = np.bincount(y, minlength=len(classes))
        small = [
            f"{classes[i]!r} ({c} row{'s' if c != 1 else ''})"
            for i, c in enumerate(counts)
            if c < 2
        ]
        if small:
            raise _err(
                experiment,
                "split.stratify",
                f"class {', '.join(small)} too small for a stratified split (needs 2 rows)",
            )
        if n_test < len(classes) or n - n_test < len(classes):
            raise _err(
                experiment,
                "split.test_size",
                f"a stratified split needs at least {len(classes)} test and train rows",
            )
        stratify = y
    return train_test_split(
        X, y, test_size=split["test_size"], random_state=split["random_state"], stratify=stratify
    )


def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """StandardScaler fit on the training rows only (constant columns stay 0)."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler(copy=False).fit(X_train)
    if X_test is X_train:  # split: none
        out = scaler.transform(np.array(X_train, dtype=float))
        return out, out
    # in place: the split already made these arrays, nobody else holds them
    return scaler.transform(X_train), scaler.transform(X_test)


def prepare_experiment(experiment: str, exp: dict, root: str | Path = ".") -> Prepared:
    """Load → check → split → standardize, for one experiment's (validated) config."""
    spec = exp["dataset"]
    X, y, names, info = load_dataset(experiment, spec, root)
    X, y, dropped = check_finite(experiment, X, y, names, spec.get("dropna", False))
    codes, classes = encode_labels(experiment, y)
    split = exp.get("split", "none")
    n_features = X.shape[1]
    X_train, X_test, y_train, y_test = split_data(experiment, X, codes, split, classes)
    del X  # a large dataset: keep one copy, not two
    for label, part in (("training", y_train), ("test", y_test)):
        if split != "none" and len(np.unique(part)) < 2:
            raise _err(
                experiment,
                "split",
                f"the {label} rows hold a single class; use a larger test_size or stratify: true",
            )
    if exp.get("standardize"):
        X_train, X_test = standardize(X_train, X_test)
    meta = {
        **info,
        "n_rows": int(len(codes)),
        "dropped_rows": dropped,
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "n_features": int(n_features),
        "split": split,
        "standardized": bool(exp.get("standardize")),
        "same_rows": split == "none",
    }
    return Prepared(
        np.ascontiguousarray(X_train, dtype=float),
        np.ascontiguousarray(X_test, dtype=float),
        y_train,
        y_test,
        classes,
        names,
        meta,
    )


# --------------------------------------------------------------------------------------------
# Storage


def array_checksum(a: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(f"{a.dtype.str}{a.shape}".encode())
    h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()


def file_checksum(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_save_npy(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array)
    os.replace(tmp, path)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write via a temporary file and rename, so no reader ever sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save_prepared(prepared: Prepared, outdir: str | Path) -> dict:
    """Write the four arrays and ``meta.json`` (with checksums); return the meta."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    checksums = {}
    for name in ARRAYS:
        array = getattr(prepared, name)
        _atomic_save_npy(outdir / f"{name}.npy", array)
        checksums[name] = array_checksum(array)
    meta = {
        **prepared.meta,
        "classes": prepared.classes,
        "feature_names": prepared.feature_names,
        "checksums": checksums,
        "data_key": hashlib.sha256(json.dumps(checksums, sort_keys=True).encode()).hexdigest(),
    }
    atomic_write_text(outdir / "meta.json", json.dumps(meta, indent=1, default=str))
    return meta


def load_prepared(outdir: str | Path, mmap: bool = True) -> Prepared:
    outdir = Path(outdir)
    meta = json.loads((outdir / "meta.json").read_text(encoding="utf-8"))
    arrays = {n: np.load(outdir / f"{n}.npy", mmap_mode="r" if mmap else None) for n in ARRAYS}
    return Prepared(
        **arrays, classes=meta["classes"], feature_names=meta["feature_names"], meta=meta
    )


# --------------------------------------------------------------------------------------------
# Reusing prepared arrays across reruns

#: The settings of an experiment its prepared arrays depend on.
PREPARATION_KEYS = ("dataset", "split", "standardize")


def preparation_key(exp: dict, code: str, root: str | Path = ".") -> str:
    """What the prepared arrays depend on: the experiment's dataset, split and standardize
    settings (not its grids), the data file's bytes (csv, parquet) and the preparing code."""
    spec = {k: exp[k] for k in PREPARATION_KEYS if k in exp}
    parts = {"spec": spec, "code": code}
    path = spec["dataset"].get("path")
    if path:
        parts["file"] = file_checksum(resolve_path(path, root))
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def prepare_cached(
    experiment: str, exp: dict, outdir: str | Path, code: str, root="."
) -> tuple[Prepared, dict]:
    """``prepare_experiment`` + ``save_prepared`` into ``outdir``, unless ``outdir`` already
    holds the arrays of the same :func:`preparation_key` (its ``key`` file): then they are
    read from there, memory-mapped.

    A grid edit reruns the experiment's fit job; the data is prepared again only when the
    dataset, split, standardization, data file or code changed. Returns the data (in memory
    when just prepared) and its meta. The key is removed before the arrays are rewritten and
    written after them, so a killed job never leaves a key over half-written arrays.
    """
    outdir = Path(outdir)
    key = preparation_key(exp, code, root)
    key_file = outdir / "key"
    if key_file.is_file() and key_file.read_text() == key:
        prepared = load_prepared(outdir)
        return prepared, prepared.meta
    key_file.unlink(missing_ok=True)
    prepared = prepare_experiment(experiment, exp, root)
    meta = save_prepared(prepared, outdir)
    atomic_write_text(key_file, key)
    return prepared, meta
