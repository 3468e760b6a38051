"""A real run under Snakemake's job rate limit exits with its work."""

import time

from tests.conftest import EXAMPLE1, snakemake


def test_a_real_run_exits_with_its_work_under_a_fast_job_rate_limit(tmp_path):
    """With --max-jobs-per-timespan 100/100ms Snakemake 9.27's scheduler left timers that kept
    runs waiting after "Elapsed time" (seen for 10 minutes): the run must end within seconds
    of its work."""
    config = {"sweep": "t", "experiments": {"example1": EXAMPLE1}}
    start = time.monotonic()
    proc = snakemake(tmp_path, "--max-jobs-per-timespan", "100/100ms", config=config, timeout=120)
    total = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    elapsed = [line for line in proc.stderr.splitlines() if line.startswith("Elapsed time")]
    h, m, s = elapsed[-1].split(": ")[1].split(":")
    work = int(h) * 3600 + int(m) * 60 + float(s)
    assert total - work < 3.0, (total, work)
