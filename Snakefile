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


# Exit as soon as the work is done, with 1 if the version has failed grid points (on_success in
# rules/common.smk, which a project using this workflow as a module calls from its own hooks).
onsuccess:
    on_success()


onerror:
    on_error()
