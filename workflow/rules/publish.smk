localrules:
    latest,


# Assemble the version folder from the store (tables, figures, provenance), whole, in one
# rename, and never into a version that is already complete. Its outputs are a token and
# copies of the figures for `snakemake --report`: the version folder itself is not a
# Snakemake output, so that Snakemake never deletes or rewrites it.
rule publish:
    input:
        get_fit_tokens,
    output:
        token=STATE.publish_token,
        metrics=report(
            f"{STORE}/reports/{PUBLISH.label}/metrics.csv",
            caption="../report/metrics.rst",
            category="tables",
        ),
        overview=report(
            directory(f"{STORE}/reports/{PUBLISH.label}/overview"),
            patterns=["{experiment,[^+]+}+{figure,[^+]+}.png"],
            caption="../report/overview.rst",
            category="{experiment}",
            subcategory="comparison over the grid",
            labels={"experiment": "{experiment}", "figure": "{figure}"},
        ),
        fits=report(
            directory(f"{STORE}/reports/{PUBLISH.label}/fits"),
            patterns=[
                "{experiment,[^+]+}+{figure,[^+]+}+{solver,[^+]+}+{penalty,[^+]+}+C{C,[^+]+}+{model,[^+]+}.png"
            ],
            caption="../report/fit.rst",
            category="{experiment}",
            subcategory="{figure}",
            labels={
                "figure": "{figure}",
                "solver": "{solver}",
                "penalty": "{penalty}",
                "C": "{C}",
                "model": "{model}",
            },
        ),
    log:
        f"{RESULTS}/logs/publish/{PUBLISH.label}.log",
    benchmark:
        f"{RESULTS}/benchmarks/publish/{PUBLISH.label}.tsv"
    conda:
        "../envs/lrsweep.yaml"
    threads: 4
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        plan=PUBLISH.params,
        jobs=get_job_records,
        point_latest=get_point_latest,
    script:
        "../scripts/publish.py"


# Point results/<sweep>/latest at a version that was complete already and print its summary
# (exit 1 if a grid point failed); on a cluster, for every version (see lrsweep.workflow.state.State).
rule latest:
    input:
        STATE.publish_token,
    output:
        STATE.latest_token,
    log:
        f"{RESULTS}/logs/latest/{PLAN.version}.log",
    conda:
        "../envs/lrsweep.yaml"
    params:
        version_dir=str(PLAN.version_dir),
        existed=STATE.complete,
        config_files=[source["path"] for source in PLAN.sources],
    script:
        "../scripts/latest.py"
