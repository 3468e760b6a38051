"""Rule `score`: the scores (and figures) of a fit job's grid points, from their stored fits."""

from lrsweep.store.files import atomic_write_text
from lrsweep.store.keys import dumps
from lrsweep.workflow.jobs import run_fit_job, usable_cores
from lrsweep.workflow.smk import run


def main(snakemake, log):
    job = snakemake.wildcards.job
    token = run_fit_job(snakemake.params.job, usable_cores(snakemake.threads), log, name=job)
    log.info("scored %d, fits reused %d", len(token["scored"]), len(token["reused"]))
    atomic_write_text(snakemake.output[0], dumps(token))


run(snakemake, main)  # noqa: F821 (snakemake is injected by the script directive)
