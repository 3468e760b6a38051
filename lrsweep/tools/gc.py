"""``lrsweep gc``: reclaim the space of what no remaining version uses.

What it removes from ``results/<sweep>/``:

- with ``--keep-last N``, the version folders older than the N most recent in the history of
  ``latest`` (:mod:`lrsweep.store.history`; versions latest never pointed at count by the time
  their run ended); ``latest``'s target is always kept;
- every store entry (``store/<kind>/<key>/``) whose key no remaining version records (its
  ``grid.json`` and the keys of its ``provenance.json``), unless one of its files is a hard
  link of a remaining version's file; entries without ``MANIFEST.json`` (damage);
- the job tokens and report copies of removed versions and entries (``store/jobs/``,
  ``store/reports/``), so that a later run makes again exactly what was removed, and the
  tokens of past ``latest`` jobs (records only: no run looks for them again);
- partial leftovers: temporary folders and files of killed runs, and damaged versions moved
  aside (``v-….damaged-<time>``).

A version's files are hard links into the store, so removing an entry never touches a
version; the space comes back when the last link goes (what is printed counts only that).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lrsweep.errors import LrsweepError
from lrsweep.store.entries import MANIFEST
from lrsweep.store.files import stale_temp, temp_name
from lrsweep.store.versions import GRID, PROVENANCE, list_versions, read_latest

KEY = re.compile(r"[0-9a-f]{20}")
NOT_ENTRIES = ("jobs", "reports")


@dataclass
class Plan:
    """What ``gc`` removes: version folders, store entries, tokens and leftovers."""

    versions: list[Path] = field(default_factory=list)
    entries: list[Path] = field(default_factory=list)
    tokens: list[Path] = field(default_factory=list)
    leftovers: list[Path] = field(default_factory=list)

    def paths(self) -> list[Path]:
        return [*self.versions, *self.entries, *self.tokens, *self.leftovers]


def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def recorded_keys(version_dir: Path) -> set[str]:
    """Every content key a version records (grid points' fits and figures, prepared data,
    overview figures)."""
    out = set()
    for name, part in ((GRID, None), (PROVENANCE, "keys")):
        try:
            data = json.loads((version_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        data = data.get(part, {}) if part and isinstance(data, dict) else data
        out |= {s for s in _strings(data) if KEY.fullmatch(s)}
    return out


def _inodes(folder: Path) -> set[tuple[int, int]]:
    out = set()
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            st = path.stat()
            out.add((st.st_dev, st.st_ino))
    return out


def recency(sweep_dir: Path) -> list[str]:
    """The versions, most recently pointed at by ``latest`` first; then the ones latest never
    pointed at, newest first."""
    from lrsweep.store.history import chain

    out: list[str] = []
    for version in reversed(chain(sweep_dir)):
        if version not in out:
            out.append(version)
    rows = sorted(list_versions(sweep_dir), key=lambda r: r["run_ended"] or "", reverse=True)
    return [v for v in out if (sweep_dir / v).is_dir()] + [
        r["version"] for r in rows if r["version"] not in out
    ]


def plan_gc(sweep_dir: Path, keep_last: int | None = None) -> Plan:
    """What :func:`collect` removes (nothing is removed here)."""
    plan = Plan()
    current = read_latest(sweep_dir)
    if keep_last is not None:
        order = recency(sweep_dir)
        keep = set(order[:keep_last]) | {current}
        plan.versions = [sweep_dir / v for v in order if v not in keep]
    removed = {p.name for p in plan.versions}
    remaining = [
        sweep_dir / r["version"] for r in list_versions(sweep_dir) if r["version"] not in removed
    ]
    used: set[str] = set()
    linked: set[tuple[int, int]] = set()
    for version in remaining:
        used |= recorded_keys(version)
        linked |= _inodes(version)
    store = sweep_dir / "store"
    gone: set[str] = set()
    kinds = [p for p in store.iterdir() if p.is_dir()] if store.is_dir() else []
    for kind in kinds:
        if kind.name in NOT_ENTRIES:
            continue
        for entry in sorted(kind.iterdir()):
            if entry.name.startswith("."):
                if stale_temp(entry):
                    plan.leftovers.append(entry)
                continue
            if not (entry / MANIFEST).is_file():
                plan.leftovers.append(entry)
                gone.add(entry.name)
            elif entry.name not in used and not (_inodes(entry) & linked):
                plan.entries.append(entry)
                gone.add(entry.name)
    for token in sorted((store / "jobs").glob("*/*")) if store.is_dir() else []:
        if token.name.startswith("."):
            if stale_temp(token):
                plan.leftovers.append(token)
        elif token.parent.name == "latest" or _names_removed(token, removed, gone):
            # a latest job's token is never found again (lrsweep.workflow.state.latest_token)
            plan.tokens.append(token)
    for report in sorted((store / "reports").glob("*")) if store.is_dir() else []:
        if any(report.name.startswith(f"{v}-") for v in removed):
            plan.tokens.append(report)
    for path in sorted(sweep_dir.iterdir()) if sweep_dir.is_dir() else []:
        if path.name.startswith(".") and stale_temp(path):
            plan.leftovers.append(path)
        elif re.fullmatch(r"v-[0-9a-f]+\.damaged-.+", path.name) and path.is_dir():
            plan.leftovers.append(path)
    return plan


def _names_removed(token: Path, versions: set[str], keys: set[str]) -> bool:
    """Whether a job token is of a removed version or records a removed entry's key."""
    if any(token.name.startswith(f"{v}-") for v in versions):
        return True
    if not keys:
        return False
    try:
        data = json.loads(token.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # a damaged token: the job runs again
    return any(s in keys for s in _strings(data))


def freed_bytes(paths: list[Path]) -> int:
    """The bytes that removing ``paths`` gives back: files whose every hard link is among
    them."""
    links: dict[tuple[int, int], list] = {}
    for top in paths:
        files = [top] if not top.is_dir() or top.is_symlink() else top.rglob("*")
        for path in files:
            if path.is_symlink() or not path.is_file():
                continue
            st = path.stat()
            seen = links.setdefault((st.st_dev, st.st_ino), [0, st.st_nlink, st.st_size])
            seen[0] += 1
    return sum(size for count, nlink, size in links.values() if count >= nlink)


def _size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} bytes"


def describe(sweep_dir: Path, plan: Plan, freed: int, dry_run: bool) -> str:
    """The line ``lrsweep gc`` prints."""
    names = ", ".join(p.name for p in plan.versions)
    parts = [
        f"{len(plan.versions)} version folder(s)" + (f" ({names})" if names else ""),
        f"{len(plan.entries)} store entries",
        f"{len(plan.tokens)} job tokens and report copies",
        f"{len(plan.leftovers)} leftovers of killed runs or damaged versions",
    ]
    verb, freeing = ("would remove", "would free") if dry_run else ("removed", "freed")
    return f"{sweep_dir}: {verb} {', '.join(parts)}; {freeing} {_size(freed)}"


def collect(sweep_dir: str | Path, keep_last: int | None = None, dry_run: bool = False) -> str:
    """Run ``gc`` on a sweep folder (see the module docstring); the line to print."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise LrsweepError(f"{sweep_dir} is not a sweep folder")
    if keep_last is not None and keep_last < 0:
        raise LrsweepError(f"--keep-last {keep_last}: give a number of versions, 0 or more")
    locks = Path(".snakemake/locks")
    if locks.is_dir() and any(locks.iterdir()):
        raise LrsweepError(
            "a snakemake run holds .snakemake/locks: run gc when it has ended "
            "(after a killed run: snakemake --unlock)"
        )
    plan = plan_gc(sweep_dir, keep_last)
    paths = plan.paths()
    freed = freed_bytes(paths)
    if not dry_run:
        for path in paths:
            if path.is_dir() and not path.is_symlink():
                # renamed first: a killed gc leaves a leftover the next one removes, never
                # half a version or half an entry under its own name
                trash = temp_name(path, "gc")
                os.rename(path, trash)
                shutil.rmtree(trash)
            else:
                path.unlink(missing_ok=True)
    return describe(sweep_dir, plan, freed, dry_run)
