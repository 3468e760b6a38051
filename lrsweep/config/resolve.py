"""Read, merge and validate the sweep configuration: :func:`resolve_config`.

Everything here is pure: text or dicts in, a validated config with every default filled in out.
The rules (README, "The config") live in the modules of each step: :mod:`lrsweep.config.yaml`
(the strict loader), :mod:`lrsweep.config.sources` (files and overlays, merged),
:mod:`lrsweep.config.schema` (validation, defaults, messages) and :mod:`lrsweep.config.grid`
(the grid points).
"""

from __future__ import annotations

from lrsweep.config.grid import grids_of
from lrsweep.config.schema import validate_config
from lrsweep.config.sources import read_sources, sources_of
from lrsweep.errors import ConfigError, describe

#: What the Snakefile reads from here (with :func:`resolve_config`).
__all__ = ["read_sources", "resolve_config", "sources_of", "version_settings"]

#: Settings that say how to run, not what to compute: not part of a version.
RUN_SETTINGS = ("fit_jobs", "shard_minutes", "max_grid_points")


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
