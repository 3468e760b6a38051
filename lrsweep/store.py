"""Per-fit result folders, keyed so that a batch reuses what it already computed.

Each grid point of an experiment owns ``fits/<experiment>/<model_id>/``. Its ``result.json``
records a *key*: a hash of the prepared data's checksums, the point's settings and the fitting
code's fingerprint. A batch job fits only the points whose folder is missing or carries another
key, so adding one C value to a grid fits that one point. Folders are written under a temporary
name and renamed into place: a killed job never leaves a half-written result that looks whole.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from lrsweep.data import atomic_write_text, load_prepared
from lrsweep.errors import LrsweepError

RESULT = "result.json"
MANIFEST = "manifest.json"


def experiment_dirs(pack_file: str | Path, experiment: str) -> tuple[Path, Path]:
    """``(prepared, fits)``: where an experiment's prepared arrays and its grid points' folders
    (and ``manifest.json``) live, beside the file of the fit job that wrote them
    (``results/<sweep>/packs/<pack>.json``)."""
    results = Path(pack_file).parent.parent
    return results / "prepared" / experiment, results / "fits" / experiment


def missing(experiment: str, path: str | Path, what: str = "is missing") -> LrsweepError:
    """The one-line error for a file of lrsweep's stores (prepared/, fits/) that is not there:
    Snakemake does not track them, so it says how to rebuild them."""
    return LrsweepError(
        f"experiment '{experiment}': {path} {what} (deleted by hand?); "
        "run snakemake again with --forcerun fit to prepare and fit what is missing"
    )


def require(experiment: str, path: str | Path) -> Path:
    """``path`` if it exists, else :func:`missing`."""
    if not Path(path).exists():
        raise missing(experiment, path)
    return Path(path)


SETTING_KEYS = (
    "library",
    "solver",
    "penalty",
    "C",
    "l1_ratio",
    "multi_class",
    "class_weight",
    "fit_intercept",
    "max_iter",
    "tol",
    "random_state",
    "method",
    "maxiter",
    "regularized",
    "alpha",
    "bootstrap",
    "cv",
)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def dumps(obj) -> str:
    """Canonical JSON (sorted keys, inf as a string, NaN as null)."""
    return json.dumps(_jsonable(obj), sort_keys=True, indent=1)


def settings(point: dict) -> dict:
    return {k: point[k] for k in SETTING_KEYS if k in point}


def fit_key(data_key: str, point: dict, code: str) -> str:
    payload = json.dumps(
        _jsonable(
            {
                "data": data_key,
                "settings": settings(point),
                "status": point.get("status"),
                "code": code,
            }
        ),
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def read_result(folder: Path, key: str | None = None) -> dict | None:
    """The stored result, or None if missing, unreadable or made for another key."""
    try:
        result = json.loads((Path(folder) / RESULT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if key is not None and result.get("key") != key:
        return None
    return result


def coefficient_rows(result: dict) -> list[dict]:
    rows = []
    inference = result.get("inference") or {}
    for i, cls in enumerate(result["coef_classes"]):
        for j, term in enumerate(result["terms"]):
            row = {"class": cls, "term": term, "estimate": float(result["estimates"][i][j])}
            for name, values in inference.items():
                row[name] = float(np.asarray(values)[i][j])
            rows.append(row)
    return rows


def write_fit(
    folder: Path,
    key: str,
    point: dict,
    result: dict,
    evaluation: dict | None,
    classes: list,
    extras: dict | None = None,
) -> dict:
    """Write one grid point's files atomically; return what ``result.json`` holds."""
    import pandas as pd

    from lrsweep.metrics import flat_scores

    folder = Path(folder)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    record = {
        "key": key,
        "experiment": point["experiment"],
        "model_id": point["model_id"],
        **settings(point),
        "status": result["status"],
        "reason": result.get("reason", ""),
        "converged": result.get("converged"),
        "n_iter": result.get("n_iter"),
        "fit_seconds": result.get("fit_seconds"),
        "classes": classes,
    }
    if "multi_class" in result:
        record["multi_class"] = result["multi_class"]
    if result["status"] == "ok":
        record["scores"] = {**flat_scores(evaluation), **(extras or {})}
        record["stats"] = result.get("stats", {})
        for part in ("train", "test"):
            record[f"confusion_{part}"] = evaluation[part]["confusion"]
            record[f"report_{part}"] = evaluation[part]["report"]
            (tmp / f"classification_report_{part}.txt").write_text(evaluation[part]["report_text"])
        pd.DataFrame(coefficient_rows(result)).to_csv(tmp / "coefficients.csv", index=False)
        np.save(tmp / "proba_test.npy", np.asarray(result["proba_test"], dtype=float))
        np.save(tmp / "pred_test.npy", np.asarray(result["pred_test"], dtype=np.int64))
        for name in ("summary", "summary2"):
            if name in result:
                (tmp / f"{name}.txt").write_text(result[name])
        if "pred_table" in result:
            record["pred_table"] = result["pred_table"]
            pd.DataFrame(result["pred_table"]).to_csv(tmp / "pred_table.csv", index=False)
    if result.get("traceback"):
        (tmp / "traceback.txt").write_text(result["traceback"])
    (tmp / RESULT).write_text(dumps(record))
    if folder.exists():
        trash = folder.with_name(f".{folder.name}.{os.getpid()}.old")
        os.replace(folder, trash)
        os.replace(tmp, folder)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, folder)
    return record


#: Prepared data by folder, in this process (and, forked, in its workers).
_PREPARED: dict[str, object] = {}


def _hold(prepared: dict[str, object]) -> None:
    """Keep the prepared data of this job's experiments, and nothing else, in memory."""
    _PREPARED.clear()
    _PREPARED.update(prepared)


def _prepared(prepared_dir: str):
    if prepared_dir not in _PREPARED:
        _PREPARED[prepared_dir] = load_prepared(prepared_dir)
    return _PREPARED[prepared_dir]


def extra_scores(prepared, point: dict, result: dict) -> dict:
    """Bootstrap intervals of the test scores and, if asked for, cross-validation scores."""
    from lrsweep.inference import bootstrap_intervals, cv_scores

    boot = point.get("bootstrap") or {}
    out = bootstrap_intervals(
        prepared.y_test,
        result["pred_test"],
        result["proba_test"],
        boot.get("resamples", 0),
        boot.get("random_state", 0),
    )
    cv = point.get("cv")
    if cv:
        out.update(cv_scores(prepared, point, cv["folds"], cv["repeats"], cv["random_state"]))
    return out


def fit_one(prepared_dir: str, point: dict, folder: str, key: str) -> dict:
    """Fit, score and write one grid point (runs in a joblib worker)."""
    from lrsweep.metrics import evaluate
    from lrsweep.models import fit_grid_point

    prepared = _prepared(prepared_dir)
    result = fit_grid_point(prepared, point)
    evaluation = evaluate(prepared, result) if result["status"] == "ok" else None
    extras = extra_scores(prepared, point, result) if evaluation else None
    record = write_fit(Path(folder), key, point, result, evaluation, prepared.classes, extras)
    return {
        "model_id": point["model_id"],
        "status": record["status"],
        "reason": record["reason"],
        "traceback": result.get("traceback", ""),
    }


#: Rough relative cost of a fit, to start the slow ones first (longest-processing-time order).
SOLVER_COST = {
    "liblinear": 1.0,
    "lbfgs": 2.0,
    "newton-cholesky": 2.0,
    "newton-cg": 3.0,
    "sag": 6.0,
    "saga": 8.0,
}


def estimated_cost(point: dict) -> float:
    if point.get("status") == "skipped":
        return 0.0
    if point["library"] == "statsmodels":
        return 2.0
    c = point["C"]
    c_factor = 3.0 if math.isinf(c) else 1.0 + max(0.0, math.log10(c) + 3) / 2
    return SOLVER_COST[point["solver"]] * c_factor


def parallel_map(fn, tasks: list[tuple], jobs: int, blas_threads: int = 1) -> list:
    """``[fn(*t) for t in tasks]`` in ``jobs`` worker processes, started in the order given
    (slow ones first), each limited to ``blas_threads`` BLAS/OpenMP threads.

    Processes, not threads: ``warnings.catch_warnings`` is process-wide, so one thread's
    ConvergenceWarning was recorded by another's fit (measured: 5 % of `converged` flags
    wrong). BLAS threads are limited because Snakemake exports OMP_NUM_THREADS=<threads> and
    workers inheriting it oversubscribed the cores. On Linux the workers are forked, so they
    start with this process's imports and data (a fresh loky worker spends a second importing
    scikit-learn); elsewhere joblib's loky workers are used.
    """
    if jobs <= 1 or len(tasks) <= 1:
        return [fn(*t) for t in tasks]
    if sys.platform == "linux":
        from concurrent.futures import ProcessPoolExecutor

        from threadpoolctl import threadpool_limits

        fork = multiprocessing.get_context("fork")
        with (
            threadpool_limits(limits=blas_threads),
            ProcessPoolExecutor(jobs, mp_context=fork) as pool,
        ):
            return list(pool.map(fn, *zip(*tasks, strict=True)))
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend="loky", inner_max_num_threads=blas_threads):
        return Parallel(n_jobs=jobs)(delayed(fn)(*t) for t in tasks)


def _plan(prepared_dir: str, points: list[dict], outdir: Path, code: str) -> dict:
    """One experiment's keys and the points without a valid stored result."""
    outdir.mkdir(parents=True, exist_ok=True)
    # Leftovers of a killed run (half-written folders never renamed into place): Snakemake's
    # lock makes this job the only writer here, so they can go.
    for stale in [*outdir.glob(".*.tmp"), *outdir.glob(".*.old")]:
        shutil.rmtree(stale, ignore_errors=True)
    data_key = json.loads((Path(prepared_dir) / "meta.json").read_text())["data_key"]
    keys = {p["model_id"]: fit_key(data_key, p, code) for p in points}
    todo = [p for p in points if read_result(outdir / p["model_id"], keys[p["model_id"]]) is None]
    return {"data_key": data_key, "keys": keys, "todo": todo}


def run_batches(batches: list[tuple], code: str, n_jobs: int = 1) -> list[dict]:
    """Fit the grid points of several experiments that have no valid stored result, all in
    one pool of ``n_jobs`` workers, slowest first; return one manifest per experiment.

    ``batches`` holds ``(prepared_dir, points, outdir, prepared)`` per experiment, where
    ``prepared`` is the data already in memory (as just written to ``prepared_dir``, or None to
    read it there), so that neither this process nor its forked workers read it again.
    ``manifest["fitted"]`` and ``manifest["reused"]`` say what was computed and what was taken
    from earlier runs; ``manifest["failures"]`` keeps the tracebacks for the log;
    ``manifest["seconds"]`` is the time the whole pool took.
    """
    plans = [_plan(str(d), points, Path(out), code) for d, points, out, _ in batches]
    tasks = [
        (str(d), p, str(Path(out) / p["model_id"]), plan["keys"][p["model_id"]])
        for (d, _, out, _), plan in zip(batches, plans, strict=True)
        for p in plan["todo"]
    ]
    tasks.sort(key=lambda t: estimated_cost(t[1]), reverse=True)
    start = time.perf_counter()
    _hold({str(d): data for d, _, _, data in batches if data is not None})
    if tasks:
        # imported once here, before any worker is forked (not once per worker)
        import sklearn.linear_model  # noqa: F401
        import sklearn.metrics  # noqa: F401

        import lrsweep.metrics  # noqa: F401
        import lrsweep.models  # noqa: F401
    jobs = max(1, min(n_jobs, len(tasks)))
    done = parallel_map(fit_one, tasks, jobs, blas_threads=max(1, n_jobs // jobs))
    seconds = time.perf_counter() - start
    by_id = {(t[0], d["model_id"]): d for t, d in zip(tasks, done, strict=True)}
    manifests = []
    for (d, points, _, _), plan in zip(batches, plans, strict=True):
        ours = [by_id[(str(d), p["model_id"])] for p in plan["todo"]]  # in grid order
        todo_ids = {p["model_id"] for p in plan["todo"]}
        manifests.append(
            {
                "data_key": plan["data_key"],
                "code": code,
                "fits": [{"model_id": m, "key": k} for m, k in plan["keys"].items()],
                "fitted": [x["model_id"] for x in ours],
                "reused": [p["model_id"] for p in points if p["model_id"] not in todo_ids],
                "seconds": seconds,
                "failures": [x for x in ours if x["status"] == "failed"],
            }
        )
    return manifests


def run_batch(
    prepared_dir: str | Path,
    points: list[dict],
    outdir: str | Path,
    code: str,
    n_jobs: int = 1,
    prepared=None,
) -> dict:
    """:func:`run_batches` for one experiment: its manifest."""
    return run_batches([(prepared_dir, points, outdir, prepared)], code, n_jobs)[0]


def usable_cores(threads: int) -> int:
    """The threads Snakemake granted, but no more than the CPUs this process may use."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(int(threads), available))


def write_manifest(path: str | Path, manifest: dict) -> None:
    slim = {k: v for k, v in manifest.items() if k != "failures"}
    slim["failed"] = [
        {"model_id": f["model_id"], "reason": f["reason"]} for f in manifest["failures"]
    ]
    atomic_write_text(path, dumps(slim))
