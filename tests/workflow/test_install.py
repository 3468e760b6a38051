"""lrsweep installed as a package (``pip install .``, not editable) and its workflow run from
another folder: with ``-s <checkout>/Snakefile --directory <folder>``, and as a Snakemake
``module`` of another project's Snakefile. The package finds its schema in itself; a version's
code and git state come from the workflow checkout actually run; nothing is written into it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE1, EXAMPLE2, REPO
from tests.integration.test_package_files import git, readme_commands


def copy_checkout(dest: Path) -> Path:
    """This checkout's files (tracked and new, as they are now, ignored ones left out),
    committed into a fresh git repository at ``dest``."""
    files = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, files.split("\0")):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest


# --------------------------------------------------------------------------------------------
# Fast: where the package and the workflow find their files


# --------------------------------------------------------------------------------------------
# Slow: a real non-editable install and real runs


def venv_env(venv: Path) -> dict:
    """The environment of a command in ``venv``: its programs first, no PYTHONPATH."""
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode written into the checkout is seen
    return {**env, "PYTHONWARNINGS": "ignore"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A checkout (a committed copy of this one), and a fresh virtual environment with lrsweep
    installed from it by the README's ``pip install -r <checkout>/requirements.lock
    <checkout>`` (a wheel, not editable). The environment running the tests is reached through
    a ``.pth`` line (which adds its folder only: the editable lrsweep installed there is not
    activated), so that its packages satisfy the lock and little is downloaded: lrsweep's
    build requirements, and any pin of the lock that differs from it."""
    root = tmp_path_factory.mktemp("install")
    checkout = copy_checkout(root / "checkout")
    venv = root / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=venv_env(venv),
    ).stdout.strip()
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install, _ = readme_commands(checkout, root)
    pip = subprocess.run(
        [python, "-m", *install[-5:], "-q"],  # the README's pip install -r <lock> <checkout>
        capture_output=True,
        text=True,
        env=venv_env(venv),
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    where = subprocess.run(
        [python, "-c", "import lrsweep; print(lrsweep.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env=venv_env(venv),
    ).stdout.strip()
    assert Path(where).is_relative_to(site), where  # the installed copy, not the checkout
    # From here on, importing the checkout's lrsweep/ (Snakemake puts the Snakefile's folder
    # on sys.path) fails loudly: the workflow must use the installed package only.
    init = checkout / "lrsweep/__init__.py"
    init.write_text('raise ImportError("the checkout\'s lrsweep/ was imported")\n')
    git(checkout, "commit", "-q", "-a", "-m", "the installed package only")
    return checkout, venv


def checkout_state(checkout: Path) -> str:
    """Every change and every new file of the checkout, ignored ones too."""
    return git(checkout, "status", "--porcelain", "--ignored", "--untracked-files=all")


TINY = {"sweep": "tiny", "experiments": {"example1": EXAMPLE1, "example2": EXAMPLE2}}


def run_in(venv: Path, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(venv / "bin" / "python"), "-m", "snakemake", "--cores", "2", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        env=venv_env(venv),
    )


def check_version(venv: Path, workdir: Path, checkout: Path) -> Path:
    """The version the run made in ``workdir``: verified by the installed ``lrsweep verify``,
    its provenance naming the checkout's commit; returned."""
    version = (workdir / "results/tiny/latest").resolve()
    assert version.parent == workdir / "results/tiny" and version.name.startswith("v-")
    verify = subprocess.run(
        [str(venv / "bin" / "lrsweep"), "verify", "--version", version.name],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=venv_env(venv),
    )
    assert verify.returncode == 0, verify.stderr
    assert f"{version}: every file matches SHA256SUMS" in verify.stdout
    record = json.loads((version / "provenance.json").read_text())
    assert record["git"] == {"commit": git(checkout, "rev-parse", "HEAD").strip(), "dirty": False}
    assert record["packages"]["lrsweep"] == "0.1.0"
    return version


def readme_module(checkout: Path) -> str:
    """The README's Snakefile of a project that uses lrsweep as a module, for ``checkout``."""
    part = (REPO / "README.md").read_text().split("### Installed, run from another folder")[1]
    block = part.split("```python\n")[1].split("\n```")[0]
    assert "module lrsweep:" in block and "lrsweep.on_success()" in block
    return block.replace("<checkout>", str(checkout)) + "\n"


def test_installed_package_runs_the_checkouts_snakefile_in_another_folder(installed, tmp_path):
    checkout, venv = installed
    before = checkout_state(checkout)
    work = tmp_path / "project"
    work.mkdir()
    (work / "config.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))
    _, command = readme_commands(checkout, work)
    assert command[:3] == ["snakemake", "--cores", "2"]
    proc = run_in(venv, tmp_path, *command[3:])  # the installed snakemake, --cores 2
    assert proc.returncode == 0, proc.stderr[-4000:]
    version = check_version(venv, work, checkout)
    assert (version / "metrics.csv").is_file()
    assert checkout_state(checkout) == before  # results, store, caches, logs: all in work/


def test_installed_package_runs_as_a_module_of_another_projects_snakefile(installed, tmp_path):
    checkout, venv = installed
    before = checkout_state(checkout)
    direct, project = tmp_path / "direct", tmp_path / "project"
    for folder in (direct, project):
        folder.mkdir()
        (folder / "config.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))
    (project / "Snakefile").write_text(readme_module(checkout))
    proc = run_in(venv, project)
    assert proc.returncode == 0, proc.stderr[-4000:]
    version = check_version(venv, project, checkout)
    assert sorted(p.name for p in project.iterdir()) == [
        ".snakemake",
        "Snakefile",
        "config.yaml",
        "results",
    ]
    assert checkout_state(checkout) == before

    # a failed grid point: printed, and the exit status is 1, as in a direct run
    failing = {"sweep": "fails", "experiments": {"example1": {**EXAMPLE1, "statsmodels": {}}}}
    (project / "config.yaml").write_text(yaml.safe_dump(failing, sort_keys=False))
    proc = run_in(venv, project)
    assert proc.returncode == 1, proc.stderr[-4000:]
    assert "1 grid point(s) FAILED" in proc.stderr
    (project / "config.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))

    # the same rule files and package: the same version, the same numbers as a direct run
    proc = run_in(venv, direct, "-s", str(checkout / "Snakefile"))
    assert proc.returncode == 0, proc.stderr[-4000:]
    other = check_version(venv, direct, checkout)
    assert other.name == version.name
    assert numbers(other / "metrics.csv") == numbers(version / "metrics.csv")


def numbers(metrics_csv: Path) -> list[dict]:
    """metrics.csv's rows without the fit times (the only column that differs between runs)."""
    with open(metrics_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(row.pop("fit_seconds") is not None for row in rows)
    return rows
