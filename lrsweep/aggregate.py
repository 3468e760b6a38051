"""Gather every grid point's stored result into the run's tables.

``metrics.csv`` has one row per grid point (skipped and failed ones included);
``coefficients.csv`` is long: ``experiment, model_id, class, term, estimate`` (plus
``std_err, z, p_value, ci_low, ci_high`` for statsmodels fits).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from lrsweep import markdown
from lrsweep.store import SETTING_KEYS, missing, read_result, require

#: The leading columns of metrics.csv, in this order (the issue's contract).
METRIC_COLUMNS = [
    "experiment",
    "model_id",
    "library",
    "solver",
    "penalty",
    "C",
    "l1_ratio",
    "multi_class",
    "class_weight",
    "status",
    "reason",
    "converged",
    "n_iter",
    "fit_seconds",
    "accuracy_train",
    "accuracy_test",
]
SETTINGS_AFTER = [
    k for k in SETTING_KEYS if k not in METRIC_COLUMNS and k not in ("bootstrap", "cv")
]
STATS_COLUMNS = ["llf", "llnull", "pseudo_r2", "llr_pvalue", "aic", "bic"]


def _number(value):
    if value == "inf":
        return math.inf
    return value


def metrics_row(record: dict) -> dict:
    row = {k: record.get(k) for k in METRIC_COLUMNS if k not in ("accuracy_train", "accuracy_test")}
    row["C"] = _number(row.get("C"))
    for k in SETTINGS_AFTER:
        row[k] = _number(record.get(k))
    row["n_classes"] = len(record.get("classes") or []) or None
    for part in ("train", "test"):
        cm = record.get(f"confusion_{part}")
        row[f"n_{part}"] = int(np.sum(cm)) if cm else None
    scores = record.get("scores") or {}
    row["accuracy_train"] = scores.get("accuracy_train", np.nan)
    row["accuracy_test"] = scores.get("accuracy_test", np.nan)
    for k, v in scores.items():
        if k not in row and "[" not in k:
            row[k] = np.nan if v is None else v
    for k in STATS_COLUMNS:
        if record.get("stats") and k in record["stats"]:
            row[k] = record["stats"][k]
    return row


def collect(
    manifests: list[str | Path], fits_root: str | Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(metrics, coefficients) for the fits the manifests list, in grid order."""
    fits_root = Path(fits_root)
    rows, coefs = [], []
    for path in manifests:
        experiment = Path(path).parent.name
        manifest = json.loads(require(experiment, path).read_text())
        for fit in manifest["fits"]:
            folder = fits_root / experiment / fit["model_id"]
            record = read_result(folder, fit["key"])
            if record is None:
                raise missing(experiment, folder, f"holds no result for key {fit['key']}")
            rows.append(metrics_row(record))
            if record["status"] == "ok":
                table = pd.read_csv(folder / "coefficients.csv")
                table.insert(0, "model_id", fit["model_id"])
                table.insert(0, "experiment", experiment)
                coefs.append(table)
    metrics = pd.DataFrame(rows)
    lead = [c for c in METRIC_COLUMNS if c in metrics.columns]
    fixed = lead + [c for c in [*SETTINGS_AFTER, "n_classes", "n_train", "n_test"] if c in metrics]
    stats = [c for c in STATS_COLUMNS if c in metrics.columns]
    scores = sorted(c for c in metrics.columns if c not in fixed and c not in stats)
    metrics = metrics[fixed + scores + stats]  # a fixed order, whatever row comes first
    coefficients = (
        pd.concat(coefs, ignore_index=True)
        if coefs
        else pd.DataFrame(columns=["experiment", "model_id", "class", "term", "estimate"])
    )
    return metrics, coefficients


def ranked(ok: pd.DataFrame, metric: str = "accuracy_test") -> pd.DataFrame:
    """Fits best first: highest ``metric``, then higher ROC AUC, then lower log-loss."""
    sort_cols = [metric] + [c for c in ("roc_auc_test", "log_loss_test") if c in ok.columns]
    ascending = [False] + [c == "log_loss_test" for c in sort_cols[1:]]
    return ok.sort_values(sort_cols, ascending=ascending, kind="stable", na_position="last")


def leaderboard(
    metrics: pd.DataFrame, metric: str = "accuracy_test", comparisons: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Best fit per experiment by ``metric`` (ties: higher ROC AUC, then lower log-loss)."""
    ok = metrics[metrics["status"] == "ok"].copy()
    if ok.empty:
        return pd.DataFrame(columns=["experiment", "model_id", metric])
    best = ranked(ok, metric).groupby("experiment", sort=False).head(1)
    counts = metrics.groupby("experiment")["status"].value_counts().unstack(fill_value=0)
    cols = [
        "experiment",
        "model_id",
        "library",
        "solver",
        "penalty",
        "C",
        "accuracy_train",
        "accuracy_test",
        "accuracy_test_ci_low",
        "accuracy_test_ci_high",
        "roc_auc_test",
    ]
    best = best[[c for c in cols if c in best.columns]].copy()
    for status in ("ok", "skipped", "failed"):
        best[f"n_{status}"] = (
            best["experiment"]
            .map(counts[status] if status in counts.columns else {})
            .fillna(0)
            .astype(int)
        )
    if comparisons is not None:
        worse = comparisons.groupby("experiment")["significantly_worse"].sum()
        best["n_not_worse"] = [
            int(counts.loc[e, "ok"] - worse.get(e, 0)) if "ok" in counts.columns else 0
            for e in best["experiment"]
        ]
    return best.sort_values("experiment").reset_index(drop=True)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-style Markdown table (no extra dependency)."""
    return markdown.table(frame.columns, frame.itertuples(index=False))


AGREEMENT_COLUMNS = [
    "experiment",
    "sklearn_model_id",
    "statsmodels_model_id",
    "max_abs_coef_diff",
    "llf_sklearn",
    "llf_statsmodels",
]


def _reference_form(table: pd.DataFrame, classes: list) -> pd.DataFrame:
    """scikit-learn's multinomial coefficients (one row per class, summing to zero) as
    statsmodels' MNLogit writes them: each class minus the first (reference) class."""
    wide = table.pivot(index="class", columns="term", values="estimate")
    if len(wide) <= 1:
        return wide
    wide.index = wide.index.astype(str)
    ref = str(classes[0])
    return (wide.drop(index=ref) - wide.loc[ref]).sort_index()


def agreement(metrics: pd.DataFrame, coefficients: pd.DataFrame) -> pd.DataFrame:
    """Each unpenalized scikit-learn fit beside each statsmodels MLE of the same experiment."""
    rows = []
    ok = metrics[metrics["status"] == "ok"]
    for experiment, group in ok.groupby("experiment", sort=True):
        sk = group[(group["library"] == "sklearn") & (group["penalty"] == "none")]
        sm = group[(group["library"] == "statsmodels") & (group["regularized"] == "none")]
        coefs = coefficients[coefficients["experiment"] == experiment]
        for _, a in sk.iterrows():
            for _, b in sm.iterrows():
                ca = coefs[coefs["model_id"] == a["model_id"]]
                cb = coefs[coefs["model_id"] == b["model_id"]]
                classes = sorted(set(ca["class"].astype(str)) | set(cb["class"].astype(str)))
                wa = _reference_form(ca, classes)
                wb = cb.pivot(index="class", columns="term", values="estimate")
                wb.index = wb.index.astype(str)
                wa.index = wa.index.astype(str)
                diff = (wa - wb.loc[wa.index, wa.columns]).abs().to_numpy().max()
                rows.append(
                    {
                        "experiment": experiment,
                        "sklearn_model_id": a["model_id"],
                        "statsmodels_model_id": b["model_id"],
                        "max_abs_coef_diff": float(diff),
                        "llf_sklearn": -float(a["log_loss_train"]) * float(a["n_train"]),
                        "llf_statsmodels": float(b["llf"]),
                    }
                )
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


# --------------------------------------------------------------------------------------------
# Honest comparisons (see lrsweep.inference)

ALPHA = 0.05


def best_fit(ok: pd.DataFrame, metric: str = "accuracy_test") -> pd.Series:
    """The leaderboard's pick among one experiment's fits."""
    return ranked(ok, metric).iloc[0]


def compare_to_best(metrics: pd.DataFrame, correct: dict) -> pd.DataFrame:
    """Each fit against its experiment's best on the same test rows: McNemar's exact test,
    p-values Holm-corrected across the experiment. ``correct[(experiment, model_id)]`` is the
    boolean array of test rows the fit got right."""
    from lrsweep.inference import holm, mcnemar_exact

    rows = []
    ok = metrics[metrics["status"] == "ok"]
    for experiment, group in ok.groupby("experiment", sort=True):
        best = best_fit(group)
        best_right = correct[(experiment, best["model_id"])]
        part = []
        for _, row in group.iterrows():
            if row["model_id"] == best["model_id"]:
                continue
            n01, n10, p = mcnemar_exact(best_right, correct[(experiment, row["model_id"])])
            part.append(
                {
                    "experiment": experiment,
                    "model_id": row["model_id"],
                    "best_model_id": best["model_id"],
                    "accuracy_test": row["accuracy_test"],
                    "best_accuracy_test": best["accuracy_test"],
                    "only_best_right": n10,
                    "only_this_right": n01,
                    "p_value": p,
                }
            )
        if part:
            adjusted = holm([r["p_value"] for r in part])
            for r, q in zip(part, adjusted, strict=True):
                r["p_holm"] = float(q)
                r["significantly_worse"] = bool(
                    q < ALPHA and r["only_best_right"] > r["only_this_right"]
                )
        rows += part
    columns = [
        "experiment",
        "model_id",
        "best_model_id",
        "accuracy_test",
        "best_accuracy_test",
        "only_best_right",
        "only_this_right",
        "p_value",
        "p_holm",
        "significantly_worse",
    ]
    return pd.DataFrame(rows, columns=columns)


def not_worse_table(metrics: pd.DataFrame, comparisons: pd.DataFrame) -> pd.DataFrame:
    """Per experiment, the fits not significantly worse than the best (the best included)."""
    ok = metrics[metrics["status"] == "ok"]
    rows = []
    for experiment, group in ok.groupby("experiment", sort=True):
        best = best_fit(group)
        rows.append(
            {
                "experiment": experiment,
                "model_id": best["model_id"],
                "accuracy_test": best["accuracy_test"],
                "p_holm": float("nan"),
                "note": "best",
            }
        )
        cmp = comparisons[
            (comparisons["experiment"] == experiment)
            & ~comparisons["significantly_worse"].astype(bool)
        ]
        for _, r in cmp.sort_values("accuracy_test", ascending=False).iterrows():
            rows.append(
                {
                    "experiment": experiment,
                    "model_id": r["model_id"],
                    "accuracy_test": r["accuracy_test"],
                    "p_holm": r["p_holm"],
                    "note": "not significantly worse",
                }
            )
    return pd.DataFrame(rows, columns=["experiment", "model_id", "accuracy_test", "p_holm", "note"])


def cv_selection(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per experiment and solver/penalty pair: the C with the best mean cross-validated
    accuracy, and the C of the one-standard-error rule."""
    from lrsweep.inference import choose_C

    columns = ["experiment", "solver", "penalty", "C_best_mean", "best_mean", "best_se", "C_one_se"]
    if "cv_accuracy_mean" not in metrics.columns:
        return pd.DataFrame(columns=columns)
    sk = metrics[(metrics["library"] == "sklearn") & metrics["cv_accuracy_mean"].notna()].copy()
    sk["C"] = sk["C"].astype(float)
    rows = []
    for (experiment, solver, penalty), group in sk.groupby(["experiment", "solver", "penalty"]):
        rows.append(
            {"experiment": experiment, "solver": solver, "penalty": penalty, **choose_C(group)}
        )
    return pd.DataFrame(rows, columns=columns)


def load_correct(metrics: pd.DataFrame, fits_root: str | Path, y_tests: dict) -> dict:
    """``{(experiment, model_id): test rows right}`` from each fit's ``pred_test.npy``."""
    out = {}
    for _, row in metrics[metrics["status"] == "ok"].iterrows():
        pred = np.load(Path(fits_root) / row["experiment"] / row["model_id"] / "pred_test.npy")
        out[(row["experiment"], row["model_id"])] = pred == y_tests[row["experiment"]]
    return out


def leaderboard_markdown(board: pd.DataFrame, not_worse: pd.DataFrame, shown: int = 10) -> str:
    lines = [
        "# Leaderboard: best test accuracy per experiment",
        "",
        "`accuracy_test_ci_*`: 95 % stratified bootstrap interval. `n_not_worse`: fits whose",
        "test accuracy is not significantly below the best (McNemar's exact test on the same",
        f"test rows, Holm-corrected across the experiment, alpha = {ALPHA}), the best included.",
        "",
        markdown_table(board).rstrip(),
        "",
        "## Not significantly worse than the best",
        "",
    ]
    for experiment, group in not_worse.groupby("experiment", sort=True):
        extra = len(group) - shown
        lines.append(f"### {experiment}")
        lines.append("")
        lines.append(markdown_table(group.head(shown).drop(columns=["experiment"])).rstrip())
        if extra > 0:
            lines.append(f"\n... and {extra} more (see comparisons.csv)")
        lines.append("")
    return "\n".join(lines) + "\n"
