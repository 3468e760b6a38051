# One job per experiment. Its grid points are computed in the job from the experiment's settings
# (a param: any edit of the grid reruns the job) and run in parallel inside it (joblib, with the
# threads Snakemake grants), slowest first. Each grid point gets its own folder, and a point
# whose stored result matches its key (data, settings, code) is not fitted again.
rule fit:
    input:
        prepared=get_prepared,
    output:
        f"{RESULTS}/fits/{{experiment}}/manifest.json",
    log:
        f"{RESULTS}/logs/fit/{{experiment}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit/{{experiment}}.tsv"
    conda:
        "../envs/lrsweep.yaml"
    threads: get_fit_threads
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        experiment="{experiment}",
        grid=get_grid_spec,
        code=FIT_CODE,
    script:
        "../scripts/fit.py"
