"""A version is an immutable record of its inputs (issue #13), checked with real runs: the
SHA-256 of every file of a complete version before and after, and the right numbers in the
new one."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time

import pandas as pd
import pytest
import yaml

from lrsweep.store.versions import SUMS
from tests.conftest import EXAMPLE2, snakemake, snakemake_cmd

IRIS = {
    "dataset": {"source": "sklearn", "name": "iris"},
    "split": {"test_size": 0.3, "random_state": 0, "stratify": True},
    "standardize": True,
    "sklearn": {"solver": ["lbfgs", "saga"], "C": [0.1, 1.0], "max_iter": 300},
}


def tree(folder):
    """Every file under a folder, by relative path, with its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def latest(workdir, sweep):
    return (workdir / "results" / sweep / "latest").resolve()


def run(workdir, *args, config=None, ok=True):
    proc = snakemake(workdir, *args, config=config)
    if ok:
        assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def jobs_run(proc) -> list[str]:
    """The rules of the jobs a run executed (all, the target, aside)."""
    out = proc.stdout + proc.stderr
    return sorted(
        line.split()[-1].rstrip(":")
        for line in out.splitlines()
        if line.startswith(("rule ", "localrule ")) and not line.startswith("localrule all")
    )


def csv_config(path, sweep="data"):
    return {
        "sweep": sweep,
        "experiments": {
            "mydata": {
                "dataset": {"source": "csv", "path": str(path), "target": "y"},
                "split": {"test_size": 0.3, "random_state": 0, "stratify": False},
                "sklearn": {"C": [0.1, 1.0]},
            }
        },
    }


def write_table(path, flip=0):
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    table = pd.DataFrame(data.data[:, :5], columns=[f"f{i}" for i in range(5)])
    y = data.target.copy()
    y[: int(flip * len(y))] = 1 - y[: int(flip * len(y))]
    table["y"] = y
    table.to_csv(path, index=False)


@pytest.mark.parametrize("how", ["relative", "absolute", "symlink"])
def test_a_data_edit_makes_a_new_version_and_leaves_the_old_one(tmp_path, how):
    (tmp_path / "data").mkdir()
    write_table(tmp_path / "data/a.csv")
    write_table(tmp_path / "data/b.csv", flip=0.3)
    path = "data/a.csv" if how == "relative" else str(tmp_path / "data/a.csv")
    if how == "symlink":
        (tmp_path / "data/current.csv").symlink_to(tmp_path / "data/a.csv")
        path = "data/current.csv"
    run(tmp_path, config=csv_config(path))
    first = latest(tmp_path, "data")
    before = tree(first)
    if how == "symlink":
        (tmp_path / "data/current.csv").unlink()
        (tmp_path / "data/current.csv").symlink_to(tmp_path / "data/b.csv")
    else:
        write_table(tmp_path / "data/a.csv", flip=0.3)  # 30 % of the labels flipped
    proc = run(tmp_path)
    second = latest(tmp_path, "data")
    assert second != first
    assert "changed since" in proc.stderr and "the data file's content" in proc.stderr
    assert tree(first) == before
    a = pd.read_csv(first / "metrics.csv")
    b = pd.read_csv(second / "metrics.csv")
    assert (a.accuracy_test > 0.8).all() and (b.accuracy_test < 0.8).all()


def small(C):
    return {
        "sweep": "revert",
        "experiments": {
            "iris": {**IRIS, "sklearn": {**IRIS["sklearn"], "C": C}},
            "example2": EXAMPLE2,
        },
    }


def test_going_back_and_forcing_reruns_never_rewrite_a_version(tmp_path):
    run(tmp_path, config=small([0.1, 1.0]))
    a = latest(tmp_path, "revert")
    before = tree(a)
    run(tmp_path, config=small([0.1, 1.0, 10.0]))
    b = latest(tmp_path, "revert")
    assert b != a and tree(a) == before

    proc = run(tmp_path, config=small([0.1, 1.0]))  # back to A
    assert latest(tmp_path, "revert") == a and tree(a) == before
    assert jobs_run(proc) == ["latest"]  # no fit, no publish: only latest moves
    said = [line for line in proc.stderr.splitlines() if line.startswith("lrsweep:")]
    assert said[0] == (
        f"lrsweep: results/revert/{a.name} is complete already: nothing is recomputed; latest -> it"
    )

    proc = run(tmp_path)
    assert "Nothing to be done" in proc.stderr + proc.stdout
    for rule in ("fit", "publish"):
        run(tmp_path, "--forcerun", rule)
        assert tree(a) == before, rule
    run(tmp_path, "--forceall")
    assert tree(a) == before and tree(b) == tree(b)


def test_the_same_config_in_a_fresh_folder_gives_the_same_version_and_numbers(tmp_path):
    """Stochastic solvers (saga, liblinear) get a recorded default seed: one version name never
    names two sets of numbers."""
    config = small([0.1, 1.0])
    run(tmp_path / "one", config=config)
    run(tmp_path / "two", config=config)
    a, b = latest(tmp_path / "one", "revert"), latest(tmp_path / "two", "revert")
    assert a.name == b.name
    ma = pd.read_csv(a / "metrics.csv").drop(columns="fit_seconds")
    mb = pd.read_csv(b / "metrics.csv").drop(columns="fit_seconds")
    pd.testing.assert_frame_equal(ma, mb)
    assert (a / "coefficients.csv").read_text() == (b / "coefficients.csv").read_text()
    assert set(ma[ma.library == "sklearn"].random_state) == {0}


def test_a_failed_or_killed_rerun_never_empties_a_version(tmp_path):
    run(tmp_path, config=small([0.1, 1.0]))
    v = latest(tmp_path, "revert")
    before = tree(v)
    # a stored file deleted by hand: the forced rerun repairs the store, the version stays
    entry = next((tmp_path / "results/revert/store/fits").iterdir())
    (entry / "pred_test.npy").unlink()
    proc = run(tmp_path, "--forcerun", "publish")
    assert tree(v) == before
    # killed in the middle of assembling another version: the complete one is untouched, and
    # nothing half-assembled is ever taken for a version
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(small([0.1, 1.0, 3.0])))
    child = subprocess.Popen(
        snakemake_cmd(tmp_path),
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list((tmp_path / "results/revert").glob(".v-*")):
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    versions = [p for p in (tmp_path / "results/revert").glob("v-*")]
    assert all((p / "SHA256SUMS").is_file() for p in versions)
    assert tree(v) == before and latest(tmp_path, "revert") == v
    assert run(tmp_path, "--unlock").returncode == 0
    run(tmp_path)
    assert latest(tmp_path, "revert") != v and tree(v) == before
    assert not list((tmp_path / "results/revert").glob(".v-*"))  # leftovers cleaned
    del proc


def shared(test_size, with_other):
    experiments = {
        "ex": {
            "dataset": {"source": "sklearn", "name": "breast_cancer"},
            "split": {"test_size": test_size, "random_state": 0, "stratify": True},
            "standardize": True,
            "sklearn": {"C": [0.01, 0.1, 1.0, 10.0] if not with_other else [1.0]},
        }
    }
    if with_other:
        experiments["ey"] = IRIS
    return {"sweep": "shared", "experiments": experiments}


def test_configs_that_share_an_experiment_name_never_mix(tmp_path):
    (tmp_path / "x1.yaml").write_text(yaml.safe_dump(shared(0.25, True)))
    (tmp_path / "x2.yaml").write_text(yaml.safe_dump(shared(0.4, False)))
    procs = [
        subprocess.Popen(
            snakemake_cmd(tmp_path, "--config", f"file={name}"),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("x1.yaml", "x2.yaml")
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    versions = {}
    for p in (tmp_path / "results/shared").glob("v-*"):
        metrics = pd.read_csv(p / "metrics.csv")
        versions[p.name] = metrics
        prov = json.loads((p / "provenance.json").read_text())
        ex = metrics[metrics.experiment == "ex"]
        if len(ex) == 1:  # x1
            assert set(ex.n_test) == {143} and set(metrics.experiment) == {"ex", "ey"}
        else:  # x2
            assert len(ex) == 4 and set(ex.n_test) == {228}
        # provenance lists this version's jobs only
        jobs = {t["job"] for t in prov["timings"] if t["rule"] == "fit"}
        assert len(jobs) == 1 and all(j.startswith("ex") for j in jobs)
        assert prov["grid_points"] == len(metrics)
    assert len(versions) == 2
    # run again one after another: nothing to do for either
    for name in ("x1.yaml", "x2.yaml"):
        proc = run(tmp_path, "--config", f"file={name}")
        assert "complete" in proc.stderr


def test_a_config_edited_mid_run_is_recorded_as_parsed(tmp_path):
    config = small([0.1, 1.0, 10.0, 100.0])
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    err = tmp_path / "stderr.txt"
    with open(err, "w") as stream:
        child = subprocess.Popen(
            snakemake_cmd(tmp_path), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stream
        )
        deadline = time.time() + 120
        while time.time() < deadline and "new version" not in err.read_text():
            time.sleep(0.02)
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(small([5.0])))  # parsed already
        assert child.wait(timeout=300) == 0, err.read_text()[-3000:]
    v = latest(tmp_path, "revert")
    recorded = yaml.safe_load((v / "config.yaml").read_text())
    assert recorded["experiments"]["iris"]["sklearn"]["C"] == [0.1, 1.0, 10.0, 100.0]
    sources = json.loads((v / "provenance.json").read_text())["config_sources"]
    assert "100.0" in sources[0]["text"] and "5.0" not in sources[0]["text"]
    assert len(pd.read_csv(v / "metrics.csv")) == 8 + 2


def test_damaged_stored_files_are_recomputed_not_used(tmp_path):
    run(tmp_path, config=small([0.1, 1.0]))
    v = latest(tmp_path, "revert")
    good = pd.read_csv(v / "metrics.csv").drop(columns="fit_seconds")
    store = tmp_path / "results/revert/store"
    # an edited prepared array (shape and header kept), a fit's result edited to a wrong but
    # valid value, a truncated array and an emptied coefficients table
    [iris] = [
        p.parent
        for p in (store / "prepared").glob("*/meta.json")
        if json.loads(p.read_text())["n_train"] == 105  # iris's 150 rows, 30 % for testing
    ]
    x_train = iris / "X_train.npy"
    raw = bytearray(x_train.read_bytes())
    raw[-8:] = bytes(8)
    x_train.write_bytes(bytes(raw))
    # ... all in example2's fits, so that iris's prepared data is first read by the new C
    # below whatever order the content keys sort in
    fit, scored = [
        p.parent
        for p in sorted((store / "scores").glob("*/result.json"))
        if json.loads(p.read_text())["class_names"] == ["0", "1"]
    ]
    [other] = [  # the fit entry of the other grid point
        p.parent
        for p in (store / "fits").glob("*/fit.json")
        if json.loads(p.read_text())["class_names"] == ["0", "1"]
        and json.loads(p.read_text())["model_id"]
        == json.loads((scored / "result.json").read_text())["model_id"]
    ]
    record = json.loads((fit / "result.json").read_text())
    record["scores"]["accuracy_test"] = 0.5
    (fit / "result.json").write_text(json.dumps(record))
    (other / "proba_test.npy").write_bytes(b"")
    (other / "coefficients.csv").write_text("")
    # files that no manifest lists, planted in an overview figures entry, are never copied
    for overview in (store / "figures").iterdir():
        (overview / "notes.txt").write_text("not in any MANIFEST")
        drawn = next(overview.glob("*.png"))  # (split: none draws no gap.png)
        shutil.copy(drawn, overview / "statsmodels--gap.png")
    shutil.rmtree(v)  # the version too: it is made again from the store
    proc = run(tmp_path)
    remade = latest(tmp_path, "revert")
    assert not [p for p in remade.rglob("*") if p.name in ("notes.txt", "statsmodels--gap.png")]
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert warnings and all("recomputing it" in w for w in warnings)
    again = pd.read_csv(latest(tmp_path, "revert") / "metrics.csv").drop(columns="fit_seconds")
    pd.testing.assert_frame_equal(again, good)
    # a new C for iris reads its (damaged) prepared data: prepared again, the new fit right
    proc = run(tmp_path, config=small([0.1, 1.0, 10.0]))
    [warning] = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert "experiment 'iris': " in warning and "X_train.npy" in warning
    assert warning.count("iris") == 1 and warning.endswith("recomputing it")
    run(tmp_path / "clean", config=small([0.1, 1.0, 10.0]))
    pd.testing.assert_frame_equal(
        pd.read_csv(latest(tmp_path, "revert") / "metrics.csv").drop(columns="fit_seconds"),
        pd.read_csv(latest(tmp_path / "clean", "revert") / "metrics.csv").drop(
            columns="fit_seconds"
        ),
    )


def lrsweep_cli(workdir, *args) -> tuple[int, str]:
    """``lrsweep <args> --results results/revert`` in this process: (exit code, output)."""
    import contextlib
    import io

    from lrsweep.tools.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main([*args, "--results", str(workdir / "results/revert")])
    return code, out.getvalue()


def test_a_version_changed_in_place_is_found_and_made_again(tmp_path):
    run(tmp_path, config=small([0.1, 1.0]))
    v = latest(tmp_path, "revert")
    before = tree(v)
    good = pd.read_csv(v / "metrics.csv").drop(columns="fit_seconds")

    def results(version):  # every file but the record of the run that made it
        return {k: h for k, h in tree(version).items() if k not in ("provenance.json", SUMS)}

    def repaired(proc, why):
        said = [line for line in proc.stderr.splitlines() if "is damaged" in line]
        assert len(said) == 1 and why in said[0], proc.stderr[-3000:]
        assert results(v) == results_before and lrsweep_cli(tmp_path, "verify")[0] == 0
        assert len(list(v.parent.glob(f"{v.name}.damaged-*"))) == repaired.count + 1
        repaired.count += 1

    repaired.count = 0
    results_before = results(v)
    # 1. a byte written in place into a store file: a version's file is a hard link to it
    figure = next((tmp_path / "results/revert/store/figures").glob("*/accuracy_vs_C.png"))
    with open(figure, "r+b") as fh:
        fh.seek(100)
        fh.write(b"X")
    assert tree(v) != before  # the version's copy changed with it
    assert lrsweep_cli(tmp_path, "verify")[0] == 1
    repaired(run(tmp_path), "accuracy_vs_C.png does not match its recorded checksum")
    assert run(tmp_path).stderr.count("nothing to do") == 1  # and then it is whole again

    # 2. a line of SHA256SUMS that is not a checksum line: one line from verify, then repaired
    with open(v / "SHA256SUMS", "a") as fh:
        fh.write("garbage\n")
    code, said = lrsweep_cli(tmp_path, "verify")
    assert code == 1 and said.strip().endswith("is not '<sha256>  <path>'"), said
    repaired(run(tmp_path), "SHA256SUMS line")

    # 3. a damaged provenance.json: versions still lists, verify names it, a rerun repairs it
    with open(v / "provenance.json", "a") as fh:
        fh.write("x")
    code, said = lrsweep_cli(tmp_path, "versions")
    assert code == 0 and "unreadable" in said
    code, said = lrsweep_cli(tmp_path, "verify", "--version", v.name)
    assert code == 1 and "provenance.json does not match" in said
    repaired(run(tmp_path), "provenance.json does not match")
    again = pd.read_csv(v / "metrics.csv").drop(columns="fit_seconds")
    pd.testing.assert_frame_equal(again, good)
