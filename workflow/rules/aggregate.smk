localrules:
    aggregate,
    provenance,
    finish,


rule aggregate:
    input:
        get_manifests(),
    output:
        metrics=f"{OUT}/metrics.csv",
        coefficients=f"{OUT}/coefficients.csv",
        leaderboard=f"{OUT}/leaderboard.md",
    params:
        fits=f"{RESULTS}/fits",
    log:
        f"{OUT}/logs/aggregate.log",
    script:
        "../scripts/aggregate.py"


rule provenance:
    input:
        metrics=f"{OUT}/metrics.csv",
        grids=get_grid_files(),
    output:
        provenance=f"{OUT}/provenance.json",
        config=f"{OUT}/config.yaml",
        grid=f"{OUT}/grid.json",
    params:
        config_file=str(CONFIG_FILE),
        effective=EFFECTIVE,
        version=VERSION,
        results=RESULTS,
    log:
        f"{OUT}/logs/provenance.log",
    script:
        "../scripts/provenance.py"


rule finish:
    input:
        metrics=f"{OUT}/metrics.csv",
        leaderboard=f"{OUT}/leaderboard.md",
        provenance=f"{OUT}/provenance.json",
    output:
        f"{OUT}/summary.txt",
    params:
        version=VERSION,
        results=RESULTS,
    log:
        f"{OUT}/logs/finish.log",
    script:
        "../scripts/finish.py"
