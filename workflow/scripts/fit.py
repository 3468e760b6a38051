"""Rule `fit`: prepare the data of a pack's experiments, then fit their grid points that have
no stored result, in one pool of workers."""

import sys

from lrsweep.config import experiment_grid
from lrsweep.data import atomic_write_text, prepare_cached
from lrsweep.errors import DataError
from lrsweep.smk import run
from lrsweep.store import (
    MANIFEST,
    dumps,
    experiment_dirs,
    run_batches,
    usable_cores,
    write_manifest,
)


def main(snakemake, log):
    params = snakemake.params
    batches, data_errors = {}, []
    for name, exp in params.experiments.items():
        prepared_dir, fits_dir = experiment_dirs(snakemake.output[0], name)
        try:
            prepared, meta = prepare_cached(name, exp, prepared_dir, params.code)
        except DataError as exc:  # this experiment stops here; the others go on
            log.error("%s", exc)
            data_errors.append(exc)
            continue
        log.info(
            "%s: %d train / %d test rows, %d features, classes %s, %d rows dropped",
            name,
            meta["n_train"],
            meta["n_test"],
            meta["n_features"],
            meta["classes"],
            meta["dropped_rows"],
        )
        points = experiment_grid(name, exp, params.bootstrap)
        batches[name] = (prepared_dir, points, fits_dir, prepared)
    n_jobs = usable_cores(snakemake.threads)
    manifests = run_batches(list(batches.values()), params.code, n_jobs=n_jobs)
    for name, manifest in zip(batches, manifests, strict=True):
        log.info(
            "%s: fitted %d, reused %d",
            name,
            len(manifest["fitted"]),
            len(manifest["reused"]),
        )
        for failure in manifest["failures"]:
            log.warning(
                "%s/%s failed: %s\n%s",
                name,
                failure["model_id"],
                failure["reason"],
                failure["traceback"],
            )
        write_manifest(batches[name][2] / MANIFEST, manifest)
    if manifests:
        log.info("%.2f s with %d workers", manifests[0]["seconds"], n_jobs)
    if data_errors:
        # every experiment's error on its own line; the first also ends the job
        for exc in data_errors[1:]:
            print(f"lrsweep: {exc}", file=sys.stderr)
        raise data_errors[0]
    atomic_write_text(
        snakemake.output[0],
        dumps({name: str(batches[name][2] / MANIFEST) for name in batches}),
    )


run(snakemake, main)  # noqa: F821 (snakemake is injected by the script directive)
