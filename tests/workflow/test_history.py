"""Versions you can navigate and trust (issue #23): ``latest`` right after every run whatever
the order of configs, its history and ``latest~N``, dry runs and reports that write nothing,
commands that find the config's sweep, and ``lrsweep gc``. Real runs of the workflow."""

import hashlib
import json
import os
import socket
import subprocess

import pandas as pd
import yaml

from tests.conftest import snakemake
from tests.unit.store.test_names import cli

X10 = [[i] for i in range(10)]
Y2 = [0, 1, 0, 0, 1, 1, 1, 1, 1, 1]


def tiny(C, sweep="flip") -> dict:
    return {
        "sweep": sweep,
        "figures": False,
        "experiments": {
            "ex": {
                "dataset": {"source": "inline", "x": X10, "y": Y2},
                "split": "none",
                "standardize": False,
                "sklearn": {"solver": "liblinear", "C": C},
            }
        },
    }


def write(workdir, name, config):
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / name).write_text(yaml.safe_dump(config, sort_keys=False))


def run(workdir, *args):
    proc = snakemake(workdir, *args)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def latest(workdir, sweep="flip"):
    link = workdir / "results" / sweep / "latest"
    return os.readlink(link) if link.is_symlink() else None


def snapshot(folder) -> dict:
    """Every path under a folder: its type, a symlink's target, a file's SHA-256."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_file():
            out[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
        else:
            out[rel] = ("dir", None)
    return out


def test_latest_follows_every_run_whatever_the_order_of_configs(tmp_path):
    write(tmp_path, "a.yaml", tiny([1.0, 10.0]))
    write(tmp_path, "b.yaml", tiny([0.5, 10.0]))
    write(tmp_path, "config.yaml", tiny([1.0, 10.0]))
    seen = {}
    for i, which in enumerate("ababa"):
        proc = run(tmp_path, "--config", f"file={which}.yaml")
        version = latest(tmp_path)
        assert seen.setdefault(which, version) == version, (i, proc.stderr[-3000:])
    assert seen["a"] != seen["b"]
    # after a revert, the README's compare of the version before the latest
    code, out, err = cli(tmp_path, "compare", "latest~1", "latest", "--out", "cmp")
    assert code == 0, err
    assert out.startswith(f"{seen['b']} -> {seen['a']}: 1 added, 1 removed")
    for name in ("latest~x", "latest~-1"):  # tracebacks once (issue #27, case 8)
        code, out, err = cli(tmp_path, "verify", "--version", name)
        assert code == 1 and err.splitlines()[-1].startswith(
            f"lrsweep: {name!r} is not a version name: use v-<hex digits>"
        )
    history = [
        json.loads(line)
        for line in (tmp_path / "results/flip/history.jsonl").read_text().splitlines()
    ]
    assert [h["version"] for h in history] == [seen[w] for w in "ababa"]
    assert [h["config"] for h in history] == [[f"{w}.yaml"] for w in "ababa"]
    assert {h["grid_points"] for h in history} == {2}
    assert history[0]["selected"] == {
        "ex": {"model_id": "sk_liblinear_l2_C10_rs0", "accuracy_test": 0.8}
    }
    # the same config again moves nothing and records nothing
    proc = run(tmp_path, "--config", "file=a.yaml")
    assert "Nothing to be done" in proc.stdout + proc.stderr
    assert len((tmp_path / "results/flip/history.jsonl").read_text().splitlines()) == 5

    code, out, err = cli(tmp_path, "versions")
    assert code == 0 and "sweep folder results/flip (the sweep config.yaml names" in err
    lines = out.splitlines()
    assert lines[0].startswith("| name | pointed at (UTC) | version | config | grid points |")
    assert [line.split(" | ")[0] for line in lines[2:]] == [
        "| latest",
        "| latest~1",
        "| latest~2",
        "| latest~3",
        "| latest~4",
    ]
    assert [line.split(" | ")[2] for line in lines[2:]] == [seen[w] for w in "ababa"[::-1]]
    assert "| a.yaml | 2 | 0 | sk_liblinear_l2_C10_rs0 (0.8) |" in lines[2]
    code, out, err = cli(tmp_path, "verify", "--version", "latest~3")
    assert code == 0 and seen["b"] in out
    code, out, err = cli(tmp_path, "verify", "--version", "latest~5")
    assert code == 1 and "latest~5: results/flip has only 4 version(s) before the latest" in err

    # a sweep folder made before the history existed: the versions by time, latest last
    (tmp_path / "results/flip/history.jsonl").unlink()
    code, out, err = cli(tmp_path, "compare", "latest~1", "latest", "--out", "cmp2")
    assert code == 0 and out.startswith(f"{seen['b']} -> {seen['a']}"), err
    proc = run(tmp_path, "--config", "file=b.yaml")
    history = (tmp_path / "results/flip/history.jsonl").read_text().splitlines()
    assert [json.loads(h)["version"] for h in history] == [seen["a"], seen["b"]]
    assert json.loads(history[0])["seeded"] and "seeded" not in json.loads(history[-1])


def test_dry_runs_reports_lint_and_summary_write_nothing(tmp_path):
    write(tmp_path, "a.yaml", tiny([1.0, 10.0]))
    write(tmp_path, "config.yaml", tiny([0.5, 10.0]))
    run(tmp_path, "--config", "file=a.yaml")
    a = latest(tmp_path)
    run(tmp_path)
    results = tmp_path / "results"
    before = snapshot(results)
    for args in (
        ["-n"],
        ["-n", "--config", "file=a.yaml"],
        ["-n", "--config", "sweep=other"],
        ["--report", str(tmp_path / "report.html")],
        ["--lint"],
        ["--summary"],
    ):
        proc = snakemake(tmp_path, *args)
        assert proc.returncode == 0, (args, proc.stderr[-3000:])
        assert snapshot(results) == before, args
        said = [line for line in (proc.stdout + proc.stderr).splitlines() if "lrsweep:" in line]
        assert not any("latest -> it" in line for line in said), (args, said)
        if args == ["-n", "--config", "file=a.yaml"]:
            assert said == [
                f"lrsweep: dry run, nothing written: results/flip/{a} is complete already: a run "
                "would only point latest at it"
            ]
        if args == ["-n", "--config", "sweep=other"]:
            assert said[0].startswith("lrsweep: dry run, nothing written: new version results/")
        if args[0] in ("--report", "--lint", "--summary"):
            assert said == [], (args, said)
    assert (tmp_path / "report.html").is_file()
    assert any(name.endswith("history.jsonl") for name in before)  # not an empty test
    # and the commands still find the one sweep (no results/other made by a dry run)
    code, _, err = cli(tmp_path, "verify", "--config-file", "a.yaml")
    assert code == 0, err


def test_commands_work_on_the_sweep_the_config_names(tmp_path):
    write(tmp_path, "config.yaml", tiny([1.0], sweep="one"))
    write(tmp_path, "two.yaml", tiny([10.0], sweep="two"))
    run(tmp_path)
    run(tmp_path, "--config", "file=two.yaml")
    code, out, err = cli(tmp_path, "verify")
    assert code == 0 and f"results/one/{latest(tmp_path, 'one')}: every file matches" in out
    assert err == (
        "lrsweep: sweep folder results/one (the sweep config.yaml names; --results "
        "results/<sweep> for another)\n"
    )
    code, out, err = cli(tmp_path, "verify", "--config-file", "two.yaml")
    assert code == 0 and f"results/two/{latest(tmp_path, 'two')}" in out
    assert "the sweep two.yaml names" in err
    code, out, err = cli(tmp_path, "verify", "--results", "results/two")
    assert code == 0 and err == ""
    (tmp_path / "config.yaml").unlink()  # no config: the candidates, only when ambiguous
    code, out, err = cli(tmp_path, "verify")
    assert code == 1 and err == (
        "lrsweep: name the sweep folder with --results results/<sweep> or the config with "
        "--config-file (found: results/one, results/two)\n"
    )


def test_gc_frees_what_no_remaining_version_uses_and_a_rerun_makes_only_that(tmp_path):
    write(tmp_path, "a.yaml", tiny([1.0, 10.0]))
    write(tmp_path, "config.yaml", tiny([0.5, 10.0]))
    run(tmp_path, "--config", "file=a.yaml")
    a = latest(tmp_path)
    a_metrics = pd.read_csv(tmp_path / "results/flip" / a / "metrics.csv")
    run(tmp_path)
    b = latest(tmp_path)
    sweep = tmp_path / "results/flip"
    # leftovers: a damaged version moved aside, a killed job's temporary entry
    (sweep / f"{a}.damaged-20260101T000000").mkdir()
    (sweep / f"{a}.damaged-20260101T000000/metrics.csv").write_text("x")
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = socket.gethostname().replace(".", "_")
    (sweep / f"store/fits/.0123456789abcdef0123.{host}.{dead.pid}.tmp").mkdir()

    code, out, _ = cli(tmp_path, "gc")  # nothing in use goes; the leftovers do
    assert code == 0 and out.startswith("lrsweep gc: results/flip: removed 0 version folder(s)")
    assert "0 store entries" in out and "2 leftovers" in out
    assert not (sweep / f"{a}.damaged-20260101T000000").exists()
    for version in (a, b):
        assert cli(tmp_path, "verify", "--version", version)[0] == 0

    before = snapshot(tmp_path / "results")
    code, out, _ = cli(tmp_path, "gc", "--keep-last", "1", "--dry-run")
    assert code == 0 and snapshot(tmp_path / "results") == before
    assert out.startswith(f"lrsweep gc: results/flip: would remove 1 version folder(s) ({a})")
    fits = set(os.listdir(sweep / "store/fits"))
    code, out, _ = cli(tmp_path, "gc", "--keep-last", "1")
    # the one grid point only the removed version used: its fit entry and its scores entry
    assert code == 0 and f"removed 1 version folder(s) ({a}), 2 store entries" in out
    freed = float(out.split("freed ")[1].split()[0])
    assert freed > 0
    assert not (sweep / a).exists() and latest(tmp_path) == b
    assert len(fits - set(os.listdir(sweep / "store/fits"))) == 1
    assert cli(tmp_path, "verify")[0] == 0  # b, the latest, whole

    proc = run(tmp_path, "--config", "file=a.yaml")  # A again: only its removed fit
    assert f"new version results/flip/{a}: 1 of 2 grid points to fit (1 in the store)" in (
        proc.stderr
    )
    tokens = [json.loads(p.read_text()) for p in (sweep / "store/jobs/fit").glob("*.json")]
    assert ["sk_liblinear_l2_C1_rs0"] in [t["fitted"] for t in tokens]
    assert latest(tmp_path) == a
    again = pd.read_csv(sweep / a / "metrics.csv")
    pd.testing.assert_frame_equal(
        again.drop(columns="fit_seconds"), a_metrics.drop(columns="fit_seconds")
    )
    assert cli(tmp_path, "verify", "--version", b)[0] == 0
