# One job per experiment: prepare its data (load, check, split, standardize, store the arrays),
# then fit its grid points in parallel inside the job (worker processes, with the threads
# Snakemake grants), slowest first. One process per experiment, not two: each costs over a
# second of imports before it does anything. The grid points are computed in the job from the
# experiment's settings (a param: any edit of the grid or the data reruns the job). The
# prepared arrays are also kept, hard-linked, under cache/prepared/, so a grid edit does not
# prepare the data again. Each grid point gets its own folder, and a point whose stored result
# matches its key (data checksums, settings, code) is not fitted again.
rule fit:
    input:
        get_dataset_files,
    output:
        prepared=multiext(f"{PREPARED}/", *PREPARED_FILES),
        manifest=f"{RESULTS}/fits/{{experiment}}/manifest.json",
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
        preparation=get_preparation,
        cache=f"{RESULTS}/cache/prepared/{{experiment}}",
        grid=get_grid_spec,
        code=FIT_CODE,
    script:
        "../scripts/fit.py"
