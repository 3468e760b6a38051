"""Warm-started C paths (``C_path``): which families are fitted warm, how their points are
keyed, and that a warm path gives the numbers of cold fits (at a tight tolerance) from real
scikit-learn fits, the same bytes whether the previous point was fitted in this run or read
back from the store."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from tests.conftest import planned

SOLVERS = ("lbfgs", "newton-cg", "newton-cholesky")


def synthetic(rows: int, features: int, sklearn: dict, **exp) -> dict:
    return {
        "dataset": {
            "source": "synthetic",
            "n_samples": rows,
            "n_features": features,
            "n_informative": min(features, 10),
            "random_state": 0,
        },
        "standardize": True,
        "sklearn": sklearn,
        **exp,
    }


def warm_ids(plan, name="e") -> set[str]:
    return {p["model_id"] for p in plan.experiments[name]["points"] if p.get("path")}


def keys_by_C(plan, name="e") -> dict[float, str]:
    return {p["C"]: p["key"] for p in plan.experiments[name]["points"]}


# --------------------------------------------------------------------------------------------
# The rule


def test_auto_is_warm_on_large_data_for_the_three_solvers_only():
    sklearn = {"solver": [*SOLVERS, "liblinear", "saga"], "C": [0.01, 0.1, 1.0]}
    large = planned({"e": synthetic(200_000, 50, sklearn)})
    warm = {p["solver"] for p in large.experiments["e"]["points"] if p.get("path")}
    assert warm == set(SOLVERS)
    assert len(warm_ids(large)) == 9  # every C of the three families
    # small data (breast_cancer: 455 x 30 training values): all cold
    small = planned({"e": {"dataset": {"source": "sklearn", "name": "breast_cancer"},
                           "sklearn": sklearn}})  # fmt: skip
    assert warm_ids(small) == set()
    # just below and at the threshold (1e6 training values; split 0.2)
    below = planned({"e": synthetic(12_000, 100, {"solver": "lbfgs", "C": [0.1, 1.0]})})
    at = planned({"e": synthetic(12_500, 100, {"solver": "lbfgs", "C": [0.1, 1.0]})})
    assert warm_ids(below) == set() and len(warm_ids(at)) == 2


def test_warm_forces_what_can_start_warm_and_cold_never():
    sklearn = {"solver": ["saga", "liblinear", "lbfgs"], "C": [0.1, 1.0]}
    forced = planned({"e": synthetic(500, 5, sklearn, C_path="warm")})
    assert {p["solver"] for p in forced.experiments["e"]["points"] if p.get("path")} == {
        "saga",
        "lbfgs",
    }
    assert warm_ids(planned({"e": synthetic(200_000, 50, sklearn, C_path="cold")})) == set()


def test_no_warm_path_for_one_C_one_vs_rest_or_statsmodels():
    one_c = planned({"e": synthetic(200_000, 50, {"solver": "lbfgs", "C": 1.0}, C_path="warm")})
    assert warm_ids(one_c) == set()
    three = synthetic(200_000, 50, {"solver": "lbfgs", "C": [0.1, 1.0], "multi_class": "ovr"})
    three["dataset"]["n_classes"] = 3
    assert warm_ids(planned({"e": three})) == set()
    two = synthetic(200_000, 50, {"solver": "lbfgs", "C": [0.1, 1.0], "multi_class": "ovr"})
    assert len(warm_ids(planned({"e": two}))) == 2  # two classes: one binary fit, warm
    multinomial = copy.deepcopy(three)
    multinomial["sklearn"]["multi_class"] = "multinomial"
    assert len(warm_ids(planned({"e": multinomial}))) == 2
    sm = synthetic(500, 5, {"C": [0.1, 1.0]}, statsmodels={}, C_path="warm")
    points = planned({"e": sm}).experiments["e"]["points"]
    assert [p["library"] for p in points if not p.get("path")] == ["statsmodels"]


# --------------------------------------------------------------------------------------------
# Keys


def test_a_path_is_walked_up_in_C_each_point_keyed_by_the_points_below_it():
    plan = planned({"e": synthetic(500, 5, {"C": [10.0, 0.1, 1.0]}, C_path="warm")})
    by_C = {p["C"]: p for p in plan.experiments["e"]["points"]}
    assert by_C[0.1]["path"] == {"before": [], "previous": None}
    assert by_C[1.0]["path"] == {"before": [0.1], "previous": by_C[0.1]["key"]}
    assert by_C[10.0]["path"] == {"before": [0.1, 1.0], "previous": by_C[1.0]["key"]}


def test_adding_a_C_rekeys_exactly_the_points_of_larger_C():
    def plan(Cs):
        return keys_by_C(planned({"e": synthetic(500, 5, {"C": Cs}, C_path="warm")}))

    base = plan([0.1, 1.0, 10.0])
    top = plan([0.1, 1.0, 10.0, 100.0])
    assert {C: top[C] for C in base} == base  # a C above all others: only itself is new
    middle = plan([0.1, 0.5, 1.0, 10.0])
    assert middle[0.1] == base[0.1]
    assert middle[1.0] != base[1.0] and middle[10.0] != base[10.0]
    bottom = plan([0.01, 0.1, 1.0, 10.0])
    assert all(bottom[C] != base[C] for C in base)


def test_warm_and_cold_points_have_other_keys_and_cold_keys_ignore_the_setting():
    sklearn = {"solver": ["lbfgs", "liblinear"], "C": [0.1, 1.0]}
    warm = planned({"e": synthetic(500, 5, sklearn, C_path="warm")}).experiments["e"]["points"]
    cold = planned({"e": synthetic(500, 5, sklearn, C_path="cold")}).experiments["e"]["points"]
    for w, c in zip(warm, cold, strict=True):
        assert (w["key"] == c["key"]) == (w["solver"] == "liblinear")


def test_the_fit_job_gets_the_path():
    from lrsweep.workflow.plan import fit_job_point

    plan = planned({"e": synthetic(500, 5, {"C": [0.1, 1.0]}, C_path="warm")})
    assert all("path" in fit_job_point(p) for p in plan.experiments["e"]["points"])


# --------------------------------------------------------------------------------------------
# Real fits


def resolved(exp: dict):
    from lrsweep.config.resolve import resolve_config
    from lrsweep.prepare.design import prepare_experiment
    from lrsweep.workflow.plan import warm_paths

    sweep = resolve_config({"sweep": "t", "experiments": {"e": exp}})
    filled = sweep["config"]["experiments"]["e"]
    points = [{**p, "key": p["model_id"]} for p in sweep["grids"]["e"]]
    warm_paths(filled, points, "prepared", "code", {})
    return prepare_experiment("e", filled), points


def walk(prepared, points):
    """Fit a family's points in ascending C, each from the previous one's path state."""
    from lrsweep.fit.record import fit_point

    state, out = None, []
    for p in sorted(points, key=lambda p: p["C"]):
        fitted = fit_point(prepared, p, state)
        state = fitted.get("next")
        out.append(fitted)
    return out


def cold(point: dict) -> dict:
    return {k: v for k, v in point.items() if k != "path"}


@pytest.fixture(scope="module")
def tight():
    """20,000 x 20, fitted to tol 1e-10: warm and cold must agree to the solvers' precision."""
    sklearn = {"solver": list(SOLVERS), "C": [0.003, 0.03, 0.3, 3.0], "tol": 1e-10,
               "max_iter": 10_000}  # fmt: skip
    return resolved(synthetic(20_000, 20, sklearn, C_path="warm"))


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_warm_path_gives_the_predictions_of_cold_fits(tight, solver):
    """Predictions equal and probabilities within 1e-6 (accuracies then equal) of cold fits
    at tol 1e-10, in fewer iterations: the fits did start from the previous C's."""
    from lrsweep.fit.record import fit_point

    prepared, points = tight
    family = [p for p in points if p["solver"] == solver]
    assert all(p.get("path") for p in family)
    warm = walk(prepared, family)
    colds = [fit_point(prepared, cold(f["point"])) for f in warm]
    for w, c in zip(warm, colds, strict=True):
        w, c = w["result"], c["result"]
        assert w["status"] == c["status"] == "ok" and w["converged"] and c["converged"]
        np.testing.assert_array_equal(w["pred_test"], c["pred_test"])
        np.testing.assert_array_equal(w["pred_train"], c["pred_train"])
        np.testing.assert_allclose(w["proba_test"], c["proba_test"], atol=1e-6)
    iterations = [sum(f["result"]["n_iter"] for f in fits[1:]) for fits in (warm, colds)]
    assert iterations[0] < iterations[1]


def test_the_saved_model_of_a_warm_fit_is_an_ordinary_one(tight):
    prepared, points = tight
    fitted = walk(prepared, [p for p in points if p["solver"] == "lbfgs"][:2])[-1]
    model = fitted["model"]
    estimator = model[-1] if hasattr(model, "steps") else model
    assert estimator.get_params()["warm_start"] is False
    assert fitted["result"]["estimator"].get_params()["warm_start"] is False


def put(store, key: str, fitted, prepared):
    from lrsweep.fit.record import fit_files

    return store.put_files("fits", key, fit_files(fitted, prepared), label=key)


def same_files(a: dict, b: dict) -> None:
    """Two fit entries' files are the same bytes (fit.json but its fit_seconds)."""
    import json

    assert sorted(a) == sorted(b)
    for name in a:
        if name == "fit.json":
            ja, jb = json.loads(a[name]), json.loads(b[name])
            ja.pop("fit_seconds"), jb.pop("fit_seconds")
            assert ja == jb
        elif name != "model.skops":  # a zip with timestamps; its fit is in the arrays
            assert a[name] == b[name], name


def test_the_next_point_starts_from_the_same_bytes_fitted_here_or_read_back(tmp_path):
    """The path state of a point read back from its store entry is its in-run state, bit for
    bit, inside every CV fold too; the next point's entry is then the same bytes."""
    from lrsweep.fit.record import PATH_CV_ESTIMATES, fit_files, fit_point, stored_path_state
    from lrsweep.store.entries import Store

    prepared, points = resolved(
        synthetic(600, 6, {"C": [0.01, 1.0]}, C_path="warm", cv={"folds": 3, "repeats": 2})
    )
    first, second = sorted(points, key=lambda p: p["C"])
    fitted = fit_point(prepared, first)
    assert fitted["next"]["cv"].shape == (6, 1, 7)  # splits, equations, terms
    store = Store(tmp_path / "store")
    entry = put(store, "first", fitted, prepared)
    assert PATH_CV_ESTIMATES in entry.names()
    back = stored_path_state(store.get("fits", "first", "first"))
    for part in ("estimates", "cv"):
        assert back[part].dtype == fitted["next"][part].dtype
        assert back[part].tobytes() == fitted["next"][part].tobytes()
    here = fit_files(fit_point(prepared, second, fitted["next"]), prepared)
    there = fit_files(fit_point(prepared, second, back), prepared)
    same_files(here, there)


def test_each_fold_fit_starts_from_its_own_fold_of_the_previous_point():
    """With one iteration, where a fit starts shows in its predictions: fold fits started
    from the previous point's fold estimates predict other rows than cold ones, and each
    fold's start is its own (shuffling the folds' starts changes the predictions again)."""
    from lrsweep.fit.record import fit_point

    prepared, points = resolved(
        synthetic(
            600,
            6,
            {"C": [0.01, 1.0], "max_iter": 1, "solver": "lbfgs"},
            C_path="warm",
            cv={"folds": 3},
        )  # fmt: skip
    )
    first, second = sorted(points, key=lambda p: p["C"])
    state = fit_point(prepared, first)["next"]
    state = {"estimates": state["estimates"] * 5, "cv": state["cv"] * 5}
    warm = fit_point(prepared, second, state)["result"]["cv_fits"]["proba"]
    colds = fit_point(prepared, cold(second))["result"]["cv_fits"]["proba"]
    shuffled = {**state, "cv": state["cv"][::-1].copy()}
    other = fit_point(prepared, second, shuffled)["result"]["cv_fits"]["proba"]
    assert not np.allclose(warm, colds) and not np.allclose(warm, other)


def test_a_cold_point_ignores_a_given_start_and_a_failed_fit_restarts_the_path():
    from lrsweep.fit.record import EMPTY_PATH, PATH_ESTIMATES, fit_files, fit_point

    prepared, points = resolved(synthetic(600, 6, {"C": [0.01, 1.0]}, C_path="warm"))
    first, second = sorted(points, key=lambda p: p["C"])
    state = fit_point(prepared, first)["next"]
    plain = fit_point(prepared, cold(second))
    given = fit_point(prepared, cold(second), {"estimates": state["estimates"] * 50, "cv": None})
    assert "next" not in plain and PATH_ESTIMATES not in fit_files(plain, prepared)
    np.testing.assert_array_equal(plain["result"]["estimates"], given["result"]["estimates"])
    broken = {**first, "max_iter": -1}  # scikit-learn raises: the point fails
    failed = fit_point(prepared, broken)
    assert failed["result"]["status"] == "failed" and failed["next"] == EMPTY_PATH
    restarted = fit_point(prepared, second, failed["next"])
    np.testing.assert_array_equal(restarted["result"]["estimates"], plain["result"]["estimates"])


def test_a_warm_path_is_never_cut_across_shards():
    from lrsweep.workflow.plan import path_units, shards_of

    sklearn = [
        {"solver": "lbfgs", "C": [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]},
        {"solver": "liblinear", "C": [0.01, 0.1, 1.0, 10.0]},
    ]
    points = planned({"e": synthetic(500, 5, sklearn, C_path="warm")}).experiments["e"]["points"]
    units = path_units(points)
    assert [len(u) for u in units] == [6, 1, 1, 1, 1]
    assert [points[i]["C"] for i in units[0]] == sorted(points[i]["C"] for i in units[0])
    shards = shards_of(points, seconds=100.0, target=10.0)
    assert len(shards) == 5  # one unit each: the path and the four cold points
    [path] = [s for s in shards if s[0]["solver"] == "lbfgs"]
    assert len(path) == 6
    cold = planned({"e": synthetic(500, 5, sklearn, C_path="cold")}).experiments["e"]["points"]
    assert len(shards_of(cold, seconds=100.0, target=10.0)) == 10


# --------------------------------------------------------------------------------------------
# The fit job


def sklearn_warm_chain(X, y, Cs) -> list[np.ndarray]:
    """scikit-learn's own warm start: one LogisticRegression(warm_start=True) refitted at each
    C, ascending; the estimates (intercept, coefficients) after each."""
    import warnings

    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(solver="lbfgs", l1_ratio=0.0, random_state=0, warm_start=True)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for C in sorted(Cs):
            model.set_params(C=C).fit(X, y)
            out.append(np.column_stack([model.intercept_, model.coef_]))
    return out


def test_the_fit_job_walks_each_path_and_its_folds_as_scikit_learns_warm_start(
    tmp_path, monkeypatch
):
    """Two workers, a CV path cut into fold tasks: every point's estimates and every fold's
    are scikit-learn's own warm start at that C, bit for bit. Entries removed from the middle
    of the path are fitted again from the stored point below them, the same bytes."""
    import logging
    import shutil

    from lrsweep.config.resolve import resolve_config
    from lrsweep.fit.sklearn import cv_splits
    from lrsweep.prepare.design import fold_design, prepare_experiment
    from lrsweep.store.entries import Store
    from lrsweep.workflow.jobs import run_fit_job
    from lrsweep.workflow.plan import pack_jobs

    monkeypatch.chdir(tmp_path)
    Cs = [0.01, 0.1, 1.0, 10.0]
    sklearn = [{"solver": "lbfgs", "C": Cs}, {"solver": "liblinear", "C": [0.1, 1.0]}]
    exp = synthetic(2000, 6, sklearn, C_path="warm", cv={"folds": 3})
    plan = planned({"e": exp}, figures=False)
    [job] = pack_jobs(plan)
    Store(plan.store).mark()
    token = run_fit_job(job.params, 2, logging.getLogger("test"))
    assert len(token["fitted"]) == 6 and token["workers"] == 2
    lbfgs = sorted((p for p in plan.experiments["e"]["points"] if p.get("path")),
                   key=lambda p: p["C"])  # fmt: skip
    folder = tmp_path / plan.store / "fits"

    def stored():
        return {
            (p["C"], name): (folder / p["key"] / name).read_bytes()
            for p in lbfgs
            for name in ("path_estimates.npy", "path_cv_estimates.npy")
        }

    sweep = resolve_config({"sweep": "t", "experiments": {"e": exp}})
    prepared = prepare_experiment("e", sweep["config"]["experiments"]["e"])
    final = sklearn_warm_chain(prepared.X_train, prepared.y_train, Cs)
    splits = cv_splits(prepared.y_train, 3, 1, 0)
    designs = [fold_design(prepared, train, valid) for train, valid in splits]
    folds = [sklearn_warm_chain(d.X_train, d.y_train, Cs) for d in designs]
    for k, p in enumerate(lbfgs):
        assert np.array_equal(np.load(folder / p["key"] / "path_estimates.npy"), final[k])
        cv = np.load(folder / p["key"] / "path_cv_estimates.npy")
        assert all(np.array_equal(cv[i], folds[i][k]) for i in range(3))
    before = stored()
    for p in lbfgs[1:3]:  # C 0.1 and 1: 1 waits for 0.1, which starts from the stored 0.01
        shutil.rmtree(folder / p["key"])
    token = run_fit_job(job.params, 2, logging.getLogger("test"))
    assert token["fitted"] == sorted(p["model_id"] for p in lbfgs[1:3])
    assert stored() == before


def test_a_notebook_gets_a_warm_points_numbers_from_fit_and_score():
    """``fit_and_score`` of a point on a warm path walks the path below it: the estimates of a
    walk of the whole family, bit for bit (not those of a cold fit)."""
    from lrsweep.score.record import fit_and_score

    prepared, points = resolved(synthetic(3_000, 8, {"C": [0.01, 0.1, 1.0]}, C_path="warm"))
    top = max(points, key=lambda p: p["C"])
    walked = walk(prepared, points)[-1]["result"]["estimates"]
    alone = fit_and_score(prepared, top)["result"]["estimates"]
    assert np.array_equal(alone, walked)
    from lrsweep.fit.record import fit_point

    assert not np.array_equal(alone, fit_point(prepared, cold(top))["result"]["estimates"])
