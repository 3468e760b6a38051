"""The body of the prepare, fit and score jobs: get each experiment's prepared data, then
compute the grid points' fits (fit job), or their scores and figures (score job), that are not
in the store yet, in one pool of worker processes.

Getting anything from the store goes through :func:`prepared_data`, :func:`fit_entry` and
:func:`scores_entry`: they return a verified entry, or compute it (again) and store it, with
one warning line when a stored one was damaged. The publish job uses the same functions, so a
store damaged by hand is repaired by the next run, whichever job reads it first.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

from lrsweep.errors import DataError
from lrsweep.store.entries import DamagedEntry, Store, open_verified
from lrsweep.workflow.progress import Progress

#: The data and tasks of the running fit job, set before its workers are forked: they inherit
#: this process's memory, so the prepared arrays are shared without copies or pickling.
_JOB: dict = {}


def experiment_label(name: str) -> str:
    return f"experiment '{name}'"


# --------------------------------------------------------------------------------------------
# Entries: verified, or computed


def prepared_data(store: Store, name: str, spec: dict, log=None):
    """An experiment's prepared data (``spec``: exp, prepared key, data checksum): read from the
    store when there and whole, else prepared from the dataset and stored."""
    from lrsweep.prepare.design import load_prepared, prepare_experiment, save_prepared

    entry = open_verified(store, "prepared", spec["prepared"], experiment_label(name), names=())
    if entry is not None:
        try:
            return load_prepared(entry)
        except DamagedEntry as exc:  # a file that fails its checksum (the message names it)
            store.discard("prepared", spec["prepared"], str(exc))
        except Exception as exc:  # a file that passes it but cannot be read: recompute
            store.discard("prepared", spec["prepared"], f"{experiment_label(name)}: {exc}")
    prepared = prepare_experiment(name, spec["exp"], expected_sha256=spec["data_sha256"])
    store.put(
        "prepared",
        spec["prepared"],
        lambda w: save_prepared(prepared, w),
        label=experiment_label(name),
    )
    if log:
        log.info(
            "%s: prepared %d train / %d test rows, %d features, classes %s, %d rows dropped",
            name,
            prepared.meta["n_train"],
            prepared.meta["n_test"],
            prepared.meta["n_features"],
            prepared.class_names,
            prepared.meta["dropped_rows"],
        )
    return prepared


def fit_label(point: dict) -> str:
    return f"{experiment_label(point['experiment'])} ({point['model_id']})"


def stored_fit(store: Store, point: dict):
    """The verified store entry of a grid point, or None."""
    return open_verified(store, "fits", point["key"], fit_label(point))


def compute_fit(store: Store, prepared, point: dict):
    """Fit and store one grid point; its entry."""
    from lrsweep.fit.record import fit_files, fit_point

    fitted = fit_point(prepared, point)
    files = fit_files(fitted, prepared)
    entry = store.put_files(
        "fits", point["key"], files, info={"libraries": _libraries()}, label=fit_label(point)
    )
    return entry, fitted


def fit_entry(store: Store, prepared, point: dict):
    """A grid point's verified entry, computed (again) when missing or damaged."""
    entry = stored_fit(store, point)
    if entry is None:
        entry, _ = compute_fit(store, prepared, point)
    return entry


def stored_scores(store: Store, point: dict):
    """The verified scores entry of a grid point, or None."""
    return open_verified(store, "scores", point["score_key"], fit_label(point))


def scores_entry(store: Store, prepared, point: dict, entry):
    """A grid point's verified scores entry, computed from its fit ``entry`` (never refitted)
    when missing or damaged."""
    from lrsweep.fit.record import stored_fit as read_fit
    from lrsweep.score.record import score, score_files

    existing = stored_scores(store, point)
    if existing is not None:
        return existing
    files = score_files(score(read_fit(entry, point), prepared), prepared)
    return store.put_files("scores", point["score_key"], files, label=fit_label(point))


def _libraries() -> dict:
    from lrsweep.store.keys import library_versions

    return library_versions()


def fitfig_entry(store: Store, prepared, point: dict, entry, scores):
    """A grid point's figures (confusion matrix, and the tutorial's figure for one or two
    features), drawn from its fit and scores entries when missing or damaged."""
    from lrsweep.fit.record import read_coefficients, read_record
    from lrsweep.results.figures import draw_fit_figures

    label = f"{fit_label(point)} figures"
    existing = open_verified(store, "fitfigs", point["figkey"], label)
    if existing is not None:
        return existing
    record = read_record(scores)
    coefs = read_coefficients(entry) if "coefficients.csv" in entry.names() else None
    pngs = draw_fit_figures(record, coefs, prepared, point["experiment"])
    return store.put_files("fitfigs", point["figkey"], pngs, label=label)


def overview_entry(store: Store, name: str, spec: dict, light, settings: dict, entries=None):
    """An experiment's overview figures (plots over its grid), from the store, or drawn from
    its fits' entries (``entries``: model_id -> (fit entry, scores entry), when the caller
    has them)."""
    from lrsweep.fit.record import read_record
    from lrsweep.results.figures import draw_overview
    from lrsweep.results.tables import collect, estimates_of

    label = f"{experiment_label(name)} overview figures"
    ids = [p["model_id"] for p in spec["points"]]
    existing = open_verified(store, "figures", spec["overview"], label)
    if existing is not None:
        return existing
    entries = entries or {
        p["model_id"]: (stored_fit(store, p), stored_scores(store, p)) for p in spec["points"]
    }
    fits = [(name, read_record(scores), entry, scores) for entry, scores in map(entries.get, ids)]
    metrics, coefs = collect(fits)
    coefs = estimates_of(coefs)  # the first cov_type's intervals: one row per coefficient
    files = draw_overview(
        name,
        metrics,
        coefs,
        lambda m: entries[m][0].load_npy("proba_test.npy"),
        light,
        settings["metric"],
        svg=settings["svg"],
    )
    return store.put_files("figures", spec["overview"], files, label=label)


def _overview(name: str) -> dict:
    """An experiment's overview figures, in a worker, once all its grid points are done."""
    start = time.perf_counter()
    spec = _JOB["specs"][name]
    try:
        overview_entry(_JOB["store"], name, spec, _JOB["prepared"][name], _JOB["settings"])
        out = {"overview": name, "status": "ok"}
    except Exception:
        import traceback

        out = {"overview": name, "status": "error", "traceback": traceback.format_exc()}
    out["seconds"] = time.perf_counter() - start
    return out


# --------------------------------------------------------------------------------------------
# The pool


def _task(index: int) -> dict:
    """One grid point in a worker: its fit (unless stored), its scores (in a score job,
    unless stored) and its figures (if asked)."""
    task = _JOB["tasks"][index]
    store, point = _JOB["store"], task["point"]
    prepared = _JOB["prepared"][point["experiment"]]
    start = time.perf_counter()
    out = {"index": index, "model_id": point["model_id"], "fitted": False}
    try:
        if task["fit"]:
            entry, fitted = compute_fit(store, prepared, point)
            out["fitted"] = True
            result = fitted["result"]
            out.update(status=result["status"], reason=result.get("reason", ""))
            out["traceback"] = result.get("traceback", "")
        else:
            entry = task["entry"] or fit_entry(store, prepared, point)
            out.update(status=task["status"], reason="")
        if task["score"]:
            scores = scores_entry(store, prepared, point, entry)
            if task["figures"] and out["status"] in ("ok", "separated"):
                fitfig_entry(store, prepared, point, entry, scores)
    except Exception:  # a bug, not a fit problem: keep the traceback, go on with the others
        import traceback

        out.update(status="error", reason="unexpected error", traceback=traceback.format_exc())
    out["seconds"] = time.perf_counter() - start
    return out


def unexpected_lines(bugs: list[dict], tasks: list[dict], shown: int = 3) -> list[str]:
    """One line per grid point that ended in an unexpected error (the first ``shown``): its
    experiment, model_id and the exception's last line; the tracebacks are in the log."""
    lines = []
    for bug in bugs[:shown]:
        experiment = tasks[bug["index"]]["point"]["experiment"]
        last = (bug.get("traceback") or "").strip().splitlines()[-1:] or ["?"]
        lines.append(
            f"experiment '{experiment}' ({bug['model_id']}): unexpected error: {last[0]} "
            "(traceback in the log)"
        )
    if len(bugs) > shown:
        lines.append(f"... and {len(bugs) - shown} more grid point(s) with unexpected errors")
    return lines


def _pool_map(n_tasks: int, jobs: int, on_done, on_wait=lambda: None) -> None:
    """Run :func:`_task` for every task index in ``jobs`` worker processes, in the order given,
    calling ``on_done`` as each finishes; ``on_done`` returns the names of experiments whose
    overview figures can now be drawn (:func:`_overview`). Only a few tasks are handed to the
    pool ahead, so that an experiment's overview is drawn as soon as its last point is done,
    while the other experiments still fit (not after every task already queued).

    Processes, not threads: ``warnings.catch_warnings`` is process-wide, so one thread's
    ConvergenceWarning was recorded by another's fit. Each worker is limited to one BLAS
    thread (Snakemake exports OMP_NUM_THREADS=<threads> and workers inheriting it
    oversubscribed the cores). On Linux the workers are forked, so they start with this
    process's imports, data and BLAS limit; elsewhere joblib's loky workers are used, limited
    to one BLAS thread too.
    """
    if jobs <= 1 or n_tasks <= 1:  # in this process, which runs with one BLAS thread too
        for i in range(n_tasks):
            for name in on_done(_task(i)):
                on_done(_overview(name))
        return
    from joblib import parallel_config

    with parallel_config(backend="loky", inner_max_num_threads=ONE_BLAS_THREAD):
        if sys.platform == "linux":
            from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

            fork = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(jobs, mp_context=fork) as pool:
                queue = list(range(n_tasks))[::-1]
                pending = set()
                while queue or pending:
                    while queue and len(pending) < jobs + 1:
                        pending.add(pool.submit(_task, queue.pop()))
                    done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                    for future in done:
                        for name in on_done(future.result()):
                            pending.add(pool.submit(_overview, name))
                    on_wait()
            return
        from joblib import Parallel, delayed

        names = []
        for out in Parallel(n_jobs=jobs, return_as="generator_unordered")(
            delayed(_task)(i) for i in range(n_tasks)
        ):
            names += on_done(out)
        for out in Parallel(n_jobs=jobs)(delayed(_overview)(n) for n in names):
            on_done(out)


def usable_cores(threads: int) -> int:
    """The threads Snakemake granted, but no more than the CPUs this process may use."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(int(threads), available))


#: Every fit, and the preparation of its data, runs with one BLAS thread, whatever the job's
#: cores, size or packing: a matrix product summed by two threads rounds differently (4e-16
#: in coefficients.csv between ``--cores 1`` and ``--cores 2``), and one version name must
#: mean one set of bytes. Parallelism comes from the worker processes instead.
ONE_BLAS_THREAD = 1


def one_blas_thread(function):
    """Run ``function`` with BLAS (and OpenMP) limited to :data:`ONE_BLAS_THREAD`."""
    import functools

    @functools.wraps(function)
    def limited(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=ONE_BLAS_THREAD):
            return function(*args, **kwargs)

    return limited


@one_blas_thread
def run_fit_job(params: dict, n_jobs: int, log, name: str = "fit") -> dict:
    """The fit job: prepare (or read) each experiment's data, then fit what the store lacks in
    one pool of ``n_jobs`` workers. Returns the job's token (what it computed and what it
    reused). With ``params["score"]`` it is the score job of the same grid points: it scores
    the stored fits whose scores the store lacks (fitting only a fit found missing or
    damaged), and draws the figures it lacks.

    A data error stops its experiment only: the others are fitted and kept, then a DataError
    with every experiment's error, one line each, ends the job.
    """
    from lrsweep.config.grid import cov_types
    from lrsweep.prepare.design import check_cv_folds, positive_index
    from lrsweep.score.covariance import check_cov_types
    from lrsweep.score.record import check_scoring
    from lrsweep.workflow.cost import POINT_OVERHEAD_SECONDS, point_seconds

    store = Store(params["store"])
    store.check_shared()
    for kind in ("prepared", "fits", "scores", "fitfigs"):
        store.clean(kind)
    prepared, errors, tasks = {}, [], []
    reused, scored = [], []
    scoring = bool(params.get("score"))
    for exp_name, spec in params["experiments"].items():
        try:
            data = prepared_data(store, exp_name, spec, log)
            positive_index(exp_name, data, spec["exp"].get("positive_class"))
            check_scoring(exp_name, data.n_classes, spec["exp"])
            check_cv_folds(exp_name, data, spec["exp"].get("cv"))
            if spec["exp"].get("statsmodels") is not None:
                check_cov_types(
                    exp_name,
                    cov_types(spec["exp"]["statsmodels"]),
                    data.n_classes,
                    data.groups_train is not None,
                )
        except DataError as exc:
            log.error("%s", exc)
            errors.append(str(exc))
            continue
        prepared[exp_name] = data
        for point in spec["points"]:
            entry = stored_fit(store, point)
            draw = bool(params["figures"] and point.get("figkey"))
            needs_figures = draw and not store.has("fitfigs", point["figkey"])
            needs_scores = scoring and not store.has("scores", point["score_key"])
            if needs_scores:
                scored.append(point["model_id"])
            if entry is None or needs_figures or needs_scores:
                status = None
                if entry is not None:
                    status = _stored_status(entry)
                tasks.append(
                    {
                        "point": point,
                        "fit": entry is None,
                        "entry": entry,
                        "status": status,
                        "score": scoring,
                        "figures": draw,
                    }
                )
            if entry is not None:
                reused.append(point["model_id"])
    # longest first (an experiment's size counts: 200,000 rows are not 569)
    exps = params["experiments"]

    def seconds(task):
        return point_seconds(exps[task["point"]["experiment"]]["exp"], task["point"]) * task["fit"]

    # Experiments one after another, those of the largest points first, each longest first:
    # an experiment done early has its overview figures drawn while the next ones fit, and the
    # last one's small points keep the workers evenly busy to the end.
    size = {}
    for task in tasks:
        size.setdefault(task["point"]["experiment"], []).append(seconds(task))
    rank = {n: -sum(v) / len(v) for n, v in size.items()}
    tasks.sort(key=lambda t: (rank[t["point"]["experiment"]], -seconds(t)))
    overviews = {
        n: spec
        for n, spec in params["experiments"].items()
        if n in prepared
        and params["figures"]
        and spec.get("overview")
        and not store.has("figures", spec["overview"])
    }
    waiting = {n: sum(t["point"]["experiment"] == n for t in tasks) for n in overviews}
    _JOB.update(
        store=store,
        prepared=prepared,
        tasks=tasks,
        specs=overviews,
        settings=params["figure_settings"],
    )
    if tasks or overviews:  # imported once here, before any worker is forked
        import sklearn.linear_model  # noqa: F401
        import sklearn.metrics  # noqa: F401

        import lrsweep.fit.record  # noqa: F401

        if params["figures"]:
            from lrsweep.results.figures import draw_fit_figures, draw_overview  # noqa: F401
    jobs = max(1, min(n_jobs, len(tasks)))

    def work(task):  # for the time left: a point's fit and what every point costs besides
        return (seconds(task) + POINT_OVERHEAD_SECONDS) * task["fit"]

    progress = Progress(sum(t["fit"] for t in tasks), name, log, work=sum(map(work, tasks)))
    done: list[dict] = []

    def on_done(out) -> list[str]:
        if "overview" in out:
            log.info("%s: overview figures drawn in %.1f s", out["overview"], out["seconds"])
            if out["status"] == "error":
                log.warning("%s overview figures failed:\n%s", out["overview"], out["traceback"])
            return []
        done.append(out)
        experiment = tasks[out["index"]]["point"]["experiment"]
        if tasks[out["index"]]["fit"]:
            progress.step(out["status"] in ("failed", "error"), work(tasks[out["index"]]))
        if out.get("traceback"):
            log.warning(
                "%s %s %s: %s\n%s",
                experiment,
                out["model_id"],
                out["status"],
                out["reason"],
                out["traceback"],
            )
        if experiment in waiting:
            waiting[experiment] -= 1
            if waiting[experiment] == 0:
                return [experiment]
        return []

    start = time.perf_counter()
    ready = [n for n, count in waiting.items() if count == 0]  # nothing to fit, figures to draw
    _pool_map(len(tasks), jobs, on_done, progress.tick)
    for name in ready:
        on_done(_overview(name))
    progress.finish()
    _JOB.clear()
    bugs = [d for d in done if d["status"] == "error"]
    if errors or bugs:
        # one line each, the data errors first; lrsweep.workflow.smk.run prints "lrsweep: " in front
        raise DataError("\nlrsweep: ".join(errors + unexpected_lines(bugs, tasks)))
    return {
        "job": name,
        "experiments": {
            n: [p["key"] for p in spec["points"]] for n, spec in params["experiments"].items()
        },
        "fitted": sorted(d["model_id"] for d in done if d["fitted"]),
        "reused": sorted(reused),
        "scored": sorted(scored),
        "failed": sorted(
            (tasks[d["index"]]["point"]["experiment"], d["model_id"])
            for d in done
            if d["status"] == "failed"
        ),
        "workers": jobs,
        "seconds": time.perf_counter() - start,
    }


def _stored_status(entry) -> str:
    from lrsweep.fit.record import read_fit_record

    return read_fit_record(entry)["status"]


@one_blas_thread
def run_prepare_job(params: dict, log) -> dict:
    """The prepare job of the shard mode: one experiment's prepared data, into the store."""
    store = Store(params["store"])
    store.check_shared()
    store.clean("prepared")
    prepared = prepared_data(store, params["experiment"], params, log)
    return {
        "experiment": params["experiment"],
        "prepared": params["prepared"],
        "n_train": prepared.meta["n_train"],
        "n_test": prepared.meta["n_test"],
    }
