"""Progress lines of a fit job: points done, failures, time left; not flooding a log."""

import io
import logging

from lrsweep.workflow.progress import Progress, duration


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_line_every_ten_seconds_into_a_file_with_the_time_left(caplog):
    clock, out = Clock(), io.StringIO()
    progress = Progress(100, "pack", logging.getLogger("t"), stream=out, clock=clock)
    for i in range(100):
        clock.now += 0.5
        progress.step(failed=i % 10 == 0)
    progress.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 5  # 50 s of work: a line every 10 s, and the last one
    assert lines[0] == "lrsweep: pack: 20/100 grid points fitted, 2 failed, about 40 s left"
    assert lines[-1] == "lrsweep: pack: 100/100 grid points fitted, 10 failed in 50 s"


def test_the_time_left_follows_the_estimated_work_not_the_count_of_points():
    # Longest first, as a fit job runs them: one point of 30 units of work, then ten of 1.
    clock, out = Clock(), io.StringIO()
    progress = Progress(11, "big", stream=out, clock=clock, work=40)
    clock.now += 30
    progress.step(work=30)
    assert progress.line() == "lrsweep: big: 1/11 grid points fitted, about 10 s left"
    for _ in range(5):
        clock.now += 1
        progress.step(work=1)
    assert progress.line() == "lrsweep: big: 6/11 grid points fitted, about 5 s left"


def test_a_terminal_gets_a_line_every_two_seconds_even_while_waiting():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    clock, out = Clock(), Tty()
    progress = Progress(3, "e", stream=out, clock=clock)
    for _ in range(5):  # a long fit: nothing done, the pool waits a second at a time
        clock.now += 1.0
        progress.tick()
    assert out.getvalue().splitlines() == ["lrsweep: e: 0/3 grid points fitted"] * 2


def test_nothing_to_fit_prints_nothing():
    clock, out = Clock(), io.StringIO()
    progress = Progress(0, "figures only", stream=out, clock=clock)
    clock.now += 60
    progress.tick()
    progress.finish()
    assert out.getvalue() == ""


def test_durations_read_as_a_person_says_them():
    assert [duration(s) for s in (3.4, 89, 90, 3725, 7200)] == [
        "3 s",
        "89 s",
        "1 min 30 s",
        "1 h 02 min",
        "2 h 00 min",
    ]
