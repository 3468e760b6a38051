"""What a version records about how it was made (``provenance.json``)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

from lrsweep.store.keys import workflow_root


def git_state(root: str | Path = ".") -> dict:
    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        status = git("status", "--porcelain", "--untracked-files=no")
        return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


PACKAGES = (
    "snakemake",
    "scikit-learn",
    "statsmodels",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "joblib",
    "pyyaml",
    "jsonschema",
    "pyarrow",
    "skops",
)


def package_versions() -> dict:
    import lrsweep
    from lrsweep.store.keys import distribution_versions

    return {
        "python": sys.version.split()[0],
        "lrsweep": lrsweep.__version__,
        **distribution_versions(PACKAGES),
    }


def platform_info() -> dict:
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "node": platform.node(),
    }


def job_timings(benchmarks: list[tuple[str, str, str]]) -> list[dict]:
    """Snakemake's ``benchmark:`` records of this version's jobs: (rule, job, tsv path)."""
    rows = []
    for rule, job, path in benchmarks:
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                records = list(csv.DictReader(fh, delimiter="\t"))
        except OSError:
            continue
        for rec in records:
            rows.append(
                {
                    "rule": rule,
                    "job": job,
                    "seconds": float(rec["s"]) if rec.get("s") else None,
                    "max_rss_mb": float(rec["max_rss"])
                    if rec.get("max_rss") not in (None, "NA", "-")
                    else None,
                }
            )
    return rows


def provenance_record(params: dict, *, fits: dict, prepared: dict, failed: int, timings) -> dict:
    """provenance.json: the config as parsed (its sources' texts included), the keys of
    everything the version holds, the libraries that computed each fit, each dataset's file
    checksum, columns and classes (``prepared[name]``: what ``lrsweep predict`` needs), the
    code, the platform and this version's jobs."""
    experiments = params["experiments"]
    return {
        "version": params["version"],
        "run_ended": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sweep": params["sweep"],
        "experiments": list(experiments),
        "grid_points": sum(len(e["points"]) for e in experiments.values()),
        "failed": failed,
        "data_files": [
            e["exp"]["dataset"]["path"] for e in experiments.values() if e["data_sha256"]
        ],
        "config_sources": params["sources"],
        "effective_config": params["effective"],
        "keys": {
            name: {
                "prepared": e["prepared"],
                "overview_figures": e.get("overview"),
                "fits": {p["model_id"]: p["key"] for p in e["points"]},
                "scores": {p["model_id"]: p["score_key"] for p in e["points"]},
            }
            for name, e in experiments.items()
        },
        "datasets": {
            name: {
                "file": {"path": e["exp"]["dataset"]["path"], "sha256": e["data_sha256"]}
                if e["data_sha256"]
                else None,
                "target": e["exp"]["dataset"].get("target"),
                **prepared[name],
            }
            for name, e in experiments.items()
        },
        "computed_with": fits,
        "git": workflow_git(),
        "packages": package_versions(),
        "platform": platform_info(),
        "timings": timings,
    }


def workflow_git() -> dict:
    """The git commit and state of the workflow's checkout (the folder of the Snakefile run,
    :func:`lrsweep.store.keys.workflow_root`), not of wherever the package is installed;
    None for both when that folder is not in git or no workflow was named."""
    root = workflow_root()
    return git_state(root) if root is not None else {"commit": None, "dirty": None}
