"""Parse-time planning: content keys, and which jobs compute what (packs, shards, threads)."""

import pytest

from lrsweep.store import keys
from lrsweep.workflow.plan import Jobs, fit_job_point, pack_jobs, shard_jobs, shards_of, threads_for
from tests.conftest import planned

IRIS = {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"C": [0.1, 1.0]}}
BENCH_GRID = {  # digits' and breast_cancer's grid in bench/config.yaml
    "solver": ["liblinear", "lbfgs", "newton-cg", "saga"],
    "penalty": ["l1", "l2"],
    "C": [0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0],
}


def fit_keys(plan, name="e"):
    return {p["model_id"]: p["key"] for p in plan.experiments[name]["points"]}


def test_keys_follow_content_not_names():
    a = planned({"e": IRIS})
    b = planned({"renamed": IRIS})
    assert fit_keys(a) == fit_keys(b, "renamed")  # a name is a label, not a key
    assert a.experiments["e"]["prepared"] == b.experiments["renamed"]["prepared"]
    assert a.version != b.version  # the tables name experiments: another version
    grown = planned({"e": {**IRIS, "sklearn": {"C": [0.1, 1.0, 10.0]}}})
    assert fit_keys(grown).items() >= fit_keys(a).items()  # adding C re-keys nothing else
    assert grown.experiments["e"]["prepared"] == a.experiments["e"]["prepared"]
    other_split = planned({"e": {**IRIS, "split": {"test_size": 0.3}}})
    assert other_split.experiments["e"]["prepared"] != a.experiments["e"]["prepared"]
    assert not set(fit_keys(other_split).values()) & set(fit_keys(a).values())
    seeds = planned({"e": {**IRIS, "sklearn": {"C": 0.1, "random_state": [0, 1]}}})
    assert len(set(fit_keys(seeds).values())) == 2


def score_keys(plan, name="e"):
    return {p["model_id"]: p["score_key"] for p in plan.experiments[name]["points"]}


def test_settings_that_only_score_are_in_the_score_key_not_the_fit_key():
    """bootstrap and positive_class change the scores of a fit, never the fit: the fit keys
    and the shard mode's prepare jobs stay; the score keys, the fit jobs (which score the
    stored fits) and the version change; cv changes the fold fits, so the fit keys too. None
    of them is in a model_id. The fitting code never sees them (fit_job_point)."""
    a = planned({"e": IRIS})
    for b in (
        planned({"e": IRIS}, bootstrap={"resamples": 10}),
        planned({"e": {**IRIS, "positive_class": 2}}),
    ):
        assert fit_keys(a) == fit_keys(b)
        assert not set(score_keys(a).values()) & set(score_keys(b).values())
        assert a.version != b.version
        assert [j.key for j in shard_jobs(a)[0]] == [j.key for j in shard_jobs(b)[0]]
        assert pack_jobs(a)[0].key != pack_jobs(b)[0].key
        for job_a, job_b in zip(shard_jobs(a)[1], shard_jobs(b)[1], strict=True):
            assert job_a.key != job_b.key
        seen_a = [fit_job_point(p) for p in a.experiments["e"]["points"]]
        assert seen_a == [fit_job_point(p) for p in b.experiments["e"]["points"]]
        assert not {"bootstrap", "positive_class", "score_key"} & set(seen_a[0])
    cv = planned({"e": {**IRIS, "cv": {"folds": 3}}})
    assert fit_keys(a).keys() == fit_keys(cv).keys()
    assert not set(fit_keys(a).values()) & set(fit_keys(cv).values())
    plotted = planned({"e": IRIS}, plot_metric="roc_auc")  # draws other figures only
    assert fit_keys(plotted) == fit_keys(a) and score_keys(plotted) == score_keys(a)


def test_library_versions_and_code_are_in_every_key(monkeypatch):
    a = planned({"e": IRIS})
    versions = dict(keys.library_versions())
    monkeypatch.setattr(
        keys,
        "library_versions",
        lambda names=keys.RESULT_LIBRARIES: {**versions, "scikit-learn": "9.9"},
    )
    b = planned({"e": IRIS})
    assert a.experiments["e"]["prepared"] != b.experiments["e"]["prepared"]
    assert not set(fit_keys(a).values()) & set(fit_keys(b).values())
    assert a.version != b.version
    monkeypatch.undo()
    monkeypatch.setattr(keys, "code_key", lambda modules: "changed")
    c = planned({"e": IRIS})
    assert not set(fit_keys(a).values()) & set(fit_keys(c).values())


def test_a_data_file_is_keyed_by_its_bytes(tmp_path):
    (tmp_path / "d.csv").write_text("a,y\n1,0\n2,1\n3,0\n4,1\n")
    exp = {"dataset": {"source": "csv", "path": str(tmp_path / "d.csv"), "target": "y"}}
    a = planned({"e": exp})
    (tmp_path / "d.csv").write_text("a,y\n1,1\n2,1\n3,0\n4,1\n")  # one label flipped
    b = planned({"e": exp})
    assert a.version != b.version and a.data["e"] != b.data["e"]
    assert a.experiments["e"]["prepared"] != b.experiments["e"]["prepared"]


def test_how_jobs_run_is_not_part_of_a_version():
    a = planned({"e": IRIS})
    assert planned({"e": IRIS}, fit_jobs="shard", shard_minutes=1).version == a.version


def test_job_keys_are_digests_of_their_parameters():
    [a] = pack_jobs(planned({"e": IRIS}))
    [b] = pack_jobs(planned({"e": IRIS}))
    [c] = pack_jobs(planned({"e": {**IRIS, "sklearn": {"C": 5.0}}}))
    assert a.key == b.key != c.key and len(a.key) == 20
    assert a.label == f"e-{a.key}"


def test_small_work_takes_one_thread_other_work_many():
    def threads(dataset, sklearn):
        [job] = pack_jobs(planned({"e": {"dataset": dataset, "sklearn": sklearn}}))
        return job.threads

    grid = {"solver": ["liblinear", "lbfgs", "saga"], "C": [0.01, 0.1, 1.0, 10.0]}
    assert threads({"source": "sklearn", "name": "iris"}, grid) == 1
    assert threads({"source": "sklearn", "name": "breast_cancer"}, {"solver": "lbfgs"}) == 1
    assert threads({"source": "sklearn", "name": "breast_cancer"}, BENCH_GRID) == 8
    assert threads({"source": "sklearn", "name": "digits"}, grid) == 8
    assert threads_for(None) == 8  # unknown work: as many as granted


def test_small_experiments_share_a_job_and_large_ones_have_their_own(tmp_path):
    digits = {"dataset": {"source": "sklearn", "name": "digits"}, "sklearn": BENCH_GRID}
    (tmp_path / "d.csv").write_text("a,y\n1,0\n2,1\n")
    csv = {"dataset": {"source": "csv", "path": str(tmp_path / "d.csv"), "target": "y"}}

    def synthetic(rows, C=1.0):
        return {
            "dataset": {"source": "synthetic", "n_samples": rows, "n_features": 50},
            "sklearn": {"solver": ["lbfgs", "saga"], "C": C},
        }

    def names(experiments):
        return [job.name for job in pack_jobs(planned(experiments))]

    bench = {"digits": digits, "breast": {**digits, "dataset": IRIS["dataset"]}}
    bench["synthetic"] = synthetic(200_000, C=[0.01, 1.0])
    assert names(bench) == ["digits+breast+synthetic"]
    # large data (1,000,000 x 50): a job of its own; a small csv file (its size from its
    # bytes) shares the others'
    assert names({"a": IRIS, "big": synthetic(1_000_000), "f": csv, "b": IRIS}) == [
        "a+f+b",
        "big",
    ]
    many = names({f"experiment_{i:02d}": IRIS for i in range(12)})
    assert many == ["experiment_00+11-more"]


def test_shards_balance_the_estimated_work():
    grid = planned(
        {"e": {"dataset": {"source": "sklearn", "name": "digits"}, "sklearn": BENCH_GRID}}
    ).experiments["e"]["points"]
    shards = shards_of(grid, seconds=100.0, target=30.0)
    assert len(shards) == 4
    assert sorted(p["model_id"] for s in shards for p in s) == sorted(p["model_id"] for p in grid)
    from lrsweep.workflow.cost import relative_cost

    loads = [sum(relative_cost(p) for p in s) for s in shards]
    assert max(loads) / min(loads) < 1.3


def test_a_large_grid_is_sharded_and_its_data_prepared_once():
    large = {
        "dataset": {"source": "synthetic", "n_samples": 200_000, "n_features": 50},
        "sklearn": {
            "solver": ["liblinear", "lbfgs", "saga", "newton-cholesky"],
            "penalty": ["l1", "l2"],
            "C": [10.0**i for i in range(-4, 8)],
        },
    }
    plan = planned({"large": large, "iris": IRIS})
    prepares, fits = shard_jobs(plan)
    assert [j.name for j in prepares] == ["large", "iris"]
    large_fits = [j for j in fits if j.name.startswith("large.")]
    assert len(large_fits) >= 4
    assert all(j.inputs == [plan.token(prepares[0])] for j in large_fits)
    assert [j.name for j in pack_jobs(plan)] == ["large", "iris"]  # packing: one job each
    jobs = Jobs(plan)
    assert jobs.get("fit", large_fits[1].name, large_fits[1].key).params == large_fits[1].params
    with pytest.raises(KeyError):
        jobs.get("fit", "large", "0" * 20)


def test_the_fit_mode_follows_where_jobs_run():
    from lrsweep.workflow.plan import fit_mode

    assert fit_mode("auto", local_exec=True, main=True) == "pack"
    assert fit_mode("auto", local_exec=False, main=True) == "shard"  # --executor slurm
    assert fit_mode("auto", local_exec=True, main=False) == "shard"  # inside a cluster job
    # a dry run under the Slurm profile (the local dryrun executor) plans as the run would
    assert fit_mode("auto", True, True, ["tmpdir=x", "slurm_partition=debug"]) == "shard"
    assert fit_mode("pack", local_exec=False, main=True) == "pack"
    assert fit_mode("shard", local_exec=True, main=True) == "shard"


def test_planning_runs_the_jobs_data_checks_and_scans_a_file_once(tmp_path, monkeypatch):
    """Issue #28: the checks that need no split run while planning (the job's own function,
    so the same line), once per file checksum and settings."""
    import lrsweep.prepare.design as preprocess
    from lrsweep.errors import DataError
    from lrsweep.workflow.plan import PassedChecks, check_data

    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,0\n2,x,1\n3,4,0\n4,5,1\n")
    exp = {"dataset": {"source": "csv", "path": "d.csv", "target": "y"}, "split": "none"}
    plan = planned({"e": exp}, root=tmp_path)
    passed = PassedChecks(tmp_path / "checks.json")
    with pytest.raises(DataError) as planning:
        check_data(plan, passed, tmp_path)
    with pytest.raises(DataError) as job:
        preprocess.prepare_experiment("e", plan.experiments["e"]["exp"], tmp_path)
    assert str(planning.value) == str(job.value)
    assert "column 'b' holds text ('x' on line 3 of the file)" in str(job.value)
    assert not passed.keys

    (tmp_path / "d.csv").write_text("a,b,y\n1,2,0\n2,3,1\n3,4,0\n4,5,1\n")
    plan = planned({"e": exp}, root=tmp_path)
    calls = []
    real = preprocess.load_checked
    monkeypatch.setattr(preprocess, "load_checked", lambda *a: calls.append(a) or real(*a))
    check_data(plan, passed, tmp_path)
    passed.save()
    check_data(plan, PassedChecks(tmp_path / "checks.json"), tmp_path)  # the next start
    assert len(calls) == 1
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,0\n2,3,1\n3,4,0\n4,,1\n")  # edited: new checksum
    with pytest.raises(DataError, match="NaN or missing values"):
        check_data(planned({"e": exp}, root=tmp_path), passed, tmp_path)
