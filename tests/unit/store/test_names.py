"""Version names: a name of no accepted form is one line of ``lrsweep``, before any run."""

import contextlib
import io
import os

import pytest

from lrsweep.tools.cli import main
from tests.conftest import REPO


def cli(workdir, *args) -> tuple[int, str, str]:
    """``lrsweep <args>`` run in ``workdir``: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(REPO)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", ["latest~x", "latest~-1", "latest~", "latest~1.5", "v-xyz"])
def test_a_version_name_of_no_accepted_form_is_one_line(tmp_path, name):
    (tmp_path / "results/flip").mkdir(parents=True)
    code, out, err = cli(tmp_path, "verify", "--version", name, "--results", "results/flip")
    assert code == 1 and out == ""
    assert err == (
        f"lrsweep: {name!r} is not a version name: use v-<hex digits> (a unique prefix is "
        "enough), latest, or latest~N with N = 0, 1, 2, ... (N steps back in the history of "
        "latest)\n"
    )
