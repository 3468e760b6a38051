"""report.html, in a real browser (issue #16): headless Chromium (Debian's package) opens the
version's page; its tables and every figure display, and a screenshot shows them. Skipped,
with the reason, where Chromium or Playwright is missing (.ci/run installs both)."""

import re
import shutil

import numpy as np
import pytest

from tests.conftest import snakemake

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def open_page(browser, path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors


def test_the_version_report_displays_its_tables_and_figures(browser, smoke_run, tmp_path):
    from PIL import Image

    workdir, _ = smoke_run
    version = (workdir / "results/smoke/latest").resolve()
    page, errors = open_page(browser, version / "report.html")
    assert errors == []
    images = page.evaluate(
        "[...document.images].map(i => [i.alt, i.complete, i.naturalWidth, "
        "i.getBoundingClientRect().width])"
    )
    overview = list(version.glob("figures/*/overview/*.png"))
    assert len(images) == len(overview) + 5  # and one confusion matrix per experiment
    for alt, complete, natural, shown in images:
        assert complete and natural > 200 and shown > 200, alt
    # the leaderboard table shows one row per experiment, the selected fits of leaderboard.md
    board = [
        line.split("|")[3].strip()
        for line in (version / "leaderboard.md").read_text().splitlines()
        if line.startswith("| ") and not line.startswith("| experiment")
    ]
    shown = page.evaluate(
        "[...document.querySelectorAll('table')[0].rows].slice(1).map(r => r.cells[2].innerText)"
    )
    assert shown == board[: len(shown)] and len(shown) == 5
    heights = page.evaluate(
        "[...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().height)"
    )
    assert len(heights) == 6 and min(heights) > 20  # leaderboard + one table per experiment
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape[0] > 3000 and pixels.std() > 20  # long, and not blank


def test_snakemakes_report_renders(browser, smoke_run):
    workdir, _ = smoke_run
    proc = snakemake(workdir, "--report", "report.html")
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (workdir / "report.html").read_text()
    for needle in ["confusion+liblinear+l2+C0.05", "metrics.csv", "accuracy_vs_C", "heatmap"]:
        assert needle in html
    page, errors = open_page(browser, workdir / "report.html")
    page.wait_for_function("document.body.innerText.includes('digits')", timeout=20000)
    assert errors == []


def grid_box(page, experiment: str):
    """The grid table of one experiment (the div.sweep after its heading)."""
    return page.locator(f"h2#{experiment} ~ div.sweep").first


def visible_column(box, name: str) -> list[str]:
    return box.evaluate(
        """(box, name) => {
          const t = box.querySelector('table');
          const i = [...t.tHead.rows[0].cells].findIndex(c => c.textContent === name);
          return [...t.tBodies[0].rows].filter(r => !r.hidden).map(r => r.cells[i].textContent);
        }""",
        name,
    )


def test_the_grid_tables_sort_filter_and_fit_a_1200px_page(browser, smoke_run, tmp_path):
    """Issue #28: a reader sorts a grid table by a click on a column's header (numbers by
    value, empty cells last), filters it by text, by column=value and by status, reveals the
    other columns, and the page fits 1,200 px (tables scroll inside their box)."""
    import pandas as pd
    from PIL import Image

    workdir, _ = smoke_run
    version = (workdir / "results/smoke/latest").resolve()
    metrics = pd.read_csv(version / "metrics.csv")
    iris = metrics[metrics["experiment"] == "iris"]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((version / "report.html").as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 1200
    page.screenshot(path=str(tmp_path / "report-1200.png"), full_page=True)

    box = grid_box(page, "iris")
    assert len(visible_column(box, "model_id")) == len(iris)
    # the columns a reader needs first: settings that vary, status, reason, the selection metric
    shown = box.evaluate(
        "b => [...b.querySelectorAll('th')].filter(h => h.offsetWidth > 0).map(h => h.textContent)"
    )
    assert shown[:7] == ["model_id", "solver", "penalty", "C", "multi_class", "status", "reason"]
    assert "cv_accuracy_mean" in shown and "fit_seconds" not in shown
    # sorting: ascending, then descending on a second click; empty cells (skipped) last
    header = box.locator("th").filter(has_text=re.compile("^accuracy_test$"))
    header.click()
    values = visible_column(box, "accuracy_test")
    numbers = [float(v) for v in values if v]
    expected = sorted(iris["accuracy_test"].dropna())
    assert numbers == sorted(numbers) and len(numbers) == len(expected)
    assert numbers[0] == pytest.approx(expected[0], abs=5e-5)
    assert values[len(numbers) :] == [""] * (len(iris) - len(numbers))
    header.click()
    numbers = [float(v) for v in visible_column(box, "accuracy_test") if v]
    assert numbers == sorted(numbers, reverse=True)
    assert numbers[0] == pytest.approx(expected[-1], abs=5e-5)
    # C sorts by value (0.1 before 1), not as text
    box.locator("th").filter(has_text=re.compile("^C$")).click()
    cs = [float(v) for v in visible_column(box, "C")]
    assert cs == sorted(cs) and cs[0] == 0.1
    box.screenshot(path=str(tmp_path / "iris-sorted.png"))
    # filtering: a column=value word, free words (all must match), the status menu
    box.locator("input.filter").fill("solver=liblinear")
    assert len(visible_column(box, "model_id")) == int((iris["solver"] == "liblinear").sum())
    box.locator("input.filter").fill("solver=liblinear penalty=l2")
    ids = visible_column(box, "model_id")
    assert sorted(ids) == sorted(
        iris[(iris["solver"] == "liblinear") & (iris["penalty"] == "l2")]["model_id"]
    )
    assert box.locator(".shown").inner_text() == f"{len(ids)} of {len(iris)} rows shown"
    box.locator("input.filter").fill("")
    box.locator("select.status").select_option("skipped")
    skipped = iris[iris["status"] == "skipped"]
    assert sorted(visible_column(box, "model_id")) == sorted(skipped["model_id"])
    reasons = box.evaluate(
        "b => [...b.querySelectorAll('td.reason')].filter(c => c.offsetWidth > 0)"
        ".map(c => c.getBoundingClientRect().width)"
    )
    assert len(reasons) == len(skipped) and min(reasons) > 150  # readable, not squeezed
    box.screenshot(path=str(tmp_path / "iris-skipped.png"))
    # the other columns behind the toggle
    box.locator("input.all").check()
    every = box.evaluate("b => [...b.querySelectorAll('th')].filter(h => h.offsetWidth > 0).length")
    assert every == len(metrics.columns) - 1  # every column of metrics.csv but experiment
    assert page.evaluate("document.documentElement.scrollWidth") <= 1200
    # the parallel-coordinates view of iris (three settings vary), one line per scored point
    lines = page.locator("h2#iris ~ div.scroll svg.parallel").first.locator("polyline")
    assert lines.count() == int(iris["cv_accuracy_mean"].notna().sum())
    assert errors == []
    for shot in tmp_path.glob("*.png"):
        pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
        assert pixels.shape[1] <= 1200 and pixels.std() > 20, shot.name
