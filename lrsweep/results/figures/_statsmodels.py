"""The figure of a statsmodels fit: its estimates and intervals beside scikit-learn's estimates
of the same terms."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lrsweep.domain import effective_C  # noqa: E402
from lrsweep.results.figures._curves import top_fits  # noqa: E402
from lrsweep.results.figures._style import _wrap, add_note  # noqa: E402


def _sklearn_counterparts(row, sk_ok: pd.DataFrame, coefs: pd.DataFrame) -> list[str]:
    """The scikit-learn fits to draw beside a statsmodels fit: for an L1 fit the L1 fits at
    C = 1/alpha (the same objective; saga's first: liblinear penalizes its intercept too),
    else the unpenalized fits (the same MLE), or the three top-ranked when there are none."""
    if row.get("regularized") == "l1":
        l1 = sk_ok[sk_ok["penalty"] == "l1"]
        same = l1[np.isclose(l1["C"].astype(float), effective_C(row))]
        saga = same[same["solver"] == "saga"]
        return list((saga if len(saga) else same)["model_id"])
    unpenalized = sk_ok[sk_ok["penalty"] == "none"]
    pool = unpenalized if len(unpenalized) else sk_ok
    return list(top_fits(pool, coefs).head(3)["model_id"])  # the leaderboard's rule


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
    ax.set_title(title, fontsize=9, y=1.0)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    if note:
        room = add_note(fig, note)
        fig.subplots_adjust(bottom=min(0.5, fig.subplotpars.bottom + room))
    return fig
