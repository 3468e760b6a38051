"""Version folders: complete, checked, never written again; and the ``latest`` link.

A version folder ``results/<sweep>/v-…`` is assembled in a temporary folder and renamed into
place whole, with ``SHA256SUMS`` (``sha256sum -c`` reads it) listing every other file. Once it
exists it is never modified: a run that maps onto it only points ``latest`` at it. A version
found damaged (a file missing, or not matching its checksum) is moved aside, never used, and
made again.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from lrsweep.store.files import sha256_file, temp_name

# A sweep folder ``results/<sweep>/``: ``store/``, the version folders ``v-…``, ``latest`` (a
# link to one of them) and ``history.jsonl`` (:mod:`lrsweep.store.history`).
#: The link to the version a sweep's last run completed (or pointed at).
LATEST = "latest"

# The files of a version folder (what its ``SHA256SUMS`` lists); a fit's files in it, under
# :func:`fit_folder`, are named by :mod:`lrsweep.fit.record` and :mod:`lrsweep.score.record`.
#: The checksum of every other file of the version (``sha256sum -c`` reads it).
SUMS = "SHA256SUMS"
#: What made the version: keys, settings, data files, libraries, git, the run's times.
PROVENANCE = "provenance.json"
#: The text printed at the end of the run that made the version.
SUMMARY = "summary.txt"
#: One row per grid point: settings, status, scores.
METRICS = "metrics.csv"
#: The estimates of every fit (statsmodels: one block per covariance type).
COEFFICIENTS = "coefficients.csv"
#: statsmodels fits' coefficient tables and average marginal effects.
INFERENCE, MARGINAL_EFFECTS = "inference.csv", "marginal_effects.csv"
#: The selected fit of each experiment and the fits not significantly worse.
LEADERBOARD = "leaderboard.md"
#: The expanded grid the version was made from.
GRID = "grid.json"
#: Cross-validation: per fold, and the selection along C of each model family.
CV_FOLDS, CV_SELECTION = "cv_folds.csv", "cv_selection.csv"
#: Paired tests against the selected fit, and the scikit-learn / statsmodels agreement.
COMPARISONS, AGREEMENT = "comparisons.csv", "agreement.csv"
#: The version's HTML page.
REPORT = "report.html"
#: The folders of the fits' files and of the figures.
FITS, FIGURES = "fits", "figures"


def fit_folder(experiment: str, model_id: str) -> str:
    """A grid point's folder in a version (relative): ``fits/<experiment>/<model_id>``."""
    return f"{FITS}/{experiment}/{model_id}"


def write_checksums(folder: Path) -> None:
    """``SHA256SUMS`` of every file under ``folder`` (sorted, relative paths)."""
    lines = [f"{sha256_file(folder / name)}  {name}" for name in present_files(folder)]
    (folder / SUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")


def listed_files(folder: Path) -> list[tuple[str, str]]:
    """(checksum, relative path) of every line of ``SHA256SUMS``; ValueError naming the first
    line that is not ``<64 hex digits>  <path>``."""
    out = []
    text = (folder / SUMS).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        checksum, _, name = line.partition("  ")
        if len(checksum) != 64 or not name or any(c not in "0123456789abcdef" for c in checksum):
            raise ValueError(f"{folder / SUMS} line {number} is not '<sha256>  <path>'")
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            raise ValueError(f"{folder / SUMS} line {number} names a path outside the version")
        out.append((checksum, name))
    return out


def present_files(folder: Path) -> list[str]:
    """Every entry under ``folder`` that is not a directory (files, links, anything else), as
    relative paths, ``SHA256SUMS`` aside."""
    out = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        links = [d for d in dirs if (here / d).is_symlink()]  # a link to a folder: not walked
        for name in files + links:
            relative = (here / name).relative_to(folder).as_posix()
            if relative != SUMS:
                out.append(relative)
    return sorted(out)


def problems(folder: Path, digest=sha256_file, first_only: bool = False) -> list[str]:
    """Every file of a version that is missing or differs from its recorded checksum, and
    every file there that ``SHA256SUMS`` does not list (a damaged ``SHA256SUMS`` counts as
    one problem). ``digest``: a function of a path, for
    example a :class:`lrsweep.store.keys.FileChecksums`, which hashes only files whose size, times
    or inode changed since it last did."""
    try:
        listed = listed_files(folder)
    except FileNotFoundError:
        return [f"{folder / SUMS} is missing"]
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return [str(exc)]
    out = []
    for checksum, name in listed:
        path = folder / name
        if path.is_symlink():
            out.append(f"{path} is a symbolic link, not a file of the version")
        elif not path.is_file():
            out.append(f"{path} is missing")
        elif digest(path) != checksum:
            out.append(f"{path} does not match its recorded checksum")
        if out and first_only:
            return out
    # a version is exactly the files SHA256SUMS lists: anything else was put there
    names = {name for _, name in listed}
    extra = [name for name in present_files(folder) if name not in names]
    for name in extra[: 1 if first_only else None]:
        out.append(f"{folder / name} is not listed in {SUMS} (a file added to the version)")
    return out


def looks_complete(folder: Path) -> bool:
    """Cheap check: the checksum list is there and every file it lists exists (a whole check
    is :func:`problems`)."""
    try:
        return all((folder / name).is_file() for _, name in listed_files(folder))
    except (OSError, ValueError):
        return False


def install(staging: Path, target: Path) -> str:
    """Rename a whole version folder into place. Returns ``"new"``, or ``"existing"`` when a
    whole, undamaged copy was already there (the staging copy is then dropped: a version is
    never written twice), or ``"replaced"`` when the one there was damaged (it is moved aside
    as ``<version>.damaged-<time>``, never used)."""
    import shutil

    try:
        os.rename(staging, target)
        return "new"
    except OSError:
        if not target.exists():
            raise
    if not problems(target):
        shutil.rmtree(staging, ignore_errors=True)
        return "existing"
    aside = target.with_name(f"{target.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    os.rename(target, aside)
    os.rename(staging, target)
    return "replaced"


def read_latest(sweep_dir: str | Path) -> str | None:
    link = Path(sweep_dir) / LATEST
    return os.readlink(link) if link.is_symlink() else None


def update_latest(sweep_dir: str | Path, version: str) -> None:
    """Point ``<sweep_dir>/latest`` at ``version`` (atomically: a new link renamed over)."""
    sweep_dir = Path(sweep_dir)
    tmp = temp_name(sweep_dir / LATEST)
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(version, tmp)
    os.replace(tmp, sweep_dir / LATEST)


def list_versions(sweep_dir: str | Path) -> list[dict]:
    """Complete versions of a sweep, oldest first (by the time their run ended)."""
    sweep_dir = Path(sweep_dir)
    latest = read_latest(sweep_dir)
    rows = []
    for d in sweep_dir.glob("v-*"):
        prov = d / PROVENANCE
        if "." in d.name or not prov.is_file():
            continue
        try:
            info = json.loads(prov.read_text())
        except (OSError, ValueError):  # damaged: still listed, so that verify can name it
            info = {"experiments": ["(provenance.json unreadable: run lrsweep verify)"]}
        rows.append(
            {
                "version": d.name,
                "run_ended": info.get("run_ended"),
                "experiments": ", ".join(info.get("experiments", [])),
                "grid_points": info.get("grid_points"),
                "failed": info.get("failed", 0),
                "data_files": ", ".join(info.get("data_files", [])) or "-",
                "commit": ((info.get("git") or {}).get("commit") or "")[:10] or None,
                "latest": d.name == latest,
            }
        )
    return sorted(rows, key=lambda r: r["run_ended"] or "")
