"""Rule `figures`: every figure of one experiment, in one process."""

from pathlib import Path

import pandas as pd

from lrsweep.data import load_prepared
from lrsweep.figures import draw_experiment
from lrsweep.smk import run


def main(snakemake, log):
    written = draw_experiment(
        snakemake.params.experiment,
        pd.read_csv(snakemake.input.metrics),
        pd.read_csv(snakemake.input.coefficients),
        Path(snakemake.input.manifest).parent,
        load_prepared(Path(snakemake.input.prepared[0]).parent),
        snakemake.output.overview,
        snakemake.output.fits,
        metric=snakemake.params.metric,
    )
    log.info("%d figures", len(written))


run(snakemake, main)  # noqa: F821
