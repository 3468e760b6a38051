"""Rule `fit`: fit one experiment's grid points that have no stored result, in parallel."""

from pathlib import Path

from lrsweep.config import experiment_grid
from lrsweep.smk import run
from lrsweep.store import run_batch, usable_cores, write_manifest


def main(snakemake, log):
    manifest_path = Path(snakemake.output[0])
    n_jobs = usable_cores(snakemake.threads)
    spec = snakemake.params.grid
    manifest = run_batch(
        Path(snakemake.input.prepared[0]).parent,
        experiment_grid(snakemake.params.experiment, spec["experiment"], spec["bootstrap"]),
        manifest_path.parent,
        snakemake.params.code,
        n_jobs=n_jobs,
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


run(snakemake, main)  # noqa: F821
