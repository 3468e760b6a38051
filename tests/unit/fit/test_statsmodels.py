"""statsmodels fits: the tutorial's summary numbers, failures a person understands, and
agreement with scikit-learn."""

import numpy as np

from lrsweep.config.grid import expand_experiment
from lrsweep.config.resolve import resolve_config
from lrsweep.fit.sklearn import fit_grid_point
from lrsweep.prepare.design import prepare_experiment
from tests.conftest import EXAMPLE1


def prepared_for(name, exp):
    sweep = resolve_config({"sweep": "t", "experiments": {name: exp}})
    return prepare_experiment(name, sweep["config"]["experiments"][name])


def sm_point(name, **spec):
    return [p for p in expand_experiment(name, {"statsmodels": spec})][0]


def test_perfect_separation_fails_with_a_reason():
    r = fit_grid_point(prepared_for("example1", EXAMPLE1), sm_point("example1"))
    assert r["status"] == "failed"
    assert r["reason"].startswith("perfect separation: ")
    assert "PerfectSeparation" in r["traceback"]


IRIS = {
    "dataset": {"source": "sklearn", "name": "iris"},
    "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
    "standardize": True,
}


def test_quasi_complete_separation_is_detected_and_marked():
    """iris: setosa is separable from the others, so MNLogit's MLE does not exist; statsmodels
    returns estimates with standard errors of 1e5 and more and p = 1."""
    r = fit_grid_point(prepared_for("iris", IRIS), sm_point("iris"))
    assert r["status"] == "separated"
    assert r["reason"].startswith("quasi-complete (class 0 against the others) separation")


def test_separation_test_agrees_with_a_direct_check():
    from lrsweep.fit.statsmodels import separation

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    y = (x[:, 0] > 0).astype(int)
    design = np.column_stack([np.ones(60), x])
    assert separation(design, y, 2) == "complete"
    y_q = y.copy()
    x_q = x.copy()
    x_q[:2] = [0.0, 0.5]  # two equal rows on the boundary, one of each class: quasi-complete
    y_q[:2] = [0, 1]
    assert separation(np.column_stack([np.ones(60), x_q]), y_q, 2) == "quasi-complete"
    noisy = np.where(rng.random(60) < 0.2, 1 - y, y)
    assert separation(design, noisy, 2) is None


def test_mnlogit_for_three_classes():
    exp = {
        "dataset": {
            "source": "synthetic",
            "n_samples": 600,
            "n_features": 4,
            "n_informative": 3,
            "n_classes": 3,
            "class_sep": 0.5,
        },
        "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
        "standardize": True,
    }
    r = fit_grid_point(prepared_for("syn", exp), sm_point("syn"))
    assert r["status"] == "ok" and r["converged"]
    assert r["coef_classes"] == [1, 2] and r["estimates"].shape == (2, 5)
    assert r["inference"]["ci_low"].shape == (2, 5)


def test_summaries_are_the_same_bytes_on_any_day(monkeypatch):
    """statsmodels prints the clock into summary() and summary2(); lrsweep blanks it, column
    widths kept, so that a version made again another day holds the same summary files."""
    import datetime
    import time

    import statsmodels.iolib.summary2

    from tests.conftest import EXAMPLE2

    prepared = prepared_for("example2", EXAMPLE2)
    texts = []
    for day in (datetime.datetime(2031, 3, 4, 5, 6, 7), datetime.datetime(2032, 8, 9, 10, 11, 12)):

        class Clock(datetime.datetime):
            moment = day

            @classmethod
            def now(cls, tz=None):
                return cls.moment

        monkeypatch.setattr(time, "localtime", lambda *a, day=day: day.timetuple())
        monkeypatch.setattr(statsmodels.iolib.summary2.datetime, "datetime", Clock)
        r = fit_grid_point(prepared, sm_point("example2"))
        assert r["status"] == "ok"
        texts.append((r["summary"], r["summary2"]))
        for text in texts[-1]:
            assert str(day.year) not in text and day.strftime("%H:%M") not in text
    monkeypatch.undo()
    assert texts[0] == texts[1]
    summary = texts[0][0]
    # the table is still statsmodels' table: its rows keep their width, the others their values
    rows = summary.splitlines()[2:9]
    assert len({len(line) for line in rows}) == 1 and "Pseudo R-squ.:" in summary
    assert any(line.startswith(" " * 20) and "Pseudo R-squ.:" in line for line in rows)
