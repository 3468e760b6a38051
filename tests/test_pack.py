"""Fit jobs: which experiments share one, and running one."""

import json
import logging

import pytest

from lrsweep.config import resolve_config
from lrsweep.errors import DataError


def resolved(experiments: dict) -> dict:
    return resolve_config({"sweep": "t", "experiments": experiments})


def test_fit_threads_small_work_takes_one_thread_other_work_many():
    from lrsweep.pack import pack_threads

    def threads(dataset, sklearn):
        sweep = resolved({"e": {"dataset": dataset, "sklearn": sklearn}})
        return pack_threads(["e"], sweep["config"]["experiments"], sweep["grids"])

    grid = {"solver": ["liblinear", "lbfgs", "saga"], "C": [0.01, 0.1, 1.0, 10.0]}
    assert threads({"source": "sklearn", "name": "iris"}, grid) == 1
    assert threads({"source": "sklearn", "name": "breast_cancer"}, {"solver": "lbfgs"}) == 1
    assert threads({"source": "sklearn", "name": "breast_cancer"}, BENCH_GRID) == 8
    assert threads({"source": "sklearn", "name": "digits"}, grid) == 8
    assert threads({"source": "csv", "path": "d.csv", "target": "y"}, {"solver": "lbfgs"}) == 8
    # a pack: the work of its experiments added up; unknown size (csv) in it: many
    iris = {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"solver": "lbfgs"}}
    csv = {"dataset": {"source": "csv", "path": "d.csv", "target": "y"}}
    sweep = resolved({"a": iris, "b": iris, "c": csv})
    assert pack_threads(["a", "b"], sweep["config"]["experiments"], sweep["grids"]) == 1
    assert pack_threads(["a", "c"], sweep["config"]["experiments"], sweep["grids"]) == 8
    many = resolved({f"e{i}": {**iris, "sklearn": grid} for i in range(30)})
    assert pack_threads(list(many["grids"]), many["config"]["experiments"], many["grids"]) == 8


BENCH_GRID = {  # digits' and breast_cancer's grid in bench/config.yaml
    "solver": ["liblinear", "lbfgs", "newton-cg", "saga"],
    "penalty": ["l1", "l2"],
    "C": [0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0],
}


def test_fit_packs_share_a_job_among_small_experiments_and_give_large_ones_their_own():
    from lrsweep.pack import fit_packs

    def packs(experiments, **limits):
        sweep = resolved(experiments)
        return fit_packs(sweep["config"]["experiments"], sweep["grids"], **limits)

    digits = {"dataset": {"source": "sklearn", "name": "digits"}, "sklearn": BENCH_GRID}
    iris = {"dataset": {"source": "sklearn", "name": "iris"}}
    csv = {"dataset": {"source": "csv", "path": "d.csv", "target": "y"}}

    def synthetic(rows, C=1.0):
        return {
            "dataset": {"source": "synthetic", "n_samples": rows, "n_features": 50},
            "sklearn": {"solver": ["lbfgs", "saga"], "C": C},
        }

    # the bench sweep: one job (its 19 new fits then share one pool, as in one process)
    bench = {"digits": digits, "breast": {**digits, "dataset": iris["dataset"]}}
    bench["synthetic"] = synthetic(200_000, C=[0.01, 1.0])
    assert packs(bench) == {"digits+breast+synthetic": ["digits", "breast", "synthetic"]}
    # unknown size (csv) or large data (1,000,000 x 50): a job of its own, in config order
    assert packs({"a": iris, "big": synthetic(1_000_000), "f": csv, "b": iris}) == {
        "a+b": ["a", "b"],
        "big": ["big"],
        "f": ["f"],
    }
    # large work: a job of its own; a pack is closed when its work reaches the limit
    assert list(packs(bench, own_work=3.5e8)) == ["digits", "breast", "synthetic"]
    assert list(packs({"a": digits, "b": digits, "c": digits}, own_work=1e9)) == ["a+b", "c"]
    # a long name is shortened; names never clash with an experiment's (no '+' allowed there)
    many = packs({f"experiment_{i:02d}": iris for i in range(12)})
    assert list(many) == ["experiment_00+11-more"]
    assert many["experiment_00+11-more"][-1] == "experiment_11"


def test_run_pack_fits_every_experiment_and_a_data_error_stops_only_its_own(tmp_path):
    from lrsweep.pack import run_pack

    one_class = {"source": "inline", "x": [[1.0], [2.0], [3.0]], "y": ["x", "x", "x"]}
    good = {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"C": [0.1, 1.0]}}
    sweep = resolved(
        {
            "bad": {"dataset": one_class, "split": "none"},
            "good": good,
            "also_bad": {"dataset": one_class, "split": "none"},
        }
    )
    pack_file = tmp_path / "results/t/packs/bad+good+also_bad.json"
    log = logging.getLogger("test")
    with pytest.raises(DataError) as raised:
        run_pack(sweep["config"]["experiments"], {"resamples": 0}, pack_file, "c", 1, log)
    lines = f"lrsweep: {raised.value}".splitlines()
    assert [line.split("'")[1] for line in lines] == ["bad", "also_bad"]
    assert all("key 'dataset.target': the target has a single class" in x for x in lines)
    manifest = json.loads((tmp_path / "results/t/fits/good/manifest.json").read_text())
    assert len(manifest["fitted"]) == 2  # the good experiment was fitted and kept
    assert not pack_file.exists()  # the job failed: Snakemake runs it again next time

    sweep = resolved({"good": {**good, "sklearn": {"C": [0.1, 1.0, 10.0]}}})
    manifests = run_pack(sweep["config"]["experiments"], {"resamples": 0}, pack_file, "c", 1, log)
    assert len(manifests["good"]["fitted"]) == 1 and len(manifests["good"]["reused"]) == 2
    assert json.loads(pack_file.read_text()) == {
        "good": str(tmp_path / "results/t/fits/good/manifest.json")
    }
