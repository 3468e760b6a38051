# One job per experiment draws all of its figures (a process per figure would cost a second
# each). Per-fit figures are named <figure>--<solver>--<penalty>--C<C>--<model_id>.png so the
# report can label them.
rule figures:
    input:
        metrics=f"{OUT}/metrics.csv",
        coefficients=f"{OUT}/coefficients.csv",
        pack=get_pack,
    output:
        overview=report(
            directory(f"{OUT}/figures/{{experiment}}/overview"),
            patterns=["{figure}.png"],
            caption="../report/overview.rst",
            category="{experiment}",
            subcategory="comparison over the grid",
            labels={"experiment": "{experiment}", "figure": "{figure}"},
        ),
        fits=report(
            directory(f"{OUT}/figures/{{experiment}}/fits"),
            patterns=["{figure}--{solver}--{penalty}--C{C}--{model}.png"],
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
        f"{OUT}/logs/figures/{{experiment}}.log",
    benchmark:
        f"{OUT}/benchmarks/figures/{{experiment}}.tsv"
    conda:
        "../envs/lrsweep.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        experiment="{experiment}",
        metric=EFFECTIVE["plot_metric"],
    script:
        "../scripts/figures.py"
