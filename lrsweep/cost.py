"""How long fits take, estimated from the config alone (to plan jobs and order work).

:func:`point_seconds` is a rough estimate of one grid point's fit and scores in seconds of one
core, from the data's size and the solver; it only has to rank points and size jobs. Measured
on the bench machine (bench/RESULTS.md), work of ``rows x features x (classes - 1) x cost`` of
2e7 is about a second: digits' 64-point bench grid is 4.1e8 (about 22 s of fits and
bootstraps), the 200,000 x 50 synthetic grid 4.8e8 (about 15 s).
"""

from __future__ import annotations

import math
import os
from functools import cache

#: Relative cost of one fit by solver.
SOLVER_COST = {
    "liblinear": 1.0,
    "lbfgs": 2.0,
    "newton-cholesky": 2.0,
    "newton-cg": 3.0,
    "sag": 6.0,
    "saga": 8.0,
}
STATSMODELS_COST = 2.0
#: Work units per second of one core (see the module docstring).
WORK_PER_SECOND = 2e7


def relative_cost(point: dict) -> float:
    """A grid point's cost relative to one liblinear fit at small C."""
    if point.get("status") == "skipped":
        return 0.0
    if point["library"] == "statsmodels":
        return STATSMODELS_COST
    c = point["C"]
    c_factor = 3.0 if math.isinf(c) else 1.0 + max(0.0, math.log10(c) + 3) / 2
    cv = point.get("cv") or {}
    refits = 1 + cv.get("folds", 0) * cv.get("repeats", 0)
    return SOLVER_COST[point["solver"]] * c_factor * refits


#: (rows, features, classes) of the bundled datasets, known without importing scikit-learn
#: (1.6 s at every snakemake start). tests/test_config.py holds it equal to the loaded data
#: for every name the schema allows; a name missing here is read instead.
BUNDLED_SHAPES = {
    "digits": (1797, 64, 10),
    "breast_cancer": (569, 30, 2),
    "iris": (150, 4, 3),
    "wine": (178, 13, 3),
}


@cache
def loaded_shape(name: str) -> tuple[int, int, int]:
    """(rows, features, classes) of a dataset bundled with scikit-learn, read from it."""
    import numpy as np
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    return bunch.data.shape[0], bunch.data.shape[1], len(np.unique(bunch.target))


def bundled_shape(name: str) -> tuple[int, int, int]:
    return BUNDLED_SHAPES.get(name) or loaded_shape(name)


def dataset_shape(dataset: dict, root: str = ".") -> tuple[int, int, int] | None:
    """(rows, features, classes) known before reading the data, or None."""
    source = dataset["source"]
    if source == "sklearn":
        return bundled_shape(dataset["name"])
    if source == "synthetic":
        return dataset["n_samples"], dataset["n_features"], dataset["n_classes"]
    if source == "inline":
        return len(dataset["x"]), len(dataset["x"][0]), len({str(v) for v in dataset["y"]})
    return None


def file_cells(dataset: dict, root: str = ".") -> float | None:
    """A csv or parquet file's number of values, guessed from its size (8 bytes a value)."""
    from lrsweep.data import resolve_path

    try:
        return os.path.getsize(resolve_path(dataset["path"], root)) / 8
    except (OSError, KeyError):
        return None


#: Seconds of one core per test row, bootstrap resample and class for the ROC AUC interval
#: (measured: about 1.5 s per fit for 40,000 test rows, 1,000 resamples and two classes).
BOOTSTRAP_SECONDS = 1.5e-8


#: Seconds of one core each grid point costs besides its fit and bootstrap (scoring, saving the
#: model and the store entry, its confusion matrix). Measured on the default sweep: 125 points
#: took 46 s of one core where the fits and bootstraps were estimated at 19 s. Only the
#: progress lines' time left counts it; the plan's estimates (which cut jobs) do not.
POINT_OVERHEAD_SECONDS = 0.2


def experiment_seconds(exp: dict, points: list[dict], root: str = ".") -> float | None:
    """Estimated seconds of one core for an experiment's grid (fits, and the bootstrap of
    their test scores), or None when its size is unknown (a csv or parquet file that is not
    there)."""
    shape = dataset_shape(exp["dataset"], root)
    if shape is None:
        cells = file_cells(exp["dataset"], root)
        if cells is None:
            return None
        size, rows, classes = cells, cells / 10, 2
    else:
        rows, features, classes = shape
        size = rows * features * max(1, classes - 1)
    fits = size * sum(relative_cost(p) for p in points) / WORK_PER_SECOND
    split = exp.get("split", "none")
    test_rows = rows if split == "none" else rows * split.get("test_size", 0.2)
    resamples = (points[0].get("bootstrap") or {}).get("resamples", 0) if points else 0
    scored = sum(p.get("status") != "skipped" for p in points)
    return fits + scored * test_rows * resamples * classes * BOOTSTRAP_SECONDS


def point_seconds(exp: dict, point: dict) -> float:
    """A grid point's estimated seconds of one core: its share of its experiment's (the order
    in which a fit job starts its points, longest first)."""
    seconds = experiment_seconds(exp, [point])
    return relative_cost(point) if seconds is None else seconds
