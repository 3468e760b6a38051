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
    """Run ``main(snakemake, log)``; a known error prints one line and exits 1, keeping the
    traceback in the rule's log. On success the job's process ends at once, see
    :func:`exit_now`."""
    log_path = snakemake.log[0] if len(snakemake.log) else None
    handlers = [logging.FileHandler(log_path, mode="w")] if log_path else []
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers or None,
        format="%(asctime)s %(levelname)s %(message)s",
        force=True,
    )
    log = logging.getLogger("lrsweep")
    try:
        main(snakemake, log)
    except LrsweepError as exc:
        log.error("%s\n%s", exc, traceback.format_exc())
        print(f"lrsweep: {exc}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        log.error("unexpected error\n%s", traceback.format_exc())
        print(f"lrsweep: {type(exc).__name__}: {exc} (traceback in {log_path})", file=sys.stderr)
        sys.exit(1)
    exit_now()


def exit_now() -> None:
    """End a rule script's process without the interpreter's teardown.

    With scikit-learn, statsmodels and pandas loaded, Python spent 0.4 s tearing its modules
    down after the script's last line (measured), on every job. A rule script's results are
    files it has closed; the log is flushed and closed here, then the process exits 0.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def end_without_waiting() -> None:
    """Cancel the timers Snakemake's scheduler left running, so that the run ends with its work.

    Snakemake 9's scheduler arms a one-second ``threading.Timer`` (its job-rate limiter,
    ``--max-jobs-per-timespan``, default ``100/1s``) on every pass while jobs run. The timer
    is not a daemon thread, so the interpreter waited for the last one after "Elapsed time":
    measured 1.0-1.4 s added to every run that executed a job. The Snakefile calls this from
    its ``onsuccess``/``onerror`` hooks, when the scheduler has finished and the timers have
    nothing left to wake.
    """
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
