"""Every workable combination of solver, penalty and multi_class fits iris without a
deprecation warning."""

import warnings

import pytest

from lrsweep.config.grid import expand_experiment
from lrsweep.config.schema import vocabulary
from lrsweep.fit.sklearn import fit_grid_point
from tests.conftest import prepared_bundled


@pytest.fixture(scope="module")
def iris():
    return prepared_bundled("iris")


def test_every_workable_combination_fits_without_deprecation_warnings(iris):
    points = expand_experiment(
        "iris",
        {
            "sklearn": {
                "solver": list(vocabulary("solver")),
                "penalty": ["l1", "l2", "elasticnet", "none"],
                "l1_ratio": 0.5,
                "multi_class": ["ovr", "multinomial"],
                "C": 1.0,
                "max_iter": 2000,
                "random_state": 0,
            }
        },
    )
    fitted = 0
    for point in points:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            warnings.simplefilter("error", DeprecationWarning)
            warnings.filterwarnings("ignore", category=UserWarning)
            result = fit_grid_point(iris, point)
        assert result["status"] == point["status"].replace("pending", "ok"), result.get("reason")
        fitted += result["status"] == "ok"
    # per multi_class: l2 x 6 solvers + none x 5 + l1 x 2 + elasticnet x 1 = 14; liblinear is
    # ovr only, so multinomial loses its two liblinear points: 14 + 12
    assert fitted == 26
