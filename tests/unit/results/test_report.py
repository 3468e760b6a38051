"""report.html's pieces as plain functions (issue #28): which columns come first, what the
status line and the rows line say, the parallel-coordinates view, and that data text is
escaped in every table cell, header and attribute."""

import math

import pandas as pd

from lrsweep.results import report


def grid(**extra) -> pd.DataFrame:
    rows = [
        {"model_id": "sk_a", "library": "sklearn", "solver": "lbfgs", "penalty": "l2", "C": 0.1},
        {"model_id": "sk_b", "library": "sklearn", "solver": "saga", "penalty": "l1", "C": 1.0},
        {"model_id": "sm", "library": "statsmodels", "method": "newton"},
    ]
    frame = pd.DataFrame(rows)
    frame["status"] = ["ok", "skipped", "ok"]
    frame["reason"] = ["", "saga needs <more>", ""]
    frame["converged"] = [True, None, False]
    frame["fit_seconds"] = [0.1, 0.0, 0.2]
    frame["accuracy_test"] = [0.8, math.nan, 0.9]
    for k, v in extra.items():
        frame[k] = v
    return frame


def test_settings_that_are_only_unset_on_the_other_library_do_not_vary():
    frame = grid()
    assert report.varying_settings(frame) == ["library", "solver", "penalty", "C"]
    assert report.varying_settings(frame[frame["library"] == "sklearn"]) == [
        "solver",
        "penalty",
        "C",
    ]


def test_the_grid_table_leads_with_settings_status_reason_and_the_selection_metric():
    first, rest = report.grid_columns(grid(), "accuracy_test")
    assert first == [
        "model_id",
        *["library", "solver", "penalty", "C"],
        *["status", "reason", "converged", "accuracy_test"],
    ]
    assert "fit_seconds" in rest and "method" in rest


def test_ok_counts_say_how_many_did_not_converge():
    assert report.status_counts(grid()) == "2 ok (1 not converged), 1 skipped"


def test_split_none_says_all_rows_and_dropna_says_how_many_it_dropped():
    frame = grid(n_train=[10, 10, 10], n_test=[10, 10, 10])
    assert report.rows_note(frame, same_rows=True) == "10 rows (all rows: no split)"
    assert report.rows_note(frame, same_rows=False, dropped=1234) == (
        "10 training rows, 10 test rows; dropna dropped 1,234 rows with a gap or an infinite value"
    )


def test_data_text_is_escaped_in_cells_headers_and_attributes():
    frame = grid()
    frame.loc[0, "model_id"] = '<script>alert(1)</script>"'
    frame.loc[0, "status"] = '"><img src=x onerror=alert(1)>'
    frame["<b>col</b>"] = ["<i>x</i>", "", ""]
    page = report.table(frame, ["model_id"])
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in page
    assert 'data-status="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page


def test_cells_sort_by_value_and_empty_cells_are_empty():
    assert report.cell(0.1) == ("0.1", "", "0.1")
    assert report.cell(math.inf) == ("inf", "", "inf")
    assert report.cell(math.nan) == ("", "", "")
    assert report.cell(None) == ("", "", "")
    assert report.cell(True) == ("True", "text", "True")


def test_the_parallel_view_needs_two_settings_that_vary():
    frame = grid()
    svg = report.parallel_svg(frame, "accuracy_test", selected="sm")
    assert svg.count("<polyline") == 2  # the two points with a score
    assert 'stroke="#c00"' in svg  # the selected one
    one = frame[frame["model_id"] == "sk_a"]
    assert report.parallel_svg(one, "accuracy_test") == ""
