"""Choosing a config, as a user does on the command line (issue #14): every documented way is
read safely, and Snakemake's own ways of overlaying configs merge as Snakemake documents."""

import pytest
import yaml

from tests.conftest import EXAMPLE1, snakemake

PLANTED = (
    "__use_yte__: true\n"
    "sweep: t\n"
    'pwn: ?__import__("os").system("touch {marker}")\n'
    "experiments: {{}}\n"
)


@pytest.mark.parametrize("how", ["default", "file"])
def test_a_planted_template_never_runs(tmp_path, how):
    marker = tmp_path / "PWNED"
    name = "config.yaml" if how == "default" else "other.yaml"
    (tmp_path / name).write_text(PLANTED.format(marker=marker))
    args = [] if how == "default" else ["--config", f"file={name}"]
    proc = snakemake(tmp_path, *args)
    assert proc.returncode != 0
    assert f"{name}: YTE templating (__use_yte__) is refused" in proc.stderr
    assert not marker.exists()
    assert not (tmp_path / "results").exists()


def base(sweep="t"):
    return {"sweep": sweep, "experiments": {"example1": EXAMPLE1}}


def test_config_overlays_and_several_configfiles_merge(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(base()))
    proc = snakemake(tmp_path, "--config", "sweep=other", "-n")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "new version results/other/v-" in proc.stderr

    (tmp_path / "a.yaml").write_text(yaml.safe_dump(base("from_a")))
    (tmp_path / "b.yaml").write_text(
        yaml.safe_dump({"experiments": {"example1": {"sklearn": {"C": [5.0]}}}})
    )
    proc = snakemake(tmp_path, "--configfile", "a.yaml", "b.yaml")
    assert proc.returncode == 0, proc.stderr[-2000:]
    config = yaml.safe_load((tmp_path / "results/from_a/latest/config.yaml").read_text())
    assert config["experiments"]["example1"]["sklearn"]["C"] == [5.0]
    assert config["experiments"]["example1"]["sklearn"]["solver"] == "liblinear"

    proc = snakemake(tmp_path, "--config", "file=a.yaml", "bootstrap={resamples: -1}")
    assert proc.returncode != 0
    assert (
        "lrsweep: a.yaml + --config: key 'bootstrap.resamples': -1 is less than the minimum of 0"
        in proc.stderr
    )
