"""Parse-time planning: the keys of everything a config computes, and the jobs that compute it.

:func:`make_plan` runs once when Snakemake reads the Snakefile. From the validated config, the
checksums of the data files, the code and the libraries it derives every content key
(:mod:`lrsweep.store.keys`): each experiment's prepared data, each grid point's fit and figures,
each experiment's overview figures, and the version. The grid is expanded here, once; jobs
receive their grid points as parameters.

Every job's output is named by a digest of its parameters (``<name>-<key>``), so a job is
either done, for exactly these parameters, or to be done: Snakemake's "params changed" never
fires, an edit reruns exactly the jobs whose content changed, and configs sharing a sweep
folder never overwrite each other's outputs.

A fit job fits, scores and draws its grid points, each from what the store lacks: a point's
fit is keyed by what changes the fitted model only and its scores by its fit and the settings
that only score, so changing ``bootstrap`` or ``positive_class`` reruns the fit jobs of those
points with nothing to fit (``0 of N grid points to fit``): they score the stored fits. The
fitting code is handed each point without those settings (:func:`fit_job_point`), so that
nothing it fits can depend on them.

Fit jobs come in two shapes (``fit_jobs``):

- ``pack``: experiments of small work share one job (every job spends a second or two
  starting and importing scikit-learn before it fits anything); an experiment of large work
  or data has a job of its own. Best on one machine.
- ``shard``: each experiment's data is prepared by one job, then its grid is split into
  shards of about ``shard_minutes`` of one core each, every shard a job that a cluster can
  place on any node. Best on a cluster.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from lrsweep.config.grid import fit_settings, score_settings
from lrsweep.config.resolve import version_settings
from lrsweep.domain import SCORE_ONLY_KEYS, Status
from lrsweep.errors import ConfigError, describe
from lrsweep.prepare.data import resolve_path
from lrsweep.prepare.design import preparation_spec
from lrsweep.store import keys
from lrsweep.workflow.cost import (
    dataset_shape,
    experiment_seconds,
    file_cells,
    path_mode,
    relative_cost,
    train_shape,
)

#: Estimated seconds of one core above which an experiment gets a fit job of its own when
#: packing: below it, a job's fixed cost is a large share of its fits.
OWN_JOB_SECONDS = 150.0
#: Data size (rows x features) above which an experiment gets a fit job of its own, so that a
#: job never holds two large datasets in memory: 2e7 values are 160 MB as float64.
OWN_JOB_CELLS = 2e7
#: Below this many estimated seconds a job's fits run in its own process (forking workers
#: would cost more than the fits).
SMALL_JOB_SECONDS = 0.15
MAX_THREADS = 8


@dataclass
class Job:
    """One fit (or prepare) job: its name, the key of its parameters, and those parameters."""

    rule: str
    name: str
    params: dict
    inputs: list[str] = field(default_factory=list)
    threads: int = 1

    @property
    def key(self) -> str:
        return keys.digest(self.rule, self.params)

    @property
    def label(self) -> str:
        return f"{self.name}-{self.key}"


@dataclass
class Plan:
    sweep: str
    results: Path
    version: str
    filled: dict
    sources: list[dict]
    experiments: dict[str, dict]
    data: dict[str, str | None]

    @property
    def store(self) -> Path:
        return self.results / "store"

    @property
    def version_dir(self) -> Path:
        return self.results / self.version

    def token(self, job: Job) -> str:
        return str(self.store / "jobs" / job.rule / f"{job.label}.json")

    @property
    def n_points(self) -> int:
        return sum(len(e["points"]) for e in self.experiments.values())


# --------------------------------------------------------------------------------------------
# Keys


def prepared_key(exp: dict, data_sha256: str | None) -> str:
    return keys.digest(
        "prepared",
        {
            "spec": preparation_spec(exp),
            "data": data_sha256,
            "code": keys.code_key(keys.PREPARE_CODE),
            "libraries": keys.library_versions(),
            "format": keys.STORE_FORMAT,
        },
    )


def fit_key(prepared: str, point: dict, fit_code: str, libraries: dict) -> str:
    """The key of a grid point's fit. A point on a warm path (``point["path"]``,
    :func:`warm_paths`) is keyed by its path too: its numbers depend on the C values before
    it. A cold point's key has no path in it."""
    payload = {
        "prepared": prepared,
        "settings": fit_settings(point),
        "status": point["status"],
        "code": fit_code,
        "libraries": libraries,
        "format": keys.STORE_FORMAT,
    }
    if point.get("path"):
        payload["path"] = point["path"]
    return keys.digest("fit", payload)


def path_families(points: list[dict]) -> list[list[int]]:
    """The model families of an experiment's grid points, as indices into ``points``, each in
    ascending C: scikit-learn points that are not skipped, with every fit setting equal but
    C (:func:`lrsweep.config.grid.fit_settings`)."""
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(points):
        if p["library"] != "sklearn" or p["status"] == Status.SKIPPED:
            continue
        rest = {k: v for k, v in fit_settings(p).items() if k != "C"}
        groups.setdefault(keys.canonical(rest), []).append(i)
    return [sorted(g, key=lambda i: points[i]["C"]) for g in groups.values()]


def warm_paths(
    exp: dict,
    points: list[dict],
    prepared: str,
    fit_code: str,
    libraries: dict,
    root: str | Path = ".",
) -> None:
    """Key the points of every family fitted warm (:func:`lrsweep.workflow.cost.path_mode`),
    in place: walking up in C, each gets ``path``: ``{"before": [the family's smaller C],
    "previous": the key of the point just below it}`` and its key with it (:func:`fit_key`).
    So adding a C above all others of a family keys only the new point; adding one below
    others keys again the points of larger C (their path changed)."""
    shape = train_shape(exp, str(root))
    setting = exp.get("C_path", "auto")
    for family in path_families(points):
        if path_mode(setting, points[family[0]], len(family), shape) != "warm":
            continue
        before: list[float] = []
        previous = None
        for i in family:
            p = points[i]
            p["path"] = {"before": list(before), "previous": previous}
            p["key"] = fit_key(prepared, p, fit_code, libraries)
            before.append(p["C"])
            previous = p["key"]


def score_key(fit: str, point: dict, score_code: str) -> str:
    """The key of a grid point's scores: its fit, the settings that only score and the
    scoring code (so changing those scores the stored fit again and refits nothing)."""
    return keys.digest(
        "scores",
        {
            "fit": fit,
            "settings": score_settings(point),
            "code": score_code,
            "format": keys.STORE_FORMAT,
        },
    )


def figure_code() -> dict:
    """The drawing code of each kind of figure (per fit, overview), and what draws all."""
    return {
        "fit_figures": keys.code_key(keys.FIT_FIGURE_CODE),
        "overview": keys.code_key(keys.OVERVIEW_CODE),
        "libraries": keys.library_versions(keys.FIGURE_LIBRARIES),
        "format": keys.STORE_FORMAT,
    }


def fitfig_key(
    fit: str, name: str, fig_code: dict, score_code: str, threshold: float | None = None
) -> str:
    """The key of one fit's figures: the fit, the experiment's name (in their titles, so that
    a figure copied out of its folder still says what it shows), the plotting code, the
    scoring code and the fixed decision threshold (they show the test accuracy and confusion
    matrix, which of the settings that only score only the threshold changes). The plotting
    code is the per-fit figures' own (:data:`lrsweep.store.keys.FIT_FIGURE_CODE`)."""
    code = {k: v for k, v in fig_code.items() if k != "overview"}
    code["code"] = code.pop("fit_figures")
    return keys.digest(
        "fitfig",
        {"fit": fit, "experiment": name, "scoring": score_code, "threshold": threshold, **code},
    )


def overview_key(name: str, points: list[dict], settings: dict, fig_code: dict) -> str:
    """The key of an experiment's overview figures: the fits' scores they draw, the figure
    settings (plotted metric, svg), the experiment's name (in their titles) and the plotting
    code of the overview (:data:`lrsweep.store.keys.OVERVIEW_CODE`)."""
    code = {k: v for k, v in fig_code.items() if k != "fit_figures"}
    code["code"] = code.pop("overview")
    return keys.digest(
        "figures",
        {
            "experiment": name,
            "scores": [[p["model_id"], p["score_key"]] for p in points],
            **settings,
            **code,
        },
    )


def figure_settings(filled: dict) -> dict:
    """What, besides the fits, the overview figures are drawn from."""
    return {"metric": filled["plot_metric"], "svg": filled["svg"]}


def version_id(filled: dict, data: dict) -> str:
    """``v-`` and 10 hex digits naming everything a version is computed from: the effective
    config (how jobs are run aside), the bytes of its data files, lrsweep's code and the
    versions of the libraries that compute and draw."""
    payload = {
        "config": version_settings(filled),
        "data": data,
        "code": keys.workflow_key(),
        "libraries": keys.library_versions(keys.RESULT_LIBRARIES + keys.FIGURE_LIBRARIES),
        "format": keys.STORE_FORMAT,
    }
    return "v-" + keys.digest("version", payload, 10)


# --------------------------------------------------------------------------------------------
# The plan


def data_checksums(filled: dict, checksums, root: str | Path = ".") -> dict[str, str | None]:
    """Each experiment's data file checksum (csv, parquet), None for other sources."""
    out = {}
    for name, exp in filled["experiments"].items():
        ds = exp["dataset"]
        if ds["source"] not in ("csv", "parquet"):
            out[name] = None
            continue
        path = resolve_path(ds["path"], root)
        if not path.is_file():
            raise ConfigError(describe(name, "dataset.path", f"file not found: {ds['path']}"))
        out[name] = checksums(path)
    return out


def make_plan(
    filled: dict, grids: dict, sources: list[dict], checksums, root: str | Path = "."
) -> Plan:
    """Every key of a validated config (see the module docstring)."""
    data = data_checksums(filled, checksums, root)
    libraries = keys.library_versions()
    fit_code = keys.code_key(keys.FIT_CODE)
    score_code = keys.code_key(keys.SCORE_CODE)
    fig_code = figure_code()
    experiments = {}
    for name, exp in filled["experiments"].items():
        pkey = prepared_key(exp, data[name])
        points = [{**p, "key": fit_key(pkey, p, fit_code, libraries)} for p in grids[name]]
        warm_paths(exp, points, pkey, fit_code, libraries, root)
        for p in points:
            p["score_key"] = score_key(p["key"], p, score_code)
            if filled["figures"]:
                p["figkey"] = fitfig_key(p["key"], name, fig_code, score_code, p.get("threshold"))
        experiments[name] = {
            "exp": exp,
            "prepared": pkey,
            "data_sha256": data[name],
            "points": points,
            "overview": overview_key(name, points, figure_settings(filled), fig_code)
            if filled["figures"]
            else None,
            "seconds": experiment_seconds(exp, points, str(root)),
            # each point's share (statsmodels' grows with the features far faster than
            # scikit-learn's): None when the data's size is unknown
            "point_seconds": [experiment_seconds(exp, [p], str(root)) for p in points],
        }
    results = Path("results") / filled["sweep"]
    return Plan(
        filled["sweep"],
        results,
        version_id(filled, data),
        filled,
        sources,
        experiments,
        data,
    )


def fit_job_point(point: dict) -> dict:
    """A grid point as the fitting code gets it: without what only scores or draws it (which
    its fit key leaves out too)."""
    return {k: v for k, v in point.items() if k not in (*SCORE_ONLY_KEYS, "score_key", "figkey")}


def fit_job_experiment(exp: dict) -> dict:
    """An experiment's settings as its data are prepared and its points fitted with them
    (without the positive class and the covariance types of its statsmodels fits)."""
    out = {k: v for k, v in exp.items() if k not in SCORE_ONLY_KEYS}
    if isinstance(out.get("statsmodels"), dict):
        out["statsmodels"] = {
            k: v for k, v in out["statsmodels"].items() if k not in SCORE_ONLY_KEYS
        }
    return out


class PassedChecks:
    """The prepared keys whose data passed :func:`check_data`, remembered in a small JSON file
    so that a large file is scanned once, not at every ``snakemake`` start. A prepared key
    covers the dataset's settings, the file's checksum, the preparing code and the libraries:
    an edited file, or other settings, are checked again."""

    def __init__(self, cache_file: str | Path | None = None):
        self.cache_file = Path(cache_file) if cache_file else None
        self.keys: set[str] = set()
        if self.cache_file and self.cache_file.is_file():
            try:
                self.keys = set(json.loads(self.cache_file.read_text()))
            except (ValueError, TypeError):
                self.keys = set()
        self.changed = False

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def add(self, key: str) -> None:
        self.keys.add(key)
        self.changed = True

    def save(self) -> None:
        if self.cache_file and self.changed:
            from lrsweep.store.files import atomic_write_text

            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.cache_file, json.dumps(sorted(self.keys)))


def check_data(plan: Plan, passed: PassedChecks, root: str | Path = ".") -> None:
    """Run, while planning, the data checks of the fit job that need no split
    (:func:`lrsweep.prepare.design.load_checked`) on every csv and parquet dataset whose prepared
    key is neither in ``passed`` nor in the store: a missing column, a wrong target, text in
    a numeric column, gaps without ``impute`` or ``dropna`` raise the job's one-line
    :class:`~lrsweep.errors.DataError` before any job starts (a dry run shows it). The
    checks that need the split (a class too small for it, imputing a column with no training
    value, CV folds) stay in the job."""
    from lrsweep.errors import DataError
    from lrsweep.prepare.design import load_checked
    from lrsweep.store.entries import Store

    store = Store(plan.store)
    errors = []  # every experiment's, one line each, as the fit job says them
    for name, spec in plan.experiments.items():
        key = spec["prepared"]
        if spec["data_sha256"] is None or key in passed or store.has("prepared", key):
            continue
        try:
            load_checked(name, spec["exp"], root, spec["data_sha256"])
        except DataError as exc:
            errors.append(str(exc))
            continue
        passed.add(key)
    if errors:
        raise DataError("\nlrsweep: ".join(errors))


def _fit_params(plan: Plan, members: dict[str, list[dict]], prepare: bool) -> dict:
    """A fit job's parameters: its grid points with their settings, their score and figure
    keys, and the figure settings. A job that holds all of an experiment's grid points also
    draws its overview figures (key ``overview``) once they are scored."""
    return {
        "store": str(plan.store),
        "prepare": prepare,
        "figures": plan.filled["figures"],
        "figure_settings": figure_settings(plan.filled),
        "experiments": {
            name: {
                "exp": plan.experiments[name]["exp"],
                "prepared": plan.experiments[name]["prepared"],
                "data_sha256": plan.experiments[name]["data_sha256"],
                "points": points,
                "overview": plan.experiments[name]["overview"]
                if len(points) == len(plan.experiments[name]["points"])
                else None,
            }
            for name, points in members.items()
        },
    }


def threads_for(seconds: float | None) -> int:
    """1 for a job of small work (forking workers would cost more than the fits), else
    :data:`MAX_THREADS` (Snakemake scales it down to ``--cores``); unknown work gets the most."""
    return 1 if seconds is not None and seconds < SMALL_JOB_SECONDS else MAX_THREADS


def pack_name(members: list[str]) -> str:
    """A pack's name: its experiment's, or its experiments' joined by '+' (a character
    experiment names cannot hold), shortened to the first and a count when that is long."""
    name = "+".join(members)
    if len(name) > 80:
        name = f"{members[0]}+{len(members) - 1}-more"
    return name


def packs(plan: Plan) -> list[list[str]]:
    """Which experiments share a fit job, in config order (see the module docstring). A csv
    or parquet file's size is guessed from its bytes."""
    out: list[list[str]] = []
    open_pack: list[str] = []
    open_seconds = 0.0
    for name, e in plan.experiments.items():
        seconds = e["seconds"]
        shape = dataset_shape(e["exp"]["dataset"])
        cells = shape[0] * shape[1] if shape else file_cells(e["exp"]["dataset"])
        if seconds is None or cells is None or seconds >= OWN_JOB_SECONDS or cells > OWN_JOB_CELLS:
            out.append([name])
            continue
        if open_pack and open_seconds + seconds > OWN_JOB_SECONDS:
            open_pack, open_seconds = [], 0.0
        if not open_pack:
            out.append(open_pack)
        open_pack.append(name)
        open_seconds += seconds
    return out


def pack_jobs(plan: Plan) -> list[Job]:
    jobs = []
    for members in packs(plan):
        seconds = [plan.experiments[n]["seconds"] for n in members]
        total = None if None in seconds else sum(seconds)
        params = _fit_params(plan, {n: plan.experiments[n]["points"] for n in members}, True)
        jobs.append(Job("fit", pack_name(members), params, threads=threads_for(total)))
    return jobs


def path_units(points: list[dict]) -> list[list[int]]:
    """The indices of ``points`` in the units a job's work is cut into: the points of one warm
    path together, in ascending C (a path runs in order, each point starting from the one
    before it, so it is never cut across jobs), every other point alone; in grid order of
    their first point."""
    index = {p["key"]: i for i, p in enumerate(points)}
    units: dict[int, list[int]] = {}
    for i in range(len(points)):
        first = i
        while (points[first].get("path") or {}).get("previous") in index:
            first = index[points[first]["path"]["previous"]]
        units.setdefault(first, []).append(i)
    return [sorted(u, key=lambda i: points[i]["C"]) if len(u) > 1 else u for u in units.values()]


def shards_of(
    points: list[dict], seconds: float | None, target: float, weights: list | None = None
) -> list[list[dict]]:
    """Split a grid into shards of about ``target`` estimated seconds, balanced by estimated
    cost (``weights``, each point's seconds, else its relative cost; longest unit first, each
    to the lightest shard), each in grid order. A warm path is one unit (:func:`path_units`):
    never cut."""
    real = [p for p in points if p["status"] != Status.SKIPPED]
    units = path_units(points)
    n = 1 if not seconds else max(1, min(len(units), len(real) or 1, math.ceil(seconds / target)))
    if n == 1:
        return [points]
    if weights is None or None in weights:
        weights = [relative_cost(p) for p in points]
    unit_weight = [sum(weights[i] or 0.0 for i in u) for u in units]
    loads = [0.0] * n
    members: list[list[int]] = [[] for _ in range(n)]
    for u in sorted(range(len(units)), key=lambda u: -unit_weight[u]):
        j = loads.index(min(loads))
        members[j].extend(units[u])
        loads[j] += unit_weight[u]
    return [[points[i] for i in sorted(m)] for m in members if m]


def shard_jobs(plan: Plan) -> tuple[list[Job], list[Job]]:
    """(prepare jobs, fit jobs) of the shard mode."""
    target = plan.filled["shard_minutes"] * 60.0
    prepares, fits = [], []
    for name, e in plan.experiments.items():
        prepare = Job(
            "prepare",
            name,
            {
                "store": str(plan.store),
                "experiment": name,
                "exp": fit_job_experiment(e["exp"]),
                "prepared": e["prepared"],
                "data_sha256": e["data_sha256"],
            },
        )
        prepares.append(prepare)
        shards = shards_of(e["points"], e["seconds"], target, e["point_seconds"])
        for i, points in enumerate(shards, 1):
            label = name if len(shards) == 1 else f"{name}.{i}of{len(shards)}"
            seconds = None if e["seconds"] is None else e["seconds"] / len(shards)
            fits.append(
                Job(
                    "fit",
                    label,
                    _fit_params(plan, {name: points}, False),
                    inputs=[plan.token(prepare)],
                    threads=threads_for(seconds),
                )
            )
    return prepares, fits


def fit_mode(configured: str, local_exec: bool, main: bool, default_resources=()) -> str:
    """The shape of the fit jobs (``fit_jobs``): as configured, or for ``auto`` ``pack`` where
    Snakemake runs the jobs on this machine and ``shard`` where it sends them elsewhere.

    Called when Snakemake builds its DAG, once it knows its executor (``local_exec``). Two
    cases where that says nothing: inside a cluster job (``main`` False) Snakemake runs the
    rule with its local executor again, and such a process exists only for a run that sent
    its jobs away (found by tests/workflow/test_slurm.py: a job's DAG asked for a pack job's
    output);
    and a dry run (``-n``) always has the local "dryrun" executor, so Slurm settings among the
    default resources (``slurm_partition=``, ``slurm_account=``, as profiles/slurm sets them)
    say that the real run would go to the cluster, and ``-n`` shows what it would do."""
    if configured != "auto":
        return configured
    slurm = any(str(r).startswith("slurm_") for r in default_resources or ())
    return "pack" if local_exec and main and not slurm else "shard"


def publish_params(plan: Plan) -> dict:
    """What the publish job gets: the whole plan (the grid expanded once, here)."""
    return {
        "store": str(plan.store),
        "version": plan.version,
        "sweep": plan.sweep,
        "figures": plan.filled["figures"],
        "figure_settings": figure_settings(plan.filled),
        # how the jobs were cut (fit_jobs, shard_minutes) is not part of the version: its
        # config.yaml must be the same bytes whichever way it was run
        "effective": version_settings(plan.filled),
        "sources": plan.sources,
        "experiments": plan.experiments,
    }


class Jobs:
    """Every job a plan can run, in both shapes (the executor, known only when Snakemake
    builds its DAG, picks one), found by (rule, name, key) when a job runs."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._pack: list[Job] | None = None
        self._shard: tuple[list[Job], list[Job]] | None = None
        self.publish = Job("publish", plan.version, publish_params(plan))

    @property
    def pack(self) -> list[Job]:
        if self._pack is None:
            self._pack = pack_jobs(self.plan)
        return self._pack

    @property
    def shard(self) -> tuple[list[Job], list[Job]]:
        if self._shard is None:
            self._shard = shard_jobs(self.plan)
        return self._shard

    @property
    def names(self) -> list[str]:
        prepares, fits = self.shard
        return sorted({j.name for j in [*self.pack, *prepares, *fits]})

    def fits(self, mode: str) -> list[Job]:
        return self.pack if mode == "pack" else self.shard[1]

    def get(self, rule: str, name: str, key: str) -> Job:
        candidates = {
            "prepare": lambda: self.shard[0],
            "fit": lambda: [*self.pack, *self.shard[1]],
        }[rule]()
        for job in candidates:
            if job.name == name and job.key == key:
                return job
        raise KeyError(f"no {rule} job {name}-{key} in this plan")

    def records(self, mode: str, results: str) -> list[tuple[str, str, str]]:
        """(rule, job label, benchmark file) of the jobs of ``mode``."""
        jobs = self.fits(mode) + (self.shard[0] if mode == "shard" else [])
        return [(j.rule, j.label, f"{results}/benchmarks/{j.rule}/{j.label}.tsv") for j in jobs]
