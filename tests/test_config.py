"""Validation messages and grid expansion (pure functions, no Snakemake)."""

import math

import pytest
from conftest import EXAMPLE1, smoke_config

from lrsweep.config import (
    expand_experiment,
    format_number,
    load_yaml,
    resolve_config,
    skip_reason,
    validate_config,
)
from lrsweep.errors import ConfigError


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
        "sk_lbfgs_l1_C0.1" in skipped
        and "l1 needs liblinear or saga" in skipped["sk_lbfgs_l1_C0.1"]
    )
    assert "sk_liblinear_none_Cinf" in skipped
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
        "sk_saga_elasticnet_C1_l1r0.2",
        "sk_saga_elasticnet_C1_l1r0.8",
        "sk_saga_l2_C1",
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
