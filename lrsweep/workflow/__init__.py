"""Running the stages: the plan and its keys (plan), the job bodies (jobs, publish), what a run
will do (state), the cost model (cost), progress lines and the Snakemake glue (smk). The
only place with processes, printing and exits.
"""
