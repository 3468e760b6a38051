"""``report.html``: one self-contained page per version, the file most people open.

It holds the leaderboard (with how each fit was selected), and per experiment the selected
fit's scores and confusion matrix, the plots over the grid, a parallel-coordinates view of the
settings against the selection metric (when more than one setting varies) and a table of every
grid point. Figures are embedded (base64 PNG, inline SVG), so the page opens offline, anywhere,
on its own. A small inline script (:data:`SCRIPT`, no network) makes every table sortable by a
click on a column's header, filterable (free text over every cell, settings included, and a
status menu; a word ``column=value``, such as ``solver=saga``, keeps the rows whose cell in
that column shows exactly that value) and shows the columns a reader needs first (settings,
status and reason, the selection metric, test scores), the others behind "show all columns";
without the script the tables are plain tables. ``tests/workflow/test_report.py`` drives it in
headless Chromium.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import pandas as pd

from lrsweep.domain import SETTING_KEYS, Status, parse_fit_figure
from lrsweep.store.versions import REPORT

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em 2em;
       color: #222; box-sizing: border-box; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em;
       margin-top: 2em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.4em; text-align: right; }
th { background: #f3f3f3; cursor: pointer; vertical-align: bottom; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
td.text, th[data-type=text] { text-align: left; }
td.reason { text-align: left; } td.reason:not(:empty) { min-width: 16em; }
tr.selected td { background: #fff6d5; font-weight: 600; }
table.sweep:not(.all) .extra { display: none; }
.controls { display: flex; flex-wrap: wrap; gap: 0.8em; align-items: center; font-size: 0.9em; }
.controls input[type=search] { width: 22em; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
.figures figure { margin: 0; max-width: 100%; }
.figures img { max-width: 100%; height: auto; border: 1px solid #eee; }
svg.parallel { max-width: 100%; height: auto; border: 1px solid #eee; }
.note { color: #555; font-size: 0.9em; } .scroll { overflow-x: auto; max-width: 100%; }
"""

#: The page's only script: sorting, filtering and the column toggle of every ``table.sweep``.
SCRIPT = """
document.querySelectorAll("div.sweep").forEach(function (box) {
  var table = box.querySelector("table"), body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = box.querySelector("input.filter"), status = box.querySelector("select.status");
  var all = box.querySelector("input.all"), shown = box.querySelector(".shown");
  function haystack(r) {
    return Array.prototype.map.call(r.cells, function (c) { return c.textContent; })
      .join("\\t").toLowerCase();
  }
  var names = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
    return th.textContent.toLowerCase();
  });
  function matches(r, hay, term) {
    var eq = term.indexOf("="), col = eq > 0 ? names.indexOf(term.slice(0, eq)) : -1;
    if (col < 0) { return hay.indexOf(term) >= 0; }
    return r.cells[col].textContent.toLowerCase() === term.slice(eq + 1);
  }
  function apply() {
    var terms = text.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var want = status ? status.value : "", n = 0;
    rows.forEach(function (r) {
      var hay = haystack(r);
      var keep = (!want || r.dataset.status === want) &&
        terms.every(function (t) { return matches(r, hay, t); });
      r.hidden = !keep;
      if (keep) { n += 1; }
    });
    shown.textContent = n + " of " + rows.length + " rows shown";
  }
  function value(r, i, numeric) {
    var v = r.cells[i].dataset.v;
    if (v === undefined) { v = r.cells[i].textContent; }
    if (v === "") { return null; }
    if (!numeric) { return v.toLowerCase(); }
    var x = parseFloat(v);
    return isNaN(x) ? null : x;
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.title = "click to sort";
    th.addEventListener("click", function () {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
        h.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      var numeric = th.dataset.type === "num";
      rows.sort(function (a, b) {
        var x = value(a, i, numeric), y = value(b, i, numeric);
        if (x === null || y === null) { return (x === null) - (y === null); }
        return x < y ? -dir : x > y ? dir : 0;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  text.addEventListener("input", apply);
  if (status) { status.addEventListener("change", apply); }
  all.addEventListener("change", function () { table.classList.toggle("all", all.checked); });
  apply();
});
"""

#: Test scores a reader of an experiment's grid wants beside its selection metric.
SCORE_COLUMNS = [
    "accuracy_test",
    "accuracy_test_ci_low",
    "accuracy_test_ci_high",
    "roc_auc_test",
    "log_loss_test",
    "brier_test",
]
#: The leaderboard's first columns; the rest is behind "show all columns".
BOARD_COLUMNS = [
    "experiment",
    "selected_by",
    "model_id",
    "C",
    "cv_accuracy_mean",
    "cv_accuracy_se",
    "accuracy_test",
    "accuracy_test_ci_low",
    "accuracy_test_ci_high",
    "roc_auc_test",
    "one_se_model_id",
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


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def cell(value) -> tuple[str, str, str]:
    """(escaped text, css class, sort value) of a table cell: numbers sort by their value,
    an empty cell sorts last."""
    if _missing(value):
        return "", "", ""
    if isinstance(value, bool):
        return str(value), "text", str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        x = float(value)
        shown = "inf" if math.isinf(x) else f"{x:.4g}" if isinstance(value, float) else str(value)
        return shown, "", repr(x)
    text = html.escape(str(value))
    return text, "text", text


def varying_settings(metrics: pd.DataFrame) -> list[str]:
    """The setting keys (lrsweep.domain.SETTING_KEYS) that take more than one value among an
    experiment's grid points that have the key (a scikit-learn key is not set on a
    statsmodels fit: that alone does not make it vary), in the grid's order."""
    keys = []
    for key in SETTING_KEYS:
        if key in metrics:
            values = metrics[key][~metrics[key].map(_missing)]
            if values.map(str).nunique() > 1:
                keys.append(key)
    return keys


def grid_columns(metrics: pd.DataFrame, metric: str) -> tuple[list[str], list[str]]:
    """(first, rest) columns of an experiment's grid table: model_id, the settings that vary,
    status and its reason, converged, the selection ``metric`` and the test scores first;
    every other column of metrics.csv behind the toggle."""
    first = [
        "model_id",
        *varying_settings(metrics),
        "status",
        "reason",
        "converged",
        metric,
        *SCORE_COLUMNS,
    ]
    first = list(dict.fromkeys(c for c in first if c in metrics.columns))
    rest = [c for c in metrics.columns if c not in first and c != "experiment"]
    return first, rest


def header(name) -> str:
    """A column's name as a header that may wrap after its underscores (``accuracy_test_ci_low``
    over three lines rather than one wide column)."""
    return html.escape(str(name)).replace("_", "_<wbr>")


def _table_row(record: dict, first: list[str], highlight: str | None) -> str:
    """One row of :func:`table` (its columns in ``record``'s order; those not in ``first``
    are ``extra``): the selected fit marked, its status as a data attribute."""
    attrs = ""
    if highlight and record.get("model_id") == highlight:
        attrs += ' class="selected"'
    if "status" in record and not _missing(record["status"]):
        attrs += f' data-status="{html.escape(str(record["status"]))}"'
    cells = []
    for c, value in record.items():
        text, css, v = cell(value)
        css = " ".join(
            x for x in (css, "reason" if c == "reason" else "", "" if c in first else "extra") if x
        )
        cells.append(
            f'<td{f" class={chr(34)}{css}{chr(34)}" if css else ""} data-v="{v}">{text}</td>'
        )
    return f"<tr{attrs}>{''.join(cells)}</tr>"


def _status_menu(frame: pd.DataFrame) -> str:
    """The menu of :func:`table` that shows the rows of one status."""
    options = sorted(str(s) for s in frame["status"].dropna().unique())
    return (
        '<label>status <select class="status"><option value="">every status</option>'
        + "".join(f'<option value="{html.escape(s)}">{html.escape(s)}</option>' for s in options)
        + "</select></label>"
    )


def table(
    frame: pd.DataFrame,
    first: list[str] | None = None,
    highlight: str | None = None,
    statuses: bool = True,
) -> str:
    """An interactive table of ``frame``: the ``first`` columns shown, the others ``extra``
    (behind "show all columns"), a filter box and, with ``statuses``, a status menu."""
    first = list(frame.columns) if first is None else first
    columns = first + [c for c in frame.columns if c not in first]
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c in columns}
    head = "".join(
        f'<th data-type="{"num" if numeric[c] else "text"}"'
        f"{'' if c in first else ' class=extra'}>{header(c)}</th>"
        for c in columns
    )
    rows = [_table_row(r, first, highlight) for r in frame[columns].to_dict("records")]
    menu = _status_menu(frame) if statuses and "status" in frame else ""
    toggle = (
        '<label><input type="checkbox" class="all"> show all columns</label>'
        if len(columns) > len(first)
        else '<input type="checkbox" class="all" hidden>'
    )
    controls = (
        '<div class="controls"><input type="search" class="filter" '
        'placeholder="filter: words of a row, or column=value (solver=saga)" '
        'aria-label="filter the rows">'
        f'{menu}{toggle}<span class="shown note">{len(frame)} rows</span></div>'
    )
    return (
        f'<div class="sweep">{controls}<div class="scroll"><table class="sweep">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></div>"
    )


def image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(alt)}</figcaption></figure>"
    )


def _level_text(value) -> str:
    if _missing(value):
        return "(not set)"
    if isinstance(value, float):
        return "inf" if math.isinf(value) else f"{value:g}"
    return str(value)


def _level_order(values: pd.Series) -> list[str]:
    """The levels of a setting on its axis: numbers in numeric order, then text, then unset."""
    seen = list(dict.fromkeys(values.tolist()))

    def key(v):
        if _missing(v):
            return (2, 0.0, "")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return (0, float(v), "")
        return (1, 0.0, str(v))

    return list(dict.fromkeys(_level_text(v) for v in sorted(seen, key=key)))


def _colour(t: float) -> str:
    """A blue (worst) to orange (best) ramp, ``t`` in [0, 1]."""
    lo, hi = (49, 104, 142), (230, 120, 20)
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(lo, hi, strict=True))


def parallel_svg(metrics: pd.DataFrame, metric: str, selected: str | None = None) -> str:
    """A parallel-coordinates view (inline SVG) of an experiment's scored grid points: one
    axis per setting that varies, the selection ``metric`` last, one line per grid point
    coloured by the metric (the selected fit drawn thick). Empty when fewer than two settings
    vary or no point has the metric."""
    keys = varying_settings(metrics)
    points = metrics[metrics[metric].notna()] if metric in metrics else metrics.iloc[:0]
    if len(keys) < 2 or points.empty:
        return ""
    width, height, top, bottom, left, right = PARALLEL_BOX
    axes = [*keys, metric]
    xs = [left + i * (width - left - right) / (len(axes) - 1) for i in range(len(axes))]
    levels = {k: _level_order(metrics[k]) for k in keys}
    lo, hi = float(points[metric].min()), float(points[metric].max())
    span = hi - lo or 1.0

    def y_of(axis, value):
        if axis == metric:
            t = (float(value) - lo) / span
        else:
            names = levels[axis]
            t = 0.5 if len(names) == 1 else 1 - names.index(_level_text(value)) / (len(names) - 1)
        return top + (1 - t) * (height - top - bottom)

    parts = [
        f'<svg class="parallel" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" xmlns="http://www.w3.org/2000/svg"><title>settings against '
        f"{html.escape(metric)}</title>"
    ]
    order = sorted(points.to_dict("records"), key=lambda r: r.get("model_id") == selected)
    for r in order:
        pts = " ".join(f"{x:.1f},{y_of(a, r[a]):.1f}" for x, a in zip(xs, axes, strict=True))
        t = (float(r[metric]) - lo) / span
        thick = r.get("model_id") == selected
        parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{"#c00" if thick else _colour(t)}" '
            f'stroke-width="{3 if thick else 1.3}" stroke-opacity="{1 if thick else 0.7}">'
            f"<title>{html.escape(str(r.get('model_id')))}: {html.escape(metric)} "
            f"{float(r[metric]):.4f}</title></polyline>"
        )
    for x, a in zip(xs, axes, strict=True):
        if a == metric:
            parts += _metric_axis(x, a, lo, hi)
        else:
            parts += _level_axis(x, a, levels[a])
    parts.append("</svg>")
    return "".join(parts)


#: The parallel-coordinates view's box: width, height, and its top, bottom, left and right
#: margins (pixels).
PARALLEL_BOX = (1100, 340, 40, 30, 60, 90)


def _axis(x: float, name: str, ticks: list[tuple[str, float]]) -> list[str]:
    """One axis of the parallel-coordinates view: its line, its name and its tick labels
    (label, depth below the axis' top as a fraction of its length)."""
    _width, height, top, bottom, _left, _right = PARALLEL_BOX
    parts = [
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - bottom}" stroke="#444"/>',
        f'<text x="{x:.1f}" y="{top - 18}" text-anchor="middle" font-size="13" '
        f'font-weight="600">{html.escape(name)}</text>',
    ]
    for label, depth in ticks:
        y = top + depth * (height - top - bottom)
        parts.append(
            f'<text x="{x + 5:.1f}" y="{y + 4:.1f}" font-size="11" fill="#333">'
            f"{html.escape(label[:24])}</text>"
        )
    return parts


def _metric_axis(x: float, metric: str, lo: float, hi: float) -> list[str]:
    """The selection metric's axis: five ticks from ``lo`` to ``hi`` (one when they agree)."""
    span = hi - lo or 1.0
    if hi > lo:
        values = [lo + span * k / 4 for k in range(5)]
        return _axis(x, metric, [(f"{v:.4f}", 1 - (v - lo) / span) for v in values])
    return _axis(x, metric, [(f"{lo:.4f}", 1 - (lo - lo) / span)])


def _level_axis(x: float, name: str, names: list[str]) -> list[str]:
    """A setting's axis: one tick per level, the first at the top."""
    n = len(names)
    return _axis(x, name, [(v, 0.5 if n == 1 else i / (n - 1)) for i, v in enumerate(names)])


def rows_note(metrics: pd.DataFrame, same_rows: bool, dropped: int | None = None) -> str:
    """How many rows the experiment's fits learned from and were scored on."""
    if "n_train" not in metrics or not metrics["n_train"].notna().any():
        return ""
    n_train = int(metrics["n_train"].max())
    text = (
        f"{n_train} rows (all rows: no split)"
        if same_rows
        else f"{n_train} training rows, {int(metrics['n_test'].max())} test rows"
    )
    if dropped:
        text += f"; dropna dropped {dropped:,} rows with a gap or an infinite value"
    return text


def status_counts(metrics: pd.DataFrame) -> str:
    """The grid points by status, ``ok`` split into converged and not converged."""
    counts = metrics["status"].value_counts().to_dict()
    parts = []
    for status, n in sorted(counts.items()):
        if status == Status.OK and "converged" in metrics:
            ok = metrics[metrics["status"] == Status.OK]["converged"]
            bad = int((~ok.map(lambda v: v is True or v == "True" or v == 1.0)).sum())
            parts.append(f"{n} ok" + (f" ({bad} not converged)" if bad else ""))
        else:
            parts.append(f"{n} {status}")
    return ", ".join(parts)


def experiment_section(
    version_dir: Path, name: str, metrics: pd.DataFrame, best, same_rows=False, dropped=None
) -> str:
    from lrsweep.results import selection

    parts = [f'<h2 id="{html.escape(name)}">{html.escape(name)}</h2>']
    rows = rows_note(metrics, same_rows, dropped)
    parts.append(
        f'<p class="note">{html.escape(status_counts(metrics))}'
        + (f"; {html.escape(rows)}" if rows else "")
        + ".</p>"
    )
    figures = version_dir / "figures" / name
    if best is not None:
        part = "all rows" if same_rows else "the test rows"
        parts.append(f"<h3>Selected fit: {html.escape(str(best['model_id']))}</h3>")
        fits = {p: parse_fit_figure(p.name) for p in sorted((figures / "fits").glob("*.png"))}
        confusion = [p for p, f in fits.items() if f and f[::4] == ("confusion", best["model_id"])]
        shown = [image(p, f"confusion matrix of the selected fit ({part})") for p in confusion]
        parts.append(f'<div class="figures">{"".join(shown)}</div>')
    overview = figures / "overview"
    names = sorted(p.stem for p in overview.glob("*.png")) if overview.is_dir() else []
    if names:
        ordered = [n for n in OVERVIEW_ORDER if n in names] + [
            n for n in names if n not in OVERVIEW_ORDER
        ]
        parts.append("<h3>Over the grid</h3>")
        parts.append(
            '<div class="figures">'
            + "".join(image(overview / f"{n}.png", n.replace("_", " ")) for n in ordered)
            + "</div>"
        )
    metric = selection.selection_column(metrics)
    svg = parallel_svg(metrics, metric, None if best is None else str(best["model_id"]))
    if svg:
        parts.append(f"<h3>Settings against {html.escape(metric)}</h3>")
        parts.append(
            '<p class="note">One line per scored grid point, from blue (lowest) to orange '
            "(highest); the selected fit in red. Hover over a line for its model_id.</p>"
        )
        parts.append(f'<div class="scroll">{svg}</div>')
    first, _rest = grid_columns(metrics, metric)
    parts.append(f"<h3>Every grid point ({len(metrics)})</h3>")
    frame = metrics.drop(columns=["experiment"], errors="ignore")
    parts.append(table(frame, first, None if best is None else str(best["model_id"])))
    parts.append(
        f'<p class="note">The same columns: metrics.csv; per-fit figures: figures/'
        f"{html.escape(name)}/fits/; per-fit files: fits/{html.escape(name)}/.</p>"
    )
    return "\n".join(parts)


def write_report(
    version_dir: Path,
    version: str,
    sweep: str,
    metrics,
    coefficients,
    board,
    same_rows: frozenset = frozenset(),
    dropped: dict | None = None,
):
    """Write ``report.html`` into a version folder being assembled (after its figures).
    ``same_rows``: the experiments with ``split: none``; ``dropped``: rows ``dropna`` dropped,
    by experiment."""
    from lrsweep.results import selection
    from lrsweep.results.tables import SELECTED_ON

    dropped = dropped or {}
    sections, nav = [], []
    for name, group in metrics.groupby("experiment", sort=False):
        nonzero = selection.nonzero_counts(coefficients[coefficients["experiment"] == name])
        best = selection.selected(group, nonzero)
        sections.append(
            experiment_section(
                version_dir, str(name), group, best, name in same_rows, dropped.get(name)
            )
        )
        nav.append(f'<a href="#{html.escape(str(name))}">{html.escape(str(name))}</a>')
    selected_by = dict(zip(board["experiment"], board["selected_by"], strict=True))
    rules = sorted(
        {
            selection.protocol(g, selected_by.get(name) == SELECTED_ON[True])
            for name, g in metrics.groupby("experiment")
        }
    )
    board_first = [c for c in BOARD_COLUMNS if c in board.columns]
    page = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>lrsweep: {html.escape(sweep)} {html.escape(version)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(sweep)}: {html.escape(version)}</h1>",
        '<p class="note">'
        + f"{len(metrics)} grid points: "
        + html.escape(status_counts(metrics))
        + ". Files of this version: metrics.csv, coefficients.csv, leaderboard.md, "
        "comparisons.csv, provenance.json. Click a column's header to sort.</p>",
        f"<nav>{''.join(nav)}</nav>",
        '<h2 id="leaderboard">Leaderboard</h2>',
        "<p>Selected fit per experiment: "
        + "; ".join(html.escape(r) for r in rules)
        + ". Only converged fits with status ok are candidates; ties within 1e-9 go to the "
        "simpler model. Intervals: 95 % (Clopper-Pearson for accuracy).</p>",
        table(board, board_first, statuses=False),
        *sections,
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    (version_dir / REPORT).write_text("\n".join(page) + "\n", encoding="utf-8")
