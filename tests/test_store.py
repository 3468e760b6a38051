"""run_batch(es): experiments' grid points, fitted in worker processes or in this one, alike."""

import json
from pathlib import Path

from conftest import prepared_bundled

from lrsweep.config import resolve_config
from lrsweep.data import save_prepared
from lrsweep.store import run_batch, run_batches


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


def test_one_pool_for_several_experiments_gives_each_its_own_results_and_manifest(tmp_path):
    wine = prepared_bundled("wine")
    save_prepared(wine, tmp_path / "prepared/wine")
    save_prepared(prepared_bundled("iris"), tmp_path / "prepared/iris")
    exp = {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"C": [0.1, 1.0]}}
    iris_points = resolve_config({"sweep": "t", "experiments": {"iris": exp}})["grids"]["iris"]
    wine_points = wine_grid()
    # iris has a stored result for C=1 already: only C=0.1 is new
    run_batch(tmp_path / "prepared/iris", iris_points[1:], tmp_path / "pool/iris", "code")
    wine_m, iris_m = run_batches(
        [
            (tmp_path / "prepared/wine", wine_points, tmp_path / "pool/wine", wine),
            (tmp_path / "prepared/iris", iris_points, tmp_path / "pool/iris", None),
        ],
        "code",
        n_jobs=2,
    )
    assert wine_m["fitted"] == [p["model_id"] for p in wine_points] and wine_m["reused"] == []
    assert iris_m["fitted"] == [iris_points[0]["model_id"]]
    assert iris_m["reused"] == [iris_points[1]["model_id"]]
    assert wine_m["data_key"] != iris_m["data_key"]
    # each experiment's results equal those of a job of its own
    alone = run_batch(tmp_path / "prepared/wine", wine_points, tmp_path / "alone", "code")
    assert len(alone["fitted"]) == 12
    assert results(tmp_path / "pool/wine", wine_points) == results(tmp_path / "alone", wine_points)


def test_every_module_a_fit_runs_is_in_the_fit_cache_key(tmp_path):
    """A stored fit is reused while its key matches; the key covers the code of FIT_MODULES.
    Every lrsweep module that fitting and scoring a point loads must be among them, or an edit
    of that module would leave stale results in place."""
    import subprocess
    import sys

    from lrsweep.versioning import FIT_MODULES

    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from conftest import prepared_bundled
from lrsweep.config import resolve_config
from lrsweep.data import save_prepared
from lrsweep.store import run_batch
exp = {{"dataset": {{"source": "sklearn", "name": "iris"}}, "sklearn": {{"solver": "lbfgs"}},
       "statsmodels": {{}}, "cv": {{"folds": 3, "repeats": 1}}}}
points = resolve_config({{"sweep": "t", "experiments": {{"iris": exp}}}})["grids"]["iris"]
save_prepared(prepared_bundled("iris"), {str(tmp_path / "prepared")!r})
run_batch({str(tmp_path / "prepared")!r}, points, {str(tmp_path / "fits")!r}, "c", n_jobs=1)
print(" ".join(m for m in sys.modules if m.startswith("lrsweep.")))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    loaded = {m.removeprefix("lrsweep.") + ".py" for m in proc.stdout.split()}
    assert {"models.py", "stats.py", "inference.py"} <= loaded
    assert loaded <= set(FIT_MODULES)


def test_a_store_deleted_by_hand_gets_a_one_line_error_that_says_how_to_rebuild_it(tmp_path):
    import shutil

    import pytest

    from lrsweep.aggregate import collect
    from lrsweep.errors import LrsweepError
    from lrsweep.store import write_manifest

    save_prepared(prepared_bundled("iris"), tmp_path / "prepared/iris")
    exp = {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"C": [0.1, 1.0]}}
    points = resolve_config({"sweep": "t", "experiments": {"iris": exp}})["grids"]["iris"]
    fits = tmp_path / "fits/iris"
    write_manifest(fits / "manifest.json", run_batch(tmp_path / "prepared/iris", points, fits, "c"))
    assert len(collect([fits / "manifest.json"], tmp_path / "fits")[0]) == 2

    shutil.rmtree(fits / points[0]["model_id"])
    with pytest.raises(LrsweepError) as raised:
        collect([fits / "manifest.json"], tmp_path / "fits")
    message = str(raised.value)
    assert message.startswith("experiment 'iris': ") and "\n" not in message
    assert points[0]["model_id"] in message and "--forcerun fit" in message
    (fits / "manifest.json").unlink()
    with pytest.raises(LrsweepError, match="manifest.json is missing .*--forcerun fit"):
        collect([fits / "manifest.json"], tmp_path / "fits")
