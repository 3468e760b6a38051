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


def resolved(experiments: dict) -> dict:
    return resolve_config({"sweep": "t", "experiments": experiments})


def test_fit_threads_small_work_takes_one_thread_other_work_many():
    from lrsweep.config import experiment_work, fit_threads

    def threads(dataset, sklearn):
        sweep = resolved({"e": {"dataset": dataset, "sklearn": sklearn}})
        return fit_threads(
            experiment_work(sweep["config"]["experiments"]["e"], sweep["grids"]["e"])
        )

    grid = {"solver": ["liblinear", "lbfgs", "saga"], "C": [0.01, 0.1, 1.0, 10.0]}
    assert threads({"source": "sklearn", "name": "iris"}, grid) == 1
    assert threads({"source": "sklearn", "name": "breast_cancer"}, {"solver": "lbfgs"}) == 1
    assert threads({"source": "sklearn", "name": "breast_cancer"}, BENCH_GRID) == 8
    assert threads({"source": "sklearn", "name": "digits"}, grid) == 8
    assert threads({"source": "csv", "path": "d.csv", "target": "y"}, {"solver": "lbfgs"}) == 8


BENCH_GRID = {  # digits' and breast_cancer's grid in bench/config.yaml
    "solver": ["liblinear", "lbfgs", "newton-cg", "saga"],
    "penalty": ["l1", "l2"],
    "C": [0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0],
}


def test_fit_packs_share_a_job_among_small_experiments_and_give_large_ones_their_own():
    from lrsweep.config import fit_packs

    def packs(experiments, **limits):
        sweep = resolved(experiments)
        return fit_packs(sweep["config"]["experiments"], sweep["grids"], **limits)

    digits = {"dataset": {"source": "sklearn", "name": "digits"}, "sklearn": BENCH_GRID}
    iris = {"dataset": {"source": "sklearn", "name": "iris"}}
    csv = {"dataset": {"source": "csv", "path": "d.csv", "target": "y"}}

    def synthetic(rows, C=1.0):
        return {
            "dataset": {"source": "synthetic", "n_samples": rows, "n_features": 50},
            "sklearn": {"solver": ["lbfgs", "saga"], "C": C},
        }

    # the bench sweep: one job (its 19 new fits then share one pool, as in one process)
    bench = {"digits": digits, "breast": {**digits, "dataset": iris["dataset"]}}
    bench["synthetic"] = synthetic(200_000, C=[0.01, 1.0])
    assert packs(bench) == {"digits+breast+synthetic": ["digits", "breast", "synthetic"]}
    # unknown size (csv) or large data (1,000,000 x 50): a job of its own, in config order
    assert packs({"a": iris, "big": synthetic(1_000_000), "f": csv, "b": iris}) == {
        "a+b": ["a", "b"],
        "big": ["big"],
        "f": ["f"],
    }
    # large work: a job of its own; a pack is closed when its work reaches the limit
    assert list(packs(bench, own_work=3.5e8)) == ["digits", "breast", "synthetic"]
    assert list(packs({"a": digits, "b": digits, "c": digits}, own_work=1e9)) == ["a+b", "c"]
    # a long name is shortened; names never clash with an experiment's (no '+' allowed there)
    many = packs({f"experiment_{i:02d}": iris for i in range(12)})
    assert list(many) == ["experiment_00+11-more"]
    assert many["experiment_00+11-more"][-1] == "experiment_11"
