"""The cost model against real statsmodels fits timed on this machine."""

import time

import pytest

from lrsweep.config.grid import expand_experiment
from lrsweep.config.resolve import resolve_config
from lrsweep.fit.sklearn import fit_grid_point
from lrsweep.prepare.design import prepare_experiment
from lrsweep.workflow.cost import experiment_seconds
from tests.unit.workflow.test_cost import synthetic


def measured(rows, features):
    """(estimated, measured) seconds of the statsmodels MLE point, fitted as the job fits it
    (one BLAS thread), statsmodels imported beforehand."""
    import statsmodels.api  # noqa: F401
    from threadpoolctl import threadpool_limits

    grids = {"statsmodels": {"method": "newton"}}
    sweep = resolve_config({"sweep": "t", "experiments": {"e": synthetic(rows, features, **grids)}})
    exp = sweep["config"]["experiments"]["e"]
    prepared = prepare_experiment("e", exp)
    [point] = expand_experiment("e", grids)
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        result = fit_grid_point(prepared, point)
        seconds = time.perf_counter() - start
    return experiment_seconds(exp, [point]), seconds, result


@pytest.mark.parametrize("rows, features", [(250, 1500), (10000, 200)])
def test_a_statsmodels_estimate_is_within_a_factor_of_10_of_the_fit(rows, features):
    """Timings are noisy on a shared machine: the estimate only has to be the right size.
    1,501 terms for 200 training rows: decided by the rank (0.1 s), where the old estimate
    said 0.04 s and Newton took 4 s; 201 terms for 8,000 rows: 7 Newton iterations (0.3 s)."""
    est, seconds, result = measured(rows, features)
    assert est / 10 <= seconds <= est * 10, (est, seconds)
    if features > rows:
        assert result["status"] == "failed" and result["reason"].startswith(
            "perfect separation: 1,501 terms for 200 rows"
        )
