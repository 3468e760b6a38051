# Parse-time Python: read and validate the config, plan every content key and job.
# Everything of substance is in the lrsweep package; this file only wires it to Snakemake.
import os
import re
import sys
from pathlib import Path

from snakemake.settings.types import ExecMode

# The folder of this workflow (this file is <it>/workflow/rules/common.smk), also when another
# project's Snakefile uses it as a module (workflow.basedir is that project's folder then).
WORKFLOW_ROOT = Path(
    workflow.current_basedir.get_path_or_uri(secret_free=True)
).parents[1]
# Snakemake puts each Snakefile's folder first on sys.path, which would import this checkout's
# lrsweep/ here (and write its bytecode into the checkout) while the jobs' scripts import the
# installed package. That folder moves to the end: lrsweep comes from the installed package
# (an editable install: this checkout), and the checkout serves only where none is installed.
HERE = [p for p in sys.path if p and Path(p).resolve() == WORKFLOW_ROOT.resolve()]
sys.path[:] = [p for p in sys.path if p not in HERE] + HERE

from lrsweep.config import resolve as lrconfig
from lrsweep.store import keys
from lrsweep.workflow import plan as lrplan
from lrsweep.workflow import state as rerun
from lrsweep.errors import LrsweepError
from lrsweep.store.keys import FileChecksums
from lrsweep.workflow.smk import end_without_waiting, run_mode
from lrsweep.store.entries import Store

# A version's code counts the rule files and scripts of this workflow, not any beside the package.
keys.use_workflow(WORKFLOW_ROOT)

# lrsweep reads the config files itself, with its strict safe loader, instead of Snakemake's
# `configfile:` directive: that directive evaluates YTE templates (Python) in the file before
# anything could check it. `--config file=other.yaml` names another config (never
# evaluated); `--configfile` files are re-read the same way, after Snakemake's own loader has
# read them (README, "The config"); `--config KEY=VALUE` overlays merge in last.
FILES, OVERLAY = lrconfig.sources_of(
    workflow.config_settings.config, workflow.config_settings.configfiles
)
MAIN = workflow.exec_mode == ExecMode.DEFAULT  # not inside a cluster job
# Parse time writes nothing: a dry run, --report, --lint and --summary parse this file too.
# What a run keeps (the checksum caches, the data checks passed, the store's mark) is written, and what it does is
# said, by start_run(), once Snakemake is executing (lrsweep.workflow.smk.run_mode).
try:
    RAW, SOURCES, LABEL = lrconfig.read_sources(FILES, OVERLAY)
    try:
        SWEEP = lrconfig.resolve_config(RAW)
        CHECKSUMS = FileChecksums("results/.checksums.json")
        keys.use_code_cache("results/.code-keys.json")
        PLAN = lrplan.make_plan(SWEEP["config"], SWEEP["grids"], SOURCES, CHECKSUMS)
    except LrsweepError as exc:
        raise LrsweepError(f"{LABEL}: {exc}") from None
    # the data checks that need no split, before any job (a dry run shows them); what
    # passed is remembered by start_run, in a real run only
    PASSED = lrplan.PassedChecks("results/.data-checks.json")
    if MAIN:
        lrplan.check_data(PLAN, PASSED)
except LrsweepError as exc:
    # One line and exit 1, as the README promises: a WorkflowError would be wrapped by
    # Snakemake in "WorkflowError in file ..., line 39:" and a traceback line.
    print(f"lrsweep: {exc}", file=sys.stderr)
    raise SystemExit(1) from None

RESULTS = str(PLAN.results)
STORE = str(PLAN.store)
JOBS = lrplan.Jobs(PLAN)
PUBLISH = JOBS.publish
# Is the version complete already (every file checked against SHA256SUMS, the checksums
# remembered for this version only)? Where does latest point? (said in a line or two)
VERSION_SUMS = FileChecksums("results/.version-checksums.json") if MAIN else None
STATE = rerun.prepare(PLAN, PLAN.token(PUBLISH), digest=VERSION_SUMS)
STARTED = []


def start_run():
    """Once, in the planning process, when Snakemake builds the DAG to execute it: a real run
    saves the caches, marks the store (jobs on other machines check that they see it) and
    says what it does; a dry run says what a run would do; --report, --summary, --lint and
    the like say and write nothing."""
    mode = run_mode(workflow)
    if not MAIN or STARTED or mode == "inspect":
        return
    STARTED.append(mode)
    rerun.announce(PLAN, STATE, dry_run=mode == "dry-run")
    if mode == "run":
        try:
            CHECKSUMS.save()
            keys.save_code_cache()
            PASSED.save()
            VERSION_SUMS.save(only_used=True)
            Store(STORE).mark()
        except OSError as exc:  # a full disk, a read-only folder: one line, exit 1
            print(f"lrsweep: {rerun.write_failure(exc)}", file=sys.stderr)
            raise SystemExit(1) from None


def on_success():
    """The Snakefile's onsuccess hook: end without waiting (lrsweep.workflow.smk.
    end_without_waiting), with 1 if the version has failed grid points (printed by the
    publish job). Snakemake runs the hooks of the main Snakefile only: a project that uses
    this workflow as a module calls lrsweep.on_success() from its own (README)."""
    end_without_waiting()
    rerun.exit_if_failed(PLAN)


def on_error():
    """The Snakefile's onerror hook (a module's user calls lrsweep.on_error())."""
    end_without_waiting()


wildcard_constraints:
    job="|".join(map(re.escape, JOBS.names)),
    key="[0-9a-f]{20}",


def fit_mode():
    """pack or shard (lrsweep.workflow.plan.fit_mode)."""
    defaults = workflow.resource_settings.default_resources
    return lrplan.fit_mode(
        PLAN.filled["fit_jobs"],
        workflow.local_exec,
        MAIN,
        defaults.args if defaults else (),
    )


def get_final_output(wildcards):
    start_run()
    targets = [STATE.publish_token]
    if STATE.latest_job(fit_mode()):
        targets.append(STATE.latest_token)
    return targets


def get_fit_tokens(wildcards):
    """The fit jobs whose results the version holds. When the version is complete already,
    they are needed only as a record (their tokens, if they are all there): no fit job runs
    for a complete version."""
    start_run()  # also when a job's output is named as the target, not rule all
    tokens = [PLAN.token(job) for job in JOBS.fits(fit_mode())]
    if STATE.complete and not all(os.path.exists(t) for t in tokens):
        return []
    return tokens


def get_fit_inputs(wildcards):
    start_run()
    return JOBS.get("fit", wildcards.job, wildcards.key).inputs


def get_fit_params(wildcards):
    return JOBS.get("fit", wildcards.job, wildcards.key).params


def get_fit_threads(wildcards):
    return JOBS.get("fit", wildcards.job, wildcards.key).threads


def get_prepare_params(wildcards):
    start_run()
    return JOBS.get("prepare", wildcards.job, wildcards.key).params


def get_point_latest(wildcards):
    """On this machine the publish job points latest and prints the summary itself."""
    return fit_mode() == "pack"


def get_job_records(wildcards):
    """(rule, job, benchmark file) of the jobs the version's results come from."""
    return JOBS.records(fit_mode(), RESULTS)
