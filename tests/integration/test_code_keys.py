"""Code keys against the modules each stage really loads, in a fresh interpreter: every module
a stage runs is in its key; the tools left out of the version key are not used to make one."""

import os
import subprocess
import sys
import textwrap

from lrsweep.store import keys
from tests.conftest import REPO


def loaded_modules(script: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stderr
    return {m.removeprefix("lrsweep.") for m in proc.stdout.split() if m.startswith("lrsweep.")}


def test_every_module_a_stage_runs_is_in_its_key():
    """A stored result is reused while its key matches. Every lrsweep module that preparing
    and fitting a point loads must be in the key of its fit, and every module that scoring it
    loads in the key of its scores (which holds the fit's key), or be one that cannot change
    it, or an edit of it would leave stale results in place. Fitting loads no scoring module:
    an edit of the scoring code refits nothing."""
    script = """
        import sys
        from tests.conftest import REPO, prepared_bundled
        from lrsweep.config.resolve import resolve_config
        from lrsweep.fit.record import fit_files, fit_point
        prepared = prepared_bundled("iris")
        exp = {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"solver": "lbfgs"},
               "statsmodels": {}, "cv": {"folds": 3, "repeats": 1}}
        for point in resolve_config({"sweep": "t", "experiments": {"iris": exp}})["grids"]["iris"]:
            fitted = fit_point(prepared, point)
            fit_files(fitted, prepared)
            SCORE
        print(" ".join(m for m in sys.modules))
        """
    fitting = loaded_modules(script.replace("SCORE", "pass"))
    assert {"fit.sklearn", "fit.statsmodels", "fit.record"} <= fitting
    common = {
        *keys.modules_of(keys.PREPARE_CODE),
        *keys.modules_of(keys.NEUTRAL_CODE),
        "config.resolve",  # the test reads a config to build its grid points: not the stage's
    }
    fit_code = {*common, *keys.modules_of(keys.FIT_CODE)}
    assert fitting <= fit_code, fitting - fit_code
    assert not fitting & set(keys.modules_of(keys.SCORE_CODE)), "fitting loads scoring code"
    scoring = loaded_modules(
        script.replace(
            "SCORE",
            "from lrsweep.score.record import score, score_files; "
            "score_files(score(fitted, prepared), prepared)",
        )
    )
    assert {"score.record", "score.intervals", "score.metrics"} <= scoring
    allowed = {*fit_code, *keys.modules_of(keys.SCORE_CODE)}
    assert scoring <= allowed, scoring - allowed


def test_every_module_each_kind_of_figure_runs_is_in_its_key():
    """A fit's figures and an experiment's overview figures are keyed by the code each runs
    (imported as the fit and publish jobs import them, and drawn): every lrsweep module it
    loads is in its key, and the per-fit figures load none of the overview's modules (so an
    edit of the overview redraws no fit's figures)."""
    per_fit = loaded_modules(  # a one-feature fit: its confusion matrix and tutorial figure
        """
        import sys
        from types import SimpleNamespace
        import numpy as np, pandas as pd
        from lrsweep.results.figures import draw_fit_figures
        prepared = SimpleNamespace(
            class_names=["a", "b"], meta={}, X_train=np.arange(6.0)[:, None],
            y_train=np.array([0, 0, 1, 0, 1, 1]), feature_names=["x"],
        )
        record = {"library": "sklearn", "model_id": "m", "solver": "lbfgs", "penalty": "l2",
                  "C": 1.0, "confusion_test": [[2, 1], [0, 3]], "scores": {"accuracy_test": 0.8}}
        coefs = pd.DataFrame({"term": ["intercept", "x"], "estimate": [-2.0, 0.8]})
        assert set(draw_fit_figures(record, coefs, prepared, "e")) == {
            "confusion.png", "tutorial.png"}
        print(" ".join(m for m in sys.modules))
        """
    )
    fit_key = set(keys.modules_of(keys.FIT_FIGURE_CODE))
    assert "results.figures._confusion" in per_fit
    allowed = {*fit_key, *keys.modules_of(keys.NEUTRAL_CODE)}
    assert per_fit <= allowed, per_fit - allowed
    overview_only = set(keys.modules_of(keys.OVERVIEW_CODE)) - fit_key
    assert "results.figures._overview" in overview_only and not per_fit & overview_only
    overview = loaded_modules(
        """
        import sys
        from lrsweep.results.figures import draw_overview
        print(" ".join(m for m in sys.modules))
        """
    )
    assert {"results.figures._overview", "results.figures._grid"} <= overview
    allowed = {*keys.modules_of(keys.OVERVIEW_CODE), *keys.modules_of(keys.NEUTRAL_CODE)}
    assert overview <= allowed, overview - allowed


def test_the_tools_left_out_of_the_version_key_are_not_used_to_make_a_version():
    loaded = loaded_modules(
        """
        import sys
        import lrsweep.workflow.plan, lrsweep.workflow.publish, lrsweep.workflow.jobs
        import lrsweep.results.tables, lrsweep.results.figures
        print(" ".join(m for m in sys.modules))
        """
    )
    tools = {m for m in keys.all_modules() if any(keys.in_unit(m, u) for u in keys.TOOL_CODE)}
    assert tools & loaded <= {"workflow.progress"}  # progress only prints
