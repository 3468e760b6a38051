"""The schema of the config (``config.schema.yaml``, package data beside this module):
validation, defaults and the messages.

The schema is the one list of every vocabulary (solvers, penalties, bundled datasets); its
``description`` of a value is the sentence an error gives. Every error is one line naming the
source, the experiment, the key, the value and what is allowed.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from lrsweep.config.yaml import SAFE_LOADER, _where, check_structure
from lrsweep.domain import DEFAULT_SELECT
from lrsweep.errors import ConfigError, describe

#: Package data, so that an installed lrsweep (not only a checkout) finds it.
SCHEMA_PATH = Path(__file__).resolve().with_name("config.schema.yaml")

#: Keys whose values YAML 1.1 may read as strings (``1e-5`` without a dot).
NUMERIC_KEYS = {"C", "l1_ratio", "tol", "alpha", "test_size", "class_sep", "shard_minutes"}
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@cache
def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=SAFE_LOADER)


def vocabulary(name: str) -> tuple:
    """The allowed values of ``$defs/<name>`` (or a dataset's ``name``) in the schema."""
    defs = load_schema()["$defs"]
    if name == "datasets":
        for branch in defs["dataset"]["allOf"]:
            if branch["if"]["properties"]["source"].get("const") == "sklearn":
                return tuple(branch["then"]["properties"]["name"]["enum"])
    return tuple(defs[name]["enum"])


def coerce_numbers(obj: Any, key: str | None = None) -> Any:
    """YAML 1.1 reads ``1e-5`` (no dot) as a string; turn such strings back into numbers
    (finite ones only: "nan" stays a string, and is refused)."""
    if isinstance(obj, dict):
        return {k: coerce_numbers(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [coerce_numbers(v, key) for v in obj]
    if key in NUMERIC_KEYS and isinstance(obj, str) and _NUMBER.match(obj.strip()):
        return float(obj)
    return obj


def _deepest(error):
    # oneOf/anyOf errors hide the useful part in their context: take the deepest one.
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def _branch_type(branch: dict) -> str | None:
    return branch.get("type") or ("object" if "$ref" in branch else None)


def _one_branch(error):
    """A ``oneOf`` of a mapping or a list (``sklearn:``, one grid or a list of sub-grids):
    the error of the branch of the value's own type, so that a bad key in a sub-grid is
    named as in a single grid."""
    while error.validator == "oneOf" and isinstance(error.instance, dict | list) and error.context:
        branches = error.schema["oneOf"]
        want = "array" if isinstance(error.instance, list) else "object"
        mine = [
            e for e in error.context if _branch_type(branches[e.relative_schema_path[0]]) == want
        ]
        if not mine or mine[0].validator == "type":
            break
        error = min(mine, key=lambda e: list(map(str, e.absolute_path)))
    return error


def _schema_message(error) -> str:
    error = _one_branch(error)
    top = error
    error = _deepest(error)
    exp, key = _where(list(error.absolute_path))
    if isinstance(top.instance, list) and not top.instance:
        exp, key = _where(list(top.absolute_path))
        return describe(exp, key, "empty list: a grid key needs at least one value")
    if error.validator == "additionalProperties":
        allowed = sorted(k for k in error.schema.get("properties", {}) if k != "source")
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return describe(
            exp, key, f"unknown key {', '.join(map(repr, unknown))} (allowed: {', '.join(allowed)})"
        )
    if error.validator == "required":
        return describe(exp, key, error.message)
    value = error.instance
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return describe(exp, key, f"{value!r} is not allowed (allowed: {allowed})")
    if error.validator in ("pattern", "maxLength", "type") and error.schema.get("description"):
        return describe(exp, key, f"{value!r} is not allowed ({error.schema['description']})")
    if error.schema.get("description"):
        return describe(exp, key, f"{value!r} is not allowed ({error.schema['description']})")
    message = error.message  # jsonschema's, which often starts with the value already
    return describe(
        exp, key, message if message.startswith(repr(value)) else f"{value!r}: {message}"
    )


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
                for branch in sub.get("oneOf", [sub]):
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


def validate_config(config: dict, schema: dict | None = None) -> dict:
    """Validate ``config``; return a copy with every default filled in.

    Raises :class:`ConfigError` with one line naming the experiment, the key, the bad value
    and what is allowed.
    """
    from jsonschema import Draft202012Validator

    schema = schema or load_schema()
    check_structure(config, "config")
    config = coerce_numbers(copy.deepcopy(config))
    if "__use_yte__" in config:
        raise ConfigError("config: YTE templating (__use_yte__) is refused; configs are plain YAML")
    errors = sorted(
        Draft202012Validator(schema).iter_errors(config),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    if errors:
        raise ConfigError(_schema_message(errors[0]))
    config = _fill_defaults(config, schema, schema)
    for exp in config["experiments"].values():
        if "sklearn" not in exp and "statsmodels" not in exp:
            exp["sklearn"] = {}
    fill_select(config)
    return config


def check_threshold(name: str, exp: dict) -> None:
    """A tuned threshold is chosen by cross-validation on the training rows (the experiment's
    folds), for scikit-learn fits; a cost names both costs."""
    tune = exp.get("threshold")
    if not isinstance(tune, dict):
        return
    if not exp.get("cv"):
        raise ConfigError(
            describe(
                name,
                "threshold.tune",
                "a tuned threshold needs cv: (it is chosen on the "
                "training rows by cross-validation, with the experiment's folds)",
            )
        )
    if exp.get("statsmodels") is not None:
        raise ConfigError(
            describe(
                name,
                "threshold.tune",
                "a tuned threshold needs scikit-learn fits only "
                "(remove statsmodels:, or give a fixed threshold)",
            )
        )
    costs = [k for k in ("false_positive", "false_negative") if k in tune]
    if tune["tune"] == "cost" and len(costs) < 2:
        raise ConfigError(
            describe(name, "threshold", "tune: cost needs false_positive and false_negative")
        )
    if tune["tune"] != "cost" and costs:
        raise ConfigError(
            describe(name, f"threshold.{costs[0]}", "a cost is only read with tune: cost")
        )


def fill_select(config: dict) -> None:
    """Every experiment's ``select``: its own keys over the sweep-wide ``select`` over the
    defaults (accuracy, best); the one-SE rule needs cross-validation."""
    sweep = config["select"] = {**DEFAULT_SELECT, **(config.get("select") or {})}
    for name, exp in config["experiments"].items():
        exp["select"] = {**sweep, **(exp.get("select") or {})}
        check_threshold(name, exp)
        if exp["select"]["rule"] == "one_se" and not exp.get("cv"):
            raise ConfigError(
                describe(
                    name,
                    "select.rule",
                    "one_se needs cv: (the one-standard-error rule uses the standard error of "
                    "the cross-validated mean)",
                )
            )
