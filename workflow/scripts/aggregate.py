"""Rule `aggregate`: the tables, the leaderboard and the provenance of this version."""

from pathlib import Path

import numpy as np

from lrsweep.aggregate import (
    agreement,
    collect,
    compare_to_best,
    cv_selection,
    leaderboard,
    leaderboard_markdown,
    load_correct,
    not_worse_table,
)
from lrsweep.config import grids_of
from lrsweep.data import atomic_write_text
from lrsweep.provenance import write_provenance
from lrsweep.smk import run
from lrsweep.store import MANIFEST, experiment_dirs, require


def main(snakemake, log):
    out, params = snakemake.output, snakemake.params
    pack_file = snakemake.input.packs[0]  # results/<sweep>/packs/<pack>.json
    dirs = {name: experiment_dirs(pack_file, name) for name in params.experiments}
    fits_root = Path(pack_file).parent.parent / "fits"
    metrics, coefficients = collect([fits / MANIFEST for _, fits in dirs.values()], fits_root)
    y_tests = {name: np.load(require(name, p / "y_test.npy")) for name, (p, _) in dirs.items()}
    comparisons = compare_to_best(metrics, load_correct(metrics, fits_root, y_tests))
    tables = {
        out.metrics: metrics,
        out.coefficients: coefficients,
        out.agreement: agreement(metrics, coefficients),
        out.comparisons: comparisons,
        out.cv_selection: cv_selection(metrics),
    }
    for path, table in tables.items():
        atomic_write_text(path, table.to_csv(index=False))
    board = leaderboard(metrics, comparisons=comparisons)
    atomic_write_text(
        out.leaderboard, leaderboard_markdown(board, not_worse_table(metrics, comparisons))
    )
    write_provenance(
        out,
        config_file=snakemake.params.config_file,
        effective=snakemake.params.effective,
        grids=grids_of(snakemake.params.effective),
        prepared_meta=[prepared / "meta.json" for prepared, _ in dirs.values()],
    )
    log.info("%d grid points, %d coefficient rows", len(metrics), len(coefficients))


run(snakemake, main)  # noqa: F821
