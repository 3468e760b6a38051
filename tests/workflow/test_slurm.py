"""A sharded sweep through a real one-node Slurm cluster that the test starts on this machine.

Runs in CI (``CI=true``) or when asked (``LRSWEEP_RUN_SLURM=1``), and needs root (to install
Debian's slurm-wlm and munge, and to start their daemons); skipped with the reason otherwise.
The SLURM executor plugin is installed into a folder of its own and put on PYTHONPATH for this
test only: installed for good where Slurm's commands exist but no controller runs, it would
stall every other snakemake call.

The cluster is this test's alone, so that two copies of the suite can run at once: munged with
its own key and socket, slurmctld and slurmd on ports picked free at run time, state, spool,
pid and log files in the test's temporary folder, and no file written outside it (not
/etc/slurm/slurm.conf: every Slurm command finds the test's config through SLURM_CONF).
Every daemon runs in a process group of its own and is stopped by its process id in a
``finally``, even when the test fails half-way; so is anything else still running with the
test's marker in its environment (a job's processes, an orphaned slurmstepd).

"Running at the same time" is read from Slurm's own records: without an accounting database
(slurmdbd and MySQL) there is no ``sacct``, so the test asks slurmctld (``scontrol show job``,
records kept MinJobAge seconds) for each fit job's start and end times; the jobcomp log in the
test's folder (jobcomp/filetxt) keeps the same records after the daemons are gone.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO, snakemake

pytestmark = pytest.mark.slurm

PLUGIN_REQUIREMENTS = [
    line
    for line in (REPO / "requirements-slurm.txt").read_text().splitlines()
    if line.startswith("snakemake-executor-plugin") or line.startswith("throttler")
]

# Slurm's daemons live in /usr/sbin, which a non-login PATH may lack.
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
# Set in the environment of everything the test starts (daemons, snakemake and so every Slurm
# job), with the test's folder as value: what still carries it at the end is the test's own.
MARKER = "LRSWEEP_SLURM_TEST"
#: A person running the suite sets this to 1 to run this test (CI=true runs it always).
OPT_IN = "LRSWEEP_RUN_SLURM"

SWEEP = "slurm-shards"
# 12 grid points on 20,000 x 20 rows; at shard_minutes 0.006 (0.36 s of estimated work) the
# plan makes 8 shards, each a fit job of a few seconds: four rounds on a 2-core node.
CONFIG = {
    "sweep": SWEEP,
    "figures": False,
    "shard_minutes": 0.006,
    "experiments": {
        "synthetic": {
            "dataset": {
                "source": "synthetic",
                "n_samples": 20000,
                "n_features": 20,
                "random_state": 0,
            },
            "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
            "standardize": True,
            "sklearn": {
                "solver": ["lbfgs", "liblinear"],
                "penalty": "l2",
                "C": [0.001, 0.01, 0.1, 1.0, 10.0, 100.0],
                "random_state": 0,
            },
        }
    },
}
SLURM_ARGS = [
    "--workflow-profile",
    str(REPO / "profiles/slurm"),
    "--default-resources",
    "slurm_partition=debug",
    "slurm_account=lrsweep",
    "mem_mb=1000",
    "runtime=30",
    "--set-resources",
    "prepare:mem_mb=1000",
    "fit:mem_mb=1000",
    "publish:mem_mb=1000",
    "--set-threads",
    "fit=1",  # 1 CPU each, so that two shards fit on the 2-core node at once
    "--slurm-status-command",
    "squeue",  # no sacct without an accounting database; MinJobAge keeps finished jobs
    "--slurm-init-seconds-before-status-checks",
    "2",
]


def _which(name):
    return shutil.which(name, path=SBIN_PATH)


def _sh(cmd, timeout=900, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def _ensure_slurm() -> str | None:
    """Install slurm-wlm and munge if needed; the reason to skip, or None. A person running
    the tests opts in (it installs system packages and starts daemons); CI always runs it."""
    if os.environ.get("CI") != "true" and os.environ.get(OPT_IN) != "1":
        return f"installs Slurm and munge and starts daemons: runs with CI=true or {OPT_IN}=1"
    if os.geteuid() != 0:
        return "needs root to install and start Slurm"
    needed = ("slurmctld", "slurmd", "munged", "mungekey", "sbatch", "srun")
    if all(_which(n) for n in needed):
        return None
    if not _which("apt-get"):
        return "Slurm is not installed and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "PATH": SBIN_PATH}
    _sh(["apt-get", "update", "-qq"], env=env)
    proc = _sh(["apt-get", "install", "-y", "-qq", "slurm-wlm", "munge"], env=env)
    missing = [n for n in needed if not _which(n)]
    if proc.returncode != 0 or missing:
        return f"could not install slurm-wlm and munge: {proc.stderr.strip()[-300:]}"
    return None


def _plugin_dir(base: Path) -> Path:
    target = base / "slurm-plugin"
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)]
    proc = _sh([*cmd, *PLUGIN_REQUIREMENTS])
    assert proc.returncode == 0, proc.stderr
    return target


def _free_ports(n: int) -> list[int]:
    """n distinct TCP ports that are free now (held open together while they are picked)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _node_line(host: str) -> str:
    """This machine as one Slurm node: its memory, and its CPUs but at least 2 (the node's
    configuration is taken as written, config_overrides), so that two 1-CPU jobs fit."""
    fields = dict(
        item.split("=", 1) for item in _sh([_which("slurmd"), "-C"]).stdout.split() if "=" in item
    )
    cpus = max(2, int(fields.get("CPUs", 1)))
    memory = max(4000, int(int(fields.get("RealMemory", 4000)) * 0.9))
    return f"NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN"


def _slurm_conf(folder: Path, host: str, ctld_port: int, slurmd_port: int) -> Path:
    for sub in ("state", "spool"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    lines = [
        "ClusterName=lrsweep",
        f"SlurmctldHost={host}(127.0.0.1)",
        f"SlurmctldPort={ctld_port}",
        f"SlurmdPort={slurmd_port}",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={folder / 'munge' / 'munge.socket'}",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "DefMemPerCPU=1000",
        "SlurmdParameters=config_overrides",
        "AccountingStorageType=accounting_storage/none",
        "JobAcctGatherType=jobacct_gather/none",
        "JobCompType=jobcomp/filetxt",
        f"JobCompLoc={folder / 'jobcomp.log'}",
        "MpiDefault=none",
        "MailProg=/bin/true",
        "ReturnToService=2",
        "MinJobAge=3600",  # finished jobs stay visible to squeue and scontrol for an hour
        f"StateSaveLocation={folder / 'state'}",
        f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
        f"SlurmdPidFile={folder / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'slurmctld.log'}",
        f"SlurmdLogFile={folder / 'slurmd.log'}",
        _node_line(host),
        f"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP",
    ]
    conf = folder / "slurm.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def _srun_shim(folder: Path, conf: Path) -> Path:
    """A folder holding an ``srun`` that sets SLURM_CONF and runs the real one.

    Inside a job, snakemake-executor-plugin-slurm-jobstep (0.6.1) starts the rule with
    ``srun``, after removing every SLURM_* variable but the job's id from srun's environment,
    SLURM_CONF too; srun then looks for /etc/slurm/slurm.conf, which the test does not write.
    The folder goes first on the PATH of the jobs (sbatch --export=ALL carries it).
    """
    shim = folder / "bin"
    shim.mkdir(exist_ok=True)
    srun = shim / "srun"
    srun.write_text(f'#!/bin/sh\nSLURM_CONF="{conf}" exec "{_which("srun")}" "$@"\n')
    srun.chmod(0o755)
    return shim


def _tail(path: Path, n: int = 20) -> str:
    try:
        return f"--- {path.name}\n" + "\n".join(path.read_text().splitlines()[-n:])
    except OSError:
        return f"--- {path.name}: none"


class Cluster:
    """munged, slurmctld and slurmd of one test, each in a process group of its own."""

    def __init__(self, folder: Path, env: dict):
        folder.mkdir()
        self.folder = folder
        self.host = socket.gethostname().split(".")[0]
        self.procs: list[tuple[str, subprocess.Popen]] = []
        ctld_port, slurmd_port = _free_ports(2)
        self.conf = _slurm_conf(folder, self.host, ctld_port, slurmd_port)
        self.env = {
            **os.environ,
            "PATH": os.pathsep.join([str(_srun_shim(folder, self.conf)), SBIN_PATH]),
            "SLURM_CONF": str(self.conf),
            MARKER: str(folder),
            **env,
        }

    def _start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        out = open(self.folder / f"{name}.out", "w")  # the daemon keeps its own copy
        proc = subprocess.Popen(
            cmd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session and process group, led by its pid
        )
        out.close()
        self.procs.append((name, proc))
        return proc

    def logs(self) -> str:
        names = ("munged.out", "slurmctld.log", "slurmd.log")
        return "\n".join(_tail(self.folder / n) for n in names)

    def _wait(self, what: str, ready, seconds: float = 60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if ready():
                return
            dead = [name for name, proc in self.procs if proc.poll() is not None]
            assert not dead, f"{', '.join(dead)} stopped while waiting for {what}\n{self.logs()}"
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")

    def start(self):
        munge = self.folder / "munge"
        munge.mkdir(mode=0o700)
        key = self.folder / "munge.key"
        proc = _sh([_which("mungekey"), "--create", f"--keyfile={key}"], timeout=60)
        assert proc.returncode == 0, proc.stderr
        socket_path = munge / "munge.socket"
        self._start(
            "munged",
            [
                _which("munged"),
                "--foreground",
                "--force",
                f"--socket={socket_path}",
                f"--key-file={key}",
                f"--pid-file={munge / 'munged.pid'}",
                f"--log-file={self.folder / 'munged.log'}",  # (it logs to stderr in -F)
                f"--seed-file={munge / 'munged.seed'}",
            ],
        )
        self._wait("munged's socket", socket_path.exists, 20)
        self._start("slurmctld", [_which("slurmctld"), "-D", "-i"])
        self._start("slurmd", [_which("slurmd"), "-D", "-N", self.host])

        def idle():
            proc = _sh(["sinfo", "-h", "-o", "%T"], env=self.env, timeout=30)
            return proc.stdout.strip() == "idle"

        self._wait("the node to be idle", idle)

    def jobs(self) -> list[dict]:
        """slurmctld's record of every job it knows (finished ones for MinJobAge)."""
        proc = _sh(["scontrol", "--oneliner", "show", "job"], env=self.env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return [
            dict(re.findall(r"(\w[\w/:]*)=(\S*)", line))
            for line in proc.stdout.splitlines()
            if line.startswith("JobId=")
        ]

    def _cancel_jobs(self):
        user = pwd.getpwuid(os.geteuid()).pw_name
        _sh(["scancel", f"--user={user}"], env=self.env, timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            queue = _sh(["squeue", "-h", "-t", "R,CG"], env=self.env, timeout=30)
            if queue.returncode != 0 or not queue.stdout.strip():
                return
            time.sleep(0.5)

    def stop(self) -> list[int]:
        """Cancel the jobs, stop the daemons started here by their process ids (SIGTERM to
        the process group, SIGKILL after 20 s), then anything left with the test's marker
        (a job's processes, a slurmstepd, a snakemake that timed out). Returns the latter."""
        if any(name == "slurmctld" and proc.poll() is None for name, proc in self.procs):
            try:
                self._cancel_jobs()
            except (OSError, subprocess.SubprocessError):
                pass  # the daemons go next all the same, and the marked processes after them
        for _, proc in reversed(self.procs):  # slurmd, slurmctld, then munged
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    _signal_group(proc.pid, signal.SIGKILL)
                    proc.wait()
        left = _marked_processes(str(self.folder))
        for pid in left:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        alive = left
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = _marked_processes(str(self.folder))
        for pid in alive:
            _signal(pid, signal.SIGKILL)
        return left


def _marked_processes(value: str) -> list[int]:
    """The processes whose environment has MARKER=value (not this one)."""
    wanted = f"{MARKER}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone, or a kernel thread
            continue
    return found


def _signal(pid: int, sig: int):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _signal_group(pgid: int, sig: int):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


@pytest.fixture
def slurm_cluster(tmp_path_factory):
    reason = _ensure_slurm()
    if reason:
        print(f"SKIPPED test_slurm: {reason}")
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("slurm")
    path = os.pathsep.join([str(_plugin_dir(base)), os.environ.get("PYTHONPATH", "")])
    cluster = None
    try:
        for attempt in range(3):
            cluster = Cluster(base / f"cluster{attempt}", {"PYTHONPATH": path.rstrip(os.pathsep)})
            try:
                cluster.start()
                break
            except AssertionError as exc:
                # Another program took a port between its pick and the daemon's start.
                if "Address already in use" not in str(exc) or attempt == 2:
                    raise
                cluster.stop()
        yield cluster
    finally:
        if cluster is not None:
            killed = cluster.stop()
            if killed:
                print(f"test_slurm: stopped leftover processes {killed} (see {base})")


def _times(job: dict) -> tuple[datetime, datetime, datetime]:
    return tuple(datetime.fromisoformat(job[k]) for k in ("SubmitTime", "StartTime", "EndTime"))


def _most_at_once(spans: list[tuple[datetime, datetime]]) -> int:
    """The most intervals [start, end) that overlap (an end at t before a start at t)."""
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


LARGE = {  # the example: 96 grid points on 200,000 x 50 rows
    "sweep": "large",
    "experiments": {
        "large": {
            "dataset": {"source": "synthetic", "n_samples": 200_000, "n_features": 50},
            "standardize": True,
            "sklearn": {
                "solver": ["liblinear", "lbfgs", "saga", "newton-cholesky"],
                "penalty": ["l1", "l2"],
                "C": [10.0**i for i in range(-4, 8)],
            },
        }
    },
}


def test_a_large_grid_is_planned_as_shards_under_the_profile_and_one_job_locally(
    slurm_cluster, tmp_path
):
    def fit_jobs(*args, env=None):
        proc = snakemake(tmp_path, "-n", *args, config=LARGE, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return len(re.findall(r"^rule fit:$", proc.stdout + proc.stderr, re.M))

    assert fit_jobs() == 1
    assert fit_jobs(*SLURM_ARGS, env=slurm_cluster.env) >= 4


def test_sharded_sweep_through_slurm_equals_the_local_run(slurm_cluster, tmp_path):
    started = time.monotonic()
    local = snakemake(tmp_path / "local", config=CONFIG)
    local_seconds = time.monotonic() - started
    assert local.returncode == 0, local.stderr[-3000:]

    started = time.monotonic()
    proc = snakemake(
        tmp_path / "slurm", *SLURM_ARGS, config=CONFIG, env=slurm_cluster.env, timeout=900
    )
    slurm_seconds = time.monotonic() - started
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:] + "\n" + slurm_cluster.logs()
    assert "has been submitted with SLURM jobid" in log

    # The grid ran sharded: one fit job per shard, each a Slurm job that completed.
    results = tmp_path / "slurm/results" / SWEEP
    tokens = sorted((results / "store/jobs/fit").glob("*.json"))
    assert len(tokens) >= 4, [t.name for t in tokens]
    assert all(re.search(r"\.\d+of\d+-[0-9a-f]{20}\.json$", t.name) for t in tokens)
    jobs = slurm_cluster.jobs()
    fits = [j for j in jobs if j.get("Comment", "").startswith("rule_fit_")]
    assert sorted(j["Comment"][-20:] for j in fits) == sorted(t.stem[-20:] for t in tokens)
    assert {j["JobState"] for j in jobs} == {"COMPLETED"}, jobs

    # The version's provenance lists these jobs' timings (those of the shards, not a pack's).
    provenance = json.loads((results / "latest/provenance.json").read_text())
    timed = sorted(t["job"] for t in provenance["timings"] if t["rule"] == "fit")
    assert timed == [t.stem for t in tokens]

    # At least two of them ran at the same time, by Slurm's start and end times (1 s steps).
    spans = [_times(j)[1:] for j in fits]
    at_once = _most_at_once(spans)
    assert at_once >= 2, spans

    # The same numbers as a local run (packed: other jobs, same fits).
    def metrics(workdir):
        table = pd.read_csv(workdir / "results" / SWEEP / "latest/metrics.csv")
        return table.drop(columns="fit_seconds")

    pd.testing.assert_frame_equal(metrics(tmp_path / "local"), metrics(tmp_path / "slurm"))

    # Timings, for bench/README.md (pytest -s shows them).
    queued = [(start - submit).total_seconds() for submit, start, _ in map(_times, jobs)]
    walls = [(end - start).total_seconds() for _, start, end in map(_times, fits)]
    bench = pd.concat(pd.read_csv(f, sep="\t") for f in (results / "benchmarks/fit").glob("*.tsv"))
    print(
        f"\ntest_slurm: {len(fits)} fit jobs, at most {at_once} at once; "
        f"whole run {slurm_seconds:.1f} s through Slurm, {local_seconds:.1f} s locally; "
        f"sbatch to start min {min(queued):.0f} / max {max(queued):.0f} s; "
        f"fit job wall (Slurm) median {pd.Series(walls).median():.0f} s, "
        f"its rule (benchmark) median {bench['s'].median():.1f} s"
    )
