"""run_batch: one experiment's grid points, fitted in worker processes or in this one, alike."""

import json

from conftest import prepared_bundled

from lrsweep.config import resolve_config
from lrsweep.data import save_prepared
from lrsweep.store import run_batch


def wine_grid():
    exp = {
        "dataset": {"source": "sklearn", "name": "wine"},
        "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
        "standardize": True,
        # max_iter 3 stops most fits early: their ConvergenceWarning must be recorded by the
        # worker that fitted them, not by a neighbour
        "sklearn": {
            "solver": ["lbfgs", "saga"],
            "C": [0.01, 1.0, 100.0],
            "max_iter": [3, 500],
            "random_state": 0,  # saga draws its sample order from it
        },
    }
    return resolve_config({"sweep": "t", "experiments": {"wine": exp}})["grids"]["wine"]


def results(folder, points):
    out = {}
    for p in points:
        record = json.loads((folder / p["model_id"] / "result.json").read_text())
        record.pop("fit_seconds")
        out[p["model_id"]] = record
    return out


def test_forked_workers_and_a_single_process_write_the_same_results(tmp_path):
    prepared = prepared_bundled("wine")
    save_prepared(prepared, tmp_path / "prepared")
    points = wine_grid()
    parallel = run_batch(
        tmp_path / "prepared", points, tmp_path / "parallel", "code", n_jobs=2, prepared=prepared
    )
    serial = run_batch(tmp_path / "prepared", points, tmp_path / "serial", "code", n_jobs=1)
    assert len(parallel["fitted"]) == len(serial["fitted"]) == len(points) == 12
    a, b = results(tmp_path / "parallel", points), results(tmp_path / "serial", points)
    assert a == b
    converged = [r["converged"] for r in a.values()]
    assert True in converged and False in converged

    again = run_batch(tmp_path / "prepared", points, tmp_path / "parallel", "code", n_jobs=2)
    assert again["fitted"] == [] and len(again["reused"]) == 12
