"""What a run will do: decided at parse time, writing nothing; said in a line or two.

:func:`prepare` looks at the version the config names: complete already (a run then only
points ``latest`` at it), or new (then :func:`announce` says what changed since the latest
version and how many grid points are not in the store yet). Parse time writes nothing, as a
dry run, ``--report`` and ``--lint`` parse the Snakefile too: the Snakefile calls
:func:`announce` once Snakemake executes (in the conditional for a dry run).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from lrsweep.store.entries import Store
from lrsweep.store.versions import PROVENANCE, SUMMARY, looks_complete, problems, read_latest


@dataclass
class State:
    complete: bool
    latest: str | None
    failed: int
    latest_token: str
    version: str
    publish_token: str = ""
    damage: tuple[str, ...] = ()

    def latest_job(self, mode: str) -> bool:
        """Whether the run needs the local ``latest`` job: to point latest at a version that
        is complete already, or to print a complete version's failures (and exit 1); and on a
        cluster (``shard``), where the publish job's printing goes to its log, for every new
        version. On this machine a new version's publish job points latest and prints."""
        if self.complete:
            return self.latest != self.version or bool(self.failed)
        return mode == "shard"


def latest_token(plan, latest: str | None) -> str:
    """The ``latest`` job's token: named by the version, where latest points now and how many
    times latest has been pointed (the history's length), so that no earlier run's token is
    ever found (configs A, B, A, B, A: the fifth run's token is not the third's), and a dry
    run names the same one as the run would, without writing anything."""
    from lrsweep.store.history import read_history

    n = len(read_history(plan.results))
    return str(plan.store / "jobs" / "latest" / f"{plan.version}-from-{latest or 'none'}-{n}.json")


def publish_token(token: str, version: str, complete: bool) -> str:
    """The publish job's token (``token``: its usual name). When the version is not complete
    but tokens of it are there (it was deleted or damaged by hand), a name that none of them
    has, so that the run makes it again; deciding that removes nothing (a dry run writes
    nothing)."""
    path = Path(token)
    if complete:
        return token
    old = list(path.parent.glob(f"{version}-*.json"))
    return str(path.with_name(f"{path.stem}.again-{len(old)}.json")) if old else token


def config_changes(old: dict, new: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two configs."""
    out = []
    for key in sorted(set(old) | set(new), key=str):
        a, b = old.get(key), new.get(key)
        path = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out += config_changes(a, b, f"{path}.")
        elif a != b:
            out.append(path)
    return out


def describe_changes(plan, latest_dir: Path) -> str | None:
    """One line: what differs from the latest version (experiments and keys, data files, or
    the code and libraries)."""
    try:
        old = yaml.safe_load((latest_dir / "config.yaml").read_text())
        old_data = json.loads((latest_dir / PROVENANCE).read_text()).get("datasets", {})
    except (OSError, ValueError):
        return None
    from lrsweep.config.resolve import version_settings

    old, new = version_settings(old), version_settings(plan.filled)
    parts = []
    old_exps, new_exps = old.get("experiments", {}), new["experiments"]
    added = [n for n in new_exps if n not in old_exps]
    removed = [n for n in old_exps if n not in new_exps]
    if added:
        parts.append("added " + ", ".join(f"'{n}'" for n in added))
    if removed:
        parts.append("removed " + ", ".join(f"'{n}'" for n in removed))
    for name in new_exps:
        if name in old_exps:
            changed = config_changes(old_exps[name], new_exps[name])
            file = (old_data.get(name) or {}).get("file") or {}
            if plan.data[name] and file.get("sha256") not in (None, plan.data[name]):
                changed.append("the data file's content")
            if changed:
                parts.append(f"'{name}': {', '.join(changed)}")
    top = config_changes(
        {k: v for k, v in old.items() if k != "experiments"},
        {k: v for k, v in new.items() if k != "experiments"},
    )
    if top:
        parts.append(", ".join(top))
    if not parts:
        return "same config and data; lrsweep's code or the library versions changed"
    return "; ".join(parts)


def prepare(plan, publish: str, digest=None) -> State:
    """Decide what the run does about the version (see the module docstring), writing
    nothing. ``publish``: the publish job's usual token. With ``digest`` (a
    :class:`lrsweep.store.checksums.FileChecksums`) a version is complete only when every file
    matches
    ``SHA256SUMS``: a file changed in place (the version's files are hard links into the
    store, so a write into a store file reaches them) makes it damaged, and the run makes it
    again."""
    target = plan.version_dir
    if digest and target.exists():
        damage = problems(target, digest, first_only=True)
        complete = not damage
    else:  # no version yet, or inside a job: only whether it is there whole
        damage, complete = [], looks_complete(target)
    latest = read_latest(plan.results)
    failed = 0
    if complete:
        try:
            failed = json.loads((target / PROVENANCE).read_text()).get("failed", 0)
        except (OSError, ValueError):
            failed = 0
    return State(
        complete,
        latest,
        failed,
        latest_token(plan, latest),
        plan.version,
        publish_token(publish, plan.version, complete),
        tuple(damage),
    )


def announce(plan, state: State, dry_run: bool = False) -> None:
    """Say what the run does about the version, in a line or two (a dry run: what a run
    would do)."""
    for line in _lines(plan, state, state.failed, state.damage, dry_run):
        print(f"lrsweep: {line}", file=sys.stderr, flush=True)


def _estimate(plan, todo: list[dict]) -> str:
    """ ", about N min of one core" for the points to fit (lrsweep.workflow.cost's rough estimate:
    each point's own, as a statsmodels point of many features costs far more than its
    scikit-learn neighbours)."""
    from lrsweep.workflow.progress import duration

    keys = {p["key"] for p in todo}
    total = 0.0
    for e in plan.experiments.values():
        for p, seconds in zip(e["points"], e["point_seconds"], strict=True):
            if seconds is not None and p["key"] in keys:
                total += seconds
    if not todo:
        return ""
    return (
        ", estimated under a second" if total < 1 else f", estimated {duration(total)} of one core"
    )


def _lines(plan, state: State, failed: int, damage=(), dry_run: bool = False) -> list[str]:
    target = plan.version_dir
    dry = "dry run, nothing written: " if dry_run else ""
    if state.complete:
        note = f" ({failed} grid point(s) failed: see {target}/{SUMMARY})" if failed else ""
        if state.latest == plan.version:
            return [f"{target} is complete and is the latest version: nothing to do{note}"]
        if dry_run:
            return [f"{dry}{target} is complete already: a run would only point latest at it"]
        return [f"{target} is complete already: nothing is recomputed; latest -> it{note}"]
    store = Store(plan.store)
    points = [p for e in plan.experiments.values() for p in e["points"]]
    todo = [p for p in points if not store.has("fits", p["key"])]
    head = f"{dry}new version {target}"
    if target.exists():
        why = damage[0] if damage else "a file is missing"
        action = "a run would move it aside and make it again" if dry_run else None
        head = f"{dry}{target} is damaged ({why}): {action or 'it is moved aside and made again'}"
    lines = [
        f"{head}: {len(todo)} of {len(points)} grid points to fit"
        + (f" ({len(points) - len(todo)} in the store)" if len(todo) < len(points) else "")
        + _estimate(plan, todo)
    ]
    if plan.filled["figures"]:
        draw = [n for n, e in plan.experiments.items() if not store.has("figures", e["overview"])]
        lines[0] += f"; figures of {len(draw)} of {len(plan.experiments)} experiments to draw"
    if state.latest and state.latest != plan.version:
        changes = describe_changes(plan, plan.results / state.latest)
        if changes:
            lines.append(f"changed since {state.latest}: {changes}")
    return lines


def exit_if_failed(plan) -> None:
    """At the end of a successful run: exit 1 if the version has failed grid points (the
    publish job printed them; a complete one's are printed by the latest job, which fails)."""
    try:
        failed = json.loads((plan.version_dir / PROVENANCE).read_text()).get("failed", 0)
    except (OSError, ValueError):
        return
    if failed:
        sys.exit(1)


def write_failure(exc: OSError) -> str:
    """The line for a run that cannot write what it keeps (a full disk, a read-only folder):
    nothing was computed yet, and nothing already in results/ is lost."""
    where = exc.filename or "results/"
    return (
        f"cannot write {where} ({exc.strerror or exc}): free space or fix the permissions of "
        "results/, then run again; nothing stored was changed"
    )


def finish_run(version_dir: Path, existed: bool, config_files=()) -> tuple[str, bool]:
    """Point ``latest`` at a complete version (recorded in the history); the text to print
    and whether it has failed grid points."""
    from lrsweep.results.selection import selected_fits
    from lrsweep.store.history import point_latest

    info = json.loads((version_dir / PROVENANCE).read_text())
    point_latest(version_dir, list(config_files), selected_fits(version_dir))
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
