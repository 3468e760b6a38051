"""Shared fixtures: configs of the tutorial's examples and a runner for real workflow runs;
and the tiers, by folder: each test is marked with its folder's tier (``unit``,
``integration``, ``workflow``, ``docs``), and the workflow tier is also ``slow``, so that
``-m "not slow"`` leaves out the real runs."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TIERS = ("unit", "integration", "workflow", "docs")
X10 = [[i] for i in range(10)]
Y1 = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
Y2 = [0, 1, 0, 0, 1, 1, 1, 1, 1, 1]

EXAMPLE1 = {
    "dataset": {"source": "inline", "x": X10, "y": Y1},
    "split": "none",
    "standardize": False,
    "sklearn": {"solver": "liblinear", "penalty": "l2", "C": [1.0, 10.0], "random_state": 0},
}
EXAMPLE2 = {
    "dataset": {"source": "inline", "x": X10, "y": Y2},
    "split": "none",
    "standardize": False,
    "sklearn": {"solver": "liblinear", "penalty": "l2", "C": 10.0, "random_state": 0},
    "statsmodels": {"method": "newton", "maxiter": 100},
}
DIGITS = {
    "dataset": {"source": "sklearn", "name": "digits"},
    "split": {"test_size": 0.2, "random_state": 0, "stratify": False},
    "standardize": True,
    "sklearn": {"solver": "liblinear", "C": 0.05, "multi_class": "ovr", "random_state": 0},
}


def prepared_bundled(name: str, test_size: float = 0.3, stratify: bool = True):
    """A bundled dataset prepared as an experiment would be (split, standardized)."""
    from lrsweep.config.resolve import resolve_config
    from lrsweep.prepare.design import prepare_experiment

    exp = {
        "dataset": {"source": "sklearn", "name": name},
        "split": {"test_size": test_size, "random_state": 0, "stratify": stratify},
        "standardize": True,
    }
    sweep = resolve_config({"sweep": "t", "experiments": {name: exp}})
    return prepare_experiment(name, sweep["config"]["experiments"][name])


def planned(experiments: dict, root=".", **top):
    """The plan of a config (lrsweep.workflow.plan.make_plan), as the Snakefile makes it."""
    from lrsweep.config.resolve import resolve_config
    from lrsweep.store.checksums import FileChecksums
    from lrsweep.workflow.plan import make_plan

    sweep = resolve_config({"sweep": "t", "experiments": experiments, **top})
    return make_plan(sweep["config"], sweep["grids"], [], FileChecksums(), root)


def smoke_config(sweep: str = "smoke") -> dict:
    """The smoke sweep CI runs: the tutorial's three examples and a small iris grid."""
    return copy.deepcopy(
        {
            "sweep": sweep,
            "experiments": {
                "example1": EXAMPLE1,
                "example2": EXAMPLE2,
                "digits": DIGITS,
                "iris": {
                    "dataset": {"source": "sklearn", "name": "iris"},
                    "cv": {"folds": 3, "repeats": 2, "random_state": 0},
                    "split": {"test_size": 0.3, "random_state": 1, "stratify": True},
                    "standardize": True,
                    "sklearn": {
                        "solver": ["lbfgs", "liblinear", "saga"],
                        "penalty": ["l1", "l2"],
                        "C": [0.1, 1.0],
                        "max_iter": 500,
                        "random_state": 0,
                    },
                },
                "synthetic": {
                    "dataset": {
                        "source": "synthetic",
                        "n_samples": 2000,
                        "n_features": 4,
                        "n_informative": 3,
                        "class_sep": 0.5,
                        "random_state": 0,
                    },
                    "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
                    "standardize": True,
                    "sklearn": {
                        "solver": "newton-cholesky",
                        "penalty": ["none", "l2"],
                        "C": [0.01, 1.0],
                        "random_state": 0,
                    },
                    "statsmodels": {"method": "newton"},
                },
            },
        }
    )


def snakemake_cmd(workdir: Path, *args: str, cores: str = "2") -> list[str]:
    """The command line of a real run of this repository's workflow in ``workdir`` (whose
    ``config.yaml`` is the config, as in the project folder)."""
    exe = Path(sys.executable).with_name("snakemake")
    return [str(exe), "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", cores, *args]


def snakemake(
    workdir: Path,
    *args: str,
    config: dict | None = None,
    timeout: int = 900,
    env: dict | None = None,
):
    """Run the real workflow in ``workdir`` (its config.yaml written first if given)."""
    workdir.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = snakemake_cmd(workdir, *args)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run(
        cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """One real run of the smoke sweep, shared by the end-to-end assertions."""
    workdir = tmp_path_factory.mktemp("smoke")
    proc = snakemake(workdir, config=smoke_config())
    assert proc.returncode == 0, proc.stderr[-4000:]
    return workdir, proc


def tier_of(path: Path) -> str | None:
    """The tier of a test file: the folder under tests/ it is in (None outside them)."""
    parts = Path(path).resolve().relative_to(HERE).parts
    return parts[0] if len(parts) > 1 and parts[0] in TIERS else None


def pytest_collection_modifyitems(items):
    """Mark every test with its tier; the real runs of the workflow tier are also ``slow``."""
    for item in items:
        tier = tier_of(item.path)
        if tier is not None:
            item.add_marker(tier)
        if tier == "workflow":
            item.add_marker("slow")
