"""``report.html``: one self-contained page per version, the file most people open.

It holds the leaderboard (with how each fit was selected), and per experiment the selected
fit's scores and confusion matrix, the plots over the grid and a table of every grid point.
Figures are embedded (base64 PNG), so the page opens offline, anywhere, on its own; no
script is needed to show it. ``tests/test_report.py`` opens it in headless Chromium and checks
that the tables and figures display.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import pandas as pd

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em 2em;
       color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em;
       margin-top: 2em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
th { background: #f3f3f3; } td.text { text-align: left; }
tr.selected td { background: #fff6d5; font-weight: 600; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
.figures figure { margin: 0; max-width: 100%; }
.figures img { max-width: 100%; height: auto; border: 1px solid #eee; }
.note { color: #555; font-size: 0.9em; } .scroll { overflow-x: auto; }
"""

GRID_COLUMNS = [
    "model_id",
    "status",
    "converged",
    "cv_accuracy_mean",
    "accuracy_train",
    "accuracy_test",
    "accuracy_test_ci_low",
    "accuracy_test_ci_high",
    "roc_auc_test",
    "log_loss_test",
    "brier_test",
    "reason",
]
OVERVIEW_ORDER = [
    "accuracy_vs_C",
    "heatmap",
    "gap",
    "coef_paths",
    "roc",
    "precision_recall",
    "calibration",
]


def cell(value) -> tuple[str, str]:
    """(text, css class) of a table cell."""
    if isinstance(value, float):
        if math.isnan(value):
            return "", ""
        return f"{value:.4g}", ""
    if isinstance(value, bool):
        return str(value), "text"
    return html.escape(str(value)), "text" if not isinstance(value, int) else ""


def table(frame: pd.DataFrame, highlight: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, r in frame.iterrows():
        cls = ' class="selected"' if highlight and r.get("model_id") == highlight else ""
        cells = "".join(
            f'<td class="{c}">{t}</td>' if c else f"<td>{t}</td>" for t, c in map(cell, r)
        )
        rows.append(f"<tr{cls}>{cells}</tr>")
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(rows)}</table></div>'


def image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(alt)}</figcaption></figure>"
    )


def experiment_section(version_dir: Path, name: str, metrics: pd.DataFrame, best) -> str:
    parts = [f'<h2 id="{html.escape(name)}">{html.escape(name)}</h2>']
    counts = metrics["status"].value_counts().to_dict()
    parts.append(
        '<p class="note">'
        + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        + f"; {int(metrics['n_train'].max())} training rows, {int(metrics['n_test'].max())} "
        "test rows.</p>"
        if "n_train" in metrics and metrics["n_train"].notna().any()
        else ""
    )
    figures = version_dir / "figures" / name
    if best is not None:
        parts.append(f"<h3>Selected fit: {html.escape(str(best['model_id']))}</h3>")
        confusion = sorted((figures / "fits").glob(f"confusion--*--{best['model_id']}.png"))
        shown = [image(p, "confusion matrix of the selected fit") for p in confusion]
        parts.append(f'<div class="figures">{"".join(shown)}</div>')
    overview = figures / "overview"
    if overview.is_dir():
        names = sorted(p.stem for p in overview.glob("*.png"))
        ordered = [n for n in OVERVIEW_ORDER if n in names] + [
            n for n in names if n not in OVERVIEW_ORDER
        ]
        parts.append("<h3>Over the grid</h3>")
        parts.append(
            '<div class="figures">'
            + "".join(image(overview / f"{n}.png", n.replace("_", " ")) for n in ordered)
            + "</div>"
        )
    columns = [c for c in GRID_COLUMNS if c in metrics.columns]
    parts.append(f"<h3>Every grid point ({len(metrics)})</h3>")
    parts.append(table(metrics[columns], highlight=None if best is None else str(best["model_id"])))
    parts.append(
        f'<p class="note">All columns: metrics.csv; per-fit figures: figures/{html.escape(name)}'
        f"/fits/; per-fit files: fits/{html.escape(name)}/.</p>"
    )
    return "\n".join(parts)


def write_report(version_dir: Path, version: str, sweep: str, metrics, coefficients, board):
    """Write ``report.html`` into a version folder being assembled (after its figures)."""
    from lrsweep import selection
    from lrsweep.tables import SELECTED_ON

    sections, nav = [], []
    for name, group in metrics.groupby("experiment", sort=False):
        nonzero = selection.nonzero_counts(coefficients[coefficients["experiment"] == name])
        best = selection.selected(group, nonzero)
        sections.append(experiment_section(version_dir, str(name), group, best))
        nav.append(f'<a href="#{html.escape(str(name))}">{html.escape(str(name))}</a>')
    counts = metrics["status"].value_counts().to_dict()
    selected_by = dict(zip(board["experiment"], board["selected_by"], strict=True))
    rules = sorted(
        {
            selection.protocol(g, selected_by.get(name) == SELECTED_ON[True])
            for name, g in metrics.groupby("experiment")
        }
    )
    page = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>lrsweep: {html.escape(sweep)} {html.escape(version)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(sweep)}: {html.escape(version)}</h1>",
        '<p class="note">'
        + f"{len(metrics)} grid points: "
        + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        + ". Files of this version: metrics.csv, coefficients.csv, leaderboard.md, "
        "comparisons.csv, provenance.json.</p>",
        f"<nav>{''.join(nav)}</nav>",
        '<h2 id="leaderboard">Leaderboard</h2>',
        "<p>Selected fit per experiment: "
        + "; ".join(html.escape(r) for r in rules)
        + ". Only converged fits with status ok are candidates; ties within 1e-9 go to the "
        "simpler model. Intervals: 95 % (Clopper-Pearson for accuracy).</p>",
        table(board),
        *sections,
        "</body></html>",
    ]
    (version_dir / "report.html").write_text("\n".join(page) + "\n", encoding="utf-8")
