"""Provenance of a version and the end-of-run summary."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

from lrsweep import markdown
from lrsweep.data import atomic_write_text, file_checksum
from lrsweep.store import dumps
from lrsweep.versioning import git_state, package_versions, platform_info, update_latest


def dataset_checksums(effective: dict, prepared_meta: list) -> dict:
    """Per experiment: the checksum of its data file (csv/parquet) and of its prepared arrays."""
    metas = {Path(m).parent.name: json.loads(Path(m).read_text()) for m in prepared_meta}
    out = {}
    for name, exp in effective["experiments"].items():
        entry = {"prepared": metas[name]["checksums"]} if name in metas else {}
        path = exp["dataset"].get("path")
        if path and Path(path).is_file():
            entry["file"] = {"path": path, "sha256": file_checksum(path)}
        out[name] = entry
    return out


def job_timings(results: str | Path) -> list[dict]:
    """Snakemake's ``benchmark:`` files of the fit jobs."""
    import pandas as pd

    rows = []
    for path in sorted(Path(results, "benchmarks").glob("*/*.tsv")):
        table = pd.read_csv(path, sep="\t")
        for rec in table.to_dict("records"):
            rows.append(
                {
                    "rule": path.parent.name,
                    "experiment": path.stem,
                    "seconds": rec.get("s"),
                    "max_rss_mb": rec.get("max_rss"),
                }
            )
    return rows


def write_provenance(outputs, *, config_file, effective, grids, prepared_meta) -> dict:
    """Write provenance.json, the config as given and the resolved grid into the version folder
    (``outputs`` are paths under ``results/<sweep>/<version>/``)."""
    version_dir = Path(outputs.provenance).parent
    version, results = version_dir.name, version_dir.parent
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
        "datasets": dataset_checksums(effective, prepared_meta),
        "timings": job_timings(results),
        "effective_config": effective,
    }
    atomic_write_text(outputs.config, text)
    atomic_write_text(outputs.grid, dumps(grids))
    atomic_write_text(outputs.provenance, dumps(info))
    return info


FAILURE_COLUMNS = ("experiment", "model_id", "reason")


def finish_run(metrics_csv, leaderboard_md, results, version) -> tuple[str, bool]:
    """The text printed at the end of a run, and whether any grid point failed.

    Also points ``results/<sweep>/latest`` at this version.
    """
    with open(metrics_csv, newline="", encoding="utf-8") as f:
        metrics = list(csv.DictReader(f))
    update_latest(results, version)
    counts = Counter(row["status"] for row in metrics)
    lines = [
        f"lrsweep: {results}/{version} (also {results}/latest)",
        "grid points: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("ok", "skipped", "failed")),
        "",
        # the table only; the list of fits not significantly worse stays in the file
        Path(leaderboard_md).read_text().split("\n## ")[0].strip(),
        f"(fits not significantly worse than the best: {leaderboard_md})",
    ]
    failed = [[r[k] for k in FAILURE_COLUMNS] for r in metrics if r["status"] == "failed"]
    if len(failed):
        lines += [
            "",
            f"{len(failed)} grid point(s) FAILED (tracebacks in {results}/logs/fit/):",
            markdown.table(FAILURE_COLUMNS, failed).strip(),
        ]
    return "\n".join(lines) + "\n", bool(failed)
