"""Read, merge and validate the sweep configuration.

Everything here is pure: text or dicts in, a validated config with every default filled in out.
The rules (README, "The config"):

- YAML is read with PyYAML's safe loader, never evaluated as code; YTE templates
  (``__use_yte__``) are refused. Duplicate keys are refused with their positions (two on one
  line too); so is YAML nested deeper than :data:`MAX_DEPTH` (found in the parser's events,
  before PyYAML's recursive composer sees it), a config whose aliases and merge keys (``<<``)
  expand to an absurd size or depth (measured on the composed nodes, before anything expands
  them), a non-finite number, and a control character in any key or text.
- Several sources merge as Snakemake merges them: files in order, then ``--config KEY=VALUE``
  overlays, each a recursive merge of mappings.
- ``workflow/schemas/config.schema.yaml`` is the one list of every vocabulary (solvers,
  penalties, bundled datasets); its ``description`` of a value is the sentence an error gives.

Every error is one line naming the source, the experiment, the key, the value and what is
allowed.
"""

from __future__ import annotations

import copy
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from lrsweep.config.grid import grids_of
from lrsweep.domain import DEFAULT_SELECT
from lrsweep.errors import ConfigError, describe

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"

#: Keys whose values YAML 1.1 may read as strings (``1e-5`` without a dot).
NUMERIC_KEYS = {"C", "l1_ratio", "tol", "alpha", "test_size", "class_sep", "shard_minutes"}
#: A config whose values, aliases expanded, number more than this is refused before expansion.
MAX_NODES = 200_000
MAX_DEPTH = 40
#: Settings that say how to run, not what to compute: not part of a version.
RUN_SETTINGS = ("fit_jobs", "shard_minutes", "max_grid_points")

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


# --------------------------------------------------------------------------------------------
# The schema and its vocabularies


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


# --------------------------------------------------------------------------------------------
# Reading YAML

#: PyYAML's safe loader, in C where available (the same rules, parsed 10x faster: the schema
#: and config are read every time Snakemake starts).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(SAFE_LOADER):
    """The safe loader, refusing a key given twice in one mapping (PyYAML keeps the last)."""


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _position(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


class DuplicateKey(ConfigError):
    """A key given twice in one mapping; ``path`` is filled in on the way out, so that the
    message names the experiment and the key as every other config error does."""

    def __init__(self, key, marks: tuple):
        self.path, self.marks = [key], marks
        super().__init__(str(key))

    def __str__(self) -> str:
        path, (first, second) = self.path, self.marks
        if path[:1] == ["experiments"] and len(path) == 2:
            what = f"experiment {_label(path[1])!r} given twice"
        else:
            what = _path_text(path) + " given twice"
        return (
            f"{what}, at {_position(first)} and {_position(second)} "
            "(a key may appear once in a mapping)"
        )


def _construct_mapping(loader, node):
    seen: dict = {}
    for key_node, _ in node.value:  # the keys written here; merged ones (<<) may be overridden
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        try:  # by node, not by line: `{C: 0.1, C: 10.0}` is two keys on one line
            first = seen.setdefault(key, key_node)
        except TypeError:  # an unhashable key: the base constructor says so
            return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=True)
        if first is not key_node:
            raise DuplicateKey(key, (first.start_mark, key_node.start_mark))
    loader.flatten_mapping(node)  # merged keys first, then this mapping's own: the last wins
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            mapping[key] = loader.construct_object(value_node, deep=True)
        except DuplicateKey as exc:  # in a mapping below: say where
            exc.path.insert(0, key)
            raise
    return mapping


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text strictly; every error is one line naming ``source``.

    Three steps, each bounding what the next may cost: the parser's events (nesting depth),
    the composed nodes (size and depth with aliases and merge keys expanded, counted once
    per node), then the constructed values (duplicate keys, and :func:`check_structure`)."""
    try:
        check_nesting(text, source)
        loader = StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                check_expansion(node, source)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except DuplicateKey as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at {_position(mark)}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        started = getattr(exc, "context_mark", None)
        if context and started and (not mark or started.line != mark.line):
            # where the unclosed bracket or block began: often the line to fix
            context += f" started at line {started.line + 1}, column {started.column + 1}"
        reason = f"{problem} ({context})" if context else problem
        raise ConfigError(f"{source}: malformed YAML{where}: {reason}") from None
    check_structure(data, source)
    return data


def load_yaml(path: str | Path) -> dict:
    """Read a YAML config file with the strict safe loader; one-line errors."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}); "
            "save the config as UTF-8"
        ) from None
    data = parse_yaml(text, str(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping with 'sweep' and 'experiments'")
    return data


def _label(key: Any, limit: int = 60) -> str:
    """A key of the config as it may appear in a one-line message: control characters
    escaped, long keys cut (keys are read before anything checks them)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(key))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _path_text(path: list) -> str:
    experiment, key = _where([_label(p) for p in path])
    return describe(experiment, key, "").rstrip(": ")


def _located(source: str, path: list, message: str) -> str:
    """``source: experiment 'x': key 'y': message``, the path's parts made safe to print."""
    return f"{source}: {describe(*_where([_label(p) for p in path]), message)}"


def _too_many(source: str, path: list) -> ConfigError:
    return ConfigError(
        _located(
            source,
            path,
            f"the config holds over {MAX_NODES:,} values once its YAML aliases and merge keys "
            "(<<) are expanded; refused (is an alias repeated by mistake?)",
        )
    )


def check_nesting(text: str, source: str) -> None:
    """Refuse YAML nested more than :data:`MAX_DEPTH` levels, from the parser's events (which
    PyYAML produces without recursion): its composer recurses, and 5,000 brackets raise
    ``RecursionError`` in Python while 100,000 overflow libyaml's C stack, a crash."""
    open_: list[list] = []  # per open collection: [is a mapping, next node is a key, key]
    for event in yaml.parse(text, Loader=SAFE_LOADER):
        if isinstance(event, yaml.CollectionEndEvent):
            open_.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        if open_ and open_[-1][0]:
            frame = open_[-1]
            if frame[1]:
                frame[2] = event.value if isinstance(event, yaml.ScalarEvent) else "?"
            frame[1] = not frame[1]
        if len(open_) > MAX_DEPTH:
            path = [frame[2] for frame in open_ if frame[0]]
            raise ConfigError(
                _located(
                    source,
                    path,
                    f"nested more than {MAX_DEPTH} levels deep, at {_position(event.start_mark)}",
                )
            )
        if isinstance(event, yaml.CollectionStartEvent):
            open_.append([isinstance(event, yaml.MappingStartEvent), True, None])


def check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse, before anything is constructed, a YAML node graph that holds more than
    :data:`MAX_NODES` values or nests deeper than :data:`MAX_DEPTH` once its aliases and merge
    keys are expanded, or that refers to itself. An anchor is one node shared by its aliases,
    so each node is measured once: time proportional to the text, however much it expands.
    A merge (``<<: [*a, *b]``) counts the merged values as if written in place, as PyYAML
    copies them."""
    measured: dict[int, tuple[int, int]] = {}  # id(node): (values, levels below it)
    active: set[int] = set()

    def walk(node, path: list, depth: int) -> tuple[int, int]:
        ident = id(node)
        if ident in active:
            raise ConfigError(
                _located(source, path, "a YAML alias refers to itself (recursive structure)")
            )
        if ident not in measured:
            active.add(ident)
            measured[ident] = measure(node, path, depth)
            active.discard(ident)
        size, below = measured[ident]
        if depth + below > MAX_DEPTH:
            raise ConfigError(
                _located(
                    source,
                    path,
                    f"nested more than {MAX_DEPTH} levels deep once its YAML aliases are expanded",
                )
            )
        return size, below

    def measure(node, path: list, depth: int) -> tuple[int, int]:
        if isinstance(node, yaml.ScalarNode):
            return 1, 0
        size, below = 1, 0
        if isinstance(node, yaml.SequenceNode):
            for i, child in enumerate(node.value):
                values, levels = walk(child, [*path, i], depth + 1)
                size, below = size + values, max(below, levels + 1)
        else:
            for key, value in node.value:
                merged = value.value if isinstance(value, yaml.SequenceNode) else [value]
                if key.tag == _MERGE_TAG and all(isinstance(m, yaml.MappingNode) for m in merged):
                    for mapping in merged:  # its values land in this mapping
                        values, levels = walk(mapping, path, depth)
                        size, below = size + values - 1, max(below, levels)
                    continue
                if not isinstance(key, yaml.ScalarNode):
                    values, levels = walk(key, [*path, "?"], depth + 1)
                    size, below = size + values, max(below, levels + 1)
                label = key.value if isinstance(key, yaml.ScalarNode) else "?"
                values, levels = walk(value, [*path, label], depth + 1)
                size, below = size + values, max(below, levels + 1)
        if size > MAX_NODES:  # the smallest part that is too big: the one to name
            raise _too_many(source, path)
        return size, below

    walk(root, [], 0)


def check_structure(data: Any, source: str) -> None:
    """Refuse, before anything expands the YAML aliases: more than :data:`MAX_NODES` values
    in all (counted with each alias expanded, in time proportional to the text), recursion,
    nesting deeper than :data:`MAX_DEPTH`, non-finite numbers and control characters."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(obj, path, depth) -> int:
        if depth > MAX_DEPTH:
            raise ConfigError(f"{source}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(obj, dict | list):
            ident = id(obj)
            if ident in sizes:
                return sizes[ident]
            if ident in active:
                raise ConfigError(f"{source}: {_path_text(path)}: a YAML alias refers to itself")
            active.add(ident)
            items = obj.items() if isinstance(obj, dict) else enumerate(obj)
            total = 1
            for k, v in items:
                if isinstance(k, str):
                    _check_text(k, [*path, k], source)
                total += size(v, [*path, k], depth + 1)
                if total > MAX_NODES:
                    break
            active.discard(ident)
            sizes[ident] = total
            return total
        if isinstance(obj, str):
            _check_text(obj, path, source)
        elif isinstance(obj, float) and not math.isfinite(obj):
            raise ConfigError(
                f"{source}: {_path_text(path)}: {obj!r} is not allowed (numbers must be finite)"
            )
        return 1

    if size(data, [], 0) > MAX_NODES:
        raise _too_many(source, [])


def _check_text(text: str, path: list, source: str) -> None:
    bad = next((c for c in text if ord(c) < 32 or ord(c) == 127), None)
    if bad is not None:
        where = _path_text(path) or "a key"
        raise ConfigError(
            f"{source}: {where}: {text!r} holds a control character ({bad!r}), which is not allowed"
        )


# --------------------------------------------------------------------------------------------
# Merging sources


def merge(base: dict, overlay: dict) -> dict:
    """Merge ``overlay`` into ``base`` as Snakemake does: mappings recursively, anything else
    replaced."""
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _typed(value):
    """``--config`` values: Snakemake reads a nested value with YAML's base loader, which
    leaves every scalar a string; read each scalar again with the safe loader."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, str):
        try:
            parsed = yaml.load(value, Loader=SAFE_LOADER)
        except yaml.YAMLError:
            return value
        return parsed if isinstance(parsed, int | float | bool) or parsed is None else value
    return value


def read_sources(
    files: list[str | Path], overlay: dict | None = None
) -> tuple[dict, list[dict], str]:
    """Merge config files (in order) and ``--config`` overlays.

    Returns the merged config, the sources (path, SHA-256 and text of each, as read: what a
    version records) and a label naming them for error messages."""
    from lrsweep.store.files import sha256_bytes

    merged: dict = {}
    sources = []
    for path in files:
        data = load_yaml(path)
        if "__use_yte__" in data:
            raise ConfigError(
                f"{path}: YTE templating (__use_yte__) is refused; lrsweep configs are plain YAML"
            )
        text = Path(path).read_text(encoding="utf-8")
        sources.append({"path": str(path), "sha256": sha256_bytes(text.encode()), "text": text})
        merge(merged, data)
    label = " + ".join(str(p) for p in files)
    if overlay:
        typed = _typed(overlay)
        check_structure(typed, "--config")
        text = yaml.safe_dump(typed, sort_keys=False)
        sources.append({"path": "--config", "sha256": sha256_bytes(text.encode()), "text": text})
        merge(merged, typed)
        label += " + --config"
    return merged, sources, label


# --------------------------------------------------------------------------------------------
# Validation


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


def _where(path: list) -> tuple[str | None, str]:
    """Split a JSON path into (experiment, dotted key)."""
    parts = [str(p) for p in path]
    if len(parts) >= 2 and parts[0] == "experiments":
        return parts[1], ".".join(p for p in parts[2:] if not p.isdigit())
    return None, ".".join(p for p in parts if not p.isdigit())


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


def check_grid_size(filled: dict, grids: dict) -> int:
    total = sum(len(points) for points in grids.values())
    limit = filled["max_grid_points"]
    if total > limit:
        raise ConfigError(
            describe(
                None,
                "max_grid_points",
                f"the config expands to {total:,} grid points, over the limit of {limit:,}; "
                f"set max_grid_points: {total} to go ahead",
            )
        )
    return total


def resolve_config(config: dict, schema: dict | None = None) -> dict:
    """Validate and expand: ``{"config": filled config, "grids": {experiment: [points]}}``."""
    filled = validate_config(config, schema)
    grids = grids_of(filled)
    check_grid_size(filled, grids)
    return {"config": filled, "grids": grids}


def version_settings(filled: dict) -> dict:
    """The part of a validated config that names a version (not how jobs are run)."""
    return {k: v for k, v in filled.items() if k not in RUN_SETTINGS}


def sources_of(cli_config, configfiles) -> tuple[list[str], dict]:
    """The config files to read and the overlay to merge, from Snakemake's ``--config``
    (``file=`` names lrsweep's config; the rest are overlays) and ``--configfile`` values."""
    import os

    overlay = dict(cli_config or {})
    file = overlay.pop("file", None)
    files = ([str(file)] if file else []) + [
        os.path.relpath(p) if str(p).startswith(os.getcwd()) else str(p) for p in configfiles
    ]
    return files or ["config.yaml"], overlay
