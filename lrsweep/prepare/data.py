"""Datasets' sources: load a raw table (bundled, synthetic, inline, csv or parquet).

:func:`load_dataset` returns the raw features (a float array, or a DataFrame when there are
categorical columns), the labels and what is known about them; :mod:`lrsweep.prepare.checks`
checks them and :mod:`lrsweep.prepare.split` splits them. What is learned from the training
rows (imputation, one-hot encoding, scaling) is in :mod:`lrsweep.prepare.design`. Every
problem with the data is a :class:`DataError` of one line naming the experiment, the key and
the column.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrsweep.errors import DataError, describe, quote, quote_list

#: More levels than this in a categorical column is refused (an identifier, most likely).
MAX_LEVELS = 100
#: A column name, class label or level longer than this is refused (a file read with the
#: wrong delimiter or line ends, most likely); see :func:`check_text`.
MAX_NAME_CHARS = 1000
NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
#: C0 and C1 control characters (newline, tab, escape, ...), as unicodedata's category Cc.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def err(experiment: str, key: str, message: str) -> DataError:
    return DataError(describe(experiment, key, message))


@dataclass
class Raw:
    """A dataset as loaded: ``X`` is a float array, or a DataFrame when some columns are
    categorical (``categorical`` names them); ``y`` holds the labels as given."""

    X: Any
    y: np.ndarray
    columns: list[str]
    categorical: list[str] = field(default_factory=list)
    class_names: dict = field(default_factory=dict)  # label -> display name (bundled data)
    info: dict = field(default_factory=dict)
    groups: Any = None  # each row's group (statsmodels.groups: codes of a column), or None

    @property
    def is_frame(self) -> bool:
        return not isinstance(self.X, np.ndarray)


# --------------------------------------------------------------------------------------------
# Sources


def _bundled(experiment: str, name: str) -> Raw:
    from sklearn import datasets

    loader = getattr(datasets, f"load_{name}", None)
    if loader is None:
        raise err(experiment, "dataset.name", f"unknown bundled dataset {name!r}")
    bunch = loader()
    columns = [str(n) for n in getattr(bunch, "feature_names", [])] or [
        f"x{i}" for i in range(bunch.data.shape[1])
    ]
    y = np.asarray(bunch.target)
    names = getattr(bunch, "target_names", None)
    class_names = {}
    if names is not None and len(names) == len(np.unique(y)):
        class_names = {int(code): str(n) for code, n in zip(np.unique(y), names, strict=True)}
    return Raw(np.asarray(bunch.data, dtype=float), y, columns, class_names=class_names)


def make_synthetic(random_state: int, **params) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``make_classification(**params, random_state=random_state)``: the same
    numbers, with at most two copies of the data in memory instead of three.

    make_classification ends with ``X[:, :] = X[:, perm]``, and numpy copies the right-hand
    side once more because it overlaps the left: a 1,000,000 x 50 dataset peaked at 3.06 times
    its size. Here it generates unshuffled from the same RandomState, then draws the row and
    feature permutations exactly as it does (``utils.shuffle``, then ``shuffle`` of the feature
    indices) and applies both in one indexing step. ``tests/unit/prepare/test_data.py`` holds the
    two equal.
    """
    from sklearn.datasets import make_classification

    rng = np.random.RandomState(random_state)
    X, y = make_classification(**params, shuffle=False, random_state=rng)
    rows = np.arange(len(y))
    rng.shuffle(rows)
    columns = np.arange(X.shape[1])
    rng.shuffle(columns)
    return X[np.ix_(rows, columns)], y[rows]


SYNTHETIC_KEYS = (
    "n_samples",
    "n_features",
    "n_informative",
    "n_redundant",
    "n_classes",
    "class_sep",
    "random_state",
)


def _synthetic(experiment: str, spec: dict) -> Raw:
    params = {k: spec[k] for k in SYNTHETIC_KEYS}
    if params["n_informative"] + params["n_redundant"] > params["n_features"]:
        raise err(
            experiment,
            "dataset.n_informative",
            "n_informative + n_redundant must not exceed n_features",
        )
    if params["n_classes"] > 2 ** params["n_informative"]:
        raise err(experiment, "dataset.n_classes", "n_classes must be <= 2 ** n_informative")
    X, y = make_synthetic(**params)
    return Raw(X, y, [f"x{i}" for i in range(X.shape[1])])


def _inline(experiment: str, spec: dict) -> Raw:
    widths = [len(row) if isinstance(row, list) else -1 for row in spec["x"]]
    for number, width in enumerate(widths, 1):
        if width != widths[0]:  # before numpy, whose message names neither row nor key
            raise err(
                experiment,
                "dataset.x",
                f"row {number} of x has {width} value(s), row 1 has {widths[0]}: every row "
                "must be a list of the same number of values",
            )
    X = np.asarray(spec["x"], dtype=float)
    y = np.asarray(spec["y"])
    if X.ndim != 2:
        raise err(experiment, "dataset.x", "every row of x must have the same number of values")
    if len(X) != len(y):
        raise err(experiment, "dataset.x", f"x has {len(X)} rows but y has {len(y)} values")
    names = spec.get("feature_names") or [f"x{i}" for i in range(X.shape[1])]
    refuse_repeats(experiment, "dataset.feature_names", names)
    if len(names) != X.shape[1]:
        raise err(
            experiment, "dataset.feature_names", f"{len(names)} names for {X.shape[1]} columns"
        )
    return Raw(X, y, list(names))


def resolve_path(path: str, root: str | Path = ".") -> Path:
    """Data paths are relative to the project folder (where the Snakefile is)."""
    p = Path(path)
    return p if p.is_absolute() else Path(root) / p


def check_text(experiment: str, key: str, what: str, text) -> None:
    """Text from the data that lrsweep prints, draws and writes into tables (column names,
    class labels, categorical levels): refused, in one line naming ``what`` it is, when it
    holds a control character (a newline breaks the figures and the tables' lines, an escape
    sequence reaches the terminal) or is longer than :data:`MAX_NAME_CHARS`."""
    if not isinstance(text, str):
        return
    if len(text) > MAX_NAME_CHARS:
        raise err(
            experiment,
            key,
            f"{what} ({quote(text)}) is longer than {MAX_NAME_CHARS:,} characters: is the file "
            "read with the right delimiter and line ends? shorten it",
        )
    bad = _CONTROL.search(text)
    if bad:
        raise err(
            experiment,
            key,
            f"{what} ({quote(text)}) holds a control character ({bad.group()!r}), which is not "
            "allowed: fix the data",
        )


def check_column_names(experiment: str, path: Path, names: list[str], spec: dict) -> None:
    """A table's column names, as its file holds them (before pandas renames a second 'a'
    'a.1' and an empty one 'Unnamed: 0'): no name twice (a copy of the target would become a
    feature), no empty name when every column is a feature, and none that :func:`check_text`
    refuses."""
    dups = sorted(c for c, n in Counter(names).items() if n > 1)
    if dups:
        raise err(
            experiment,
            "dataset.path",
            f"{path.name} has duplicated column names ({quote_list(dups)}): rename them",
        )
    for number, name in enumerate(names, 1):
        key = "dataset.target" if name == spec.get("target") else "dataset.features"
        if not name and not spec.get("features"):
            raise err(
                experiment,
                key,
                f"column {number} of {path.name} has no name (a row index, written without "
                "index=False?): name it, or list the features",
            )
        check_text(experiment, key, f"the name of column {number} of {path.name}", name)


def read_data_file(
    experiment: str, spec: dict, root: str | Path = ".", expected_sha256: str | None = None
):
    """A csv or parquet file as a DataFrame. When ``expected_sha256`` is given (the checksum
    the run was planned with), the bytes read are checked against it, so a file edited while
    a run is under way is never mixed into it."""
    import pandas as pd

    from lrsweep.store.files import sha256_bytes

    path = resolve_path(spec["path"], root)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise err(experiment, "dataset.path", f"file not found: {path}") from None
    if expected_sha256 is not None and sha256_bytes(data) != expected_sha256:
        raise err(
            experiment,
            "dataset.path",
            f"{path} changed since this run was planned; run snakemake again",
        )
    try:
        if spec["source"] == "csv":
            # the header as text first, by the same parser (a byte-order mark, quoting, any
            # length): pandas renames a second 'a' 'a.1' and an empty name 'Unnamed: 0'
            first = pd.read_csv(
                io.BytesIO(data), header=None, nrows=1, dtype=str, keep_default_na=False
            )
            header = [str(c) for c in first.iloc[0]]
            frame = pd.read_csv(io.BytesIO(data))
        else:
            frame = pd.read_parquet(io.BytesIO(data))
            header = [str(c) for c in frame.columns]
    except Exception as exc:  # a parser error, told in one line
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "No columns to parse" in message:
            message = "the file is empty"
        raise err(experiment, "dataset.path", f"cannot read {path.name}: {message}") from None
    check_column_names(experiment, path, header, spec)
    if len(frame) == 0:
        raise err(experiment, "dataset.path", f"{path.name} has a header but no rows")
    return frame, path


def _is_numeric(series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _table(experiment: str, exp: dict, root: Path, expected_sha256: str | None) -> Raw:
    spec = exp["dataset"]
    frame, path = read_data_file(experiment, spec, root, expected_sha256)
    target = spec["target"]
    if target not in frame.columns:
        raise err(
            experiment,
            "dataset.target",
            f"column {quote(target)} not in {path.name} (columns: {quote_list(frame.columns)})",
        )
    groups = groups_column(exp)  # not a feature unless listed
    features = spec.get("features") or [c for c in frame.columns if c not in (target, groups)]
    refuse_repeats(experiment, "dataset.features", features)
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise err(
            experiment,
            "dataset.features",
            f"column(s) {quote_list(missing)} not in {path.name}",
        )
    if target in features:
        raise err(
            experiment,
            "dataset.features",
            f"the target {quote(target)} is also listed as a feature",
        )
    categorical = categorical_columns(experiment, exp.get("categorical") or [], frame, features)
    y = frame[target].to_numpy()
    for label in frame[target].dropna().unique():
        check_text(experiment, "dataset.target", f"a class label of column {quote(target)}", label)
    columns = [str(c) for c in features]
    return Raw(
        model_input(frame, columns, categorical),
        y,
        columns,
        categorical=categorical,
        groups=group_codes(experiment, exp, frame, path.name),
    )


def groups_column(exp: dict):
    """The column ``statsmodels.groups`` names (clustered standard errors), or None."""
    block = exp.get("statsmodels")
    return block.get("groups") if isinstance(block, dict) else None


def group_codes(experiment: str, exp: dict, frame, file_name: str):
    """Each row's group as an integer code (-1 for a gap), from the column
    ``statsmodels.groups`` names; None without one. The column need not be a feature."""
    column = groups_column(exp)
    if column is None:
        return None
    if column not in frame.columns:
        raise err(
            experiment,
            "statsmodels.groups",
            f"column {quote(column)} not in {file_name} (columns: {quote_list(frame.columns)})",
        )
    if column == exp["dataset"]["target"]:
        raise err(experiment, "statsmodels.groups", f"column {quote(column)} is the target")
    import pandas as pd

    codes, _ = pd.factorize(frame[column], sort=True)
    return np.asarray(codes, dtype=np.int64)


def refuse_repeats(experiment: str, key: str, names: list) -> None:
    """A list of columns naming one twice (two coefficients of one name) is refused."""
    twice = sorted(str(c) for c, n in Counter(names).items() if n > 1)
    if twice:
        raise err(experiment, key, f"{quote_list(twice)} listed twice: list each column once")


def model_input(frame, columns: list[str], categorical: list[str]):
    """The raw features as the preprocessing takes them: a float array, or (with categorical
    columns) a DataFrame whose categorical columns hold text levels. Used for the training
    data and, the same way, for new rows (``lrsweep predict``)."""
    X = frame[columns]
    if not categorical:
        return X.to_numpy(dtype=float)
    X = X.copy()
    for c in columns:
        if c in categorical:
            X[c] = X[c].map(lambda v: v if is_missing(v) else _level(v)).astype(object)
        else:
            X[c] = X[c].astype(float)
    return X


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _level(value) -> str:
    """A category's text: 3.0 reads as "3", so numeric codes name their levels plainly."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def categorical_columns(experiment: str, setting, frame, features: list) -> list:
    """The feature columns to one-hot encode; every other feature must be numeric."""
    if setting == "auto":
        chosen = [c for c in features if not _is_numeric(frame[c])]
    else:
        chosen = list(setting)
        missing = [c for c in chosen if c not in frame.columns]
        if missing:
            raise err(
                experiment,
                "categorical",
                f"column(s) {quote_list(missing)} not in the data "
                f"(columns: {quote_list(frame.columns)})",
            )
        outside = [c for c in chosen if c not in features]
        if outside:
            raise err(
                experiment,
                "categorical",
                f"column(s) {quote_list(outside)} are not among the features",
            )
    for c in features:
        if c in chosen or _is_numeric(frame[c]):
            continue
        values = frame[c].dropna()
        text = next((v for v in values if not NUMBER.match(str(v))), None)
        row = int(np.flatnonzero(frame[c].astype(str) == str(text))[0]) + 2 if text else None
        raise err(
            experiment,
            "dataset.features",
            f"column {quote(c)} holds text ({quote(text)} on line {row} of the file): list it "
            "under categorical (or categorical: auto), or fix the data",
        )
    for c in chosen:
        levels = frame[c].dropna().map(_level).unique()
        if len(levels) < 2:
            only = quote(levels[0]) if len(levels) else "no values"
            raise err(
                experiment,
                "categorical",
                f"column {quote(c)} has a single level ({only}): it carries no information; "
                "leave it out of the features",
            )
        if len(levels) > MAX_LEVELS:
            raise err(
                experiment,
                "categorical",
                f"column {quote(c)} has {len(levels)} levels (more than {MAX_LEVELS}): is it an "
                "identifier? leave it out of the features",
            )
        for level in levels:  # at most MAX_LEVELS of them
            check_text(experiment, "categorical", f"a level of column {quote(c)}", level)
    return chosen


def load_dataset(
    experiment: str, exp: dict, root: str | Path = ".", expected_sha256: str | None = None
) -> Raw:
    """The raw features and labels of an experiment's dataset (see :class:`Raw`)."""
    spec = exp["dataset"]
    source = spec["source"]
    if source == "inline":
        raw = _inline(experiment, spec)
    elif source == "sklearn":
        raw = _bundled(experiment, spec["name"])
    elif source == "synthetic":
        raw = _synthetic(experiment, spec)
    elif source in ("csv", "parquet"):
        raw = _table(experiment, exp, Path(root), expected_sha256)
    else:
        raise err(experiment, "dataset.source", f"unknown source {source!r}")
    if groups_column(exp) is not None and raw.groups is None:
        raise err(
            experiment,
            "statsmodels.groups",
            f"needs a column of a table (source csv or parquet), not source {source}",
        )
    if exp.get("categorical") and not raw.is_frame:
        raw = _as_categorical(experiment, raw, exp["categorical"])
    raw.info["source"] = source
    return raw


def _as_categorical(experiment: str, raw: Raw, setting) -> Raw:
    """Categorical columns of a numeric dataset (inline, bundled, synthetic): their codes."""
    import pandas as pd

    frame = pd.DataFrame(raw.X, columns=raw.columns)
    chosen = categorical_columns(experiment, setting, frame, raw.columns)
    if not chosen:
        return raw
    frame = frame.astype(object)
    for c in chosen:
        frame[c] = frame[c].map(lambda v: v if is_missing(v) else _level(v))
    for c in raw.columns:
        if c not in chosen:
            frame[c] = frame[c].astype(float)
    return Raw(frame, raw.y, raw.columns, chosen, raw.class_names, raw.info, raw.groups)
