rule prepare:
    input:
        get_dataset_files,
    output:
        multiext(f"{PREPARED}/", *PREPARED_FILES),
    params:
        experiment="{experiment}",
        spec=get_preparation,
        code=FIT_CODE,
    log:
        f"{RESULTS}/logs/prepare/{{experiment}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/prepare/{{experiment}}.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/prepare.py"
