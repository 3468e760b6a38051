"""Validation messages and grid expansion (pure functions, no Snakemake)."""

import math
import time

import pytest

from lrsweep.config.grid import expand_experiment, format_number, skip_reason
from lrsweep.config.resolve import resolve_config
from lrsweep.config.schema import validate_config, vocabulary
from lrsweep.config.sources import read_sources
from lrsweep.config.yaml import load_yaml
from lrsweep.errors import ConfigError
from tests.conftest import EXAMPLE1, smoke_config


def config_with(**sklearn):
    return {"sweep": "t", "experiments": {"ex": {**EXAMPLE1, "sklearn": sklearn}}}


@pytest.mark.parametrize(
    ("sklearn", "fragment"),
    [
        ({"C": 0}, "key 'sklearn.C': 0 is not allowed (C must be a number > 0"),
        ({"C": [1.0, -2.0]}, "key 'sklearn.C': -2.0 is not allowed"),
        ({"solver": "adam"}, "key 'sklearn.solver': 'adam' is not allowed (allowed: liblinear"),
        ({"penalty": "l3"}, "key 'sklearn.penalty': 'l3' is not allowed (allowed: l1, l2"),
        (
            {"l1_ratio": 1.5, "penalty": "elasticnet", "solver": "saga"},
            "key 'sklearn.l1_ratio': 1.5 is not allowed (l1_ratio must be a number in [0, 1])",
        ),
        ({"C": []}, "key 'sklearn.C': empty list"),
        (
            {"fit_intercept": "yes please"},
            "key 'sklearn.fit_intercept': 'yes please' is not of type 'boolean'",
        ),
        ({"penalty": "elasticnet", "solver": "saga"}, "penalty elasticnet needs l1_ratio"),
        (
            {"gamma": 1},
            "experiment 'ex': key 'sklearn': unknown key 'gamma' (allowed: C, class_weight",
        ),
    ],
)
def test_bad_grid_values_name_experiment_key_and_value(sklearn, fragment):
    with pytest.raises(ConfigError) as err:
        resolve_config(config_with(**sklearn))
    message = str(err.value)
    assert "experiment 'ex'" in message
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("dataset", "fragment"),
    [
        ({"source": "excel", "path": "a.xlsx"}, "key 'dataset.source': 'excel' is not allowed"),
        (
            {"source": "sklearn", "name": "mnist"},
            "key 'dataset.name': 'mnist' is not allowed "
            "(allowed: digits, breast_cancer, iris, wine)",
        ),
        ({"source": "csv", "path": "x.csv"}, "key 'dataset': 'target' is a required property"),
    ],
)
def test_bad_datasets(dataset, fragment):
    cfg = {"sweep": "t", "experiments": {"ex": {"dataset": dataset}}}
    with pytest.raises(ConfigError, match="experiment 'ex'") as err:
        validate_config(cfg)
    assert fragment in str(err.value)


def test_malformed_yaml_is_one_line_with_position(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("sweep: t\nexperiments:\n  ex: {dataset: [\n")
    with pytest.raises(ConfigError) as err:
        load_yaml(path)
    assert "malformed YAML at line" in str(err.value)
    assert "\n" not in str(err.value)


def test_yaml_is_read_safely(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("sweep: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_yaml(path)


def test_defaults_are_filled():
    cfg = validate_config(
        {"sweep": "t", "experiments": {"d": {"dataset": {"source": "synthetic", "n_samples": 50}}}}
    )
    exp = cfg["experiments"]["d"]
    assert exp["split"] == {"test_size": 0.2, "random_state": 0, "stratify": False}
    assert exp["standardize"] is False
    assert exp["dataset"]["n_features"] == 20
    assert exp["sklearn"] == {}  # no block at all: one default scikit-learn fit
    [point] = resolve_config(
        {"sweep": "t", "experiments": {"d": {"dataset": {"source": "synthetic"}}}}
    )["grids"]["d"]
    assert point["random_state"] == 0 and point["model_id"] == "sk_lbfgs_l2_C1_rs0"


def test_grid_is_the_cartesian_product_with_skips():
    sweep = resolve_config(
        config_with(
            solver=["liblinear", "lbfgs", "saga"], penalty=["l1", "l2", "none"], C=[0.1, 1.0, 10.0]
        )
    )
    points = sweep["grids"]["ex"]
    # penalty none ignores C: 3 solvers x (2 penalties x 3 C + 1) = 21
    assert len(points) == 21
    skipped = {p["model_id"]: p["reason"] for p in points if p["status"] == "skipped"}
    assert (
        "sk_lbfgs_l1_C0.1_rs0" in skipped
        and "l1 needs liblinear or saga" in skipped["sk_lbfgs_l1_C0.1_rs0"]
    )
    assert "sk_liblinear_none_Cinf_rs0" in skipped
    assert sum(p["status"] == "pending" for p in points) == 21 - len(skipped)
    assert {p["C"] for p in points if p["penalty"] == "none"} == {math.inf}


def test_l1_ratio_only_multiplies_elasticnet_points():
    points = expand_experiment(
        "ex",
        {
            "sklearn": {
                "solver": "saga",
                "penalty": ["l2", "elasticnet"],
                "l1_ratio": [0.2, 0.8],
                "C": 1.0,
            }
        },
    )
    assert sorted(p["model_id"] for p in points) == [
        "sk_saga_elasticnet_C1_l1r0.2_rs0",
        "sk_saga_elasticnet_C1_l1r0.8_rs0",
        "sk_saga_l2_C1_rs0",
    ]


@pytest.mark.parametrize(
    ("solver", "penalty", "mc", "skipped"),
    [
        ("liblinear", "none", "auto", True),
        ("liblinear", "l1", "multinomial", True),
        ("sag", "l1", "auto", True),
        ("newton-cholesky", "elasticnet", "auto", True),
        ("liblinear", "l1", "ovr", False),
        ("saga", "elasticnet", "auto", False),
        ("newton-cg", "none", "auto", False),
    ],
)
def test_skip_rules(solver, penalty, mc, skipped):
    point = {"solver": solver, "penalty": penalty, "multi_class": mc}
    assert (skip_reason(point) is not None) is skipped


def test_number_formats_make_one_grid_point():
    assert format_number(1e-05) == format_number(0.00001) == "1e-05"
    assert format_number(10.0) == "10" and format_number(0.05) == "0.05"
    # YAML 1.1 reads 1e-5 as a string; it is taken as the number
    sweep = resolve_config(config_with(C=["1e-5", 0.00001, 1.0]))
    assert [p["C"] for p in sweep["grids"]["ex"]] == [1e-05, 1.0]


def test_model_ids_are_stable_when_the_grid_grows():
    small = resolve_config(config_with(solver="liblinear", C=[1.0]))["grids"]["ex"]
    big = resolve_config(config_with(solver="liblinear", C=[1.0, 2.0]))["grids"]["ex"]
    assert small[0]["model_id"] in {p["model_id"] for p in big}


def test_smoke_config_is_valid():
    sweep = resolve_config(smoke_config())
    assert set(sweep["grids"]) == {"example1", "example2", "digits", "iris", "synthetic"}


# --------------------------------------------------------------------------------------------
# Strict reading (issue #14)


def write(tmp_path, text, name="config.yaml", raw=False):
    path = tmp_path / name
    if raw:
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "sweep: t\nexperiments:\n  ex:\n    dataset: {source: synthetic}\n"
            "    sklearn: {C: 1}\n    sklearn: {C: 2}\n",
            "experiment 'ex': key 'sklearn' given twice, at line 5, column 5 and line 6, column 5",
        ),
        (
            "sweep: t\nexperiments:\n  ex:\n    dataset: {source: synthetic}\n"
            "  ex:\n    dataset: {source: synthetic}\n",
            "experiment 'ex' given twice, at line 3, column 3 and line 5, column 3",
        ),
        (
            "sweep: t\nexperiments:\n  ex:\n    dataset: {source: synthetic}\n"
            "    sklearn:\n      solver: [lbfgs]\n      solver: saga\n",
            "experiment 'ex': key 'sklearn.solver' given twice, at line 6, column 7 and line 7, "
            "column 7",
        ),
        (
            "sweep: t\nsweep: u\n",
            "key 'sweep' given twice, at line 1, column 1 and line 2, column 1",
        ),
        (  # on one line: the last used to win silently
            "sweep: t\nexperiments:\n"
            "  e: {dataset: {source: sklearn, name: iris}, sklearn: {C: 0.1, C: 10.0}}\n",
            "experiment 'e': key 'sklearn.C' given twice, at line 3, column 57 and line 3, "
            "column 65",
        ),
        (
            "sweep: t\nexperiments: {e: {dataset: {source: sklearn, name: iris}}, "
            "e: {dataset: {source: sklearn, name: wine}}}\n",
            "experiment 'e' given twice, at line 2, column 15 and line 2, column 60",
        ),
    ],
)
def test_duplicate_keys_are_refused_with_their_positions(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as err:
        load_yaml(write(tmp_path, text))
    assert (
        str(err.value)
        == f"{tmp_path / 'config.yaml'}: {fragment} (a key may appear once in a mapping)"
    )


def test_a_duplicate_key_with_a_newline_or_of_any_length_is_named_on_one_line(tmp_path):
    long = "k" * 5000  # an explicit key (?): YAML allows 1,024 characters in a simple one
    text = 'sweep: t\n"a\\nb": 1\n"a\\nb": 2\n'
    with pytest.raises(ConfigError) as err:
        load_yaml(write(tmp_path, text))
    assert str(err.value) == (
        f"{tmp_path / 'config.yaml'}: key 'a\\nb' given twice, at line 2, column 1 and "
        "line 3, column 1 (a key may appear once in a mapping)"
    )
    with pytest.raises(ConfigError) as err:
        load_yaml(write(tmp_path, f"sweep: t\n? {long}\n: 1\n? {long}\n: 2\n"))
    assert f"key '{'k' * 59}…' given twice, at line 2" in str(err.value)
    assert len(str(err.value)) < 300


def test_merge_keys_are_not_duplicates(tmp_path):
    text = (
        "grid: &g {solver: lbfgs, C: 1}\n"
        "sweep: t\nexperiments:\n  ex:\n    dataset: {source: synthetic}\n"
        "    sklearn:\n      <<: *g\n      C: 2\n"
    )
    assert load_yaml(write(tmp_path, text))["experiments"]["ex"]["sklearn"] == {
        "solver": "lbfgs",
        "C": 2,
    }


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    import time

    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    text = "sweep: t\nexperiments: {ex: {dataset: {source: synthetic}}}\nbomb:\n  " + "\n  ".join(
        lines
    )
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="holds over 200,000 values once its YAML aliases"):
        load_yaml(write(tmp_path, text))
    assert time.perf_counter() - start < 0.5


def test_a_recursive_alias_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="recursive"):
        load_yaml(write(tmp_path, "sweep: t\nloop: &l [1, *l]\n"))


def test_a_merge_key_bomb_is_refused_before_it_expands(tmp_path):
    # each level merges the one before twice: 1 KB of text, 2**18 keys once merged
    lines = ["b0: &b0 {k0: 1}"] + [
        f"b{i}: &b{i} {{<<: [*b{i - 1}, *b{i - 1}], k{i}: 1}}" for i in range(1, 18)
    ]
    path = write(tmp_path, "sweep: t\n" + "\n".join(lines) + "\n")
    start = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        load_yaml(path)
    assert time.perf_counter() - start < 0.5
    assert str(err.value) == (
        f"{path}: key 'b17': the config holds over 200,000 values once its YAML aliases and "
        "merge keys (<<) are expanded; refused (is an alias repeated by mistake?)"
    )


def test_a_merge_of_a_small_mapping_is_fine(tmp_path):
    text = "base: &b {solver: lbfgs}\nsweep: t\nx: {<<: [*b, *b], C: 1}\ny: {<<: *b}\n"
    assert load_yaml(write(tmp_path, text))["x"] == {"solver": "lbfgs", "C": 1}


def test_forty_levels_of_brackets_are_fine(tmp_path):
    assert load_yaml(write(tmp_path, "sweep: t\nx: " + "[" * 40 + "]" * 40 + "\n"))["x"]


@pytest.mark.parametrize("levels", [41, 5000])
def test_deeply_nested_brackets_are_one_line(tmp_path, levels):
    path = write(tmp_path, "sweep: t\nx: " + "[" * levels + "]" * levels + "\n")
    with pytest.raises(ConfigError) as err:
        load_yaml(path)
    assert str(err.value) == (
        f"{path}: key 'x': nested more than 40 levels deep, at line 2, column 44"
    )


def test_brackets_deep_enough_to_crash_the_yaml_composer_are_one_line(tmp_path):
    # libyaml's composer recurses in C: this many brackets overflow its stack (a crash, so
    # the load runs in a process of its own)
    import subprocess
    import sys

    path = write(tmp_path, "sweep: t\nexperiments:\n  ex: {x: " + "[" * 200_000 + "]}\n")
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from lrsweep.config.yaml import load_yaml; load_yaml({str(path)!r})",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        f"lrsweep.errors.ConfigError: {path}: experiment 'ex': key 'x': nested more than 40 "
        "levels deep, at line 3, column 49"
    )


def test_aliases_nesting_deeper_than_the_bound_are_refused(tmp_path):
    # each anchor nests the one before 10 levels down: never deeper than 11 in the text
    lines = ["a0: &a0 [1]"] + [
        f"a{i}: &a{i} " + "[" * 10 + f"*a{i - 1}" + "]" * 10 for i in range(1, 60)
    ]
    path = write(tmp_path, "sweep: t\n" + "\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as err:
        load_yaml(path)
    assert str(err.value) == (
        f"{path}: key 'a4': nested more than 40 levels deep once its YAML aliases are expanded"
    )


def test_yaml_syntax_errors_give_file_line_column_and_reason(tmp_path):
    path = write(tmp_path, "sweep: t\nexperiments:\n  ex: {dataset: {source: inline]\n")
    with pytest.raises(ConfigError) as err:
        load_yaml(path)
    message = str(err.value)
    assert message.startswith(f"{path}: malformed YAML at line 3, column ")
    assert "expected ',' or '}'" in message and "\n" not in message


def test_an_unclosed_bracket_names_the_line_it_was_opened_on(tmp_path):
    text = "sweep: t\nexperiments:\n  ex:\n    sklearn: {C: 0.05, solver: lbfgs\n    split: none\n"
    with pytest.raises(ConfigError) as err:
        load_yaml(write(tmp_path, text))
    message = str(err.value)
    assert "malformed YAML at line 5" in message  # where the parser noticed
    assert "flow mapping started at line 4, column 14" in message  # where the fix goes


def test_a_config_that_is_not_utf8_is_one_line(tmp_path):
    path = write(tmp_path, b"sweep: t\nexperiments: {}\n# caf\xe9\n", raw=True)
    with pytest.raises(ConfigError) as err:
        load_yaml(path)
    assert str(err.value) == (
        f"{path}: not UTF-8 text (byte 0xe9 at offset 30); save the config as UTF-8"
    )


@pytest.mark.parametrize(
    ("exp", "fragment"),
    [
        (
            {"split": {"test_size": "nan"}},
            "key 'split.test_size': 'nan' is not allowed (test_size must be a number",
        ),
        (
            {"split": {"test_size": float("nan")}},
            "key 'split.test_size': nan is not allowed (numbers must be finite)",
        ),
        (
            {"dataset": {"source": "synthetic", "class_sep": "nan"}},
            "key 'dataset.class_sep': 'nan' is not allowed (class_sep must be a number > 0)",
        ),
        ({"sklearn": {"C": float("inf")}}, "key 'sklearn.C': inf is not allowed"),
    ],
)
def test_non_finite_numbers_are_refused_at_validation(exp, fragment):
    config = {"sweep": "t", "experiments": {"ex": {"dataset": {"source": "synthetic"}, **exp}}}
    with pytest.raises(ConfigError) as err:
        resolve_config(config)
    assert fragment in str(err.value)


@pytest.mark.parametrize("name", ["x\n", "a\tb", "ok\x7f"])
def test_control_characters_in_names_are_refused(name):
    for config in (
        {"sweep": name, "experiments": {"ex": {"dataset": {"source": "synthetic"}}}},
        {"sweep": "t", "experiments": {name: {"dataset": {"source": "synthetic"}}}},
    ):
        with pytest.raises(ConfigError, match="control character"):
            validate_config(config)


def test_a_huge_grid_needs_an_explicit_setting():
    grid = {
        "C": [10.0**i for i in range(-50, 50)],
        "tol": [1e-4, 1e-5],
        "max_iter": list(range(1, 60)),
    }
    config = {
        "sweep": "t",
        "experiments": {"ex": {"dataset": {"source": "synthetic"}, "sklearn": grid}},
    }
    with pytest.raises(ConfigError) as err:
        resolve_config(config)
    assert str(err.value) == (
        "key 'max_grid_points': the config expands to 11,800 grid points, over the limit of "
        "10,000; set max_grid_points: 11800 to go ahead"
    )
    config["max_grid_points"] = 11800
    assert len(resolve_config(config)["grids"]["ex"]) == 11800


def test_sources_merge_as_snakemake_merges_them(tmp_path):
    base = write(
        tmp_path,
        "sweep: a\nexperiments:\n  ex:\n    dataset: {source: synthetic}\n"
        "    sklearn: {C: [1, 2], solver: lbfgs}\n",
    )
    over = write(tmp_path, "experiments:\n  ex:\n    sklearn: {C: [3]}\n", name="over.yaml")
    merged, sources, label = read_sources(
        [str(base), str(over)], {"sweep": "b", "bootstrap": {"resamples": "0"}}
    )
    assert merged["sweep"] == "b" and merged["experiments"]["ex"]["sklearn"] == {
        "C": [3],
        "solver": "lbfgs",
    }
    assert merged["bootstrap"] == {"resamples": 0}  # typed again: Snakemake left a string
    assert [s["path"] for s in sources] == [str(base), str(over), "--config"]
    assert label == f"{base} + {over} + --config"
    validate_config(merged)


def test_yte_is_refused_by_lrsweeps_reader(tmp_path):
    path = write(tmp_path, "__use_yte__: true\nsweep: t\n")
    with pytest.raises(ConfigError, match="YTE templating"):
        read_sources([str(path)])


def test_every_vocabulary_has_one_source():
    from lrsweep.workflow.cost import BUNDLED_SHAPES, SOLVER_COST, loaded_shape

    assert set(vocabulary("solver")) == set(SOLVER_COST)
    for name in vocabulary("datasets"):  # the table is a cache of the data, never wrong
        assert BUNDLED_SHAPES[name] == loaded_shape(name)


def test_a_list_of_sub_grids_is_their_union_without_skipped_combinations():
    """As GridSearchCV's list of param_grid dicts: liblinear with l1 and l2, lbfgs with l2
    and none. The Cartesian product of the same lists skips liblinear+none and lbfgs+l1; the
    sub-grids have no skipped row, and a point in both sub-grids is one grid point."""
    from sklearn.model_selection import ParameterGrid

    Cs = [0.1, 1.0]
    subgrids = [
        {"solver": "liblinear", "penalty": ["l1", "l2"], "C": Cs},
        {"solver": ["lbfgs", "liblinear"], "penalty": ["l2", "none"], "C": Cs[:1]},
    ]
    config = {
        "sweep": "t",
        "experiments": {"ex": {"dataset": {"source": "synthetic"}, "sklearn": subgrids}},
    }
    points = resolve_config(config)["grids"]["ex"]
    wanted = ParameterGrid(
        [
            {"solver": ["liblinear"], "penalty": ["l1", "l2"], "C": Cs},
            {"solver": ["lbfgs"], "penalty": ["l2", "none"], "C": Cs[:1]},
            {"solver": ["liblinear"], "penalty": ["l2"], "C": Cs[:1]},  # (again: once)
        ]
    )
    got = {(p["solver"], p["penalty"], p["C"]) for p in points if p["status"] != "skipped"}
    expected = {
        (g["solver"], g["penalty"], math.inf if g["penalty"] == "none" else g["C"]) for g in wanted
    }
    assert got == expected
    assert len(points) == len(expected) + 1  # liblinear + none: written out, so skipped
    skipped = [p for p in points if p["status"] == "skipped"]
    assert [(p["solver"], p["penalty"]) for p in skipped] == [("liblinear", "none")]
    assert len({p["model_id"] for p in points}) == len(points)

    product = {**config["experiments"]["ex"], "sklearn": {"solver": ["lbfgs", "liblinear"]}}
    product["sklearn"]["penalty"] = ["l1", "l2", "none"]
    flat = resolve_config({"sweep": "t", "experiments": {"ex": product}})["grids"]["ex"]
    assert sum(p["status"] == "skipped" for p in flat) == 2


def test_a_bad_key_in_a_sub_grid_is_named_as_in_one_grid():
    config = {
        "sweep": "t",
        "experiments": {
            "ex": {
                "dataset": {"source": "synthetic"},
                "sklearn": [{"C": [1.0]}, {"solver": "lbfgs", "C": [0.0]}],
            }
        },
    }
    with pytest.raises(ConfigError) as err:
        resolve_config(config)
    assert str(err.value) == (
        "experiment 'ex': key 'sklearn.C': 0.0 is not allowed "
        "(C must be a number > 0 (use penalty: none for no penalty))"
    )
    config["experiments"]["ex"]["sklearn"] = [{"penalty": "elasticnet", "solver": "saga"}]
    with pytest.raises(ConfigError) as err:
        resolve_config(config)
    assert "key 'sklearn[0].l1_ratio': penalty elasticnet needs l1_ratio" in str(err.value)


@pytest.mark.parametrize(
    "threshold, extra, message",
    [
        (
            {"tune": "f1"},
            {},
            "experiment 'ex': key 'threshold.tune': a tuned threshold needs cv: (it is chosen "
            "on the training rows by cross-validation, with the experiment's folds)",
        ),
        (
            {"tune": "cost", "false_positive": 1},
            {"cv": {}},
            "experiment 'ex': key 'threshold': tune: cost needs false_positive and false_negative",
        ),
        (
            {"tune": "f1"},
            {"cv": {}, "statsmodels": {}},
            "experiment 'ex': key 'threshold.tune': a tuned threshold needs scikit-learn fits "
            "only (remove statsmodels:, or give a fixed threshold)",
        ),
        (
            1.5,
            {},
            "experiment 'ex': key 'threshold': 1.5 is not allowed (a fixed threshold must be a "
            "number between 0 and 1)",
        ),
        (
            {"tune": "roc_auc"},
            {"cv": {}},
            "experiment 'ex': key 'threshold.tune': 'roc_auc' is not allowed (allowed: "
            "accuracy, balanced_accuracy, f1, cost)",
        ),
    ],
)
def test_a_bad_threshold_is_one_line_naming_the_key(threshold, extra, message):
    exp = {"dataset": {"source": "synthetic"}, "threshold": threshold, **extra}
    with pytest.raises(ConfigError) as err:
        resolve_config({"sweep": "t", "experiments": {"ex": exp}})
    assert str(err.value) == message


def test_a_threshold_or_a_two_class_metric_of_three_classes_is_refused():
    from lrsweep.errors import DataError
    from lrsweep.score.record import check_scoring

    with pytest.raises(DataError) as err:
        check_scoring("iris", 3, {"threshold": 0.3})
    assert str(err.value) == (
        "experiment 'iris': key 'threshold': a decision threshold needs two classes "
        "(this target has 3)"
    )
    with pytest.raises(DataError) as err:
        check_scoring("iris", 3, {"threshold": 0.5, "select": {"metric": "f1"}})
    assert str(err.value) == (
        "experiment 'iris': key 'select.metric': f1 needs two classes (this target has 3); "
        "use f1_macro"
    )
    check_scoring("iris", 2, {"threshold": 0.3, "select": {"metric": "f1"}})
