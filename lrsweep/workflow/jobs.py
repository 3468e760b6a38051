"""The body of the prepare and fit jobs: get each experiment's prepared data, then compute what
the store lacks of each grid point (its fit, its scores, its figures) and each experiment's
overview figures, as tasks of the one worker pool (:mod:`lrsweep.workflow.pool`).

A fit job is a few small steps: :func:`prepare_experiments` (data errors stop their
experiment only), :func:`point_tasks` (what each grid point still needs), :func:`in_order`
(longest first), each cross-validated point cut into its final fit and its folds (:func:`parts`),
then :func:`launch` runs :class:`PointTask`, its parts, :class:`ScoreTask` and
:class:`OverviewTask`, and :class:`FitJob` follows their returns (progress, errors, which
overviews can be drawn). A point is scored from its stored fit, in the task that fitted it, or
in a :class:`ScoreTask` after its parts (or, on a warm C path, once the next point is handed
out). The points of a warm C path run in order (:func:`warm_chains`): the next is handed out
when the one below it is done, with its path state. The store is read through
:mod:`lrsweep.workflow.store_access`.

Scoring reads what the store holds, never what a task has in memory, so a point's scores are
the same bytes whether it was fitted in this job, in an earlier one, or cut into parts. What
only scores (``bootstrap``, ``positive_class``, ...) never reaches the fitting code
(:func:`lrsweep.workflow.plan.fit_job_point`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lrsweep.domain import SCORED, Status
from lrsweep.errors import DataError
from lrsweep.store.entries import Store
from lrsweep.workflow import store_access
from lrsweep.workflow.cost import POINT_OVERHEAD_SECONDS as POINT_OVERHEAD
from lrsweep.workflow.plan import fit_job_experiment, fit_job_point
from lrsweep.workflow.pool import (
    ONE_BLAS_THREAD,  # noqa: F401  (re-exported: the fit job's BLAS rule)
    TaskReturn,
    TaskStatus,
    launch,
    one_blas_thread,
    start_method,
    usable_cores,  # noqa: F401  (re-exported for the rule scripts)
)
from lrsweep.workflow.progress import Progress
from lrsweep.workflow.store_access import (  # noqa: F401  (re-exported for callers of the job)
    compute_fit,
    experiment_label,
    prepared_data,
    scores_entry,
    stored_fit,
)

# --------------------------------------------------------------------------------------------
# The tasks and their typed results


@dataclass
class FitContext:
    """What every task of a fit job reads, handed to each worker once."""

    store: Store
    prepared: dict  # experiment -> its Prepared data
    overviews: dict  # experiment -> its spec, for those whose overview figures are drawn
    settings: dict  # the figure settings
    splits: dict = field(default_factory=dict)  # (experiment, cv) -> its folds, made once

    def fold_splits(self, experiment: str, cv: dict) -> list:
        """An experiment's (train, valid) rows of every fold of ``cv`` (:func:`fold_splits`),
        made once in each process."""
        key = (experiment, cv["folds"], cv["repeats"], cv["random_state"])
        if key not in self.splits:
            self.splits[key] = fold_splits(self.prepared[experiment], cv)
        return self.splits[key]


@dataclass
class PointDone:
    """A grid point's task, done: whether it fitted, and the fit's status."""

    fitted: bool
    status: Status
    reason: str = ""
    traceback: str = ""  # a failed fit's
    next: dict | None = None  # on a warm path: where the next point starts (its path state)


def score_point(context: FitContext, task: PointTask, entry, status: Status) -> None:
    """``task``'s grid point scored from its stored fit ``entry`` (read again from the store
    when None), and its figures drawn when asked and its fit has estimates (``status``), each
    unless the store has it."""
    point = task.point
    store, prepared = context.store, context.prepared[task.experiment]
    entry = entry or store_access.fit_entry(store, prepared, fit_job_point(point))
    scores = store_access.scores_entry(store, prepared, point, entry)
    if task.figures and status in SCORED:
        store_access.fitfig_entry(store, prepared, point, entry, scores)


@dataclass(eq=False)
class PointTask:
    """One grid point: its fit (unless stored), then its scores (unless stored) and its
    figures (if asked), here or, with ``score_later``, in a :class:`ScoreTask`."""

    point: dict
    fit: bool  # not in the store: fit it
    entry: object = None  # its verified fit entry, when stored
    status: str | None = None  # the stored fit's status
    figures: bool = False
    seconds: float = 0.0  # its estimated fit (0 when stored)
    init: dict | None = None  # on a warm path: the previous point's path state
    chain: float = 0.0  # on a warm path: the estimated fits of the points waiting behind it
    score_later: bool = False  # scored by a ScoreTask once its fit is stored

    @property
    def experiment(self) -> str:
        return self.point["experiment"]

    def __call__(self, context: FitContext) -> PointDone:
        store, prepared = context.store, context.prepared[self.experiment]
        if self.fit:
            entry, fitted = store_access.compute_fit(
                store, prepared, fit_job_point(self.point), self.init
            )
            result = fitted["result"]
            done = PointDone(True, Status(result["status"]), result.get("reason", ""))
            done.traceback = result.get("traceback", "")
            done.next = fitted.get("next")
        else:
            entry = self.entry
            done = PointDone(False, Status(self.status))
        if not self.score_later:
            score_point(context, self, entry, done.status)
        return done


@dataclass(eq=False)
class ScoreTask:
    """The scores and figures of a grid point ``whole`` whose fit another task stored: the
    last of a cross-validated point's parts, or a point on a warm C path (scored while the
    next point fits)."""

    whole: PointTask
    status: Status  # its fit's

    @property
    def experiment(self) -> str:
        return self.whole.experiment

    def __call__(self, context: FitContext) -> None:
        score_point(context, self.whole, None, self.status)


@dataclass(eq=False)
class OverviewTask:
    """An experiment's overview figures, once all its grid points are done."""

    name: str

    def __call__(self, context: FitContext) -> str:
        spec = context.overviews[self.name]
        store_access.overview_entry(
            context.store, self.name, spec, context.prepared[self.name], context.settings
        )
        return self.name


@dataclass(eq=False)
class PartTask:
    """A part of a cross-validated grid point ``whole`` (:class:`FinalFitTask` or
    :class:`FoldTask`): the point is stored once every part is done."""

    whole: PointTask

    @property
    def experiment(self) -> str:
        return self.whole.experiment


@dataclass(eq=False)
class FinalFitTask(PartTask):
    """A cross-validated grid point's fit on all its training rows, its folds left to
    :class:`FoldTask`."""

    seconds: float

    def __call__(self, context: FitContext) -> dict:
        from lrsweep.fit.record import fit_point

        prepared = context.prepared[self.experiment]
        return fit_point(prepared, fit_job_point(self.whole.point), self.whole.init, folds=False)


@dataclass(eq=False)
class FoldTask(PartTask):
    """One fold fit of a cross-validated grid point (``index``: of its repeated folds, in the
    order of :func:`lrsweep.fit.sklearn.cv_splits`)."""

    index: int
    seconds: float

    def __call__(self, context: FitContext) -> dict:
        from lrsweep.fit.sklearn import cv_fold

        prepared = context.prepared[self.experiment]
        train, valid = context.fold_splits(self.experiment, self.whole.point["cv"])[self.index]
        starts = (self.whole.init or {}).get("cv")
        start = None if starts is None else starts[self.index]
        return cv_fold(prepared, fit_job_point(self.whole.point), train, valid, start)


def fold_splits(prepared, cv: dict) -> list:
    """A point's (train, valid) row indices of every fold, as :func:`cv_predictions` makes
    them."""
    import numpy as np

    from lrsweep.fit.sklearn import cv_splits

    y = np.asarray(prepared.y_train)
    return list(cv_splits(y, cv["folds"], cv["repeats"], cv["random_state"]))


def parts(task: PointTask) -> list:
    """The tasks a grid point's work is cut into: a cross-validated point to fit is its
    final fit and one task per fold (so that one slow point cannot keep a worker busy while
    the others idle, as GridSearchCV hands out (point, fold) pairs); any other task is
    whole. A point's parts are handed out one after another, in the order of the points
    (longest first, :func:`in_order`): the slowest point's folds go to every worker at once,
    and points are finished (stored, their fitted models let go) one by one, not all at the
    end. The estimate is shared as :func:`lrsweep.workflow.cost.relative_cost` counts it (one
    fit each), a fold fit on (k - 1)/k of the rows. A point cut so is scored by a
    :class:`ScoreTask` once its parts are stored (``score_later``)."""
    cv = task.point.get("cv")
    if not (task.fit and cv and task.point.get("status") != Status.SKIPPED):
        return [task]
    task.score_later = True
    folds = cv["folds"] * cv["repeats"]
    one = task.seconds / (1 + folds)
    fold_seconds = one * (cv["folds"] - 1) / cv["folds"]
    return [FinalFitTask(task, one)] + [FoldTask(task, i, fold_seconds) for i in range(folds)]


# --------------------------------------------------------------------------------------------
# The steps of a fit job


def check_experiment(name: str, data, exp: dict) -> None:
    """The checks of an experiment's settings against its data (a DataError each)."""
    from lrsweep.config.grid import cov_types
    from lrsweep.prepare.design import check_cv_folds, positive_index
    from lrsweep.score.covariance import check_cov_types
    from lrsweep.score.record import check_scoring

    positive_index(name, data, exp.get("positive_class"))
    check_scoring(name, data.n_classes, exp)
    check_cv_folds(name, data, exp.get("cv"))
    if exp.get("statsmodels") is not None:
        check_cov_types(
            name, cov_types(exp["statsmodels"]), data.n_classes, data.groups_train is not None
        )


def prepare_experiments(store: Store, experiments: dict, log) -> tuple[dict, list[str]]:
    """Each experiment's prepared data (read or made), and the data errors, one line each, of
    those that cannot go on (logged; the others go on)."""
    prepared, errors = {}, []
    for name, spec in experiments.items():
        try:
            as_fitted = {**spec, "exp": fit_job_experiment(spec["exp"])}
            data = store_access.prepared_data(store, name, as_fitted, log)
            check_experiment(name, data, spec["exp"])
        except DataError as exc:
            log.error("%s", exc)
            errors.append(str(exc))
            continue
        prepared[name] = data
    return prepared, errors


def point_tasks(store: Store, params: dict, prepared: dict) -> tuple[list, list, list]:
    """The tasks of the grid points that need anything (a fit, scores, figures), and the
    model_ids whose fits are reused and whose scores are computed."""
    from lrsweep.workflow.cost import point_seconds

    tasks, reused, scored = [], [], []
    for name, spec in params["experiments"].items():
        if name not in prepared:
            continue
        for point in spec["points"]:
            entry = store_access.stored_fit(store, point)
            draw = bool(params["figures"] and point.get("figkey"))
            needs_figures = draw and not store.has("fitfigs", point["figkey"])
            needs_scores = not store.has("scores", point["score_key"])
            if needs_scores:
                scored.append(point["model_id"])
            if entry is None or needs_figures or needs_scores:
                status = None if entry is None else store_access.stored_status(entry)
                seconds = 0.0 if entry else point_seconds(spec["exp"], point)
                tasks.append(PointTask(point, entry is None, entry, status, draw, seconds))
            if entry is not None:
                reused.append(point["model_id"])
    return tasks, reused, scored


def in_order(tasks: list) -> list:
    """Experiments one after another, those of the largest points first, each longest first
    (an experiment's size counts: 200,000 rows are not 569): an experiment done early has its
    overview figures drawn while the next ones fit, and the last one's small points keep the
    workers evenly busy to the end."""
    size: dict = {}
    for task in tasks:
        size.setdefault(task.experiment, []).append(task.seconds)
    rank = {n: -sum(v) / len(v) for n, v in size.items()}
    return sorted(tasks, key=lambda t: (rank[t.experiment], -(t.seconds + t.chain)))


def warm_chains(store: Store, params: dict, tasks: list) -> tuple[list, dict]:
    """The tasks that can start now, and which wait for which (``{task: the task of the next
    point of its warm path}``). A warm path (:func:`lrsweep.workflow.plan.path_units`) runs in
    ascending C, each point from the previous one's path state: a point to fit whose previous
    point is to be fitted too waits for it (its task is handed out once that is done, with
    its state); one whose previous point is stored starts now, from the state read back from
    the store (:func:`lrsweep.workflow.store_access.path_start`, checked reads), the same
    bytes. A path's first task is ordered by the work of its whole chain (a path is the
    longest thing a job waits for)."""
    from lrsweep.workflow.plan import path_units

    by_key = {t.point["key"]: t for t in tasks if t.fit}
    successors: dict = {}
    for spec in params["experiments"].values():
        points = spec["points"]
        for unit in path_units(points):
            chain = [by_key.get(points[i]["key"]) for i in unit] if len(unit) > 1 else []
            for below, task in zip([None, *chain], chain, strict=False):
                if task is None:
                    continue
                if below is not None:
                    successors[below] = task
                    below.score_later = True  # scored while the next point fits
                else:
                    task.init = store_access.path_start(store, task.point)
    waiting = set(successors.values())
    ready = [t for t in tasks if t not in waiting]
    for task in ready:
        after = task
        while after in successors:
            after = successors[after]
            task.chain += after.seconds
    return ready, successors


def pending_overviews(store: Store, params: dict, prepared: dict) -> dict:
    """The experiments whose overview figures are to be drawn: name -> spec."""
    return {
        n: spec
        for n, spec in params["experiments"].items()
        if n in prepared
        and params["figures"]
        and spec.get("overview")
        and not store.has("figures", spec["overview"])
    }


def unexpected_lines(bugs: list[tuple[str, str, str]], shown: int = 3) -> list[str]:
    """One line per grid point that ended in an unexpected error (the first ``shown`` of
    ``bugs``: experiment, model_id, traceback): the exception's last line; the tracebacks are
    in the log."""
    lines = []
    for experiment, model_id, trace in bugs[:shown]:
        last = (trace or "").strip().splitlines()[-1:] or ["?"]
        lines.append(
            f"experiment '{experiment}' ({model_id}): unexpected error: {last[0]} "
            "(traceback in the log)"
        )
    if len(bugs) > shown:
        lines.append(f"... and {len(bugs) - shown} more grid point(s) with unexpected errors")
    return lines


@dataclass
class FitJob:
    """A fit job's bookkeeping while its tasks run: :meth:`on_done` is the pool's callback."""

    tasks: list  # the PointTasks (before :func:`parts` cuts them)
    overviews: dict
    progress: Progress
    log: object
    context: FitContext | None = None  # to store a point fitted in parts
    fitted: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    bugs: list = field(default_factory=list)  # (experiment, model_id, traceback)
    waiting: dict = field(default_factory=dict)
    pieces: dict = field(default_factory=dict)  # PointTask -> the returns of its parts
    successors: dict = field(default_factory=dict)  # warm paths: task -> the next one's

    def __post_init__(self):
        self.waiting = {n: sum(t.experiment == n for t in self.tasks) for n in self.overviews}

    def ready(self) -> list:
        """The overviews with no grid point to wait for."""
        return [OverviewTask(n) for n, count in self.waiting.items() if count == 0]

    def on_done(self, ret: TaskReturn) -> list:
        if isinstance(ret.task, OverviewTask):
            self.log.info("%s: overview figures drawn in %.1f s", ret.task.name, ret.seconds)
            if ret.status == TaskStatus.FAILED:
                self.log.warning("%s overview figures failed:\n%s", ret.task.name, ret.traceback)
            return []
        if isinstance(ret.task, PartTask):
            return self.part_done(ret)
        if isinstance(ret.task, ScoreTask):
            return self.score_done(ret)
        return self.point_done(ret.task, ret)

    def score_done(self, ret: TaskReturn) -> list:
        """A :class:`ScoreTask`'s return: an unexpected error is logged as a point's (the
        others go on); its experiment's overview when it was the last point to wait for."""
        whole = ret.task.whole
        if ret.status == TaskStatus.FAILED:
            model_id = whole.point["model_id"]
            self.bugs.append((whole.experiment, model_id, ret.traceback))
            self.log.warning(
                "%s %s scores: unexpected error\n%s", whole.experiment, model_id, ret.traceback
            )
        return self.finished(whole.experiment)

    def finished(self, experiment: str) -> list:
        """One more point of ``experiment`` done (fitted and scored): its overview task when
        it was the last one to wait for."""
        if experiment not in self.waiting:
            return []
        self.waiting[experiment] -= 1
        return [OverviewTask(experiment)] if self.waiting[experiment] == 0 else []

    def part_done(self, ret: TaskReturn) -> list:
        """A part of a point (:func:`parts`): kept until its last part is done, then the
        point is put together and stored (:meth:`assemble`)."""
        whole = ret.task.whole
        pieces = self.pieces.setdefault(whole, [])
        pieces.append(ret)
        if len(pieces) < 1 + whole.point["cv"]["folds"] * whole.point["cv"]["repeats"]:
            return []
        del self.pieces[whole]
        return self.point_done(whole, self.assemble(whole, pieces))

    def assemble(self, whole: PointTask, pieces: list[TaskReturn]) -> TaskReturn:
        """A point fitted in parts, as its :class:`PointTask` would have returned: the final
        fit with the folds' out-of-fold predictions (:func:`lrsweep.fit.sklearn.cv_combine`,
        only when the final fit has estimates, as :func:`lrsweep.fit.record.fit_point`),
        stored."""
        from lrsweep.fit.record import path_state
        from lrsweep.fit.sklearn import cv_combine

        seconds = sum(p.seconds for p in pieces)
        bug = next((p for p in pieces if p.status == TaskStatus.FAILED), None)
        if bug is not None:
            return TaskReturn(whole, TaskStatus.FAILED, traceback=bug.traceback, seconds=seconds)
        try:
            [fitted] = [p.value for p in pieces if isinstance(p.task, FinalFitTask)]
            folds = sorted((p for p in pieces if isinstance(p.task, FoldTask)), key=_index)
            prepared = self.context.prepared[whole.experiment]
            result = fitted["result"]
            if result["status"] in SCORED:
                cv = whole.point["cv"]
                splits = self.context.fold_splits(whole.experiment, cv)
                fits = [p.value for p in folds]
                result["cv_fits"] = cv_combine(prepared, splits, cv["folds"], fits)
            if whole.point.get("path"):  # with its folds' estimates, as fit_point makes it
                fitted["next"] = path_state(result)
            store_access.store_fitted(self.context.store, prepared, whole.point, fitted)
        except Exception:
            import traceback

            trace = traceback.format_exc()
            return TaskReturn(whole, TaskStatus.FAILED, traceback=trace, seconds=seconds)
        done = PointDone(True, Status(result["status"]), result.get("reason", ""))
        done.traceback = result.get("traceback", "")
        done.next = fitted.get("next")
        return TaskReturn(whole, TaskStatus.COMPLETED, done, seconds=seconds)

    def point_done(self, task: PointTask, ret: TaskReturn) -> list:
        """A grid point's return: counted, its problems logged; its experiment's overview when
        it was the last point to wait for."""
        model_id = task.point["model_id"]
        if ret.status == TaskStatus.FAILED:  # a bug, not a fit problem: the others go on
            done = PointDone(False, Status.ERROR, "unexpected error", ret.traceback)
            self.bugs.append((task.experiment, model_id, ret.traceback))
        else:
            done = ret.value
        if done.fitted:
            self.fitted.append(model_id)
        if done.status == Status.FAILED:
            self.failed.append((task.experiment, model_id))
        if task.fit:
            failed = done.status in (Status.FAILED, Status.ERROR)
            self.progress.step(failed, task.seconds + POINT_OVERHEAD)
        if done.traceback:
            self.log.warning(
                "%s %s %s: %s\n%s",
                task.experiment,
                model_id,
                done.status,
                done.reason,
                done.traceback,
            )
        follow = self.next_on_path(task, done)
        if task.score_later and done.status != Status.ERROR:  # nothing stored to score
            return [*follow, ScoreTask(task, done.status)]
        return [*follow, *self.finished(task.experiment)]

    def next_on_path(self, task: PointTask, done: PointDone) -> list:
        """The parts of the next point of ``task``'s warm path, started from ``done``'s path
        state; when ``task`` ended in an unexpected error (nothing stored to start from),
        the rest of its path ends so too."""
        after = self.successors.pop(task, None)
        if after is None:
            return []
        if done.status != Status.ERROR:
            after.init = done.next
            return parts(after)
        trace = f"the point below it on its warm C path ({task.point['model_id']}) failed"
        return self.point_done(after, TaskReturn(after, TaskStatus.FAILED, traceback=trace))


def _index(ret: TaskReturn) -> int:
    return ret.task.index


def _import_before_workers(figures: bool) -> None:
    """What every task imports, imported once before the workers start (forked ones inherit
    it)."""
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401

    import lrsweep.fit.record  # noqa: F401
    import lrsweep.score.record  # noqa: F401

    if figures:
        from lrsweep.results.figures import draw_fit_figures, draw_overview, warm_up  # noqa: F401

        warm_up()


@one_blas_thread
def run_fit_job(params: dict, n_jobs: int, log, name: str = "fit") -> dict:
    """The fit job: prepare (or read) each experiment's data, then fit what the store lacks in
    one pool of ``n_jobs`` workers, scores what the store lacks from the stored fits, and
    draws the figures it lacks. Returns the job's token (what it fitted, reused and scored).

    A data error stops its experiment only: the others are fitted and kept, then a DataError
    with every experiment's error, one line each, ends the job.
    """
    method = start_method()  # a bad LRSWEEP_START_METHOD stops the job before any work
    store = Store(params["store"])
    store.check_shared()
    for kind in ("prepared", "fits", "scores", "fitfigs"):
        store.clean(kind)
    prepared, errors = prepare_experiments(store, params["experiments"], log)
    tasks, reused, scored = point_tasks(store, params, prepared)
    ready, successors = warm_chains(store, params, tasks)
    cut = [part for task in in_order(ready) for part in parts(task)]
    overviews = pending_overviews(store, params, prepared)
    context = FitContext(store, prepared, overviews, params["figure_settings"])
    if tasks or overviews:
        _import_before_workers(params["figures"])
    jobs = max(1, min(n_jobs, len(cut)))
    pooled = jobs > 1 and len(cut) > 1
    where = f"{jobs} workers, start method {method}" if pooled else "this process, no workers"
    log.info("%s: %d grid point(s) as %d task(s) in %s", name, len(tasks), len(cut), where)
    warm = sum(1 for t in tasks if t.fit and t.point.get("path"))
    if warm:
        log.info("%s: %d of them on warm C paths, each path in ascending C", name, warm)
    fits = [t for t in tasks if t.fit]
    work = sum(t.seconds + POINT_OVERHEAD for t in fits)
    job = FitJob(tasks, overviews, Progress(len(fits), name, log, work=work), log, context)
    job.successors = successors
    start = time.perf_counter()
    ready = job.ready()  # nothing to fit, figures to draw
    launch(cut, context, jobs, job.on_done, job.progress.tick, method)
    launch(ready, context, 1, job.on_done)
    job.progress.finish()
    if errors or job.bugs:
        # one line each, the data errors first; lrsweep.workflow.smk.run prints "lrsweep: "
        raise DataError("\nlrsweep: ".join(errors + unexpected_lines(job.bugs)))
    return {
        "job": name,
        "experiments": {
            n: [p["key"] for p in spec["points"]] for n, spec in params["experiments"].items()
        },
        "fitted": sorted(job.fitted),
        "reused": sorted(reused),
        "scored": sorted(scored),
        "failed": sorted(job.failed),
        "workers": jobs,
        "seconds": time.perf_counter() - start,
    }


@one_blas_thread
def run_prepare_job(params: dict, log) -> dict:
    """The prepare job of the shard mode: one experiment's prepared data, into the store."""
    store = Store(params["store"])
    store.check_shared()
    store.clean("prepared")
    prepared = store_access.prepared_data(store, params["experiment"], params, log)
    return {
        "experiment": params["experiment"],
        "prepared": params["prepared"],
        "n_train": prepared.meta["n_train"],
        "n_test": prepared.meta["n_test"],
    }
