"""Where the package and the workflow find their files (no install, no run): the schema is
package data pyproject ships, the workflow key counts the rule files of the workflow run,
provenance records its git state, and the README installs without -e."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import tomllib
from pathlib import Path

from lrsweep.config import schema
from lrsweep.store import keys, provenance
from tests.conftest import REPO

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]


def git(root: Path, *args: str) -> str:
    out = subprocess.run([*GIT, *args], cwd=root, capture_output=True, text=True, check=True)
    return out.stdout


def test_the_schema_is_package_data_that_pyproject_ships():
    package = Path(schema.__file__).resolve().parent
    assert schema.SCHEMA_PATH.parent == package and schema.SCHEMA_PATH.is_file()
    spec = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = [
        path
        for pkg, patterns in spec["package-data"].items()
        for pattern in patterns
        for path in (REPO / pkg.replace(".", "/")).iterdir()
        if fnmatch.fnmatch(path.name, pattern)
    ]
    assert schema.SCHEMA_PATH in [p.resolve() for p in shipped]
    assert "$defs" in schema.load_schema()


def copy_workflow(dest: Path) -> Path:
    for name in ["Snakefile", *git(REPO, "ls-files", "workflow/rules", "workflow/scripts").split()]:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    return dest


def test_the_workflow_key_counts_the_rule_files_of_the_workflow_run(tmp_path, monkeypatch):
    monkeypatch.setattr(keys, "_WORKFLOW_ROOT", None)
    monkeypatch.setattr(keys, "_CODE_CACHE", None)  # digests of the files as they are
    other = copy_workflow(tmp_path / "other")
    assert keys.workflow_key(other) == keys.workflow_key(REPO)
    package_only = keys.workflow_key()  # outside Snakemake, no workflow named
    assert package_only != keys.workflow_key(REPO)
    keys.use_workflow(other)
    assert keys.workflow_root() == other.resolve()
    assert keys.workflow_key() == keys.workflow_key(REPO)

    script = other / "workflow/scripts/fit.py"
    script.write_text(script.read_text() + "\n# a comment changes no statement\n")
    keys._workflow_key.cache_clear()  # one process parses one workflow; this test edits it
    assert keys.workflow_key(other) == keys.workflow_key(REPO)
    rules = other / "workflow/rules/fit.smk"
    rules.write_text(rules.read_text().replace("mem_mb=4000", "mem_mb=4001", 1))
    keys._workflow_key.cache_clear()
    assert keys.workflow_key(other) != keys.workflow_key(REPO)
    snakefile = other / "Snakefile"
    snakefile.write_text(snakefile.read_text().replace('"9.0"', '"9.1"'))
    keys._workflow_key.cache_clear()
    assert keys.workflow_key(other) != keys.workflow_key(REPO)


def test_provenance_records_the_git_state_of_the_workflow_checkout(tmp_path, monkeypatch):
    monkeypatch.setattr(keys, "_WORKFLOW_ROOT", None)
    assert provenance.workflow_git() == {"commit": None, "dirty": None}
    keys.use_workflow(tmp_path)  # not in git
    assert provenance.workflow_git() == {"commit": None, "dirty": None}
    copy_workflow(tmp_path)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "x")
    head = git(tmp_path, "rev-parse", "HEAD").strip()
    assert provenance.workflow_git() == {"commit": head, "dirty": False}
    (tmp_path / "Snakefile").write_text("# edited\n")
    assert provenance.workflow_git() == {"commit": head, "dirty": True}


def readme_commands(checkout: Path, folder: Path) -> list[list[str]]:
    """The README's install and run commands, for ``checkout`` and ``folder``."""
    part = (REPO / "README.md").read_text().split("### Installed, run from another folder")[1]
    block = part.split("```bash\n")[1].split("\n```")[0]
    text = block.replace("<checkout>", str(checkout)).replace("<folder>", str(folder))
    return [line.split() for line in text.splitlines()]


def test_the_readme_installs_without_e_and_runs_the_checkouts_snakefile(tmp_path):
    install, run = readme_commands(tmp_path / "c", tmp_path / "f")
    assert install[-5:] == [
        "pip",
        "install",
        "-r",
        f"{tmp_path}/c/requirements.lock",
        f"{tmp_path}/c",
    ]
    assert "-e" not in install and "--editable" not in install
    pins = (REPO / "requirements.lock").read_text().splitlines()
    assert not [p for p in pins if p.startswith(("-e", "lrsweep"))]  # the checkout installs it
    assert run == [
        "snakemake",
        "--cores",
        "2",
        "-s",
        f"{tmp_path}/c/Snakefile",
        "--directory",
        f"{tmp_path}/f",
    ]
