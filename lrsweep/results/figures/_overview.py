"""The figures over one experiment's grid, drawn in the publish job (:func:`draw_overview`):
which figures an experiment gets, their titles, and the points they draw (computed in
:mod:`._curves`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lrsweep.domain import Status, overview_fit_figure
from lrsweep.results import selection
from lrsweep.results.figures._curves import (
    _labels_of,
    calibration_bins,
    coefficient_paths,
    grid_table,
    positive_of,
    pr_points,
    roc_points,
    top_fits,
)
from lrsweep.results.figures._grid import plot_coef_paths, plot_gap, plot_heatmap, plot_metric_vs_C
from lrsweep.results.figures._labels import (
    METRIC_LABELS,
    counterpart_label,
    fit_label,
    fit_title,
    varying_keys,
)
from lrsweep.results.figures._ranked import (
    plot_calibration,
    plot_calibration_ovr,
    plot_precision_recall,
    plot_roc,
)
from lrsweep.results.figures._statsmodels import _sklearn_counterparts, plot_statsmodels_vs_sklearn
from lrsweep.results.figures._style import _wrap, png_bytes, svg_bytes


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
    (:func:`lrsweep.domain.overview_fit_figure`). "Top-ranked" is
    :func:`lrsweep.results.selection.ranked`, the leaderboard's rule. ``proba_of(model_id)``
    gives a fit's test probabilities. The heatmap shows ``select_metric``, the metric the
    ranking is led by (default :data:`lrsweep.results.selection.METRIC`), so that its best
    cell is the leaderboard's choice. Not drawn: ``gap`` for ``split: none`` (train and
    "test" are the same rows: always zero), and the figures over C (accuracy_vs_C, heatmap,
    gap, coef_paths) of an experiment of one grid point (nothing to draw over)."""
    out: dict[str, bytes] = {}

    def keep(name, fig):
        if svg:
            out[f"{name}.svg"] = svg_bytes(fig)
        out[f"{name}.png"] = png_bytes(fig)

    part = "all" if prepared.meta.get("same_rows") else "test"
    sk = grid_table(metrics)
    heat = select_metric or selection.select_of(metrics)["metric"]
    if len(sk) and len(metrics) > 1:
        _grid_figures(keep, experiment, sk, coefs, metric, heat, part)
    ranked = top_fits(metrics, coefs)
    if len(ranked):
        varying = varying_keys(sk) if len(sk) else []
        labels = {
            row["model_id"]: f"#{k + 1}{' (selected)' if k == 0 else ''} {fit_label(row, varying)}"
            for k, row in enumerate(ranked.to_dict("records"))
        }
        rule = f"ranked by the leaderboard's rule: {selection.protocol(metrics, part == 'all')}"
        ranking = (ranked, labels, varying, rule)
        if len(prepared.class_names) == 2:
            _two_class_figures(
                keep, experiment, ranking, proba_of, prepared, part, n_roc, n_calibration
            )
        else:
            _ovr_calibration(keep, experiment, ranking, proba_of, prepared, part)
    for name, fig in _statsmodels_figures(experiment, metrics, coefs, prepared, part):
        out[name] = png_bytes(fig)
    return out


def _grid_figures(keep, experiment, sk, coefs, metric, heat, part) -> None:
    """The figures over C: scores, the heatmap of the selection metric ``heat``, the gap
    (not for ``split: none``) and the coefficient paths."""
    keep("accuracy_vs_C", plot_metric_vs_C(sk, metric, f"{experiment}: scores against C"))
    label = METRIC_LABELS.get(heat, heat)
    keep("heatmap", plot_heatmap(sk, heat, f"{experiment}: test {label}, the selection metric"))
    if part != "all":
        keep("gap", plot_gap(sk, f"{experiment}: train - test accuracy (overfitting check)"))
    paths = coefficient_paths(coefs, sk)
    if paths:
        keep("coef_paths", plot_coef_paths(paths, f"{experiment}: coefficient paths"))


def _two_class_figures(keep, experiment, ranking, proba_of, prepared, part, n_roc, n_calib):
    """ROC curves of the ``n_roc`` top-ranked fits; reliability and precision-recall of the
    ``n_calib`` top-ranked; all for the positive class the scores were computed for."""
    ranked, labels, _, rule = ranking
    classes = list(prepared.class_names)
    positive = positive_of(ranked, _labels_of(prepared))
    truth = np.asarray(prepared.y_test) == positive
    roc = []
    for row in ranked.head(n_roc).to_dict("records"):
        fpr, tpr = roc_points(truth, proba_of(row["model_id"])[:, positive])
        roc.append((labels[row["model_id"]], fpr, tpr, row["roc_auc_test"]))
    title = f"{experiment}: ROC curves of the {len(roc)} top-ranked fits ({part} rows)\n{rule}"
    keep("roc", plot_roc(roc, title, classes[positive]))
    top = ranked.head(n_calib)["model_id"]
    probs = {m: proba_of(m)[:, positive] for m in top}
    shown = f"the {len(probs)} top-ranked fits ({part} rows)\n{rule}"
    keep(
        "calibration",
        plot_calibration(
            [(labels[m], probs[m], truth) for m in probs],
            _wrap(f"{experiment}: reliability of {shown}"),
            classes[positive],
            calibration_bins(len(truth)),
        ),
    )
    curves = [(labels[m], *pr_points(truth, prob)) for m, prob in probs.items()]
    keep(
        "precision_recall",
        plot_precision_recall(
            curves,
            _wrap(f"{experiment}: precision and recall of {shown}"),
            classes[positive],
            float(truth.mean()),
        ),
    )


def _ovr_calibration(keep, experiment, ranking, proba_of, prepared, part) -> None:
    """Several classes: one-vs-rest reliability diagrams of the selected fit."""
    ranked, _, varying, _ = ranking
    y = np.asarray(prepared.y_test)
    best = ranked.iloc[0].to_dict()
    proba = proba_of(best["model_id"])
    title = (
        f"{experiment}: one-vs-rest reliability of the selected fit ({part} rows)"
        f"\n{fit_label(best, varying)}"
    )
    per_class = [(name, proba[:, c], y == c) for c, name in enumerate(prepared.class_names)]
    keep("calibration", plot_calibration_ovr(per_class, _wrap(title), calibration_bins(len(y))))


def _statsmodels_figures(experiment, metrics, coefs, prepared, part):
    """(file name, figure) of each statsmodels fit: its estimates beside the scikit-learn
    fits' (:func:`._statsmodels._sklearn_counterparts`), in statsmodels' design."""
    from lrsweep.results.tables import in_reference_design

    ok = metrics[metrics["status"] == Status.OK]
    sk_ok = ok[ok["library"] == "sklearn"]
    classes = list(prepared.class_names)
    reference = (getattr(prepared, "meta", None) or {}).get("reference_levels") or {}
    named = {r["model_id"]: counterpart_label(r) for r in sk_ok.to_dict("records")}
    for _, row in ok[ok["library"] == "statsmodels"].iterrows():
        sm = coefs[coefs["model_id"] == row["model_id"]]
        first = sm["class"].iloc[0]
        sm = sm[sm["class"] == first]
        chosen = _sklearn_counterparts(row, sk_ok, coefs) if len(classes) == 2 else []
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
        note = _design_note(row, chosen, named, reference)
        yield (
            overview_fit_figure(row["model_id"]),
            plot_statsmodels_vs_sklearn(sm, skc, title, note=note),
        )


def _design_note(row, chosen: list, named: dict, reference: dict) -> str:
    """The note under a statsmodels figure: how scikit-learn's coefficients were put into
    statsmodels' design, and a warning when only penalized fits stand beside an MLE."""
    if not chosen:
        return ""
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
    return note
