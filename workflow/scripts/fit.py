"""Rule `fit`: what the store lacks of a pack's or shard's grid points (fits, scores, figures),
in one pool."""

from lrsweep.store.files import atomic_write_text
from lrsweep.store.keys import dumps
from lrsweep.workflow.jobs import run_fit_job
from lrsweep.workflow.pool import usable_cores
from lrsweep.workflow.smk import run


def main(snakemake, log):
    job = snakemake.wildcards.job
    token = run_fit_job(snakemake.params.job, usable_cores(snakemake.threads), log, name=job)
    fitted, reused, scored = (len(token[k]) for k in ("fitted", "reused", "scored"))
    log.info("fitted %d, reused %d, scored %d", fitted, reused, scored)
    atomic_write_text(snakemake.output[0], dumps(token))


run(snakemake, main)  # noqa: F821 (snakemake is injected by the script directive)
