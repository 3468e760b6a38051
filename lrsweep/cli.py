"""``lrsweep versions`` and ``lrsweep compare``: look at the versions of a sweep.

lrsweep versions [--results results/tutorial]
lrsweep compare OLD NEW [--results results/tutorial] [--metric accuracy_test] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def _default_results() -> Path:
    sweeps = [p for p in Path("results").glob("*") if p.is_dir()]
    if len(sweeps) == 1:
        return sweeps[0]
    raise SystemExit(
        "lrsweep: name the sweep folder with --results results/<sweep> "
        f"(found: {', '.join(sorted(str(p) for p in sweeps)) or 'none'})"
    )


def cmd_versions(args) -> int:
    from lrsweep.tables import markdown_table
    from lrsweep.versioning import list_versions

    rows = list_versions(args.results or _default_results())
    if not rows:
        print("no complete versions yet")
        return 0
    print(markdown_table(pd.DataFrame(rows)), end="")
    return 0


def cmd_compare(args) -> int:
    from lrsweep.compare import compare_metrics, plot_comparison, resolve_version
    from lrsweep.tables import markdown_table

    results = Path(args.results or _default_results())
    old, new = resolve_version(results, args.old), resolve_version(results, args.new)
    table = compare_metrics(
        pd.read_csv(old / "metrics.csv"), pd.read_csv(new / "metrics.csv"), args.metric
    )
    counts = table["change"].value_counts()
    print(
        f"{old.name} -> {new.name}: "
        + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("added", "removed", "changed", "unchanged"))
    )
    shown = table if args.all else table[table["change"] != "unchanged"]
    print(markdown_table(shown), end="")
    out = Path(args.out or results / f"compare_{old.name}_{new.name}")
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "comparison.csv", index=False)
    fig = plot_comparison(table, args.metric, old.name, new.name)
    fig.savefig(out / "comparison.png", dpi=100)
    print(f"written: {out / 'comparison.csv'}, {out / 'comparison.png'}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="lrsweep", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("versions", help="list the complete versions of a sweep")
    p.add_argument("--results", type=Path, help="results/<sweep> (default: the only one)")
    p.set_defaults(func=cmd_versions)
    p = sub.add_parser("compare", help="grid points added, removed and changed between versions")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--results", type=Path, help="results/<sweep> (default: the only one)")
    p.add_argument("--metric", default="accuracy_test")
    p.add_argument("--out", type=Path, help="where comparison.csv and .png go")
    p.add_argument("--all", action="store_true", help="also list unchanged grid points")
    p.set_defaults(func=cmd_compare)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
