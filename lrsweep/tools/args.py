"""What the commands of ``lrsweep`` share (:mod:`lrsweep.tools.cli` and the commands other
modules add, such as :mod:`lrsweep.tools.mlflow_export`): which sweep folder a command works
on, and the arguments that say so."""

from __future__ import annotations

import sys
from pathlib import Path

from lrsweep.errors import LrsweepError


def sweep_folder(results: Path | None, config_file: str | None = None, notes=None) -> Path:
    """The sweep folder a command works on: ``--results``; else the one the config names
    (``--config-file``, default ``config.yaml``, read as the workflow reads it); else the only
    ``results/<sweep>``. The candidates are listed only when that is ambiguous. Which one was
    taken, when not given, is appended to ``notes`` (default: printed on stderr now)."""
    from lrsweep.config.schema import validate_config
    from lrsweep.config.sources import read_sources, sources_of

    if results is not None:
        return Path(results)
    files, _ = sources_of({"file": config_file} if config_file else {}, [])
    why = ""
    if config_file or Path(files[0]).is_file():
        try:
            sweep = validate_config(read_sources(files)[0])["sweep"]
        except LrsweepError as exc:
            if config_file:
                raise
            why = f"{files[0]} cannot be read ({exc}); "
        else:
            folder = Path("results") / sweep
            _note(
                notes,
                f"lrsweep: sweep folder {folder} (the sweep {files[0]} names; "
                "--results results/<sweep> for another)",
            )
            return folder
    sweeps = [p for p in Path("results").glob("*") if p.is_dir() and not p.name.startswith(".")]
    if len(sweeps) == 1:
        _note(notes, f"lrsweep: sweep folder {sweeps[0]} (the only one)")
        return sweeps[0]
    raise LrsweepError(
        f"{why}name the sweep folder with --results results/<sweep> or the config with "
        f"--config-file (found: {', '.join(sorted(str(p) for p in sweeps)) or 'none'})"
    )


def _note(notes, line: str) -> None:
    if notes is None:
        print(line, file=sys.stderr)
    else:
        notes.append(line)


#: Which sweep folder a command took, said on stderr when it ends without an error (an error
#: stays the one line it is).
NOTES: list[str] = []


def results_args(p) -> None:
    """``--results`` and ``--config-file``: which sweep folder (:func:`sweep_folder`)."""
    p.add_argument(
        "--results", type=Path, help="results/<sweep> (default: the sweep the config names)"
    )
    p.add_argument(
        "--config-file",
        help="the config whose sweep to use, as --config file= of snakemake (default: "
        "config.yaml, else the only results/<sweep>)",
    )
