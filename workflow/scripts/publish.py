"""Rule `publish`: assemble the version folder from the store, whole, never twice."""

from pathlib import Path

from lrsweep.store.keys import use_workflow
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


# the workflow's folder (this script is in <it>/workflow/scripts): provenance's git state
use_workflow(Path(snakemake.scriptdir).parents[1])  # noqa: F821
run(snakemake, main)  # noqa: F821
