"""What the figures show (not only that they are drawn): labels, series, scales, choices.

Fast: small tables built by hand, or a few fits on bundled data; no workflow run."""

from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from lrsweep.domain import fit_figure_name
from lrsweep.results import figures
from lrsweep.results.figures import _confusion, _curves, _fit, _grid, _labels, _overview, _ranked


def inside_figure(fig, artist) -> bool:
    """Whether ``artist`` is drawn wholly inside the figure (not cut off at an edge)."""
    fig.canvas.draw()
    box = artist.get_window_extent(fig.canvas.get_renderer())
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1


def sk_record(**settings) -> dict:
    """A result.json of a two-class scikit-learn fit, as draw_fit_figures receives it."""
    record = {
        "library": "sklearn",
        "model_id": "sk_lbfgs_l2_C0.1_cw-balanced_it1000_rs0",
        "solver": "lbfgs",
        "penalty": "l2",
        "C": 0.1,
        "l1_ratio": None,
        "multi_class": "binary",
        "class_weight": "balanced",
        "fit_intercept": True,
        "max_iter": 1000,
        "tol": 1e-4,
        "random_state": 0,
        "status": "ok",
        "classes": [0, 1],
        "class_names": ["malignant", "benign"],
        "confusion_test": [[38, 4], [0, 72]],
        "scores": {"accuracy_test": 0.9649},
    }
    record.update(settings)
    return record


def prepared_two_classes(n_features: int = 5, same_rows: bool = False):
    rng = np.random.default_rng(0)
    return SimpleNamespace(
        class_names=["malignant", "benign"],
        X_train=rng.normal(size=(20, n_features)),
        y_train=np.array([0, 1] * 10),
        feature_names=[f"x{i}" for i in range(n_features)],
        meta={"same_rows": same_rows},
    )


# --------------------------------------------------------------------------------------------
# 1. Confusion matrices


def test_confusion_title_fits_the_picture_and_drops_no_setting():
    from lrsweep.results.figures._confusion import _font

    for k, names in ((2, ["malignant", "benign"]), (10, [str(i) for i in range(10)])):
        short = _confusion.confusion_layout(k, names, "lbfgs, l2, C=0.1", "confusion matrix")
        assert short["title"] == ["lbfgs, l2, C=0.1", "confusion matrix"]
        long = ", ".join(f"setting_{i}=value_{i}" for i in range(12))
        lay = _confusion.confusion_layout(k, names, long, "confusion matrix of the test rows")
        font = _font(lay["title_size"])
        assert all(font.getlength(line) <= lay["size"][0] - 20 for line in lay["title"])
        assert " ".join(lay["title"][:-1]) == long  # wrapped, never cut or dropped
        assert lay["top"] >= 12 + len(lay["title"]) * (lay["title_size"] + 5)  # room above


def test_confusion_picture_shows_the_counts_by_colour(tmp_path):
    from PIL import Image

    png = _confusion.confusion_png([[38, 4], [0, 72]], ["malignant", "benign"], "t", "last")
    (tmp_path / "c.png").write_bytes(png)
    image = np.asarray(Image.open(tmp_path / "c.png").convert("RGB"), dtype=int)
    lay = _confusion.confusion_layout(2, ["malignant", "benign"], "t", "last")
    cell, left, top = lay["cell"], lay["left"], lay["top"]

    def corner(i, j):  # a pixel inside cell (i, j), away from its number
        return image[top + i * cell + 3, left + j * cell + 3]

    assert image.shape[:2] == (lay["size"][1], lay["size"][0])
    assert corner(1, 1).sum() < corner(0, 0).sum() < corner(0, 1).sum()  # 72 darkest, 4 light
    assert (
        corner(1, 0).tolist() == corner(0, 1).tolist() or corner(1, 0).sum() >= corner(0, 1).sum()
    )


def test_fit_figures_use_the_record_class_names_and_settings(monkeypatch):
    seen = {}

    def spy(cm, names, title, last):
        seen.update(names=names, title=title, last=last)
        return b"png"

    monkeypatch.setattr(_fit, "confusion_png", spy)
    out = figures.draw_fit_figures(sk_record(), None, prepared_two_classes(), "bc")
    assert set(out) == {"confusion.png"}
    assert seen["title"].startswith("bc: ")  # a figure copied elsewhere says what it shows
    assert seen["names"] == ["malignant", "benign"]
    assert "class_weight=balanced" in seen["title"] and "max_iter=1000" in seen["title"]
    assert seen["last"].startswith("confusion matrix of the test rows, accuracy ")


def test_fit_settings_names_what_differs_from_the_defaults():
    row = _fit._record_row(sk_record(class_weight="none", max_iter=100))
    assert _labels.fit_settings(row) == "lbfgs, l2, C=0.1"
    row = _fit._record_row(sk_record(fit_intercept=False, random_state=3, tol=1e-6))
    assert _labels.fit_settings(row) == (
        "lbfgs, l2, C=0.1, class_weight=balanced, fit_intercept=False, max_iter=1000, "
        "tol=1e-06, random_state=3"
    )
    # as read back from metrics.csv: floats and strings
    assert (
        _labels.fit_settings(
            {
                **row,
                "max_iter": 100.0,
                "fit_intercept": "True",
                "class_weight": "none",
                "tol": 1e-4,
                "random_state": 3.0,
            }
        )
        == "lbfgs, l2, C=0.1, random_state=3"
    )


# --------------------------------------------------------------------------------------------
# Metrics tables by hand


def metrics_table(points: list[dict], experiment: str = "e") -> pd.DataFrame:
    """metrics.csv rows of scikit-learn fits: defaults for what ``points`` leave out, and
    made-up scores that differ between points (accuracy from the point's index)."""
    rows = []
    for i, point in enumerate(points):
        row = {
            "experiment": experiment,
            "library": "sklearn",
            "solver": "lbfgs",
            "penalty": "l2",
            "C": 1.0,
            "l1_ratio": np.nan,
            "multi_class": "binary",
            "class_weight": "none",
            "fit_intercept": True,
            "max_iter": 100.0,
            "tol": 1e-4,
            "random_state": 0.0,
            "method": np.nan,
            "regularized": np.nan,
            "alpha": np.nan,
            "status": "ok",
            "converged": True,
            "positive_class": 1.0,
            "accuracy_train": 0.9 + 0.001 * i,
            "accuracy_test": 0.8 + 0.001 * i,
            "roc_auc_test": 0.85 + 0.001 * i,
            "log_loss_test": 0.4 - 0.001 * i,
        }
        row.update(point)
        if row["penalty"] == "none":
            row["C"] = math.inf
        row.setdefault(
            "model_id",
            f"sk_{row['solver']}_{row['penalty']}_C{row['C']:g}_cw-{row['class_weight']}_{i}",
        )
        rows.append(row)
    return pd.DataFrame(rows)


def grid(**lists) -> list[dict]:
    """The Cartesian product of ``lists`` (key -> values), as the config's grid makes it."""
    import itertools

    keys = list(lists)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*lists.values())]


def lines_by_label(ax) -> dict:
    return {
        line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")
    }


# --------------------------------------------------------------------------------------------
# 2. Every grid key that varies splits series


def test_class_weight_grid_gives_one_series_per_weight():
    metrics = metrics_table(grid(class_weight=["none", "balanced"], C=[0.1, 1.0, 10.0]))
    sk = _curves.grid_table(metrics)
    assert _labels.varying_keys(sk) == ["class_weight"]
    fig = _grid.plot_metric_vs_C(sk, "roc_auc", "t")
    for ax in fig.axes:
        lines = lines_by_label(ax)
        assert set(lines) == {
            "lbfgs / l2, class_weight=none",
            "lbfgs / l2, class_weight=balanced",
        }
        for line in lines.values():  # one point per C, in order: no zig-zag
            x = np.asarray(line.get_xdata(), dtype=float)
            assert len(x) == 3 and np.all(np.diff(x) > 0)
    test_acc = lines_by_label(fig.axes[0])["lbfgs / l2, class_weight=balanced"].get_ydata()
    expected = metrics[metrics["class_weight"] == "balanced"].sort_values("C")["accuracy_test"]
    assert list(test_acc) == pytest.approx(list(expected))
    plt.close(fig)
    fig = _grid.plot_heatmap(sk, "roc_auc", "t")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 2 and all("class_weight=" in label for label in labels)
    plt.close(fig)


def test_multi_class_resolved_by_solver_does_not_split_series():
    """liblinear's ovr beside lbfgs' multinomial: the solver tells those apart already."""
    points = [
        {"solver": s, "multi_class": mc, "C": c}
        for s, mc in (("liblinear", "ovr"), ("lbfgs", "multinomial"))
        for c in (0.1, 1.0)
    ]
    sk = _curves.grid_table(metrics_table(points))
    assert _labels.varying_keys(sk) == []
    assert sorted(sk["series"].unique()) == ["lbfgs / l2", "liblinear / l2"]
    points = grid(multi_class=["ovr", "multinomial"], C=[0.1, 1.0], max_iter=[100, 1000])
    sk = _curves.grid_table(metrics_table(points))
    assert _labels.varying_keys(sk) == ["multi_class", "max_iter"]
    assert sk["series"].nunique() == 4


# --------------------------------------------------------------------------------------------
# 3. Unpenalized fits (C = inf) are shown


def test_unpenalized_fits_have_a_labelled_place_right_of_the_log_axis():
    points = grid(solver=["lbfgs"], penalty=["l2"], C=[0.01, 0.1, 1.0]) + [{"penalty": "none"}]
    metrics = metrics_table(points)
    sk = _curves.grid_table(metrics)
    assert sorted(sk["series"].unique()) == ["lbfgs / l2", "lbfgs / none"]
    fig = _grid.plot_metric_vs_C(sk, "roc_auc", "t")
    ax = fig.axes[0]
    (x,) = lines_by_label(ax)["lbfgs / none"].get_xdata()
    assert x > 1.0 and x >= max(lines_by_label(ax)["lbfgs / l2"].get_xdata()) * 5
    labels = dict(zip(ax.get_xticks(), (t.get_text() for t in ax.get_xticklabels()), strict=True))
    assert labels[x] == _grid.INF_LABEL
    lo, hi = ax.get_xlim()
    assert lo < 0.01 and x < hi
    (y,) = lines_by_label(ax)["lbfgs / none"].get_ydata()
    assert y == metrics.loc[metrics["penalty"] == "none", "accuracy_test"].item()
    plt.close(fig)
    fig = _grid.plot_heatmap(sk, "roc_auc", "t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == _grid.INF_LABEL
    texts = {
        (round(t.get_position()[0]), round(t.get_position()[1])): t.get_text() for t in ax.texts
    }
    auc = metrics.loc[metrics["penalty"] == "none", "roc_auc_test"].item()
    assert texts[(3, 1)] == f"{auc:.3f}"  # row "lbfgs / none", column C = inf
    assert (0, 1) not in texts  # the grid has no unpenalized fit at C = 0.01
    plt.close(fig)
    fig = _grid.plot_gap(sk, "t")
    assert len(lines_by_label(fig.axes[0])["lbfgs / none"].get_xdata()) == 1
    plt.close(fig)


def test_a_single_C_sits_inside_the_axes_with_its_label():
    metrics = metrics_table([{"C": 0.05}])
    sk = _curves.grid_table(metrics)
    for fig in (_grid.plot_metric_vs_C(sk, "roc_auc", "t"), _grid.plot_gap(sk, "t")):
        for ax in fig.axes:
            lo, hi = ax.get_xlim()
            assert lo < 0.05 / 1.5 and hi > 0.05 * 1.5  # not on the frame
            assert [t.get_text() for t in ax.get_xticklabels()] == ["0.05"]
            (x,) = lines_by_label(ax)["lbfgs / l2"].get_xdata()
            assert x == 0.05
        plt.close(fig)


def test_an_experiment_with_nothing_fitted_says_so(recwarn):
    metrics = metrics_table(grid(C=[0.1, 1.0]))
    metrics["status"] = "skipped"
    metrics[["accuracy_train", "accuracy_test", "roc_auc_test"]] = np.nan
    sk = _curves.grid_table(metrics)
    fig = _grid.plot_metric_vs_C(sk, "roc_auc", "t")
    for ax in fig.axes:
        assert ax.get_ylim() == (0.0, 1.0)  # the scale of a score, not of nothing around 0
        assert sum(len(c.get_offsets()) for c in ax.collections) == 2  # the two skipped
    plt.close(fig)
    fig = _grid.plot_gap(sk, "t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["no grid point was fitted"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lbfgs / l2 (not fitted)"]
    plt.close(fig)
    assert not [w for w in recwarn if "legend" in str(w.message)]


# --------------------------------------------------------------------------------------------
# 4. Lines that coincide stay visible


def test_coinciding_series_are_drawn_distinctly_and_named():
    points = grid(solver=["lbfgs", "saga"], C=[0.01, 0.1, 1.0])
    metrics = metrics_table(points)
    saga = metrics["solver"] == "saga"
    for col in ("accuracy_train", "accuracy_test", "roc_auc_test"):  # saga equals lbfgs
        metrics.loc[saga, col] = metrics.loc[~saga, col].to_numpy()
    sk = _curves.grid_table(metrics)
    fig = _grid.plot_metric_vs_C(sk, "roc_auc", "t")
    lines = lines_by_label(fig.axes[0])
    a, b = lines["lbfgs / l2"], lines["saga / l2"]
    assert a.get_marker() != b.get_marker() and a.get_color() != b.get_color()
    assert a.get_markersize() > b.get_markersize() and a.get_linewidth() > b.get_linewidth()
    assert a.get_zorder() < b.get_zorder()  # the wider one underneath
    notes = [t.get_text() for t in fig.texts]
    assert any("lbfgs / l2 = saga / l2 (every panel)" in t for t in notes), notes
    plt.close(fig)
    metrics.loc[saga, "accuracy_test"] += 0.2  # apart in one panel only
    fig = _grid.plot_metric_vs_C(_curves.grid_table(metrics), "roc_auc", "t")
    notes = [t.get_text() for t in fig.texts]
    assert any("saga / l2 (train accuracy, test ROC AUC)" in t for t in notes), notes
    plt.close(fig)
    metrics.loc[saga, ["accuracy_train", "roc_auc_test"]] -= 0.2
    fig = _grid.plot_metric_vs_C(_curves.grid_table(metrics), "roc_auc", "t")
    assert not any("Drawn over each other" in t.get_text() for t in fig.texts)
    plt.close(fig)


def test_coinciding_groups_join_pairs():
    curves = {
        "a": ([1, 2], [0.5, 0.6]),
        "b": ([1, 2], [0.5, 0.6001]),
        "c": ([1, 2], [0.5, 0.6002]),
        "d": ([1, 2], [0.5, 0.7]),
        "e": ([1, 3], [0.5, 0.6]),  # other positions: never the same line
    }
    pairs = _curves.coinciding(curves, 0.00015)
    assert pairs == {frozenset("ab"), frozenset("bc")}
    assert _curves.coinciding_groups(pairs, list("abcde")) == [["a", "b", "c"]]


# --------------------------------------------------------------------------------------------
# 5. Heatmap colours: a fixed span below the best, stated in the figure


def heatmap_image(fig):
    """The heatmap's colour image (the top one; a grey layer marks skipped cells)."""
    return fig.axes[0].get_images()[-1]


@pytest.mark.parametrize(
    "spread, best", [(0.002, 0.680), (0.039, 0.999)]
)  # synthetic's 0.002 of noise; digits' 0.96 .. 0.999
def test_heatmap_colour_limits_are_the_best_and_a_fixed_span_below(spread, best):
    metrics = metrics_table(grid(C=[0.01, 0.1, 1.0, 10.0]))
    metrics["roc_auc_test"] = np.linspace(best - spread, best, len(metrics))
    fig = _grid.plot_heatmap(_curves.grid_table(metrics), "roc_auc", "t")
    assert heatmap_image(fig).get_clim() == pytest.approx((best - 0.05, best))
    captions = " ".join(t.get_text() for t in fig.texts)
    assert "fixed span of 0.05 below the best ROC AUC" in captions
    plt.close(fig)


def test_heatmap_lower_is_better_metric_is_reversed_and_extends_up():
    metrics = metrics_table(grid(C=[0.01, 0.1, 1.0]))
    metrics["log_loss_test"] = [0.30, 0.35, 0.9]
    scale = _curves.heatmap_scale(metrics["log_loss_test"], "log_loss")
    assert (scale["vmin"], scale["vmax"]) == pytest.approx((0.30, 0.40))
    assert scale["cmap"] == "viridis_r" and scale["extend"] == "max"
    fig = _grid.plot_heatmap(_curves.grid_table(metrics), "log_loss", "t")
    image = heatmap_image(fig)
    assert image.get_clim() == pytest.approx((0.30, 0.40))
    assert image.get_cmap().name == "viridis_r"
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# 6. Coefficient paths: one colour per term, one legend outside the panels


def test_coef_paths_colour_a_term_alike_in_every_panel_with_one_shared_legend():
    cs = [0.01, 0.1, 1.0]
    terms = [f"t{k}" for k in range(14)]
    rng = np.random.default_rng(0)
    paths = {
        series: pd.DataFrame(
            [
                {"C": c, "term": t, "value": rng.normal() * (k + 1) * c}
                for c in cs
                for k, t in enumerate(terms)
            ]
        )
        for series in ("lbfgs / l2", "saga / l1", "saga / l2")
    }
    # a term strong in one panel only: coloured (and alike) in all
    paths["saga / l1"].loc[paths["saga / l1"]["term"] == "t0", "value"] = [50.0, 60.0, 70.0]
    fig = _grid.plot_coef_paths(paths, "t", top=5)
    (legend,) = fig.legends
    names = [t.get_text() for t in legend.get_texts()]
    assert names[0] == "t0" and len(names) == 6 and names[-1] == "9 other terms"
    assert all(t.get_fontsize() >= 8 for t in legend.get_texts())
    colour = {h.get_label(): h.get_color() for h in legend.legend_handles}
    assert len({str(c) for c in colour.values()}) == 6
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        assert ax.get_legend() is None
        coloured = [line for line in ax.get_lines() if line.get_marker() == "o"]
        assert len(coloured) == 5
        for line, term in zip(coloured, names, strict=False):  # drawn in legend order
            assert line.get_color() == colour[term]
            table = paths[ax.get_title()]
            expected = table[table["term"] == term].sort_values("C")["value"]
            assert list(line.get_ydata()) == pytest.approx(list(expected))
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# 7. ROC: the top fits by the selection rule, told apart


def two_class_experiment(n_fits: int = 6, n_test: int = 200):
    """metrics, coefficients, probabilities and light prepared data of a made-up two-class
    experiment whose fits rank differently by AUC than by the selection rule."""
    rng = np.random.default_rng(1)
    y = (rng.random(n_test) < 0.6).astype(int)
    metrics = metrics_table(grid(C=[10.0**k for k in range(-n_fits + 2, 2)]))
    probas = {}
    for i, row in metrics.iterrows():
        noise = 0.3 + 0.1 * i
        p = np.clip(0.5 + (y - 0.5) * 0.6 + rng.normal(0, noise, n_test), 0.001, 0.999)
        probas[row["model_id"]] = np.column_stack([1 - p, p])
    metrics["roc_auc_test"] = np.linspace(0.99, 0.80, len(metrics))  # AUC: first best
    metrics["accuracy_test"] = np.linspace(0.80, 0.90, len(metrics))  # accuracy: last best
    metrics.loc[len(metrics) - 1, "converged"] = False  # never chosen
    coefs = pd.DataFrame(
        [
            {"model_id": m, "class": 1, "term": t, "estimate": 0.1, "class_name": "yes"}
            for m in metrics["model_id"]
            for t in ("intercept", "x0")
        ]
    )
    prepared = SimpleNamespace(class_names=["no", "yes"], meta={"same_rows": False}, y_test=y)
    return metrics, coefs, probas, prepared


def test_roc_curves_are_the_top_fits_by_the_selection_rule(monkeypatch):
    from sklearn.metrics import roc_curve

    from lrsweep.results.selection import ranked

    metrics, coefs, probas, prepared = two_class_experiment()
    drawn = {}

    def spy(curves, title, positive=""):
        drawn.update(curves=curves, title=title, positive=positive)
        return plt.figure()

    monkeypatch.setattr(_overview, "plot_roc", spy)
    out = figures.draw_overview("e", metrics, coefs, probas.__getitem__, prepared, n_roc=3)
    assert "roc.png" in set(out) and "roc.svg" not in set(out)  # SVG only when asked
    expected = ranked(metrics).head(3)
    assert list(expected["model_id"]) == list(metrics["model_id"].iloc[-2:-5:-1])
    assert len(drawn["curves"]) == 3 and drawn["positive"] == "yes"
    for (label, fpr, tpr, auc), row in zip(
        drawn["curves"], expected.to_dict("records"), strict=True
    ):
        assert auc == row["roc_auc_test"]
        assert f"C={row['C']:g}" in label
        want = roc_curve(prepared.y_test, probas[row["model_id"]][:, 1])
        assert np.array_equal(fpr, want[0]) and np.array_equal(tpr, want[1])
    assert drawn["curves"][0][0].startswith("#1 (selected)")
    assert "leaderboard" in drawn["title"]


def test_roc_tells_coinciding_curves_apart_and_names_them():
    fpr, tpr = np.array([0, 0.1, 1.0]), np.array([0, 0.9, 1.0])
    curves = [("#1 a", fpr, tpr, 0.95), ("#2 b", fpr, tpr, 0.95), ("#3 c", fpr, tpr**2, 0.9)]
    fig = _ranked.plot_roc(curves, "t", "yes")
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label().startswith("#")]
    assert len({line.get_linestyle() for line in lines}) == 3
    assert lines[0].get_linewidth() > lines[1].get_linewidth() > lines[2].get_linewidth()
    assert "positive class: yes" in ax.get_ylabel()
    notes = " ".join(t.get_text() for t in fig.texts)
    assert "#1 = #2" in notes and "#3" not in notes
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# 8. The tutorial figure says which rows it shows


@pytest.mark.parametrize("same_rows", [False, True])
def test_tutorial_figure_says_it_plots_the_training_rows(same_rows, monkeypatch):
    drawn = {}
    original = _fit.plot_tutorial

    def spy(*args):
        drawn["fig"] = fig = original(*args)
        return fig

    monkeypatch.setattr(_fit, "plot_tutorial", spy)
    monkeypatch.setattr(_fit, "png_bytes", lambda fig, close=True: b"png")
    prepared = prepared_two_classes(n_features=2, same_rows=same_rows)
    coefs = pd.DataFrame({"term": ["intercept", "x0", "x1"], "estimate": [0.1, 1.0, -1.0]})
    out = figures.draw_fit_figures(sk_record(), coefs, prepared, "bc")
    assert set(out) == {"confusion.png", "tutorial.png"}
    ax = drawn["fig"].axes[0]
    title = ax.get_title()
    assert title.startswith("bc: ") and "20 training rows" in title
    assert ("all rows" in title) == same_rows
    assert ("accuracy on the test rows" in title) == (not same_rows)  # none without a split
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "class malignant (training)" in labels and "class benign (training)" in labels
    plt.close(drawn["fig"])


# --------------------------------------------------------------------------------------------
# 9. Reliability diagram and precision-recall curve of the top-ranked fits


def capture(monkeypatch, *names) -> dict:
    """Keep the figures that ``_overview.<name>`` draws (draw_overview returns bytes only)."""
    drawn = {}
    for name in names:
        original = getattr(_overview, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            drawn[_name] = fig = _original(*args, **kwargs)
            return fig

        monkeypatch.setattr(_overview, name, spy)
    monkeypatch.setattr(_overview, "png_bytes", lambda fig, close=True: b"png")
    monkeypatch.setattr(_overview, "svg_bytes", lambda fig: b"svg")
    return drawn


def test_reliability_diagram_and_precision_recall_of_the_selected_fits(monkeypatch):
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import average_precision_score, brier_score_loss

    from lrsweep.results.selection import ranked

    metrics, coefs, probas, prepared = two_class_experiment()
    drawn = capture(monkeypatch, "plot_calibration", "plot_precision_recall")
    out = figures.draw_overview("e", metrics, coefs, probas.__getitem__, prepared, svg=True)
    for name in ("calibration", "precision_recall", "roc"):
        assert {f"{name}.png", f"{name}.svg"} <= set(out)
    chosen = list(ranked(metrics).head(3)["model_id"])
    truth = prepared.y_test == 1
    ax = drawn["plot_calibration"].axes[0]
    curves = [line for line in ax.get_lines() if line.get_label().startswith("#")]
    assert len(curves) == 3
    assert [line for line in ax.get_lines() if line.get_label() == "perfectly calibrated"]
    for line, model_id in zip(curves, chosen, strict=True):
        prob = probas[model_id][:, 1]
        observed, predicted = calibration_curve(truth, prob, n_bins=10, strategy="uniform")
        assert np.array_equal(line.get_xdata(), predicted)
        assert np.array_equal(line.get_ydata(), observed)
        assert f"(Brier {brier_score_loss(truth, prob):.4f})" in line.get_label()
    ax = drawn["plot_precision_recall"].axes[0]
    curves = [line for line in ax.get_lines() if line.get_label().startswith("#")]
    for line, model_id in zip(curves, chosen, strict=True):
        ap = average_precision_score(truth, probas[model_id][:, 1])
        assert line.get_label().endswith(f"(AP {ap:.4f})")
    assert curves[0].get_label().startswith("#1 (selected)")
    assert "positive class: yes" in ax.get_xlabel()


def test_several_classes_get_one_vs_rest_reliability_of_the_selected_fit(monkeypatch):
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(2)
    names = ["setosa", "versicolor", "virginica"]
    y = rng.integers(0, 3, 150)
    metrics = metrics_table(grid(C=[0.1, 1.0]))
    metrics["multi_class"] = "multinomial"
    probas = {m: rng.dirichlet([1, 1, 1], size=150) for m in metrics["model_id"]}
    prepared = SimpleNamespace(class_names=names, meta={"same_rows": False}, y_test=y)
    drawn = capture(monkeypatch, "plot_calibration_ovr")
    out = figures.draw_overview(
        "e", metrics, pd.DataFrame(), probas.__getitem__, prepared, svg=True
    )
    assert {"calibration.png", "calibration.svg"} <= set(out)
    assert not any(name.startswith(("roc", "precision_recall")) for name in out)
    fig = drawn["plot_calibration_ovr"]
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [f"class {n} vs rest" for n in names]
    best = metrics.sort_values("accuracy_test").iloc[-1]["model_id"]
    assert "C=1" in fig._suptitle.get_text()
    for c, ax in enumerate(panels):
        line = ax.get_lines()[-1]
        observed, predicted = calibration_curve(y == c, probas[best][:, c], n_bins=10)
        assert np.array_equal(line.get_xdata(), predicted)
        assert np.array_equal(line.get_ydata(), observed)
        assert ax.get_legend().get_texts()[0].get_text().startswith("Brier ")


# --------------------------------------------------------------------------------------------
# 10. Every overview figure as PNG and SVG


def test_every_overview_figure_has_a_png_and_an_svg():
    metrics, coefs, probas, prepared = two_class_experiment()
    metrics = pd.concat(
        [metrics, metrics_table([{"penalty": "none", "model_id": "sk_lbfgs_none"}])],
        ignore_index=True,
    )
    probas["sk_lbfgs_none"] = probas[metrics["model_id"].iloc[0]]
    out = figures.draw_overview("e", metrics, coefs, probas.__getitem__, prepared, svg=True)
    stems = {name.rsplit(".", 1)[0] for name in out if not name.startswith("statsmodels--")}
    assert stems == {
        "accuracy_vs_C",
        "heatmap",
        "gap",
        "coef_paths",
        "roc",
        "calibration",
        "precision_recall",
    }
    for stem in stems:
        assert out[f"{stem}.png"].startswith(b"\x89PNG")
        assert b"<svg" in out[f"{stem}.svg"][:2000]


# --------------------------------------------------------------------------------------------
# 11. lrsweep compare's figure


def comparison_table(n_experiments: int, n_points: int):
    from lrsweep.tools.compare import compare_metrics

    rows = [
        {
            "experiment": f"e{e:02d}",
            "model_id": f"m{i:03d}",
            "status": "ok",
            "accuracy_train": 0.9,
            "accuracy_test": 0.5 + 0.4 * i / n_points,
        }
        for e in range(n_experiments)
        for i in range(n_points)
    ]
    old = pd.DataFrame(rows)
    new = old.copy()
    new = new[new["model_id"] != "m000"]  # removed, in every experiment
    new.loc[new["model_id"] == "m001", "accuracy_test"] += 0.01  # changed
    added = old[old["model_id"] == "m002"].assign(model_id="zz_new")
    return compare_metrics(old, pd.concat([new, added], ignore_index=True))


@pytest.mark.parametrize("n_experiments, n_points", [(3, 5), (6, 20), (60, 40)])
def test_comparison_figure_stays_readable_and_highlights_changes(n_experiments, n_points):
    from lrsweep.results.figures import plot_comparison

    table = comparison_table(n_experiments, n_points)
    fig = plot_comparison(table, "accuracy_test", "v-old", "v-new")
    width, height = fig.get_size_inches() * 100  # saved at dpi 100
    assert height <= 1500 and width <= 1500
    ax = fig.axes[0]
    by_label = {c.get_label().split(" (")[0]: c for c in ax.collections if c.get_label()}
    added, removed = by_label["added"], by_label["removed"]
    assert len(added.get_offsets()) == len(removed.get_offsets()) == n_experiments
    assert added.get_paths()[0] != by_label["unchanged"].get_paths()[0]  # other marker
    assert tuple(added.get_facecolor()[0][:3]) != tuple(removed.get_facecolor()[0][:3])
    (segments,) = [c for c in ax.collections if not c.get_label() or c.get_label().startswith("_")]
    assert len(segments.get_segments()) == n_experiments  # one arrow per changed point
    (x0, _), (x1, _) = segments.get_segments()[0]
    assert x1 - x0 == pytest.approx(0.01)
    assert len(ax.get_yticks()) == n_experiments  # a row per experiment, not per point
    deltas = fig.axes[1].collections[0].get_offsets()[:, 0]
    assert list(deltas) == pytest.approx([0.01] * n_experiments)
    plt.close(fig)


def test_coefficient_paths_of_several_classes_are_norms_across_classes():
    metrics = metrics_table(grid(C=[0.1, 1.0]))
    sk = _curves.grid_table(metrics)
    rows = []
    for m, scale in zip(metrics["model_id"], (1.0, 2.0), strict=True):
        for cls, est in ((0, 3.0), (1, 4.0), (2, 0.0)):
            rows.append({"model_id": m, "class": cls, "term": "x0", "estimate": est * scale})
            rows.append({"model_id": m, "class": cls, "term": "intercept", "estimate": 9.0})
    (frame,) = _curves.coefficient_paths(pd.DataFrame(rows), sk).values()
    assert list(frame["term"]) == ["x0", "x0"]  # no intercept
    assert list(frame.sort_values("C")["value"]) == pytest.approx([5.0, 10.0])
    assert frame.attrs["ylabel"] == "coefficient norm across classes"


# --------------------------------------------------------------------------------------------
# 12. Issue #28: titles, file names and the figures that are not drawn


def test_split_none_confusion_title_says_all_rows(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        _fit, "confusion_png", lambda cm, names, title, last: seen.update(last=last) or b""
    )
    figures.draw_fit_figures(sk_record(), None, prepared_two_classes(same_rows=True), "bc")
    assert seen["last"].startswith("confusion matrix of all rows, accuracy ")


def test_statsmodels_figure_names_do_not_repeat_the_library():
    mle = {"library": "statsmodels", "model_id": "sm_mle_newton", "method": "newton"}
    l1 = {"library": "statsmodels", "model_id": "sm_l1_a0.1", "regularized": "l1", "alpha": 0.1}
    assert (
        fit_figure_name("statsmodels", mle) == "statsmodels--newton--none--Cinf--sm_mle_newton.png"
    )
    assert (
        fit_figure_name("statsmodels", l1)
        == "statsmodels--fit_regularized--l1--C10--sm_l1_a0.1.png"
    )


def test_heatmap_follows_the_selection_metric_not_the_plot_metric(monkeypatch):
    metrics, coefs, probas, prepared = two_class_experiment()
    drawn = capture(monkeypatch, "plot_heatmap")
    figures.draw_overview("e", metrics, coefs, probas.__getitem__, prepared, metric="roc_auc")
    ax = drawn["plot_heatmap"].axes[0]
    assert "accuracy" in ax.get_title() and "AUC" not in ax.get_title()
    shown = sorted(float(t.get_text()) for t in ax.texts)
    assert shown == pytest.approx(sorted(metrics["accuracy_test"].round(3)))


def test_split_none_has_no_gap_and_one_grid_point_no_figures_over_the_grid(monkeypatch):
    monkeypatch.setattr(_overview, "png_bytes", lambda fig, close=True: plt.close(fig) or b"png")
    metrics, coefs, probas, prepared = two_class_experiment()
    same = SimpleNamespace(**{**vars(prepared), "meta": {"same_rows": True}})
    out = figures.draw_overview("e", metrics, coefs, probas.__getitem__, same)
    assert "gap.png" not in out and {"accuracy_vs_C.png", "heatmap.png"} <= set(out)
    one = metrics.head(1)
    out = figures.draw_overview("e", one, coefs, probas.__getitem__, prepared)
    assert not {"accuracy_vs_C.png", "heatmap.png", "gap.png", "coef_paths.png"} & set(out)
    assert "calibration.png" in out  # the one fit's own curves are still drawn


def test_one_vs_rest_reliability_shows_the_rows_of_each_bin(monkeypatch):
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 150)
    metrics = metrics_table(grid(C=[0.1, 1.0]))
    probas = {m: rng.dirichlet([1, 1, 1], size=150) for m in metrics["model_id"]}
    prepared = SimpleNamespace(class_names=["a", "b", "c"], meta={"same_rows": False}, y_test=y)
    drawn = capture(monkeypatch, "plot_calibration_ovr")
    figures.draw_overview("e", metrics, pd.DataFrame(), probas.__getitem__, prepared)
    best = _curves.top_fits(metrics, pd.DataFrame()).iloc[0]["model_id"]
    panels = [ax for ax in drawn["plot_calibration_ovr"].axes if ax.get_visible()]
    for c, ax in enumerate(panels):
        counts = [int(t.get_text()) for t in ax.texts]
        edges = np.linspace(0, 1, 11)
        expected = np.histogram(probas[best][:, c], bins=edges)[0]
        assert sum(counts) == 150 and counts == [int(n) for n in expected if n]


# --------------------------------------------------------------------------------------------
# The figure file grammar (lrsweep.domain): made in one place, read back in one place


def test_fit_figure_names_are_read_back_whole():
    from lrsweep.domain import parse_fit_figure, parse_overview_fit_figure

    sk = {"library": "sklearn", "model_id": "sk_newton-cg_l2_C1e-05_rs0", "solver": "newton-cg"}
    sk.update(penalty="l2", C=1e-05)
    name = fit_figure_name("confusion", sk)
    assert name == "confusion--newton-cg--l2--C1e-05--sk_newton-cg_l2_C1e-05_rs0.png"
    assert tuple(parse_fit_figure(name)) == (
        "confusion",
        "newton-cg",
        "l2",
        "1e-05",
        "sk_newton-cg_l2_C1e-05_rs0",
    )
    odd = fit_figure_name("tutorial", {**sk, "C": math.inf, "model_id": "a--b"})
    assert parse_fit_figure(odd).model_id == "a--b" and parse_fit_figure(odd).C == "inf"
    for other in ("heatmap.png", "statsmodels--sm_mle.png", "confusion.png", "a--b--c--d--e.svg"):
        assert parse_fit_figure(other) is None, other
    assert parse_overview_fit_figure("statsmodels--sm_mle_newton.png") == "sm_mle_newton"
    assert parse_overview_fit_figure("heatmap.png") is None


def test_overview_curves_are_of_the_recorded_positive_class(monkeypatch):
    """The fits' records name the positive class (here the first, ``n``): the ROC curves are
    of it (its probabilities against "is it n"), not of the second class."""
    from sklearn.metrics import roc_curve

    from lrsweep.results.selection import ranked

    metrics, coefs, probas, prepared = two_class_experiment()
    metrics["positive_class"] = "n"
    prepared = SimpleNamespace(**{**vars(prepared), "classes": ["n", "y"]})
    drawn = {}
    monkeypatch.setattr(
        _overview,
        "plot_roc",
        lambda curves, title, positive: (
            drawn.update(curves=curves, positive=positive) or plt.figure()
        ),
    )
    figures.draw_overview("e", metrics, coefs, probas.__getitem__, prepared, n_roc=1)
    assert drawn["positive"] == "no"
    best = ranked(metrics).iloc[0]["model_id"]
    fpr, tpr, _ = roc_curve(prepared.y_test == 0, probas[best][:, 0])
    ((_, drawn_fpr, drawn_tpr, _),) = drawn["curves"]
    np.testing.assert_array_equal(drawn_fpr, fpr)
    np.testing.assert_array_equal(drawn_tpr, tpr)


_DRAW_IN_A_NEW_PROCESS = """
import hashlib, json, sys
from lrsweep.results import figures
from tests.integration.test_figures import sk_record, two_class_experiment
if sys.argv[1] == "warm":
    figures.warm_up()
metrics, coefs, probas, prepared = two_class_experiment()
out = figures.draw_overview("e", metrics, coefs, probas.__getitem__, prepared, svg=True)
print(json.dumps({name: hashlib.sha256(data).hexdigest() for name, data in out.items()}))
"""


def test_a_figure_is_the_same_bytes_in_every_process_warmed_up_or_not():
    """A version is one set of bytes: an overview drawn in two new processes is byte for byte
    the same (PNG and SVG; matplotlib salts SVG ids with a fresh uuid unless told), and the
    fit job's warm_up() before its pool forks changes no byte of it."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]

    def draw(how: str) -> dict:
        run = subprocess.run(
            [sys.executable, "-c", _DRAW_IN_A_NEW_PROCESS, how],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(run.stdout)

    cold = draw("cold")
    assert {n.rsplit(".", 1)[1] for n in cold} == {"png", "svg"}
    assert draw("cold") == cold
    assert draw("warm") == cold
