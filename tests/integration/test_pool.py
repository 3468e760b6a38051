"""The one worker pool: every start method runs picklable tasks with the job's context, one
BLAS thread in every worker, typed returns, and a bad start method is one line."""

from dataclasses import dataclass

import pytest

from lrsweep.errors import ConfigError
from lrsweep.workflow.pool import (
    START_METHOD_VARIABLE,
    TaskStatus,
    launch,
    start_method,
)


@dataclass(frozen=True)
class Square:
    """Reads the job's context (never a module-level dict of the parent)."""

    key: str

    def __call__(self, context):
        import os

        from threadpoolctl import threadpool_info

        blas = {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
        return context[self.key] ** 2, os.getpid(), blas


@dataclass(frozen=True)
class Broken:
    def __call__(self, context):
        raise IndexError("out of bounds")


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_every_start_method_runs_the_tasks_with_the_context(method, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # what Snakemake exports for --cores 2
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    context = {"a": 2, "b": 3, "c": 4}
    follow = []

    def on_done(ret):  # a follow-up task, run next
        follow.append(ret.task)
        return [Square("c")] if ret.task == Square("a") else []

    returns = launch([Square("a"), Broken(), Square("b")], context, 2, on_done, method=method)
    assert len(returns) == 4 and len(follow) == 4
    by_task = {r.task: r for r in returns}
    assert by_task[Broken()].status == TaskStatus.FAILED
    assert "IndexError: out of bounds" in by_task[Broken()].traceback
    values = {t.key: r.value for t, r in by_task.items() if r.status == TaskStatus.COMPLETED}
    assert {k: v[0] for k, v in values.items()} == {"a": 4, "b": 9, "c": 16}
    import os

    assert os.getpid() not in {v[1] for v in values.values()}  # ran in workers
    assert {n for v in values.values() for n in v[2]} <= {1}  # one BLAS thread each
    assert os.environ["OMP_NUM_THREADS"] == "2"  # the parent's environment restored


def test_one_worker_runs_the_tasks_here():
    import os

    [ret] = launch([Square("a")], {"a": 5}, 4)
    assert ret.status == TaskStatus.COMPLETED and ret.value[:2] == (25, os.getpid())


def test_the_start_method_comes_from_the_environment():
    assert start_method({}, "linux") == "fork"
    assert start_method({}, "darwin") == "spawn" and start_method({}, "win32") == "spawn"
    assert start_method({START_METHOD_VARIABLE: "forkserver"}, "linux") == "forkserver"
    assert start_method({START_METHOD_VARIABLE: "spawn"}, "linux") == "spawn"
    with pytest.raises(ConfigError) as raised:
        start_method({START_METHOD_VARIABLE: "thread"}, "linux")
    assert str(raised.value) == (
        "environment variable LRSWEEP_START_METHOD='thread': must be one of fork, spawn, "
        "forkserver (or unset)"
    )


def test_a_main_script_is_not_run_again_in_spawned_workers(tmp_path):
    """A rule script is the main module of its job: spawned workers must not run it again
    (it would run the whole job in each)."""
    import subprocess
    import sys

    marker = tmp_path / "runs"
    script = tmp_path / "job.py"
    script.write_text(
        "from lrsweep.workflow.pool import launch\n"
        "from test_pool import Square\n"
        f"with open({str(marker)!r}, 'a') as fh:\n"
        "    fh.write('run\\n')\n"
        "out = launch([Square('a'), Square('b')], {'a': 2, 'b': 3}, 2, method='spawn')\n"
        "print(sorted(r.value[0] for r in out))\n"
    )
    import os

    env = {**os.environ, "PYTHONPATH": os.path.dirname(__file__)}
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[4, 9]"
    assert marker.read_text() == "run\n"  # once: the workers did not run it


@dataclass(frozen=True)
class Unpicklable:
    def __call__(self, context):
        return lambda: None  # cannot be sent back to the parent


def test_a_value_that_cannot_come_back_is_that_tasks_failure():
    returns = launch([Unpicklable(), Square("a")], {"a": 3}, 2, method="fork")
    by_task = {type(r.task): r for r in returns}
    assert by_task[Unpicklable].status == TaskStatus.FAILED
    assert "pickle" in by_task[Unpicklable].traceback.lower()
    assert by_task[Square].value[0] == 9
