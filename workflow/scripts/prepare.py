"""Rule `prepare` (shard mode): one experiment's prepared data, into the store."""

from lrsweep.store.files import atomic_write_text
from lrsweep.store.keys import dumps
from lrsweep.workflow.jobs import run_prepare_job
from lrsweep.workflow.smk import run


def main(snakemake, log):
    atomic_write_text(snakemake.output[0], dumps(run_prepare_job(snakemake.params.job, log)))


run(snakemake, main)  # noqa: F821
