"""Expand a validated experiment into its grid points.

A grid point is a dict of settings: the Cartesian product of the lists under ``sklearn:`` (or
the union of the products of a list of such sub-grids) and ``statsmodels:``, with the
tutorial's vocabulary (:mod:`lrsweep.fit.sklearn` translates it for the
installed scikit-learn). Its ``model_id`` is a readable pure function of the settings, stable
across grid edits. Combinations that cannot work are kept with ``status: skipped`` and the
reason.

Seeds are settings: ``random_state`` defaults to 0 (the tutorial's), so that sag, saga and
liblinear fits, which draw random numbers, give the same numbers every time.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from lrsweep.domain import (
    COV_TYPE_DEFAULT,
    FLOAT_KEYS,
    MAXITER_DEFAULT,
    SCORE_ONLY_KEYS,
    SCORING_KEYS,
    SETTING_KEYS,
    SKLEARN_DEFAULTS,
    STATSMODELS_DEFAULTS,
    Status,
)
from lrsweep.errors import ConfigError, describe

#: What a model_id leaves out: scikit-learn's own defaults (so the seed always shows).
_ID_BASELINE = {**SKLEARN_DEFAULTS, "random_state": None}


def format_number(x: Any) -> str:
    """One stable text for a number: ``1e-05`` and ``0.00001`` give the same string."""
    if x is None:
        return "none"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    x = float(x)
    if math.isinf(x):
        return "inf"
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _product(spec: dict, defaults: dict) -> list[dict]:
    keys = list(defaults)
    lists = []
    for key in keys:
        values = _as_list(spec.get(key, defaults[key]))
        if key in FLOAT_KEYS:
            values = [None if v is None else float(v) for v in values]
        lists.append(values)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*lists)]


def skip_reason(point: dict) -> str | None:
    """Why a scikit-learn grid point cannot be fitted (None when it can)."""
    solver, penalty, mc = point["solver"], point["penalty"], point["multi_class"]
    if solver == "liblinear" and penalty == "none":
        return "liblinear cannot fit without a penalty (penalty: none)"
    if solver == "liblinear" and penalty == "elasticnet":
        return "elasticnet needs solver saga"
    if solver == "liblinear" and mc == "multinomial":
        return "liblinear is one-vs-rest only (multi_class: multinomial needs another solver)"
    if penalty == "elasticnet" and solver != "saga":
        return "elasticnet needs solver saga"
    if penalty == "l1" and solver not in ("liblinear", "saga"):
        return f"{solver} supports only l2 or none penalties (l1 needs liblinear or saga)"
    return None


def sklearn_model_id(p: dict) -> str:
    """A readable id that is a pure function of the settings (stable across grid edits)."""
    parts = ["sk", p["solver"], p["penalty"], f"C{format_number(p['C'])}"]
    if p["penalty"] == "elasticnet":
        parts.append(f"l1r{format_number(p['l1_ratio'])}")
    for key, tag in (
        ("multi_class", "mc-"),
        ("class_weight", "cw-"),
        ("fit_intercept", "int-"),
        ("max_iter", "it"),
        ("tol", "tol"),
        ("random_state", "rs"),
    ):
        if p[key] != _ID_BASELINE[key]:
            parts.append(f"{tag}{format_number(p[key]) if not isinstance(p[key], str) else p[key]}")
    return "_".join(parts)


def statsmodels_model_id(p: dict) -> str:
    if p["regularized"] == "l1":
        parts = ["sm", "l1", f"alpha{format_number(p['alpha'])}"]
    else:
        parts = ["sm", "mle", p["method"]]
    if p["maxiter"] != MAXITER_DEFAULT[p["regularized"]]:
        parts.append(f"it{format_number(p['maxiter'])}")
    return "_".join(parts)


def expand_sklearn(name: str, spec: dict | list[dict]) -> list[dict]:
    """The grid points of ``sklearn:``: one mapping of grid keys (their Cartesian product), or
    a list of such sub-grids, as GridSearchCV's list of ``param_grid`` dicts: the union of
    their products, in order, a point in two sub-grids with the same settings kept once."""
    subgrids = spec if isinstance(spec, list) else [spec]
    points: dict[str, dict] = {}
    for i, sub in enumerate(subgrids):
        key = "sklearn" if isinstance(spec, dict) else f"sklearn[{i}]"
        if "elasticnet" in _as_list(sub.get("penalty")) and sub.get("l1_ratio") is None:
            raise ConfigError(
                describe(
                    name,
                    f"{key}.l1_ratio",
                    "penalty elasticnet needs l1_ratio (a number in [0, 1])",
                )
            )
        _expand_sklearn_product(name, sub, points)
    return list(points.values())


def _expand_sklearn_product(name: str, spec: dict, points: dict[str, dict]) -> None:
    for p in _product(spec, SKLEARN_DEFAULTS):
        if p["penalty"] != "elasticnet":
            p["l1_ratio"] = None  # only elasticnet reads it: do not make duplicate points
        if p["penalty"] == "none":
            p["C"] = math.inf
        model_id = sklearn_model_id(p)
        reason = skip_reason(p)
        points.setdefault(
            model_id,
            {
                "experiment": name,
                "model_id": model_id,
                "library": "sklearn",
                **p,
                "status": Status.SKIPPED if reason else Status.PENDING,
                "reason": reason or "",
            },
        )


def cov_types(spec: dict | None) -> list[str]:
    """The covariance types a ``statsmodels:`` block asks for, as a list (one inference table
    each for every maximum-likelihood fit: not a grid dimension, nothing is refitted)."""
    return list(_as_list((spec or {}).get("cov_type", COV_TYPE_DEFAULT)))


def expand_statsmodels(name: str, spec: dict) -> list[dict]:
    if "l1" in _as_list(spec.get("regularized")) and spec.get("alpha") is None:
        raise ConfigError(
            describe(name, "statsmodels.alpha", "regularized: l1 needs alpha (a number >= 0)")
        )
    if "cluster" in cov_types(spec) and not spec.get("groups"):
        raise ConfigError(
            describe(
                name,
                "statsmodels.cov_type",
                "cluster needs statsmodels.groups (the column that names each row's group)",
            )
        )
    points: dict[str, dict] = {}
    for p in _product(spec, STATSMODELS_DEFAULTS):
        if p["regularized"] == "none":
            p["alpha"] = None
        if p["maxiter"] is None:
            p["maxiter"] = MAXITER_DEFAULT[p["regularized"]]
        model_id = statsmodels_model_id(p)
        points.setdefault(
            model_id,
            {
                "experiment": name,
                "model_id": model_id,
                "library": "statsmodels",
                **p,
                "status": Status.PENDING,
                "reason": "",
            },
        )
    return list(points.values())


def expand_experiment(name: str, exp: dict) -> list[dict]:
    """The model settings of one experiment's grid points, scikit-learn first, in a stable
    order."""
    points = []
    if exp.get("sklearn") is not None:
        points += expand_sklearn(name, exp["sklearn"])
    if exp.get("statsmodels") is not None:
        points += expand_statsmodels(name, exp["statsmodels"])
    if not points:
        raise ConfigError(describe(name, "sklearn", "the grid is empty"))
    return points


def experiment_grid(name: str, exp: dict, bootstrap: dict) -> list[dict]:
    """All grid points of one experiment of a validated (filled) config, each with the
    settings of the statistics computed with it."""
    points = expand_experiment(name, exp)
    for p in points:
        p["bootstrap"] = bootstrap
        p["cv"] = exp.get("cv")
        p["positive_class"] = exp.get("positive_class")
        p["cov_type"] = cov_types(exp["statsmodels"]) if p["library"] == "statsmodels" else None
        p["select"] = exp.get("select")
        p["threshold"], p["tune_threshold"] = threshold_settings(exp)
    return points


def threshold_settings(exp: dict) -> tuple[float | None, dict | None]:
    """(fixed threshold, tuning) of an experiment's ``threshold:``: a number is a fixed
    threshold (scoring only); ``{tune: ...}`` is tuned at fit time, with the positive class it
    tunes for (which then changes the fit)."""
    value = exp.get("threshold", 0.5)
    if isinstance(value, dict):
        return None, {**value, "positive_class": exp.get("positive_class")}
    return float(value), None


def grids_of(filled: dict) -> dict[str, list[dict]]:
    """Every experiment's grid points of a validated (filled) config."""
    return {
        name: experiment_grid(name, exp, filled["bootstrap"])
        for name, exp in filled["experiments"].items()
    }


def settings(point: dict) -> dict:
    """What a fit and its scores are computed from, besides the data: all of its settings."""
    return {k: point[k] for k in (*SETTING_KEYS, *SCORING_KEYS) if k in point}


def fit_settings(point: dict) -> dict:
    """What the fitted model (and its cross-validation fold fits) is computed from, besides
    the data: :func:`settings` without the settings that only score."""
    return {k: v for k, v in settings(point).items() if k not in SCORE_ONLY_KEYS}


def score_settings(point: dict) -> dict:
    """What, besides its fit, a grid point's scores are computed from."""
    return {k: point.get(k) for k in SCORE_ONLY_KEYS}
