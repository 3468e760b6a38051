"""The benchmark's baseline: the same grid in one Python process with joblib.

It prepares every dataset, fits and scores every grid point with ``joblib.Parallel(n_jobs)``
(the same fit and scores entries as the workflow's jobs store), then writes the same
``metrics.csv``. It draws no figures. ``bench/run.py`` times it against ``snakemake --cores 2``
on the same config.

    python bench/baseline.py CONFIG OUTDIR [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import time
from functools import cache
from pathlib import Path

from lrsweep.config.resolve import resolve_config
from lrsweep.config.yaml import load_yaml
from lrsweep.prepare.design import load_prepared, prepare_experiment, save_prepared
from lrsweep.store.checksums import FileChecksums
from lrsweep.store.entries import Store
from lrsweep.workflow.plan import make_plan


@cache
def _prepared(store_root: str, key: str):
    return load_prepared(Store(store_root).get("prepared", key, key))


def fit_point(store_root: str, prepared_key: str, point: dict) -> None:
    from lrsweep.workflow.jobs import compute_fit, scores_entry

    store, prepared = Store(store_root), _prepared(store_root, prepared_key)
    entry, _ = compute_fit(store, prepared, point)
    scores_entry(store, prepared, point, entry)


def run_baseline(config: dict, outdir: str | Path, n_jobs: int = 2) -> dict:
    """Prepare, fit and score the whole grid in one process; return timings."""
    from joblib import Parallel, delayed

    from lrsweep.results.tables import collect
    from lrsweep.score.record import read_record
    from lrsweep.workflow.cost import relative_cost

    start = time.perf_counter()
    sweep = resolve_config(config)
    plan = make_plan(sweep["config"], sweep["grids"], [], FileChecksums())
    store = Store(Path(outdir) / "store")
    tasks = []
    for name, e in plan.experiments.items():
        prepared = prepare_experiment(name, e["exp"])
        store.put("prepared", e["prepared"], lambda w, p=prepared: save_prepared(p, w))
        tasks += [(str(store.root), e["prepared"], p) for p in e["points"]]
    prepared_at = time.perf_counter()
    tasks.sort(key=lambda t: relative_cost(t[2]), reverse=True)
    Parallel(n_jobs=n_jobs)(delayed(fit_point)(*t) for t in tasks)
    fitted_at = time.perf_counter()
    fits = []
    for name, e in plan.experiments.items():
        for p in e["points"]:
            entry = store.get("fits", p["key"], name)
            scores = store.get("scores", p["score_key"], name)
            fits.append((name, read_record(scores), entry))
    metrics, _ = collect(fits)
    metrics.to_csv(Path(outdir) / "metrics.csv", index=False)
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
    print(json.dumps(run_baseline(load_yaml(args.config), args.outdir, args.jobs)))
    return 0


if __name__ == "__main__":
    import sys

    # run as the module baseline, so that joblib's worker processes can import its functions
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import baseline

    raise SystemExit(baseline.main())
