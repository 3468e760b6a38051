"""Rule `aggregate`: metrics.csv, coefficients.csv and the leaderboard of this version."""

from pathlib import Path

from lrsweep.aggregate import agreement, collect, leaderboard, markdown_table
from lrsweep.data import atomic_write_text
from lrsweep.smk import run


def main(snakemake, log):
    # manifests are results/<sweep>/fits/<experiment>/manifest.json
    fits_root = Path(snakemake.input[0]).parent.parent
    metrics, coefficients = collect(list(snakemake.input), fits_root)
    atomic_write_text(snakemake.output.metrics, metrics.to_csv(index=False))
    atomic_write_text(snakemake.output.coefficients, coefficients.to_csv(index=False))
    atomic_write_text(
        snakemake.output.agreement, agreement(metrics, coefficients).to_csv(index=False)
    )
    board = leaderboard(metrics)
    atomic_write_text(
        snakemake.output.leaderboard,
        "# Leaderboard: best test accuracy per experiment\n\n" + markdown_table(board),
    )
    log.info("%d grid points, %d coefficient rows", len(metrics), len(coefficients))


run(snakemake, main)  # noqa: F821
