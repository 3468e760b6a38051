"""Provenance of a version and the end-of-run summary."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from lrsweep.aggregate import failures, markdown_table
from lrsweep.config import read_grid
from lrsweep.data import atomic_write_text, file_checksum
from lrsweep.store import dumps
from lrsweep.versioning import git_state, package_versions, platform_info, update_latest


def dataset_checksums(effective: dict, results: str | Path) -> dict:
    """Per experiment: the checksum of its data file (csv/parquet) and of its prepared arrays."""
    out = {}
    for name, exp in effective["experiments"].items():
        entry = {}
        path = exp["dataset"].get("path")
        if path and Path(path).is_file():
            entry["file"] = {"path": path, "sha256": file_checksum(path)}
        meta = Path(results) / "prepared" / name / "meta.json"
        if meta.is_file():
            entry["prepared"] = json.loads(meta.read_text())["checksums"]
        out[name] = entry
    return out


def job_timings(results: str | Path) -> list[dict]:
    """Snakemake's ``benchmark:`` files of the prepare and fit jobs."""
    rows = []
    for path in sorted(Path(results, "benchmarks").glob("*/*.tsv")):
        table = pd.read_csv(path, sep="\t")
        for rec in table.to_dict("records"):
            rows.append({"rule": path.parent.name, "experiment": path.stem,
                         "seconds": rec.get("s"), "max_rss_mb": rec.get("max_rss")})
    return rows


def write_provenance(outputs, *, config_file, effective, grid_files, version, results) -> dict:
    grids = {Path(f).stem: read_grid(f) for f in grid_files}
    text = Path(config_file).read_text(encoding="utf-8")
    info = {
        "version": version,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config_file": str(config_file),
        "experiments": list(effective["experiments"]),
        "grid_points": sum(len(g) for g in grids.values()),
        "git": git_state(Path(__file__).resolve().parent.parent),
        "packages": package_versions(),
        "platform": platform_info(),
        "datasets": dataset_checksums(effective, results),
        "timings": job_timings(results),
        "effective_config": effective,
    }
    atomic_write_text(outputs.config, text)
    atomic_write_text(outputs.grid, dumps(grids))
    atomic_write_text(outputs.provenance, dumps(info))
    return info


def finish_run(metrics_csv, leaderboard_md, results, version) -> tuple[str, bool]:
    """The text printed at the end of a run, and whether any grid point failed.

    Also points ``results/<sweep>/latest`` at this version.
    """
    metrics = pd.read_csv(metrics_csv)
    update_latest(results, version)
    counts = metrics["status"].value_counts().to_dict()
    lines = [f"lrsweep: {results}/{version} (also {results}/latest)",
             "grid points: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("ok", "skipped", "failed")),
             "", Path(leaderboard_md).read_text().strip()]
    failed = failures(metrics)
    if len(failed):
        lines += ["", f"{len(failed)} grid point(s) FAILED (tracebacks in {results}/logs/fit/):",
                  markdown_table(failed).strip()]
    return "\n".join(lines) + "\n", bool(len(failed))
