"""lrsweep's benchmark: the workflow against an in-process joblib loop, and the other targets.

    python bench/run.py [--repeats 3] [--skip-large] [--only full|reruns|dag|large]

Writes bench/RESULTS.md. Every timing is wall-clock; runs of the two contenders alternate so
that a noisy neighbour hurts both alike, and medians are reported. See bench/README.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
WORK = BENCH / "work"  # git-ignored
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
C_EXTRA = 2.0  # the C value added for the "add one C" measurement


def run(cmd, cwd=REPO, env=None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{proc.stderr[-3000:]}")
    return elapsed, proc


def snakemake(workdir: Path, *args) -> tuple[float, subprocess.CompletedProcess]:
    return run(
        [
            SNAKEMAKE,
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(workdir),
            "--cores",
            "2",
            "--configfile",
            str(workdir / "config.yaml"),
            *args,
        ],
        cwd=workdir,
    )


def fresh(workdir: Path, config: dict) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def lrsweep_once(config: dict) -> float:
    workdir = WORK / "lrsweep"
    fresh(workdir, config)
    return snakemake(workdir)[0]


def baseline_once(config_path: Path) -> float:
    out = WORK / "baseline"
    shutil.rmtree(out, ignore_errors=True)
    return run([sys.executable, "-m", "lrsweep.bench", str(config_path), str(out), "--jobs", "2"])[
        0
    ]


def latest_metrics(workdir: Path, sweep: str) -> pd.DataFrame:
    return pd.read_csv(workdir / "results" / sweep / "latest" / "metrics.csv")


def full_sweep(repeats: int) -> dict:
    config = yaml.safe_load((BENCH / "config.yaml").read_text())
    times = {"lrsweep": [], "baseline": []}
    for i in range(repeats):
        order = ["lrsweep", "baseline"] if i % 2 == 0 else ["baseline", "lrsweep"]
        for who in order:
            t = lrsweep_once(config) if who == "lrsweep" else baseline_once(BENCH / "config.yaml")
            times[who].append(t)
            print(f"full sweep {i + 1}/{repeats} {who}: {t:.1f} s", flush=True)
    a = latest_metrics(WORK / "lrsweep", "bench").drop(columns=["fit_seconds"])
    b = pd.read_csv(WORK / "baseline" / "metrics.csv").drop(columns=["fit_seconds"])
    pd.testing.assert_frame_equal(a, b)  # the same work, the same numbers
    n_fits = int((a["status"] == "ok").sum())
    return {"times": times, "fits": n_fits, "points": len(a)}


def only_extra_C(config: dict) -> dict:
    """The bench config with C_EXTRA as the only C value: the grid points adding it creates."""
    config = copy.deepcopy(config)
    for exp in config["experiments"].values():
        exp["sklearn"]["C"] = [C_EXTRA]
    return config


def set_extra_C(workdir: Path, present: bool) -> dict:
    """Add C_EXTRA to (or remove it from) every grid of the workdir's config."""
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    for exp in config["experiments"].values():
        cs = exp["sklearn"]["C"]
        if present and C_EXTRA not in cs:
            cs.append(C_EXTRA)
        if not present and C_EXTRA in cs:
            cs.remove(C_EXTRA)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return config


def forget_extra_C_fits(workdir: Path) -> None:
    """Delete the stored results of the C_EXTRA points, so that adding C again fits them."""
    for result in (workdir / "results/bench/fits").glob("*/*/result.json"):
        if json.loads(result.read_text()).get("C") == C_EXTRA:
            shutil.rmtree(result.parent)


def reruns(repeats: int) -> dict:
    """No-change reruns, then one C value added (repeatedly), on the last lrsweep workdir.

    The add-one-C rerun is held against "those fits plus the aggregation": the baseline
    process preparing the data and fitting only the new grid points, plus a rerun of the
    workflow's aggregation alone (`snakemake --forcerun aggregate`, nothing to fit). Before
    each repeat the C value is taken out again and its stored fits are deleted.
    """
    workdir = WORK / "lrsweep"
    unchanged = [snakemake(workdir)[0] for _ in range(repeats)]
    times = {"add_C": [], "baseline_fits": [], "aggregation": []}
    for i in range(repeats):
        set_extra_C(workdir, present=False)
        snakemake(workdir)
        forget_extra_C_fits(workdir)
        config = set_extra_C(workdir, present=True)
        times["add_C"].append(snakemake(workdir)[0])
        times["aggregation"].append(snakemake(workdir, "--forcerun", "aggregate")[0])
        extra = WORK / "extra_C.yaml"
        extra.write_text(yaml.safe_dump(only_extra_C(config), sort_keys=False))
        shutil.rmtree(WORK / "baseline_extra", ignore_errors=True)
        times["baseline_fits"].append(
            run([sys.executable, "-m", "lrsweep.bench", str(extra), str(WORK / "baseline_extra")])[
                0
            ]
        )
        last = {k: round(v[-1], 1) for k, v in times.items()}
        print(f"add one C {i + 1}/{repeats}: {last}", flush=True)
    metrics = latest_metrics(workdir, "bench")
    fitted = sum(
        len(json.loads(p.read_text())["fitted"])
        for p in (workdir / "results/bench/fits").glob("*/manifest.json")
    )
    return {
        "unchanged": unchanged,
        "add_C_points": int((metrics["C"] == C_EXTRA).sum()),
        "add_C_fitted": fitted,
        **{f"add_C_{k}" if k != "add_C" else k: v for k, v in times.items()},
    }


def dag_config(points: int) -> dict:
    solvers = ["lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"]
    n_c = points // len(solvers)
    cs = [round(10 ** (-3 + 6 * i / max(1, n_c - 1)), 12) for i in range(n_c)]
    return {
        "sweep": f"dag{points}",
        "experiments": {
            "toy": {
                "dataset": {"source": "synthetic", "n_samples": 200, "n_features": 5},
                "sklearn": {"solver": solvers, "penalty": "l2", "C": cs},
            }
        },
    }


def dag_times(repeats: int) -> dict:
    out = {}
    for points in (1000, 10000):
        workdir = WORK / f"dag{points}"
        fresh(workdir, dag_config(points))
        out[points] = [snakemake(workdir, "-n")[0] for _ in range(repeats)]
        print(f"DAG {points}: {statistics.median(out[points]):.2f} s", flush=True)
    return out


LARGE = {
    "source": "synthetic",
    "n_samples": 1_000_000,
    "n_features": 50,
    "n_informative": 20,
    "random_state": 0,
}


def large_data(repeats: int) -> dict:
    # no bootstrap intervals: the bare script computes none (the same metrics on both sides)
    config = {
        "sweep": "large",
        "figures": False,
        "bootstrap": {"resamples": 0},
        "experiments": {
            "large": {
                "dataset": LARGE,
                "split": {"test_size": 0.2, "random_state": 0, "stratify": False},
                "standardize": True,
                "sklearn": {"solver": "lbfgs", "C": 1.0, "random_state": 0},
            }
        },
    }
    times = {"lrsweep": [], "bare": []}
    rss = []
    for i in range(repeats):
        order = ["lrsweep", "bare"] if i % 2 == 0 else ["bare", "lrsweep"]
        for who in order:
            if who == "lrsweep":
                workdir = WORK / "large"
                fresh(workdir, config)
                times[who].append(snakemake(workdir)[0])
                jobs = {
                    p.parent.name + "/" + p.stem: float(pd.read_csv(p, sep="\t")["max_rss"][0])
                    for p in (workdir / "results/large/benchmarks").glob("*/*.tsv")
                }
                rss.append(jobs)
            else:
                times[who].append(run([sys.executable, str(BENCH / "bare_large.py")])[0])
            print(f"large {i + 1}/{repeats} {who}: {times[who][-1]:.1f} s", flush=True)
    return {
        "times": times,
        "max_rss_mb": rss,
        "dataset_mb": LARGE["n_samples"] * LARGE["n_features"] * 8 / 2**20,
    }


def versions() -> dict:
    from lrsweep.versioning import package_versions

    return package_versions()


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem:.1f} GiB, {platform.platform()}"


def med(values) -> float:
    return statistics.median(values)


def report(full, rer, dag, large) -> str:
    lr, bl = med(full["times"]["lrsweep"]), med(full["times"]["baseline"])
    reference = med(rer["add_C_baseline_fits"]) + med(rer["add_C_aggregation"])
    lines = [
        "# Benchmark results",
        "",
        f"Made by `python bench/run.py` on {time.strftime('%Y-%m-%d')}; machine: {machine()}.",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in versions().items()) + ".",
        "All times are wall-clock seconds, medians of alternating runs (the machine is shared",
        "and noisy: read ratios, not absolute numbers).",
        "",
        "## Full sweep (bench/config.yaml)",
        "",
        f"{full['points']} grid points, {full['fits']} fits (digits, breast_cancer: "
        "6 solver/penalty pairs x 8 C; synthetic 200,000 x 50: 3 solvers x 2 C). "
        "Both contenders computed identical metrics.csv (checked).",
        "",
        "| contender | runs (s) | median (s) |",
        "|---|---|---|",
        "| lrsweep `snakemake --cores 2` | "
        f"{', '.join(f'{t:.1f}' for t in full['times']['lrsweep'])} | {lr:.1f} |",
        f"| baseline: one process, joblib n_jobs=2 | "
        f"{', '.join(f'{t:.1f}' for t in full['times']['baseline'])} | {bl:.1f} |",
        "",
        f"**Ratio lrsweep / baseline: {lr / bl:.2f}** (target <= 1.3).",
        "",
        "## Reruns",
        "",
        f"- Nothing changed: {', '.join(f'{t:.2f}' for t in rer['unchanged'])} s, median "
        f"**{med(rer['unchanged']):.2f} s** (target <= 2 s).",
        f"- One C value ({C_EXTRA}) added to every grid: {rer['add_C_points']} new grid points, "
        f"{rer['add_C_fitted']} fitted (the others reused); "
        f"the rerun took {', '.join(f'{t:.1f}' for t in rer['add_C'])} s, median "
        f"**{med(rer['add_C']):.1f} s**. Those fits in one baseline process (preparing the "
        "data, fitting only the new points, their metrics and files) took median "
        f"{med(rer['add_C_baseline_fits']):.1f} s, and the aggregation alone "
        f"(`snakemake --forcerun aggregate`) {med(rer['add_C_aggregation']):.1f} s: "
        f"**{med(rer['add_C']) / reference:.2f} x** "
        "their sum (target <= 1).",
        "",
        "## Building the DAG (`snakemake -n`)",
        "",
        f"- 1,000 grid points: median **{med(dag[1000]):.2f} s** (target <= 3 s).",
        f"- 10,000 grid points: median **{med(dag[10000]):.2f} s** (target <= 15 s).",
        "",
    ]
    if large:
        lt, bt = med(large["times"]["lrsweep"]), med(large["times"]["bare"])
        peak = max(max(r.values()) for r in large["max_rss_mb"])
        lines += [
            "## Large data: 1,000,000 x 50 synthetic, lbfgs, one C",
            "",
            f"- lrsweep: {', '.join(f'{t:.1f}' for t in large['times']['lrsweep'])} s; bare script "
            f"(bench/bare_large.py): {', '.join(f'{t:.1f}' for t in large['times']['bare'])} s. "
            f"**Ratio {lt / bt:.2f}** (target <= 1.3).",
            f"- Peak memory of any job (Snakemake's max_rss): **{peak:.0f} MB** = "
            f"{peak / large['dataset_mb']:.2f} x the dataset's float64 size "
            f"({large['dataset_mb']:.0f} MB) (target <= 3). Per job: "
            + "; ".join(f"{k} {v:.0f} MB" for k, v in large["max_rss_mb"][-1].items())
            + ".",
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument(
        "--only",
        choices=["full", "reruns", "dag", "large"],
        help="measure one part again; the others come from bench/results.json",
    )
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    saved = BENCH / "results.json"
    parts = json.loads(saved.read_text()) if args.only and saved.exists() else {}
    if args.only in (None, "full"):
        parts["full"] = full_sweep(args.repeats)
    if args.only in (None, "full", "reruns"):
        if not (WORK / "lrsweep" / "results").is_dir():
            lrsweep_once(yaml.safe_load((BENCH / "config.yaml").read_text()))
        parts["reruns"] = reruns(args.repeats)
    if args.only in (None, "dag"):
        parts["dag"] = {str(k): v for k, v in dag_times(args.repeats).items()}
    if args.only == "large" or (args.only is None and not args.skip_large):
        parts["large"] = large_data(max(1, args.repeats - 1))
    saved.write_text(json.dumps(parts, indent=1))
    dag = {int(k): v for k, v in parts["dag"].items()}
    text = report(parts["full"], parts["reruns"], dag, parts.get("large"))
    (BENCH / "RESULTS.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
