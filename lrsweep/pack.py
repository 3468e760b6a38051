"""Fit jobs: which experiments share one (decided at parse time from the config alone), and
running one (preparing each experiment's data, then fitting all their grid points in one pool).

One job per experiment would start a process and import scikit-learn (1-2 s) once per
experiment, one after another while the other cores wait, and a job's worker pool cannot lend
a core to another job's slowest fit. So experiments of small work are packed into one job, as
an in-process loop would run them; an experiment of large work or data has a job of its own,
which a cluster can send to a node of its own.
"""

from __future__ import annotations

from pathlib import Path

from lrsweep.config import experiment_grid
from lrsweep.data import atomic_write_text, prepare_cached
from lrsweep.errors import DataError
from lrsweep.store import (
    MANIFEST,
    dumps,
    estimated_cost,
    experiment_dirs,
    run_batches,
    write_manifest,
)

#: rows, features and classes of the bundled datasets (to size jobs at parse time)
BUNDLED_SHAPES = {
    "digits": (1797, 64, 10),
    "breast_cancer": (569, 30, 2),
    "iris": (150, 4, 3),
    "wine": (178, 13, 3),
}


def dataset_shape(dataset: dict) -> tuple[int, int, int] | None:
    """(rows, features, classes) known from the config alone, or None (csv, parquet)."""
    source = dataset["source"]
    if source == "sklearn":
        return BUNDLED_SHAPES[dataset["name"]]
    if source == "synthetic":
        return dataset["n_samples"], dataset["n_features"], dataset["n_classes"]
    if source == "inline":
        return len(dataset["x"]), len(dataset["x"][0]), len({str(v) for v in dataset["y"]})
    return None


def experiment_work(exp: dict, points: list[dict]) -> float | None:
    """A parse-time estimate of an experiment's fitting work, or None when the data's size is
    not known from the config (csv, parquet).

    Work is rows x features x (classes - 1) x the summed cost estimates of the points. Measured
    on the bench machine, 2e7 of it is roughly a second of one core: digits' 64-point bench
    grid is 4.1e8 (about 22 s of fits and bootstraps), the 200,000 x 50 synthetic grid 4.8e8
    (about 15 s).
    """
    shape = dataset_shape(exp["dataset"])
    if shape is None:
        return None
    rows, features, classes = shape
    return rows * features * max(1, classes - 1) * sum(estimated_cost(p) for p in points)


def fit_threads(work: float | None, most: int = 8, small: float = 3e6) -> int:
    """Threads for a fit job doing ``work`` (see :func:`experiment_work`): 1 when it is small
    (the tutorial's examples, iris: forking workers would cost more than the fits), else
    ``most`` (Snakemake scales it down to ``--cores``). Unknown work gets ``most``.

    breast_cancer's 64-point bench grid (6.7e6) took 1.6 s on one core, half that on two.
    """
    return 1 if work is not None and work < small else most


def pack_threads(members: list[str], experiments: dict, grids: dict) -> int:
    """Threads for the fit job of a pack: :func:`fit_threads` of its experiments' work."""
    works = [experiment_work(experiments[name], grids[name]) for name in members]
    return fit_threads(None if None in works else sum(works))


#: Work (see :func:`experiment_work`) above which an experiment gets a fit job of its own:
#: about two and a half minutes of one core. Below it, a job's fixed cost (a second or two to
#: start and import scikit-learn, more in a cluster's queue) is a large share of its fits.
OWN_JOB_WORK = 3e9
#: Data size (rows x features) above which an experiment gets a fit job of its own, so that
#: a job never holds two large datasets in memory: 2e7 values are 160 MB as float64.
OWN_JOB_CELLS = 2e7


def pack_name(members: list[str]) -> str:
    """A pack's name: its experiment's, or its experiments' joined by '+' (a character
    experiment names cannot hold), shortened to the first and a count when that is long."""
    name = "+".join(members)
    if len(name) > 80:
        name = f"{members[0]}+{len(members) - 1}-more"
    return name


def fit_packs(
    experiments: dict, grids: dict, own_work: float = OWN_JOB_WORK, own_cells: float = OWN_JOB_CELLS
) -> dict[str, list[str]]:
    """Which experiments share a fit job: ``{pack name: [experiments]}``, in config order.

    An experiment of large work or data, or of unknown size (csv, parquet), gets a job of its
    own; the others are packed together in config order, a pack being closed when its work
    would pass ``own_work``.
    """
    packs: list[list[str]] = []
    open_pack: list[str] = []
    open_work = 0.0
    for name, exp in experiments.items():
        work = experiment_work(exp, grids[name])
        shape = dataset_shape(exp["dataset"])
        if work is None or work >= own_work or shape[0] * shape[1] > own_cells:
            packs.append([name])
            continue
        if open_pack and open_work + work > own_work:
            open_pack, open_work = [], 0.0
        if not open_pack:
            packs.append(open_pack)
        open_pack.append(name)
        open_work += work
    return {pack_name(members): members for members in packs}


def run_pack(experiments: dict, bootstrap: dict, pack_file: str | Path, code: str, n_jobs, log):
    """The fit job of a pack: prepare each experiment's data (read back while its key matches),
    fit all their grid points that have no stored result in one pool of ``n_jobs`` workers,
    write each experiment's ``manifest.json``, then ``pack_file``.

    A data error stops its experiment only: the others are fitted and kept, then a DataError
    with every experiment's error, one line each, ends the job (``pack_file`` is not written).
    """
    batches, errors = {}, []
    for name, exp in experiments.items():
        prepared_dir, fits_dir = experiment_dirs(pack_file, name)
        try:
            prepared, meta = prepare_cached(name, exp, prepared_dir, code)
        except DataError as exc:
            log.error("%s", exc)
            errors.append(str(exc))
            continue
        log.info(
            "%s: %d train / %d test rows, %d features, classes %s, %d rows dropped",
            name,
            meta["n_train"],
            meta["n_test"],
            meta["n_features"],
            meta["classes"],
            meta["dropped_rows"],
        )
        batches[name] = (prepared_dir, experiment_grid(name, exp, bootstrap), fits_dir, prepared)
    manifests = dict(zip(batches, run_batches(list(batches.values()), code, n_jobs), strict=True))
    for name, manifest in manifests.items():
        log.info(
            "%s: fitted %d, reused %d (%.2f s for the pack, %d workers)",
            name,
            len(manifest["fitted"]),
            len(manifest["reused"]),
            manifest["seconds"],
            n_jobs,
        )
        for failure in manifest["failures"]:
            log.warning(
                "%s %s failed: %s\n%s",
                name,
                failure["model_id"],
                failure["reason"],
                failure["traceback"],
            )
        write_manifest(batches[name][2] / MANIFEST, manifest)
    if errors:
        # one line each; lrsweep.smk.run prints the first with "lrsweep: " in front
        raise DataError("\nlrsweep: ".join(errors))
    atomic_write_text(pack_file, dumps({n: str(b[2] / MANIFEST) for n, b in batches.items()}))
    return manifests
