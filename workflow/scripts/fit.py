"""Rule `fit`: prepare one experiment's data, then fit its grid points that have no stored
result, in parallel."""

from pathlib import Path

from lrsweep.config import experiment_grid
from lrsweep.data import prepare_cached
from lrsweep.smk import run
from lrsweep.store import run_batch, usable_cores, write_manifest


def main(snakemake, log):
    experiment = snakemake.params.experiment
    prepared_dir = Path(snakemake.output.prepared[0]).parent
    prepared, meta = prepare_cached(
        experiment,
        snakemake.params.preparation,
        prepared_dir,
        Path(snakemake.params.cache),
        snakemake.params.code,
    )
    log.info(
        "%s: %d train / %d test rows, %d features, classes %s, %d rows dropped",
        experiment,
        meta["n_train"],
        meta["n_test"],
        meta["n_features"],
        meta["classes"],
        meta["dropped_rows"],
    )
    n_jobs = usable_cores(snakemake.threads)
    spec = snakemake.params.grid
    manifest_path = Path(snakemake.output.manifest)
    manifest = run_batch(
        prepared_dir,
        experiment_grid(experiment, spec["experiment"], spec["bootstrap"]),
        manifest_path.parent,
        snakemake.params.code,
        n_jobs=n_jobs,
        prepared=prepared,
    )
    log.info(
        "fitted %d, reused %d, in %.2f s with %d workers",
        len(manifest["fitted"]),
        len(manifest["reused"]),
        manifest["seconds"],
        n_jobs,
    )
    for failure in manifest["failures"]:
        log.warning(
            "%s failed: %s\n%s", failure["model_id"], failure["reason"], failure["traceback"]
        )
    write_manifest(manifest_path, manifest)


run(snakemake, main)  # noqa: F821 (snakemake is injected by the script directive)
