"""The strict YAML loader of the config, and the checks made before anything expands it.

- YAML is read with PyYAML's safe loader, never evaluated as code; YTE templates
  (``__use_yte__``) are refused. Duplicate keys are refused with their positions (two on one
  line too); so is YAML nested deeper than :data:`MAX_DEPTH` (found in the parser's events,
  before PyYAML's recursive composer sees it), a config whose aliases and merge keys (``<<``)
  expand to an absurd size or depth (measured on the composed nodes, before anything expands
  them), a non-finite number, and a control character in any key or text.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from lrsweep.errors import ConfigError, describe

#: A config whose values, aliases expanded, number more than this is refused before expansion.
MAX_NODES = 200_000
MAX_DEPTH = 40


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


def _where(path: list) -> tuple[str | None, str]:
    """Split a JSON path into (experiment, dotted key)."""
    parts = [str(p) for p in path]
    if len(parts) >= 2 and parts[0] == "experiments":
        return parts[1], ".".join(p for p in parts[2:] if not p.isdigit())
    return None, ".".join(p for p in parts if not p.isdigit())
