"""Version ids, provenance, the ``latest`` link, and comparing two versions.

A version name is ``v-`` and the first 10 hex digits of a SHA-256 over the effective config
(validated, defaults filled) and the code's fingerprint (lrsweep's version and the text of its
modules and workflow files). The same config with the same code always names the same folder,
so an unchanged rerun has nothing to do; any edit names a new folder and leaves the old ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import lrsweep

PACKAGE_DIR = Path(__file__).resolve().parent
#: Modules whose change can change a fit's numbers (the fit cache key).
FIT_MODULES = (
    "config.py",
    "data.py",
    "errors.py",
    "inference.py",
    "metrics.py",
    "models.py",
    "stats.py",
    "store.py",
)
PACKAGES = (
    "snakemake",
    "scikit-learn",
    "statsmodels",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "joblib",
    "pyyaml",
    "jsonschema",
    "pyarrow",
)


def _hash_files(paths) -> str:
    h = hashlib.sha256(lrsweep.__version__.encode())
    for path in sorted(paths, key=str):
        h.update(Path(path).name.encode())
        h.update(Path(path).read_bytes())
    return h.hexdigest()


def fit_code_fingerprint() -> str:
    """Changes when code that computes a fit's numbers changes."""
    return _hash_files(PACKAGE_DIR / m for m in FIT_MODULES)[:16]


def code_fingerprint(workflow_dir: str | Path | None = None) -> str:
    """Changes when any of lrsweep's modules (or the workflow's rules and scripts) change."""
    files = list(PACKAGE_DIR.glob("*.py"))
    if workflow_dir is not None:
        wf = Path(workflow_dir)
        files += [p for pattern in ("rules/*.smk", "scripts/*.py") for p in wf.glob(pattern)]
    return _hash_files(files)[:16]


def version_id(effective_config: dict, code: str) -> str:
    payload = json.dumps({"config": effective_config, "code": code}, sort_keys=True, default=str)
    return "v-" + hashlib.sha256(payload.encode()).hexdigest()[:10]


def git_state(root: str | Path = ".") -> dict:
    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        status = git("status", "--porcelain", "--untracked-files=no")
        return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0], "lrsweep": lrsweep.__version__}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def platform_info() -> dict:
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "node": platform.node(),
    }


def update_latest(sweep_dir: str | Path, version: str) -> None:
    """Point ``<sweep_dir>/latest`` at ``version`` (atomically: a new link renamed over)."""
    sweep_dir = Path(sweep_dir)
    tmp = sweep_dir / f".latest.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(version, tmp)
    os.replace(tmp, sweep_dir / "latest")


def list_versions(sweep_dir: str | Path) -> list[dict]:
    """Complete versions of a sweep, oldest first (by the time their run finished)."""
    sweep_dir = Path(sweep_dir)
    latest = os.readlink(sweep_dir / "latest") if (sweep_dir / "latest").is_symlink() else None
    rows = []
    for d in sweep_dir.glob("v-*"):
        prov = d / "provenance.json"
        if not prov.is_file():
            continue
        info = json.loads(prov.read_text())
        rows.append(
            {
                "version": d.name,
                "finished": info.get("finished"),
                "commit": (info.get("git") or {}).get("commit"),
                "experiments": ", ".join(info.get("experiments", [])),
                "grid_points": info.get("grid_points"),
                "latest": d.name == latest,
            }
        )
    return sorted(rows, key=lambda r: r["finished"] or "")
