"""The command line in a fresh interpreter: it does not import MLflow, and its help names the
default."""

import os
import subprocess
import sys

import pytest


def test_cli_does_not_import_mlflow_and_help_names_its_default():
    code = (
        "import sys, lrsweep.tools.cli\n"
        "try:\n"
        "    lrsweep.tools.cli.main(['export', 'mlflow', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('IMPORTED' if any(m.split('.')[0] == 'mlflow' for m in sys.modules) else 'NOT')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "1000"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("NOT")
    pytest.importorskip("mlflow")
    from mlflow.store.tracking import DEFAULT_TRACKING_URI

    assert DEFAULT_TRACKING_URI in proc.stdout  # the help says what MLflow's default is
