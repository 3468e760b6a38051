"""Rule `fit`: prepare the data of a pack's experiments, then fit their grid points that have
no stored result, in one pool of workers."""

from lrsweep.pack import run_pack
from lrsweep.smk import run
from lrsweep.store import usable_cores


def main(snakemake, log):
    params = snakemake.params
    n_jobs = usable_cores(snakemake.threads)
    run_pack(params.experiments, params.bootstrap, snakemake.output[0], params.code, n_jobs, log)


run(snakemake, main)  # noqa: F821 (snakemake is injected by the script directive)
