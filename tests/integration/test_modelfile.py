"""Model files against every pipeline lrsweep can save, and a real zip bomb: the allow-list is
exactly the types those pipelines hold; the bomb is refused before it inflates."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lrsweep.errors import LrsweepError
from lrsweep.store.modelfile import (
    ALLOWED_LOADERS,
    ALLOWED_TYPES,
    dumps,
    load,
    schema_types,
)

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
