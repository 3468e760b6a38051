"""Rule `provenance`: what made this version (config, grid, code, packages, data, timings)."""

from lrsweep.provenance import write_provenance
from lrsweep.smk import run


def main(snakemake, log):
    write_provenance(
        snakemake.output,
        config_file=snakemake.params.config_file,
        effective=snakemake.params.effective,
        grid_files=list(snakemake.input.grids),
        prepared_meta=list(snakemake.input.prepared),
    )


run(snakemake, main)  # noqa: F821
