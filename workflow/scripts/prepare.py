"""Rule `prepare`: load, check, split and standardize one experiment's dataset."""

from pathlib import Path

from lrsweep.data import prepare_experiment, save_prepared
from lrsweep.smk import run


def main(snakemake, log):
    experiment = snakemake.params.experiment
    prepared = prepare_experiment(experiment, snakemake.params.spec)
    meta = save_prepared(prepared, Path(snakemake.output[0]).parent)
    log.info(
        "%s: %d train / %d test rows, %d features, classes %s, %d rows dropped",
        experiment,
        meta["n_train"],
        meta["n_test"],
        meta["n_features"],
        meta["classes"],
        meta["dropped_rows"],
    )


run(snakemake, main)  # noqa: F821 (snakemake is injected by the script directive)
