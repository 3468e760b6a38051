localrules:
    aggregate,
    provenance,
    finish,


rule aggregate:
    input:
        manifests=get_manifests(),
        y_test=expand(f"{PREPARED}/y_test.npy", experiment=EXPERIMENTS),
    output:
        metrics=report(
            f"{OUT}/metrics.csv", caption="../report/metrics.rst", category="tables"
        ),
        coefficients=f"{OUT}/coefficients.csv",
        leaderboard=f"{OUT}/leaderboard.md",
        agreement=f"{OUT}/agreement.csv",
        comparisons=f"{OUT}/comparisons.csv",
        cv_selection=f"{OUT}/cv_selection.csv",
    log:
        f"{OUT}/logs/aggregate.log",
    conda:
        "../envs/lrsweep.yaml"
    script:
        "../scripts/aggregate.py"


rule provenance:
    input:
        metrics=f"{OUT}/metrics.csv",
        grids=get_grid_files(),
        prepared=get_prepared_meta(),
    output:
        provenance=f"{OUT}/provenance.json",
        config=f"{OUT}/config.yaml",
        grid=f"{OUT}/grid.json",
    log:
        f"{OUT}/logs/provenance.log",
    conda:
        "../envs/lrsweep.yaml"
    params:
        config_file=str(CONFIG_FILE),
        effective=EFFECTIVE,
    script:
        "../scripts/provenance.py"


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
