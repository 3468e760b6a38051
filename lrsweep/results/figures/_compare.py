"""The comparison of two versions (``lrsweep compare``): every grid point's metric in both,
from the table :func:`lrsweep.tools.compare.compare_metrics` computed."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

KEY = ["experiment", "model_id"]
#: How each kind of change is drawn: highlighted ones large and coloured, unchanged small grey.
CHANGE_STYLE = {
    "unchanged": {"marker": "o", "s": 14, "color": "#9e9e9e", "alpha": 0.7, "zorder": 2},
    "changed": {"marker": "o", "s": 42, "color": "#ff7f0e", "zorder": 4},
    "added": {"marker": "P", "s": 80, "color": "#2ca02c", "zorder": 5},
    "removed": {"marker": "X", "s": 80, "color": "#d62728", "zorder": 5},
}
#: The figure's height is capped (inches at 100 dpi): one row per experiment, not per point.
MAX_HEIGHT = 15.0


def comparison_rows(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the y position of every grid point: one row band per experiment (first
    experiment on top), its points spread evenly across the band in model_id order so that
    they do not sit on each other."""
    table = table.sort_values(KEY).reset_index(drop=True)
    experiments = sorted(table["experiment"].unique())
    band = {e: i for i, e in enumerate(experiments)}
    y = np.zeros(len(table))
    for experiment, rows in table.groupby("experiment"):
        n = len(rows)
        y[rows.index] = band[experiment] - 0.36 + 0.72 * (np.arange(n) + 0.5) / n
    return table.assign(y=y)


def plot_comparison(table: pd.DataFrame, metric: str, old_name: str, new_name: str):
    """The metric of every grid point in both versions, one row band per experiment (so the
    figure stays readable, and at most 1,500 px tall, for any number of points). Left: the
    values; added points (green +) at their new value, removed (red x) at their old one,
    changed ones (orange) as a line from the old value (hollow) to the new (filled),
    unchanged ones small and grey. Right: new - old of the changed points, where differences
    too small to see on the left show."""
    table = comparison_rows(table)
    experiments = sorted(table["experiment"].unique())
    n = max(1, len(experiments))
    height = min(MAX_HEIGHT, max(3.4, 0.62 * n + 2.1))
    fig, (ax, dax) = plt.subplots(
        1,
        2,
        figsize=(12, height),
        sharey=True,
        gridspec_kw={"width_ratios": [2.2, 1]},
    )
    counts = table["change"].value_counts()
    _draw_changes(ax, dax, table, metric, counts)
    for axis in (ax, dax):
        for k in range(1, n):
            axis.axhline(k - 0.5, color="#cccccc", lw=0.8)
        axis.grid(alpha=0.3, axis="x")
    dax.axvline(0, color="grey", lw=0.8)
    if not counts.get("changed", 0):
        dax.text(
            0.5,
            0.5,
            "no changed\ngrid points",
            transform=dax.transAxes,
            ha="center",
            va="center",
            fontsize=9,
            color="grey",
        )
    short = n > 20
    ax.set_yticks(
        range(n), experiment_labels(table, experiments, short), fontsize=7 if short else 8
    )
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlabel(metric)
    dax.set_xlabel("new - old")
    ax.set_title(f"{metric} by grid point", fontsize=10, y=1.0)
    dax.set_title("how much the changed points moved", fontsize=10, y=1.0)
    fig.suptitle(f"{old_name} (old) -> {new_name} (new)", fontsize=10)
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, fontsize=8, loc="lower center", ncol=5, frameon=False)
    fig.tight_layout(rect=(0, 0.35 / height, 1, 1 - 0.1 / height))
    return fig


def experiment_labels(table: pd.DataFrame, experiments: list, short: bool) -> list[str]:
    """Each experiment's row label: its name and (unless ``short``) its counts of changes."""
    labels = []
    for experiment in experiments:
        c = table.loc[table["experiment"] == experiment, "change"].value_counts()
        what = (
            f"{c.get('added', 0)} added, {c.get('removed', 0)} removed, "
            f"{c.get('changed', 0)} changed, {c.get('unchanged', 0)} same"
        )
        labels.append(experiment if short else f"{experiment}\n{what}")
    return labels


def _draw_changes(ax, dax, table: pd.DataFrame, metric: str, counts) -> None:
    """Every grid point by its kind of change (:data:`CHANGE_STYLE`); a changed one as a line
    from its old value to its new, and its difference on ``dax``."""
    old, new = table[f"{metric}_old"], table[f"{metric}_new"]
    for change in ("unchanged", "changed", "added", "removed"):
        rows = table[table["change"] == change]
        style = CHANGE_STYLE[change]
        label = f"{change} ({counts.get(change, 0)})"
        if change != "changed":
            values = old if change == "removed" else new
            ax.scatter(values[rows.index], rows["y"], label=label, **style)
            continue
        both = rows[rows[f"{metric}_old"].notna() & rows[f"{metric}_new"].notna()]
        segments = [
            [(a, y), (b, y)]
            for a, b, y in zip(both[f"{metric}_old"], both[f"{metric}_new"], both["y"], strict=True)
        ]
        ax.add_collection(LineCollection(segments, colors=style["color"], lw=1.2, zorder=3))
        ax.scatter(
            rows[f"{metric}_old"],
            rows["y"],
            facecolors="white",
            edgecolors=style["color"],
            marker="o",
            s=style["s"],
            zorder=4,
            label=f"changed, old value ({counts.get(change, 0)})",
        )
        ax.scatter(
            rows[f"{metric}_new"],
            rows["y"],
            label=f"changed, new value ({counts.get(change, 0)})",
            **style,
        )
        dax.scatter(rows["delta"], rows["y"], **style)
