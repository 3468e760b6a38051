"""Rule `publish`: assemble the version folder from the store, whole, never twice."""

from lrsweep.workflow.pool import usable_cores
from lrsweep.workflow.publish import run_publish
from lrsweep.workflow.smk import run


def main(snakemake, log):
    params = snakemake.params
    run_publish(
        params.plan,
        params.jobs,
        snakemake.output,
        usable_cores(snakemake.threads),
        log,
        point_latest=params.point_latest,
    )


run(snakemake, main)  # noqa: F821
