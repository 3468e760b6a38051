"""What the figures show, computed apart from drawing them (as scikit-learn's displays draw
what ``roc_curve`` and ``calibration_curve`` computed): ROC and precision-recall points,
reliability bins, the grid table and its heatmap cells and colour scale, coefficient paths,
the ranking of fits, the positive class, and which curves coincide. Pure functions of tables
and arrays: no matplotlib."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lrsweep.domain import LOWER_IS_BETTER, Status
from lrsweep.results import selection
from lrsweep.results.figures._labels import METRIC_LABELS, series_label, varying_keys

#: Two series closer than this share of an axis' height everywhere look like one line.
COINCIDE = 0.005


def roc_points(truth, prob):
    """(false positive rate, true positive rate) of scores ``prob`` against 0/1 ``truth``:
    :func:`sklearn.metrics.roc_curve`."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(truth, prob)
    return fpr, tpr


def pr_points(truth, prob):
    """(recall, precision, average precision) of scores ``prob`` against 0/1 ``truth``:
    :func:`sklearn.metrics.precision_recall_curve` and ``average_precision_score``."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    precision, recall, _ = precision_recall_curve(truth, prob)
    return recall, precision, average_precision_score(truth, prob)


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


def same_curves(curves, tol: float = COINCIDE) -> list[list[str]]:
    """Groups of ROC/PR curves that coincide: on a common grid of x, every y within ``tol``.
    ``curves``: (label, x, y) with x increasing."""
    grid = np.linspace(0, 1, 201)
    sampled = {}
    for label, x, y in curves:
        x, y = np.asarray(x, float), np.asarray(y, float)
        order = np.argsort(x, kind="stable")
        sampled[label] = (grid, np.interp(grid, x[order], y[order]))
    return coinciding_groups(coinciding(sampled, tol), [c[0] for c in curves])


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
        if row["status"] == Status.OK and col in row:
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


def coefficient_paths(coefs: pd.DataFrame, sk: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per series: C, term, value (binary: the estimate; more classes: the L2
    norm of the term's coefficients across classes). The intercept is left out."""
    if coefs is None or coefs.empty:
        return {}
    ok = sk[(sk["status"] == Status.OK) & np.isfinite(sk["C"])][["model_id", "C", "series"]]
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


def top_fits(metrics: pd.DataFrame, coefs: pd.DataFrame) -> pd.DataFrame:
    """The experiment's fits best first by :func:`lrsweep.results.selection.ranked`, the rule of the
    leaderboard (only converged fits; ties to the simpler model), so that "the best" in a
    figure is the leaderboard's best."""
    coefs = coefs if coefs is not None and len(coefs) else pd.DataFrame()
    nonzero = selection.nonzero_counts(coefs) if len(coefs) else {}
    return selection.ranked(metrics, nonzero=nonzero)


def _labels_of(prepared) -> list:
    """The class labels (as in the data) of prepared data, or of its stored meta."""
    return list(getattr(prepared, "classes", None) or prepared.meta.get("classes") or [0, 1])


def positive_of(ranked: pd.DataFrame, classes: list) -> int:
    """The index of the class the two-class scores call positive: the ``positive_class`` the
    fits' score records hold (the label :func:`lrsweep.prepare.design.positive_index` chose
    when they were scored) among ``classes``; 1 (the second class, the scoring's default)
    when no record names one."""
    values = ranked["positive_class"].dropna() if "positive_class" in ranked else []
    return list(classes).index(values.iloc[0]) if len(values) else 1


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
