"""python -m app.bench_cpu runs end to end on virtual time (no CPU figure is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(300)


def test_three_sessions_get_their_30_fps_on_virtual_time_however_loaded_the_machine():
    # Three default sessions need a small part of one core: on virtual time (the clock is
    # the process's CPU time) each gets its 30 fps, whatever else the machine runs.
    out = subprocess.run(
        [sys.executable, "-m", "app.bench_cpu", "--sessions", "3", "--seconds", "2", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert 28 <= result["fps_p5"] <= result["fps_median"] <= 31, result
    assert result["cpu_share"] < 0.9 and result["cpu_ms_per_frame"] > 0, result
    assert 0 < result["wire_bytes_per_frame"] < 4096, result  # deflated default frames


def test_it_refuses_to_run_inside_a_process_that_imported_the_app():
    from app import bench_cpu, main  # noqa: F401  (the app's clock is already bound)

    with pytest.raises(RuntimeError, match="process of its own"):
        bench_cpu.use_virtual_time()
