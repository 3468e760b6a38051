"""The little glue every rule script shares: logging to ``snakemake.log[0]`` and one-line errors.

Rule scripts stay thin: they call :func:`run` with a function of the ``snakemake`` object.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback

from lrsweep.errors import LrsweepError


def run(snakemake, main) -> None:
    """Run ``main(snakemake, log)``. A known error prints one line per problem on the terminal
    and exits 1; the traceback stays in the rule's log, which the line names."""
    log_path = snakemake.log[0] if len(snakemake.log) else None
    handlers = [logging.FileHandler(log_path, mode="w")] if log_path else []
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers or None,
        format="%(asctime)s %(levelname)s %(message)s",
        force=True,
    )
    log = logging.getLogger("lrsweep")
    where = f" (details: {log_path})" if log_path else ""
    try:
        main(snakemake, log)
    except LrsweepError as exc:
        log.error("%s\n%s", exc, traceback.format_exc())
        print(f"lrsweep: {exc}{where}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        log.error("unexpected error\n%s", traceback.format_exc())
        print(f"lrsweep: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        sys.exit(1)
    finally:
        logging.shutdown()
    exit_when_done()


def run_mode(workflow) -> str:
    """What the Snakemake process that parsed the Snakefile is doing, asked while it builds
    its DAG (input functions): ``"run"`` (executing jobs), ``"dry-run"`` (``-n``), or
    ``"inspect"`` (``--report``, ``--summary``, ``--dag`` and the like; ``--lint`` builds no
    DAG). Snakemake 9 parses the Snakefile before it knows which (its executor and its
    ``dryrun`` are set by ``Workflow.execute``, which only a run or a dry run calls), so the
    Snakefile must not write at parse time."""
    if workflow.executor_plugin is None:
        return "inspect"
    return "dry-run" if workflow.dryrun else "run"


def exit_when_done() -> None:
    """End a rule script's process without tearing its modules down.

    With scikit-learn, statsmodels, pandas and matplotlib loaded, Python spent 0.35 s after a
    script's last line deallocating its modules (measured), on every job: 0.7 s of a 9 s
    large-data run with its fit and publish jobs (bench/README.md). This does what teardown
    does that anyone can notice, then leaves: it runs the atexit handlers, flushes every file
    object still open (a file a script forgot to close keeps its contents), and exits 0; that
    costs 0.1 s. ``tests/unit/workflow/test_smk.py`` checks that nothing is lost. Without it
    nothing breaks:
    every job is 0.25 s slower.
    """
    import atexit
    import gc
    import io

    atexit._run_exitfuncs()
    for obj in gc.get_objects():
        if isinstance(obj, io.IOBase) and not obj.closed:
            try:
                obj.flush()
            except (OSError, ValueError):
                pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _scheduler_timer(thread: threading.Thread) -> bool:
    function = getattr(thread, "function", None)
    return isinstance(thread, threading.Timer) and "_schedule_reevalutation" in getattr(
        function, "__qualname__", ""
    )


def end_without_waiting() -> None:
    """Cancel the timers Snakemake's job scheduler left running, so that the run ends with its
    work (called from the Snakefile's ``onsuccess``/``onerror`` hooks, when the scheduler has
    finished and its timers have nothing left to wake).

    Snakemake 9.27's ``JobScheduler._schedule_reevalutation`` arms a non-daemon
    ``threading.Timer`` (its job-rate limiter, ``--max-jobs-per-timespan``, default ``100/1s``)
    on every pass while jobs run, and the interpreter waits for the last one after "Elapsed
    time": 1.0-1.4 s added to every run that executed a job; with ``--max-jobs-per-timespan
    100/100ms`` runs were seen hanging after "Elapsed time". Reproduce without this hook:
    ``time snakemake --cores 2 --forcerun publish``. Only timers made by that method are
    cancelled; ``tests/workflow/test_job_rate_limit.py`` runs a real workflow with that option and
    checks that it
    exits within seconds. Remove this when Snakemake's scheduler stops its own timers.
    """
    for thread in threading.enumerate():
        if _scheduler_timer(thread):
            thread.cancel()
