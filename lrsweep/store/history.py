"""What ``latest`` pointed at over time: ``results/<sweep>/history.jsonl``.

Every time a run points ``latest`` at a version (a new one, or one complete already), one line
is appended: when, which version, the config file(s) of the run, the number of grid points and
failures, and per experiment the selected fit and its test accuracy. The file is only ever
appended to, one ``write`` per line (``O_APPEND``: two runs appending at once never mix their
lines), and is what ``latest~N`` walks and ``lrsweep versions`` shows.

A sweep folder made before the history existed has no file: its history is then read as its
complete versions by the time their runs ended, ``latest``'s target last (marked ``seeded``),
and that is written out before the first real line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from lrsweep.store.versions import (
    COEFFICIENTS,
    METRICS,
    PROVENANCE,
    SUMMARY,
    list_versions,
    read_latest,
    update_latest,
)

HISTORY = "history.jsonl"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _seeded(sweep_dir: Path) -> list[dict]:
    """The history of a sweep folder without a history file (see the module docstring)."""
    rows = list_versions(sweep_dir)
    current = read_latest(sweep_dir)
    rows = [r for r in rows if r["version"] != current] + [
        r for r in rows if r["version"] == current
    ]
    return [
        {
            "time": r["run_ended"],
            "version": r["version"],
            "config": [],
            "grid_points": r["grid_points"],
            "failed": r["failed"],
            "selected": {},
            "seeded": True,
        }
        for r in rows
    ]


def read_history(sweep_dir: str | Path) -> list[dict]:
    """Every line of the history, oldest first (lines that are not a JSON object naming a
    version are skipped: a line cut short by a full disk is not a pointing)."""
    sweep_dir = Path(sweep_dir)
    try:
        text = (sweep_dir / HISTORY).read_text(encoding="utf-8")
    except FileNotFoundError:
        return _seeded(sweep_dir)
    out = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("version"), str):
            out.append(entry)
    return out


def chain(sweep_dir: str | Path) -> list[str]:
    """The versions ``latest`` pointed at, oldest first, a version pointed at twice in a row
    counted once, ending with ``latest``'s target: ``latest~N`` is ``chain[-1 - N]``."""
    out: list[str] = []
    for entry in read_history(sweep_dir):
        if not out or out[-1] != entry["version"]:
            out.append(entry["version"])
    current = read_latest(sweep_dir)
    if current and (not out or out[-1] != current):  # latest moved by hand: it is current
        out.append(current)
    return out


def selected_fits(version_dir: Path) -> dict:
    """Per experiment of a version: the selected fit's model_id and test accuracy (None when
    no fit may be selected)."""
    import pandas as pd

    from lrsweep.results import selection

    metrics = pd.read_csv(version_dir / METRICS)
    coefs = pd.read_csv(version_dir / COEFFICIENTS)
    out = {}
    for name, group in metrics.groupby("experiment", sort=False):
        nonzero = selection.nonzero_counts(coefs[coefs["experiment"] == name])
        best = selection.selected(group, nonzero)
        out[str(name)] = (
            None
            if best is None
            else {"model_id": str(best["model_id"]), "accuracy_test": float(best["accuracy_test"])}
        )
    return out


def entry_for(version_dir: Path, config_files: list[str]) -> dict:
    """The history line of pointing ``latest`` at a complete version."""
    info = json.loads((version_dir / PROVENANCE).read_text(encoding="utf-8"))
    return {
        "time": _now(),
        "version": version_dir.name,
        "config": list(config_files),
        "grid_points": info.get("grid_points"),
        "failed": info.get("failed", 0),
        "selected": selected_fits(version_dir),
    }


def append(sweep_dir: str | Path, entry: dict, seed: list[dict] = ()) -> None:
    """Append one line; ``seed``: the lines written before it when there is no file yet (as
    :func:`read_history` reads a sweep folder without one, taken before ``latest`` moved)."""
    path = Path(sweep_dir) / HISTORY
    lines = [] if path.exists() else list(seed)
    data = "".join(json.dumps(e, sort_keys=True) + "\n" for e in [*lines, entry])
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data.encode("utf-8"))
    finally:
        os.close(fd)


def point_latest(version_dir: Path, config_files: list[str]) -> bool:
    """Point ``latest`` at a complete version and record it in the history; False (and
    nothing written) when it pointed there already."""
    sweep_dir = version_dir.parent
    if read_latest(sweep_dir) == version_dir.name:
        return False
    entry = entry_for(version_dir, config_files)
    seed = [] if (sweep_dir / HISTORY).exists() else _seeded(sweep_dir)
    seed = [e for e in seed if e["version"] != version_dir.name]  # its own line follows
    update_latest(sweep_dir, version_dir.name)
    append(sweep_dir, entry, seed)
    return True


def _one_line(text) -> str:
    return str(text).replace("\r", "\\r").replace("\n", "\\n")


def _score(selected) -> str:
    if not selected:
        return "-"
    return f"{selected['model_id']} ({selected['accuracy_test']:.4g})"


def _when(stamp: str | None) -> str:
    return (stamp or "?").replace("T", " ").replace("+00:00", "")


def _step_names(entries: list[dict]) -> list[str]:
    """The ``latest~N`` name of each history line, newest first (a version pointed at twice in
    a row is named once)."""
    names, step, previous = [], 0, None
    for entry in reversed(entries):
        version = entry["version"]
        if previous is not None and version != previous:
            step += 1
        names.append("" if version == previous else ("latest" if step == 0 else f"latest~{step}"))
        previous = version
    return names


def _note(entry: dict, row: dict | None) -> str:
    """What the note column says about a history line (``row``: its version, if still there)."""
    if row and row["experiments"].startswith("(provenance.json unreadable"):
        return row["experiments"].strip("()")
    if entry.get("seeded"):
        return "made before the history was kept (time: when its run ended)"
    return "removed" if row is None else ""


def _selections(sweep_dir: Path, versions: dict):
    """A function: a history line's selected fits (recorded in it, else read from its version,
    once per version)."""
    found: dict[str, dict] = {}

    def selected(entry) -> dict:
        if entry.get("selected") or entry["version"] not in versions:
            return entry.get("selected") or {}
        if entry["version"] not in found:
            try:
                found[entry["version"]] = selected_fits(sweep_dir / entry["version"])
            except (OSError, ValueError, KeyError):
                found[entry["version"]] = {}
        return found[entry["version"]]

    return selected


def versions_table(sweep_dir: str | Path) -> tuple[list[str], list[list]]:
    """``lrsweep versions``: the history newest first, one row per time a run pointed latest
    (its ``latest~N`` name, when, the version, the run's config files, grid points, failures,
    and per experiment the selected fit with its test accuracy), then the complete versions
    latest never pointed at. (columns, rows)."""
    sweep_dir = Path(sweep_dir)
    versions = {r["version"]: r for r in list_versions(sweep_dir)}
    entries = read_history(sweep_dir)
    current = read_latest(sweep_dir)
    if current and (not entries or entries[-1]["version"] != current):
        entries.append({"version": current, "time": None, "config": [], "selected": {}})
    selected = _selections(sweep_dir, versions)
    experiments: list[str] = []
    for entry in entries:
        experiments += [e for e in selected(entry) if e not in experiments]
    rows = []
    for name, entry in zip(_step_names(entries), reversed(entries), strict=True):
        row = versions.get(entry["version"])
        scores = selected(entry)
        rows.append(
            [
                name,
                _when(entry.get("time")),
                entry["version"],
                _one_line(" + ".join(entry.get("config") or []) or "-"),
                entry.get("grid_points", row and row["grid_points"]),
                entry.get("failed", row and row["failed"]),
                *(_score(scores.get(e)) for e in experiments),
                _note(entry, row),
            ]
        )
    pointed = {e["version"] for e in entries}
    for version, row in versions.items():
        if version not in pointed:
            rows.append(
                [
                    "",
                    _when(row["run_ended"]),
                    version,
                    "-",
                    row["grid_points"],
                    row["failed"],
                    *(_score(selected({"version": version}).get(e)) for e in experiments),
                    "never latest",
                ]
            )
    columns = ["name", "pointed at (UTC)", "version", "config", "grid points", "failed"]
    return [*columns, *experiments, "note"], rows


def finish_run(version_dir: Path, existed: bool, config_files=()) -> tuple[str, bool]:
    """Point ``latest`` at a complete version (recorded in the history); the text to print
    and whether it has failed grid points."""
    info = json.loads((version_dir / PROVENANCE).read_text())
    point_latest(version_dir, list(config_files))
    if existed:
        text = (
            f"lrsweep: {version_dir} was complete already: nothing recomputed; "
            f"{version_dir.parent}/latest -> {version_dir.name}\n"
        )
        if info.get("failed"):
            text += (version_dir / SUMMARY).read_text(encoding="utf-8")
    else:
        text = (version_dir / SUMMARY).read_text(encoding="utf-8")
    return text, bool(info.get("failed"))
