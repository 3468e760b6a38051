"""The benchmark's peers: what a user would write with scikit-learn alone (issue #29).

Both read an lrsweep config (the same grid for every contender) and translate it here, with
scikit-learn only and none of lrsweep's code, so that lrsweep's numbers are checked against
an independent computation:

- ``loop``: the in-process joblib loop. Per experiment the data are loaded, split with
  ``train_test_split`` and standardized (``StandardScaler`` learned on the training rows),
  then every grid point is fitted with ``joblib.Parallel(n_jobs)``; it writes each point's
  train and test accuracy. lrsweep's ``metrics.csv`` must hold the same accuracies.
- ``gridsearch``: ``GridSearchCV(Pipeline(StandardScaler, LogisticRegression), list of grids,
  cv=RepeatedStratifiedKFold(folds, repeats, random_state), n_jobs)`` on each experiment's
  raw training rows (the folds lrsweep uses: ``lrsweep.fit.sklearn.cv_splits``); it writes
  each candidate's ``mean_test_score``. lrsweep's ``cv_accuracy_mean`` must equal it (1e-9).

- ``lrcv``: ``LogisticRegressionCV`` per model family, a time reference only (see
  :func:`run_lrcv`).

    python bench/peers.py loop|gridsearch|lrcv CONFIG OUT.json [--jobs 2]

Settings the config leaves out take lrsweep's defaults (``max_iter`` 100, ``tol`` 1e-4,
``random_state`` 0, liblinear one-vs-rest and the other solvers multinomial for 3+ classes).
Only ``sklearn`` and ``synthetic`` datasets, standardized, are supported.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from pathlib import Path

import numpy as np
import yaml

#: The solvers that fit an l1 penalty (the others' l1 grid points are skipped, as lrsweep
#: lists them).
L1_SOLVERS = ("liblinear", "saga")
DEFAULTS = {"max_iter": 100, "tol": 1e-4, "random_state": 0}
#: lrsweep's defaults of a synthetic dataset (its schema), which differ from
#: make_classification's for n_redundant.
SYNTHETIC = {
    "n_samples": 100,
    "n_features": 20,
    "n_informative": 2,
    "n_redundant": 0,
    "n_classes": 2,
    "class_sep": 1.0,
    "random_state": 0,
}


def load(dataset: dict) -> tuple[np.ndarray, np.ndarray]:
    """The rows of an experiment's ``dataset:`` (sklearn or synthetic), by scikit-learn."""
    from sklearn import datasets

    if dataset["source"] == "sklearn":
        bunch = getattr(datasets, f"load_{dataset['name']}")()
        return np.asarray(bunch.data, dtype=float), np.asarray(bunch.target)
    if dataset["source"] == "synthetic":
        params = {**SYNTHETIC, **{k: v for k, v in dataset.items() if k != "source"}}
        return datasets.make_classification(**params)
    raise ValueError(f"bench/peers.py reads sklearn and synthetic datasets, not {dataset}")


def split(X, y, spec: dict):
    """X_train, X_test, y_train, y_test of an experiment's ``split:``."""
    from sklearn.model_selection import train_test_split

    stratify = y if spec.get("stratify", False) else None
    return train_test_split(
        X, y, test_size=spec["test_size"], random_state=spec["random_state"], stratify=stratify
    )


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def candidates(grid) -> list[dict]:
    """The fittable grid points of an experiment's ``sklearn:`` (a mapping or a list of
    sub-grids), in lrsweep's order (solver, penalty, C), each with every setting."""
    out = []
    for sub in _listed(grid):
        settings = {k: sub.get(k, v) for k, v in DEFAULTS.items()}
        axes = [_listed(sub["solver"]), _listed(sub.get("penalty", "l2")), _listed(sub["C"])]
        for solver, penalty, C in itertools.product(*axes):
            if penalty == "l1" and solver not in L1_SOLVERS:
                continue
            out.append({"solver": solver, "penalty": penalty, "C": float(C), **settings})
    return out


def model(point: dict, n_classes: int):
    """LogisticRegression of a grid point (scikit-learn 1.9: the penalty is ``l1_ratio``),
    one-vs-rest for liblinear on 3+ classes."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    lr = LogisticRegression(
        solver=point["solver"],
        C=point["C"],
        l1_ratio={"l1": 1.0, "l2": 0.0}[point["penalty"]],
        max_iter=point["max_iter"],
        tol=point["tol"],
        random_state=point["random_state"],
    )
    return OneVsRestClassifier(lr) if point["solver"] == "liblinear" and n_classes > 2 else lr


def fit_accuracy(X_train, y_train, X_test, y_test, point: dict) -> dict:
    """One grid point of the loop: its fit's accuracy on the training and the test rows."""
    import warnings

    estimator = model(point, len(np.unique(y_train)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: lrsweep records it, not a peer
        estimator.fit(X_train, y_train)
    return {
        "accuracy_train": float(np.mean(estimator.predict(X_train) == y_train)),
        "accuracy_test": float(np.mean(estimator.predict(X_test) == y_test)),
    }


def run_loop(config: dict, n_jobs: int = 2) -> list[dict]:
    """Every experiment's grid points fitted in one process by ``joblib.Parallel(n_jobs)``
    on the data standardized once: one row per point (experiment, solver, penalty, C and its
    accuracies)."""
    from joblib import Parallel, delayed
    from sklearn.preprocessing import StandardScaler

    tasks = []
    for name, exp in config["experiments"].items():
        X_train, X_test, y_train, y_test = split(*load(exp["dataset"]), exp["split"])
        scaler = StandardScaler().fit(X_train)
        data = (scaler.transform(X_train), y_train, scaler.transform(X_test), y_test)
        tasks += [(name, point, data) for point in candidates(exp["sklearn"])]
    results = Parallel(n_jobs=n_jobs)(delayed(fit_accuracy)(*d, p) for _, p, d in tasks)
    return [
        {"experiment": name, **_id(point), **r}
        for (name, point, _), r in zip(tasks, results, strict=True)
    ]


def _id(point: dict) -> dict:
    return {k: point[k] for k in ("solver", "penalty", "C")}


def search_grids(points: list[dict], n_classes: int) -> list[dict]:
    """GridSearchCV's list of grids for the candidates: one grid per solver and its other
    settings, the model step itself a grid value (so liblinear can be one-vs-rest)."""
    grids = {}
    for p in points:
        family = {k: v for k, v in p.items() if k not in ("penalty", "C")}
        key = json.dumps(family, sort_keys=True)
        grids.setdefault(key, (family, []))[1].append(p)
    out = []
    for family, members in grids.values():
        estimator = model({**family, "penalty": "l2", "C": 1.0}, n_classes)
        prefix = "model__estimator__" if hasattr(estimator, "estimator") else "model__"
        for penalty in dict.fromkeys(p["penalty"] for p in members):
            out.append(
                {
                    "model": [estimator],
                    f"{prefix}l1_ratio": [{"l1": 1.0, "l2": 0.0}[penalty]],
                    f"{prefix}C": [p["C"] for p in members if p["penalty"] == penalty],
                }
            )
    return out


def _candidate(params: dict) -> dict:
    """(solver, penalty, C) of one of GridSearchCV's ``cv_results_['params']``."""
    lr = params["model"]
    lr = getattr(lr, "estimator", lr)
    l1 = next(v for k, v in params.items() if k.endswith("l1_ratio"))
    C = next(v for k, v in params.items() if k.endswith("__C"))
    return {"solver": lr.solver, "penalty": "l1" if l1 == 1.0 else "l2", "C": float(C)}


def cv_folds(exp: dict):
    """lrsweep's folds of an experiment's ``cv:`` (its defaults: 5 folds, one repeat, seed 0),
    as the scikit-learn splitter it uses."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    cv = {"folds": 5, "repeats": 1, "random_state": 0, **exp["cv"]}
    return RepeatedStratifiedKFold(
        n_splits=cv["folds"], n_repeats=cv["repeats"], random_state=cv["random_state"]
    )


def run_grid_search(config: dict, n_jobs: int = 2) -> list[dict]:
    """GridSearchCV of every experiment (one after another, each with ``n_jobs``) on its raw
    training rows with lrsweep's folds: one row per candidate with its ``mean_test_score``
    (accuracy, the estimator's score)."""
    import warnings

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rows = []
    for name, exp in config["experiments"].items():
        X_train, _, y_train, _ = split(*load(exp["dataset"]), exp["split"])
        folds = cv_folds(exp)
        grids = search_grids(candidates(exp["sklearn"]), len(np.unique(y_train)))
        pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search = GridSearchCV(pipe, grids, cv=folds, n_jobs=n_jobs).fit(X_train, y_train)
        results = search.cv_results_
        for params, mean in zip(results["params"], results["mean_test_score"], strict=True):
            rows.append({"experiment": name, **_candidate(params), "mean_test_score": mean})
    return rows


def run_lrcv(config: dict, n_jobs: int = 2) -> list[dict]:
    """``Pipeline(StandardScaler, LogisticRegressionCV(Cs, cv=the same folds, n_jobs))`` per
    experiment and model family (solver, penalty), a time reference only: its paths are
    warm-started (all solvers but liblinear) and the scaler is learned on all training rows,
    not inside each fold, so its fold scores are not lrsweep's or GridSearchCV's. One row per
    family fitted."""
    import warnings

    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rows = []
    for name, exp in config["experiments"].items():
        X_train, _, y_train, _ = split(*load(exp["dataset"]), exp["split"])
        folds = cv_folds(exp)
        families = {}
        for p in candidates(exp["sklearn"]):
            key = json.dumps({k: v for k, v in p.items() if k != "C"}, sort_keys=True)
            families.setdefault(key, []).append(p)
        for points in families.values():
            p = points[0]
            estimator = LogisticRegressionCV(
                Cs=[q["C"] for q in points],
                l1_ratios=[{"l1": 1.0, "l2": 0.0}[p["penalty"]]],
                cv=folds,
                scoring="accuracy",
                solver=p["solver"],
                max_iter=p["max_iter"],
                tol=p["tol"],
                random_state=p["random_state"],
                n_jobs=n_jobs,
            )
            if p["solver"] == "liblinear" and len(np.unique(y_train)) > 2:
                estimator = OneVsRestClassifier(estimator)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Pipeline([("scale", StandardScaler()), ("model", estimator)]).fit(X_train, y_train)
            rows.append({"experiment": name, "solver": p["solver"], "penalty": p["penalty"]})
    return rows


def _matched(metrics, rows: list[dict], columns: list[str]):
    """lrsweep's fitted rows of ``metrics`` joined to the peer's ``rows`` on (experiment,
    solver, penalty, C); every point must be on both sides, once."""
    import pandas as pd

    ours = metrics[metrics["status"].isin(["ok", "separated"])]
    ours = ours[["experiment", "solver", "penalty", "C", *columns]]
    theirs = pd.DataFrame(rows)
    key = ["experiment", "solver", "penalty", "C"]
    joined = ours.merge(theirs, on=key, how="outer", suffixes=("", "_peer"), indicator=True)
    alone = joined[joined["_merge"] != "both"]
    if len(alone) or len(joined) != len(ours) or len(joined) != len(theirs):
        raise AssertionError(
            f"lrsweep and the peer fitted different grid points:\n{alone[key + ['_merge']]}"
        )
    return joined


def check_accuracies(metrics, loop_rows: list[dict]) -> int:
    """lrsweep's train and test accuracies equal the loop's (exactly: the same fits on the
    same rows). Returns the number of grid points compared; raises AssertionError otherwise."""
    columns = ["accuracy_train", "accuracy_test"]
    joined = _matched(metrics, loop_rows, columns)
    for c in columns:
        differ = joined[~np.isclose(joined[c], joined[f"{c}_peer"], rtol=0, atol=1e-12)]
        if len(differ):
            raise AssertionError(f"{c} differs from the loop's:\n{differ}")
    return len(joined)


def check_cv_means(metrics, search_rows: list[dict], atol: float = 1e-9) -> float:
    """lrsweep's ``cv_accuracy_mean`` equals GridSearchCV's ``mean_test_score`` within
    ``atol`` at every grid point. Returns the largest difference; raises AssertionError."""
    joined = _matched(metrics, search_rows, ["cv_accuracy_mean"])
    diff = (joined["cv_accuracy_mean"] - joined["mean_test_score"]).abs()
    if not (diff <= atol).all() or diff.isna().any():
        bad = joined[~(diff <= atol)]
        raise AssertionError(
            f"CV means differ from GridSearchCV's mean_test_score by more than {atol}:\n{bad}"
        )
    return float(diff.max()) if len(diff) else math.nan


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="the benchmark's scikit-learn peers")
    parser.add_argument("peer", choices=["loop", "gridsearch", "lrcv"])
    parser.add_argument("config", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    config = yaml.safe_load(args.config.read_text())
    run = {"loop": run_loop, "gridsearch": run_grid_search, "lrcv": run_lrcv}[args.peer]
    args.out.write_text(json.dumps(run(config, args.jobs), indent=1))
    return 0


if __name__ == "__main__":
    import sys

    # run as the module peers, so that joblib's worker processes can import its functions
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import peers

    raise SystemExit(peers.main())
