"""lrsweep's benchmark: the workflow against an in-process joblib loop, and the other targets.

    python bench/run.py [--repeats 3] [--skip-large] [--only full|figures|reruns|dag|large|verify]

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
    """A run of the workflow in ``workdir`` (its config.yaml is the config)."""
    return run(
        [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "2", *args],
        cwd=workdir,
    )


def fresh(workdir: Path, config: dict) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def lrsweep_once(config: dict, name: str = "lrsweep") -> float:
    workdir = WORK / name
    fresh(workdir, config)
    return snakemake(workdir)[0]


def baseline(config_path: Path, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    return run([sys.executable, str(BENCH / "baseline.py"), str(config_path), str(out)])[0]


def baseline_once(config_path: Path) -> float:
    return baseline(config_path, WORK / "baseline")


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


def with_figures(config: dict) -> dict:
    return {**copy.deepcopy(config), "figures": True}


def figures_cost(repeats: int) -> dict:
    """The bench sweep with figures (the default) against the same sweep without, alternating."""
    config = yaml.safe_load((BENCH / "config.yaml").read_text())
    times = {"without": [], "with": []}
    for i in range(repeats):
        order = ["without", "with"] if i % 2 == 0 else ["with", "without"]
        for who in order:
            cfg = config if who == "without" else with_figures(config)
            t = lrsweep_once(cfg, name=f"figures_{who}")
            times[who].append(t)
            print(f"figures {i + 1}/{repeats} {who}: {t:.1f} s", flush=True)
    version = (WORK / "figures_with/results/bench/latest").resolve()
    pngs = len(list(version.glob("figures/*/*/*.png")))
    return {"times": times, "pngs": pngs}


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


def forget_extra_C(workdir: Path) -> None:
    """Delete what adding C_EXTRA computed (its fits and figures, and the versions that hold
    them), so that adding it again computes it again."""
    store = workdir / "results/bench/store"
    forgotten = set()
    # fit entries hold fit.json, their scores entries result.json (fits and scores are keyed
    # apart): forget both
    for record in [*store.glob("fits/*/fit.json"), *store.glob("scores/*/result.json")]:
        if json.loads(record.read_text()).get("C") == C_EXTRA:
            forgotten.add(record.parent.name)
            shutil.rmtree(record.parent)
    # The jobs that made them would otherwise count as done, and the publish job would fit
    # the missing entries itself (as it does for an entry discarded as damaged).
    for token in [*store.glob("jobs/fit/*.json"), *store.glob("jobs/score/*.json")]:
        listed = json.loads(token.read_text())["experiments"].values()
        if forgotten & {key for keys in listed for key in keys}:
            token.unlink()
    shutil.rmtree(store / "fitfigs", ignore_errors=True)
    for version in (workdir / "results/bench").glob("v-*"):
        grid = json.loads((version / "grid.json").read_text())
        if any(p["C"] == C_EXTRA for points in grid.values() for p in points):
            shutil.rmtree(version)


def publish_alone(workdir: Path) -> float:
    """The latest version assembled again from the store, nothing fitted: the version folder
    and the publish job's token are removed, and the run makes them again."""
    version = (workdir / "results/bench/latest").resolve()
    shutil.rmtree(version)
    return snakemake(workdir)[0]


def add_one_C(workdir: Path) -> tuple[float, float, int]:
    """Take C_EXTRA out of every grid (and forget what it computed), then add it again: the
    rerun's time, the time to assemble that version again from the store alone, and how many
    grid points the rerun fitted."""
    set_extra_C(workdir, present=False)
    snakemake(workdir)
    forget_extra_C(workdir)
    set_extra_C(workdir, present=True)
    t = snakemake(workdir)[0]
    tokens = sorted((workdir / "results/bench/store/jobs/fit").glob("*.json"), key=os.path.getmtime)
    fitted = len(json.loads(tokens[-1].read_text())["fitted"])
    return t, publish_alone(workdir), fitted


def reruns(repeats: int) -> dict:
    """No-change reruns (figures on, the default), then one C value added, repeatedly, to the
    sweep with figures off and with figures on.

    The add-one-C rerun is held against "those fits plus the assembly of the version": the
    baseline process preparing the data and fitting only the new grid points, plus the
    workflow assembling the new version from the store alone (:func:`publish_alone`). Before
    each repeat the C value is taken out again and what it computed is deleted.
    """
    base = yaml.safe_load((BENCH / "config.yaml").read_text())
    workdirs = {"without": WORK / "figures_without", "with": WORK / "figures_with"}
    for who, workdir in workdirs.items():
        if not (workdir / "results").is_dir():
            lrsweep_once(base if who == "without" else with_figures(base), f"figures_{who}")
    unchanged = [snakemake(workdirs["with"])[0] for _ in range(repeats)]
    times = {
        "add_C": [],
        "add_C_figures": [],
        "baseline_fits": [],
        "publish": [],
        "publish_figures": [],
    }
    fitted = {}
    for i in range(repeats):
        t, pub, fitted["without"] = add_one_C(workdirs["without"])
        times["add_C"].append(t)
        times["publish"].append(pub)
        t, pub, fitted["with"] = add_one_C(workdirs["with"])
        times["add_C_figures"].append(t)
        times["publish_figures"].append(pub)
        extra = WORK / "extra_C.yaml"
        config = yaml.safe_load((workdirs["without"] / "config.yaml").read_text())
        extra.write_text(yaml.safe_dump(only_extra_C(config), sort_keys=False))
        times["baseline_fits"].append(baseline(extra, WORK / "baseline_extra"))
        last = {k: round(v[-1], 1) for k, v in times.items()}
        print(f"add one C {i + 1}/{repeats}: {last}", flush=True)
    metrics = latest_metrics(workdirs["with"], "bench")
    return {
        "unchanged": unchanged,
        "add_C_points": int((metrics["C"] == C_EXTRA).sum()),
        "add_C_fitted": fitted,
        **{f"add_C_{k}" if not k.startswith("add_C") else k: v for k, v in times.items()},
    }


def verification(repeats: int) -> dict:
    """What checking the store costs: hashing every file of every entry one version reads,
    against the time the version took to compute."""
    sys.path.insert(0, str(REPO))
    from lrsweep.store.entries import Store

    workdir = WORK / "figures_with"
    store = Store(workdir / "results/bench/store")
    version = (workdir / "results/bench/latest").resolve()
    grid = json.loads((version / "grid.json").read_text())
    prov = json.loads((version / "provenance.json").read_text())
    entries = [("prepared", k["prepared"]) for k in prov["keys"].values()]
    entries += [("fits", p["key"]) for points in grid.values() for p in points]
    entries += [
        ("fitfigs", p["figkey"]) for points in grid.values() for p in points if "figkey" in p
    ]
    entries += [("figures", k["overview_figures"]) for k in prov["keys"].values()]
    seconds, size = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        size = 0
        for kind, key in entries:
            entry = store.get(kind, key, key)
            if entry is None:
                continue
            entry.verify_all()
            size += sum(f["size"] for f in entry.manifest["files"].values())
        seconds.append(time.perf_counter() - start)
    return {"seconds": seconds, "mb": size / 2**20, "entries": len(entries)}


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
    from lrsweep.store.provenance import package_versions

    return package_versions()


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem:.1f} GiB, {platform.platform()}"


def med(values) -> float:
    return statistics.median(values)


def runs(values, digits=1) -> str:
    return ", ".join(f"{t:.{digits}f}" for t in values)


def report(parts: dict) -> str:
    full, figs, rer, dag = parts["full"], parts["figures"], parts["reruns"], parts["dag"]
    large, verify = parts.get("large"), parts.get("verify")
    lr, bl = med(full["times"]["lrsweep"]), med(full["times"]["baseline"])
    without, with_ = med(figs["times"]["without"]), med(figs["times"]["with"])
    reference = med(rer["add_C_baseline_fits"]) + med(rer["add_C_publish"])
    lines = [
        "# Benchmark results",
        "",
        f"Made by `python bench/run.py` on {time.strftime('%Y-%m-%d')}; machine: {machine()}.",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in versions().items()) + ".",
        "All times are wall-clock seconds, medians of alternating runs (the machine is shared",
        "and noisy: read ratios, not absolute numbers).",
        "",
        "## Full sweep (bench/config.yaml, figures off)",
        "",
        f"{full['points']} grid points, {full['fits']} fits (digits, breast_cancer: "
        "6 solver/penalty pairs x 8 C; synthetic 200,000 x 50: 3 solvers x 2 C). "
        "Both contenders computed identical metrics.csv (checked).",
        "",
        "| contender | runs (s) | median (s) |",
        "|---|---|---|",
        f"| lrsweep `snakemake --cores 2` | {runs(full['times']['lrsweep'])} | {lr:.1f} |",
        f"| baseline: one process, joblib n_jobs=2 | {runs(full['times']['baseline'])} | "
        f"{bl:.1f} |",
        "",
        f"**Ratio lrsweep / baseline: {lr / bl:.2f}** (target <= 1.3).",
        "",
        "## Figures (the same sweep with `figures: true`, the default)",
        "",
        f"- Without figures: {runs(figs['times']['without'])} s, median {without:.1f} s; with "
        f"figures ({figs['pngs']} PNG files): {runs(figs['times']['with'])} s, median "
        f"{with_:.1f} s. **Ratio {with_ / without:.2f}** (target <= 1.25).",
        "",
        "## Reruns",
        "",
        f"- Nothing changed (figures on): {runs(rer['unchanged'], 2)} s, median "
        f"**{med(rer['unchanged']):.2f} s** (target <= 2 s).",
        f"- One C value ({C_EXTRA}) added to every grid: {rer['add_C_points']} new grid points, "
        f"{rer['add_C_fitted']['without']} fitted (the others from the store). Those fits in "
        "one baseline process (preparing the data, fitting only the new points, their metrics "
        f"and files) took {runs(rer['add_C_baseline_fits'])} s, median "
        f"{med(rer['add_C_baseline_fits']):.1f} s; assembling the version from the store alone "
        f"(nothing to fit) {runs(rer['add_C_publish'])} s, median "
        f"{med(rer['add_C_publish']):.1f} s.",
        f"  - Figures off: the rerun took {runs(rer['add_C'])} s, median "
        f"**{med(rer['add_C']):.1f} s**, **{med(rer['add_C']) / reference:.2f} x** the "
        "baseline's fits plus the assembly (target <= 1).",
        f"  - Figures on (the default; the figures of the experiments that changed drawn, the "
        f"others' taken from the store): {runs(rer['add_C_figures'])} s, median "
        f"**{med(rer['add_C_figures']):.1f} s**, {med(rer['add_C_figures']) / reference:.2f} x "
        f"the same reference, {med(rer['add_C_figures']) / med(rer['add_C']):.2f} x the rerun "
        "without figures.",
        "",
    ]
    if verify:
        lines += [
            "## Checking the store",
            "",
            f"- Verifying every store entry the bench version reads ({verify['entries']} "
            f"entries, {verify['mb']:.0f} MB: prepared data, fits, figures) took "
            f"{runs(verify['seconds'], 2)} s, median **{med(verify['seconds']):.2f} s**, "
            f"{med(verify['seconds']) / with_:.1%} of the sweep with figures.",
            "",
        ]
    lines += [
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


PARTS = ("full", "figures", "reruns", "verify", "dag", "large")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument(
        "--only",
        choices=PARTS,
        help="measure one part again; the others come from bench/results.json",
    )
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    saved = BENCH / "results.json"
    parts = json.loads(saved.read_text()) if args.only and saved.exists() else {}

    def wanted(part):
        return args.only == part or (args.only is None and (part != "large" or not args.skip_large))

    if wanted("full"):
        parts["full"] = full_sweep(args.repeats)
    if wanted("figures"):
        parts["figures"] = figures_cost(args.repeats)
    if wanted("reruns"):
        parts["reruns"] = reruns(args.repeats)
    if wanted("verify"):
        parts["verify"] = verification(args.repeats)
    if wanted("dag"):
        parts["dag"] = {str(k): v for k, v in dag_times(args.repeats).items()}
    if wanted("large"):
        parts["large"] = large_data(max(1, args.repeats - 1))
    saved.write_text(json.dumps(parts, indent=1))
    parts["dag"] = {int(k): v for k, v in parts["dag"].items()}
    text = report(parts)
    (BENCH / "RESULTS.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
