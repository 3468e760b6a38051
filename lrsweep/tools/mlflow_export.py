"""``lrsweep export mlflow``: show a finished version of a sweep in an MLflow tracking store.

lrsweep export mlflow [--version latest] [--tracking-uri URI] [--results results/<sweep>]

Some teams browse runs in the MLflow UI. The version folder stays the record (complete,
checked, never rewritten); the export is a view of it that can be made again at any time:
one MLflow run per grid point (row of ``metrics.csv``) in an MLflow experiment named after
the sweep, with the settings as parameters, the numeric results as metrics, the grid point's
identity as tags, and its per-fit figures and saved model as artifacts.

The version is one parent run (named after it, tag ``lrsweep.kind = version``) and every grid
point a run nested in it (MLflow's tag ``mlflow.parentRunId``), so the UI shows a version as
one row that opens into its grid. Each experiment's selected fit (lrsweep.results.selection, the
leaderboard's rule) carries the tag ``lrsweep.selected = true`` (the others ``false``) and,
for a scikit-learn fit, its pipeline logged as an MLflow model (``model``): a pyfunc "model
from code" (:mod:`lrsweep.tools.mlflow_model`) around its ``model.skops``, which
``mlflow.pyfunc.load_model`` loads and which predicts as ``lrsweep predict`` does; no pickle
of the estimator. ``lrsweep.fit_key`` (also ``fit_key``) is the fit's content key: the same
fit in two versions has the same one, so runs can be grouped by it.

Every run carries the tag ``lrsweep.key`` (sweep/version, and /experiment/model_id for a grid
point), so exporting the same version again finds its runs and adds nothing; a run left
unfinished by an interrupted export is made again.

MLflow is an optional extra (``requirements-mlflow.txt``): it is imported only inside the
functions that talk to it, so ``import lrsweep.tools.cli`` and the other commands never need it.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

from lrsweep.domain import SETTING_KEYS, Status, parse_fit_figure
from lrsweep.fit.record import MODEL
from lrsweep.store.versions import (
    FIGURES,
    FITS,
    METRICS,
    PROVENANCE,
    fit_folder,
    listed_files,
)
from lrsweep.tools.predict import fixed_threshold

#: The columns of metrics.csv that are settings of a grid point: MLflow parameters.
SETTINGS = (*SETTING_KEYS, "positive_class")
#: Settings that are whole numbers (or labels), written as floats in metrics.csv when their
#: column has blanks (``random_state`` 0 reads as 0.0); a parameter shows them as written in
#: the config.
WHOLE_SETTINGS = ("max_iter", "random_state", "maxiter", "positive_class")
#: Columns that name or describe the grid point rather than measure it: MLflow tags, always
#: text (an experiment called ``2024`` is not a metric).
TEXT_COLUMNS = ("experiment", "model_id", "status", "reason")
#: The tag that identifies a run across exports (one grid point of one version).
KEY_TAG = "lrsweep.key"
#: The tag of each experiment's selected fit ("true"; the others "false").
SELECTED_TAG = "lrsweep.selected"
#: The tag of a run's fit content key (the same fit in two versions: the same value).
FIT_KEY_TAG = "lrsweep.fit_key"
#: MLflow's tag that nests a run in another.
PARENT_TAG = "mlflow.parentRunId"
#: The artifact folder of a selected fit's MLflow model.
MODEL_NAME = "model"
#: Files of a fit folder not worth copying into MLflow: arrays of predictions, which can be
#: large and stay in the version folder.
SKIPPED_FIT_FILES = (".npy",)
MISSING = "lrsweep: MLflow is not installed; pip install -r requirements-mlflow.txt"
#: MLflow's own default store, as the help says: MLflow 3 keeps runs in a SQLite file in the
#: current folder and their artifacts under ./mlruns (a test holds this to MLflow's constant).
DEFAULT_STORE = "sqlite:///mlflow.db"


def run_key(sweep: str, version: str, experiment: str, model_id: str) -> str:
    """The value of :data:`KEY_TAG`: a version's grid point, the same at every export."""
    return f"{sweep}/{version}/{experiment}/{model_id}"


def _blank(value) -> bool:
    """An empty cell of metrics.csv, however pandas read it (NaN, None, '')."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return isinstance(value, numbers.Real) and math.isnan(value)


def _is_number(value) -> bool:
    """A real number that is not a flag (``converged`` True is a tag, not the metric 1.0;
    numpy's bool is no ``numbers.Real``)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def param_value(name: str, value) -> str:
    """A setting as MLflow shows it: text, whole-number settings without the ``.0`` that a
    blank elsewhere in their column gave them."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar
    if name in WHOLE_SETTINGS and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def row_to_run(row: Mapping, *, sweep: str, version: str, extra_tags: Mapping | None = None):
    """(params, metrics, tags) of one row of metrics.csv.

    params: the non-empty settings (:data:`SETTINGS`), as text; metrics: every other column
    holding a number (NaN left out: MLflow would show it as a value); tags: every other
    non-empty column (experiment, model_id, status, reason, converged), the sweep, the
    version, ``extra_tags`` and :data:`KEY_TAG`.
    """
    params, metrics, tags = {}, {}, {}
    for name, value in row.items():
        if _blank(value):
            continue
        if name in SETTINGS:
            params[name] = param_value(name, value)
        elif name not in TEXT_COLUMNS and _is_number(value):
            metrics[name] = float(value)
        else:
            tags[name] = str(value)
    tags.update(extra_tags or {})
    tags.update(
        sweep=sweep,
        version=version,
        **{KEY_TAG: run_key(sweep, version, str(row["experiment"]), str(row["model_id"]))},
    )
    return params, metrics, tags


def read_metrics(path: Path) -> list[dict]:
    """The rows of a version's metrics.csv, numbers as numbers and names as text."""
    import pandas as pd

    table = pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS})
    return table.to_dict("records")


def artifacts(listed: list[str], experiment: str, model_id: str) -> list[tuple[str, str]]:
    """(relative path, artifact folder) of one grid point, from the version's ``SHA256SUMS``
    (``listed``), never from a folder listing: its per-fit figures (the confusion matrix, and
    the tutorial's or statsmodels' figure where drawn) into ``figures``, its saved model into
    ``model`` and the other files of its fit folder (result.json, coefficients.csv, the
    classification reports, a failed fit's traceback) into ``fit``.

    A per-fit figure is ``<figure>--<solver>--<penalty>--C<C>--<model_id>.png``
    (:func:`lrsweep.domain.fit_figure_name`): it is matched on its model_id, read back whole by
    :func:`lrsweep.domain.parse_fit_figure`, so that ``sk_C1`` does not take ``x_sk_C1``'s
    figures."""
    figures, fit = f"{FIGURES}/{experiment}/{FITS}/", f"{fit_folder(experiment, model_id)}/"
    out = []
    for name in sorted(listed):
        if name.startswith(figures) and name.endswith(".png") and "/" not in name[len(figures) :]:
            parsed = parse_fit_figure(name[len(figures) :])
            if parsed is not None and parsed.model_id == model_id:
                out.append((name, "figures"))
    for name in sorted(listed):
        if name.startswith(fit) and "/" not in name[len(fit) :]:
            if Path(name).suffix in SKIPPED_FIT_FILES:
                continue
            out.append((name, "model" if name.endswith("/model.skops") else "fit"))
    return out


def version_tags(provenance: dict, experiment: str, model_id: str) -> dict:
    """Tags from provenance.json: the fit's store key (the same fit in two versions has the
    same one) and the commit of lrsweep's code that made the version."""
    tags = {}
    fit_key = ((provenance.get("keys") or {}).get(experiment) or {}).get("fits", {}).get(model_id)
    if fit_key:
        tags["fit_key"] = tags[FIT_KEY_TAG] = fit_key
    commit = (provenance.get("git") or {}).get("commit")
    if commit:
        tags["git_commit"] = commit + ("-dirty" if provenance["git"].get("dirty") else "")
    return tags


def resolve(results: Path, version: str) -> Path:
    """The version folder ``version`` (``v-...``, ``latest`` or ``latest~N``, as every command
    names it) of ``results``, checked whole: a damaged version is never exported."""
    from lrsweep.store.names import resolve as resolve_name
    from lrsweep.store.versions import problems

    folder = resolve_name(Path(results), version)
    found = problems(folder)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise SystemExit(
            f"lrsweep: {folder} is damaged: {found[0]}{more}; the next snakemake run moves it "
            "aside and makes it again"
        )
    return folder


def import_mlflow():
    """MLflow, or one clear line when the optional extra is not installed. MLflow 3 sends
    usage telemetry unless told not to: an export of research results does not (set
    MLFLOW_DISABLE_TELEMETRY=false to allow it)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        import mlflow
        from mlflow.tracking import MlflowClient  # noqa: F401
    except ImportError:
        raise SystemExit(MISSING) from None
    return mlflow


def _client(tracking_uri: str | None):
    """A client of the store at ``tracking_uri`` (MLflow's default when None), opened now so
    that a store that cannot be used fails here, in one line."""
    mlflow = import_mlflow()
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    uri = tracking_uri or mlflow.get_tracking_uri()
    try:
        client = MlflowClient(tracking_uri=uri)
        client.search_experiments(max_results=1)
    except ModuleNotFoundError as exc:
        raise SystemExit(
            f"lrsweep: MLflow's store {uri} needs {exc.name}, which is not installed; "
            "pip install -r requirements-mlflow.txt"
        ) from None
    except MlflowException as exc:
        raise SystemExit(f"lrsweep: MLflow: {exc.message}") from None
    return client, uri


def _experiment(client, name: str):
    """The MLflow experiment named after the sweep, made on first export."""
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        client.create_experiment(name)
        experiment = client.get_experiment_by_name(name)
    elif experiment.lifecycle_stage == "deleted":
        raise SystemExit(
            f"lrsweep: the MLflow experiment {name!r} is deleted; restore it (MLflow UI, or "
            f"MlflowClient().restore_experiment({experiment.experiment_id!r})), or export to "
            "another --tracking-uri"
        )
    return experiment


def _existing_runs(client, experiment_id: str, version: str) -> dict:
    """This version's runs already in the experiment, by :data:`KEY_TAG` (one search per
    thousand runs, not one per grid point)."""
    runs, token = {}, None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string=f"tags.version = '{version}'",
            max_results=1000,
            page_token=token,
        )
        for run in page:
            key = run.data.tags.get(KEY_TAG)
            if key:
                runs.setdefault(key, []).append(run)
        token = page.token
        if not token:
            return runs


def selected_fits(version_dir: Path) -> dict[str, str]:
    """Each experiment's selected model_id (:func:`lrsweep.tools.predict.selected_model`, the
    leaderboard's rule); experiments with no fit that may be selected are left out."""
    from lrsweep.errors import LrsweepError
    from lrsweep.tools.predict import selected_model

    out = {}
    for experiment in json.loads((version_dir / PROVENANCE).read_text())["datasets"]:
        try:
            out[experiment] = selected_model(version_dir, experiment)
        except LrsweepError:
            continue
    return out


def _parent_run(client, experiment_id: str, existing: dict, sweep: str, version: str, tags):
    """The version's parent run: found by its :data:`KEY_TAG`, or made."""
    key = f"{sweep}/{version}"
    for run in existing.get(key, []):
        return run.info.run_id, False
    run = client.create_run(
        experiment_id,
        run_name=version,
        tags={**tags, "sweep": sweep, "version": version, KEY_TAG: key, "lrsweep.kind": "version"},
    )
    return run.info.run_id, True


def log_pipeline_model(run_id: str, uri: str, model_file: Path, info: dict) -> str:
    """Log a selected fit's pipeline into its run as an MLflow pyfunc model from code
    (:mod:`lrsweep.tools.mlflow_model`, the skops file and the experiment's record as artifacts,
    lrsweep's own code beside them so that it loads where lrsweep is not installed). Returns
    the model's URI."""
    import tempfile

    import mlflow

    from lrsweep.store.keys import distribution_versions

    pins = distribution_versions(("scikit-learn", "skops", "numpy", "pandas", "scipy"))
    here = Path(__file__).resolve().parent
    package = here.parent  # the whole lrsweep package, so the model loads where it is absent
    with tempfile.TemporaryDirectory() as tmp:
        info_file = Path(tmp) / "info.json"
        info_file.write_text(json.dumps(info), encoding="utf-8")
        before = mlflow.get_tracking_uri()
        mlflow.set_tracking_uri(uri)  # the fluent API's store, for this call only
        try:
            with mlflow.start_run(run_id=run_id), warnings.catch_warnings():
                # the rows' columns are checked by lrsweep itself (lrsweep.tools.predict)
                warnings.filterwarnings("ignore", "Add type hints", UserWarning)
                logged = mlflow.pyfunc.log_model(
                    name=MODEL_NAME,
                    python_model=str(here / "mlflow_model.py"),
                    artifacts={"model": str(model_file), "info": str(info_file)},
                    code_paths=[str(package)],
                    pip_requirements=[f"{n}=={v}" for n, v in pins.items() if v],
                )
        finally:
            mlflow.set_tracking_uri(before)
    return logged.model_uri


def _log_run(
    client, experiment_id: str, params: dict, metrics: dict, tags: dict, files, model=None
):
    """One run: its tags with it, then its parameters (16 at most; a batch takes 100) and
    metrics in batches (a batch takes 1000 values), its artifacts, its MLflow model (``model``:
    (tracking URI, model.skops, the experiment's record), for a selected fit), and its end. A
    run is RUNNING until the last step, so an export interrupted half-way is recognised and
    made again."""
    from mlflow.entities import Metric, Param
    from mlflow.utils.time import get_current_time_millis

    run = client.create_run(
        experiment_id, run_name=f"{tags['experiment']}/{tags['model_id']}", tags=tags
    )
    run_id = run.info.run_id
    now = get_current_time_millis()
    client.log_batch(run_id, params=[Param(k, v) for k, v in params.items()])
    values = [Metric(k, v, now, 0) for k, v in metrics.items()]
    for start in range(0, len(values), 900):
        client.log_batch(run_id, metrics=values[start : start + 900])
    for path, folder in files:
        client.log_artifact(run_id, str(path), folder)
    if model is not None:
        log_pipeline_model(run_id, *model)
    client.set_terminated(run_id, "FAILED" if tags.get("status") == Status.FAILED else "FINISHED")
    return run_id


def export_version(version_dir: Path, tracking_uri: str | None = None) -> dict:
    """Export one version folder (see the module docstring). Returns what it did: the
    experiment, the store, and how many runs were created, already existed, or were made
    again after an interrupted export."""
    client, uri = _client(tracking_uri)
    version_dir = Path(version_dir)
    provenance = json.loads((version_dir / PROVENANCE).read_text(encoding="utf-8"))
    sweep, version = provenance["sweep"], version_dir.name
    experiment = _experiment(client, sweep)
    existing = _existing_runs(client, experiment.experiment_id, version)
    listed = [name for _, name in listed_files(version_dir)]
    done = {"created": 0, "existed": 0, "redone": 0, "models": 0}
    commit = version_tags(provenance, "", "")
    parent, _ = _parent_run(client, experiment.experiment_id, existing, sweep, version, commit)
    selected = selected_fits(version_dir)
    for row in read_metrics(version_dir / METRICS):
        exp, model_id = str(row["experiment"]), str(row["model_id"])
        is_selected = selected.get(exp) == model_id
        extra = {
            **version_tags(provenance, exp, model_id),
            PARENT_TAG: parent,
            SELECTED_TAG: "true" if is_selected else "false",
        }
        params, metrics, tags = row_to_run(row, sweep=sweep, version=version, extra_tags=extra)
        runs = existing.get(tags[KEY_TAG], [])
        if any(r.info.status != "RUNNING" for r in runs):
            done["existed"] += 1
            continue
        for run in runs:  # left unfinished by an interrupted export
            client.delete_run(run.info.run_id)
            done["redone"] += 1
        model_file = version_dir / fit_folder(exp, model_id) / MODEL
        model = None
        if is_selected and f"{fit_folder(exp, model_id)}/{MODEL}" in listed:
            info = {**provenance["datasets"][exp], **fixed_threshold(version_dir, exp, model_id)}
            model = (uri, model_file, info)
            done["models"] += 1
        _log_run(
            client,
            experiment.experiment_id,
            params,
            metrics,
            tags,
            [(version_dir / name, folder) for name, folder in artifacts(listed, exp, model_id)],
            model,
        )
        done["created"] += 1
    client.set_terminated(parent, "FINISHED")  # also one an interrupted export left running
    return {
        "parent_run_id": parent,
        "experiment": sweep,
        "experiment_id": experiment.experiment_id,
        "artifact_location": experiment.artifact_location,
        "tracking_uri": uri,
        **done,
    }


def cmd_export_mlflow(args) -> int:
    import_mlflow()  # the one-line message first, whatever else is missing
    from lrsweep.tools.args import NOTES, sweep_folder

    folder = resolve(sweep_folder(args.results, args.config_file, NOTES), args.version)
    done = export_version(folder, args.tracking_uri)
    print(
        f"lrsweep: {folder.name} of {done['experiment']} -> MLflow experiment "
        f"{done['experiment']!r} at {done['tracking_uri']} "
        f"(artifacts: {done['artifact_location']})"
    )
    print(
        f"one parent run for {folder.name}, a nested run per grid point; "
        f"{done['models']} selected pipeline(s) logged as MLflow models"
    )
    redone = f" ({done['redone']} unfinished by an earlier export, made again)"
    print(
        f"{done['created']} runs created, {done['existed']} already existed"
        + (redone if done["redone"] else "")
    )
    return 0


def add_parser(subparsers) -> None:
    """``lrsweep export mlflow``: the ``export`` command, one sub-command per target."""
    export = subparsers.add_parser("export", help="copy a finished version into another tool")
    targets = export.add_subparsers(dest="target", required=True)
    p = targets.add_parser(
        "mlflow",
        help="one MLflow run per grid point (needs requirements-mlflow.txt)",
        description=(
            "Export a finished version to MLflow: one run per row of metrics.csv, in an MLflow "
            "experiment named after the sweep, with settings as parameters, scores as metrics, "
            "the confusion matrix figure and model.skops as artifacts. Exporting the same "
            "version again creates no new runs."
        ),
    )
    p.add_argument(
        "--version", default="latest", help="a version name v-... (default: latest, the link)"
    )
    p.add_argument(
        "--tracking-uri",
        help=(
            "where the runs go: sqlite:///path.db, http://server:5000, ... (default: MLflow's "
            f"own: $MLFLOW_TRACKING_URI if set, else {DEFAULT_STORE} in the current folder, "
            "artifacts under ./mlruns)"
        ),
    )
    from lrsweep.tools.args import results_args

    results_args(p)
    p.set_defaults(func=cmd_export_mlflow)
