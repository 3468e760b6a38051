"""lrsweep's benchmark: the workflow against an in-process joblib loop, and the other targets.

    python bench/run.py [--repeats 3] [--skip-large]
                        [--only full|figures|reruns|verify|dag|large|peers|cv|paths ...]
    python bench/run.py --only cv [--lrcv]
    python bench/run.py --quick --only peers --only cv [--lrcv] --repeats 1 --work DIR

Writes bench/results.json and bench/RESULTS.md (``--quick``: into the work folder). Every
timing is wall-clock; runs of the contenders alternate so that a noisy neighbour hurts all
alike, and medians are reported. See bench/README.md.
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
    for token in store.glob("jobs/fit/*.json"):
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


def paths_config(path: str) -> dict:
    """Issue #29's warm-start measurement: 200,000 x 50, 8 C from 0.003 to 10, the three
    solvers that warm-start, each one model family (``C_path``: ``warm`` or ``cold``)."""
    return {
        "sweep": "paths",
        "figures": False,
        "bootstrap": {"resamples": 0},
        "experiments": {
            "paths": {
                "dataset": {
                    "source": "synthetic",
                    "n_samples": 250_000,
                    "n_features": 50,
                    "n_informative": 20,
                    "random_state": 0,
                },
                "split": {"test_size": 0.2, "random_state": 0, "stratify": False},
                "standardize": True,
                "C_path": path,
                "sklearn": {
                    "solver": ["lbfgs", "newton-cg", "newton-cholesky"],
                    "C": [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
                    "random_state": 0,
                },
            }
        },
    }


def warm_paths(repeats: int) -> dict:
    """lrsweep with ``C_path: warm`` against ``cold`` (alternating runs): the sweep's wall time,
    the fits' own seconds per solver (metrics.csv's fit_seconds), and how far the warm fits'
    test accuracies are from the cold ones'."""
    times = {"warm": [], "cold": []}
    fits = {"warm": [], "cold": []}
    metrics = {}
    for i in range(repeats):
        for path in ("warm", "cold") if i % 2 == 0 else ("cold", "warm"):
            workdir = WORK / f"paths-{path}"
            fresh(workdir, paths_config(path))
            times[path].append(snakemake(workdir)[0])
            m = latest_metrics(workdir, "paths")
            fits[path].append(m.groupby("solver")["fit_seconds"].sum().to_dict())
            metrics[path] = m.set_index("model_id")
            print(f"paths {i + 1}/{repeats} {path}: {times[path][-1]:.1f} s", flush=True)
    warm, cold = metrics["warm"], metrics["cold"].loc[metrics["warm"].index]
    return {
        "times": times,
        "fit_seconds": fits,
        "max_accuracy_difference": float(
            (warm["accuracy_test"] - cold["accuracy_test"]).abs().max()
        ),
        "max_log_loss_difference": float(
            (warm["log_loss_test"] - cold["log_loss_test"]).abs().max()
        ),
    }


#: The solver/penalty pairs of bench/config.yaml's digits and breast_cancer that fit (lbfgs
#: and newton-cg have no l1), and its eight C values.
PAIRS = (
    ("liblinear", "l1"),
    ("liblinear", "l2"),
    ("lbfgs", "l2"),
    ("newton-cg", "l2"),
    ("saga", "l1"),
    ("saga", "l2"),
)
C8 = [0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0]
C10 = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0]


def split_spec() -> dict:
    return {"test_size": 0.2, "random_state": 0, "stratify": True}


def peers_config(quick: bool = False) -> dict:
    """The peers' 96-fit sweep: 12 experiments, digits and breast_cancer each with one
    solver/penalty pair of bench/config.yaml, its 8 C values and settings, no CV; everything
    else lrsweep's defaults (figures on). Quick: 2 pairs and 2 C (8 fits)."""
    pairs, cs = (PAIRS[:2], [0.1, 1.0]) if quick else (PAIRS, C8)
    experiments = {
        f"{data}_{solver}_{penalty}": {
            "dataset": {"source": "sklearn", "name": data},
            "split": split_spec(),
            "standardize": True,
            "sklearn": {
                "solver": solver,
                "penalty": penalty,
                "C": list(cs),
                "max_iter": 300,
                "random_state": 0,
            },
        }
        for data in ("digits", "breast_cancer")
        for solver, penalty in pairs
    }
    return {"sweep": "peers", "experiments": experiments}


def cv_config(quick: bool = False) -> dict:
    """The 120-point CV sweep: breast_cancer, digits and a 20,000 x 30 make_classification
    table, each solver [lbfgs, liblinear] x penalty [l1, l2] x 10 C from 0.001 to 30 (the
    lbfgs l1 points are listed as skipped: 120 grid points, 90 fitted), 5-fold CV, otherwise
    lrsweep's defaults (figures on). Quick: a 400 x 8 table, 2 C, 3 folds (36 points)."""
    synthetic = {"source": "synthetic", "n_samples": 20000, "n_features": 30}
    synthetic.update(n_informative=10, random_state=0)
    if quick:
        synthetic.update(n_samples=400, n_features=8, n_informative=4)
    datasets = {
        "breast_cancer": {"source": "sklearn", "name": "breast_cancer"},
        "digits": {"source": "sklearn", "name": "digits"},
        "synthetic": synthetic,
    }
    experiments = {
        name: {
            "dataset": dataset,
            "split": split_spec(),
            "standardize": True,
            "cv": {"folds": 3 if quick else 5},
            "sklearn": {
                "solver": ["lbfgs", "liblinear"],
                "penalty": ["l1", "l2"],
                "C": [0.01, 0.1] if quick else list(C10),
            },
        }
        for name, dataset in datasets.items()
    }
    return {"sweep": "cv", "experiments": experiments}


def describe(dataset: dict) -> str:
    if dataset["source"] == "sklearn":
        return dataset["name"]
    return f"a {dataset['n_samples']:,} x {dataset['n_features']} make_classification table"


def alternate(repeats: int, contenders: dict, label: str) -> dict:
    """Each contender (a name and a function that runs it once and returns its seconds)
    ``repeats`` times, in turn, the order reversed every other round."""
    names = list(contenders)
    times = {name: [] for name in names}
    for i in range(repeats):
        for name in names if i % 2 == 0 else names[::-1]:
            times[name].append(contenders[name]())
            print(f"{label} {i + 1}/{repeats} {name}: {times[name][-1]:.1f} s", flush=True)
    return times


def peer(kind: str, config: dict, name: str) -> tuple[float, list]:
    """One run of ``bench/peers.py kind`` on ``config``: its seconds and its rows."""
    path, out = WORK / f"{name}.yaml", WORK / f"{name}.json"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    seconds = run([sys.executable, str(BENCH / "peers.py"), kind, str(path), str(out)])[0]
    return seconds, json.loads(out.read_text())


def peers_sweep(repeats: int, quick: bool = False) -> dict:
    """The peers' 96-fit sweep: the in-process loop, lrsweep with ``figures: false`` and with
    its defaults, alternating; lrsweep's accuracies checked against the loop's."""
    from peers import check_accuracies

    config = peers_config(quick)
    off = {**config, "figures": False}
    times = alternate(
        repeats,
        {
            "loop": lambda: peer("loop", config, "peers_loop")[0],
            "figures_off": lambda: lrsweep_once(off, "peers_off"),
            "default": lambda: lrsweep_once(config, "peers"),
        },
        "96 fits",
    )
    metrics = latest_metrics(WORK / "peers", "peers")
    fits = check_accuracies(metrics, json.loads((WORK / "peers_loop.json").read_text()))
    pd.testing.assert_frame_equal(
        metrics.drop(columns="fit_seconds"),
        latest_metrics(WORK / "peers_off", "peers").drop(columns="fit_seconds"),
    )
    version = (WORK / "peers/results/peers/latest").resolve()
    return {
        "times": times,
        "experiments": len(config["experiments"]),
        "pairs": len(config["experiments"]) // 2,
        "cs": len(C8) if not quick else 2,
        "fits": fits,
        "pngs": len(list(version.glob("figures/**/*.png"))),
        "quick": quick,
    }


def cv_sweep(repeats: int, quick: bool = False, lrcv: bool = False) -> dict:
    """The CV sweep: GridSearchCV (n_jobs 2) and lrsweep (figures on), and with ``lrcv``
    LogisticRegressionCV per family, alternating; lrsweep's CV means checked against
    GridSearchCV's mean_test_score (1e-9). Fails loudly if not."""
    from peers import check_cv_means

    config = cv_config(quick)
    contenders = {
        "gridsearch": lambda: peer("gridsearch", config, "cv_gridsearch")[0],
        "lrsweep": lambda: lrsweep_once(config, "cv"),
    }
    if lrcv:
        contenders["lrcv"] = lambda: peer("lrcv", config, "cv_lrcv")[0]
    times = alternate(repeats, contenders, "CV sweep")
    metrics = latest_metrics(WORK / "cv", "cv")
    rows = json.loads((WORK / "cv_gridsearch.json").read_text())
    first = next(iter(config["experiments"].values()))
    cs = first["sklearn"]["C"]
    return {
        "times": times,
        "max_diff": check_cv_means(metrics, rows, atol=1e-9),
        "points": len(metrics),
        "fits": len(rows),
        "datasets": ", ".join(describe(e["dataset"]) for e in config["experiments"].values()),
        "cs": len(cs),
        "c_range": f"{cs[0]:g} to {cs[-1]:g}",
        "folds": first["cv"]["folds"],
        "quick": quick,
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


def header() -> list[str]:
    return [
        "# Benchmark results",
        "",
        f"Made by `python bench/run.py` on {time.strftime('%Y-%m-%d')}; machine: {machine()}.",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in versions().items()) + ".",
        "All times are wall-clock seconds, medians of alternating runs (the machine is shared",
        "and noisy: read ratios, not absolute numbers).",
        "",
    ]


def full_section(full: dict) -> list[str]:
    lr, bl = med(full["times"]["lrsweep"]), med(full["times"]["baseline"])
    return [
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
    ]


def figures_section(figs: dict) -> list[str]:
    without, with_ = med(figs["times"]["without"]), med(figs["times"]["with"])
    return [
        "## Figures (the same sweep with `figures: true`, the default)",
        "",
        f"- Without figures: {runs(figs['times']['without'])} s, median {without:.1f} s; with "
        f"figures ({figs['pngs']} PNG files): {runs(figs['times']['with'])} s, median "
        f"{with_:.1f} s. **Ratio {with_ / without:.2f}** (target <= 1.25).",
        "",
    ]


def reruns_section(rer: dict) -> list[str]:
    reference = med(rer["add_C_baseline_fits"]) + med(rer["add_C_publish"])
    return [
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


def verify_section(verify: dict, sweep_seconds: float | None) -> list[str]:
    share = f", {med(verify['seconds']) / sweep_seconds:.1%} of the sweep with figures"
    return [
        "## Checking the store",
        "",
        f"- Verifying every store entry the bench version reads ({verify['entries']} "
        f"entries, {verify['mb']:.0f} MB: prepared data, fits, figures) took "
        f"{runs(verify['seconds'], 2)} s, median **{med(verify['seconds']):.2f} s**"
        f"{share if sweep_seconds else ''}.",
        "",
    ]


def dag_section(dag: dict) -> list[str]:
    dag = {int(k): v for k, v in dag.items()}
    return [
        "## Building the DAG (`snakemake -n`)",
        "",
        f"- 1,000 grid points: median **{med(dag[1000]):.2f} s** (target <= 3 s).",
        f"- 10,000 grid points: median **{med(dag[10000]):.2f} s** (target <= 15 s).",
        "",
    ]


def large_section(large: dict) -> list[str]:
    lt, bt = med(large["times"]["lrsweep"]), med(large["times"]["bare"])
    peak = max(max(r.values()) for r in large["max_rss_mb"])
    return [
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


def paths_section(p: dict) -> list[str]:
    wt, ct = med(p["times"]["warm"]), med(p["times"]["cold"])
    solvers = sorted(p["fit_seconds"]["warm"][0])
    rows = []
    for s in solvers:
        w = med([f[s] for f in p["fit_seconds"]["warm"]])
        c = med([f[s] for f in p["fit_seconds"]["cold"]])
        rows.append(f"| {s} | {c:.2f} | {w:.2f} | **{c / w:.2f} x** |")
    return [
        "## Warm-started C paths: 200,000 x 50 training rows, 8 C, three solvers (`--only paths`)",
        "",
        "One model family per solver, C from 0.003 to 10; `C_path: warm` against `cold`, "
        "alternating runs.",
        "",
        "| solver | cold fits (s, median) | warm fits (s, median) | faster (target >= 2 x) |",
        "|---|---|---|---|",
        *rows,
        "",
        f"- The whole sweep: cold {runs(p['times']['cold'])} s, warm {runs(p['times']['warm'])} s"
        f" (**{ct / wt:.2f} x**).",
        f"- Warm against cold fits at the default tolerance: test accuracy within "
        f"{p['max_accuracy_difference']:.1e}, test log loss within "
        f"{p['max_log_loss_difference']:.1e}.",
        "",
    ]


def quick_note(part: dict) -> list[str]:
    if not part.get("quick"):
        return []
    return [
        "*Quick mode (`--quick`): a small grid that proves the scripts, not a measurement.*",
        "",
    ]


def contenders_table(times: dict, labels: dict, reference: str) -> list[str]:
    """A table of contenders' runs, medians and ratios to ``reference``'s median."""
    ref = med(times[reference])
    rows = ["| contender | runs (s) | median (s) | ratio |", "|---|---|---|---|"]
    for key, label in labels.items():
        rows.append(
            f"| {label} | {runs(times[key])} | {med(times[key]):.1f} | "
            f"{med(times[key]) / ref:.2f} |"
        )
    return [*rows, ""]


def peers_section(p: dict) -> list[str]:
    loop, off, on = (med(p["times"][k]) for k in ("loop", "figures_off", "default"))
    labels = {
        "loop": "in-process joblib loop, n_jobs 2 (`bench/peers.py loop`)",
        "figures_off": "lrsweep, `figures: false`",
        "default": f"lrsweep, default settings (figures on: {p['pngs']} PNG files)",
    }
    return [
        f"## The peers' sweep: {p['fits']} fits, no CV (`--only peers`)",
        "",
        *quick_note(p),
        f"{p['experiments']} experiments (digits and breast_cancer, one for each of "
        f"{p['pairs']} solver/penalty pairs), {p['cs']} C each: {p['fits']} fits. lrsweep's "
        "train and test accuracies equal the loop's at every fit, and its two runs wrote the "
        "same metrics.csv (checked).",
        "",
        *contenders_table(p["times"], labels, "loop"),
        f"**Default settings / loop: {on / loop:.2f}** (target <= 1.3); **figures: "
        f"{on / off:.2f} x** the same sweep without them (target <= 1.25).",
        "",
    ]


def cv_section(p: dict) -> list[str]:
    gs, lr = med(p["times"]["gridsearch"]), med(p["times"]["lrsweep"])
    labels = {
        "gridsearch": "`GridSearchCV(Pipeline(StandardScaler, LogisticRegression), list of "
        "grids, n_jobs=2)` (`bench/peers.py gridsearch`)",
        "lrsweep": f"lrsweep, `cv: {{folds: {p['folds']}}}`, figures on",
        "lrcv": "`LogisticRegressionCV` per model family, n_jobs 2 (warm-started paths, the "
        "scaler learned outside the folds: a time reference, its numbers not compared)",
    }
    labels = {k: v for k, v in labels.items() if k in p["times"]}
    return [
        f"## The CV sweep: {p['points']} grid points chosen by {p['folds']}-fold CV (`--only cv`)",
        "",
        *quick_note(p),
        f"{p['datasets']}; solver [lbfgs, liblinear] x penalty [l1, l2] x {p['cs']} C from "
        f"{p['c_range']}: {p['points']} grid points, {p['fits']} fitted (lbfgs has no l1: "
        f"those points are listed as skipped, and GridSearchCV's list of grids leaves them out). "
        f"{p['folds']}-fold CV with the same folds on both sides (RepeatedStratifiedKFold, one "
        "repeat, random_state 0), StandardScaler learned inside each fold. lrsweep's "
        "cv_accuracy_mean equals GridSearchCV's mean_test_score at every fitted point "
        f"(largest difference {p['max_diff']:.1e}, checked to 1e-9).",
        "",
        *contenders_table(p["times"], labels, "gridsearch"),
        f"**lrsweep / GridSearchCV: {lr / gs:.2f}** (target <= 1.1).",
        "",
    ]


def report(parts: dict) -> str:
    """RESULTS.md: a section for every part measured."""
    lines = header()
    with_figures = parts.get("figures", {}).get("times", {}).get("with")
    sections = {
        "full": full_section,
        "figures": figures_section,
        "reruns": reruns_section,
        "verify": lambda v: verify_section(v, med(with_figures) if with_figures else None),
        "dag": dag_section,
        "large": large_section,
        "peers": peers_section,
        "cv": cv_section,
        "paths": paths_section,
    }
    for part, section in sections.items():
        if part in parts:
            lines += section(parts[part])
    return "\n".join(lines)


PARTS = ("full", "figures", "reruns", "verify", "dag", "large", "peers", "cv", "paths")


def main() -> int:
    global WORK
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument(
        "--only",
        choices=PARTS,
        action="append",
        help="measure this part again (may be given more than once); the others come from "
        "bench/results.json",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the peers and cv parts on a small grid, to prove the scripts work: the results "
        "go to the work folder, not to bench/",
    )
    parser.add_argument(
        "--lrcv", action="store_true", help="the cv part also times LogisticRegressionCV"
    )
    parser.add_argument("--work", type=Path, default=WORK, help="the work folder")
    args = parser.parse_args()
    WORK = args.work.resolve()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.quick and not set(args.only or ()) <= {"peers", "cv"}:
        parser.error("--quick needs --only peers and/or --only cv")
    out = WORK if args.quick else BENCH
    saved = out / "results.json"
    parts = json.loads(saved.read_text()) if args.only and saved.exists() else {}
    measure = {
        "full": full_sweep,
        "figures": figures_cost,
        "reruns": reruns,
        "verify": verification,
        "dag": lambda r: {str(k): v for k, v in dag_times(r).items()},
        "large": lambda r: large_data(max(1, r - 1)),
        "peers": lambda r: peers_sweep(r, args.quick),
        "cv": lambda r: cv_sweep(r, args.quick, args.lrcv),
        "paths": warm_paths,
    }
    for part in PARTS:
        chosen = part in args.only if args.only else not (part == "large" and args.skip_large)
        if chosen:
            parts[part] = measure[part](args.repeats)
            saved.write_text(json.dumps(parts, indent=1))  # a later part's failure keeps it
    text = report(parts)
    (out / "RESULTS.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
