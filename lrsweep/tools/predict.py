"""Apply a fitted model of a version to new rows (``lrsweep predict``).

A scikit-learn fit's ``model.skops`` is its whole pipeline (imputation, one-hot encoding and
scaling as learned on the training rows, then the model), so it takes raw rows with the
dataset's own columns. The file is checked against the version's ``SHA256SUMS`` and its types
against an allow-list before it is loaded (skops never runs arbitrary code, as pickle would).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from lrsweep.errors import LrsweepError, quote, quote_list
from lrsweep.fit.record import MODEL
from lrsweep.score.record import RESULT_JSON
from lrsweep.store.files import sha256_file
from lrsweep.store.versions import COEFFICIENTS, METRICS, PROVENANCE, SUMS, fit_folder


def experiment_info(version_dir: Path, experiment: str) -> dict:
    info = json.loads((version_dir / PROVENANCE).read_text())["datasets"]
    if experiment not in info:
        raise LrsweepError(
            f"{version_dir.name} has no experiment '{experiment}' (it has: {', '.join(info)})"
        )
    return info[experiment]


def selected_model(version_dir: Path, experiment: str) -> str:
    """The model_id the experiment's selection rule chose (lrsweep.results.selection)."""
    from lrsweep.results import selection

    metrics = pd.read_csv(version_dir / METRICS)
    coefs = pd.read_csv(version_dir / COEFFICIENTS)
    group = metrics[metrics["experiment"] == experiment]
    nonzero = selection.nonzero_counts(coefs[coefs["experiment"] == experiment])
    best = selection.selected(group, nonzero)
    if best is None:
        raise LrsweepError(f"experiment '{experiment}' has no fit that may be selected")
    return str(best["model_id"])


def load_model(version_dir: Path, experiment: str, model_id: str):
    from lrsweep.store import modelfile
    from lrsweep.store.versions import listed_files

    relative = f"{fit_folder(experiment, model_id)}/{MODEL}"
    path = version_dir / relative
    if not path.is_file():
        metrics = pd.read_csv(version_dir / METRICS)
        row = metrics[(metrics["experiment"] == experiment) & (metrics["model_id"] == model_id)]
        if row.empty:
            raise LrsweepError(
                f"experiment '{experiment}' has no grid point '{model_id}' in {version_dir.name}"
            )
        what = row.iloc[0]
        if what["library"] == "statsmodels":
            raise LrsweepError(
                f"'{model_id}' is a statsmodels fit: lrsweep saves scikit-learn pipelines only"
            )
        raise LrsweepError(f"'{model_id}' has no saved model (status {what['status']})")
    recorded = dict((name, checksum) for checksum, name in listed_files(version_dir))
    if recorded.get(relative) != sha256_file(path):
        raise LrsweepError(f"{path} does not match the version's SHA256SUMS; not loaded")
    return modelfile.load(path.read_bytes(), str(path))


def fixed_threshold(version_dir: Path, experiment: str, model_id: str) -> dict:
    """The fit's fixed decision threshold (``threshold:``, scoring only, so not in its
    model.skops) as ``{"decision_threshold": t, "positive_code": i}``, for
    :func:`score_frame`; empty where the model's own ``predict`` is right (0.5, or a tuned
    threshold, which the model applies itself as a ``FixedThresholdClassifier``)."""
    path = version_dir / fit_folder(experiment, model_id) / RESULT_JSON
    record = json.loads(path.read_text())
    threshold = record.get("threshold")
    if threshold is None or threshold == 0.5 or record.get("tuned_threshold") is not None:
        return {}
    labels = [str(c) for c in record["classes"]]
    positive = labels.index(str(record["positive_class"])) if record.get("positive_class") else 1
    return {"decision_threshold": float(threshold), "positive_code": positive}


def at_fixed_threshold(info: dict, model, codes, proba):
    """The predictions at ``info``'s fixed decision threshold (:func:`fixed_threshold`)."""
    from lrsweep.score.metrics import at_threshold

    threshold = info.get("decision_threshold")
    if threshold is None or hasattr(model, "threshold"):
        return codes
    column = list(np.asarray(model.classes_, dtype=int)).index(info["positive_code"])
    return np.asarray(model.classes_)[at_threshold(proba, threshold, column)]


def check_numbers(frame: pd.DataFrame, numeric: list[str], source: str) -> None:
    """Every value of a numeric column is a number or a gap: else one line naming the column,
    the row (its line in the file) and a short quote of the value."""
    for column in numeric:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values):
            continue
        bad = values.notna() & pd.to_numeric(values, errors="coerce").isna()
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise LrsweepError(
                f"{source}: column {quote(column)}, row {row + 1} (line {row + 2} of the file): "
                f"{quote(str(values.iloc[row]))} is not a number; the model takes numbers here"
            )


def output_problem(output: Path) -> str | None:
    """Why ``lrsweep predict`` must not write to ``output``: a path inside a version folder
    (its files are the version's record) or a store; None where it may."""
    here = Path(os.path.realpath(output)).parent
    for folder in (here, *here.parents):
        if (folder / SUMS).is_file() and (folder / PROVENANCE).is_file():
            return f"{output} is inside the version folder {folder}, which is never written"
        if folder.name == "store" and (folder / "README").is_file():
            return f"{output} is inside lrsweep's store {folder}, which only runs write"
    return None


def check_columns(frame: pd.DataFrame, features: list[str], target: str | None, source: str):
    columns = [str(c) for c in frame.columns]
    missing = [c for c in features if c not in columns]
    unexpected = [c for c in columns if c not in features and c != target]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {quote_list(missing)}")
        if unexpected:
            parts.append(f"unexpected {quote_list(unexpected)}")
        raise LrsweepError(
            f"{source}: its columns do not match the model's ({'; '.join(parts)}); "
            f"the model takes: {', '.join(features)}"
        )


def predict_table(
    version_dir: Path, experiment: str, model_id: str, frame: pd.DataFrame, source: str = "input"
) -> pd.DataFrame:
    """``frame`` with the predicted label and one probability column per class."""
    info = experiment_info(version_dir, experiment)
    check_input(frame, info, source)
    info = {**info, **fixed_threshold(version_dir, experiment, model_id)}
    return score_frame(load_model(version_dir, experiment, model_id), info, frame, source)


def check_input(frame: pd.DataFrame, info: dict, source: str = "input") -> None:
    """New rows fit the model (``info``: the experiment's record in provenance.json): its
    columns, numbers where it takes numbers."""
    features = info["features"]
    check_columns(frame, features, info.get("target"), source)
    categorical = info.get("categorical") or []
    check_numbers(frame, [c for c in features if c not in categorical], source)


def score_frame(model, info: dict, frame: pd.DataFrame, source: str = "input") -> pd.DataFrame:
    """``frame``, checked (:func:`check_input`), with the predicted label (at ``info``'s fixed
    decision threshold, if any) and one probability column per class, as ``lrsweep predict``
    writes them; also the MLflow model's predict (:mod:`lrsweep.tools.mlflow_model`)."""
    from lrsweep.prepare.data import model_input

    check_input(frame, info, source)
    X = model_input(frame, info["features"], info.get("categorical") or [])
    try:
        codes, proba = model.predict(X), model.predict_proba(X)
    except ValueError as exc:
        message = str(exc).splitlines()[0]
        raise LrsweepError(f"{source}: the model cannot score these rows: {message}") from None
    classes, names = info["classes"], info["class_names"]
    codes = at_fixed_threshold(info, model, codes, proba)
    out = frame.copy()
    out["predicted"] = [classes[int(i)] for i in codes]
    for j, code in enumerate(np.asarray(model.classes_, dtype=int)):
        out[f"p_{names[code]}"] = proba[:, j]
    return out
