"""How long fits take, estimated from the config alone (to plan jobs and order work).

:func:`point_seconds` is a rough estimate of one grid point's fit and scores in seconds of one
core, from the data's size and the solver; it only has to rank points and size jobs. Measured
on the bench machine (bench/RESULTS.md), scikit-learn's work of ``rows x features x
(classes - 1) x cost`` of 2e7 is about a second: digits' 64-point bench grid is 4.1e8 (about
22 s of fits and bootstraps), the 200,000 x 50 synthetic grid 4.8e8 (about 15 s). Its solvers
cost about ``rows x features`` an iteration, so that is linear in both.

statsmodels is not (:func:`statsmodels_seconds`): Newton on P = terms x (classes - 1)
parameters costs ``n P^2 + P^3 / 3`` an iteration (the Hessian and its solve), the L1 fit's
SLSQP about ``(2P)^3``, and a design with at least as many terms as training rows is decided
by one SVD (:func:`lrsweep.fit.statsmodels.check_wide`, ``n^2 p``) instead of fitted.
"""

from __future__ import annotations

import math
import os
from functools import cache

from lrsweep.domain import Status

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


#: statsmodels' costs, measured with one BLAS thread on single fits of standardized
#: make_classification data (flip_y 0.1): Newton iterations 6-7 at 3,750 x 6 ... 8,000 x 200
#: (0.001 s to 0.046 s each); a completely separable 1,000 x 800 stopped by statsmodels' own
#: check after about 20 iterations (1 s in all); L1 43-235 iterations (455 x 30: 0.025 s in
#: all; 2,000 x 200: 1.3 s; 500 x 400: 54 s); the SVD of 200 x 10,001 0.7 s. The model below
#: is within a factor of about 2.5 of each. Not counted (rare): a quasi-separated fit runs to
#: ``maxiter`` and then the separation LP (0.17 s at 200 x 150, 1.7 s at 500 x 400).
NEWTON_ITERATIONS = 7
SEPARATED_ITERATIONS = 25
NEWTON_FLOPS = 8e9  # multiply-adds a second in the Hessian and its solve
NEWTON_OVERHEAD = 0.002  # seconds an iteration and equation besides them
L1_ITERATIONS = 100
L1_FLOPS = 2.5e9  # SLSQP on 2P variables: (2P)^3 at this rate an iteration
L1_ROW_FLOPS = 2e8  # its function and gradient: n P
L1_OVERHEAD = 0.0005
SVD_FLOPS = 6e8  # the rank of a wide design: n^2 x terms at this rate


def statsmodels_seconds(point: dict, train_rows: float, features: int, classes: int) -> float:
    """Seconds of one core for a statsmodels fit of ``train_rows`` rows (see the module
    docstring and the constants above). An MLE fit with at least half as many terms as rows
    is likely separated (Cover 1965: random labels of n points in general position are
    linearly separable with probability 1/2 at n = 2 x terms): it counts the iterations
    Newton takes before statsmodels sees the separation."""
    n = max(float(train_rows), 1.0)
    terms = features + 1
    equations = max(1, classes - 1)
    P = terms * equations
    if point["regularized"] == "l1":
        iterations = min(point["maxiter"], L1_ITERATIONS)
        return iterations * (L1_OVERHEAD + (2 * P) ** 3 / L1_FLOPS + n * P / L1_ROW_FLOPS)
    if terms >= n:
        return n * n * terms / SVD_FLOPS
    newton = (n * P * P + P**3 / 3) / NEWTON_FLOPS + NEWTON_OVERHEAD * equations
    iterations = NEWTON_ITERATIONS if 2 * terms < n else SEPARATED_ITERATIONS
    return min(point["maxiter"], iterations) * newton


def relative_cost(point: dict) -> float:
    """A grid point's cost relative to one liblinear fit at small C."""
    if point.get("status") == Status.SKIPPED:
        return 0.0
    if point["library"] == "statsmodels":
        return STATSMODELS_COST
    c = point["C"]
    c_factor = 3.0 if math.isinf(c) else 1.0 + max(0.0, math.log10(c) + 3) / 2
    cv = point.get("cv") or {}
    refits = 1 + cv.get("folds", 0) * cv.get("repeats", 0)
    return SOLVER_COST[point["solver"]] * c_factor * refits


#: (rows, features, classes) of the bundled datasets, known without importing scikit-learn
#: (1.6 s at every snakemake start). tests/unit/config/test_resolve.py holds it equal to the loaded
#: data
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
    from lrsweep.prepare.data import resolve_path

    try:
        return os.path.getsize(resolve_path(dataset["path"], root)) / 8
    except (OSError, KeyError):
        return None


def file_shape(dataset: dict, root: str = ".") -> tuple[float, int, int] | None:
    """(rows, features, classes) of a csv or parquet file, guessed without reading it: the
    features are those the config names, else a csv header's columns but the target, else
    10; the rows are the file's values (:func:`file_cells`) over its columns; 2 classes."""
    cells = file_cells(dataset, root)
    if cells is None:
        return None
    columns = 11
    if dataset["source"] == "csv":
        import csv

        from lrsweep.prepare.data import resolve_path

        try:
            with open(resolve_path(dataset["path"], root), "rb") as fh:
                head = fh.readline(1 << 20).decode("utf-8", "replace")
            columns = max(2, len(next(csv.reader([head]), [])))
        except OSError:
            pass
    features = len(dataset.get("features") or []) or columns - 1
    return cells / columns, features, 2


#: Seconds of one core per test row, bootstrap resample and class for the ROC AUC interval
#: (measured: about 1.5 s per fit for 40,000 test rows, 1,000 resamples and two classes).
BOOTSTRAP_SECONDS = 1.5e-8


#: Seconds of one core each grid point costs besides its fit and bootstrap (scoring, saving the
#: model and the store entry, its confusion matrix). Measured on the default sweep: 125 points
#: took 46 s of one core where the fits and bootstraps were estimated at 19 s. Only the
#: progress lines' time left counts it; the plan's estimates (which cut jobs) do not.
POINT_OVERHEAD_SECONDS = 0.2


def fit_seconds(point: dict, rows: float, features: int, classes: int, test_rows: float) -> float:
    """A grid point's fit in seconds of one core (its scores and bootstrap not counted)."""
    if point.get("status") == Status.SKIPPED:
        return 0.0
    if point["library"] == "statsmodels":
        train = rows if test_rows >= rows else rows - test_rows  # split none: all rows
        return statsmodels_seconds(point, train, features, classes)
    return rows * features * max(1, classes - 1) * relative_cost(point) / WORK_PER_SECOND


def experiment_seconds(exp: dict, points: list[dict], root: str = ".") -> float | None:
    """Estimated seconds of one core for an experiment's grid (fits, and the bootstrap of
    their test scores), or None when its size is unknown (a csv or parquet file that is not
    there). A csv or parquet file's shape is guessed (:func:`file_shape`)."""
    shape = dataset_shape(exp["dataset"], root) or file_shape(exp["dataset"], root)
    if shape is None:
        return None
    rows, features, classes = shape
    split = exp.get("split", "none")
    test_rows = rows if split == "none" else rows * split.get("test_size", 0.2)
    fits = sum(fit_seconds(p, rows, features, classes, test_rows) for p in points)
    resamples = (points[0].get("bootstrap") or {}).get("resamples", 0) if points else 0
    scored = sum(p.get("status") != Status.SKIPPED for p in points)
    return fits + scored * test_rows * resamples * classes * BOOTSTRAP_SECONDS


def point_seconds(exp: dict, point: dict) -> float:
    """A grid point's estimated seconds of one core: its share of its experiment's (the order
    in which a fit job starts its points, longest first)."""
    seconds = experiment_seconds(exp, [point])
    return relative_cost(point) if seconds is None else seconds


#: Solvers that ``C_path: auto`` fits along a warm path where the data is large: measured
#: faster warm (see :data:`WARM_MIN_CELLS`). liblinear ignores a warm start; sag and saga
#: measured slower warm (saga 66 s cold, 83 s warm on 200,000 x 50).
WARM_SOLVERS = ("lbfgs", "newton-cg", "newton-cholesky")
#: Solvers that can start from given coefficients at all (``C_path: warm`` forces those).
WARM_CAPABLE = (*WARM_SOLVERS, "sag", "saga")
#: Training rows x features from which ``C_path: auto`` fits a family warm. Measured with one
#: thread, 8 C from 0.003 to 10, standardized make_classification, the fits alone (cold s /
#: warm s, lbfgs, newton-cg, newton-cholesky): 2,000 x 20 1.2, 1.2, 1.3 x; 10,000 x 20 0.77
#: (slower), 1.5, 1.7 x; 20,000 x 25 2.3, 1.7, 2.0 x; 50,000 x 20 2.0, 2.3, 1.9 x; 40,000 x 50
#: 2.1, 2.4, 2.0 x; lbfgs on breast_cancer 0.96 x. Below 1e6 the gain is small or negative,
#: and a warm path runs its C values one after another where cold fits share the cores: from
#: 1e6 cells (about 0.1 s a fit) every one of the three is about 2 x faster.
WARM_MIN_CELLS = 1e6


def train_shape(exp: dict, root: str = ".") -> tuple[float, int, int] | None:
    """(training rows, features, classes) of an experiment, known or guessed before reading
    its data (:func:`dataset_shape`, :func:`file_shape`), or None."""
    shape = dataset_shape(exp["dataset"], root) or file_shape(exp["dataset"], root)
    if shape is None:
        return None
    rows, features, classes = shape
    split = exp.get("split", "none")
    train = rows if split == "none" else rows * (1 - split.get("test_size", 0.2))
    return train, features, classes


def path_mode(setting: str, point: dict, n_C: int, shape: tuple | None) -> str:
    """``warm`` or ``cold``: how the model family of ``point`` (``n_C`` C values) is fitted,
    for the experiment's ``C_path`` ``setting`` and its :func:`train_shape`. Never warm for a
    single C, a solver that cannot start from given coefficients, or one-vs-rest with 3+
    classes (or classes unknown): ``OneVsRestClassifier`` fits clones of its estimator. ``warm``
    forces the others; ``auto`` is warm for :data:`WARM_SOLVERS` on :data:`WARM_MIN_CELLS`."""
    if setting == "cold" or n_C < 2 or point.get("library") != "sklearn":
        return "cold"
    classes = shape[2] if shape else None
    ovr = point["multi_class"] == "ovr" and (classes is None or classes > 2)
    if ovr or point["solver"] not in WARM_CAPABLE or not math.isfinite(point["C"]):
        return "cold"
    if setting == "warm":
        return "warm"
    large = shape is not None and shape[0] * shape[1] >= WARM_MIN_CELLS
    return "warm" if large and point["solver"] in WARM_SOLVERS else "cold"
