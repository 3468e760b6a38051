"""Datasets: loading, the one-line errors for bad input, split and standardization."""

import numpy as np
import pandas as pd
import pytest

from lrsweep.config import validate_config
from lrsweep.data import load_prepared, make_synthetic, prepare_experiment, save_prepared
from lrsweep.errors import DataError


def prepare(dataset, split="none", standardize=False, root="."):
    cfg = validate_config(
        {
            "sweep": "t",
            "experiments": {"ex": {"dataset": dataset, "split": split, "standardize": standardize}},
        }
    )
    return prepare_experiment("ex", cfg["experiments"]["ex"], root)


@pytest.fixture
def csv(tmp_path):
    def write(frame, name="d.csv"):
        frame.to_csv(tmp_path / name, index=False)
        return tmp_path

    return write


def frame(**cols):
    return pd.DataFrame(cols)


def test_csv_with_string_labels_and_all_features(csv):
    root = csv(frame(a=[1.0, 2, 3, 4, 5, 6], b=[0, 1, 0, 1, 0, 1], outcome=list("xyxyxy")))
    p = prepare({"source": "csv", "path": "d.csv", "target": "outcome"}, root=root)
    assert p.classes == ["x", "y"] and p.feature_names == ["a", "b"]
    assert p.y_train.tolist() == [0, 1, 0, 1, 0, 1]


def test_parquet(tmp_path):
    frame(a=[1.0, 2, 3, 4], outcome=[0, 1, 0, 1]).to_parquet(tmp_path / "d.parquet")
    p = prepare({"source": "parquet", "path": "d.parquet", "target": "outcome"}, root=tmp_path)
    assert p.X_train.shape == (4, 1)


@pytest.mark.parametrize(
    ("cols", "spec", "fragment"),
    [
        (
            {"a": [1, 2], "y": [0, 1]},
            {"target": "outcome"},
            "key 'dataset.target': column 'outcome' not in d.csv (columns: a, y)",
        ),
        (
            {"a": [1, 2], "y": [0, 1]},
            {"target": "y", "features": ["a", "zz"]},
            "key 'dataset.features': column(s) 'zz' not in d.csv",
        ),
        (
            {"a": ["p", "q"], "y": [0, 1]},
            {"target": "y"},
            "key 'dataset.features': non-numeric feature column(s) 'a'",
        ),
        (
            {"a": [1.0, np.nan, np.inf, 2], "b": [np.nan, 1, 2, 3], "y": [0, 1, 0, 1]},
            {"target": "y"},
            "key 'dataset': NaN or infinite values (a: 2, b: 1); set 'dropna: true'",
        ),
        (
            {"a": [1.0, 2, 3], "y": [1, 1, 1]},
            {"target": "y"},
            "key 'dataset.target': the target has a single class (1)",
        ),
        (
            {"a": [1.0, 2, 3], "y": ["x", "x", "x"]},
            {"target": "y"},
            "key 'dataset.target': the target has a single class ('x')",
        ),
    ],
)
def test_bad_tables_get_one_line_errors(csv, cols, spec, fragment):
    root = csv(pd.DataFrame(cols))
    with pytest.raises(DataError) as err:
        prepare({"source": "csv", "path": "d.csv", **spec}, root=root)
    assert str(err.value).startswith("experiment 'ex': ")
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="key 'dataset.path': file not found"):
        prepare({"source": "csv", "path": "nope.csv", "target": "y"}, root=tmp_path)


def test_dropna_drops_and_counts(csv):
    root = csv(frame(a=[1.0, np.nan, 3, 4, 5, 6], y=[0, 1, 0, 1, 0, 1]))
    p = prepare({"source": "csv", "path": "d.csv", "target": "y", "dropna": True}, root=root)
    assert p.meta["dropped_rows"] == 1 and len(p.y_train) == 5


def test_class_too_small_for_stratified_split(csv):
    root = csv(frame(a=list(range(10)), y=[0] * 9 + [1]))
    with pytest.raises(DataError, match=r"key 'split.stratify': class 1 \(1 row\) too small"):
        prepare(
            {"source": "csv", "path": "d.csv", "target": "y"},
            split={"test_size": 0.3, "random_state": 0, "stratify": True},
            root=root,
        )


def test_standardize_uses_training_rows_only():
    p = prepare(
        {"source": "sklearn", "name": "wine"},
        split={"test_size": 0.25, "random_state": 0, "stratify": True},
        standardize=True,
    )
    assert np.allclose(p.X_train.mean(axis=0), 0, atol=1e-12)
    assert not np.allclose(p.X_test.mean(axis=0), 0, atol=1e-3)


def test_synthetic_and_round_trip(tmp_path):
    p = prepare(
        {"source": "synthetic", "n_samples": 200, "n_features": 5, "n_informative": 3},
        split={"test_size": 0.2, "random_state": 0, "stratify": False},
    )
    meta = save_prepared(p, tmp_path)
    q = load_prepared(tmp_path)
    assert isinstance(q.X_train, np.memmap) and np.array_equal(q.X_train, p.X_train)
    assert meta["n_train"] == 160 and len(meta["data_key"]) == 64


@pytest.mark.parametrize(
    "params",
    [
        dict(n_samples=500, n_features=8, n_informative=3, random_state=0),
        dict(
            n_samples=301,
            n_features=20,
            n_informative=5,
            n_redundant=2,
            n_classes=3,
            class_sep=0.7,
            random_state=42,
        ),
    ],
)
def test_make_synthetic_is_make_classification(params):
    from sklearn.datasets import make_classification

    X, y = make_synthetic(**params)
    X_ref, y_ref = make_classification(**params)
    np.testing.assert_array_equal(X, X_ref)  # bit for bit
    np.testing.assert_array_equal(y, y_ref)


def test_make_synthetic_peaks_below_make_classification():
    import tracemalloc

    from sklearn.datasets import make_classification

    params = dict(n_samples=40_000, n_features=50, n_informative=20, random_state=0)
    peaks = {}
    for name, make in (("lean", make_synthetic), ("sklearn", make_classification)):
        tracemalloc.start()
        X, _ = make(**params)
        peaks[name] = tracemalloc.get_traced_memory()[1] / X.nbytes
        tracemalloc.stop()
        del X
    assert peaks["lean"] <= 2.2 < 2.8 <= peaks["sklearn"], peaks


def test_prepare_cached_reads_the_arrays_back_while_the_preparation_is_unchanged(tmp_path):
    from lrsweep.data import prepare_cached

    table = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6, 7, 8], "y": [0, 1] * 4})
    table.to_csv(tmp_path / "d.csv", index=False)
    exp = {
        "dataset": {"source": "csv", "path": "d.csv", "target": "y"},
        "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
        "standardize": True,
        "sklearn": {"C": [1.0]},
    }
    out = tmp_path / "prepared"

    def prepare(exp, code="c1"):
        return prepare_cached("e", exp, out, code, root=tmp_path)

    first, meta = prepare(exp)
    inode = (out / "X_train.npy").stat().st_ino
    # a grid edit: the arrays are read back, not written again
    again, meta_again = prepare({**exp, "sklearn": {"C": [1.0, 10.0]}})
    assert (out / "X_train.npy").stat().st_ino == inode
    assert meta_again["data_key"] == meta["data_key"]
    np.testing.assert_array_equal(again.X_train, first.X_train)

    # another split, other code, or an edited file: prepared again
    other = {**exp, "split": {**exp["split"], "random_state": 1}}
    assert prepare(other)[1]["data_key"] != meta["data_key"]
    assert (out / "X_train.npy").stat().st_ino != inode
    assert prepare(exp)[1]["data_key"] == meta["data_key"]
    inode = (out / "X_train.npy").stat().st_ino
    prepare(exp, code="c2")
    assert (out / "X_train.npy").stat().st_ino != inode
    table.assign(a=table.a**2).to_csv(tmp_path / "d.csv", index=False)  # not a rescaling
    assert prepare(exp, code="c2")[1]["data_key"] != meta["data_key"]
    # a job killed while writing the arrays leaves no key: they are prepared again
    (out / "key").unlink()
    inode = (out / "X_train.npy").stat().st_ino
    prepare(exp, code="c2")
    assert (out / "X_train.npy").stat().st_ino != inode
