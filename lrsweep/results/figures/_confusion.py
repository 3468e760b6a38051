"""The confusion matrix of one fit, drawn with Pillow (:func:`confusion_png`)."""

from __future__ import annotations

import io
from functools import cache

import numpy as np


@cache
def _font(size: int, bold: bool = False):
    """DejaVu Sans (matplotlib's own font, so the confusion matrices look like the plots)."""
    from matplotlib import font_manager
    from PIL import ImageFont

    props = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(props), size)


def _wrap_to(text: str, font, width: float) -> list[str]:
    """``text`` wrapped at its commas and spaces into lines no wider than ``width`` pixels."""
    lines, line = [], ""
    for word in text.split(" "):
        trial = f"{line} {word}".strip()
        if line and font.getlength(trial) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line] if line else lines


def confusion_layout(k: int, names: list[str], title: str, last: str) -> dict:
    """Sizes and the wrapped title of a confusion-matrix picture (pure: the tests check that
    the title always fits inside and no setting is dropped)."""
    cell = max(34, min(120, 600 // k))
    label = _font(12)
    tick_width = max(label.getlength(n) for n in names)
    rotate = tick_width > cell - 6
    left = int(24 + 8 + tick_width)
    bottom = int(20 + 8 + (tick_width * 0.72 + 14 if rotate else 16))
    width = max(left + k * cell + 110, int(_font(13).getlength(last)) + 30)
    for size in (13, 11, 9):  # smaller print before anything is left out
        font = _font(size)
        lines = _wrap_to(title, font, width - 20)
        if len(lines) <= 3:
            break
    lines = [*lines, last]
    top = 12 + len(lines) * (size + 5) + 16  # and the colour bar's label under the title
    return {
        "cell": cell,
        "left": left,
        "top": top,
        "bottom": bottom,
        "rotate": rotate,
        "size": (width, top + k * cell + bottom),
        "title": lines,
        "title_size": size,
    }


def confusion_png(cm, names: list[str], title: str, last: str) -> bytes:
    """A confusion matrix as PNG bytes: counts in the cells, coloured by count (Blues, 0 to the
    largest), actual classes down, predicted across, a colour bar, and a title wrapped to fit.

    Drawn with Pillow instead of matplotlib: a 10-class matrix took matplotlib 150 ms (100 text
    layouts), one for every fit of a sweep; this takes a few milliseconds."""
    from PIL import Image, ImageDraw

    cm = np.asarray(cm)
    lay = confusion_layout(len(names), [str(n) for n in names], title, last)
    image = Image.new("RGB", lay["size"], "white")
    draw = ImageDraw.Draw(image)
    highest = max(1, int(cm.max()))
    _cells(image, draw, cm, highest, lay)
    _class_labels(image, draw, names, lay)
    _colour_bar(image, draw, highest, len(names), lay)
    font, y = _font(lay["title_size"]), 8
    for line in lay["title"]:
        draw.text((lay["size"][0] / 2, y), line, fill="black", font=font, anchor="ma")
        y += lay["title_size"] + 5
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _cells(image, draw, cm, highest: int, lay: dict) -> None:
    """The cells, coloured by count, with their counts (white on the dark ones)."""
    import matplotlib
    from PIL import Image

    k, cell, left, top = len(cm), lay["cell"], lay["left"], lay["top"]
    colours = (np.asarray(matplotlib.colormaps["Blues"](cm / highest))[..., :3] * 255).astype(
        np.uint8
    )
    block = np.repeat(np.repeat(colours, cell, axis=0), cell, axis=1)
    image.paste(Image.fromarray(block), (left, top))
    number = _font(15 if k <= 5 else 12)
    for i in range(k):
        for j in range(k):
            centre = (left + j * cell + cell / 2, top + i * cell + cell / 2)
            colour = "white" if cm[i, j] > highest / 2 else "black"
            draw.text(centre, str(cm[i, j]), fill=colour, font=number, anchor="mm")
    draw.rectangle([left, top, left + k * cell, top + k * cell], outline="black")


def _class_labels(image, draw, names, lay: dict) -> None:
    """Actual classes down the left, predicted across the bottom (turned 45 degrees when
    long), and the two axis titles."""
    from PIL import Image, ImageDraw

    k, cell, left, top = len(names), lay["cell"], lay["left"], lay["top"]
    label = _font(12)
    for i, name in enumerate(names):  # actual classes, down the left
        draw.text(
            (left - 6, top + i * cell + cell / 2), str(name), fill="black", font=label, anchor="rm"
        )
    for j, name in enumerate(names):  # predicted classes, across the bottom
        x, y = left + j * cell + cell / 2, top + k * cell + 5
        if lay["rotate"]:
            text = Image.new("L", (int(label.getlength(str(name))) + 4, 18), 0)
            ImageDraw.Draw(text).text((0, 0), str(name), fill=255, font=label)
            text = text.rotate(45, expand=True)
            image.paste("black", (int(x - text.width + 8), int(y)), text)
        else:
            draw.text((x, y), str(name), fill="black", font=label, anchor="mt")
    axis = _font(12, bold=True)
    draw.text(
        (left + k * cell / 2, lay["size"][1] - 6),
        "Predicted class",
        fill="black",
        font=axis,
        anchor="md",
    )
    side = Image.new("L", (int(axis.getlength("Actual class")) + 4, 18), 0)
    ImageDraw.Draw(side).text((0, 0), "Actual class", fill=255, font=axis)
    side = side.rotate(90, expand=True)
    image.paste("black", (6, int(top + k * cell / 2 - side.height / 2)), side)


def _colour_bar(image, draw, highest: int, k: int, lay: dict) -> None:
    """The colour bar right of the cells: 0 at the bottom, ticks up to the largest count."""
    import matplotlib
    from PIL import Image

    top, label = lay["top"], _font(12)
    bar_x, bar_h = lay["left"] + k * lay["cell"] + 24, k * lay["cell"]
    ramp = np.asarray(matplotlib.colormaps["Blues"](np.linspace(1, 0, bar_h)))[:, :3] * 255
    ramp = ramp.astype(np.uint8)
    image.paste(Image.fromarray(np.repeat(ramp[:, None, :], 16, axis=1)), (bar_x, top))
    draw.rectangle([bar_x, top, bar_x + 16, top + bar_h], outline="black")
    ticks = np.unique(np.linspace(0, highest, 5).round().astype(int))
    for t in ticks:
        y = top + bar_h - t / highest * bar_h
        draw.line([bar_x + 16, y, bar_x + 20, y], fill="black")
        draw.text((bar_x + 23, y), str(t), fill="black", font=label, anchor="lm")
    draw.text((bar_x + 8, top - 5), "rows", fill="black", font=label, anchor="md")
