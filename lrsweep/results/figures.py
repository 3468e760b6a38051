"""Figures of one experiment, drawn in one process (matplotlib, Agg backend).

Each ``plot_*`` function takes tables or arrays and returns a matplotlib ``Figure`` (so tests
can look at what it shows); the caller saves it. ``draw_fit_figures`` draws one fit's figures
(in the fit job), ``draw_overview`` an experiment's (in the publish job), as bytes.

Where a figure shows "the best" or "the selected" fits, they are chosen by
:mod:`lrsweep.results.selection`, the leaderboard's rule. Every grid key that varies within an
experiment splits series (:func:`varying_keys`), so no two fits are drawn as one.
"""

from __future__ import annotations

import io
import math
import textwrap
from functools import cache

import matplotlib

matplotlib.use("Agg")

import matplotlib.collections  # noqa: E402
import matplotlib.lines  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lrsweep.domain import LOWER_IS_BETTER  # noqa: E402
from lrsweep.results import selection  # noqa: E402

MARKERS = "osD^vPX*h<>p"
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]
#: Two series closer than this share of an axis' height everywhere look like one line.
COINCIDE = 0.005
METRIC_LABELS = {
    "accuracy": "accuracy",
    "roc_auc": "ROC AUC",
    "f1_macro": "F1 (macro)",
    "log_loss": "log-loss",
    "precision_macro": "precision (macro)",
    "recall_macro": "recall (macro)",
    "balanced_accuracy": "balanced accuracy",
}


#: Grid keys of ``sklearn:`` besides solver, penalty and C. A figure that drew fits differing
#: only in one of these on one line or in one cell would merge them, so each one that varies
#: in an experiment splits series and is named in labels (:func:`varying_keys`).
VARIANT_KEYS = (
    "class_weight",
    "multi_class",
    "l1_ratio",
    "fit_intercept",
    "max_iter",
    "tol",
    "random_state",
)
#: The value of each variant key that a one-fit title leaves unsaid, as the config's defaults
#: (lrsweep.config.grid.SKLEARN_DEFAULTS, copied, not imported: the figures' store key covers only
#: figures.py and selection.py). multi_class is recorded resolved: "binary" says nothing.
TITLE_DEFAULTS = {
    "class_weight": "none",
    "multi_class": "binary",
    "l1_ratio": None,
    "fit_intercept": True,
    "max_iter": 100.0,
    "tol": 1e-4,
    "random_state": 0.0,
}


def setting_value(value):
    """A grid setting as one comparable Python value: metrics tables hold 1000.0 for 1000,
    "True" or True, NaN or None for "not set", depending on how they were read."""
    if value is None or isinstance(value, (list, dict)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return {"True": True, "False": False, "": None, "None": None}.get(value, value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return value


def setting_text(key: str, value) -> str:
    value = setting_value(value)
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{key}={shown}"


def fit_settings(row, keys=None) -> str:
    """What a fit is, in words: library, solver, penalty, C and the other settings in
    ``keys`` (default: those that differ from :data:`TITLE_DEFAULTS`, so that a one-fit
    figure never hides that its fit was, say, class-weighted)."""
    if row["library"] == "statsmodels":
        return (
            f"statsmodels L1, alpha={float(row['alpha']):g}"
            if row.get("regularized") == "l1"
            else f"statsmodels MLE ({row['method']})"
        )
    c = float(row["C"])
    what = f"{row['solver']}, {row['penalty']}, C={'inf' if math.isinf(c) else f'{c:g}'}"
    for key in VARIANT_KEYS if keys is None else keys:
        value = setting_value(row.get(key))
        if value is None or (keys is None and value == TITLE_DEFAULTS.get(key)):
            continue
        what += f", {setting_text(key, value)}"
    return what


def varying_keys(sk: pd.DataFrame) -> list[str]:
    """The variant keys (:data:`VARIANT_KEYS`) that take several values among fits with the
    same solver, penalty and C: drawn as one series, those fits would zig-zag on one line or
    share one heatmap cell. (multi_class is recorded resolved, so liblinear's ovr beside
    lbfgs' multinomial, which the solver already tells apart, does not count.)"""
    keys = []
    cells = [sk[c] for c in ("solver", "penalty", "C")]
    for key in VARIANT_KEYS:
        if key in sk and len(sk):
            values = sk[key].map(lambda v: repr(setting_value(v)))
            if (values.groupby(cells, dropna=False).nunique() > 1).any():
                keys.append(key)
    return keys


def series_label(row, keys=()) -> str:
    """A series of fits that differ only in C: solver / penalty and the varying keys."""
    label = f"{row['solver']} / {row['penalty']}"
    for key in keys:
        if setting_value(row.get(key)) is not None:
            label += f", {setting_text(key, row.get(key))}"
    return label


def series_title(sk: pd.DataFrame) -> str:
    """The legend title of the series of ``sk``: what tells them apart."""
    return ", ".join(["solver / penalty", *varying_keys(sk)])


def fit_title(row, part: str = "test") -> str:
    """A one-line description of a fit: library, settings, accuracy on the ``part`` rows
    (``all`` for ``split: none``)."""
    rows = "all rows" if part == "all" else "the test rows"
    return f"{fit_settings(row)} — accuracy on {rows} {row['accuracy_test']:.4f}"


def file_labels(row) -> dict:
    """solver, penalty and C of a fit as used in figure file names (and report labels). A
    statsmodels fit's "solver" is its method (``newton``, ...), or ``fit_regularized`` for L1,
    so that its figure is ``statsmodels--newton--none--Cinf--sm_mle_newton.png``, not
    ``statsmodels--statsmodels--...``: the model_id already says which library fitted it."""
    if row["library"] == "statsmodels":
        if row.get("regularized") == "l1":
            return {"solver": "fit_regularized", "penalty": "l1", "C": f"{1 / row['alpha']:g}"}
        return {"solver": str(row.get("method") or "newton"), "penalty": "none", "C": "inf"}
    c = float(row["C"])
    return {
        "solver": row["solver"],
        "penalty": row["penalty"],
        "C": "inf" if math.isinf(c) else f"{c:g}",
    }


# --------------------------------------------------------------------------------------------
# Per fit


@cache
def _font(size: int, bold: bool = False):
    """DejaVu Sans (matplotlib's own font, so the confusion matrices look like the plots)."""
    from matplotlib import font_manager
    from PIL import ImageFont

    props = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(props), size)


def _wrap_to(text: str, font, width: float) -> list[str]:
    """``text`` wrapped at its commas and spaces into lines no wider than ``width`` pixels."""
    lines, line = [], ""
    for word in text.split(" "):
        trial = f"{line} {word}".strip()
        if line and font.getlength(trial) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line] if line else lines


def confusion_layout(k: int, names: list[str], title: str, last: str) -> dict:
    """Sizes and the wrapped title of a confusion-matrix picture (pure: the tests check that
    the title always fits inside and no setting is dropped)."""
    cell = max(34, min(120, 600 // k))
    label = _font(12)
    tick_width = max(label.getlength(n) for n in names)
    rotate = tick_width > cell - 6
    left = int(24 + 8 + tick_width)
    bottom = int(20 + 8 + (tick_width * 0.72 + 14 if rotate else 16))
    width = max(left + k * cell + 110, int(_font(13).getlength(last)) + 30)
    for size in (13, 11, 9):  # smaller print before anything is left out
        font = _font(size)
        lines = _wrap_to(title, font, width - 20)
        if len(lines) <= 3:
            break
    lines = [*lines, last]
    top = 12 + len(lines) * (size + 5) + 16  # and the colour bar's label under the title
    return {
        "cell": cell,
        "left": left,
        "top": top,
        "bottom": bottom,
        "rotate": rotate,
        "size": (width, top + k * cell + bottom),
        "title": lines,
        "title_size": size,
    }


def confusion_png(cm, names: list[str], title: str, last: str) -> bytes:
    """A confusion matrix as PNG bytes: counts in the cells, coloured by count (Blues, 0 to the
    largest), actual classes down, predicted across, a colour bar, and a title wrapped to fit.

    Drawn with Pillow instead of matplotlib: a 10-class matrix took matplotlib 150 ms (100 text
    layouts), one for every fit of a sweep; this takes a few milliseconds."""
    import matplotlib
    from PIL import Image, ImageDraw

    cm = np.asarray(cm)
    k = len(names)
    lay = confusion_layout(k, [str(n) for n in names], title, last)
    cell, left, top = lay["cell"], lay["left"], lay["top"]
    image = Image.new("RGB", lay["size"], "white")
    draw = ImageDraw.Draw(image)
    blues = matplotlib.colormaps["Blues"]
    highest = max(1, int(cm.max()))
    colours = (np.asarray(blues(cm / highest))[..., :3] * 255).astype(np.uint8)
    block = np.repeat(np.repeat(colours, cell, axis=0), cell, axis=1)
    image.paste(Image.fromarray(block), (left, top))
    number = _font(15 if k <= 5 else 12)
    for i in range(k):
        for j in range(k):
            centre = (left + j * cell + cell / 2, top + i * cell + cell / 2)
            colour = "white" if cm[i, j] > highest / 2 else "black"
            draw.text(centre, str(cm[i, j]), fill=colour, font=number, anchor="mm")
    draw.rectangle([left, top, left + k * cell, top + k * cell], outline="black")
    label = _font(12)
    for i, name in enumerate(names):  # actual classes, down the left
        draw.text(
            (left - 6, top + i * cell + cell / 2), str(name), fill="black", font=label, anchor="rm"
        )
    for j, name in enumerate(names):  # predicted classes, across the bottom
        x, y = left + j * cell + cell / 2, top + k * cell + 5
        if lay["rotate"]:
            text = Image.new("L", (int(label.getlength(str(name))) + 4, 18), 0)
            ImageDraw.Draw(text).text((0, 0), str(name), fill=255, font=label)
            text = text.rotate(45, expand=True)
            image.paste("black", (int(x - text.width + 8), int(y)), text)
        else:
            draw.text((x, y), str(name), fill="black", font=label, anchor="mt")
    axis = _font(12, bold=True)
    draw.text(
        (left + k * cell / 2, lay["size"][1] - 6),
        "Predicted class",
        fill="black",
        font=axis,
        anchor="md",
    )
    side = Image.new("L", (int(axis.getlength("Actual class")) + 4, 18), 0)
    ImageDraw.Draw(side).text((0, 0), "Actual class", fill=255, font=axis)
    side = side.rotate(90, expand=True)
    image.paste("black", (6, int(top + k * cell / 2 - side.height / 2)), side)
    bar_x, bar_h = left + k * cell + 24, k * cell  # the colour bar: 0 at the bottom
    ramp = (np.asarray(blues(np.linspace(1, 0, bar_h)))[:, :3] * 255).astype(np.uint8)
    image.paste(Image.fromarray(np.repeat(ramp[:, None, :], 16, axis=1)), (bar_x, top))
    draw.rectangle([bar_x, top, bar_x + 16, top + bar_h], outline="black")
    ticks = np.unique(np.linspace(0, highest, 5).round().astype(int))
    for t in ticks:
        y = top + bar_h - t / highest * bar_h
        draw.line([bar_x + 16, y, bar_x + 20, y], fill="black")
        draw.text((bar_x + 23, y), str(t), fill="black", font=label, anchor="lm")
    draw.text((bar_x + 8, top - 5), "rows", fill="black", font=label, anchor="md")
    font, y = _font(lay["title_size"]), 8
    for line in lay["title"]:
        draw.text((lay["size"][0] / 2, y), line, fill="black", font=font, anchor="ma")
        y += lay["title_size"] + 5
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def plot_tutorial(X, y, classes, intercept, coef, title, feature_names, rows="training rows"):
    """One feature: observations, p(x), f(x), the 0.5 threshold, misclassified points.
    Two features: observations by class and the decision line p = 0.5. ``X``, ``y`` are the
    rows the fit learned from; ``rows`` says which they are (title and legend), so that the
    points are not taken for the test rows the scores are computed on."""
    X, y = np.asarray(X), np.asarray(y)
    title = f"{title}\n{len(y)} {rows} shown"
    coef = np.asarray(coef, dtype=float)
    if X.shape[1] == 1:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        x = X[:, 0]
        grid = np.linspace(x.min() - 1, x.max() + 1, 300)
        f = intercept + coef[0] * grid
        p = 1 / (1 + np.exp(-f))
        pred = (intercept + coef[0] * x) > 0
        wrong = pred.astype(int) != y
        ax.plot(grid, p, color="C0", label="p(x)")
        ax.axhline(0.5, color="grey", ls=":", lw=1, label="threshold 0.5")
        ax.scatter(x[~wrong], y[~wrong], color="C2", zorder=3, label="observations")
        ax.scatter(
            x[wrong],
            y[wrong],
            facecolors="none",
            edgecolors="red",
            s=120,
            lw=2,
            zorder=4,
            label="misclassified",
        )
        ax.set_xlabel(feature_names[0])
        ax.set_ylabel(f"p(x) = P(y = {classes[1]})")
        ax.set_ylim(-0.1, 1.1)
        ax2 = ax.twinx()
        ax2.plot(grid, f, color="C1", ls="--", label="f(x) = logit")
        ax2.set_ylabel("f(x) = b0 + b1 x (logit)")
        lines = ax.get_legend_handles_labels()
        lines2 = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="center right", fontsize=8)
    else:
        fig, ax = plt.subplots(figsize=(6, 5))
        for c in np.unique(y):
            ax.scatter(X[y == c, 0], X[y == c, 1], label=f"class {classes[c]} (training)", s=25)
        xs = np.linspace(X[:, 0].min(), X[:, 0].max(), 100)
        if abs(coef[1]) > 1e-12:
            ax.plot(xs, -(intercept + coef[0] * xs) / coef[1], "k--", label="p = 0.5")
            ax.set_ylim(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5)
        ax.set_xlabel(feature_names[0])
        ax.set_ylabel(feature_names[1])
        ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def curve_styles(n: int) -> list[dict]:
    """Line keywords for ``n`` curves of ranked fits that may coincide: the first (the
    selected fit) widest and lowest, each next narrower, dashed differently, drawn on top."""
    return [
        {
            "color": f"C{i % 10}",
            "ls": LINESTYLES[i % len(LINESTYLES)],
            "lw": 4.0 - 2.6 * i / max(1, n - 1),
            "zorder": 2 + 0.01 * i,
        }
        for i in range(n)
    ]


def _same_curves(curves, tol: float = COINCIDE) -> list[list[str]]:
    """Groups of ROC/PR curves that coincide: on a common grid of x, every y within ``tol``.
    ``curves``: (label, x, y) with x increasing."""
    grid = np.linspace(0, 1, 201)
    sampled = {}
    for label, x, y in curves:
        x, y = np.asarray(x, float), np.asarray(y, float)
        order = np.argsort(x, kind="stable")
        sampled[label] = (grid, np.interp(grid, x[order], y[order]))
    return coinciding_groups(coinciding(sampled, tol), [c[0] for c in curves])


def same_curves_note(same: list[list[str]]) -> str:
    """The note naming curves that coincide (:func:`_same_curves`), by their rank ("#1 = #2")
    when labelled so."""
    if not same:
        return ""
    short = [
        " = ".join(label.split(" ")[0] if label.startswith("#") else label for label in g)
        for g in same
    ]
    return (
        f"Identical curves (within {COINCIDE:.1%} everywhere; the wider is underneath): "
        + "; ".join(short)
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
    ax.set_title(_wrap(title), fontsize=9)
    corner = [np.interp(0.02, fpr, tpr) for _, fpr, tpr, _ in curves]
    same = _same_curves([(c[0], c[1], c[2]) for c in curves])
    all_same = len(same) == 1 and len(same[0]) == len(curves)
    if curves and min(corner) >= 0.5 and not all_same:  # good curves that differ up there
        low = max(0.0, math.floor((min(corner) - 0.05) * 20) / 20)
        inset = ax.inset_axes([0.38, 0.08, 0.58, 0.52])
        for (_, fpr, tpr, _), style in zip(curves, styles, strict=True):
            inset.plot(fpr, tpr, **style)
        inset.set_xlim(-0.005, 0.25)
        inset.set_ylim(low, 1.005)
        inset.set_title("top-left corner, magnified", fontsize=7)
        inset.tick_params(labelsize=7)
        inset.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1)
    add_note(fig, same_curves_note(same))
    fig.tight_layout()
    return fig


def calibration_bins(n_rows: int) -> int:
    """Equal-width bins of a reliability diagram: ten, or five for fewer than 100 rows (so
    that a bin holds more than a handful of rows)."""
    return 10 if n_rows >= 100 else 5


def reliability(truth, prob, n_bins: int):
    """(observed frequency, mean predicted probability) per non-empty bin of equal width:
    :func:`sklearn.calibration.calibration_curve` with ``strategy="uniform"``."""
    from sklearn.calibration import calibration_curve

    return calibration_curve(np.asarray(truth, dtype=int), prob, n_bins=n_bins, strategy="uniform")


def bin_counts(prob, n_bins: int) -> list[int]:
    """The rows in each non-empty bin of :func:`reliability` (the same equal-width bins, in
    the same order)."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.searchsorted(edges[1:-1], np.asarray(prob, float))  # as calibration_curve
    counts = np.bincount(index, minlength=n_bins)
    return [int(n) for n in counts if n > 0]


def brier(truth, prob) -> float:
    """Mean squared difference between the predicted probability and the 0/1 outcome."""
    return float(np.mean((np.asarray(prob, float) - np.asarray(truth, float)) ** 2))


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
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1)
    hist.set_xlim(-0.02, 1.02)
    hist.set_xlabel(f"predicted probability of class {positive}")
    hist.set_yscale("log")
    hist.set_ylabel("rows per bin (log)")
    hist.grid(alpha=0.3)
    fig.tight_layout()
    return fig


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
        ax.set_title(f"class {name} vs rest", fontsize=8)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
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
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1)
    add_note(fig, same_curves_note(_same_curves([(c[0], c[1], c[2]) for c in curves])))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Over the grid (scikit-learn fits with a finite C)


def grid_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """The scikit-learn rows of an experiment with their ``series`` (:func:`series_label`:
    solver / penalty and every other grid key that varies). Unpenalized fits (C = inf) stay:
    :class:`CAxis` gives them a place of their own."""
    sk = metrics[metrics["library"] == "sklearn"].copy()
    sk["C"] = sk["C"].astype(float)
    sk = sk[sk["C"].notna()]
    keys = varying_keys(sk)
    sk["series"] = [series_label(row, keys) for row in sk.to_dict("records")]
    return sk


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
    for status, marker in (("skipped", "x"), ("failed", "$!$")):
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


def series_styles(labels) -> dict[str, dict]:
    """Plot keywords per series that keep every series visible where lines coincide: the
    first drawn lowest, with the widest line and the largest marker, each next one narrower
    and smaller on top of it, in its own colour, marker shape and dash pattern."""
    labels = list(labels)
    n = max(1, len(labels) - 1)
    return {
        label: {
            "color": f"C{i % 10}",
            "marker": MARKERS[i % len(MARKERS)],
            "ls": LINESTYLES[i % len(LINESTYLES)],
            "ms": 10 - 5.5 * i / n,
            "lw": 2.8 - 1.6 * i / n,
            "mec": "white",
            "mew": 0.6,
            "zorder": 2 + 0.01 * i,
        }
        for i, label in enumerate(labels)
    }


def coinciding(curves: dict[str, tuple], tol: float) -> set[frozenset]:
    """Pairs of series drawn over each other: at the same x positions, every y within
    ``tol``. ``curves``: label -> (x, y)."""
    pairs = set()
    items = [(k, np.asarray(x, float), np.asarray(y, float)) for k, (x, y) in curves.items()]
    for i, (a, xa, ya) in enumerate(items):
        for b, xb, yb in items[i + 1 :]:
            if len(xa) == len(xb) and np.allclose(xa, xb) and np.all(np.abs(ya - yb) <= tol):
                pairs.add(frozenset((a, b)))
    return pairs


def coinciding_groups(pairs: set[frozenset], order) -> list[list[str]]:
    """The groups of series joined by ``pairs``, each in ``order``."""
    group = {label: {label} for label in order}
    for pair in pairs:
        a, b = tuple(pair)
        merged = group[a] | group[b]
        for label in merged:
            group[label] = merged
    seen, out = set(), []
    for label in order:
        g = group[label]
        if len(g) > 1 and label not in seen:
            seen |= g
            out.append([x for x in order if x in g])
    return out


def coinciding_note(panels: dict[str, list[list[str]]]) -> str:
    """One line naming the series drawn over each other, and where: ``panels`` maps a
    panel's name to its :func:`coinciding_groups`."""
    where: dict[tuple, list[str]] = {}
    for panel, groups in panels.items():
        for group in groups:
            where.setdefault(tuple(group), []).append(panel)
    if not where:
        return ""
    parts = []
    for group, names in where.items():
        shown = (
            ""
            if len(panels) == 1
            else (" (every panel)" if len(names) == len(panels) else f" ({', '.join(names)})")
        )
        parts.append(" = ".join(group) + shown)
    return (
        f"Drawn over each other (within {COINCIDE:.1%} of the axis height; the wider line is "
        f"underneath): " + "; ".join(parts)
    )


def _wrap(title: str, width: int = 80) -> str:
    """A title wrapped line by line (matplotlib does not wrap titles)."""
    return "\n".join(textwrap.fill(line, width) for line in title.split("\n"))


def add_note(fig, text: str, fontsize: float = 7.5) -> float:
    """``text`` wrapped to the figure's width at its bottom edge; returns the height it takes
    as a fraction of the figure (the room a layout must leave under the axes)."""
    if not text:
        return 0.0
    width = max(30, int(fig.get_figwidth() * 100 / (0.62 * fontsize * 100 / 72)))
    lines = textwrap.wrap(text, width)
    fig.text(0.5, 0.008, "\n".join(lines), ha="center", va="bottom", fontsize=fontsize)
    return (len(lines) * fontsize * 1.25 / 72 + 0.05) / fig.get_figheight()


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


def fixed_layout(fig, rect=(0, 0, 1, 1), left=0.75, right=0.2, bottom=0.6, top=0.3, gap=0.85):
    """Place a figure's grid of panels by fixed margins in inches inside ``rect`` (figure
    fractions, as tight_layout's): tick labels of scores and coefficients are short, and
    tight_layout, which measures every text first, cost as much as drawing the figure."""
    width, height = fig.get_size_inches()
    x0, y0, x1, y1 = rect
    spec = fig.axes[0].get_subplotspec().get_gridspec()
    rows, cols = spec.get_geometry()
    lo_x, hi_x = x0 + left / width, x1 - right / width
    lo_y, hi_y = y0 + bottom / height, y1 - top / height
    panel_w = ((hi_x - lo_x) * width - (cols - 1) * gap) / cols
    panel_h = ((hi_y - lo_y) * height - (rows - 1) * gap) / rows
    fig.subplots_adjust(
        left=lo_x, right=hi_x, bottom=lo_y, top=hi_y, wspace=gap / panel_w, hspace=gap / panel_h
    )


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
            ok = rows[rows["status"] == "ok"]
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
        ok = rows[rows["status"] == "ok"].sort_values("C")
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
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    missing = (sk["status"].isin(["skipped", "failed"])).any()
    ax.legend(
        fontsize=8,
        title=series_title(sk) + (" (x: skipped, !: failed)" if missing else ""),
        title_fontsize=8,
    )
    low, high = ax.get_ylim()
    pairs = coinciding(curves, COINCIDE * (high - low))
    room = add_note(fig, coinciding_note({"gap": coinciding_groups(pairs, [g for g, _ in groups])}))
    fig.tight_layout(rect=(0, room, 1, 1))
    return fig


def heatmap_cells(sk: pd.DataFrame, metric: str):
    """(rows, columns, values, notes) of the heatmap: a row per series, a column per C (C =
    inf last, as ``penalty: none``); ``notes`` says skipped or failed, "" for a fitted cell
    and None for a cell the grid does not have."""
    col = f"{metric}_test"
    cs = sorted(sk["C"].unique())  # inf sorts last
    series = sorted(sk["series"].unique())
    values = np.full((len(series), len(cs)), np.nan)
    notes = np.full((len(series), len(cs)), None, dtype=object)
    for row in sk.to_dict("records"):
        i, j = series.index(row["series"]), cs.index(row["C"])
        if row["status"] == "ok" and col in row:
            values[i, j] = row[col]
            notes[i, j] = ""
        else:
            notes[i, j] = row["status"]
    return series, cs, values, notes


#: The span of each metric's heatmap colour scale, below the best value (above it, where lower
#: is better). Fixed per metric so that a colour step means the same difference in every
#: experiment: 0.05 of accuracy or AUC is a difference worth seeing; a plot-wide rescaling
#: would paint 0.002 of noise over the whole scale and 0.96 like 0.999 beside a 0.5.
HEATMAP_SPAN = {"log_loss": 0.1, "brier": 0.02}
DEFAULT_SPAN = 0.05


def heatmap_scale(values, metric: str) -> dict:
    """The heatmap's colour scale: from the best value to :data:`HEATMAP_SPAN` below it (or
    above, for a lower-is-better metric, with the colour map reversed so that the best is
    always the brightest); values beyond share the end colour (the colorbar's arrow).
    Returns vmin, vmax, cmap, extend and the caption that says so."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    span = HEATMAP_SPAN.get(metric, DEFAULT_SPAN)
    label = METRIC_LABELS.get(metric, metric)
    if not finite.size:
        return {"vmin": 0.0, "vmax": 1.0, "cmap": "viridis", "extend": "neither", "caption": ""}
    if metric in LOWER_IS_BETTER:
        best = float(finite.min())
        vmin, vmax, cmap, side = best, best + span, "viridis_r", "max"
        worse, beyond = "above", finite.max() > vmax
    else:
        best = float(finite.max())
        vmin, vmax, cmap, side = best - span, best, "viridis", "min"
        worse, beyond = "below", finite.min() < vmin
    caption = (
        f"Colour scale: fixed span of {span:g} {worse} the best {label} ({best:.3f}, brightest) "
        f"to {vmin if side == 'min' else vmax:.3f}; "
        + ("worse cells share the darkest colour." if beyond else "every cell is within it.")
    )
    return {
        "vmin": vmin,
        "vmax": vmax,
        "cmap": cmap,
        "extend": side if beyond else "neither",
        "caption": caption,
    }


def plot_heatmap(sk: pd.DataFrame, metric: str, title: str):
    """Test ``metric`` over C × series; skipped and failed cells are labelled, the
    unpenalized fits have the last column. Colours: :func:`heatmap_scale`."""
    series, cs, values, notes = heatmap_cells(sk, metric)
    labels = [s.replace(", ", "\n", 1) for s in series]  # the varying keys on a second line
    width = 0.9 * len(cs) + 2.8 + 0.065 * max(len(line) for s in labels for line in s.split("\n"))
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
    ax.set_title(title, fontsize=10)
    fig.text(0.01, 0.01, scale["caption"], fontsize=7.5, va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.3 / height, 1, 1))
    return fig


def plot_coef_paths(paths: dict[str, pd.DataFrame], title: str, top: int = 10):
    """Coefficients against C, one panel per series (:func:`grid_table`). ``paths[series]`` has
    C, term, value (for several classes: the L2 norm of the term's coefficients).

    The ``top`` terms of largest |value| in any panel are coloured, each with the same colour
    in every panel, and named in one legend under the panels (a legend per panel would give a
    term different colours in different panels and cover the lines); the others are grey."""
    tables = sorted(paths.items())
    strength = (
        pd.concat([t[["term", "value"]] for _, t in tables])
        .assign(value=lambda d: d["value"].abs())
        .groupby("term", sort=True)["value"]
        .max()
    )
    strongest = list(strength.sort_values(ascending=False, kind="stable").index[:top])
    colors = {
        term: plt.get_cmap("tab10" if top <= 10 else "tab20")(k) for k, term in enumerate(strongest)
    }
    n = len(tables)
    cols = min(3, n)
    rows_n = math.ceil(n / cols)
    legend_rows = math.ceil((len(strongest) + 1) / 6)
    fig, axes = plt.subplots(
        rows_n, cols, figsize=(5.2 * cols, 3.6 * rows_n + 0.6 + 0.25 * legend_rows), squeeze=False
    )
    for ax, (pair, table) in zip(axes.flat, tables, strict=False):
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
        for term in strongest:
            if term in wide:
                ax.plot(wide.index, wide[term], "-o", ms=3, lw=1.4, color=colors[term])
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("C (log scale)")
        ax.set_ylabel(table.attrs.get("ylabel", "coefficient"))
        ax.set_title(pair, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles = [
        matplotlib.lines.Line2D([], [], color=colors[t], marker="o", ms=4, lw=1.4, label=t)
        for t in strongest
    ]
    n_other = len(strength) - len(strongest)
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
            f"the {len(strongest)} terms of largest |coefficient| in any panel "
            "(one colour per term in every panel)"
            if len(strongest) > 1
            else "the one term"
        ),
        title_fontsize=8,
        frameon=False,
    )
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


def counterpart_label(row) -> str:
    """A scikit-learn fit as the statsmodels figure names it: its model_id, whether it is
    penalized (and how much) and whether it converged."""
    if row.get("penalty") == "none" or math.isinf(float(row.get("C", 0))):
        how = "unpenalized"
    else:
        how = f"{row['penalty']}-penalized, C={float(row['C']):g}"
    if row.get("converged") is False or str(row.get("converged")).lower() == "false":
        how += ", NOT converged"
    return f"scikit-learn {row['model_id']} ({how})"


def plot_statsmodels_vs_sklearn(
    sm: pd.DataFrame, sk: pd.DataFrame, title: str, top: int = 20, note: str = ""
):
    """statsmodels estimates with 95 % intervals, and scikit-learn estimates of the same terms
    in the same design (:func:`in_reference_design`). ``sm`` has term, estimate, ci_low,
    ci_high (and cov_type); ``sk`` has term, estimate, model (its legend label)."""
    terms = list(sm["term"])
    if len(terms) > top:
        keep = sm.reindex(sm["estimate"].abs().sort_values(ascending=False).index)["term"][:top]
        terms = [t for t in terms if t in set(keep)]
    sm = sm.set_index("term").loc[terms]
    title = _wrap(title, 72)
    head = title.count("\n") + 1
    fig, ax = plt.subplots(figsize=(7.5, max(3, 0.38 * len(terms) + 1.6 + 0.18 * head)))
    y = np.arange(len(terms))
    if "ci_low" in sm and sm["ci_low"].notna().any():
        cov = sm["cov_type"].iloc[0] if "cov_type" in sm and sm["cov_type"].notna().any() else ""
        ax.errorbar(
            sm["estimate"],
            y,
            xerr=[sm["estimate"] - sm["ci_low"], sm["ci_high"] - sm["estimate"]],
            fmt="o",
            color="black",
            capsize=3,
            label=f"statsmodels (95 % CI{', ' + cov if cov else ''})",
        )
    else:  # an L1 fit: no interval is valid after selection
        ax.scatter(
            sm["estimate"], y, color="black", zorder=3, label="statsmodels L1 (no valid interval)"
        )
    for k, (model, rows) in enumerate(sk.groupby("model", sort=True)):
        rows = rows.set_index("term").reindex(terms)
        ax.scatter(
            rows["estimate"],
            y + 0.15 * (k + 1),
            marker="sdv^P"[k % 5],
            s=30,
            color=f"C{k % 10}",
            label=model,
            zorder=3,
        )
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(y, terms)
    ax.invert_yaxis()
    ax.set_xlabel("coefficient (log-odds)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    if note:
        room = add_note(fig, note)
        fig.subplots_adjust(bottom=min(0.5, fig.subplotpars.bottom + room))
    return fig


def _no_minor_ticks(fig) -> None:
    """Log axes without minor ticks: a decade's tick and grid line read the same, and the
    minor ticks (an artist each, made at every draw) were a third of drawing the overview
    figures (measured: accuracy_vs_C 0.26 -> 0.18 s, coef_paths 0.50 -> 0.32 s)."""
    for ax in fig.axes:
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "log":
                axis.set_minor_locator(matplotlib.ticker.NullLocator())


def png_bytes(fig, close: bool = True) -> bytes:
    _no_minor_ticks(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    if close:
        plt.close(fig)
    return buf.getvalue()


def svg_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# The whole set for one experiment


def coefficient_paths(coefs: pd.DataFrame, sk: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per series: C, term, value (binary: the estimate; more classes: the L2
    norm of the term's coefficients across classes). The intercept is left out."""
    if coefs is None or coefs.empty:
        return {}
    ok = sk[(sk["status"] == "ok") & np.isfinite(sk["C"])][["model_id", "C", "series"]]
    table = coefs[coefs["term"] != "intercept"].merge(ok, on="model_id")
    multi = table.groupby("model_id")["class"].nunique().max() > 1 if len(table) else False
    out = {}
    for pair, rows in table.groupby("series"):
        if rows["C"].nunique() < 2:
            continue
        if multi:
            squares = rows.assign(value=rows["estimate"] ** 2)  # vectorized: no apply per term
            frame = squares.groupby(["C", "term"])["value"].sum().pow(0.5).reset_index()
            frame.attrs["ylabel"] = "coefficient norm across classes"
        else:
            frame = rows.rename(columns={"estimate": "value"})[["C", "term", "value"]]
        out[pair] = frame
    return out


def fit_file(figure: str, row) -> str:
    labels = file_labels(row)
    return (
        f"{figure}--{labels['solver']}--{labels['penalty']}--C{labels['C']}--{row['model_id']}.png"
    )


def _record_row(record: dict) -> dict:
    row = {k: v for k, v in record.items() if k != "scores"}
    row["C"] = math.inf if row.get("C") == "inf" else row.get("C")
    row["accuracy_test"] = (record.get("scores") or {}).get("accuracy_test", float("nan"))
    return row


def draw_fit_figures(record: dict, coefs, prepared, experiment: str) -> dict[str, bytes]:
    """The figures of one fit of ``experiment``, as PNG bytes: its confusion matrix (test rows;
    all rows for ``split: none``) and, for two classes and one or two features, the tutorial's
    figure."""
    row = _record_row(record)
    names = [str(n) for n in (record.get("class_names") or prepared.class_names)]
    part = "all" if prepared.meta.get("same_rows") else "test"
    last = f"confusion matrix of {'all rows' if part == 'all' else 'the test rows'}"
    accuracy = row["accuracy_test"]
    if accuracy is not None and not math.isnan(accuracy):
        last += f", accuracy {accuracy:.4f}"
    out = {
        "confusion.png": confusion_png(
            record["confusion_test"], names, f"{experiment}: {fit_settings(row)}", last
        )
    }
    if len(names) == 2 and prepared.X_train.shape[1] <= 2 and coefs is not None:
        est = coefs.set_index("term")["estimate"]
        out["tutorial.png"] = png_bytes(
            plot_tutorial(
                prepared.X_train,
                prepared.y_train,
                names,
                est["intercept"],
                [est[t] for t in prepared.feature_names],
                f"{experiment}: {fit_title(row, part)}",
                prepared.feature_names,
                "training rows (= all rows, split: none)" if part == "all" else "training rows",
            )
        )
    return out


def _sklearn_counterparts(row, sk_ok: pd.DataFrame, coefs: pd.DataFrame) -> list[str]:
    """The scikit-learn fits to draw beside a statsmodels fit: for an L1 fit the L1 fits at
    C = 1/alpha (the same objective; saga's first: liblinear penalizes its intercept too),
    else the unpenalized fits (the same MLE), or the three top-ranked when there are none."""
    if row.get("regularized") == "l1":
        l1 = sk_ok[sk_ok["penalty"] == "l1"]
        same = l1[np.isclose(l1["C"].astype(float), 1 / float(row["alpha"]))]
        saga = same[same["solver"] == "saga"]
        return list((saga if len(saga) else same)["model_id"])
    unpenalized = sk_ok[sk_ok["penalty"] == "none"]
    pool = unpenalized if len(unpenalized) else sk_ok
    return list(top_fits(pool, coefs).head(3)["model_id"])  # the leaderboard's rule


def top_fits(metrics: pd.DataFrame, coefs: pd.DataFrame) -> pd.DataFrame:
    """The experiment's fits best first by :func:`lrsweep.results.selection.ranked`, the rule of the
    leaderboard (only converged fits; ties to the simpler model), so that "the best" in a
    figure is the leaderboard's best."""
    coefs = coefs if coefs is not None and len(coefs) else pd.DataFrame()
    nonzero = selection.nonzero_counts(coefs) if len(coefs) else {}
    return selection.ranked(metrics, nonzero=nonzero)


def fit_label(row, varying=()) -> str:
    """A fit in a legend: its series' settings (solver, penalty, C, the varying keys)."""
    if row["library"] == "statsmodels":
        return fit_settings(row)
    return fit_settings(row, keys=varying)


def _labels_of(prepared) -> list:
    """The class labels (as in the data) of prepared data, or of its stored meta."""
    return list(getattr(prepared, "classes", None) or prepared.meta.get("classes") or [0, 1])


def _positive(ranked: pd.DataFrame, classes: list) -> int:
    """The index of the class the two-class scores call positive: metrics.csv's
    ``positive_class`` (a label) among ``classes``; 1 when it is not there."""
    values = ranked["positive_class"].dropna() if "positive_class" in ranked else []
    labels = [str(c) for c in classes]
    if len(values) and str(values.iloc[0]) in labels:
        return labels.index(str(values.iloc[0]))
    if len(values) and isinstance(values.iloc[0], float) and str(int(values.iloc[0])) in labels:
        return labels.index(str(int(values.iloc[0])))  # 1.0 read back from csv as a float
    return 1


def draw_overview(
    experiment,
    metrics,
    coefs,
    proba_of,
    prepared,
    metric="roc_auc",
    n_roc=5,
    n_calibration=3,
    svg=False,
    select_metric=None,
):
    """The figures over an experiment's grid, as ``{file name: bytes}``, each as PNG (and SVG
    with ``svg``: it costs as much again to draw):
    accuracy_vs_C, heatmap, gap, coef_paths, calibration (reliability diagram of the
    ``n_calibration`` top-ranked fits; several classes: one-vs-rest of the selected fit), and
    for two classes roc (the ``n_roc`` top-ranked) and precision_recall (the same fits as
    calibration); and one statsmodels figure per statsmodels fit
    (``statsmodels--<model_id>.png``). "Top-ranked" is :func:`lrsweep.results.selection.ranked`, the
    leaderboard's rule. ``proba_of(model_id)`` gives a fit's test probabilities.
    The heatmap shows ``select_metric``, the metric the ranking is led by (default
    :data:`lrsweep.results.selection.METRIC`), so that its best cell is the leaderboard's choice.
    Not drawn: ``gap`` for ``split: none`` (train and "test" are the same rows: always zero),
    and the figures over C (accuracy_vs_C, heatmap, gap, coef_paths) of an experiment of one
    grid point (nothing to draw over)."""
    from sklearn.metrics import roc_curve

    out: dict[str, bytes] = {}

    def keep(name, fig):
        if svg:
            out[f"{name}.svg"] = svg_bytes(fig)
        out[f"{name}.png"] = png_bytes(fig)

    classes = list(prepared.class_names)
    part = "all" if prepared.meta.get("same_rows") else "test"
    ok = metrics[metrics["status"] == "ok"]
    sk = grid_table(metrics)
    heat = select_metric or selection.select_of(metrics)["metric"]
    if len(sk) and len(metrics) > 1:
        keep("accuracy_vs_C", plot_metric_vs_C(sk, metric, f"{experiment}: scores against C"))
        keep(
            "heatmap",
            plot_heatmap(
                sk,
                heat,
                f"{experiment}: test {METRIC_LABELS.get(heat, heat)}, the selection metric",
            ),
        )
        if part != "all":
            keep("gap", plot_gap(sk, f"{experiment}: train - test accuracy (overfitting check)"))
        paths = coefficient_paths(coefs, sk)
        if paths:
            keep("coef_paths", plot_coef_paths(paths, f"{experiment}: coefficient paths"))

    ranked = top_fits(metrics, coefs)
    varying = varying_keys(sk) if len(sk) else []
    labels = {
        row["model_id"]: f"#{k + 1}{' (selected)' if k == 0 else ''} {fit_label(row, varying)}"
        for k, row in enumerate(ranked.to_dict("records"))
    }
    if len(classes) == 2 and len(ranked):
        y = np.asarray(prepared.y_test)
        positive = _positive(ranked, _labels_of(prepared))
        curves = []
        for row in ranked.head(n_roc).to_dict("records"):
            fpr, tpr, _ = roc_curve(y == positive, proba_of(row["model_id"])[:, positive])
            curves.append((labels[row["model_id"]], fpr, tpr, row["roc_auc_test"]))
        keep(
            "roc",
            plot_roc(
                curves,
                f"{experiment}: ROC curves of the {len(curves)} top-ranked fits ({part} rows)\n"
                f"ranked by the leaderboard's rule: {selection.protocol(metrics, part == 'all')}",
                classes[positive],
            ),
        )

    if len(ranked):
        y = np.asarray(prepared.y_test)
        top = ranked.head(n_calibration).to_dict("records")
        bins = calibration_bins(len(y))
        rule = f"ranked by the leaderboard's rule: {selection.protocol(metrics, part == 'all')}"
        if len(classes) == 2:
            from sklearn.metrics import average_precision_score, precision_recall_curve

            positive = _positive(ranked, _labels_of(prepared))
            truth = y == positive
            probs = {r["model_id"]: proba_of(r["model_id"])[:, positive] for r in top}
            keep(
                "calibration",
                plot_calibration(
                    [(labels[m], probs[m], truth) for m in probs],
                    _wrap(
                        f"{experiment}: reliability of the {len(top)} top-ranked fits "
                        f"({part} rows)\n{rule}"
                    ),
                    classes[positive],
                    bins,
                ),
            )
            curves = []
            for m, prob in probs.items():
                precision, recall, _ = precision_recall_curve(truth, prob)
                curves.append((labels[m], recall, precision, average_precision_score(truth, prob)))
            keep(
                "precision_recall",
                plot_precision_recall(
                    curves,
                    _wrap(
                        f"{experiment}: precision and recall of the {len(top)} top-ranked fits "
                        f"({part} rows)\n{rule}"
                    ),
                    classes[positive],
                    float(truth.mean()),
                ),
            )
        else:
            best = top[0]
            proba = proba_of(best["model_id"])
            keep(
                "calibration",
                plot_calibration_ovr(
                    [(name, proba[:, c], y == c) for c, name in enumerate(classes)],
                    _wrap(
                        f"{experiment}: one-vs-rest reliability of the selected fit ({part} rows)"
                        f"\n{fit_label(best, varying)}"
                    ),
                    bins,
                ),
            )

    sm_ok = ok[ok["library"] == "statsmodels"]
    sk_ok = ok[ok["library"] == "sklearn"]
    from lrsweep.results.tables import in_reference_design

    reference = (getattr(prepared, "meta", None) or {}).get("reference_levels") or {}
    for _, row in sm_ok.iterrows():
        sm = coefs[coefs["model_id"] == row["model_id"]]
        first = sm["class"].iloc[0]
        sm = sm[sm["class"] == first]
        chosen = _sklearn_counterparts(row, sk_ok, coefs) if len(classes) == 2 else []
        named = {r["model_id"]: counterpart_label(r) for r in sk_ok.to_dict("records")}
        skc = pd.concat(
            [
                in_reference_design(coefs[coefs["model_id"] == m], reference).assign(model=named[m])
                for m in chosen
            ]
            or [pd.DataFrame(columns=["term", "estimate", "model"])],
            ignore_index=True,
        )
        first_name = sm["class_name"].iloc[0] if "class_name" in sm else first
        title = f"{experiment}: {fit_title(row, part)}" + (
            f" (class {first_name})" if len(classes) > 2 else ""
        )
        note = ""
        if chosen:
            note = "scikit-learn's coefficients are shown in statsmodels' design: " + (
                "each categorical column's reference level ("
                + ", ".join(f"{c}={v}" for c, v in reference.items())
                + ") left out, its coefficient subtracted from the column's others and added "
                "to the intercept (the same predictions)."
                if reference
                else "the same terms."
            )
            mle = row.get("regularized") != "l1"
            if mle and not any("unpenalized" in named[m] for m in chosen):
                note += " No unpenalized scikit-learn fit: penalized ones are drawn, which "
                note += "shrink their coefficients and need not agree with the MLE."
        out[f"statsmodels--{row['model_id']}.png"] = png_bytes(
            plot_statsmodels_vs_sklearn(sm, skc, title, note=note)
        )
    return out
