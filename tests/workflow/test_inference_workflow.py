"""End to end: the covariance type only scores (changing it refits nothing), and a version's
coefficients.csv and marginal_effects.csv hold one block per covariance type."""

import os

import pandas as pd
import pytest

from tests.conftest import snakemake
from tests.integration.test_reference_levels import regions_table
from tests.workflow.test_workflow import job_tokens, jobs_since, version_dir


def config(statsmodels: dict) -> dict:
    return {
        "sweep": "cov",
        "figures": False,
        "experiments": {
            "regions": {
                "dataset": {
                    "source": "csv",
                    "path": "regions.csv",
                    "target": "y",
                    "features": ["x", "region"],
                },
                "categorical": ["region"],
                "impute": "median",
                "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
                "sklearn": {"penalty": "none", "max_iter": 1000, "tol": 1e-8},
                "statsmodels": {"method": "newton", "groups": "school", **statsmodels},
            }
        },
    }


def test_changing_cov_type_refits_nothing(tmp_path):
    regions_table().to_csv(tmp_path / "regions.csv", index=False)
    store = tmp_path / "results/cov/store"
    proc = snakemake(tmp_path, config=config({}))
    assert proc.returncode == 0, proc.stderr[-3000:]
    fits = set(os.listdir(store / "fits"))
    fit_jobs = job_tokens(tmp_path, "cov", "fit")
    first = pd.read_csv(version_dir(tmp_path, "cov") / "coefficients.csv")
    first = first[first["model_id"] == "sm_mle_newton"]
    assert first["cov_type"].unique().tolist() == ["nonrobust"]
    # the unpenalized scikit-learn fit (full one-hot design) in statsmodels' design: the MLE
    [row] = pd.read_csv(version_dir(tmp_path, "cov") / "agreement.csv").itertuples()
    assert row.max_abs_coef_diff < 1e-3
    assert row.llf_sklearn == pytest.approx(row.llf_statsmodels, rel=1e-6)

    proc = snakemake(tmp_path, config=config({"cov_type": ["nonrobust", "HC1", "cluster"]}))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "0 of 2 grid points to fit (2 in the store)" in proc.stderr
    assert set(os.listdir(store / "fits")) == fits  # no fit entry made
    ran = jobs_since(tmp_path, "cov", fit_jobs)
    assert ran and all(t["fitted"] == [] for t in ran)  # the jobs that ran fitted nothing
    version = version_dir(tmp_path, "cov")
    coefs = pd.read_csv(version / "coefficients.csv")
    coefs = coefs[coefs["model_id"] == "sm_mle_newton"]
    assert coefs["cov_type"].unique().tolist() == ["nonrobust", "HC1", "cluster"]
    blocks = {c: b.reset_index(drop=True) for c, b in coefs.groupby("cov_type")}
    pd.testing.assert_series_equal(blocks["HC1"]["estimate"], blocks["cluster"]["estimate"])
    pd.testing.assert_frame_equal(  # the same fit: the model-based block is as it was
        blocks["nonrobust"], first.reset_index(drop=True), check_like=True
    )
    assert (blocks["HC1"]["std_err"] != blocks["nonrobust"]["std_err"]).all()
    region = coefs[coefs["term"].str.startswith("region=")]
    assert (region["reference"] == "region=south").all()
    effects = pd.read_csv(version / "marginal_effects.csv")
    assert effects["cov_type"].unique().tolist() == ["nonrobust", "HC1", "cluster"]
    assert "intercept" not in set(effects["term"])
    listed = (version / "SHA256SUMS").read_text()
    assert "marginal_effects.csv" in listed and "fits/regions/sm_mle_newton/inference.csv" in listed
