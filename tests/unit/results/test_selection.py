"""The selection rule (issue #15): candidates, ties, cross-validation, the one-SE rule and the
model families of cv_selection.csv, checked against independent computations."""

import math

import pandas as pd
import pytest

from lrsweep.results import selection


def row(model_id, **kw):
    base = {
        "experiment": "e",
        "model_id": model_id,
        "library": "sklearn",
        "solver": "lbfgs",
        "penalty": "l2",
        "C": 1.0,
        "status": "ok",
        "converged": True,
        "accuracy_test": 0.9,
        "roc_auc_test": 0.95,
        "log_loss_test": 0.3,
    }
    return {**base, **kw}


def test_only_converged_ok_fits_are_candidates():
    table = pd.DataFrame(
        [
            row("unconverged", accuracy_test=0.99, converged=False),
            row("separated", accuracy_test=0.99, status="separated"),
            row("failed", accuracy_test=float("nan"), status="failed"),
            row("fine", accuracy_test=0.9),
        ]
    )
    assert selection.selected(table)["model_id"] == "fine"


def test_differences_of_rounding_are_ties_and_the_simpler_model_wins():
    """bc5: an unpenalized saga fit 'beat' lbfgs and statsmodels fits of the same model by
    2e-12 in log-loss. Within 1e-9 they tie; then the stronger penalty wins."""
    table = pd.DataFrame(
        [
            row("saga_none", solver="saga", penalty="none", C=math.inf, log_loss_test=0.3 - 2e-12),
            row("lbfgs_C10", C=10.0, log_loss_test=0.3),
            row(
                "sm_mle",
                library="statsmodels",
                C=float("nan"),
                regularized="none",
                log_loss_test=0.3 + 1e-12,
            ),
            row("sm_l1", library="statsmodels", C=float("nan"), regularized="l1", alpha=0.5),
        ]
    )
    order = list(selection.ranked(table)["model_id"])
    assert order == ["sm_l1", "lbfgs_C10", "saga_none", "sm_mle"]  # C = 2, 10, inf, inf
    # fewer nonzero coefficients break a tie in C
    tied = pd.DataFrame([row("dense", C=1.0), row("sparse", C=1.0)])
    assert selection.selected(tied, {"dense": 10, "sparse": 3})["model_id"] == "sparse"
    # a real difference is not a tie
    better = pd.DataFrame([row("a", C=0.1), row("b", C=10.0, accuracy_test=0.9 + 1e-6)])
    assert selection.selected(better)["model_id"] == "b"


def test_with_cv_the_test_rows_play_no_part_in_the_choice():
    table = pd.DataFrame(
        [
            row(
                "best_on_test",
                C=1.0,
                accuracy_test=0.99,
                cv_accuracy_mean=0.90,
                cv_accuracy_se=0.01,
            ),
            row(
                "best_on_cv", C=0.1, accuracy_test=0.80, cv_accuracy_mean=0.95, cv_accuracy_se=0.01
            ),
            row("close", C=0.01, accuracy_test=0.85, cv_accuracy_mean=0.945, cv_accuracy_se=0.01),
        ]
    )
    assert selection.selected(table)["model_id"] == "best_on_cv"
    assert selection.one_se(table)["model_id"] == "close"  # 0.945 >= 0.95 - 0.01, smaller C
    assert "test rows used once" in selection.protocol(table)
    assert "optimistic" in selection.protocol(table.drop(columns="cv_accuracy_mean"))


def test_the_selection_metric_ranks_and_its_direction_is_known():
    """select: {metric: log_loss} picks the lowest log-loss (lower is better), roc_auc the
    highest AUC, whatever the accuracy; the protocol and the one-SE rule follow it."""
    table = pd.DataFrame(
        [
            row("accurate", C=1.0, accuracy_test=0.95, roc_auc_test=0.90, log_loss_test=0.40),
            row("calibrated", C=1.0, accuracy_test=0.90, roc_auc_test=0.93, log_loss_test=0.20),
            row("ranking", C=1.0, accuracy_test=0.91, roc_auc_test=0.97, log_loss_test=0.30),
        ]
    )
    assert selection.selected(table)["model_id"] == "accurate"  # default: accuracy
    by_loss = table.assign(select_metric="log_loss")
    assert selection.selected(by_loss)["model_id"] == "calibrated"
    assert "best test log_loss" in selection.protocol(by_loss)
    by_auc = table.assign(select_metric="roc_auc")
    assert selection.selected(by_auc)["model_id"] == "ranking"
    assert list(selection.ranked(by_auc)["model_id"]) == ["ranking", "calibrated", "accurate"]


def test_the_one_se_rule_of_a_lower_is_better_metric_and_rule_one_se():
    """Log-loss: within one SE means at most best + se. The bound is the best fit's mean plus
    its standard error; the simplest fit within it is the one-SE choice, and rule one_se
    selects it."""
    table = pd.DataFrame(
        [
            row("best", C=10.0, cv_accuracy_mean=0.9, cv_log_loss_mean=0.30, cv_log_loss_se=0.02),
            row("near", C=1.0, cv_accuracy_mean=0.9, cv_log_loss_mean=0.319, cv_log_loss_se=0.02),
            row("far", C=0.1, cv_accuracy_mean=0.9, cv_log_loss_mean=0.321, cv_log_loss_se=0.02),
        ]
    ).assign(cv_accuracy_se=0.01, select_metric="log_loss")
    assert selection.selected(table)["model_id"] == "best"
    assert selection.one_se(table)["model_id"] == "near"  # 0.319 <= 0.32 < 0.321
    assert selection.selected(table.assign(select_rule="one_se"))["model_id"] == "near"
    # cv_selection.csv's rule is the same rule, within a family along C
    family = table.drop(columns=["model_id"])
    chosen = selection.along_C(family, "log_loss")
    assert (chosen["C_best_mean"], chosen["C_one_se"]) == (10.0, 1.0)


def test_select_is_filled_per_experiment_and_one_se_needs_cv():
    from lrsweep.config.resolve import resolve_config
    from lrsweep.errors import ConfigError

    exps = {
        "a": {"dataset": {"source": "synthetic"}, "cv": {}},
        "b": {"dataset": {"source": "synthetic"}, "select": {"metric": "brier"}},
    }
    sweep = {"sweep": "t", "select": {"metric": "roc_auc"}, "experiments": exps}
    filled = resolve_config(sweep)["config"]["experiments"]
    assert filled["a"]["select"] == {"metric": "roc_auc", "rule": "best"}
    assert filled["b"]["select"] == {"metric": "brier", "rule": "best"}
    with pytest.raises(ConfigError) as err:
        resolve_config({**sweep, "select": {"rule": "one_se"}})
    assert str(err.value).startswith("experiment 'b': key 'select.rule': one_se needs cv:")
    with pytest.raises(ConfigError) as err:
        resolve_config({**sweep, "select": {"metric": "recall"}})
    assert "key 'select.metric': 'recall' is not allowed (allowed: accuracy, " in str(err.value)
