"""Datasets: loading, the one-line errors for bad input, split and standardization."""

import numpy as np
import pandas as pd
import pytest

from lrsweep.config.schema import validate_config
from lrsweep.errors import DataError
from lrsweep.prepare.data import make_synthetic
from lrsweep.prepare.design import prepare_experiment


def prepare(dataset, split="none", standardize=False, root=".", **exp):
    cfg = validate_config(
        {
            "sweep": "t",
            "experiments": {
                "ex": {"dataset": dataset, "split": split, "standardize": standardize, **exp}
            },
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


def test_parquet_reads_as_the_same_table_in_csv_does(tmp_path):
    rng = np.random.default_rng(0)
    table = frame(
        a=rng.normal(size=40),
        b=rng.integers(0, 5, 40).astype(float),
        job=rng.choice(["x", "y", "z"], 40),
        outcome=rng.choice(["no", "yes"], 40),
    )
    table.to_parquet(tmp_path / "d.parquet")
    table.to_csv(tmp_path / "d.csv", index=False)
    split = {"test_size": 0.25, "random_state": 0, "stratify": True}
    kw = dict(split=split, standardize=True, root=tmp_path, categorical=["job"])
    p = prepare({"source": "parquet", "path": "d.parquet", "target": "outcome"}, **kw)
    q = prepare({"source": "csv", "path": "d.csv", "target": "outcome"}, **kw)
    assert p.feature_names == q.feature_names == ["a", "b", "job=x", "job=y", "job=z"]
    assert p.classes == q.classes == ["no", "yes"]
    np.testing.assert_allclose(p.X_train, q.X_train, rtol=1e-12)
    np.testing.assert_array_equal(p.y_test, q.y_test)


@pytest.mark.parametrize(
    ("cols", "spec", "fragment"),
    [
        (
            {"a": [1, 2], "y": [0, 1]},
            {"target": "outcome"},
            "key 'dataset.target': column 'outcome' not in d.csv (columns: 'a', 'y')",
        ),
        (
            {"a": [1, 2], "y": [0, 1]},
            {"target": "y", "features": ["a", "zz"]},
            "key 'dataset.features': column(s) 'zz' not in d.csv",
        ),
        (
            {"a": ["p", "q"], "y": [0, 1]},
            {"target": "y"},
            "key 'dataset.features': column 'a' holds text ('p' on line 2 of the file): list "
            "it under categorical",
        ),
        (
            {"a": ["1.5", "2", "two", "4"], "y": [0, 1, 0, 1]},
            {"target": "y"},
            "key 'dataset.features': column 'a' holds text ('two' on line 4 of the file)",
        ),
        (
            {"a": [1.0, np.nan, 3, 2], "b": [np.nan, 1, np.nan, 3], "y": [0, 1, 0, 1]},
            {"target": "y"},
            "key 'dataset': NaN or missing values (a: 1, b: 2); set 'dropna: true' on the "
            "dataset to drop those rows, or 'impute: mean'",
        ),
        (
            {"a": [1.0, np.nan, np.inf, 2], "y": [0, 1, 0, 1]},
            {"target": "y"},
            "key 'dataset': infinite values (a: 1); set 'dropna: true'",
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


def test_make_synthetic_peaks_at_two_copies_of_the_data():
    import tracemalloc

    tracemalloc.start()
    X, _ = make_synthetic(n_samples=40_000, n_features=50, n_informative=20, random_state=0)
    peak = tracemalloc.get_traced_memory()[1] / X.nbytes
    tracemalloc.stop()
    assert peak <= 2.2, peak


# --------------------------------------------------------------------------------------------
# Bad data that used to pass (issue #14)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a,y,y\n1,0,0\n2,1,1\n", "d.csv has duplicated column names ('y'): rename them"),
        ("a,a,y\n1,2,0\n2,3,1\n", "d.csv has duplicated column names ('a'): rename them"),
        ("a,b,y\n", "d.csv has a header but no rows"),
        ("", "cannot read d.csv: the file is empty"),
    ],
)
def test_malformed_files_are_refused(tmp_path, text, fragment):
    (tmp_path / "d.csv").write_text(text)
    with pytest.raises(DataError) as err:
        prepare({"source": "csv", "path": "d.csv", "target": "y"}, root=tmp_path)
    assert str(err.value) == f"experiment 'ex': key 'dataset.path': {fragment}"


@pytest.mark.parametrize(
    ("y", "fragment"),
    [
        (
            [0.37 * i for i in range(60)],
            "the target has non-integer values (such as 0.37): it looks continuous",
        ),
        (
            list(range(60)),
            "the target has 60 distinct values in 60 rows: it looks continuous",
        ),
        (
            ["0", "1", "yes", "no"] * 15,
            "the target mixes numbers and text ('0', '1', 'no', 'yes'): give every row the same",
        ),
    ],
)
def test_targets_that_are_not_classes_are_refused(csv, y, fragment):
    root = csv(frame(a=np.arange(len(y), dtype=float), y=y))
    with pytest.raises(DataError) as err:
        prepare({"source": "csv", "path": "d.csv", "target": "y"}, root=root)
    assert f"experiment 'ex': key 'dataset.target': {fragment}" in str(err.value)


def test_dropping_every_row_says_so(csv):
    root = csv(frame(a=[1.0, 2, 3], y=[np.nan] * 3))
    with pytest.raises(DataError) as err:
        prepare({"source": "csv", "path": "d.csv", "target": "y", "dropna": True}, root=root)
    assert str(err.value) == (
        "experiment 'ex': key 'dataset.dropna': no rows are left after dropping those with gaps"
    )


# --------------------------------------------------------------------------------------------
# Categorical columns and imputation (issue #17)


def people(n=40, gaps=False):
    rng = np.random.default_rng(0)
    job = np.array(["teacher", "nurse", "farmer", "clerk"])[rng.integers(0, 4, n)]
    age = rng.integers(20, 70, n).astype(float)
    if gaps:
        age[[1, 5]] = np.nan
        job = job.astype(object)
        job[[2, 7]] = None
    return frame(age=age, job=job, y=(rng.random(n) < 0.5).astype(int))


def test_categorical_columns_are_one_hot_encoded_on_the_training_rows(csv):
    root = csv(people())
    split = {"test_size": 0.25, "random_state": 0, "stratify": False}
    p = prepare(
        {"source": "csv", "path": "d.csv", "target": "y"},
        split=split,
        standardize=True,
        root=root,
        categorical=["job"],
    )
    assert p.feature_names == ["age", "job=clerk", "job=farmer", "job=nurse", "job=teacher"]
    # statsmodels' reference: the most frequent level of the training rows
    from sklearn.model_selection import train_test_split

    top = train_test_split(people(), test_size=0.25, random_state=0)[0]["job"].value_counts()
    assert top.iloc[0] > top.iloc[1]  # no tie
    assert p.meta["reference_levels"] == {"job": top.index[0]}
    assert p.sm_drop == [p.feature_names.index(f"job={top.index[0]}")]
    # indicators are 0/1 (not scaled); age is standardized on the training rows
    assert set(np.unique(p.X_train[:, 1:])) == {0.0, 1.0}
    assert p.X_train[:, 0].mean() == pytest.approx(0, abs=1e-12)
    # an independent computation with scikit-learn's own encoder on the same split
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import OneHotEncoder

    table = people()
    train, test = train_test_split(table, test_size=0.25, random_state=0)
    enc = OneHotEncoder(sparse_output=False).fit(train[["job"]])
    np.testing.assert_array_equal(p.X_test[:, 1:], enc.transform(test[["job"]]))
    # a level unseen in training gets all-zero indicators instead of failing
    new = pd.DataFrame({"age": [30.0], "job": ["pilot"]})
    assert p.preprocessor.transform(new)[0, 1:].tolist() == [0.0] * 4


def test_categorical_auto_and_imputation(csv):
    root = csv(people(gaps=True))
    p = prepare(
        {"source": "csv", "path": "d.csv", "target": "y"},
        root=root,
        categorical="auto",
        impute="median",
    )
    assert "job=(missing)" in p.feature_names  # categorical gaps: their own level
    age = p.X_train[:, p.feature_names.index("age")]
    assert not np.isnan(age).any()
    assert age[1] == np.nanmedian(people(gaps=True)["age"])
    q = prepare(
        {"source": "csv", "path": "d.csv", "target": "y"},
        root=root,
        categorical=["job"],
        impute="most_frequent",
    )
    assert "job=(missing)" not in q.feature_names


@pytest.mark.parametrize(
    ("table", "setting", "fragment"),
    [
        (
            frame(a=[1.0, 2, 3, 4], y=[0, 1, 0, 1]),
            ["colour"],
            "key 'categorical': column(s) 'colour' not in the data (columns: 'a', 'y')",
        ),
        (
            frame(a=[1.0, 2, 3, 4], c=["x"] * 4, y=[0, 1, 0, 1]),
            ["c"],
            "key 'categorical': column 'c' has a single level ('x'): it carries no information",
        ),
        (
            frame(a=np.arange(300.0), c=[f"id{i}" for i in range(300)], y=[0, 1] * 150),
            ["c"],
            "key 'categorical': column 'c' has 300 levels (more than 100): is it an identifier?",
        ),
    ],
)
def test_bad_categorical_settings(csv, table, setting, fragment):
    root = csv(table)
    with pytest.raises(DataError) as err:
        prepare({"source": "csv", "path": "d.csv", "target": "y"}, root=root, categorical=setting)
    assert f"experiment 'ex': {fragment}" in str(err.value)


def test_ragged_inline_rows_name_the_row_and_the_key():
    with pytest.raises(DataError) as err:
        prepare({"source": "inline", "x": [[0.0], [1.0, 2.0], [2.0], [3.0]], "y": [0, 1, 0, 1]})
    assert str(err.value) == (
        "experiment 'ex': key 'dataset.x': row 2 of x has 2 value(s), row 1 has 1: every row "
        "must be a list of the same number of values"
    )


def test_a_column_with_no_training_value_cannot_be_imputed(csv):
    root = csv(frame(a=[1.0, 2, 3, 4, 5, 6], z=[np.nan] * 6, y=[0, 1, 0, 1, 0, 1]))
    with pytest.raises(DataError, match=r"key 'impute': column\(s\) 'z' have no value in the"):
        prepare({"source": "csv", "path": "d.csv", "target": "y"}, root=root, impute="median")


def test_more_folds_than_rows_of_a_class_is_refused(csv):
    from lrsweep.prepare.design import check_cv_folds

    root = csv(frame(a=np.arange(12.0), y=[0] * 8 + [1] * 4))
    p = prepare({"source": "csv", "path": "d.csv", "target": "y"}, root=root)
    check_cv_folds("ex", p, {"folds": 4, "repeats": 1, "random_state": 0})  # 4 rows of class 1
    with pytest.raises(DataError) as err:
        check_cv_folds("ex", p, {"folds": 5, "repeats": 1, "random_state": 0})
    assert str(err.value) == (
        "experiment 'ex': key 'cv.folds': 5 folds need at least 5 training rows of each class; "
        "class '1' has 4"
    )


# --------------------------------------------------------------------------------------------
# Text from the data: checked where it is read, quoted briefly wherever it is told (issue #27)

ESC = "\x1b]0;TITLE-SET-BY-DATA\x07\x1b[2J\x1b[31mRED"


def refusal(root, **spec) -> str:
    with pytest.raises(DataError) as err:
        prepare({"source": "csv", "path": "d.csv", "target": "y", **spec}, root=root)
    return str(err.value)


def test_quote_escapes_control_characters_and_cuts_long_values():
    from lrsweep.errors import quote, quote_list

    assert quote("a") == "'a'" and quote(1) == "1" and quote(np.int64(3)) == "3"
    assert quote(ESC).startswith(r"'\x1b]0;TITLE-SET-BY-DATA\x07\x1b[2J")
    assert "\x1b" not in quote(ESC) and "\x07" not in quote(ESC)
    assert quote("z" * 200_000) == f"'{'z' * 40}'… (200,000 characters)"
    assert quote_list(["a", "b"]) == "'a', 'b'"
    assert quote_list(range(25)) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … (25 in all)"


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        # Excel's "CSV UTF-8" starts with a byte-order mark, which pandas drops
        ("\ufeffy,a,y", "key 'dataset.path': d.csv has duplicated column names ('y')"),
        # a header longer than 1 MiB (and a field longer than the csv module's limit)
        ("a," + "b" * (1 << 20) + ",a,y", "key 'dataset.path': d.csv has duplicated column names"),
        (
            "z" * 200_000 + ",y",
            "key 'dataset.features': the name of column 1 of d.csv "
            f"('{'z' * 40}'… (200,000 characters)) is longer than 1,000 characters",
        ),
        (
            ",a,y",
            "key 'dataset.features': column 1 of d.csv has no name (a row index, written "
            "without index=False?): name it, or list the features",
        ),
    ],
)
def test_headers_are_checked_as_the_file_holds_them(tmp_path, header, fragment):
    rows = "".join(f"{i % 2},{i},{i % 2}\n" for i in range(20))
    (tmp_path / "d.csv").write_text(f"{header}\n{rows}", encoding="utf-8")
    said = refusal(tmp_path)
    assert said.startswith(f"experiment 'ex': {fragment}"), said
    assert len(said) < 300


def test_a_feature_listed_twice_is_refused(csv):
    root = csv(frame(a=[1.0, 2, 3, 4], b=[0.0, 1, 1, 0], y=[0, 1, 0, 1]))
    assert refusal(root, features=["a", "a", "b"]) == (
        "experiment 'ex': key 'dataset.features': 'a' listed twice: list each column once"
    )
    inline = {"source": "inline", "x": [[0, 1], [1, 0]], "y": [0, 1], "feature_names": ["u", "u"]}
    with pytest.raises(DataError, match="key 'dataset.feature_names': 'u' listed twice"):
        prepare(inline)


@pytest.mark.parametrize(
    ("table", "spec", "fragment"),
    [
        (
            frame(a=np.arange(8.0), y=["no", "yes\nsure"] * 4),
            {},
            r"key 'dataset.target': a class label of column 'y' ('yes\nsure') holds a control "
            r"character ('\n'), which is not allowed: fix the data",
        ),
        (
            frame(a=np.arange(8.0), **{ESC: [1.0] * 8}, y=[0, 1] * 4),
            {},
            r"key 'dataset.features': the name of column 2 of d.csv ('\x1b]0;TITLE-SET-BY-DATA"
            r"\x07\x1b[2J\x1b[31mRED') holds a control character ('\x1b')",
        ),
        (
            frame(a=np.arange(8.0), **{"y\x9b": [0, 1] * 4}),
            {"target": "y\x9b"},
            r"key 'dataset.target': the name of column 2 of d.csv ('y\x9b') holds a control",
        ),
        (
            frame(a=np.arange(8.0), job=["a\tb", "c"] * 4, y=[0, 1] * 4),
            {"categorical": "auto"},
            r"key 'categorical': a level of column 'job' ('a\tb') holds a control character",
        ),
        (
            frame(a=np.arange(8.0), y=["no", "y" * 5000] * 4),
            {},
            "key 'dataset.target': a class label of column 'y' "
            f"('{'y' * 40}'… (5,000 characters)) is longer than 1,000 characters",
        ),
    ],
)
def test_control_characters_in_names_and_labels_are_refused(csv, table, spec, fragment):
    root = csv(table)
    categorical = spec.pop("categorical", [])
    said = refusal(root, **spec) if not categorical else None
    if categorical:
        with pytest.raises(DataError) as err:
            prepare(
                {"source": "csv", "path": "d.csv", "target": "y"},
                root=root,
                categorical=categorical,
            )
        said = str(err.value)
    assert said.startswith(f"experiment 'ex': {fragment}"), said
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in said)


def test_a_long_cell_is_quoted_by_a_short_prefix(tmp_path):
    rows = "".join(f"{i}.5,1.0,{i % 2}\n" for i in range(20))
    (tmp_path / "d.csv").write_text(f'a,b,y\n{rows}1.0,"{"x" * 300_000}",0\n')
    said = refusal(tmp_path)
    assert said == (
        f"experiment 'ex': key 'dataset.features': column 'b' holds text ('{'x' * 40}'… "
        "(300,000 characters) on line 22 of the file): list it under categorical (or "
        "categorical: auto), or fix the data"
    )


def test_a_class_only_in_the_test_rows_is_refused_at_the_split(csv):
    from sklearn.model_selection import train_test_split

    y = [0, 1] * 10 + [2]
    split = {"test_size": 0.25, "random_state": 0, "stratify": False}
    _, test = train_test_split(np.arange(21), test_size=0.25, random_state=0)
    assert 20 in test  # the one row of class 2 is a test row
    root = csv(frame(a=np.arange(21.0), y=y))
    with pytest.raises(DataError) as err:
        prepare({"source": "csv", "path": "d.csv", "target": "y"}, split=split, root=root)
    assert str(err.value) == (
        "experiment 'ex': key 'split': class 2 has no training rows (its 1 row is a test row): "
        "use stratify: true, or add rows of it"
    )


def test_predict_quotes_the_columns_of_new_rows_briefly():
    from lrsweep.errors import LrsweepError
    from lrsweep.tools.predict import check_columns

    new = pd.DataFrame({"a": [1.0], ESC + "z" * 100_000: [1.0]})
    with pytest.raises(LrsweepError) as err:
        check_columns(new, ["a", "b"], "y", "new.csv")
    said = str(err.value)
    assert said.startswith(
        r"new.csv: its columns do not match the model's (missing 'b'; unexpected '\x1b]0;"
    )
    assert "… (100,034 characters)); the model takes: a, b" in said and len(said) < 300
