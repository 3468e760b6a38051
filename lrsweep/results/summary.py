"""The text printed at the end of a run (a version's ``summary.txt``): how many grid points
ended how, and a table of the failures."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from lrsweep.domain import RECORDED, Status
from lrsweep.results import markdown

FAILURE_COLUMNS = ("experiment", "model_id", "reason")


def summary_text(
    metrics_csv, leaderboard_md, version_dir: Path, dropped: dict | None = None
) -> tuple[str, bool]:
    """The text printed at the end of a run (also saved as ``summary.txt``), and whether any
    grid point failed. ``ok`` is split into converged and not converged (a fit that did not
    converge is never selected); ``dropped``: the rows ``dropna`` dropped, by experiment."""
    with open(metrics_csv, newline="", encoding="utf-8") as f:
        metrics = list(csv.DictReader(f))
    counts = Counter(row["status"] for row in metrics)
    unconverged = sum(1 for r in metrics if r["status"] == Status.OK and r["converged"] != "True")

    def count(s: str) -> str:
        if s == Status.OK and unconverged:
            return f"{counts.get(s, 0)} ok ({unconverged} not converged)"
        return f"{counts.get(s, 0)} {s}"

    lines = [
        f"lrsweep: {version_dir} (also {version_dir.parent}/latest)",
        "grid points: "
        + ", ".join(count(s) for s in RECORDED if counts.get(s) or s != Status.SEPARATED),
        *(
            f"experiment '{name}': dropna dropped {n:,} rows with a gap or an infinite value"
            for name, n in sorted((dropped or {}).items())
            if n
        ),
        "",
        # the table only; the list of fits not significantly worse stays in the file
        Path(leaderboard_md).read_text().split("\n## ")[0].strip(),
        f"(fits not significantly worse than the selected one: {version_dir}/leaderboard.md)",
    ]
    failed = [[r[k] for k in FAILURE_COLUMNS] for r in metrics if r["status"] == Status.FAILED]
    if failed:
        lines += [
            "",
            f"{len(failed)} grid point(s) FAILED (tracebacks in {version_dir}/fits/<experiment>/"
            "<model_id>/traceback.txt and in the fit job's log):",
            markdown.table(FAILURE_COLUMNS, failed).strip(),
        ]
    return "\n".join(lines) + "\n", bool(failed)
