"""Gather every grid point's stored result into a version's tables.

``metrics.csv`` has one row per grid point (skipped and failed ones included);
``coefficients.csv`` is long: ``experiment, model_id, class, term, estimate``; a statsmodels
maximum-likelihood fit has one block of rows per covariance type (``cov_type``) with
``std_err, z, p_value, ci_low, ci_high``, for two classes ``odds_ratio, odds_ratio_ci_low,
odds_ratio_ci_high``, and the ``reference`` level each indicator term is measured against
(from its scores entry's ``inference.csv``). ``marginal_effects.csv`` gathers those fits'
average marginal effects, one block per covariance type.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lrsweep.domain import RECORDED, SETTING_KEYS, SKLEARN_DEFAULTS, Status
from lrsweep.results import markdown

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
SETTINGS_AFTER = [k for k in SETTING_KEYS if k not in METRIC_COLUMNS] + ["positive_class"]
#: How an experiment selects (its ``select:``), a column each, after the settings.
SELECT_COLUMNS = ["select_metric", "select_rule"]
#: The decision threshold of a two-class fit (tuned or fixed), what it was tuned for, and the
#: mean CV score at it of the tuning (TunedThresholdClassifierCV's best_score_).
THRESHOLD_COLUMNS = ["threshold", "threshold_tune", "threshold_cv_score"]
STATS_COLUMNS = ["llf", "llnull", "pseudo_r2", "llr_pvalue", "aic", "bic"]


def _number(value):
    if value == "inf":
        return math.inf
    return value


def metrics_row(record: dict) -> dict:
    row = {
        k: record.get(k)
        for k in METRIC_COLUMNS
        if k not in ("experiment", "accuracy_train", "accuracy_test")
    }
    row["C"] = _number(row.get("C"))
    for k in SETTINGS_AFTER:
        row[k] = _number(record.get(k))
    select = record.get("select") or {}
    for k in SELECT_COLUMNS:
        row[k] = select.get(k.removeprefix("select_"))
    row["threshold"] = record.get("threshold")
    row["threshold_tune"] = (record.get("tune_threshold") or {}).get("tune")
    row["threshold_cv_score"] = record.get("tuned_threshold_cv_score")
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


#: The columns of coefficients.csv, in this order (those a table has).
COEFFICIENT_COLUMNS = [
    "experiment",
    "model_id",
    "class",
    "term",
    "estimate",
    "cov_type",
    "std_err",
    "z",
    "p_value",
    "ci_low",
    "ci_high",
    "odds_ratio",
    "odds_ratio_ci_low",
    "odds_ratio_ci_high",
    "reference",
    "class_name",
]


def collect(fits: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(metrics, coefficients) of ``fits``: (experiment, result record, fit entry[, scores
    entry]) in grid order. A scores entry with ``inference.csv`` gives its fit's rows (one
    block per covariance type); :func:`estimates_of` keeps one row per coefficient."""
    from lrsweep.fit.record import COEFFICIENTS, read_coefficients
    from lrsweep.score.record import INFERENCE

    rows, coefs = [], []
    for experiment, record, entry, *scores in fits:
        rows.append({"experiment": experiment, **metrics_row(record)})
        if scores and INFERENCE in scores[0].names():
            table = read_coefficients(scores[0], INFERENCE)
            table.insert(0, "model_id", record["model_id"])
            table.insert(0, "experiment", experiment)
            coefs.append(table)
        elif COEFFICIENTS in entry.names():
            table = read_coefficients(entry)
            table.insert(0, "model_id", record["model_id"])
            table.insert(0, "experiment", experiment)
            coefs.append(table)
    metrics = pd.DataFrame(rows)
    lead = [c for c in METRIC_COLUMNS if c in metrics.columns]
    after = [*SETTINGS_AFTER, *SELECT_COLUMNS, *THRESHOLD_COLUMNS, "n_classes", "n_train", "n_test"]
    fixed = lead + [c for c in after if c in metrics]
    stats = [c for c in STATS_COLUMNS if c in metrics.columns]
    scores = sorted(c for c in metrics.columns if c not in fixed and c not in stats)
    metrics = metrics[fixed + scores + stats]  # a fixed order, whatever row comes first
    coefficients = (
        pd.concat(coefs, ignore_index=True)
        if coefs
        else pd.DataFrame(columns=["experiment", "model_id", "class", "term", "estimate"])
    )
    order = [c for c in COEFFICIENT_COLUMNS if c in coefficients.columns]
    coefficients = coefficients[order + [c for c in coefficients if c not in order]]
    return metrics, coefficients


def estimates_of(coefficients: pd.DataFrame) -> pd.DataFrame:
    """One row per coefficient (the first covariance type's block of each fit): what counts,
    compares and draws estimates must not see a coefficient once per covariance type."""
    if "cov_type" not in coefficients.columns or coefficients.empty:
        return coefficients
    keys = ["experiment", "model_id", "class", "term"]
    return coefficients.drop_duplicates(keys, keep="first").reset_index(drop=True)


def marginal_effects(fits: list[tuple]) -> pd.DataFrame:
    """The ``marginal_effects.csv`` of a version: every scores entry's table (statsmodels
    maximum-likelihood fits), with its experiment and model_id."""
    from lrsweep.fit.record import read_coefficients
    from lrsweep.score.record import MARGINAL_EFFECTS

    tables = []
    for experiment, record, _entry, *scores in fits:
        if scores and MARGINAL_EFFECTS in scores[0].names():
            table = read_coefficients(scores[0], MARGINAL_EFFECTS)
            table.insert(0, "model_id", record["model_id"])
            table.insert(0, "experiment", experiment)
            tables.append(table)
    columns = ["experiment", "model_id", "class", "term", "cov_type", "marginal_effect"]
    columns += ["std_err", "z", "p_value", "ci_low", "ci_high", "class_name"]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)


#: The leading columns of cv_folds.csv; every metric of lrsweep.score.intervals.CV_METRICS follows.
CV_FOLD_COLUMNS = ["experiment", "model_id", "repeat", "fold", "n_valid"]


def cv_folds(fits: list[tuple[str, dict, object]]) -> pd.DataFrame:
    """``cv_folds.csv``: one row per grid point, repeat and fold of its cross-validation,
    with every CV metric on the fold's validation rows (``fits`` as for :func:`collect`);
    metrics.csv's ``cv_<metric>_mean``, ``_std`` and ``_se`` summarize these rows."""
    from lrsweep.score.intervals import CV_METRICS

    rows = [
        {"experiment": experiment, "model_id": record["model_id"], **fold}
        for experiment, record, *_ in fits
        for fold in record.get("cv_fold_scores") or []
    ]
    return pd.DataFrame(rows, columns=[*CV_FOLD_COLUMNS, *CV_METRICS])


#: ``selected_by`` of an experiment without ``cv:``, by whether it has test rows of its own.
SELECTED_ON = {False: "test (optimistic)", True: "all rows (optimistic)"}


def leaderboard(
    metrics: pd.DataFrame,
    coefficients: pd.DataFrame,
    comparisons: pd.DataFrame | None = None,
    same_rows: frozenset = frozenset(),
) -> pd.DataFrame:
    """Per experiment: the fit chosen by :mod:`lrsweep.results.selection`, how it was chosen,
    its test scores (reported once), and with CV the one-standard-error choice. ``same_rows``: the
    experiments with ``split: none``, whose "test" rows are the rows the fits learned from."""
    from lrsweep.results import selection

    counts = metrics.groupby("experiment")["status"].value_counts().unstack(fill_value=0)
    rows = []
    for experiment, group in metrics.groupby("experiment", sort=True):
        nonzero = selection.nonzero_counts(coefficients[coefficients["experiment"] == experiment])
        best = selection.selected(group, nonzero)
        cv = selection.uses_cv(group)
        choice = selection.select_of(group)
        metric = choice["metric"]
        selected_by = "cv" if cv else SELECTED_ON[experiment in same_rows]
        row = {"experiment": experiment, "selected_by": selected_by}
        if best is not None:
            for c in ("model_id", "library", "solver", "penalty", "C"):
                row[c] = best[c]
        else:
            row["model_id"] = "(no converged ok fit)"
        row.update(select_metric=metric, select_rule=choice["rule"])
        if best is not None:
            if cv:
                for m in dict.fromkeys(("accuracy", metric)):
                    row[f"cv_{m}_mean"] = best[f"cv_{m}_mean"]
                    row[f"cv_{m}_se"] = best[f"cv_{m}_se"]
            for c in dict.fromkeys(
                (
                    "accuracy_test",
                    "accuracy_test_ci_low",
                    "accuracy_test_ci_high",
                    "roc_auc_test",
                    f"{metric}_test",
                )
            ):
                if c in best:
                    row[c] = best[c]
            one = selection.one_se(group, nonzero)
            row["one_se_model_id"] = one["model_id"] if one is not None else ""
        for status in RECORDED:
            row[f"n_{status}"] = int(counts.loc[experiment, status]) if status in counts else 0
        if comparisons is not None and best is not None:
            worse = comparisons[comparisons["experiment"] == experiment]["significantly_worse"]
            row["n_not_worse"] = int(len(selection.candidates(group)) - worse.astype(bool).sum())
        rows.append(row)
    return pd.DataFrame(rows)


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


def in_reference_design(rows: pd.DataFrame, reference: dict) -> pd.DataFrame:
    """scikit-learn coefficients of a full one-hot design (every level of each categorical
    column) in statsmodels' design (each column's reference level left out): a level's
    coefficient minus its reference's, the reference's added to the intercept. Every row has
    exactly one level of each column, so the linear predictor, and every prediction, is
    unchanged: the same fit in the same parametrisation. ``rows``: term, estimate (one class),
    any other columns are kept."""
    out = rows.copy()
    est = out.set_index("term")["estimate"]
    drop = []
    for column, level in reference.items():
        ref_term = f"{column}={level}"
        if ref_term not in est.index:
            continue
        base = float(est[ref_term])
        mask = out["term"].str.startswith(f"{column}=")
        out.loc[mask, "estimate"] = out.loc[mask, "estimate"] - base
        out.loc[out["term"] == "intercept", "estimate"] += base
        drop.append(ref_term)
    return out[~out["term"].isin(drop)].reset_index(drop=True)


def references_of(sm_rows: pd.DataFrame) -> dict:
    """{column: level} of a statsmodels fit's rows, from their ``reference`` column
    (``column=level`` of the level each indicator term is measured against)."""
    import os

    out = {}
    if "reference" not in sm_rows:
        return out
    for term, ref in zip(sm_rows["term"], sm_rows["reference"], strict=True):
        if isinstance(ref, str) and ref and "=" in ref:
            shared = os.path.commonprefix([term, ref])
            column = shared[: shared.rfind("=")] if "=" in shared else ref.split("=", 1)[0]
            out[column] = ref[len(column) + 1 :]
    return out


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
    ok = metrics[metrics["status"] == Status.OK]
    for experiment, group in ok.groupby("experiment", sort=True):
        sk = group[(group["library"] == "sklearn") & (group["penalty"] == "none")]
        sm = group[(group["library"] == "statsmodels") & (group["regularized"] == "none")]
        coefs = coefficients[coefficients["experiment"] == experiment]
        for _, a in sk.iterrows():
            for _, b in sm.iterrows():
                cb = coefs[coefs["model_id"] == b["model_id"]]
                reference = references_of(cb)  # the same design as statsmodels'
                ca = pd.concat(
                    [
                        in_reference_design(rows, reference)
                        for _, rows in coefs[coefs["model_id"] == a["model_id"]].groupby(
                            "class", sort=False
                        )
                    ]
                )
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
# Honest comparisons (see lrsweep.score.intervals)

ALPHA = 0.05
COMPARISON_COLUMNS = [
    "experiment",
    "model_id",
    "selected_model_id",
    "accuracy_test",
    "selected_accuracy_test",
    "only_selected_right",
    "only_this_right",
    "p_value",
    "p_holm",
    "significantly_worse",
]


def compare_to_selected(metrics: pd.DataFrame, coefficients: pd.DataFrame, correct: dict):
    """Each candidate fit against its experiment's selected fit on the same test rows:
    McNemar's exact test, p-values Holm-corrected across the experiment.
    ``correct[(experiment, model_id)]`` is the boolean array of test rows the fit got right."""
    from lrsweep.results import selection
    from lrsweep.score.intervals import holm, mcnemar_exact

    rows = []
    for experiment, group in metrics.groupby("experiment", sort=True):
        nonzero = selection.nonzero_counts(coefficients[coefficients["experiment"] == experiment])
        best = selection.selected(group, nonzero)
        if best is None:
            continue
        best_right = correct[(experiment, best["model_id"])]
        part = []
        for _, row in selection.candidates(group).iterrows():
            if row["model_id"] == best["model_id"]:
                continue
            n01, n10, p = mcnemar_exact(best_right, correct[(experiment, row["model_id"])])
            part.append(
                {
                    "experiment": experiment,
                    "model_id": row["model_id"],
                    "selected_model_id": best["model_id"],
                    "accuracy_test": row["accuracy_test"],
                    "selected_accuracy_test": best["accuracy_test"],
                    "only_selected_right": n10,
                    "only_this_right": n01,
                    "p_value": p,
                }
            )
        if part:
            adjusted = holm([r["p_value"] for r in part])
            for r, q in zip(part, adjusted, strict=True):
                r["p_holm"] = float(q)
                r["significantly_worse"] = bool(
                    q < ALPHA and r["only_selected_right"] > r["only_this_right"]
                )
        rows += part
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def not_worse_table(board: pd.DataFrame, comparisons: pd.DataFrame) -> pd.DataFrame:
    """Per experiment, the fits not significantly worse than the selected one (it included)."""
    rows = []
    for _, best in board.iterrows():
        if pd.isna(best.get("accuracy_test")):
            continue
        experiment = best["experiment"]
        rows.append(
            {
                "experiment": experiment,
                "model_id": best["model_id"],
                "accuracy_test": best["accuracy_test"],
                "p_holm": float("nan"),
                "note": "selected",
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


#: The grid keys that, with the experiment, make one model family along C: every
#: scikit-learn grid key but C, so a key added to the grid splits families too.
FAMILY_KEYS = [k for k in SKLEARN_DEFAULTS if k != "C"]


def cv_selection(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per experiment and model family (every grid key but C): the C with the best mean
    cross-validated score in the experiment's selection metric (``metric``), and the C of
    the one-standard-error rule (ESL 7.10), the rule of :func:`lrsweep.results.selection.one_se`."""
    from lrsweep.results.selection import along_C, candidates, select_of

    keys = [k for k in FAMILY_KEYS if k in metrics.columns]
    columns = ["experiment", *keys, "C_best_mean", "best_mean", "best_se", "C_one_se", "metric"]
    if "cv_accuracy_mean" not in metrics.columns:
        return pd.DataFrame(columns=columns)
    sk = candidates(metrics[metrics["library"] == "sklearn"])
    sk = sk[sk["cv_accuracy_mean"].notna()].copy()
    sk["C"] = sk["C"].astype(float)
    sk = sk[np.isfinite(sk["C"])]
    rows = []
    for values, group in sk.groupby(["experiment", *keys], dropna=False, sort=True):
        metric = select_of(metrics[metrics["experiment"] == values[0]])["metric"]
        rows.append(
            {
                **dict(zip(["experiment", *keys], values, strict=True)),
                **along_C(group, metric),
                "metric": metric,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def load_correct(metrics: pd.DataFrame, preds: dict, y_tests: dict) -> dict:
    """``{(experiment, model_id): test rows right}`` from each fit's test predictions
    (``preds[(experiment, model_id)]``)."""
    out = {}
    for _, row in metrics[metrics["status"] == Status.OK].iterrows():
        key = (row["experiment"], row["model_id"])
        out[key] = np.asarray(preds[key]) == np.asarray(y_tests[row["experiment"]])
    return out


def leaderboard_markdown(board: pd.DataFrame, not_worse: pd.DataFrame, shown: int = 10) -> str:
    import textwrap

    cv = (board["selected_by"] == "cv").any()
    test = (board["selected_by"] == SELECTED_ON[False]).any()
    same = (board["selected_by"] == SELECTED_ON[True]).any()
    notes = [
        'How a fit is selected (README, "Choosing a model"): only converged fits with status ok '
        "are candidates; ties within 1e-9 go to the simpler model (stronger penalty, then fewer "
        "nonzero coefficients)."
    ]
    notes.append(
        "`select_metric` is the metric that ranked the fits (the experiment's `select:`, "
        "default accuracy; log_loss and brier are better lower); `select_rule: one_se` selects "
        "the `one_se_model_id`."
    )
    if cv:
        notes.append(
            "`selected_by: cv`: best mean cross-validated `select_metric` on the training rows; "
            "the test rows are used once, to report it. `one_se_model_id`: the simplest fit "
            "within one standard error of that mean (ESL 7.10)."
        )
    if test:
        notes.append(
            "`selected_by: test (optimistic)`: chosen on the same test rows it is reported on, so "
            "its test accuracy is biased upwards (the winner's curse); add `cv:` to the "
            "experiment to choose on cross-validation instead."
        )
    if same:
        notes.append(
            "`selected_by: all rows (optimistic)`: `split: none`, so the fit is chosen and scored "
            "on the rows it learned from; its accuracy is no estimate of how it does on new rows."
        )
    lines = ["# Leaderboard: the selected fit of each experiment", ""]
    for note in notes:
        lines += [textwrap.fill(note, 95), ""]
    lines += [
        "`accuracy_test_ci_*`: 95 % Clopper-Pearson interval. `n_not_worse`: candidates whose",
        "test accuracy is not significantly below the selected fit's (McNemar's exact test on the",
        f"same test rows, Holm-corrected across the experiment, alpha = {ALPHA}), it included.",
        "",
        markdown_table(board).rstrip(),
        "",
        "## Not significantly worse than the selected fit",
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
