"""Real workflow runs with warm C paths: one version name and the same numbers whatever the
cores or the cutting of jobs, and adding a C fits only the points whose path changed."""

from __future__ import annotations

import copy
import json
import os

import pandas as pd

from tests.conftest import snakemake

LBFGS = "sk_lbfgs_l2_C{}_rs0"


def config(Cs: list[float]) -> dict:
    return {
        "sweep": "warm",
        "figures": False,
        "bootstrap": {"resamples": 0},
        "experiments": {
            "synth": {
                "dataset": {
                    "source": "synthetic",
                    "n_samples": 20_000,
                    "n_features": 20,
                    "n_informative": 10,
                    "random_state": 0,
                },
                "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
                "standardize": True,
                "C_path": "warm",
                "cv": {"folds": 3},
                "sklearn": [
                    {"solver": "lbfgs", "C": Cs},
                    {"solver": "liblinear", "C": [0.1, 1.0]},  # cold: liblinear
                ],
            },
        },
    }


def version(workdir):
    return (workdir / "results/warm/latest").resolve()


def metrics(workdir) -> pd.DataFrame:
    return pd.read_csv(version(workdir) / "metrics.csv").drop(columns=["fit_seconds"])


def fitted(workdir) -> list[str]:
    """The grid points the latest fit job fitted (its token)."""
    tokens = sorted((workdir / "results/warm/store/jobs/fit").glob("*.json"), key=os.path.getmtime)
    return json.loads(tokens[-1].read_text())["fitted"]


def path_files(workdir) -> dict[str, bytes]:
    fits = version(workdir) / "fits/synth"
    return {f"{p.parent.name}/{p.name}": p.read_bytes() for p in sorted(fits.glob("*/path_*.npy"))}


def run(workdir, cfg, *args, cores="2"):
    proc = snakemake(workdir, *args, "--cores", cores, config=cfg)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def assert_sklearns_own_warm_start(workdir, cfg: dict, Cs: list[float]) -> None:
    """Each lbfgs point's estimates are those of scikit-learn's own warm start (one
    ``LogisticRegression(warm_start=True)`` refitted at each C, ascending) on the
    experiment's training rows, bit for bit; a cold fit's differ."""
    import warnings

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from lrsweep.config.resolve import resolve_config
    from lrsweep.prepare.design import prepare_experiment

    sweep = resolve_config(cfg)
    prepared = prepare_experiment("synth", sweep["config"]["experiments"]["synth"])
    X, y = prepared.X_train, prepared.y_train
    fits = version(workdir) / "fits/synth"
    model = LogisticRegression(solver="lbfgs", l1_ratio=0.0, random_state=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, C in enumerate(sorted(Cs)):
            model.set_params(C=C).fit(X, y)
            expected = np.column_stack([model.intercept_, model.coef_])
            name = LBFGS.format(f"{C:g}")
            stored = np.load(fits / name / "path_estimates.npy")
            assert np.array_equal(stored, expected), name
            if i:
                cold = LogisticRegression(solver="lbfgs", l1_ratio=0.0, C=C, random_state=0)
                cold.fit(X, y)
                assert not np.array_equal(stored, np.column_stack([cold.intercept_, cold.coef_]))


def test_a_warm_path_is_one_set_of_bytes_whatever_the_cores_and_jobs(tmp_path):
    base = config([0.01, 0.1, 1.0])
    one, two, shards = tmp_path / "one", tmp_path / "two", tmp_path / "shards"
    run(one, base, cores="1")
    run(two, base, cores="2")
    run(shards, base, "--config", "fit_jobs=shard", "shard_minutes=0.0001", cores="2")
    assert version(one).name == version(two).name == version(shards).name
    pd.testing.assert_frame_equal(metrics(one), metrics(two))
    pd.testing.assert_frame_equal(metrics(one), metrics(shards))
    files = path_files(one)
    # the lbfgs path's points keep where the next starts (CV folds too); liblinear's none
    assert sorted(files) == sorted(
        f"{LBFGS.format(c)}/{name}"
        for c in ("0.01", "0.1", "1")
        for name in ("path_estimates.npy", "path_cv_estimates.npy")
    )
    assert path_files(two) == files == path_files(shards)
    assert_sklearns_own_warm_start(one, base, [0.01, 0.1, 1.0])
    # the shard run had more than one fit job, and the path was never cut
    assert len(list((shards / "results/warm/store/jobs/fit").glob("*.json"))) > 1

    # adding a C above all others fits only that point
    run(two, config([0.01, 0.1, 1.0, 10.0]))
    assert fitted(two) == [LBFGS.format("10")]
    # one in the middle fits it and again the points of larger C (their path changed)
    run(two, config([0.01, 0.1, 0.5, 1.0, 10.0]))
    assert fitted(two) == sorted(LBFGS.format(c) for c in ("0.5", "1", "10"))
    # and the numbers are those of a run from scratch
    fresh = tmp_path / "fresh"
    run(fresh, config([0.01, 0.1, 0.5, 1.0, 10.0]))
    assert version(fresh).name == version(two).name
    pd.testing.assert_frame_equal(metrics(fresh), metrics(two))
    assert path_files(fresh) == path_files(two)


def test_a_warm_path_point_found_missing_is_fitted_from_its_stored_predecessor(tmp_path):
    """An entry removed by hand from the middle of a path is fitted again (here by the score
    job of a new version, which finds it missing) from the stored point below it: the same
    bytes as before."""
    import shutil

    cfg = config([0.01, 0.1, 1.0])
    run(tmp_path, cfg)
    before = path_files(tmp_path)
    grid = json.loads((version(tmp_path) / "grid.json").read_text())
    [key] = [p["key"] for p in grid["synth"] if p["model_id"] == LBFGS.format("0.1")]
    entry = tmp_path / "results/warm/store/fits" / key
    shutil.rmtree(entry)
    changed = copy.deepcopy(cfg)
    changed["bootstrap"] = {"resamples": 0, "random_state": 1}  # scores only: a new version
    run(tmp_path, changed)
    assert entry.is_dir()
    assert path_files(tmp_path) == before
