# Parse-time Python: read and validate the config, expand the grid, name the version.
# Everything of substance is in the lrsweep package; this file only wires it to Snakemake.
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError

from lrsweep import config as lrconfig
from lrsweep import versioning
from lrsweep.data import resolve_path
from lrsweep.errors import LrsweepError
from lrsweep.pack import fit_packs, pack_threads
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
# Which experiments share a fit job (small ones do: see lrsweep.pack).
PACKS = fit_packs(EFFECTIVE["experiments"], GRIDS)
PACK_OF = {name: pack for pack, members in PACKS.items() for name in members}
FIT_CODE = versioning.fit_code_fingerprint()
VERSION = versioning.version_id(EFFECTIVE, versioning.code_fingerprint(WORKFLOW_DIR))
RESULTS = f"results/{EFFECTIVE['sweep']}"
OUT = f"{RESULTS}/{VERSION}"


wildcard_constraints:
    experiment="|".join(map(re.escape, EXPERIMENTS)),
    pack="|".join(map(re.escape, PACKS)),


def get_final_output():
    return [f"{OUT}/summary.txt"]


def get_dataset_files(wildcards):
    """The csv/parquet files a pack reads are inputs, so editing one reruns its job."""
    files = []
    for name in PACKS[wildcards.pack]:
        ds = EFFECTIVE["experiments"][name]["dataset"]
        if ds["source"] in ("csv", "parquet"):
            files.append(ds["path"])
    return files


def get_pack_spec(wildcards):
    """The settings of a pack's experiments (a param: any edit of their data or grids reruns
    the job, while the DAG and Snakemake's records stay small for big grids)."""
    return {name: EFFECTIVE["experiments"][name] for name in PACKS[wildcards.pack]}


def get_fit_threads(wildcards):
    """1 for a pack whose fits are small work in all, else 8 (scaled to --cores)."""
    return pack_threads(PACKS[wildcards.pack], EFFECTIVE["experiments"], GRIDS)


def get_packs(wildcards=None):
    return expand(f"{RESULTS}/packs/{{pack}}.json", pack=PACKS)


def get_pack(wildcards):
    """The fit job that wrote an experiment's fits and prepared data."""
    return f"{RESULTS}/packs/{PACK_OF[wildcards.experiment]}.json"


def get_figures(wildcards=None):
    if not EFFECTIVE["figures"]:
        return []
    return expand(f"{OUT}/figures/{{experiment}}/overview", experiment=EXPERIMENTS)
