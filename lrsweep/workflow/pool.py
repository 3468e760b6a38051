"""The one worker pool of the fit, score and publish jobs: tasks in, typed returns out.

Modelled on Hydra's ``Launcher.launch(...) -> Sequence[JobReturn]``: one executor interface,
:func:`launch`, runs a sequence of tasks and returns a :class:`TaskReturn` for each, whose
:class:`TaskStatus` says whether the task completed (its ``value``, a dataclass of the job's
own) or raised (its ``traceback``). A task is a picklable callable object
(``task(context) -> value``); the ``context`` is what every task of a job reads (the store,
the prepared data), handed to each worker once by the pool's initializer: forked workers
inherit it without a copy, spawned ones receive it pickled. No module-level state is filled
before the workers start, so every start method sees the same thing.

How workers start comes from the environment variable :data:`START_METHOD_VARIABLE`
(``fork``, ``spawn`` or ``forkserver``; default fork on Linux, spawn elsewhere, as
:func:`start_method`). Processes, not threads: ``warnings.catch_warnings`` is process-wide, so
one thread's ConvergenceWarning was recorded by another's fit.

Every worker computes with :data:`ONE_BLAS_THREAD` BLAS thread, whatever the start method: a
matrix product summed by two threads rounds differently (4e-16 in coefficients.csv between
``--cores 1`` and ``--cores 2``), and one version name must mean one set of bytes.
Parallelism comes from the worker processes instead.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lrsweep.errors import ConfigError

#: The environment variable that chooses how the pool's workers start.
START_METHOD_VARIABLE = "LRSWEEP_START_METHOD"
START_METHODS = ("fork", "spawn", "forkserver")

#: BLAS (and OpenMP) threads of every fit and of the preparation of its data.
ONE_BLAS_THREAD = 1
#: The variables the BLAS libraries read when they load (a spawned worker loads them afresh).
BLAS_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def start_method(environ=None, platform: str | None = None) -> str:
    """How workers start: :data:`START_METHOD_VARIABLE` when set, else ``fork`` on Linux (the
    workers start with this process's imports and data) and ``spawn`` elsewhere (macOS and
    Windows, where fork is unsafe or missing). A value not in :data:`START_METHODS` is a
    ConfigError of one line naming the variable and the allowed values."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    value = environ.get(START_METHOD_VARIABLE, "").strip()
    if not value:
        return "fork" if platform == "linux" else "spawn"
    if value not in START_METHODS:
        allowed = ", ".join(START_METHODS)
        raise ConfigError(
            f"environment variable {START_METHOD_VARIABLE}={value!r}: must be one of {allowed} "
            "(or unset)"
        )
    return value


class TaskStatus(StrEnum):
    """What became of one task (as Hydra's ``JobStatus``)."""

    COMPLETED = "completed"  # it returned: TaskReturn.value
    FAILED = "failed"  # it raised: TaskReturn.traceback (a bug; the other tasks go on)


@dataclass
class TaskReturn:
    """One task's outcome: the task, its status, its value or the traceback of what it raised,
    and its seconds."""

    task: Any
    status: TaskStatus
    value: Any = None
    traceback: str = ""
    seconds: float = 0.0


def one_blas_thread(function):
    """Run ``function`` with BLAS (and OpenMP) limited to :data:`ONE_BLAS_THREAD`."""

    @functools.wraps(function)
    def limited(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=ONE_BLAS_THREAD):
            return function(*args, **kwargs)

    return limited


@contextmanager
def blas_environment():
    """:data:`BLAS_VARIABLES` set to one thread while the pool lives, so that a worker that
    starts afresh (spawn, forkserver) loads its BLAS with one thread; restored afterwards.
    (Snakemake exports OMP_NUM_THREADS=<threads>: workers inheriting it oversubscribed the
    cores.)"""
    saved = {name: os.environ.get(name) for name in BLAS_VARIABLES}
    os.environ.update({name: str(ONE_BLAS_THREAD) for name in BLAS_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def main_script_hidden(method: str):
    """A process started by ``spawn`` or ``forkserver`` imports the parent's main script
    first (to find what it defines), unless that is a module run by name. A rule script is
    such a script: it would run its whole job again in every worker (and a script written
    without ``if __name__ == "__main__"`` guards does the same). Every task and context of
    the pool lives in lrsweep's modules, so the workers need nothing of the script: its path
    is hidden from them while the pool lives, and put back afterwards."""
    main = sys.modules.get("__main__")
    hide = (
        method != "fork"
        and main is not None
        and getattr(main, "__spec__", None) is None
        and hasattr(main, "__file__")
    )
    if not hide:
        yield
        return
    path = main.__file__
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


#: The job's context in a worker process, set by :func:`_initialize` (never in the parent).
_WORKER_CONTEXT: Any = None


def _initialize(context) -> None:
    """A worker's start: one BLAS thread for the libraries loaded already (the environment
    covers those loaded later), and the job's context."""
    global _WORKER_CONTEXT
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=ONE_BLAS_THREAD)  # kept for the worker's life
    _WORKER_CONTEXT = context


def execute(task, context) -> tuple[TaskStatus, Any, str, float]:
    """Run one task: (status, value, traceback, seconds). An exception is the task's FAILED
    status with its traceback, never the pool's end."""
    start = time.perf_counter()
    try:
        value, status, trace = task(context), TaskStatus.COMPLETED, ""
    except Exception:
        value, status, trace = None, TaskStatus.FAILED, traceback.format_exc()
    return status, value, trace, time.perf_counter() - start


def _in_worker(task) -> tuple[TaskStatus, Any, str, float]:
    return execute(task, _WORKER_CONTEXT)


def usable_cores(threads: int) -> int:
    """The threads Snakemake granted, but no more than the CPUs this process may use."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(int(threads), available))


OnDone = Callable[[TaskReturn], Iterable[Any]]


def launch(
    tasks: Sequence,
    context,
    workers: int,
    on_done: OnDone = lambda ret: (),
    on_wait: Callable[[], None] = lambda: None,
    method: str | None = None,
) -> list[TaskReturn]:
    """Run ``tasks`` (in the order given) in ``workers`` processes started by ``method``
    (:func:`start_method` when None), or in this process with one worker or one task. Each
    return goes to ``on_done`` as its task finishes; the tasks ``on_done`` gives back run
    next, before those still queued (an experiment's overview once its last point is done).
    Only one task a worker is handed ahead, so that such a follow-up starts as soon as a
    worker frees, not after every task already queued. ``on_wait`` is called about every
    second while tasks run (progress lines). Returns every task's return, in the order they
    finished."""
    queue = deque(tasks)
    if workers <= 1 or len(queue) <= 1:
        return _launch_here(queue, context, on_done)
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    method = method or start_method()
    mp_context = multiprocessing.get_context(method)
    returns: list[TaskReturn] = []
    with (
        blas_environment(),
        main_script_hidden(method),
        ProcessPoolExecutor(
            workers, mp_context=mp_context, initializer=_initialize, initargs=(context,)
        ) as pool,
    ):
        pending: dict = {}
        while queue or pending:
            while queue and len(pending) < workers + 1:
                task = queue.popleft()
                pending[pool.submit(_in_worker, task)] = task
            done, _ = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            for future in done:
                ret = _returned(pending.pop(future), future)
                returns.append(ret)
                queue.extendleft(reversed(list(on_done(ret))))
            on_wait()
    return returns


def _returned(task, future) -> TaskReturn:
    """A finished future's return; one that cannot come back (its value would not pickle) is
    the task's FAILED status with the traceback, as any other error of a task."""
    try:
        return TaskReturn(task, *future.result())
    except Exception:
        return TaskReturn(task, TaskStatus.FAILED, traceback=traceback.format_exc())


def _launch_here(queue: deque, context, on_done: OnDone) -> list[TaskReturn]:
    """:func:`launch` in this process (which runs with one BLAS thread too)."""
    returns = []
    while queue:
        task = queue.popleft()
        ret = TaskReturn(task, *execute(task, context))
        returns.append(ret)
        queue.extendleft(reversed(list(on_done(ret))))
    return returns
