"""The publish job: assemble a version folder from the store, whole, and never twice.

It reads every grid point's entry (verified; a missing or damaged one is computed again, with
a warning), makes the tables, takes each figure set from the store or draws it, and writes it
all into a temporary folder with ``SHA256SUMS``, renamed into ``results/<sweep>/<version>`` in
one step. When that version is already there, whole, nothing is written into it.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from lrsweep.domain import SCORED, Status
from lrsweep.results.report import write_report
from lrsweep.score.record import RESULT_JSON
from lrsweep.store.entries import PREPARED_META, Store, npy_name, open_verified
from lrsweep.store.files import atomic_write_text, link_or_copy, remove_stale_temps, temp_name
from lrsweep.store.keys import dumps
from lrsweep.store.versions import (
    AGREEMENT,
    COEFFICIENTS,
    COMPARISONS,
    CV_FOLDS,
    CV_SELECTION,
    FIGURES,
    FITS,
    GRID,
    LEADERBOARD,
    MARGINAL_EFFECTS,
    METRICS,
    PROVENANCE,
    SUMMARY,
    fit_folder,
    install,
    listed_files,
    problems,
    write_checksums,
)
from lrsweep.workflow.pool import TaskStatus, launch
from lrsweep.workflow.store_access import (
    experiment_label,
    fit_entry,
    fitfig_entry,
    overview_entry,
    prepared_data,
    scores_entry,
    stored_fit,
    stored_scores,
)

TABLES = (METRICS, COEFFICIENTS, AGREEMENT, COMPARISONS, CV_SELECTION, MARGINAL_EFFECTS, CV_FOLDS)


class Experiment:
    """One experiment's data for publishing: its light data (labels, names, the test labels)
    read from the store, the full prepared arrays only when something must be computed again.

    It stands for the experiment's prepared data wherever that is read: what the overview
    figures need is its own (``meta``, ``classes``, ``class_names``, ``y_test``); any other
    attribute (``X_train``, ``feature_names`` ...) is the full data's, loaded on first use.
    Pickled (for a worker) it leaves the full arrays behind: a worker that needs them reads
    them from the store."""

    def __init__(self, store: Store, name: str, spec: dict, log):
        self.store, self.name, self.spec, self.log = store, name, spec, log
        self._full = None
        entry = open_verified(
            store,
            "prepared",
            spec["prepared"],
            experiment_label(name),
            (PREPARED_META, npy_name("y_test")),
        )
        if entry is None:
            self._full = prepared_data(store, name, spec, log)
            self.meta = {
                **self._full.meta,
                "classes": self._full.classes,
                "feature_names": self._full.feature_names,
            }
            self.y_test = np.asarray(self._full.y_test)
            self.checksums = {}
        else:
            self.meta = entry.read_json(PREPARED_META)
            self.y_test = entry.load_npy(npy_name("y_test"))
            self.checksums = {n: entry.manifest["files"][n]["sha256"] for n in entry.names()}

    def describe(self) -> dict:
        """The prepared data's checksums and what a model of it takes and gives."""
        return {
            "prepared_checksums": self.checksums,
            "features": self.meta.get("raw_columns"),
            "categorical": self.meta.get("categorical", []),
            "classes": self.meta.get("classes"),
            "class_names": self.meta.get("class_names"),
            "dropped_rows": self.meta.get("dropped_rows", 0),
        }

    @property
    def full(self):
        if self._full is None:
            self._full = prepared_data(self.store, self.name, self.spec, self.log)
        return self._full

    @property
    def classes(self) -> list:
        return self.meta["classes"]

    @property
    def class_names(self) -> list[str]:  # as Prepared.class_names
        return self.meta.get("class_names") or [str(c) for c in self.classes]

    def __getattr__(self, name: str):  # only for what the attributes above do not hold
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.full, name)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_full": None}


def run_publish(
    params: dict, jobs: list[tuple[str, str, str]], outputs, n_jobs: int, log, point_latest=True
) -> dict:
    """The publish job (see the module docstring). ``jobs``: (rule, job name, benchmark file)
    of the jobs whose results this version holds; ``outputs``: Snakemake's outputs (the
    token and the copies of the figures for ``snakemake --report``). With ``point_latest``
    (this machine) it points latest at the version and prints its summary."""
    store = Store(params["store"])
    store.check_shared()
    results = store.root.parent
    target = results / params["version"]
    remove_stale_temps(results)
    if target.exists() and not problems(target):
        log.info("%s is complete already: nothing written into it", target)
        _report_copies(target, outputs)
        return {"version": params["version"], "state": "existing"}

    experiments = {
        name: Experiment(store, name, spec, log) for name, spec in params["experiments"].items()
    }
    fits, entries, computed_with = _gather(store, params, experiments)
    staging = temp_name(target)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        metrics, report = _write_tables(staging, params, experiments, fits, entries)
        if params["figures"]:
            _figures(params, store, experiments, entries, metrics, staging, n_jobs, log)
        write_report(staging, params["version"], params["sweep"], *report)
        _write_records(staging, params, experiments, entries, metrics, jobs, computed_with)
        failed = _write_summary(staging, target, experiments)
        write_checksums(staging)
        state = install(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if state == "replaced":
        log.warning("%s was damaged: moved aside, and made again", target)
        print(f"lrsweep: warning: {target} was damaged: moved aside, made again", file=sys.stderr)
    _report_copies(target, outputs)
    log.info("%s: %s (%d grid points, %d failed)", target, state, len(metrics), failed)
    if point_latest:
        from lrsweep.results.selection import selected_fits
        from lrsweep.store.history import point_latest as point

        point(target, config_files(params), selected_fits(target))
        print((target / SUMMARY).read_text(encoding="utf-8"), file=sys.stderr, end="")
    return {"version": params["version"], "state": state}


def _gather(store: Store, params: dict, experiments: dict) -> tuple[list, dict, dict]:
    """Every grid point's fit and scores entries (verified; computed again when missing or
    damaged): the (experiment, record, fit entry, scores entry) of each, the entries by
    (experiment, model_id) with their point, and the libraries each fit was computed with."""
    fits, entries, computed_with = [], {}, {}
    for name, spec in params["experiments"].items():
        exp = experiments[name]
        for point in spec["points"]:
            entry = stored_fit(store, point) or fit_entry(store, exp.full, point)
            scores = stored_scores(store, point) or scores_entry(store, exp.full, point, entry)
            record = json.loads(scores.read_text(RESULT_JSON))
            fits.append((name, record, entry, scores))
            entries[(name, point["model_id"])] = (point, entry, scores)
            computed_with[f"{name}/{point['model_id']}"] = entry.info.get("libraries")
    return fits, entries, computed_with


def _write_tables(staging: Path, params, experiments: dict, fits, entries):
    """The version's tables (:data:`TABLES`) and leaderboard; metrics.csv's table, and what
    the report (written once the figures are there) is made of."""
    from lrsweep.results import tables

    metrics, coef_table = tables.collect(fits)
    coefficients = tables.estimates_of(coef_table)  # one row per coefficient
    preds = {
        key: entry.load_npy(npy_name("pred_test"))
        for key, (_, entry, _) in entries.items()
        if npy_name("pred_test") in entry.names()
    }
    y_tests = {name: exp.y_test for name, exp in experiments.items()}
    comparisons = tables.compare_to_selected(
        metrics, coefficients, tables.load_correct(metrics, preds, y_tests)
    )
    for name, table in {
        METRICS: metrics,
        COEFFICIENTS: coef_table,
        AGREEMENT: tables.agreement(metrics, coefficients),
        COMPARISONS: comparisons,
        CV_SELECTION: tables.cv_selection(metrics),
        MARGINAL_EFFECTS: tables.marginal_effects(fits),
        CV_FOLDS: tables.cv_folds(fits),
    }.items():
        (staging / name).write_text(table.to_csv(index=False), encoding="utf-8")
    same_rows = frozenset(n for n, e in experiments.items() if e.meta.get("same_rows"))
    board = tables.leaderboard(metrics, coefficients, comparisons, same_rows)
    (staging / LEADERBOARD).write_text(
        tables.leaderboard_markdown(board, tables.not_worse_table(board, comparisons))
    )
    dropped = {n: e.meta.get("dropped_rows", 0) for n, e in experiments.items()}
    return metrics, (metrics, coefficients, board, same_rows, dropped)


def _write_records(staging: Path, params, experiments, entries, metrics, jobs, computed_with):
    """The fits' files, the effective config, the grid, the provenance and the jobs' logs."""
    from lrsweep.store.provenance import job_timings, provenance_record

    for (name, model_id), (_, *both) in entries.items():  # the fit's files and its scores'
        for entry in both:
            for file in entry.names():
                link_or_copy(entry.folder / file, staging / fit_folder(name, model_id) / file)
    (staging / "config.yaml").write_text(
        yaml.safe_dump(params["effective"], sort_keys=False), encoding="utf-8"
    )
    grid = {name: spec["points"] for name, spec in params["experiments"].items()}
    (staging / GRID).write_text(dumps(grid), encoding="utf-8")
    record = provenance_record(
        params,
        fits=computed_with,
        prepared={n: e.describe() for n, e in experiments.items()},
        failed=int((metrics["status"] == Status.FAILED).sum()),
        timings=job_timings(jobs),
    )
    (staging / PROVENANCE).write_text(dumps(record), encoding="utf-8")
    for rule, _job, bench in jobs:
        logfile = Path(bench.replace("/benchmarks/", "/logs/")).with_suffix(".log")
        if logfile.is_file():
            link_or_copy(logfile, staging / "logs" / rule / logfile.name)


def _write_summary(staging: Path, target: Path, experiments: dict) -> int:
    """summary.txt (what the run prints); the number of failed grid points."""
    from lrsweep.results.summary import summary_text

    dropped = {n: e.meta.get("dropped_rows", 0) for n, e in experiments.items()}
    text, failed = summary_text(staging / METRICS, staging / LEADERBOARD, target, dropped)
    (staging / SUMMARY).write_text(text, encoding="utf-8")
    return failed


def config_files(params: dict) -> list[str]:
    """The config files a run read (``--config`` for its command-line overlays)."""
    return [source["path"] for source in params.get("sources", [])]


@dataclass(eq=False)
class OverviewDraw:
    """An experiment's overview figures, from the store or drawn (a pool task: picklable; its
    context is the store)."""

    name: str
    spec: dict
    experiment: Experiment
    settings: dict
    entries: dict  # model_id -> (fit entry, scores entry)

    def __call__(self, store: Store) -> tuple[Path, list[str]]:
        entry = overview_entry(
            store, self.name, self.spec, self.experiment, self.settings, self.entries
        )
        return entry.folder, entry.names()  # the files its manifest lists, checked


def _figures(params, store, experiments, entries, metrics, staging, n_jobs, log):
    """Per-fit figures and overview figures from the store (drawn where missing: the overview
    ones in the pool, an experiment a task), all copied into the version."""
    draws = []
    for name, spec in params["experiments"].items():
        exp = experiments[name]
        _fit_figures(store, exp, entries, metrics, staging)
        mine = {m: (e, sc) for (n, m), (_, e, sc) in entries.items() if n == name}
        draws.append(OverviewDraw(name, spec, exp, params["figure_settings"], mine))
    missing = [d for d in draws if not store.has("figures", d.spec["overview"])]
    if missing:
        from lrsweep.results.figures import draw_overview  # noqa: F401  (before the workers)
    returns = launch(missing, store, n_jobs)  # drawn in parallel
    returns += launch([d for d in draws if d not in missing], store, 1)  # from the store
    for ret in returns:
        if ret.status == TaskStatus.FAILED:
            raise RuntimeError(f"{ret.task.name} overview figures failed:\n{ret.traceback}")
        folder, names = ret.value
        for path in (folder / n for n in names):  # never a file the manifest does not list
            link_or_copy(path, _overview_destination(staging, ret.task.name, path, metrics))


def _fit_figures(store, exp: Experiment, entries, metrics, staging) -> None:
    """An experiment's per-fit figures (of its scored fits), into the version."""
    from lrsweep.domain import fit_figure_name

    rows = metrics[metrics["experiment"] == exp.name]
    for _, row in rows[rows["status"].isin(list(SCORED))].iterrows():
        point, entry, scores = entries[(exp.name, row["model_id"])]
        figs = fitfig_entry(store, exp, point, entry, scores)
        for file in figs.names():
            figure = file.rsplit(".", 1)[0]
            dest = staging / FIGURES / exp.name / FITS / fit_figure_name(figure, row)
            link_or_copy(figs.folder / file, dest)


def _overview_destination(staging: Path, name: str, path: Path, metrics) -> Path:
    """Where an overview entry's file goes in the version: a statsmodels figure of one fit
    beside that fit's figures, the others under ``overview/``."""
    from lrsweep.domain import fit_figure_name, parse_overview_fit_figure

    model_id = parse_overview_fit_figure(path.name)
    if model_id is not None:
        row = metrics[(metrics["experiment"] == name) & (metrics["model_id"] == model_id)].iloc[0]
        return staging / FIGURES / name / FITS / fit_figure_name("statsmodels", row)
    return staging / FIGURES / name / "overview" / path.name


def _report_copies(target: Path, outputs) -> None:
    """The figures and the metrics of the version, hard-linked where ``snakemake --report``
    finds them (the publish job's outputs; the version folder is not a Snakemake output, so
    that Snakemake never deletes or rewrites it)."""
    overview, fits = Path(outputs.overview), Path(outputs.fits)
    for folder in (overview, fits):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for name in sorted(name for _, name in listed_files(target)):  # never a folder listing
        parts = name.split("/")
        if len(parts) == 4 and parts[0] == "figures" and parts[3].endswith(".png"):
            experiment, kind, file = parts[1:]
            if kind == "overview":
                link_or_copy(target / name, overview / f"{experiment}+{file}")
            elif kind == "fits":
                link_or_copy(target / name, fits / f"{experiment}+{file.replace('--', '+')}")
    shutil.copyfile(target / METRICS, outputs.metrics)
    atomic_write_text(outputs.token, json.dumps({"version": target.name}))
