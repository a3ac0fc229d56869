"""python -m app.bench_cohort runs end to end (no timing is asserted: it is a benchmark)."""

import re
import subprocess
import sys
from pathlib import Path


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


def test_bench_cohort_compares_with_another_checkout():
    here = str(Path(__file__).resolve().parents[2])  # this checkout against itself
    out = subprocess.run(
        [sys.executable, "-m", "app.bench_cohort", "--members", "2", "--frames", "2"]
        + ["--rounds", "1", "--baseline", here, "--runs", "1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for part in ("train", "metrics", "maps", "encode", "total"):
        assert re.search(rf"^{part} +baseline +\d+ +this +\d+ .* ratio \d", out, re.M), out
