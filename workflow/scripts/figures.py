"""Rule `figures`: every figure of one experiment, in one process."""

import pandas as pd

from lrsweep.data import load_prepared
from lrsweep.figures import draw_experiment
from lrsweep.smk import run
from lrsweep.store import experiment_dirs, require


def main(snakemake, log):
    experiment = snakemake.params.experiment
    prepared, fits = experiment_dirs(snakemake.input.pack, experiment)
    written = draw_experiment(
        experiment,
        pd.read_csv(snakemake.input.metrics),
        pd.read_csv(snakemake.input.coefficients),
        fits,
        load_prepared(require(experiment, prepared)),
        snakemake.output.overview,
        snakemake.output.fits,
        metric=snakemake.params.metric,
    )
    log.info("%d figures", len(written))


run(snakemake, main)  # noqa: F821
