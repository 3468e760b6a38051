"""Figures over an experiment's grid of C values: scores against C, the train-test gap, the
heatmap of the selection metric and the coefficient paths."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.collections  # noqa: E402
import matplotlib.lines  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lrsweep.domain import Status  # noqa: E402
from lrsweep.results.figures._curves import (  # noqa: E402
    COINCIDE,
    coinciding,
    coinciding_groups,
    coinciding_note,
    heatmap_cells,
    heatmap_scale,
)
from lrsweep.results.figures._labels import METRIC_LABELS, series_title  # noqa: E402
from lrsweep.results.figures._style import (  # noqa: E402
    add_note,
    fixed_layout,
    series_styles,
)

INF_LABEL = "none\n(C=∞)"


class CAxis:
    """Where each C goes on a log axis. C = inf (``penalty: none``) has no place on it, so it
    gets one: a decade right of the largest finite C, past a dotted line, labelled
    :data:`INF_LABEL`; without it unpenalized fits would be silently left out."""

    def __init__(self, cs):
        cs = np.asarray(list(cs), dtype=float)
        self.finite = sorted(set(cs[np.isfinite(cs)].tolist()))
        self.has_inf = bool(np.isinf(cs).any())
        self.inf_x = self.finite[-1] * 10 if self.finite else 1.0

    def x(self, cs) -> np.ndarray:
        cs = np.asarray(cs, dtype=float)
        return np.where(np.isinf(cs), self.inf_x, cs)

    def format(self, ax, label: str = "C (inverse regularization strength, log scale)"):
        """Log scale, ticks at the decades (at the C values themselves when they span less
        than two), and limits set here: a log axis left to autoscale a single C drew its
        point on the frame and no tick label."""
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ticks: list[float] = []
        if self.finite:
            low, high = math.log10(self.finite[0]), math.log10(self.finite[-1])
            ticks = [10.0**k for k in range(math.ceil(low - 1e-9), math.floor(high + 1e-9) + 1)]
            if len(ticks) < 2:
                step = math.ceil(len(self.finite) / 6)
                ticks = self.finite[::step]
        names = [f"{c:g}" for c in ticks]
        if self.has_inf:
            if self.finite:
                ax.axvline(
                    math.sqrt(self.finite[-1] * self.inf_x), color="grey", lw=0.8, ls=(0, (2, 3))
                )
            ticks, names = [*ticks, self.inf_x], [*names, INF_LABEL]
        if not ticks:
            return
        ax.set_xticks(ticks, names)
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        first = self.finite[0] if self.finite else self.inf_x
        last = self.inf_x if self.has_inf else self.finite[-1]
        ax.set_xlim(first / 10**0.25, last * 10**0.25)


def _mark_missing(ax, rows: pd.DataFrame, y: float, color: str, caxis: CAxis):
    """Skipped (x) and failed (!) points drawn on the lower edge, so they are not silent."""
    for status, marker in ((Status.SKIPPED, "x"), (Status.FAILED, "$!$")):
        part = rows[rows["status"] == status]
        if len(part):
            ax.scatter(
                caxis.x(part["C"]),
                [y] * len(part),
                marker=marker,
                color=color,
                s=40,
                clip_on=False,
                zorder=5,
            )


def _plot_series(ax, x, y, style: dict, label: str, low=None, high=None):
    """One series against C, with its 95 % interval: a band, or error bars for a lone point
    (an unpenalized fit: one point, at C = inf)."""
    ax.plot(x, y, label=label, **style)
    if low is None or not np.isfinite(np.asarray(low, dtype=float)).any():
        return
    color = style["color"]
    if len(x) > 1:
        ax.fill_between(x, low, high, color=color, alpha=0.10, lw=0)
    else:
        y = np.asarray(y, dtype=float)
        ax.errorbar(x, y, yerr=[y - low, high - y], fmt="none", ecolor=color, capsize=3, lw=1)


def plot_metric_vs_C(sk: pd.DataFrame, metric: str, title: str):
    """Test and train accuracy, and ``metric`` on test, against C, one line per series.
    Series that coincide in every panel are named in a note under the legend."""
    panels = [("accuracy_test", "test accuracy"), ("accuracy_train", "train accuracy")]
    if metric != "accuracy":
        panels.append((f"{metric}_test", f"test {METRIC_LABELS.get(metric, metric)}"))
    caxis = CAxis(sk["C"])
    groups = list(sk.groupby("series", sort=True))
    styles = series_styles(label for label, _ in groups)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.3), sharex=True)
    together = {}
    for ax, (col, label) in zip(axes, panels, strict=True):
        curves = {}
        for pair, rows in groups:
            rows = rows.sort_values("C")
            ok = rows[rows["status"] == Status.OK]
            if len(ok) and col in ok:
                low, high = f"{col}_ci_low", f"{col}_ci_high"
                band = (ok[low], ok[high]) if low in ok else (None, None)
                _plot_series(ax, caxis.x(ok["C"]), ok[col], styles[pair], pair, *band)
                curves[pair] = (caxis.x(ok["C"]), ok[col])
            else:
                ax.scatter(
                    [], [], marker="x", color=styles[pair]["color"], label=f"{pair} (not fitted)"
                )
        # skipped and failed points on the lower edge of the data's own range
        if not ax.lines:
            ax.set_ylim(0.0, 1.0)
        low_edge, high_edge = ax.get_ylim()
        for pair, rows in groups:
            _mark_missing(ax, rows, low_edge, styles[pair]["color"], caxis)
        pairs = coinciding(curves, COINCIDE * (high_edge - low_edge))
        together[label] = coinciding_groups(pairs, [g for g, _ in groups])
        caxis.format(ax)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    ncol = min(4, max(1, len(labels)))
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=ncol,
        fontsize=8,
        title=f"{series_title(sk)} (x: skipped, !: failed; bands, bars: 95 % intervals, "
        "Clopper-Pearson for accuracy, bootstrap for ROC AUC)",
        title_fontsize=8,
    )
    room = add_note(fig, coinciding_note(together))
    fig.legends[0].set_bbox_to_anchor((0.5, room))
    fig.suptitle(title, fontsize=10)
    rows_of_legend = math.ceil(len(labels) / ncol)
    fixed_layout(fig, rect=(0, min(0.5, room + 0.07 + 0.045 * rows_of_legend), 1, 0.95))
    return fig


def plot_gap(sk: pd.DataFrame, title: str):
    """Train minus test accuracy against C: the tutorial's overfitting check."""
    caxis = CAxis(sk["C"])
    groups = list(sk.groupby("series", sort=True))
    styles = series_styles(label for label, _ in groups)
    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    curves = {}
    for pair, rows in groups:
        ok = rows[rows["status"] == Status.OK].sort_values("C")
        if len(ok):
            gap = ok["accuracy_train"] - ok["accuracy_test"]
            _plot_series(ax, caxis.x(ok["C"]), gap, styles[pair], pair)
            curves[pair] = (caxis.x(ok["C"]), gap)
        else:
            ax.scatter(
                [], [], marker="x", color=styles[pair]["color"], label=f"{pair} (not fitted)"
            )
    if not curves:
        ax.set_ylim(-1, 1)
        ax.text(0.5, 0.6, "no grid point was fitted", transform=ax.transAxes, ha="center")
    ax.axhline(0, color="grey", lw=1)
    for pair, rows in groups:  # skipped and failed points on the lower edge
        _mark_missing(ax, rows, ax.get_ylim()[0], styles[pair]["color"], caxis)
    caxis.format(ax, "C (log scale)")
    ax.set_ylabel("train accuracy - test accuracy")
    ax.set_title(title, fontsize=10, y=1.0)
    ax.grid(alpha=0.3)
    missing = (sk["status"].isin([Status.SKIPPED, Status.FAILED])).any()
    ax.legend(
        fontsize=8,
        title=series_title(sk) + (" (x: skipped, !: failed)" if missing else ""),
        title_fontsize=8,
    )
    low, high = ax.get_ylim()
    pairs = coinciding(curves, COINCIDE * (high - low))
    room = add_note(fig, coinciding_note({"gap": coinciding_groups(pairs, [g for g, _ in groups])}))
    # fixed margins, room for two-line C labels ("none (C=inf)") and a one-line title
    fixed_layout(fig, rect=(0, room, 1, 1), left=0.85, bottom=0.75, top=0.35)
    return fig


def plot_heatmap(sk: pd.DataFrame, metric: str, title: str):
    """Test ``metric`` over C × series; skipped and failed cells are labelled, the
    unpenalized fits have the last column. Colours: :func:`heatmap_scale`."""
    series, cs, values, notes = heatmap_cells(sk, metric)
    labels = [s.replace(", ", "\n", 1) for s in series]  # the varying keys on a second line
    longest = max(len(line) for s in labels for line in s.split("\n"))  # characters
    width = 0.9 * len(cs) + 2.8 + 0.065 * longest
    lines = sum(s.count("\n") + 1 for s in labels)
    height = max(2.5, 0.22 * lines + 0.15 * len(series) + 2.3)
    fig, ax = plt.subplots(figsize=(max(5.5, width), height))
    grey = np.where(np.array([[n not in (None, "") for n in r] for r in notes]), 0.0, np.nan)
    ax.imshow(np.ma.masked_invalid(grey), cmap="Greys", vmin=-1, vmax=3, aspect="auto")
    scale = heatmap_scale(values, metric)
    cmap = plt.get_cmap(scale["cmap"])
    im = ax.imshow(
        np.ma.masked_invalid(values),
        cmap=cmap,
        vmin=scale["vmin"],
        vmax=scale["vmax"],
        aspect="auto",
    )
    fig.colorbar(
        im, ax=ax, label=f"test {METRIC_LABELS.get(metric, metric)}", extend=scale["extend"]
    )
    for i in range(len(series)):
        for j in range(len(cs)):
            if notes[i, j] is None:
                continue
            text = notes[i, j] or f"{values[i, j]:.3f}"
            dark = False
            if np.isfinite(values[i, j]):
                r, g, b, _ = cmap(im.norm(values[i, j]))
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(
                j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black"
            )
    ax.set_xticks(range(len(cs)), [INF_LABEL if math.isinf(c) else f"{c:g}" for c in cs])
    if math.isinf(cs[-1]) and len(cs) > 1:
        ax.axvline(len(cs) - 1.5, color="white", lw=4)
    ax.set_yticks(range(len(series)), labels, fontsize=8)
    ax.set_xlabel("C (blank: not in the grid)")
    ax.set_ylabel(series_title(sk))
    ax.set_title(title, fontsize=10, y=1.0)
    fig.text(0.01, 0.01, scale["caption"], fontsize=7.5, va="bottom", wrap=True)
    # fixed margins, not tight_layout (which measures every text first, as costly as the
    # drawing): the row labels' width from their longest line (8 pt: 0.062 inch a
    # character), the colour bar's ticks and label on the right
    fixed_layout(
        fig, rect=(0, 0.3 / height, 1, 1), left=0.55 + 0.062 * longest, right=0.95, top=0.35
    )
    return fig


def coef_colors(tables: list, top: int) -> tuple[pd.Series, dict]:
    """(largest |value| of each term in any panel, a colour for each of the ``top`` largest):
    each coloured term has the same colour in every panel."""
    strength = (
        pd.concat([t[["term", "value"]] for _, t in tables])
        .assign(value=lambda d: d["value"].abs())
        .groupby("term", sort=True)["value"]
        .max()
    )
    strongest = list(strength.sort_values(ascending=False, kind="stable").index[:top])
    cmap = plt.get_cmap("tab10" if top <= 10 else "tab20")
    return strength, {term: cmap(k) for k, term in enumerate(strongest)}


def _coef_panel(ax, pair: str, table: pd.DataFrame, colors: dict) -> None:
    """One series' coefficients against C: the coloured terms as lines with points, the
    others grey."""
    wide = table.pivot_table(index="C", columns="term", values="value").sort_index()
    others = [term for term in wide.columns if term not in colors]
    if others:  # one artist for all grey lines (cheap to draw and to write as SVG)
        x = wide.index.to_numpy(dtype=float)
        ax.add_collection(
            matplotlib.collections.LineCollection(
                [np.column_stack([x, wide[t].to_numpy()]) for t in others],
                colors="#bbbbbb",
                linewidths=0.7,
            )
        )
    for term in colors:
        if term in wide:
            ax.plot(wide.index, wide[term], "-o", ms=3, lw=1.4, color=colors[term])
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("C (log scale)")
    ax.set_ylabel(table.attrs.get("ylabel", "coefficient"))
    ax.set_title(pair, fontsize=9, y=1.0)
    ax.grid(alpha=0.3)


def _coef_legend(fig, colors: dict, n_terms: int) -> None:
    """One legend under the panels: the coloured terms, and how many others are grey."""
    handles = [
        matplotlib.lines.Line2D([], [], color=c, marker="o", ms=4, lw=1.4, label=t)
        for t, c in colors.items()
    ]
    n_other = n_terms - len(colors)
    if n_other:
        handles.append(
            matplotlib.lines.Line2D([], [], color="#bbbbbb", lw=0.7, label=f"{n_other} other terms")
        )
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=min(6, len(handles)),
        fontsize=8,
        title=(
            f"the {len(colors)} terms of largest |coefficient| in any panel "
            "(one colour per term in every panel)"
            if len(colors) > 1
            else "the one term"
        ),
        title_fontsize=8,
        frameon=False,
    )


def plot_coef_paths(paths: dict[str, pd.DataFrame], title: str, top: int = 10):
    """Coefficients against C, one panel per series (:func:`grid_table`). ``paths[series]`` has
    C, term, value (for several classes: the L2 norm of the term's coefficients).

    The ``top`` terms of largest |value| in any panel are coloured, each with the same colour
    in every panel, and named in one legend under the panels (a legend per panel would give a
    term different colours in different panels and cover the lines); the others are grey."""
    tables = sorted(paths.items())
    strength, colors = coef_colors(tables, top)
    n = len(tables)
    cols = min(3, n)
    rows_n = math.ceil(n / cols)
    legend_rows = math.ceil((len(colors) + 1) / 6)
    fig, axes = plt.subplots(
        rows_n, cols, figsize=(5.2 * cols, 3.6 * rows_n + 0.6 + 0.25 * legend_rows), squeeze=False
    )
    for ax, (pair, table) in zip(axes.flat, tables, strict=False):
        _coef_panel(ax, pair, table, colors)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    _coef_legend(fig, colors, len(strength))
    fig.suptitle(title, fontsize=10)
    height = fig.get_figheight()
    fixed_layout(
        fig,
        rect=(0, (0.45 + 0.22 * legend_rows) / height, 1, 1 - 0.35 / height),
        left=0.9,
        top=0.35,
        gap=1.0,
    )
    return fig
