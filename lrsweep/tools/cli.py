"""``lrsweep``: look at the versions of a sweep and use their models.

lrsweep versions [--results results/<sweep> | --config-file FILE]
lrsweep compare OLD NEW [--results results/<sweep>] [--metric accuracy_test] [--out DIR]
lrsweep predict --experiment E (--model-id M | --selected) [--version V] NEW.csv -o OUT.csv
lrsweep verify [--version V]
lrsweep gc [--keep-last N] [--dry-run]

A version is named by its folder (``v-1f84829f35``), ``latest``, or ``latest~N`` (N steps back
in the history of ``latest``, see :mod:`lrsweep.store.history`). Without ``--results`` a command
works on the sweep folder the config names (``config.yaml``, or ``--config-file``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from lrsweep.errors import LrsweepError
from lrsweep.store.versions import METRICS
from lrsweep.tools.args import NOTES, results_args, sweep_folder


def _folder(args) -> Path:
    """The sweep folder of a command's arguments (:func:`sweep_folder`), found once."""
    if getattr(args, "_folder", None) is None:
        args._folder = sweep_folder(args.results, args.config_file, NOTES)
    return args._folder


def _version(args, name: str | None = None) -> Path:
    from lrsweep.store.names import resolve

    return resolve(_folder(args), name or args.version)


def cmd_versions(args) -> int:
    from lrsweep.results.markdown import table
    from lrsweep.tools.versions import versions_table

    columns, rows = versions_table(_folder(args))
    if not rows:
        print("no complete versions yet")
        return 0
    print(table(columns, rows), end="")
    return 0


def cmd_compare(args) -> int:
    from lrsweep.results.figures import plot_comparison
    from lrsweep.results.tables import markdown_table
    from lrsweep.tools.compare import compare_metrics

    results = _folder(args)
    old, new = _version(args, args.old), _version(args, args.new)
    table = compare_metrics(pd.read_csv(old / METRICS), pd.read_csv(new / METRICS), args.metric)
    # the files first: a reader that stops early (`| head`) loses none of them
    out = Path(args.out or results / f"compare_{old.name}_{new.name}")
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "comparison.csv", index=False)
    fig = plot_comparison(table, args.metric, old.name, new.name)
    fig.savefig(out / "comparison.png", dpi=100)
    counts = table["change"].value_counts()
    print(
        f"{old.name} -> {new.name}: "
        + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("added", "removed", "changed", "unchanged"))
    )
    shown = table if args.all else table[table["change"] != "unchanged"]
    print(markdown_table(shown), end="")
    print(f"written: {out / 'comparison.csv'}, {out / 'comparison.png'}")
    return 0


def cmd_predict(args) -> int:
    from lrsweep.store.files import atomic_write_text
    from lrsweep.tools.predict import experiment_info, output_problem, predict_table, selected_model

    refused = output_problem(Path(args.output))
    if refused:
        raise LrsweepError(f"-o {refused}: write the predictions elsewhere")
    version = _version(args)
    experiment_info(version, args.experiment)  # an unknown experiment: say so, list them
    model_id = selected_model(version, args.experiment) if args.selected else args.model_id
    try:
        frame = pd.read_csv(args.input)
        # the input's own text, written back as it was (a column with gaps is read as float:
        # written from ``frame``, an age of 32 came back as 32.0)
        text = pd.read_csv(args.input, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise LrsweepError(f"{args.input}: cannot read it ({exc})") from None
    out = predict_table(version, args.experiment, model_id, frame, str(args.input))
    added = out.drop(columns=frame.columns)
    out = pd.concat([text, added.set_axis(text.index)], axis=1)
    try:
        atomic_write_text(args.output, out.to_csv(index=False))
    except OSError as exc:
        raise LrsweepError(f"-o {args.output}: cannot write it ({exc.strerror})") from None
    print(
        f"lrsweep: {len(out)} rows scored with {args.experiment}/{model_id} of {version.name} "
        f"-> {args.output}"
    )
    return 0


def cmd_verify(args) -> int:
    from lrsweep.store.versions import problems

    version = _version(args)
    found = problems(version)
    for line in found:
        print(f"lrsweep: {line}")
    if not found:
        print(f"lrsweep: {version}: every file matches SHA256SUMS")
    return 1 if found else 0


def cmd_gc(args) -> int:
    from lrsweep.tools.gc import collect

    print(f"lrsweep gc: {collect(_folder(args), args.keep_last, args.dry_run)}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="lrsweep", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("versions", help="list the complete versions of a sweep")
    results_args(p)
    p.set_defaults(func=cmd_versions)
    p = sub.add_parser("compare", help="grid points added, removed and changed between versions")
    p.add_argument("old", help="a version: v-..., latest or latest~N")
    p.add_argument("new", help="a version: v-..., latest or latest~N")
    results_args(p)
    p.add_argument("--metric", default="accuracy_test")
    p.add_argument("--out", type=Path, help="where comparison.csv and .png go")
    p.add_argument("--all", action="store_true", help="also list unchanged grid points")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("predict", help="score new rows with a saved model of a version")
    p.add_argument("input", type=Path, help="a csv file with the dataset's feature columns")
    p.add_argument("-o", "--output", type=Path, required=True, help="the csv file to write")
    p.add_argument("--experiment", required=True)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model-id", help="a grid point's model_id (see metrics.csv)")
    which.add_argument(
        "--selected", action="store_true", help="the fit the experiment's selection rule chose"
    )
    p.add_argument("--version", default="latest", help="v-..., latest or latest~N")
    results_args(p)
    p.set_defaults(func=cmd_predict)
    p = sub.add_parser("verify", help="check every file of a version against its SHA256SUMS")
    p.add_argument("--version", default="latest", help="v-..., latest or latest~N")
    results_args(p)
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser(
        "gc", help="remove what no remaining version uses (and, with --keep-last, old versions)"
    )
    p.add_argument(
        "--keep-last",
        type=int,
        metavar="N",
        help="also remove the version folders older than the N most recent in the history "
        "of latest (latest is always kept)",
    )
    p.add_argument("--dry-run", action="store_true", help="say what would be removed, remove none")
    results_args(p)
    p.set_defaults(func=cmd_gc)
    from lrsweep.tools.mlflow_export import add_parser as add_export_parser

    add_export_parser(sub)
    args = parser.parse_args(argv)
    NOTES.clear()
    try:
        code = args.func(args)
        sys.stdout.flush()
    except LrsweepError as exc:
        print(f"lrsweep: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return _reader_gone()
    for line in NOTES:
        print(line, file=sys.stderr)
    return code


def _reader_gone() -> int:
    """The reader of stdout stopped early (``lrsweep compare ... | head``): no traceback, and
    the exit status of a command a closed pipe stopped (128 + SIGPIPE), as other tools give.
    Stdout goes to /dev/null, so that Python's flush at exit does not raise again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141


if __name__ == "__main__":
    raise SystemExit(main())
