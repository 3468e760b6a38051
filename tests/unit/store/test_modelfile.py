"""Model files load through one function with an exact allow-list and size limits
(lrsweep.store.modelfile): a crafted file gives an error, never runs code."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lrsweep.errors import LrsweepError
from lrsweep.store.modelfile import (
    ALLOWED_LOADERS,
    ALLOWED_TYPES,
    LIMITS,
    dumps,
    load,
    schema_types,
)
from tests.conftest import REPO

SOLVERS = ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")


def _table(n: int = 60, k: int = 2, gaps: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "income": rng.normal(3, 1, n),
            "job": rng.choice(["a", "b", "c"], n),
            "town": rng.choice(["x", "y"], n),
            "y": np.arange(n) % k,
        }
    )
    if gaps:
        frame.loc[::7, "income"] = np.nan
        frame.loc[::9, "job"] = None
    return frame


def _prepared(tmp_path: Path, variant: dict, k: int):
    from lrsweep.config.resolve import resolve_config
    from lrsweep.prepare.design import prepare_experiment

    frame = _table(k=k, gaps="impute" in variant["exp"])
    if variant.get("numeric_only"):
        frame = frame[["age", "income", "y"]]
    if variant.get("categorical_only"):
        frame = frame[["job", "town", "y"]]
    path = tmp_path / f"t{k}.csv"
    frame.to_csv(path, index=False)
    exp = {"dataset": {"source": "csv", "path": str(path), "target": "y"}, **variant["exp"]}
    sweep = resolve_config({"sweep": "t", "experiments": {"e": exp}})
    return prepare_experiment("e", sweep["config"]["experiments"]["e"])


#: Every kind of preprocessing lrsweep builds (lrsweep.prepare.design.build_preprocessor).
VARIANTS = [
    {"exp": {}, "numeric_only": True},
    {"exp": {"standardize": True}, "numeric_only": True},
    {"exp": {"impute": "median"}, "numeric_only": True},
    {"exp": {"impute": "mean", "standardize": True}, "numeric_only": True},
    {"exp": {"categorical": ["job", "town"], "impute": "median"}},
    {"exp": {"categorical": ["job", "town"], "impute": "most_frequent", "standardize": True}},
    {"exp": {"categorical": ["job", "town"], "standardize": True}},
    {"exp": {"categorical": ["job", "town"]}, "categorical_only": True},
    {"exp": {"categorical": ["job", "town"], "impute": "median"}, "categorical_only": True},
]


def _saved_models(tmp_path: Path):
    """Every model file lrsweep can write: each preprocessing, each solver, binary and
    three classes with ovr and multinomial."""
    from lrsweep.config.grid import expand_sklearn
    from lrsweep.fit.record import model_pipeline
    from lrsweep.fit.sklearn import sklearn_estimator

    for variant in VARIANTS:
        for k in (2, 3):
            prepared = _prepared(tmp_path, variant, k)
            if prepared.preprocessor is not None:
                yield dumps(prepared.preprocessor)
            for solver in SOLVERS:
                for mc in ("ovr", "multinomial") if k == 3 else ("auto",):
                    spec = {"solver": solver, "C": 1.0, "multi_class": mc, "max_iter": 50}
                    for point in expand_sklearn("e", spec):
                        if point.get("status") == "skipped":
                            continue
                        est = sklearn_estimator(point, k)
                        est.fit(prepared.X_train, prepared.y_train)
                        yield dumps(model_pipeline(prepared, est))
    # every other setting, once: penalties (none is C=inf), class weights, no intercept
    prepared = _prepared(tmp_path, VARIANTS[0], 2)
    spec = {
        "solver": ["saga", "liblinear"],
        "penalty": ["l1", "l2", "elasticnet", "none"],
        "l1_ratio": 0.5,
        "class_weight": ["none", "balanced"],
        "fit_intercept": [True, False],
        "C": 0.5,
        "max_iter": 50,
    }
    for point in expand_sklearn("e", spec):
        if point.get("status") != "skipped":
            est = sklearn_estimator(point, 2).fit(prepared.X_train, prepared.y_train)
            yield dumps(model_pipeline(prepared, est))
    # a tuned decision threshold: the pipeline in a FixedThresholdClassifier
    from lrsweep.fit.record import thresholded

    model = model_pipeline(prepared, est)
    result = {"tuned_threshold": 0.3, "tuned_threshold_positive": 1}
    yield dumps(thresholded(model, prepared, result))
    # no preprocessing at all: the bare estimator is the model file
    from sklearn.linear_model import LogisticRegression

    X, y = np.random.default_rng(1).normal(size=(30, 2)), np.arange(30) % 2
    yield dumps(LogisticRegression().fit(X, y))


def _types(data: bytes) -> tuple[set[str], set[str]]:
    return schema_types(json.loads(zipfile.ZipFile(io.BytesIO(data)).read("schema.json")))


def test_allow_list_is_exactly_the_types_lrsweep_saves(tmp_path):
    """Derived from what lrsweep saves: every type there is allowed, and nothing more is."""
    seen_types, seen_loaders = set(), set()
    for data in _saved_models(tmp_path):
        types, loaders = _types(data)
        seen_types |= types
        seen_loaders |= loaders
        load(data, "model")  # and each loads
    assert seen_types == ALLOWED_TYPES
    assert seen_loaders == ALLOWED_LOADERS


def _rewritten(data: bytes, edit) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(source.read("schema.json"))
    edit(schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in source.namelist():
            payload = json.dumps(schema) if name == "schema.json" else source.read(name)
            z.writestr(name, payload)
    return out.getvalue()


def _exec_gadget(marker: Path) -> bytes:
    """The reproduction of the issue: an object whose reduce is (type, args), renamed to
    numpy.testing's ``runstring`` (which is ``exec``): a ``numpy.`` name."""
    import skops.io as sio

    class Evil:
        def __init__(self, a, b):
            pass

        def __reduce__(self):
            return (Evil, (f"open({str(marker)!r}, 'w').write('ran')", {}))

    Evil.__module__ = "__main__"

    def rename(schema):
        schema["__module__"], schema["__class__"] = "numpy.testing._private.utils", "runstring"

    return _rewritten(sio.dumps(Evil(0, 0)), rename)


def test_exec_gadget_under_a_trusted_prefix_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(LrsweepError, match="runstring.*not loaded"):
        load(_exec_gadget(marker), "model.skops")
    assert not marker.exists()


def test_a_swapped_type_inside_a_real_pipeline_is_refused():
    from sklearn.linear_model import LogisticRegression

    X, y = np.random.default_rng(1).normal(size=(30, 2)), np.arange(30) % 2
    good = dumps(LogisticRegression().fit(X, y))

    def swap(schema):  # an sklearn type lrsweep never saves, by its full name
        schema["__module__"], schema["__class__"] = "sklearn.utils._testing", "TempMemmap"

    with pytest.raises(LrsweepError, match="TempMemmap"):
        load(_rewritten(good, swap), "model.skops")


def test_zip_bomb_is_refused_from_the_directory_before_inflating():
    """The issue's 1.5 MB file that inflated to 1.6 GB: refused in well under a second."""
    import time

    from sklearn.linear_model import LogisticRegression

    data = dumps(LogisticRegression())
    source = zipfile.ZipFile(io.BytesIO(data))
    schema = source.read("schema.json")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("schema.json", "w", force_zip64=True) as f:
            f.write(schema[:-1])
            for _ in range(24):
                f.write(b" " * (64 << 20))
            f.write(schema[-1:])
    assert len(out.getvalue()) < 4 << 20
    start = time.perf_counter()
    with pytest.raises(LrsweepError, match="inflates"):
        load(out.getvalue(), "model.skops")
    assert time.perf_counter() - start < 2.0


def test_size_limits_and_garbage():
    assert LIMITS["file_bytes"] < 1 << 30
    with pytest.raises(LrsweepError, match="not a model file"):
        load(b"not a zip at all", "model.skops")
    small = {**LIMITS, "file_bytes": 10}
    from lrsweep.store.modelfile import check_sizes

    with pytest.raises(LrsweepError, match="over the 10 allowed"):
        check_sizes(b"x" * 11, "model.skops", small)


@pytest.mark.slow
def test_crafted_model_in_a_version_is_refused_by_predict(tmp_path):
    """The reproduction r1: a model.skops replaced with the gadget (and SHA256SUMS updated to
    match, as anyone handing over a folder could) gives one line from predict; no code runs."""
    config = {
        "sweep": "r1",
        "figures": False,
        "experiments": {
            "iris": {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"C": 1.0}}
        },
    }
    from tests.conftest import snakemake

    proc = snakemake(tmp_path, config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    version = (tmp_path / "results/r1/latest").resolve()
    rel = "fits/iris/sk_lbfgs_l2_C1_rs0/model.skops"
    marker = tmp_path / "ran"
    payload = _exec_gadget(marker)
    path = version / rel
    os.chmod(version, 0o755)
    path.unlink()
    path.write_bytes(payload)
    sums = version / "SHA256SUMS"
    lines = [
        f"{hashlib.sha256(payload).hexdigest()}  {rel}" if line.endswith("  " + rel) else line
        for line in sums.read_text().splitlines()
    ]
    sums.write_text("\n".join(lines) + "\n")
    from sklearn.datasets import load_iris

    rows = tmp_path / "new.csv"
    load_iris(as_frame=True).frame.drop(columns="target").head(3).to_csv(rows, index=False)
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "lrsweep.tools.cli", "predict", "--results", "results/r1"]
        + ["--experiment", "iris", "--model-id", "sk_lbfgs_l2_C1_rs0", str(rows)]
        + ["-o", str(tmp_path / "p.csv")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "runstring" in lines[0] and "not loaded" in lines[0], out.stderr
    assert not marker.exists()


def test_the_readme_counts_the_allowed_types():
    import re

    readme = (REPO / "README.md").read_text()
    said = re.search(r"one of the (\d+) fully-qualified types", " ".join(readme.split()))
    assert said and int(said.group(1)) == len(ALLOWED_TYPES)
