"""The benchmark's baseline: the same grid in one Python process with joblib.

It loads and prepares every dataset, fits every grid point with ``joblib.Parallel(n_jobs)``,
computes the same metrics and writes the same per-fit files as the workflow, then the same
``metrics.csv``. ``bench/run.py`` times it against ``snakemake --cores 2`` on the same config.

    python -m lrsweep.bench CONFIG OUTDIR [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lrsweep.aggregate import collect
from lrsweep.config import load_yaml, resolve_config
from lrsweep.data import prepare_experiment, save_prepared
from lrsweep.store import estimated_cost, fit_key, fit_one, write_manifest
from lrsweep.versioning import fit_code_fingerprint


def run_baseline(config: dict, outdir: str | Path, n_jobs: int = 2, root: str | Path = ".") -> dict:
    """Prepare, fit and score the whole grid in one process; return timings."""
    from joblib import Parallel, delayed

    outdir = Path(outdir)
    start = time.perf_counter()
    sweep = resolve_config(config)
    code = fit_code_fingerprint()
    tasks, manifests = [], []
    for name, exp in sweep["config"]["experiments"].items():
        prepared_dir = outdir / "prepared" / name
        meta = save_prepared(prepare_experiment(name, exp, root), prepared_dir)
        fits_dir = outdir / "fits" / name
        fits_dir.mkdir(parents=True, exist_ok=True)
        points = sweep["grids"][name]
        keys = {p["model_id"]: fit_key(meta["data_key"], p, code) for p in points}
        tasks += [
            (str(prepared_dir), p, str(fits_dir / p["model_id"]), keys[p["model_id"]])
            for p in points
        ]
        manifest = {
            "data_key": meta["data_key"],
            "code": code,
            "fits": [{"model_id": m, "key": k} for m, k in keys.items()],
            "fitted": list(keys),
            "reused": [],
            "seconds": 0.0,
            "failures": [],
        }
        write_manifest(fits_dir / "manifest.json", manifest)
        manifests.append(fits_dir / "manifest.json")
    prepared_at = time.perf_counter()
    tasks.sort(key=lambda t: estimated_cost(t[1]), reverse=True)
    Parallel(n_jobs=n_jobs)(delayed(fit_one)(*t) for t in tasks)
    fitted_at = time.perf_counter()
    metrics, coefficients = collect(manifests, outdir / "fits")
    metrics.to_csv(outdir / "metrics.csv", index=False)
    coefficients.to_csv(outdir / "coefficients.csv", index=False)
    end = time.perf_counter()
    return {
        "prepare": prepared_at - start,
        "fit": fitted_at - prepared_at,
        "aggregate": end - fitted_at,
        "total": end - start,
        "fits": len(tasks),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="the benchmark's in-process baseline")
    parser.add_argument("config", type=Path)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    timings = run_baseline(load_yaml(args.config), args.outdir, args.jobs)
    print(json.dumps(timings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
