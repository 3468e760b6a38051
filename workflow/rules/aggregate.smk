localrules:
    aggregate,
    finish,


# One process writes every table of the version and its provenance (a process costs about
# a second before it does anything).
rule aggregate:
    input:
        packs=get_packs(),
    output:
        metrics=report(
            f"{OUT}/metrics.csv", caption="../report/metrics.rst", category="tables"
        ),
        coefficients=f"{OUT}/coefficients.csv",
        leaderboard=f"{OUT}/leaderboard.md",
        agreement=f"{OUT}/agreement.csv",
        comparisons=f"{OUT}/comparisons.csv",
        cv_selection=f"{OUT}/cv_selection.csv",
        provenance=f"{OUT}/provenance.json",
        config=f"{OUT}/config.yaml",
        grid=f"{OUT}/grid.json",
    log:
        f"{OUT}/logs/aggregate.log",
    conda:
        "../envs/lrsweep.yaml"
    params:
        experiments=EXPERIMENTS,
        config_file=str(CONFIG_FILE),
        effective=EFFECTIVE,
    script:
        "../scripts/aggregate.py"


rule finish:
    input:
        metrics=f"{OUT}/metrics.csv",
        leaderboard=f"{OUT}/leaderboard.md",
        provenance=f"{OUT}/provenance.json",
        figures=get_figures(),
    output:
        f"{OUT}/summary.txt",
    log:
        f"{OUT}/logs/finish.log",
    conda:
        "../envs/lrsweep.yaml"
    script:
        "../scripts/finish.py"
