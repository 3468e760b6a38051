rule prepare:
    input:
        get_dataset_files,
    output:
        multiext(f"{PREPARED}/", *PREPARED_FILES),
    log:
        f"{RESULTS}/logs/prepare/{{experiment}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/prepare/{{experiment}}.tsv"
    conda:
        "../envs/lrsweep.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        experiment="{experiment}",
        spec=get_preparation,
        code=FIT_CODE,
    script:
        "../scripts/prepare.py"
