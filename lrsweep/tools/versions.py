"""``lrsweep versions``: a sweep's history of ``latest`` and its versions, as one table."""

from __future__ import annotations

from pathlib import Path

from lrsweep.results.selection import selected_fits
from lrsweep.store.history import read_history
from lrsweep.store.versions import list_versions, read_latest


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
