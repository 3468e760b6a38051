"""Rule `latest`: point results/<sweep>/latest here, print the summary, exit 1 on failures."""

import sys
from pathlib import Path

from lrsweep.store.files import atomic_write_text
from lrsweep.workflow.smk import run
from lrsweep.workflow.state import finish_run


def main(snakemake, log):
    text, failed = finish_run(
        Path(snakemake.params.version_dir), snakemake.params.existed, snakemake.params.config_files
    )
    print(text, file=sys.stderr, end="")
    log.info("%s", text)
    if failed:
        sys.exit(1)  # no token: the next run prints the failures again
    atomic_write_text(snakemake.output[0], text)


run(snakemake, main)  # noqa: F821
