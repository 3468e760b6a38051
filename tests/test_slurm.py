"""The smoke sweep through a real one-node Slurm cluster started on this machine.

Needs root (to install Debian's slurm-wlm and munge, and to start their daemons); skipped
with the reason otherwise. The SLURM executor plugin is installed into a folder of its own
and put on PYTHONPATH for this test only: installed for good where Slurm's commands exist
but no controller runs, it would stall every other snakemake call.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, snakemake

pytestmark = [pytest.mark.slow, pytest.mark.slurm]

PLUGIN_REQUIREMENTS = [
    line
    for line in (REPO / "requirements-slurm.txt").read_text().splitlines()
    if line.startswith("snakemake-executor-plugin") or line.startswith("throttler")
]


# Slurm's daemons live in /usr/sbin, which a non-login PATH may lack.
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])


def _which(name):
    return shutil.which(name, path=SBIN_PATH)


def _sh(cmd, timeout=900, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def _ensure_slurm() -> str | None:
    """Install slurm-wlm and munge if needed; the reason to skip, or None."""
    if os.geteuid() != 0:
        return "needs root to install and start Slurm"
    if _which("slurmctld") and _which("munged"):
        return None
    if not _which("apt-get"):
        return "Slurm is not installed and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "PATH": SBIN_PATH}
    _sh(["apt-get", "update", "-qq"], env=env)
    proc = _sh(["apt-get", "install", "-y", "-qq", "slurm-wlm", "munge"], env=env)
    if proc.returncode != 0 or not _which("slurmctld"):
        return f"could not install slurm-wlm and munge: {proc.stderr.strip()[-300:]}"
    return None


def _plugin_dir(base: Path) -> Path:
    target = base / "slurm-plugin"
    proc = _sh(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            *PLUGIN_REQUIREMENTS,
        ]
    )
    assert proc.returncode == 0, proc.stderr
    return target


def _slurm_conf(folder: Path) -> Path:
    host = socket.gethostname().split(".")[0]
    node = _sh([_which("slurmd"), "-C"]).stdout.splitlines()[0]  # this machine's CPUs and memory
    fields = dict(item.split("=", 1) for item in node.split())
    fields["RealMemory"] = str(int(int(fields["RealMemory"]) * 0.9))
    fields["NodeName"] = host
    for sub in ("state", "spool"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    conf = folder / "slurm.conf"
    conf.write_text(
        "\n".join(
            [
                "ClusterName=lrsweep",
                f"SlurmctldHost={host}",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core_Memory",
                "AccountingStorageType=accounting_storage/none",
                "JobAcctGatherType=jobacct_gather/none",
                "MpiDefault=none",
                "ReturnToService=2",
                "MinJobAge=600",
                f"StateSaveLocation={folder / 'state'}",
                f"SlurmdSpoolDir={folder / 'spool'}",
                f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
                f"SlurmdPidFile={folder / 'slurmd.pid'}",
                f"SlurmctldLogFile={folder / 'slurmctld.log'}",
                f"SlurmdLogFile={folder / 'slurmd.log'}",
                " ".join(f"{k}={v}" for k, v in fields.items() if k != "UpTime") + " State=UNKNOWN",
                f"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP",
            ]
        )
        + "\n"
    )
    return conf


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = _ensure_slurm()
    if reason:
        print(f"SKIPPED test_slurm: {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("slurm")
    # srun inside a job looks for the default path (SLURM_CONF does not reach it), so the
    # config goes there, unless a real cluster's config is already in place.
    default = Path("/etc/slurm/slurm.conf")
    if default.exists() and "ClusterName=lrsweep" not in default.read_text():
        pytest.skip(f"{default} belongs to another Slurm set-up; not touching it")
    default.parent.mkdir(parents=True, exist_ok=True)
    conf = _slurm_conf(folder)
    shutil.copy(conf, default)
    env = {**os.environ, "SLURM_CONF": str(default), "PATH": SBIN_PATH}
    procs = []
    try:
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        if not Path("/etc/munge/munge.key").exists():
            _sh([_which("mungekey"), "-c"])
        procs.append(
            subprocess.Popen(
                ["munged", "-F", "--force"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        time.sleep(1)
        for daemon in (["slurmctld", "-D", "-i"], ["slurmd", "-D"]):
            procs.append(
                subprocess.Popen(
                    daemon, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        deadline = time.time() + 60
        state = ""
        while time.time() < deadline:
            state = _sh(["sinfo", "-h", "-o", "%T"], env=env).stdout.strip()
            if state == "idle":
                break
            time.sleep(1)
        assert state == "idle", f"the node did not come up ({state!r}); see {folder}"
        yield {
            "SLURM_CONF": str(conf),
            "PYTHONPATH": os.pathsep.join(
                [str(_plugin_dir(folder)), os.environ.get("PYTHONPATH", "")]
            ).rstrip(os.pathsep),
        }
    finally:
        _sh(["scancel", "--user=root"], env=env, timeout=30)
        for proc in reversed(procs):  # stop exactly the daemons started here, by process id
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        default.unlink(missing_ok=True)


def test_smoke_sweep_through_slurm_equals_the_local_run(slurm, smoke_run, tmp_path):
    local_dir, _ = smoke_run
    shutil.copy(local_dir / "config.yaml", tmp_path / "config.yaml")
    proc = snakemake(
        tmp_path,
        "--workflow-profile",
        str(REPO / "profiles/slurm"),
        "--jobs",
        "4",
        "--default-resources",
        "slurm_partition=debug",
        "slurm_account=lrsweep",
        "mem_mb=1000",
        "runtime=30",
        "--set-resources",
        "fit:mem_mb=2000",
        "figures:mem_mb=1000",
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
        env=slurm,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "sbatch" in proc.stdout + proc.stderr or "SLURM" in proc.stdout + proc.stderr
    local = pd.read_csv(local_dir / "results/smoke/latest/metrics.csv").drop(columns="fit_seconds")
    remote = pd.read_csv(tmp_path / "results/smoke/latest/metrics.csv").drop(columns="fit_seconds")
    pd.testing.assert_frame_equal(local, remote)
