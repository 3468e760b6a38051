"""The benchmark's contenders do the same work: on a tiny grid, the in-process baseline and
the workflow write identical metrics (timings aside); the peers' configurations of issue #29
run end to end in quick mode, with lrsweep's numbers checked against scikit-learn's own
(nothing here is timed)."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import EXAMPLE1, REPO, snakemake

sys.path.insert(0, str(REPO / "bench"))
from baseline import run_baseline  # noqa: E402
from peers import candidates, check_accuracies, check_cv_means  # noqa: E402
from run import cv_config, peers_config  # noqa: E402


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


@pytest.fixture(scope="module")
def quick_bench(tmp_path_factory):
    """``bench/run.py --quick`` of the peers' sweep and the CV sweep (LogisticRegressionCV
    too), once, in a work folder."""
    work = tmp_path_factory.mktemp("bench")
    cmd = [sys.executable, str(REPO / "bench/run.py"), "--quick", "--repeats", "1"]
    proc = subprocess.run(
        [*cmd, "--only", "peers", "--only", "cv", "--lrcv", "--work", str(work)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return work


def test_quick_bench_runs_both_peer_configurations(quick_bench):
    """The quick mode runs every contender once, checks their numbers (or it would have
    failed) and reports into the work folder, not into bench/."""
    parts = json.loads((quick_bench / "results.json").read_text())
    assert set(parts) == {"peers", "cv"}
    peers, cv = parts["peers"], parts["cv"]
    assert set(peers["times"]) == {"loop", "figures_off", "default"}
    assert peers["experiments"] == 4 and peers["fits"] == 4 * 2 and peers["pngs"] > 0
    assert set(cv["times"]) == {"gridsearch", "lrsweep", "lrcv"}
    # 3 datasets x (lbfgs, liblinear) x (l1, l2) x 2 C; lbfgs has no l1
    assert cv["points"] == 3 * 4 * 2 and cv["fits"] == 3 * 3 * 2
    assert cv["max_diff"] <= 1e-9
    text = (quick_bench / "RESULTS.md").read_text()
    assert "## The peers' sweep: 8 fits" in text and "## The CV sweep: 24 grid points" in text
    assert "Quick mode" in text


def quick_tables(work):
    metrics = pd.read_csv(work / "cv/results/cv/latest/metrics.csv")
    return metrics, json.loads((work / "cv_gridsearch.json").read_text())


def test_cv_means_are_grid_search_cvs_mean_test_score(quick_bench):
    """lrsweep's cv_accuracy_mean (metrics.csv) against GridSearchCV's mean_test_score on the
    same folds, digits' liblinear one-vs-rest included: equal to 1e-9 at every fitted point,
    and the check fails on a mean that is off by 1e-8 or on a point one side lacks."""
    metrics, rows = quick_tables(quick_bench)
    assert {r["experiment"] for r in rows} == {"breast_cancer", "digits", "synthetic"}
    assert check_cv_means(metrics, rows) <= 1e-9
    off = metrics.copy()
    fitted = off.index[off["status"] == "ok"]
    off.loc[fitted[3], "cv_accuracy_mean"] += 1e-8
    with pytest.raises(AssertionError, match="mean_test_score"):
        check_cv_means(off, rows)
    with pytest.raises(AssertionError, match="different grid points"):
        check_cv_means(metrics, rows[1:])


def test_lrsweeps_accuracies_are_the_loops(quick_bench):
    metrics = pd.read_csv(quick_bench / "peers/results/peers/latest/metrics.csv")
    rows = json.loads((quick_bench / "peers_loop.json").read_text())
    assert check_accuracies(metrics, rows) == 8
    rows[0] = {**rows[0], "accuracy_test": rows[0]["accuracy_test"] - 0.01}
    with pytest.raises(AssertionError, match="accuracy_test"):
        check_accuracies(metrics, rows)


def test_the_full_configurations_are_issue_29s():
    """The 96-fit sweep is 12 experiments of 8 C; the CV sweep 3 datasets x 4 families x 10 C
    (120 grid points; the 30 lbfgs l1 ones skipped, as the peers leave them out)."""
    from lrsweep.config.resolve import resolve_config

    for config, experiments, points, fitted in (
        (peers_config(), 12, 96, 96),
        (cv_config(), 3, 120, 90),
    ):
        grids = resolve_config(config)["grids"]
        listed = [p for grid in grids.values() for p in grid]
        assert len(grids) == experiments and len(listed) == points
        assert sum(p.get("status") != "skipped" for p in listed) == fitted
        peer = sum(len(candidates(e["sklearn"])) for e in config["experiments"].values())
        assert peer == fitted
    assert {len(g) for g in resolve_config(peers_config())["grids"].values()} == {8}
