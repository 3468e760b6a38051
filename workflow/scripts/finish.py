"""Rule `finish`: print the leaderboard and what failed, point `latest` here, exit 1 on failures."""

import sys
from pathlib import Path

from lrsweep.provenance import finish_run
from lrsweep.smk import run


def main(snakemake, log):
    version_dir = Path(snakemake.output[0]).parent  # results/<sweep>/<version>
    text, failed = finish_run(
        snakemake.input.metrics, snakemake.input.leaderboard, version_dir.parent, version_dir.name
    )
    print(text, file=sys.stderr)
    log.info("%s", text)
    if failed:
        sys.exit(1)  # a script (not a run: block) may exit: Snakemake reports the failed job
    Path(snakemake.output[0]).write_text(text)


run(snakemake, main)  # noqa: F821
