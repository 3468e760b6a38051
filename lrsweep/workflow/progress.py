"""Progress of a job's grid points, for the terminal and the job's log.

A fit job runs many grid points in one process, so Snakemake alone would show "1 of 4 steps"
and nothing more until the job ends. :class:`Progress` prints how many points are done, how
many failed, and an estimate of the time left: every couple of seconds on a terminal, every
ten seconds where the output is a file (a cluster job's log, a CI log), and always in the
job's log.
"""

from __future__ import annotations

import sys
import time


def duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    def __init__(
        self, total: int, name: str, log=None, stream=None, clock=time.monotonic, work=None
    ):
        """``work``: the points' estimated work in all (any unit; :meth:`step` is told each
        point's), so that the time left is the work left at the pace so far. A job runs its
        longest points first: counting points instead would promise far too long at first."""
        self.total, self.name, self.log = total, name, log
        self.work = float(total if work is None else work)
        self.work_done = 0.0
        self.stream = stream or sys.stderr
        self.clock = clock
        self.start = self.last_print = self.last_log = clock()
        self.done = self.failed = 0
        tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.print_every = 2.0 if tty else 10.0
        self.log_every = 10.0

    def line(self) -> str:
        elapsed = self.clock() - self.start
        text = f"lrsweep: {self.name}: {self.done}/{self.total} grid points fitted"
        text += f", {self.failed} failed" if self.failed else ""
        if self.done and self.done < self.total:
            if self.work_done > 0 and self.work > self.work_done:
                left = elapsed / self.work_done * (self.work - self.work_done)
            else:
                left = elapsed / self.done * (self.total - self.done)
            text += f", about {duration(left)} left"
        elif self.done == self.total:
            text += f" in {duration(elapsed)}"
        return text

    def step(self, failed: bool = False, work: float = 1.0) -> None:
        """One more grid point done (or failed), of estimated ``work``."""
        self.done += 1
        self.work_done += work
        self.failed += bool(failed)
        self.tick()

    def tick(self) -> None:
        """Print the state if it is time to (also called while waiting, with nothing done)."""
        if not self.total:
            return  # a job with nothing to fit (figures only) has no progress to show
        now = self.clock()
        if now - self.last_print >= self.print_every and self.done < self.total:
            self._print()
            self.last_print = now
        if self.log and now - self.last_log >= self.log_every:
            self.log.info("%s", self.line())
            self.last_log = now

    def _print(self) -> None:
        print(self.line(), file=self.stream, flush=True)

    def finish(self) -> None:
        """The last line, once the job has taken long enough to have shown any."""
        if not self.total:
            return
        if self.clock() - self.start >= self.print_every:
            self._print()
        if self.log:
            self.log.info("%s", self.line())
