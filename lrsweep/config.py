"""Read, validate and expand the sweep configuration.

Everything here is pure: a config dict goes in, a resolved sweep (experiments with their
grid points) comes out. The Snakefile calls :func:`resolve_config` once at parse time; the
tests call the same function.

Vocabulary: the config speaks the tutorial's scikit-learn words (``penalty``, ``multi_class``);
:mod:`lrsweep.models` translates them for the installed scikit-learn.
"""

from __future__ import annotations

import copy
import itertools
import math
from pathlib import Path
from typing import Any

import yaml

from lrsweep.errors import ConfigError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"

PENALTIES = ("l1", "l2", "elasticnet", "none")
SOLVERS = ("liblinear", "lbfgs", "newton-cg", "newton-cholesky", "sag", "saga")

#: Grid keys of the ``sklearn:`` block and the value each takes when the config is silent.
SKLEARN_DEFAULTS: dict[str, Any] = {
    "solver": "lbfgs",
    "penalty": "l2",
    "C": 1.0,
    "l1_ratio": None,
    "multi_class": "auto",
    "class_weight": "none",
    "fit_intercept": True,
    "max_iter": 100,
    "tol": 1e-4,
    "random_state": None,
}
#: Grid keys of the ``statsmodels:`` block and their defaults.
STATSMODELS_DEFAULTS: dict[str, Any] = {
    "regularized": "none",
    "alpha": None,
    "method": "newton",
    "maxiter": 100,
}
NUMERIC_KEYS = {"C", "l1_ratio", "tol", "alpha", "test_size", "class_sep"}

# Checks of grid values, run before the JSON schema so that the common mistakes get a sentence
# in the user's words rather than a schema path. (key -> (test, what is allowed))
_GRID_CHECKS = {
    "C": (
        lambda v: _is_number(v) and v > 0,
        "C must be a number > 0 (use penalty: none for no penalty)",
    ),
    "l1_ratio": (lambda v: _is_number(v) and 0 <= v <= 1, "l1_ratio must be a number in [0, 1]"),
    "tol": (lambda v: _is_number(v) and v > 0, "tol must be a number > 0"),
    "alpha": (lambda v: _is_number(v) and v >= 0, "alpha must be a number >= 0"),
    "max_iter": (lambda v: _is_int(v) and v >= 1, "max_iter must be an integer >= 1"),
    "maxiter": (lambda v: _is_int(v) and v >= 1, "maxiter must be an integer >= 1"),
    "penalty": (lambda v: v in PENALTIES, "allowed: " + ", ".join(PENALTIES)),
    "solver": (lambda v: v in SOLVERS, "allowed: " + ", ".join(SOLVERS)),
    "class_weight": (lambda v: v in ("none", "balanced"), "allowed: none, balanced"),
    "multi_class": (
        lambda v: v in ("auto", "ovr", "multinomial"),
        "allowed: auto, ovr, multinomial",
    ),
    "fit_intercept": (lambda v: isinstance(v, bool), "allowed: true, false"),
    "regularized": (lambda v: v in ("none", "l1"), "allowed: none, l1"),
}


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# --------------------------------------------------------------------------------------------
# Loading


#: PyYAML's safe loader, in C where available (the same rules, parsed 10x faster: the schema
#: and config are read every time Snakemake starts).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: str | Path) -> dict:
    """Read a YAML config with the safe loader (never evaluated as code); one-line errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: malformed YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping with 'sweep' and 'experiments'")
    return data


def coerce_numbers(obj: Any, key: str | None = None) -> Any:
    """YAML 1.1 reads ``1e-5`` (no dot) as a string; turn such strings back into numbers."""
    if isinstance(obj, dict):
        return {k: coerce_numbers(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [coerce_numbers(v, key) for v in obj]
    if key in NUMERIC_KEYS and isinstance(obj, str):
        try:
            return float(obj)
        except ValueError:
            return obj
    return obj


# --------------------------------------------------------------------------------------------
# Validation


def _where(path: list) -> tuple[str | None, str]:
    """Split a JSON path into (experiment, dotted key)."""
    parts = [str(p) for p in path]
    if len(parts) >= 2 and parts[0] == "experiments":
        return parts[1], ".".join(p for p in parts[2:] if not p.isdigit())
    return None, ".".join(p for p in parts if not p.isdigit())


def _describe(experiment: str | None, key: str, message: str) -> str:
    head = f"experiment '{experiment}': " if experiment else ""
    key_part = f"key '{key}': " if key else ""
    return f"{head}{key_part}{message}"


def _check_grid_values(name: str, exp: dict) -> None:
    for block in ("sklearn", "statsmodels"):
        spec = exp.get(block)
        if spec is None:
            continue
        if not isinstance(spec, dict):
            raise ConfigError(_describe(name, block, "must be a mapping of grid keys"))
        for key, value in spec.items():
            values = value if isinstance(value, list) else [value]
            if isinstance(value, list) and not value:
                raise ConfigError(
                    _describe(
                        name, f"{block}.{key}", "empty list: a grid key needs at least one value"
                    )
                )
            check = _GRID_CHECKS.get(key)
            if check is None:
                continue
            test, allowed = check
            for v in values:
                if not test(v):
                    raise ConfigError(
                        _describe(name, f"{block}.{key}", f"{v!r} is not allowed ({allowed})")
                    )


def _schema_message(error) -> str:
    # oneOf/anyOf errors hide the useful part in their context: take the deepest one.
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
        if not error.context:
            break
    exp, key = _where(list(error.absolute_path))
    if error.validator == "additionalProperties":
        allowed = sorted(k for k in error.schema.get("properties", {}) if k != "source")
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return _describe(
            exp, key, f"unknown key {', '.join(map(repr, unknown))} (allowed: {', '.join(allowed)})"
        )
    if error.validator == "required":
        return _describe(exp, key, error.message)
    value = error.instance
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return _describe(exp, key, f"{value!r} is not allowed (allowed: {allowed})")
    return _describe(exp, key, f"{value!r}: {error.message}")


def _fill_defaults(instance: Any, schema: dict, root: dict) -> Any:
    """Fill ``default:`` values of the schema into the config (objects only, recursively)."""
    if "$ref" in schema:
        ref = schema["$ref"].split("/")[-1]
        return _fill_defaults(instance, root["$defs"][ref], root)
    if isinstance(instance, dict):
        props = dict(schema.get("properties", {}))
        for sub in schema.get("allOf", []):
            cond = sub.get("if", {}).get("properties", {})
            if all(
                instance.get(k) == c.get("const", instance.get(k))
                and instance.get(k) in c.get("enum", [instance.get(k)])
                for k, c in cond.items()
            ):
                props.update(
                    {
                        k: v
                        for k, v in sub.get("then", {}).get("properties", {}).items()
                        if isinstance(v, dict)
                    }
                )
        for k, sub in props.items():
            if not isinstance(sub, dict):
                continue
            if k not in instance and "default" in sub:
                instance[k] = copy.deepcopy(sub["default"])
            if k in instance:
                branches = sub.get("oneOf", [sub])
                for branch in branches:
                    if isinstance(instance[k], dict) and (
                        branch.get("type") == "object" or "$ref" in branch or "properties" in branch
                    ):
                        instance[k] = _fill_defaults(instance[k], branch, root)
        add = schema.get("additionalProperties")
        if isinstance(add, dict):
            for k in instance:
                if k not in props:
                    instance[k] = _fill_defaults(instance[k], add, root)
    return instance


def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=SAFE_LOADER)


def validate_config(config: dict, schema: dict | None = None) -> dict:
    """Validate ``config``; return a copy with every default filled in.

    Raises :class:`ConfigError` with one line naming the experiment, the key, the bad value
    and what is allowed.
    """
    from jsonschema import Draft202012Validator

    schema = schema or load_schema()
    config = coerce_numbers(copy.deepcopy(config))
    if "__use_yte__" in config:
        raise ConfigError("config: YTE templating (__use_yte__) is refused; configs are plain YAML")
    experiments = config.get("experiments")
    if isinstance(experiments, dict):
        for name, exp in experiments.items():
            if isinstance(exp, dict):
                _check_grid_values(str(name), exp)
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError(_schema_message(errors[0]))
    config = _fill_defaults(config, schema, schema)
    for exp in config["experiments"].values():
        if "sklearn" not in exp and "statsmodels" not in exp:
            exp["sklearn"] = {}
    return config


# --------------------------------------------------------------------------------------------
# Grid expansion


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


def _product(spec: dict, defaults: dict) -> list[dict]:
    keys = list(defaults)
    lists = []
    for key in keys:
        value = spec.get(key, defaults[key])
        values = value if isinstance(value, list) else [value]
        if key in ("C", "tol", "alpha", "l1_ratio"):
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
        if p[key] != SKLEARN_DEFAULTS[key]:
            parts.append(f"{tag}{format_number(p[key]) if not isinstance(p[key], str) else p[key]}")
    return "_".join(parts)


def statsmodels_model_id(p: dict) -> str:
    if p["regularized"] == "l1":
        parts = ["sm", "l1", f"alpha{format_number(p['alpha'])}"]
    else:
        parts = ["sm", "mle", p["method"]]
    if p["maxiter"] != STATSMODELS_DEFAULTS["maxiter"]:
        parts.append(f"it{p['maxiter']}")
    return "_".join(parts)


def expand_sklearn(name: str, spec: dict) -> list[dict]:
    if (
        "elasticnet"
        in (spec.get("penalty") if isinstance(spec.get("penalty"), list) else [spec.get("penalty")])
        and spec.get("l1_ratio") is None
    ):
        raise ConfigError(
            _describe(
                name, "sklearn.l1_ratio", "penalty elasticnet needs l1_ratio (a number in [0, 1])"
            )
        )
    points: dict[str, dict] = {}
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
                "status": "skipped" if reason else "pending",
                "reason": reason or "",
            },
        )
    return list(points.values())


def expand_statsmodels(name: str, spec: dict) -> list[dict]:
    if (
        "l1"
        in (
            spec.get("regularized")
            if isinstance(spec.get("regularized"), list)
            else [spec.get("regularized")]
        )
        and spec.get("alpha") is None
    ):
        raise ConfigError(
            _describe(name, "statsmodels.alpha", "regularized: l1 needs alpha (a number >= 0)")
        )
    points: dict[str, dict] = {}
    for p in _product(spec, STATSMODELS_DEFAULTS):
        if p["regularized"] == "none":
            p["alpha"] = None
        model_id = statsmodels_model_id(p)
        points.setdefault(
            model_id,
            {
                "experiment": name,
                "model_id": model_id,
                "library": "statsmodels",
                **p,
                "status": "pending",
                "reason": "",
            },
        )
    return list(points.values())


def expand_experiment(name: str, exp: dict) -> list[dict]:
    """All grid points of one experiment, scikit-learn first, in a stable order."""
    points = []
    if exp.get("sklearn") is not None:
        points += expand_sklearn(name, exp["sklearn"])
    if exp.get("statsmodels") is not None:
        points += expand_statsmodels(name, exp["statsmodels"])
    if not points:
        raise ConfigError(_describe(name, "sklearn", "the grid is empty"))
    return points


def experiment_grid(name: str, exp: dict, bootstrap: dict) -> list[dict]:
    """The grid points of one experiment of a validated (filled) config.

    A pure function of the experiment's settings and the sweep's ``bootstrap``: the fit job
    recomputes it from those two (its Snakemake params), so no grid file sits between them.
    """
    points = expand_experiment(name, exp)
    # Statistics computed with each fit: part of the point (and so of its stored key),
    # not of its model_id.
    for p in points:
        p["bootstrap"] = bootstrap
        if exp.get("cv"):
            p["cv"] = exp["cv"]
    return points


def grids_of(filled: dict) -> dict[str, list[dict]]:
    """Every experiment's grid points of a validated (filled) config."""
    return {
        name: experiment_grid(name, exp, filled["bootstrap"])
        for name, exp in filled["experiments"].items()
    }


def resolve_config(config: dict, schema: dict | None = None) -> dict:
    """Validate and expand: ``{"config": filled config, "grids": {experiment: [points]}}``."""
    filled = validate_config(config, schema)
    return {"config": filled, "grids": grids_of(filled)}
