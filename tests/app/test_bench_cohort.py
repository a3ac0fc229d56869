"""python -m app.bench_cohort runs end to end (no timing is asserted: it is a benchmark)."""

import subprocess
import sys


def test_bench_cohort_prints_every_part():
    out = subprocess.run(
        [sys.executable, "-m", "app.bench_cohort", "--members", "3", "--frames", "6"]
        + ["--rounds", "1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for part in ("train", "metrics", "maps", "encode", "total"):
        assert f"{part} " in out, out
