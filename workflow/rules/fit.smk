# One job per pack of experiments (lrsweep.pack.fit_packs: experiments of small work share
# a job, a large one has its own). The job prepares each experiment's data (load, check,
# split, standardize; stored under prepared/<experiment>/ and prepared again only when the
# data or its settings changed), then fits all their grid points in one pool of worker
# processes with the threads Snakemake grants, slowest first. Each grid point gets its own
# folder under fits/<experiment>/, and a point whose stored result matches its key (data
# checksums, settings, code) is not fitted again. The experiments' settings are a param: any
# edit of their data or grids reruns the job.
rule fit:
    input:
        get_dataset_files,
    output:
        f"{RESULTS}/packs/{{pack}}.json",
    log:
        f"{RESULTS}/logs/fit/{{pack}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit/{{pack}}.tsv"
    conda:
        "../envs/lrsweep.yaml"
    threads: get_fit_threads
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        experiments=get_pack_spec,
        bootstrap=EFFECTIVE["bootstrap"],
        code=FIT_CODE,
    script:
        "../scripts/fit.py"
