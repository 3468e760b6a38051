"""A crafted model file in a real version folder is refused by ``lrsweep predict`` and runs
nothing."""

from __future__ import annotations

import hashlib
import os

from tests.unit.store.test_modelfile import _exec_gadget


def test_crafted_model_in_a_version_is_refused_by_predict(tmp_path):
    """The reproduction r1: a model.skops replaced with the gadget (and SHA256SUMS updated to
    match, as anyone handing over a folder could) gives one line from predict; no code runs."""
    config = {
        "sweep": "r1",
        "figures": False,
        "experiments": {
            "iris": {"dataset": {"source": "sklearn", "name": "iris"}, "sklearn": {"C": 1.0}}
        },
    }
    from tests.conftest import snakemake

    proc = snakemake(tmp_path, config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    version = (tmp_path / "results/r1/latest").resolve()
    rel = "fits/iris/sk_lbfgs_l2_C1_rs0/model.skops"
    marker = tmp_path / "ran"
    payload = _exec_gadget(marker)
    path = version / rel
    os.chmod(version, 0o755)
    path.unlink()
    path.write_bytes(payload)
    sums = version / "SHA256SUMS"
    lines = [
        f"{hashlib.sha256(payload).hexdigest()}  {rel}" if line.endswith("  " + rel) else line
        for line in sums.read_text().splitlines()
    ]
    sums.write_text("\n".join(lines) + "\n")
    from sklearn.datasets import load_iris

    rows = tmp_path / "new.csv"
    load_iris(as_frame=True).frame.drop(columns="target").head(3).to_csv(rows, index=False)
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "lrsweep.tools.cli", "predict", "--results", "results/r1"]
        + ["--experiment", "iris", "--model-id", "sk_lbfgs_l2_C1_rs0", str(rows)]
        + ["-o", str(tmp_path / "p.csv")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "runstring" in lines[0] and "not loaded" in lines[0], out.stderr
    assert not marker.exists()
