"""What a cluster adds per job, measured on a one-node Slurm cluster started on this machine.

    python bench/scaleout.py [--keep|--report]  # needs root; about six minutes on two cores

Runs one grid on 200,000 x 50 synthetic rows twice: locally (packed, one fit job) and sharded
through snakemake-executor-plugin-slurm on the one-node cluster of tests/workflow/test_slurm.py (its
daemons, ports and files are this run's own, and are stopped at the end). Writes
bench/SCALEOUT.md and bench/scaleout.json: the time from sbatch to a job's start, each fit
job's wall time in Slurm against the fitting it did (its grid points' fit_seconds), the
prepare and publish jobs, and the two runs' wall times. bench/README.md turns these numbers
into an estimate for many nodes.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import snakemake  # noqa: E402
from test_slurm import SLURM_ARGS, Cluster, _ensure_slurm, _plugin_dir, _times  # noqa: E402

SWEEP = "scaleout"
# 16 grid points on the 200,000 x 50 rows; shard_minutes 0.25 (15 s of estimated work,
# the estimate is about 3 times the real work here) cuts them into shards of a few seconds.
CONFIG = {
    "sweep": SWEEP,
    "figures": False,
    "shard_minutes": 0.25,
    "experiments": {
        "large": {
            "dataset": {"source": "synthetic", "n_samples": 200_000, "n_features": 50},
            "standardize": True,
            "sklearn": {
                "solver": ["liblinear", "lbfgs", "saga", "newton-cholesky"],
                "penalty": "l2",
                "C": [0.01, 0.1, 1.0, 10.0],
                "random_state": 0,
            },
        }
    },
}


def med(values) -> float:
    return statistics.median(values)


def estimated_seconds() -> float:
    """lrsweep's own estimate of the grid's work (lrsweep.workflow.cost), which cuts the shards."""
    from lrsweep.config.resolve import resolve_config
    from lrsweep.workflow.cost import experiment_seconds

    sweep = resolve_config(CONFIG)
    return experiment_seconds(sweep["config"]["experiments"]["large"], sweep["grids"]["large"])


def sbatch_seconds(cluster: Cluster, folder: Path, calls: int = 20) -> list[float]:
    """How long one ``sbatch`` call takes (the plugin submits job after job)."""
    times = []
    for _ in range(calls):
        started = time.monotonic()
        proc = subprocess.run(
            ["sbatch", "--wrap=true", "-o", "/dev/null", "-c", "1", "--mem=100"],
            capture_output=True,
            text=True,
            env=cluster.env,
            cwd=folder,
            timeout=60,
        )
        times.append(time.monotonic() - started)
        assert proc.returncode == 0, proc.stderr
    return times


def measure(folder: Path) -> dict:
    reason = _ensure_slurm()
    if reason:
        raise SystemExit(f"bench/scaleout.py: {reason}")
    path = str(_plugin_dir(folder))
    cluster = Cluster(folder / "cluster", {"PYTHONPATH": path})
    try:
        cluster.start()
        started = time.monotonic()
        local = snakemake(folder / "local", config=CONFIG)
        local_seconds = time.monotonic() - started
        assert local.returncode == 0, local.stderr[-3000:]
        started, began = time.monotonic(), datetime.now()
        proc = snakemake(
            folder / "slurm", *SLURM_ARGS, config=CONFIG, env=cluster.env, timeout=1800
        )
        slurm_seconds, ended = time.monotonic() - started, datetime.now()
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:] + cluster.logs()
        jobs = cluster.jobs()
        sbatch = sbatch_seconds(cluster, folder)
    finally:
        cluster.stop()

    results = folder / "slurm/results" / SWEEP
    metrics = pd.read_csv(results / "latest/metrics.csv")
    fit_seconds = dict(zip(metrics["model_id"], metrics["fit_seconds"], strict=True))

    def rule(job):
        return job.get("Comment", "").split("_wildcards")[0].removeprefix("rule_")

    # A fit job's Slurm comment ends with its output's key, as its token's name does.
    tokens = {t.stem[-20:]: json.loads(t.read_text()) for t in results.glob("store/jobs/fit/*")}
    per_rule: dict[str, list] = {}
    for job in jobs:
        submit, start, end = _times(job)
        token = tokens.get(job.get("Comment", "")[-20:], {})
        per_rule.setdefault(rule(job), []).append(
            {
                "queued": (start - submit).total_seconds(),
                "wall": (end - start).total_seconds(),
                "start": start.isoformat(),
                "end": end.isoformat(),
                "in_script": token.get("seconds"),
                "fitting": sum(fit_seconds[i] for i in token.get("fitted", [])),
            }
        )
    return {
        "estimated_seconds": estimated_seconds(),
        "began": began.isoformat(),
        "ended": ended.isoformat(),
        "sbatch_seconds": sbatch,
        "points": len(metrics),
        "fit_seconds_total": float(metrics["fit_seconds"].sum()),
        "local_seconds": local_seconds,
        "slurm_seconds": slurm_seconds,
        "jobs": per_rule,
    }


def report(m: dict) -> str:
    fits = m["jobs"]["fit"]
    walls = [j["wall"] for j in fits]
    queued = [j["queued"] for jobs in m["jobs"].values() for j in jobs]
    prepare, publish = m["jobs"]["prepare"][0], m["jobs"]["publish"][0]
    in_process = [j["in_script"] for j in fits]
    outside = [j["wall"] - j["in_script"] for j in fits]
    first_fit = min(datetime.fromisoformat(j["start"]) for j in fits)
    to_prepare = datetime.fromisoformat(prepare["start"]) - datetime.fromisoformat(m["began"])
    gap = first_fit - datetime.fromisoformat(prepare["end"])
    tail = datetime.fromisoformat(m["ended"]) - datetime.fromisoformat(publish["end"])
    work = sum(in_process)
    return "\n".join(
        [
            "# Scale-out measurements (one-node Slurm cluster on this machine)",
            "",
            f"Made by `python bench/scaleout.py` on {time.strftime('%Y-%m-%d')}: {m['points']} "
            "grid points on 200,000 x 50 synthetic rows (4 solvers x l2 x 4 C), "
            f"`shard_minutes: 0.25`, Slurm 1 CPU per fit job, two at a time on the 2-core node. "
            "Slurm's times are whole seconds.",
            "",
            f"- Whole run: {m['slurm_seconds']:.0f} s through Slurm, {len(fits)} fit jobs; "
            f"{m['local_seconds']:.0f} s locally (one packed fit job on 2 cores).",
            f"- From `snakemake` to the prepare job's start: {to_prepare.total_seconds():.0f} s; "
            f"prepare job {prepare['wall']:.0f} s; from its end to the first fit job's start "
            f"(Snakemake's status check, then sbatch): {gap.total_seconds():.0f} s; publish "
            f"job {publish['wall']:.0f} s; from its end to the run's end (status check, the "
            f"local `latest` rule): {tail.total_seconds():.0f} s.",
            f"- sbatch to start, on a free node: {min(queued):.0f} s (median "
            f"{statistics.median(queued):.0f} s, max {max(queued):.0f} s with jobs waiting for "
            "one of the node's two CPUs).",
            f"- One `sbatch` call: median {1000 * statistics.median(m['sbatch_seconds']):.0f} ms "
            f"({len(m['sbatch_seconds'])} calls).",
            f"- Fit job wall time in Slurm: median {statistics.median(walls):.0f} s (min "
            f"{min(walls):.0f}, max {max(walls):.0f}). Inside each, its script after the imports "
            f"(reading the prepared data, fitting, scoring, writing the store) took median "
            f"{statistics.median(in_process):.1f} s; the rest, **about "
            f"{statistics.median(outside):.0f} s a job**, is starting it (the jobstep's srun, "
            "Snakemake, the imports).",
            f"- Work: {work:.0f} s of one core in the fit jobs' scripts, "
            f"**{work / m['points']:.2f} core-s per grid point** (of which fitting proper "
            f"{m['fit_seconds_total'] / m['points']:.2f} s; the rest is scoring, the "
            "bootstrap of the test AUC on 40,000 rows above all). lrsweep's estimate, which "
            f"cuts the shards, was {m['estimated_seconds']:.0f} s: "
            f"{m['estimated_seconds'] / work:.1f} times the real work.",
            f"- Publishing a version of {m['publish_large']['points']:,} grid points (toy data, "
            f"figures on, locally): the publish job took {m['publish_large']['publish']:.0f} s "
            f"(their fit job {m['publish_large']['fit']:.0f} s on 2 cores).",
            "",
        ]
    )


def publish_seconds(folder: Path, points: int = 10_000) -> dict:
    """A version of `points` grid points published (locally): the publish job's own time, from
    its benchmark file. Toy data (200 x 5 rows; 5 solvers x 2,000 C), figures on."""
    from run import dag_config  # bench/run.py

    config = {**dag_config(points), "sweep": "publish"}
    proc = snakemake(folder / "publish", config=config, timeout=3600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = folder / "publish/results/publish"
    (bench,) = results.glob("benchmarks/publish/*.tsv")
    (fit,) = results.glob("benchmarks/fit/*.tsv")
    seconds = lambda tsv: float(pd.read_csv(tsv, sep="\t")["s"].iloc[0])  # noqa: E731
    return {"points": points, "publish": seconds(bench), "fit": seconds(fit)}


def main() -> int:
    if "--report" in sys.argv:  # SCALEOUT.md again from scaleout.json, nothing run
        text = report(json.loads((REPO / "bench/scaleout.json").read_text()))
        (REPO / "bench/SCALEOUT.md").write_text(text)
        print(text)
        return 0
    keep = "--keep" in sys.argv  # keep the run's folder (its logs) and say where
    tmp = tempfile.mkdtemp(prefix="lrsweep-scaleout-")
    try:
        m = measure(Path(tmp))
        m["publish_large"] = publish_seconds(Path(tmp))
    finally:
        if keep:
            print(f"bench/scaleout.py: the run's folder is {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    (REPO / "bench/scaleout.json").write_text(json.dumps(m, indent=1))
    text = report(m)
    (REPO / "bench/SCALEOUT.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
