"""Getting a verified entry from the store, or computing it (again) and storing it.

:func:`prepared_data`, :func:`fit_entry`, :func:`scores_entry`, :func:`fitfig_entry` and
:func:`overview_entry` return a verified entry, or compute it and store it, with one warning
line when a stored one was damaged. The fit, score and publish jobs all read the store
through them, so a store damaged by hand is repaired by the next run, whichever job reads it
first.
"""

from __future__ import annotations

from lrsweep.fit.record import COEFFICIENTS
from lrsweep.store.entries import DamagedEntry, Store, npy_name, open_verified


def experiment_label(name: str) -> str:
    return f"experiment '{name}'"


def prepared_data(store: Store, name: str, spec: dict, log=None):
    """An experiment's prepared data (``spec``: exp, prepared key, data checksum): read from the
    store when there and whole, else prepared from the dataset and stored."""
    from lrsweep.prepare.design import load_prepared, prepare_experiment, save_prepared

    entry = open_verified(store, "prepared", spec["prepared"], experiment_label(name), names=())
    if entry is not None:
        try:
            return load_prepared(entry)
        except DamagedEntry as exc:  # a file that fails its checksum (the message names it)
            store.discard("prepared", spec["prepared"], str(exc))
        except Exception as exc:  # a file that passes it but cannot be read: recompute
            store.discard("prepared", spec["prepared"], f"{experiment_label(name)}: {exc}")
    prepared = prepare_experiment(name, spec["exp"], expected_sha256=spec["data_sha256"])
    store.put(
        "prepared",
        spec["prepared"],
        lambda w: save_prepared(prepared, w),
        label=experiment_label(name),
    )
    if log:
        log.info(
            "%s: prepared %d train / %d test rows, %d features, classes %s, %d rows dropped",
            name,
            prepared.meta["n_train"],
            prepared.meta["n_test"],
            prepared.meta["n_features"],
            prepared.class_names,
            prepared.meta["dropped_rows"],
        )
    return prepared


def fit_label(point: dict) -> str:
    return f"{experiment_label(point['experiment'])} ({point['model_id']})"


def stored_fit(store: Store, point: dict):
    """The verified store entry of a grid point, or None."""
    return open_verified(store, "fits", point["key"], fit_label(point))


def compute_fit(store: Store, prepared, point: dict, init: dict | None = None):
    """Fit and store one grid point (on a warm path from ``init``, the previous point's path
    state); its entry."""
    from lrsweep.fit.record import fit_point

    fitted = fit_point(prepared, point, init)
    return store_fitted(store, prepared, point, fitted), fitted


def path_start(store: Store, point: dict) -> dict | None:
    """Where a point on a warm C path starts: the path state of the point below it, read back
    from its verified store entry (None for a path's first point and for a cold point). The
    fit job fits a path in order, so that point is stored before; when it is not (its entry
    removed while the jobs ran), this is an error that says so."""
    from lrsweep.fit.record import stored_path_state

    previous = (point.get("path") or {}).get("previous")
    if not previous:
        return None
    label = f"{fit_label(point)}: the point below it on its warm C path"
    entry = open_verified(store, "fits", previous, label)
    if entry is None:
        raise LookupError(f"{label} is not in the store (run again: it is fitted first)")
    return stored_path_state(entry)


def store_fitted(store: Store, prepared, point: dict, fitted: dict):
    """Store a grid point's fit (:func:`lrsweep.fit.record.fit_point`'s); its entry."""
    from lrsweep.fit.record import fit_files

    files = fit_files(fitted, prepared)
    return store.put_files(
        "fits", point["key"], files, info={"libraries": _libraries()}, label=fit_label(point)
    )


def fit_entry(store: Store, prepared, point: dict):
    """A grid point's verified entry, computed (again) when missing or damaged."""
    entry = stored_fit(store, point)
    if entry is None:
        entry, _ = compute_fit(store, prepared, point, path_start(store, point))
    return entry


def stored_scores(store: Store, point: dict):
    """The verified scores entry of a grid point, or None."""
    return open_verified(store, "scores", point["score_key"], fit_label(point))


def scores_entry(store: Store, prepared, point: dict, entry):
    """A grid point's verified scores entry, computed from its fit ``entry`` (never refitted)
    when missing or damaged."""
    from lrsweep.fit.record import stored_fit as read_fit
    from lrsweep.score.record import score, score_files

    existing = stored_scores(store, point)
    if existing is not None:
        return existing
    files = score_files(score(read_fit(entry, point), prepared), prepared)
    return store.put_files("scores", point["score_key"], files, label=fit_label(point))


def _libraries() -> dict:
    from lrsweep.store.keys import library_versions

    return library_versions()


def fitfig_entry(store: Store, prepared, point: dict, entry, scores):
    """A grid point's figures (confusion matrix, and the tutorial's figure for one or two
    features), drawn from its fit and scores entries when missing or damaged."""
    label = f"{fit_label(point)} figures"
    existing = open_verified(store, "fitfigs", point["figkey"], label)
    if existing is not None:
        return existing  # matplotlib is imported only to draw (about 1 s)
    from lrsweep.fit.record import read_coefficients
    from lrsweep.results.figures import draw_fit_figures
    from lrsweep.score.record import read_record

    record = read_record(scores)
    coefs = read_coefficients(entry) if COEFFICIENTS in entry.names() else None
    pngs = draw_fit_figures(record, coefs, prepared, point["experiment"])
    return store.put_files("fitfigs", point["figkey"], pngs, label=label)


def overview_entry(store: Store, name: str, spec: dict, light, settings: dict, entries=None):
    """An experiment's overview figures (plots over its grid), from the store, or drawn from
    its fits' entries (``entries``: model_id -> (fit entry, scores entry), when the caller
    has them)."""
    label = f"{experiment_label(name)} overview figures"
    existing = open_verified(store, "figures", spec["overview"], label)
    if existing is not None:
        return existing  # matplotlib is imported only to draw (about 1 s)
    from lrsweep.results.figures import draw_overview
    from lrsweep.results.tables import collect, estimates_of
    from lrsweep.score.record import read_record

    ids = [p["model_id"] for p in spec["points"]]
    entries = entries or {
        p["model_id"]: (stored_fit(store, p), stored_scores(store, p)) for p in spec["points"]
    }
    fits = [(name, read_record(scores), entry, scores) for entry, scores in map(entries.get, ids)]
    metrics, coefs = collect(fits)
    coefs = estimates_of(coefs)  # the first cov_type's intervals: one row per coefficient
    files = draw_overview(
        name,
        metrics,
        coefs,
        lambda m: entries[m][0].load_npy(npy_name("proba_test")),
        light,
        settings["metric"],
        svg=settings["svg"],
    )
    return store.put_files("figures", spec["overview"], files, label=label)


def stored_status(entry) -> str:
    from lrsweep.fit.record import read_fit_record

    return read_fit_record(entry)["status"]
