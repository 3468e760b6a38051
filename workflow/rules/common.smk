# Parse-time Python: read and validate the config, expand the grid, name the version.
# Everything of substance is in the lrsweep package; this file only wires it to Snakemake.
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError

from lrsweep import config as lrconfig
from lrsweep import versioning
from lrsweep.data import PREPARED_FILES, resolve_path
from lrsweep.errors import LrsweepError
from lrsweep.smk import end_without_waiting

WORKFLOW_DIR = Path(workflow.basedir) / "workflow"
# `--configfile F` picks another config; lrsweep re-reads it with the safe YAML loader.
CONFIG_FILE = Path((list(workflow.overwrite_configfiles or []) or ["config.yaml"])[-1])

try:
    RAW_CONFIG = lrconfig.load_yaml(CONFIG_FILE)
    SWEEP = lrconfig.resolve_config(
        RAW_CONFIG,
        lrconfig.load_schema(WORKFLOW_DIR / "schemas" / "config.schema.yaml"),
    )
    for _name, _exp in SWEEP["config"]["experiments"].items():
        _ds = _exp["dataset"]
        if (
            _ds["source"] in ("csv", "parquet")
            and not resolve_path(_ds["path"]).is_file()
        ):
            raise LrsweepError(
                f"experiment '{_name}': key 'dataset.path': file not found: {_ds['path']}"
            )
except LrsweepError as exc:
    raise WorkflowError(f"{CONFIG_FILE}: {exc}") from None

EFFECTIVE = SWEEP["config"]
EXPERIMENTS = list(EFFECTIVE["experiments"])
GRIDS = SWEEP["grids"]
FIT_CODE = versioning.fit_code_fingerprint()
VERSION = versioning.version_id(EFFECTIVE, versioning.code_fingerprint(WORKFLOW_DIR))
RESULTS = f"results/{EFFECTIVE['sweep']}"
OUT = f"{RESULTS}/{VERSION}"
PREPARED = f"{RESULTS}/prepared/{{experiment}}"


wildcard_constraints:
    experiment="|".join(map(re.escape, EXPERIMENTS)),


def get_final_output():
    return [f"{OUT}/summary.txt"]


def get_prepared(wildcards):
    return [f"{RESULTS}/prepared/{wildcards.experiment}/{f}" for f in PREPARED_FILES]


def get_dataset_files(wildcards):
    """A csv/parquet file is an input, so editing it reruns its experiment."""
    ds = EFFECTIVE["experiments"][wildcards.experiment]["dataset"]
    return [ds["path"]] if ds["source"] in ("csv", "parquet") else []


def get_preparation(wildcards):
    """What determines the prepared arrays (a param, so an edit reruns the experiment)."""
    exp = EFFECTIVE["experiments"][wildcards.experiment]
    return {k: exp[k] for k in ("dataset", "split", "standardize") if k in exp}


def get_grid_spec(wildcards):
    """What an experiment's grid points are computed from (a param, so that any edit of the
    grid reruns `fit`, while the DAG and Snakemake's records stay small for big grids).
    """
    return {
        "experiment": EFFECTIVE["experiments"][wildcards.experiment],
        "bootstrap": EFFECTIVE["bootstrap"],
    }


def get_fit_threads(wildcards):
    """1 for an experiment whose fits are small work in all, else 8 (scaled to --cores)."""
    name = wildcards.experiment
    return lrconfig.fit_threads(EFFECTIVE["experiments"][name], GRIDS[name])


def get_prepared_meta(wildcards=None):
    return expand(f"{PREPARED}/meta.json", experiment=EXPERIMENTS)


def get_figures(wildcards=None):
    if not EFFECTIVE["figures"]:
        return []
    return expand(f"{OUT}/figures/{{experiment}}/overview", experiment=EXPERIMENTS)


def get_manifests(wildcards=None):
    return expand(
        f"{RESULTS}/fits/{{experiment}}/manifest.json", experiment=EXPERIMENTS
    )
