"""The glue between rule scripts / the Snakefile and the package."""

import threading
import time
from types import SimpleNamespace

import pytest

from lrsweep.errors import LrsweepError
from lrsweep.smk import end_without_waiting, run


def test_end_without_waiting_cancels_a_pending_timer():
    fired = []
    timer = threading.Timer(30, lambda: fired.append(True))
    timer.start()
    start = time.monotonic()
    end_without_waiting()
    timer.join(timeout=5)
    assert not timer.is_alive() and time.monotonic() - start < 5
    assert fired == []


def test_run_turns_a_known_error_into_one_line_and_exit_1(tmp_path, capsys):
    log = tmp_path / "job.log"

    def main(snakemake, log):
        raise LrsweepError("experiment 'x': key 'C': -1 is not > 0")

    with pytest.raises(SystemExit) as exit_info:
        run(SimpleNamespace(log=[str(log)]), main)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err == "lrsweep: experiment 'x': key 'C': -1 is not > 0\n"
    assert "Traceback" in log.read_text()  # the traceback stays in the rule's log
