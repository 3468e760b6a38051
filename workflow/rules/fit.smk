localrules:
    grid,


# The grid points reach the fit job as a file written here, in Snakemake's own process (no
# start-up cost); the param is a digest of the points, so any edit of the grid reruns this
# rule, and through the new file the fit job, without printing thousands of points.
rule grid:
    output:
        f"{RESULTS}/grids/{{experiment}}.json",
    log:
        f"{RESULTS}/logs/grid/{{experiment}}.log",
    conda:
        "../envs/lrsweep.yaml"
    params:
        digest=get_grid_digest,
    run:
        lrconfig.write_grid(output[0], GRIDS[wildcards.experiment])


# One job per experiment: its grid points run in parallel inside the job (joblib, with the
# threads Snakemake grants), slowest first. Each grid point still gets its own folder, and a
# point whose stored result matches its key (data, settings, code) is not fitted again.
rule fit:
    input:
        prepared=get_prepared,
        grid=f"{RESULTS}/grids/{{experiment}}.json",
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
        code=FIT_CODE,
    script:
        "../scripts/fit.py"
