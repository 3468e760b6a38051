"""The benchmark's two contenders do the same work: on a tiny grid, the in-process baseline
and the workflow write identical metrics (timings aside)."""

import sys

import pandas as pd
import pytest
from conftest import EXAMPLE1, REPO, snakemake

sys.path.insert(0, str(REPO / "bench"))
from baseline import run_baseline  # noqa: E402

pytestmark = pytest.mark.slow


def test_baseline_and_workflow_give_identical_metrics(tmp_path):
    config = {
        "sweep": "tiny",
        "figures": False,
        "experiments": {
            "example1": EXAMPLE1,
            "iris": {
                "dataset": {"source": "sklearn", "name": "iris"},
                "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
                "standardize": True,
                "sklearn": {
                    "solver": ["lbfgs", "saga"],
                    "penalty": ["l1", "l2"],
                    "C": [0.1, 1.0],
                    "max_iter": 200,
                    "random_state": 0,
                },
            },
        },
    }
    timings = run_baseline(config, tmp_path / "baseline", n_jobs=2)
    assert timings["fits"] == 2 + 8
    assert snakemake(tmp_path / "workflow", config=config).returncode == 0
    a = pd.read_csv(tmp_path / "baseline/metrics.csv").drop(columns="fit_seconds")
    b = pd.read_csv(tmp_path / "workflow/results/tiny/latest/metrics.csv").drop(
        columns="fit_seconds"
    )
    assert len(a) == 10 and (a.status == "ok").sum() == 8  # lbfgs + l1 skipped twice
    pd.testing.assert_frame_equal(a, b)
