"""Rule `prepare` (shard mode): one experiment's prepared data, into the store."""

from lrsweep.files import atomic_write_text
from lrsweep.keys import dumps
from lrsweep.runner import run_prepare_job
from lrsweep.smk import run


def main(snakemake, log):
    atomic_write_text(snakemake.output[0], dumps(run_prepare_job(snakemake.params.job, log)))


run(snakemake, main)  # noqa: F821
