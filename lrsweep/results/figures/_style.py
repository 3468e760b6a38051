"""What every figure shares: line and marker styles, notes under the axes, fixed
layouts, and saving as PNG or SVG bytes."""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

MARKERS = "osD^vPX*h<>p"


LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]


def curve_styles(n: int) -> list[dict]:
    """Line keywords for ``n`` curves of ranked fits that may coincide: the first (the
    selected fit) widest and lowest, each next narrower, dashed differently, drawn on top."""
    return [
        {
            "color": f"C{i % 10}",
            "ls": LINESTYLES[i % len(LINESTYLES)],
            "lw": 4.0 - 2.6 * i / max(1, n - 1),
            "zorder": 2 + 0.01 * i,
        }
        for i in range(n)
    ]


def series_styles(labels) -> dict[str, dict]:
    """Plot keywords per series that keep every series visible where lines coincide: the
    first drawn lowest, with the widest line and the largest marker, each next one narrower
    and smaller on top of it, in its own colour, marker shape and dash pattern."""
    labels = list(labels)
    n = max(1, len(labels) - 1)
    return {
        label: {
            "color": f"C{i % 10}",
            "marker": MARKERS[i % len(MARKERS)],
            "ls": LINESTYLES[i % len(LINESTYLES)],
            "ms": 10 - 5.5 * i / n,
            "lw": 2.8 - 1.6 * i / n,
            "mec": "white",
            "mew": 0.6,
            "zorder": 2 + 0.01 * i,
        }
        for i, label in enumerate(labels)
    }


def _wrap(title: str, width: int = 80) -> str:
    """A title wrapped line by line (matplotlib does not wrap titles)."""
    return "\n".join(textwrap.fill(line, width) for line in title.split("\n"))


def add_note(fig, text: str, fontsize: float = 7.5) -> float:
    """``text`` wrapped to the figure's width at its bottom edge; returns the height it takes
    as a fraction of the figure (the room a layout must leave under the axes)."""
    if not text:
        return 0.0
    width = max(30, int(fig.get_figwidth() * 100 / (0.62 * fontsize * 100 / 72)))
    lines = textwrap.wrap(text, width)
    fig.text(0.5, 0.008, "\n".join(lines), ha="center", va="bottom", fontsize=fontsize)
    return (len(lines) * fontsize * 1.25 / 72 + 0.05) / fig.get_figheight()


def fixed_layout(fig, rect=(0, 0, 1, 1), left=0.75, right=0.2, bottom=0.6, top=0.3, gap=0.85):
    """Place a figure's grid of panels by fixed margins in inches inside ``rect`` (figure
    fractions, as tight_layout's): tick labels of scores and coefficients are short, and
    tight_layout, which measures every text first, cost as much as drawing the figure."""
    width, height = fig.get_size_inches()
    x0, y0, x1, y1 = rect
    spec = fig.axes[0].get_subplotspec().get_gridspec()
    rows, cols = spec.get_geometry()
    lo_x, hi_x = x0 + left / width, x1 - right / width
    lo_y, hi_y = y0 + bottom / height, y1 - top / height
    panel_w = ((hi_x - lo_x) * width - (cols - 1) * gap) / cols
    panel_h = ((hi_y - lo_y) * height - (rows - 1) * gap) / rows
    fig.subplots_adjust(
        left=lo_x, right=hi_x, bottom=lo_y, top=hi_y, wspace=gap / panel_w, hspace=gap / panel_h
    )


def legend_under_axes(fig, ax, title: str, room: float, fontsize: float = 7.5) -> None:
    """``ax``'s legend (one entry a line) under it, above a note that takes ``room`` (a figure
    fraction, :func:`add_note`), and the axes placed by fixed margins around them and the
    ``title`` (its lines counted): what tight_layout found by measuring every text of the
    figure first, which cost about a third of drawing it."""
    legend = _legend_inches(ax, fontsize) / fig.get_figheight()
    ax.legend(
        fontsize=fontsize,
        loc="lower center",
        bbox_to_anchor=(0.5, room),
        bbox_transform=fig.transFigure,
        ncol=1,
    )
    fixed_layout(
        fig,
        rect=(0, room + legend, 1, 1),
        left=0.85,
        right=0.3,
        bottom=0.55,
        top=_title_inches(title),
    )


def legend_between_panels(fig, ax, title: str, fontsize: float = 7.5) -> None:
    """``ax``'s legend (one entry a line) under its x label, above the panel below it, and
    the panels placed by fixed margins that leave room for the ``title``'s lines, the label
    and the legend: as :func:`legend_under_axes`, for a figure of panels one above another."""
    import matplotlib.transforms

    below_label = 0.5  # inches from the axes' bottom edge to the legend: ticks and x label
    shift = matplotlib.transforms.ScaledTranslation(0, -below_label, fig.dpi_scale_trans)
    gap = below_label + _legend_inches(ax, fontsize) + 0.25
    ax.legend(
        fontsize=fontsize,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=ax.transAxes + shift,
        ncol=1,
    )
    fixed_layout(fig, left=0.85, right=0.3, bottom=0.55, top=_title_inches(title), gap=gap)


def _legend_inches(ax, fontsize: float) -> float:
    """The height of ``ax``'s legend, one entry a line, in inches."""
    return len(ax.get_legend_handles_labels()[1]) * fontsize * 1.45 / 72 + 0.15


def _title_inches(title: str) -> float:
    """The room above the axes for a title of 9 pt (its lines counted), in inches."""
    return 0.2 + (title.count("\n") + 1) * 9 * 1.3 / 72


def _no_minor_ticks(fig) -> None:
    """Log axes without minor ticks: a decade's tick and grid line read the same, and the
    minor ticks (an artist each, made at every draw) were a third of drawing the overview
    figures (measured: accuracy_vs_C 0.26 -> 0.18 s, coef_paths 0.50 -> 0.32 s)."""
    for ax in fig.axes:
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "log":
                axis.set_minor_locator(matplotlib.ticker.NullLocator())


def png_bytes(fig, close: bool = True) -> bytes:
    """``fig`` as PNG bytes at 100 dpi, zlib level 1: the same pixels as at Pillow's default
    level 6, files about 5 % larger, the encoding about 15 % faster (measured on the 10-panel
    one-vs-rest calibration figure: 51 -> 44 ms). The same figure gives the same bytes (no
    date in them)."""
    _no_minor_ticks(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, pil_kwargs={"compress_level": 1})
    if close:
        plt.close(fig)
    return buf.getvalue()


def warm_up() -> None:
    """Draw one small figure (a log axis, a legend, mathtext, an image with a colour bar) and
    throw it away: matplotlib reads its fonts and builds its caches on the first figure a
    process draws, so a job does it once before its workers fork (they inherit the caches),
    not once in every worker (measured: an experiment's first overview 3.0 s cold, 1.6 s
    after this, which takes 0.17 s). It changes no figure's bytes."""
    fig, axes = plt.subplots(1, 2, figsize=(2, 1.5))
    axes[0].plot([0.01, 1], [0, 1], label="$C$ a")
    axes[0].set_xscale("log")
    axes[0].legend()
    axes[0].set_title("t")
    fig.colorbar(axes[1].imshow([[0, 1], [1, 0]]), ax=axes[1])
    fig.savefig(io.BytesIO(), format="png", dpi=20)
    plt.close(fig)


def svg_bytes(fig) -> bytes:
    """The figure as SVG, the same bytes in every process: no date, and a fixed salt for the
    ids of clip paths and glyphs (matplotlib salts them with a fresh uuid4 otherwise, so two
    runs of one version wrote different SVG files)."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "lrsweep"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()
