"""The glue between rule scripts / the Snakefile and the package."""

import threading
from types import SimpleNamespace

import pytest

from lrsweep.errors import LrsweepError
from lrsweep.workflow.smk import end_without_waiting, run


def test_run_turns_a_known_error_into_one_line_and_exit_1(tmp_path, capsys):
    log = tmp_path / "job.log"

    def main(snakemake, log):
        raise LrsweepError("experiment 'x': key 'C': -1 is not > 0")

    with pytest.raises(SystemExit) as exit_info:
        run(SimpleNamespace(log=[str(log)]), main)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err == f"lrsweep: experiment 'x': key 'C': -1 is not > 0 (details: {log})\n"
    assert "Traceback" in log.read_text()  # the traceback stays in the rule's log


def test_end_without_waiting_cancels_only_the_schedulers_timers():
    class JobScheduler:  # the shape of Snakemake's: a Timer armed by this method's lambda
        def _schedule_reevalutation(self):
            return threading.Timer(30, lambda: None)

    theirs = JobScheduler()._schedule_reevalutation()
    ours = threading.Timer(30, lambda: None)
    theirs.start()
    ours.start()
    try:
        end_without_waiting()
        theirs.join(timeout=5)
        assert not theirs.is_alive() and ours.is_alive()
    finally:
        ours.cancel()


def test_a_job_that_ends_fast_loses_nothing(tmp_path):
    """exit_when_done skips the modules' teardown: the log, an output file, a file never
    closed, stdout and an atexit handler must all be whole."""
    import subprocess
    import sys

    script = tmp_path / "job.py"
    script.write_text(
        "import atexit\n"
        "from types import SimpleNamespace\n"
        "from lrsweep.workflow.smk import run\n"
        "def main(snakemake, log):\n"
        "    open(snakemake.output[0], 'w').write('done')\n"
        "    global forgotten\n"
        f"    forgotten = open({str(tmp_path / 'open.txt')!r}, 'w')\n"
        "    forgotten.write('y' * 5000)\n"
        f"    atexit.register(lambda: open({str(tmp_path / 'atexit.txt')!r}, 'w').write('ran'))\n"
        "    log.info('x' * 100_000)\n"
        "    print('to stdout', end='')\n"
        f"run(SimpleNamespace(log=[{str(tmp_path / 'job.log')!r}], "
        f"output=[{str(tmp_path / 'out.txt')!r}]), main)\n"
        "raise SystemExit('never reached')\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "to stdout"
    assert (tmp_path / "out.txt").read_text() == "done"
    assert (tmp_path / "open.txt").read_text() == "y" * 5000
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert "x" * 100_000 in (tmp_path / "job.log").read_text()
