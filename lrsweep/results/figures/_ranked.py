"""Figures of the top-ranked fits: ROC and precision-recall curves and reliability diagrams.
They draw points computed in :mod:`._curves`."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lrsweep.results.figures._curves import (  # noqa: E402
    bin_counts,
    brier,
    reliability,
    same_curves,
    same_curves_note,
)
from lrsweep.results.figures._style import (  # noqa: E402
    MARKERS,
    _wrap,
    add_note,
    curve_styles,
    legend_between_panels,
    legend_under_axes,
)


def plot_roc(curves: list[tuple[str, np.ndarray, np.ndarray, float]], title: str, positive=""):
    """``curves``: (label, fpr, tpr, auc) of the top-ranked fits, best first. Curves that
    coincide are told apart by width and dash and named in a note; when all are good, an
    inset magnifies the top-left corner where they differ."""
    fig, ax = plt.subplots(figsize=(6.4, 6.6))
    styles = curve_styles(len(curves))
    for (label, fpr, tpr, auc), style in zip(curves, styles, strict=True):
        ax.plot(fpr, tpr, label=f"{label} (AUC {auc:.4f})", **style)
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls=":", label="chance")
    ax.set_xlabel("false positive rate (1 - specificity)")
    ax.set_ylabel("true positive rate (sensitivity)" + (f", positive class: {positive}"))
    ax.set_title(_wrap(title), fontsize=9, y=1.0)
    corner = [np.interp(0.02, fpr, tpr) for _, fpr, tpr, _ in curves]
    same = same_curves([(c[0], c[1], c[2]) for c in curves])
    all_same = len(same) == 1 and len(same[0]) == len(curves)
    if curves and min(corner) >= 0.5 and not all_same:  # good curves that differ up there
        low = max(0.0, math.floor((min(corner) - 0.05) * 20) / 20)
        inset = ax.inset_axes([0.38, 0.08, 0.58, 0.52])
        for (_, fpr, tpr, _), style in zip(curves, styles, strict=True):
            inset.plot(fpr, tpr, **style)
        inset.set_xlim(-0.005, 0.25)
        inset.set_ylim(low, 1.005)
        inset.set_title("top-left corner, magnified", fontsize=7, y=1.0)
        inset.tick_params(labelsize=7)
        inset.grid(alpha=0.3)
    legend_under_axes(fig, ax, _wrap(title), add_note(fig, same_curves_note(same)))
    return fig


def _reliability_axes(ax, positive: str):
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls=":", label="perfectly calibrated")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal", adjustable="box")
    ax.set_ylabel(f"observed frequency of class {positive}")
    ax.grid(alpha=0.3)


def plot_calibration(curves, title: str, positive: str, n_bins: int):
    """A reliability diagram of the top-ranked fits (two classes). ``curves``: (label,
    probabilities of ``positive``, 0/1 truth), best first. Above: observed frequency against
    mean predicted probability per bin, with the diagonal; the Brier score in the legend.
    Below: how many rows each bin holds (a point of few rows says little)."""
    fig, (ax, hist) = plt.subplots(
        2, 1, figsize=(6.4, 8.2), gridspec_kw={"height_ratios": [3.2, 1]}
    )
    _reliability_axes(ax, positive)
    styles = curve_styles(len(curves))
    edges = np.linspace(0, 1, n_bins + 1)
    for i, ((label, prob, truth), style) in enumerate(zip(curves, styles, strict=True)):
        observed, predicted = reliability(truth, prob, n_bins)
        ax.plot(
            predicted,
            observed,
            marker=MARKERS[i % len(MARKERS)],
            ms=9 - 1.5 * i,
            mec="white",
            mew=0.6,
            label=f"{label} (Brier {brier(truth, prob):.4f})",
            **style,
        )
        hist.hist(
            prob,
            bins=edges,
            histtype="step",
            color=style["color"],
            ls=style["ls"],
            lw=max(1.0, style["lw"] * 0.6),
        )
    ax.set_xlabel(f"mean predicted probability of class {positive} ({n_bins} bins of equal width)")
    ax.set_title(title, fontsize=9, y=1.0)
    hist.set_xlim(-0.02, 1.02)
    hist.set_xlabel(f"predicted probability of class {positive}")
    hist.set_yscale("log")
    hist.set_ylabel("rows per bin (log)")
    hist.grid(alpha=0.3)
    legend_between_panels(fig, ax, title)
    return fig


TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


def plot_calibration_ovr(per_class, title: str, n_bins: int, limit: int = 30):
    """One-vs-rest reliability diagrams of one fit, a panel per class (several classes).
    ``per_class``: (class name, probabilities of it, 0/1 truth)."""
    shown = per_class[:limit]
    cols = min(5, len(shown))
    rows = math.ceil(len(shown) / cols)
    height = 2.6 * rows + 1.1
    fig, axes = plt.subplots(
        rows, cols, figsize=(2.6 * cols + 0.6, height), squeeze=False, sharex=True, sharey=True
    )
    for ax, (name, prob, truth) in zip(axes.flat, shown, strict=False):
        ax.plot([0, 1], [0, 1], color="grey", lw=1, ls=":")
        observed, predicted = reliability(truth, prob, n_bins)
        (line,) = ax.plot(predicted, observed, "o-", ms=4, lw=1.4, color="C0")
        for x, y, n in zip(predicted, observed, bin_counts(prob, n_bins), strict=True):
            ax.annotate(
                f"{n}", (x, y), xytext=(0, 5), textcoords="offset points", ha="center", fontsize=6
            )
        ax.legend([line], [f"Brier {brier(truth, prob):.4f}"], fontsize=7, loc="upper left")
        ax.set_title(f"class {name} vs rest", fontsize=8, y=1.0)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    # the panels share their axes: five ticks a side, set once (matplotlib's default locator
    # made nine for each of the panels, a third of drawing the figure)
    axes.flat[0].set_xticks(TICKS)
    axes.flat[0].set_yticks(TICKS)
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    fig.supxlabel(
        f"mean predicted probability of the class ({n_bins} bins of equal width; "
        "the number over a point: rows in its bin)",
        fontsize=9,
    )
    fig.supylabel("observed frequency of the class", fontsize=9)
    more = f" (first {limit} of {len(per_class)} classes)" if len(per_class) > limit else ""
    fig.suptitle(title + more, fontsize=9)
    # a fixed layout: tight_layout over many panels costs more than their drawing
    fig.subplots_adjust(
        left=0.75 / fig.get_figwidth(),
        right=0.98,
        bottom=0.55 / height,
        top=1 - 0.75 / height,
        wspace=0.12,
        hspace=0.3,
    )
    return fig


def plot_precision_recall(curves, title: str, positive: str, prevalence: float):
    """Precision against recall of the top-ranked fits (two classes). ``curves``: (label,
    recall, precision, average precision), best first; "no skill" is the prevalence."""
    fig, ax = plt.subplots(figsize=(6.4, 6.6))
    styles = curve_styles(len(curves))
    for (label, recall, precision, ap), style in zip(curves, styles, strict=True):
        ax.plot(recall, precision, drawstyle="steps-post", label=f"{label} (AP {ap:.4f})", **style)
    ax.axhline(
        prevalence, color="grey", lw=1, ls=":", label=f"no skill (prevalence {prevalence:.3f})"
    )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(min(prevalence, 0.5) - 0.05, 1.02)
    ax.set_xlabel(f"recall (sensitivity), positive class: {positive}")
    ax.set_ylabel("precision (positive predictive value)")
    ax.set_title(title, fontsize=9, y=1.0)
    ax.grid(alpha=0.3)
    note = same_curves_note(same_curves([(c[0], c[1], c[2]) for c in curves]))
    legend_under_axes(fig, ax, title, add_note(fig, note))
    return fig
