"""The publish job: assemble a version folder from the store, whole, and never twice.

It reads every grid point's entry (verified; a missing or damaged one is computed again, with
a warning), makes the tables, takes each figure set from the store or draws it, and writes it
all into a temporary folder with ``SHA256SUMS``, renamed into ``results/<sweep>/<version>`` in
one step. When that version is already there, whole, nothing is written into it.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sys
from pathlib import Path

import numpy as np
import yaml

from lrsweep.results.report import write_report
from lrsweep.store.entries import Store, open_verified
from lrsweep.store.files import atomic_write_text, link_or_copy, remove_stale_temps, temp_name
from lrsweep.store.keys import dumps
from lrsweep.store.versions import install, listed_files, problems, write_checksums
from lrsweep.workflow.jobs import (
    experiment_label,
    fit_entry,
    fitfig_entry,
    overview_entry,
    prepared_data,
    scores_entry,
    stored_fit,
    stored_scores,
)

TABLES = (
    "metrics.csv",
    "coefficients.csv",
    "agreement.csv",
    "comparisons.csv",
    "cv_selection.csv",
    "marginal_effects.csv",
    "cv_folds.csv",
)


class Experiment:
    """One experiment's data for publishing: its light data (labels, names) read from the
    store, the full prepared arrays only when something must be computed again."""

    def __init__(self, store: Store, name: str, spec: dict, log):
        self.store, self.name, self.spec, self.log = store, name, spec, log
        self._full = None
        entry = open_verified(
            store, "prepared", spec["prepared"], experiment_label(name), ("meta.json", "y_test.npy")
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
            self.meta = entry.read_json("meta.json")
            self.y_test = entry.load_npy("y_test.npy")
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


class _Light:
    """What overview figures need of the prepared data."""

    def __init__(self, exp: Experiment):
        self.class_names = exp.meta["class_names"]
        self.meta = exp.meta
        self.y_test = exp.y_test


def run_publish(
    params: dict, jobs: list[tuple[str, str, str]], outputs, n_jobs: int, log, point_latest=True
) -> dict:
    """The publish job (see the module docstring). ``jobs``: (rule, job name, benchmark file)
    of the jobs whose results this version holds; ``outputs``: Snakemake's outputs (the
    token and the copies of the figures for ``snakemake --report``). With ``point_latest``
    (this machine) it points latest at the version and prints its summary."""
    from lrsweep.results import tables
    from lrsweep.store.provenance import job_timings, provenance_record, summary_text

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
    fits, computed_with = [], {}
    entries = {}
    for name, spec in params["experiments"].items():
        exp = experiments[name]
        for point in spec["points"]:
            entry = stored_fit(store, point) or fit_entry(store, exp.full, point)
            scores = stored_scores(store, point) or scores_entry(store, exp.full, point, entry)
            record = json.loads(scores.read_text("result.json"))
            fits.append((name, record, entry, scores))
            entries[(name, point["model_id"])] = (point, entry, scores)
            computed_with[f"{name}/{point['model_id']}"] = entry.info.get("libraries")
    metrics, coef_table = tables.collect(fits)
    coefficients = tables.estimates_of(coef_table)  # one row per coefficient
    preds = {
        key: entry.load_npy("pred_test.npy")
        for key, (_, entry, _) in entries.items()
        if "pred_test.npy" in entry.names()
    }
    y_tests = {name: exp.y_test for name, exp in experiments.items()}
    comparisons = tables.compare_to_selected(
        metrics, coefficients, tables.load_correct(metrics, preds, y_tests)
    )
    staging = temp_name(target)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for name, table in {
            "metrics.csv": metrics,
            "coefficients.csv": coef_table,
            "agreement.csv": tables.agreement(metrics, coefficients),
            "comparisons.csv": comparisons,
            "cv_selection.csv": tables.cv_selection(metrics),
            "marginal_effects.csv": tables.marginal_effects(fits),
            "cv_folds.csv": tables.cv_folds(fits),
        }.items():
            (staging / name).write_text(table.to_csv(index=False), encoding="utf-8")
        same_rows = frozenset(n for n, e in experiments.items() if e.meta.get("same_rows"))
        board = tables.leaderboard(metrics, coefficients, comparisons, same_rows)
        (staging / "leaderboard.md").write_text(
            tables.leaderboard_markdown(board, tables.not_worse_table(board, comparisons))
        )
        if params["figures"]:
            _figures(params, store, experiments, entries, metrics, staging, n_jobs, log)
        dropped = {n: e.meta.get("dropped_rows", 0) for n, e in experiments.items()}
        write_report(
            staging,
            params["version"],
            params["sweep"],
            metrics,
            coefficients,
            board,
            same_rows,
            dropped,
        )
        for (name, model_id), (_, *both) in entries.items():  # the fit's files and its scores'
            for entry in both:
                for file in entry.names():
                    link_or_copy(entry.folder / file, staging / "fits" / name / model_id / file)
        (staging / "config.yaml").write_text(
            yaml.safe_dump(params["effective"], sort_keys=False), encoding="utf-8"
        )
        grid = {name: spec["points"] for name, spec in params["experiments"].items()}
        (staging / "grid.json").write_text(dumps(grid), encoding="utf-8")
        text, failed = summary_text(
            staging / "metrics.csv", staging / "leaderboard.md", target, dropped
        )
        (staging / "summary.txt").write_text(text, encoding="utf-8")
        record = provenance_record(
            params,
            fits=computed_with,
            prepared={n: e.describe() for n, e in experiments.items()},
            failed=int((metrics["status"] == "failed").sum()),
            timings=job_timings(jobs),
        )
        (staging / "provenance.json").write_text(dumps(record), encoding="utf-8")
        for rule, _job, bench in jobs:
            logfile = Path(bench.replace("/benchmarks/", "/logs/")).with_suffix(".log")
            if logfile.is_file():
                link_or_copy(logfile, staging / "logs" / rule / logfile.name)
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
        from lrsweep.store.history import point_latest as point

        point(target, config_files(params))
        print((target / "summary.txt").read_text(encoding="utf-8"), file=sys.stderr, end="")
    return {"version": params["version"], "state": state}


def config_files(params: dict) -> list[str]:
    """The config files a run read (``--config`` for its command-line overlays)."""
    return [source["path"] for source in params.get("sources", [])]


#: What the forked workers drawing overview figures need (inherited, not pickled).
_DRAW: dict = {}


def _draw_overview(name: str):
    store, spec, light, settings, entries = _DRAW[name]
    entry = overview_entry(store, name, spec, light, settings, entries)
    return name, (entry.folder, entry.names())  # the files its manifest lists, checked


def _figures(params, store, experiments, entries, metrics, staging, n_jobs, log):
    """Per-fit figures and overview figures from the store (drawn where missing: the overview
    ones in a pool, an experiment a worker), all copied into the version."""
    from lrsweep.domain import fit_figure_name, parse_overview_fit_figure

    for name, spec in params["experiments"].items():
        exp = experiments[name]
        rows = metrics[metrics["experiment"] == name]
        for _, row in rows[rows["status"].isin(["ok", "separated"])].iterrows():
            point, entry, scores = entries[(name, row["model_id"])]
            figs = fitfig_entry(store, _Prepare(exp), point, entry, scores)
            for file in figs.names():
                figure = file.rsplit(".", 1)[0]
                link_or_copy(
                    figs.folder / file,
                    staging / "figures" / name / "fits" / fit_figure_name(figure, row),
                )
        mine = {m: (e, sc) for (n, m), (_, e, sc) in entries.items() if n == name}
        _DRAW[name] = (store, spec, _Light(exp), params["figure_settings"], mine)
    missing = [
        n for n, spec in params["experiments"].items() if not store.has("figures", spec["overview"])
    ]
    folders = dict(_map(_draw_overview, missing, n_jobs))  # drawn in parallel
    folders.update(_draw_overview(n) for n in _DRAW if n not in folders)  # from the store
    _DRAW.clear()
    for name, (folder, names) in folders.items():
        for path in (folder / n for n in names):  # never a file the manifest does not list
            model_id = parse_overview_fit_figure(path.name)
            if model_id is not None:
                row = metrics[
                    (metrics["experiment"] == name) & (metrics["model_id"] == model_id)
                ].iloc[0]
                dest = staging / "figures" / name / "fits" / fit_figure_name("statsmodels", row)
            else:
                dest = staging / "figures" / name / "overview" / path.name
            link_or_copy(path, dest)


class _Prepare:
    """The prepared data of an experiment, loaded on first use (per-fit figures that are in
    the store need none)."""

    def __init__(self, exp: Experiment):
        self._exp = exp

    def __getattr__(self, name):
        return getattr(self._exp.full, name)


def _map(fn, tasks: list, n_jobs: int) -> list:
    """``[fn(t) for t in tasks]``, in forked workers on Linux (they inherit what ``fn`` reads)."""
    if n_jobs <= 1 or len(tasks) <= 1 or sys.platform != "linux":
        return [fn(t) for t in tasks]
    from concurrent.futures import ProcessPoolExecutor

    from lrsweep.results.figures import draw_overview  # noqa: F401  (imported before forking)

    with ProcessPoolExecutor(
        min(n_jobs, len(tasks)), mp_context=multiprocessing.get_context("fork")
    ) as pool:
        return list(pool.map(fn, tasks))


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
    shutil.copyfile(target / "metrics.csv", outputs.metrics)
    atomic_write_text(outputs.token, json.dumps({"version": target.name}))
