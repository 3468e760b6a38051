"""The config's sources: files in order, then ``--config KEY=VALUE`` overlays, each merged
recursively into the ones before (as Snakemake merges them).
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from lrsweep.config.yaml import SAFE_LOADER, check_structure, load_yaml
from lrsweep.errors import ConfigError


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
