"""The figures of one fit, drawn in the fit job: its confusion matrix and, for two classes and
one or two features, the tutorial's figure (:func:`draw_fit_figures`)."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lrsweep.results.figures._confusion import confusion_png  # noqa: E402
from lrsweep.results.figures._labels import fit_settings, fit_title  # noqa: E402
from lrsweep.results.figures._style import png_bytes  # noqa: E402


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
    ax.set_title(title, fontsize=9, y=1.0)
    fig.tight_layout()
    return fig


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
