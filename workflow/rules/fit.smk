# The jobs that compute (lrsweep.workflow.plan): every output is named by a digest of the job's
# parameters, so a job is done for exactly these parameters or still to do, and configs
# sharing a sweep folder never overwrite each other's outputs. What they compute goes into
# the content-addressed store (results/<sweep>/store/, lrsweep.store.entries); the job's own output
# is a small token saying what it computed and what it found there already.


# Shard mode only: one experiment's data, prepared once for all of its shards.
rule prepare:
    output:
        f"{STORE}/jobs/prepare/{{job}}-{{key}}.json",
    log:
        f"{RESULTS}/logs/prepare/{{job}}-{{key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/prepare/{{job}}-{{key}}.tsv"
    conda:
        "../envs/lrsweep.yaml"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        job=get_prepare_params,
    script:
        "../scripts/prepare.py"


# A pack of experiments (prepared here) or one shard of an experiment's grid: what the store
# lacks of its grid points (fits, scores, figures), computed in one pool of workers, slowest
# first. A setting that only scores (bootstrap, positive_class, ...) reruns this job with
# nothing to fit: the stored fits are scored again.
rule fit:
    input:
        get_fit_inputs,
    output:
        f"{STORE}/jobs/fit/{{job}}-{{key}}.json",
    log:
        f"{RESULTS}/logs/fit/{{job}}-{{key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit/{{job}}-{{key}}.tsv"
    conda:
        "../envs/lrsweep.yaml"
    threads: get_fit_threads
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        job=get_fit_params,
    script:
        "../scripts/fit.py"
