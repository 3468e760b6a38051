"""Figures of a sweep, drawn in one process (matplotlib, Agg backend; the confusion matrix
with Pillow).

The public functions are those the workflow and the tools call:

- :func:`draw_fit_figures`: one fit's figures, in the fit job (``._fit``, ``._confusion``);
- :func:`draw_overview`: an experiment's figures over its grid, in the fit job that holds
  all its points, else in the publish job (``._overview``: ``._grid``, ``._ranked``,
  ``._statsmodels``);
- :func:`plot_comparison`: two versions side by side, for ``lrsweep compare`` (``._compare``);
- :func:`warm_up`: matplotlib's caches built once, before a job's workers fork (``._style``).

As scikit-learn's ``metrics/_plot`` displays, a figure draws what was computed elsewhere: the
points (ROC, precision-recall, reliability bins, coefficient paths, heatmap cells, ranking)
come from the pure functions of ``._curves``, the words from ``._labels``. Each ``plot_*``
function takes tables or arrays and returns a matplotlib ``Figure`` (so tests can look at what
it shows); the caller saves it. Where a figure shows "the best" or "the selected" fits, they
are chosen by :mod:`lrsweep.results.selection`, the leaderboard's rule. Every grid key that
varies within an experiment splits series (``._labels.varying_keys``), so no two fits are drawn
as one.

The names are loaded on first use: importing :func:`draw_fit_figures` loads only the per-fit
modules, so the per-fit figures' store key holds only those (:mod:`lrsweep.store.keys`), and an
edit of the overview's code redraws no fit's figures.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "draw_fit_figures": "._fit",
    "draw_overview": "._overview",
    "plot_comparison": "._compare",
    "warm_up": "._style",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
