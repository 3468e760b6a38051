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

from lrsweep.store.versions import PROVENANCE, list_versions, read_latest, update_latest

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


def entry_for(version_dir: Path, config_files: list[str], selected: dict) -> dict:
    """The history line of pointing ``latest`` at a complete version (``selected``: per
    experiment its selected fit's model_id and test accuracy, or None)."""
    info = json.loads((version_dir / PROVENANCE).read_text(encoding="utf-8"))
    return {
        "time": _now(),
        "version": version_dir.name,
        "config": list(config_files),
        "grid_points": info.get("grid_points"),
        "failed": info.get("failed", 0),
        "selected": selected,
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


def point_latest(version_dir: Path, config_files: list[str], selected: dict) -> bool:
    """Point ``latest`` at a complete version and record it in the history (``selected``: see
    :func:`entry_for`); False (and nothing written) when it pointed there already."""
    sweep_dir = version_dir.parent
    if read_latest(sweep_dir) == version_dir.name:
        return False
    entry = entry_for(version_dir, config_files, selected)
    seed = [] if (sweep_dir / HISTORY).exists() else _seeded(sweep_dir)
    seed = [e for e in seed if e["version"] != version_dir.name]  # its own line follows
    update_latest(sweep_dir, version_dir.name)
    append(sweep_dir, entry, seed)
    return True
