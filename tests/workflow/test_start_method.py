"""Real sweeps whose workers start by ``spawn`` (as on macOS and Windows) and by ``fork`` (the
Linux default) store the same numbers; the start method is named in the fit job's log, and a
bad ``LRSWEEP_START_METHOD`` stops the run with one line."""

import copy
from pathlib import Path

import pandas as pd

from tests.conftest import snakemake

#: Two experiments of several grid points each (so the fit, score and publish jobs each run
#: at least two tasks in two workers), one with cross-validation, figures on.
CONFIG = {
    "sweep": "methods",
    "experiments": {
        "iris": {
            "dataset": {"source": "sklearn", "name": "iris"},
            "cv": {"folds": 3, "repeats": 1, "random_state": 0},
            "split": {"test_size": 0.3, "random_state": 1, "stratify": True},
            "standardize": True,
            "sklearn": {"solver": ["lbfgs", "liblinear"], "C": [0.1, 1.0], "random_state": 0},
        },
        "digits": {  # big enough for the plan to give the job two cores
            "dataset": {"source": "sklearn", "name": "digits"},
            "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
            "standardize": True,
            "sklearn": {"solver": ["lbfgs", "liblinear"], "C": [0.01, 0.1], "max_iter": [5, 500]},
        },
    },
}


def run_with(workdir: Path, method: str):
    proc = snakemake(workdir, config=copy.deepcopy(CONFIG), env={"LRSWEEP_START_METHOD": method})
    assert proc.returncode == 0, proc.stderr[-4000:]
    [version] = [p for p in (workdir / "results/methods").iterdir() if p.name.startswith("v")]
    logs = {p.name: p.read_text() for p in (workdir / "results/methods/logs/fit").glob("*.log")}
    return pd.read_csv(version / "metrics.csv"), logs


def test_spawned_workers_give_the_metrics_of_forked_ones(tmp_path):
    forked, fork_logs = run_with(tmp_path / "fork", "fork")
    spawned, spawn_logs = run_with(tmp_path / "spawn", "spawn")
    assert len(spawned) == 12 and set(spawned["status"]) >= {"ok"}
    assert spawned["cv_accuracy_mean"].notna().sum() == 4
    pd.testing.assert_frame_equal(
        forked.drop(columns="fit_seconds"), spawned.drop(columns="fit_seconds")
    )
    assert fork_logs and spawn_logs
    for logs, method in ((fork_logs, "fork"), (spawn_logs, "spawn")):
        for text in logs.values():
            assert f"2 workers, start method {method}" in text, text


def test_a_bad_start_method_is_one_line(tmp_path):
    proc = snakemake(tmp_path, config=copy.deepcopy(CONFIG), env={"LRSWEEP_START_METHOD": "thread"})
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if "LRSWEEP_START_METHOD" in line]
    assert len(lines) == 1, proc.stderr[-3000:]  # one line, where the run stops
    assert lines[0].startswith(
        "lrsweep: environment variable LRSWEEP_START_METHOD='thread': must be one of fork, "
        "spawn, forkserver (or unset) (details: results/methods/logs/fit/"
    ), lines
