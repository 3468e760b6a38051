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


def test_a_successful_job_exits_at_once_with_its_log_and_files_complete(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "job.py"
    script.write_text(
        "from types import SimpleNamespace\n"
        "from lrsweep.smk import run\n"
        "def main(snakemake, log):\n"
        "    open(snakemake.output[0], 'w').write('done')\n"
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
    assert "x" * 100_000 in (tmp_path / "job.log").read_text()
