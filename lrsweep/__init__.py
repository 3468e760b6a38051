"""lrsweep: reproducible logistic-regression sweeps.

The workflow's stages are plain functions; a notebook gets the same numbers as the workflow::

    from lrsweep import resolve_config, prepare_experiment, fit_and_score
    sweep = resolve_config(config)
    prepared = prepare_experiment("digits", sweep["config"]["experiments"]["digits"])
    fitted = fit_and_score(prepared, sweep["grids"]["digits"][0])

Imports are lazy: the Snakefile reads the config without paying for scikit-learn's import.
"""

__version__ = "0.1.0"

_LAZY = {
    "resolve_config": "lrsweep.config.resolve",
    "prepare_experiment": "lrsweep.prepare.design",
    "fit_grid_point": "lrsweep.fit.sklearn",
    "fit_and_score": "lrsweep.score.record",
    "evaluate": "lrsweep.score.metrics",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lrsweep' has no attribute {name!r}")
