"""A version folder is safe to receive (issue #27): exactly the files SHA256SUMS lists, one
version one set of bytes whatever the cores or packing, no code from a stored pipeline, and
``predict`` never writes into a version. Real runs of the workflow, reproductions of
``shared/repro/hardening``."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLE2, snakemake, snakemake_cmd


def cli(workdir, *args) -> tuple[int, str]:
    """``lrsweep <args>`` run in ``workdir`` as a user would: (exit code, stderr+stdout)."""
    proc = subprocess.run(
        [sys.executable, "-m", "lrsweep.tools.cli", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return proc.returncode, proc.stderr + proc.stdout


def run(workdir, *args, config=None):
    proc = snakemake(workdir, *args, config=config)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def hashes(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


PLANTED = {
    "sweep": "planted",
    "experiments": {
        "example2": EXAMPLE2,
        "bc": {
            "dataset": {"source": "sklearn", "name": "breast_cancer"},
            "standardize": True,
            "sklearn": {"C": 1.0},
            "statsmodels": {"regularized": "l1", "alpha": 1.0},
        },
    },
}


def test_files_added_to_a_version_are_damage(tmp_path):
    """r7: a model planted in a statsmodels fit folder and a planted figure: verify names
    them, export refuses the version, and the next run moves it aside and makes it again
    without them."""
    run(tmp_path, config=PLANTED)
    v = (tmp_path / "results/planted/latest").resolve()
    sm = next(p for p in (v / "fits/bc").iterdir() if p.name.startswith("sm_"))
    model = v / "fits/bc/sk_lbfgs_l2_C1_rs0/model.skops"
    (sm / "model.skops").write_bytes(model.read_bytes())
    (v / "figures/bc/overview/planted.png").write_bytes(b"planted")
    code, said = cli(tmp_path, "verify", "--results", "results/planted")
    assert code == 1, said
    assert f"{sm.name}/model.skops is not listed in SHA256SUMS" in said
    assert "planted.png is not listed in SHA256SUMS" in said
    code, said = cli(
        tmp_path,
        *("export", "mlflow", "--results", "results/planted"),
        *("--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"),
    )
    assert code == 1 and "is damaged" in said and "not listed" in said, said
    assert not (tmp_path / "mlruns").exists()
    proc = run(tmp_path)
    damaged = [line for line in proc.stderr.splitlines() if "is damaged" in line]
    assert len(damaged) == 1 and "not listed in SHA256SUMS" in damaged[0], proc.stderr[-3000:]
    assert (
        not (sm / "model.skops").exists() and not (v / "figures/bc/overview/planted.png").exists()
    )
    assert cli(tmp_path, "verify", "--results", "results/planted")[0] == 0
    assert len(list(v.parent.glob(f"{v.name}.damaged-*"))) == 1


BIG = {
    "sweep": "threads",
    "figures": False,
    "bootstrap": {"resamples": 0},
    "experiments": {
        "big": {
            "dataset": {
                "source": "synthetic",
                "n_samples": 40000,
                "n_features": 60,
                "n_informative": 10,
                "random_state": 3,
            },
            "standardize": True,
            "sklearn": {"solver": "lbfgs", "C": [0.7], "max_iter": 300},
        },
        "small": {
            "dataset": {"source": "sklearn", "name": "breast_cancer"},
            "standardize": True,
            "sklearn": {"solver": ["lbfgs", "newton-cholesky"], "C": [0.1, 1.0]},
        },
    },
}


def _results(version):
    """Every file of a version but the record of the run (provenance, checksums) with
    metrics.csv's fit_seconds column dropped."""
    import pandas as pd

    out = {}
    for name, digest in hashes(version).items():
        if name in ("provenance.json", "SHA256SUMS", "summary.txt") or name.endswith(".log"):
            continue
        if name.endswith(("result.json", "fit.json")):
            record = json.loads((version / name).read_text())
            record.pop("fit_seconds", None)
            digest = json.dumps(record, sort_keys=True)
        elif name.endswith("metrics.csv"):
            digest = pd.read_csv(version / name).drop(columns="fit_seconds").to_csv()
        elif name.endswith(".skops"):  # zip timestamps: compare what it predicts instead
            continue
        elif name == "report.html":
            digest = _without_timings((version / name).read_text())
        out[name] = digest
    return out


def _without_timings(page: str) -> str:
    """report.html as text and table cells, the fit_seconds column of each table left out
    (a measurement, as in metrics.csv)."""
    from html.parser import HTMLParser

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.out, self.row, self.cell, self.skip = [], None, None, None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.row = []
            elif tag in ("td", "th") and self.row is not None:
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.row.append("".join(self.cell).strip())
                self.cell = None
            elif tag == "tr" and self.row is not None:
                if "fit_seconds" in self.row:
                    self.skip = self.row.index("fit_seconds")
                kept = [c for i, c in enumerate(self.row) if i != self.skip]
                self.out.append("|".join(kept))
                self.row = None
            elif tag == "table":
                self.skip = None

        def handle_data(self, data):
            (self.cell if self.cell is not None else self.out).append(data)

    parser = Cells()
    parser.feed(page)
    return "".join(parser.out)


def test_one_version_is_one_set_of_numbers_whatever_the_cores_or_packing(tmp_path):
    """r4: --cores 1 and --cores 2, fit_jobs=pack and shard: the same version name, and the
    same bytes in every result file (fit_seconds aside)."""
    seen = {}
    for label, cores, mode in (("c1", "1", "pack"), ("c2", "2", "pack"), ("shard", "2", "shard")):
        work = tmp_path / label
        work.mkdir()
        (work / "config.yaml").write_text(json.dumps(BIG))
        proc = subprocess.run(
            snakemake_cmd(work, "--config", f"fit_jobs={mode}", cores=cores),
            cwd=work,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        version = (work / "results/threads/latest").resolve()
        seen[label] = (version.name, _results(version))
    names = {name for name, _ in seen.values()}
    assert len(names) == 1, names
    assert seen["c1"][1] == seen["c2"][1]
    assert seen["c1"][1] == seen["shard"][1]


def test_predict_never_writes_into_a_version_or_the_store(tmp_path):
    """-o inside a version folder (or the store) is refused before anything runs; a folder
    that cannot be written is one line."""
    config = {
        "sweep": "p",
        "figures": False,
        "experiments": {
            "iris": {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"C": 1.0}}
        },
    }
    run(tmp_path, config=config)
    from sklearn.datasets import load_iris

    load_iris(as_frame=True).frame.drop(columns="target").head(3).to_csv(
        tmp_path / "new.csv", index=False
    )
    v = (tmp_path / "results/p/latest").resolve()
    before = hashes(v)
    args = ("predict", "--results", "results/p", "--experiment", "iris", "--selected", "new.csv")
    for target in ("results/p/latest/metrics.csv", f"{v}/fits/x.csv", "results/p/store/x.csv"):
        code, said = cli(tmp_path, *args, "-o", target)
        lines = said.strip().splitlines()
        assert code == 1 and len(lines) == 1 and "inside" in lines[0], said
    assert hashes(v) == before
    (tmp_path / "a-file").write_text("x")  # a folder that cannot be made (root writes anywhere)
    code, said = cli(tmp_path, *args, "-o", str(tmp_path / "a-file" / "p.csv"))
    lines = said.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "cannot write" in lines[0], said
    code, said = cli(tmp_path, *args, "-o", "out.csv")
    assert code == 0, said
    # text in a numeric column: the column, the row and a short quote, not a traceback
    text = tmp_path / "text.csv"
    columns = "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)"
    text.write_text(f"{columns}\n1,2,3,4\n1,{'abc' * 100},1,1\n")
    code, said = cli(tmp_path, *args[:-1], str(text), "-o", "o.csv")
    lines = said.strip().splitlines()
    assert code == 1 and len(lines) == 1, said
    assert "'sepal width (cm)', row 2 (line 3 of the file)" in lines[0] and len(lines[0]) < 300
    # an experiment that does not exist: say so and list those that do
    code, said = cli(tmp_path, *args[:4], "nosuch", "--selected", "new.csv", "-o", "o.csv")
    assert code == 1 and "has no experiment 'nosuch' (it has: iris)" in said, said


def test_a_crafted_stored_preprocessor_runs_nothing_in_a_fit_job(tmp_path):
    """r12b: the exec gadget written into a store entry's preprocessor.skops, with its
    MANIFEST updated: the next fit job refuses it (one warning), prepares the data again and
    publishes; no code from the file runs."""
    from tests.unit.store.test_modelfile import _exec_gadget

    config = {
        "sweep": "poison",
        "figures": False,
        "experiments": {
            "w": {
                "dataset": {"source": "sklearn", "name": "wine"},
                "standardize": True,
                "sklearn": {"C": [1.0], "max_iter": 2000},
            }
        },
    }
    run(tmp_path, config=config)
    provenance = json.loads((tmp_path / "results/poison/latest/provenance.json").read_text())
    entry = tmp_path / "results/poison/store/prepared" / provenance["keys"]["w"]["prepared"]
    marker = tmp_path / "ran"
    payload = _exec_gadget(marker)
    (entry / "preprocessor.skops").unlink()
    (entry / "preprocessor.skops").write_bytes(payload)
    manifest = json.loads((entry / "MANIFEST.json").read_text())
    manifest["files"]["preprocessor.skops"] = {
        "sha256": hashlib.sha256(payload).hexdigest(),
        "size": len(payload),
    }
    (entry / "MANIFEST.json").write_text(json.dumps(manifest))
    config["experiments"]["w"]["sklearn"]["C"] = [1.0, 2.0]
    proc = run(tmp_path, config=config)
    assert not marker.exists()
    logs = "".join(p.read_text() for p in (tmp_path / "results/poison/logs").rglob("*.log"))
    assert "runstring" in proc.stderr + logs and "not loaded" in proc.stderr + logs
    assert cli(tmp_path, "verify", "--results", "results/poison")[0] == 0


def test_a_full_disk_at_the_start_is_one_line_and_leaves_nothing_half_written(tmp_path):
    """r11: results/ on a full file system: one line naming the file, exit 1, no temporary
    file left behind (it used to be a Snakemake-wrapped OSError and a 0-byte .tmp file)."""
    full = tmp_path / "full"
    full.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(full)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("needs root to mount a small tmpfs (a full disk)")
    try:
        with contextlib.suppress(OSError), open(full / "filler", "wb") as fh:
            while True:
                fh.write(b"x" * 4096)
                fh.flush()
        work = tmp_path / "work"
        work.mkdir()
        (work / "results").symlink_to(full)
        (work / "d.csv").write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(20)))
        config = {
            "sweep": "full",
            "figures": False,
            "experiments": {"e": {"dataset": {"source": "csv", "path": "d.csv", "target": "y"}}},
        }
        proc = snakemake(work, config=config)
        lines = [line for line in proc.stderr.splitlines() if line.startswith("lrsweep:")]
        assert proc.returncode == 1, proc.stderr[-3000:]
        assert "No space left on device" in lines[-1] and "cannot write results/" in lines[-1]
        assert "Traceback" not in proc.stderr and "OSError" not in proc.stderr, proc.stderr
        assert not [p for p in full.rglob("*") if p.name.endswith(".tmp")]
    finally:
        subprocess.run(["umount", str(full)], capture_output=True)
