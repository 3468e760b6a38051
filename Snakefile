# lrsweep: reproducible logistic-regression sweeps. Edit config.yaml, run `snakemake --cores 4`.
from snakemake.utils import min_version

min_version("9.0")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/publish.smk"


rule all:
    default_target: True
    input:
        get_final_output,


# Exit as soon as the work is done (see lrsweep.workflow.smk.end_without_waiting), with 1 if the
# version has failed grid points (printed by the publish job).
onsuccess:
    end_without_waiting()
    rerun.exit_if_failed(PLAN)


onerror:
    end_without_waiting()
