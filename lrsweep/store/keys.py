"""Content keys: what names everything lrsweep stores.

A key is a SHA-256 over a canonical JSON of exactly what produced a thing (design notes,
"Identity of results"): prepared arrays by their dataset settings, the data file's bytes, the
preparing code and the libraries; a fit by its prepared data's key, its settings (seed
included, the settings that only score left out), the fitting code and the libraries; a
fit's scores by the fit's key, the settings that only score (bootstrap, positive class) and
the scoring code; figures by the scores they draw and the plotting code; a version by all
of them. Names (experiment, sweep, pack) are labels, never keys.

"Code" is the normalized syntax tree of the modules that compute a thing (comments,
docstrings and formatting do not count), so a comment edit re-keys nothing, and a change of
any statement re-keys everything it can change. ``tests/integration/test_code_keys.py`` checks that
a stage
imports no lrsweep module outside its key.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import platform
import sys
from functools import cache
from pathlib import Path

import numpy as np

from lrsweep.store.checksums import FileChecksums

#: The package's own modules, where they are imported from (a checkout or site-packages).
PACKAGE_DIR = Path(__file__).resolve().parent.parent

#: Bumped when the layout of stored entries changes (every key changes with it). 4: the
#: package's modules moved into stage folders, so every code key names them anew.
STORE_FORMAT = 4

#: The code units whose statements can change each kind of stored result. A unit is a stage
#: folder of the package (``"prepare"``: every module in it, subfolders too) or one module
#: (``"domain"``, ``"results.tables"``); :func:`modules_of` spells a list out.
PREPARE_CODE = ("domain", "config", "prepare")
FIT_CODE = (*PREPARE_CODE, "fit")
#: What scores a stored fit (a scores key holds its fit's key, so the fitting code too).
SCORE_CODE = ("score",)
#: What draws one fit's figures (the fit job's ``draw_fit_figures``): an edit of the overview's
#: code redraws none of them.
FIT_FIGURE_CODE = (
    "domain",
    "config.grid",
    "results.figures._fit",
    "results.figures._confusion",
    "results.figures._labels",
    "results.figures._style",
)
#: What draws an experiment's overview figures (``draw_overview``).
OVERVIEW_CODE = (
    "domain",
    "config.grid",
    "results.figures._overview",
    "results.figures._curves",
    "results.figures._grid",
    "results.figures._labels",
    "results.figures._ranked",
    "results.figures._statsmodels",
    "results.figures._style",
    "results.selection",
    "results.tables",
    "results.markdown",
)
FIGURE_CODE = tuple(dict.fromkeys((*FIT_FIGURE_CODE, *OVERVIEW_CODE)))
#: Code a stage may import that cannot change what it computes: the error types and the
#: store (file moves, keys, checksums, the byte-level reads and writes of entries).
NEUTRAL_CODE = ("errors", "store")
#: Code that reads versions or only prints: it cannot change what a version holds, so
#: editing it (or adding a command) makes no new version.
TOOL_CODE = (
    "__main__",
    "tools",
    "workflow.progress",
    "workflow.state",
    "workflow.smk",
    "results.figures._compare",  # the figure of ``lrsweep compare``, drawn from two versions
)

#: Libraries whose version can change computed numbers (recorded in every key).
RESULT_LIBRARIES = ("numpy", "scipy", "scikit-learn", "statsmodels", "pandas", "pyarrow", "skops")
FIGURE_LIBRARIES = ("matplotlib",)


# --------------------------------------------------------------------------------------------
# Canonical JSON and digests


def jsonable(obj):
    """Plain JSON types: numpy scalars and arrays unwrapped, inf as a string, NaN as null."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, Path):
        return str(obj)
    return obj


def canonical(obj) -> str:
    """One text for one value: sorted keys, no spaces (what keys are computed over)."""
    return json.dumps(jsonable(obj), sort_keys=True, separators=(",", ":"))


def dumps(obj) -> str:
    """Readable canonical JSON for stored files (sorted keys, inf as a string, NaN as null)."""
    return json.dumps(jsonable(obj), sort_keys=True, indent=1)


def digest(kind: str, obj, length: int = 20) -> str:
    """A key: ``length`` hex digits of SHA-256 over the kind and the canonical JSON of obj."""
    h = hashlib.sha256(f"{kind}\0".encode())
    h.update(canonical(obj).encode())
    return h.hexdigest()[:length]


# --------------------------------------------------------------------------------------------
# Code


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


def normalized_python(path: str | Path) -> str:
    """A Python file's syntax tree without docstrings, as text (comments and layout gone)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    return ast.dump(_strip_docstrings(tree), annotate_fields=False, include_attributes=False)


def normalized_text(path: str | Path) -> str:
    """Any other file (Snakemake rules): its lines without comments, blank lines or indents."""
    lines = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def code_digest(path: str | Path) -> str:
    """SHA-256 of a code file's normalized text (Python: its syntax tree, see above)."""
    path = Path(path)
    text = normalized_python(path) if path.suffix == ".py" else normalized_text(path)
    return hashlib.sha256(text.encode()).hexdigest()


#: Normalizing every module's syntax tree took 0.4 s at every snakemake start; the Snakefile
#: keeps the digests in a file, remembered by each file's size, times and inode (as data
#: files' checksums are): see :func:`use_code_cache`.
_CODE_CACHE = None


def use_code_cache(path: str | Path) -> None:
    global _CODE_CACHE
    _CODE_CACHE = FileChecksums(path, digest=code_digest)


def _code(path: Path) -> str:
    return _CODE_CACHE(path) if _CODE_CACHE is not None else code_digest(path)


def save_code_cache() -> None:
    if _CODE_CACHE is not None:
        _CODE_CACHE.save()


def module_path(name: str) -> Path:
    """The file of a dotted module name under the package (``"fit.sklearn"``, ``"fit"``)."""
    path = PACKAGE_DIR.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


@cache
def all_modules() -> tuple[str, ...]:
    """Every module of the package, dotted (``"fit.sklearn"``; a folder's ``__init__`` is the
    folder's name), subfolders included: walked once a process."""
    names = []
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            names.append(".".join(parts))
    return tuple(sorted(names))


def in_unit(module: str, unit: str) -> bool:
    return module == unit or module.startswith(unit + ".")


def modules_of(units) -> list[str]:
    """The modules of code units (folders or modules), with the package folders above them
    (their ``__init__`` runs on every import of a module inside)."""
    known = set(all_modules())
    modules = set()
    for m in known:
        if any(in_unit(m, u) for u in units):
            parts = m.split(".")
            modules.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(modules & known)


@cache
def module_key(name: str) -> str:
    return _code(module_path(name))


def code_key(units) -> str:
    """The key of some code units' code (see the module docstring)."""
    return digest("code", {m: module_key(m) for m in modules_of(units)}, 16)


#: The folder of the workflow Snakemake runs (its ``Snakefile`` and ``workflow/``), told by
#: the Snakefile as it is parsed (:func:`use_workflow`), so that the rule files and scripts in
#: a version's code are the ones run, wherever the package is installed. None outside Snakemake.
_WORKFLOW_ROOT: Path | None = None


def use_workflow(root: str | Path) -> None:
    """Name the folder of the workflow being run (the one holding its ``Snakefile``)."""
    global _WORKFLOW_ROOT
    _WORKFLOW_ROOT = Path(root).resolve()


def workflow_root() -> Path | None:
    """The folder of the workflow being run (:func:`use_workflow`), None outside Snakemake."""
    return _WORKFLOW_ROOT


def workflow_key(root: str | Path | None = None) -> str:
    """Every lrsweep module but the tools, and the rule scripts, rule files and Snakefile of
    the workflow in ``root`` (default: the one being run): a version's code. Outside
    Snakemake, with no workflow named, the package's modules only."""
    root = Path(root).resolve() if root is not None else _WORKFLOW_ROOT
    return _workflow_key(root)


@cache
def _workflow_key(root: Path | None) -> str:
    parts = {
        f"lrsweep.{m}": module_key(m)
        for m in all_modules()
        if not any(in_unit(m, unit) for unit in TOOL_CODE)
    }
    if root is not None:
        for path in sorted(root.glob("workflow/scripts/*.py")):
            parts[f"scripts/{path.name}"] = _code(path)
        for path in sorted([*root.glob("workflow/rules/*.smk"), root / "Snakefile"]):
            if path.is_file():
                parts[path.name] = _code(path)
    return digest("workflow", parts, 16)


# --------------------------------------------------------------------------------------------
# Libraries


def distribution_versions(names) -> dict:
    """The installed version of each named distribution (None when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


@cache
def library_versions(names: tuple[str, ...] = RESULT_LIBRARIES) -> dict:
    """Versions of the given distributions, Python's, and the machine type (floating-point
    results can differ between them)."""
    return {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        **distribution_versions(names),
    }
