"""report.html, in a real browser (issue #16): headless Chromium (Debian's package) opens the
version's page; its tables and every figure display, and a screenshot shows them. Skipped,
with the reason, where Chromium or Playwright is missing (.ci/run installs both)."""

import shutil

import numpy as np
import pytest
from conftest import snakemake

pytestmark = pytest.mark.slow

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
