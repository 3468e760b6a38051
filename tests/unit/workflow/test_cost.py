"""The rough cost model (lrsweep.workflow.cost): statsmodels' estimates grow with the
features as its fits do, and a wide statsmodels point is estimated near its measured time."""

import numpy as np
import pytest

from lrsweep.config.grid import expand_experiment
from lrsweep.config.resolve import resolve_config
from lrsweep.workflow.cost import experiment_seconds
from tests.conftest import planned


def synthetic(rows, features, **grids):
    return {
        "dataset": {
            "source": "synthetic",
            "n_samples": rows,
            "n_features": features,
            "n_informative": 5,
            "random_state": 0,
        },
        "split": {"test_size": 0.2, "random_state": 0, "stratify": True},
        "standardize": True,
        **grids,
    }


def estimate(rows, features, grids):
    exp = resolve_config({"sweep": "t", "experiments": {"e": synthetic(rows, features, **grids)}})
    exp = exp["config"]["experiments"]["e"]
    return experiment_seconds(exp, expand_experiment("e", grids))


def test_doubling_the_features_at_least_quadruples_a_newton_estimate():
    """Newton's Hessian costs n p^2 an iteration and its solve p^3: twice the features, four
    times the work. scikit-learn's solvers cost n p an iteration: twice."""
    sm = {"statsmodels": {"method": "newton"}}
    assert estimate(5000, 800, sm) >= 4 * estimate(5000, 400, sm)
    sk = {"sklearn": {"solver": "lbfgs", "C": 1.0}}
    assert estimate(5000, 800, sk) == pytest.approx(2 * estimate(5000, 400, sk))


def test_a_wide_csv_is_estimated_from_its_header(tmp_path):
    """A csv's shape is guessed from its size and its header's columns, so 3,000 features
    for 200 rows are not taken for 60,000 rows of 10 features."""
    from lrsweep.workflow.cost import file_shape

    rng = np.random.default_rng(0)
    names = [f"f{j}" for j in range(3000)]
    lines = [",".join([*names, "y"])]
    lines += [
        ",".join(f"{v:.3f}" for v in row) + f",{i % 2}"
        for i, row in enumerate(rng.normal(size=(200, 3000)))
    ]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n")
    dataset = {"source": "csv", "path": str(path), "target": "y"}
    rows, features, classes = file_shape(dataset)
    assert features == 3000 and classes == 2
    assert 200 / 3 < rows < 200 * 3  # 8 bytes a value guessed, about 6.5 written
    picked = file_shape({**dataset, "features": names[:10]})
    assert picked[1] == 10


def test_the_runs_estimate_counts_each_points_own_cost():
    """The line 'estimated ... of one core' for a statsmodels point alone is that point's
    estimate, not a share of its experiment's by scikit-learn's relative costs."""
    from lrsweep.workflow.progress import duration
    from lrsweep.workflow.state import _estimate

    grids = {
        "sklearn": {"solver": "lbfgs", "C": [0.1, 1.0, 10.0]},
        "statsmodels": {"method": "newton"},
    }
    plan = planned({"e": synthetic(10000, 1000, **grids)})
    e = plan.experiments["e"]
    sm = [p for p in e["points"] if p["library"] == "statsmodels"]
    alone = experiment_seconds(e["exp"], sm)
    assert alone > 5  # 1,001 terms, 8,000 rows: n p^2 is 8e9, about 1 s an iteration
    assert _estimate(plan, sm) == f", estimated {duration(alone)} of one core"
