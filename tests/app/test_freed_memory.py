"""The server keeps freed large blocks for reuse (app/__main__.py keep_freed_memory): a
frame's maps and a cohort's arrays no longer cost fresh pages (page faults) every frame."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
# 200 times allocates and fills three 1 MB arrays, then frees them (a frame's maps, its
# thumbnails, their codes) and prints the page faults that took; with `keep` first, as
# `python -m app` does.
PROBE = """
import resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from app.__main__ import keep_freed_memory
    keep_freed_memory()
np.ones(1 << 17).sum()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    arrays = [np.ones(1 << 17) for _ in range(3)]  # 1 MB of float64 each
    del arrays
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(out.stdout)


def test_freed_large_arrays_are_reused_without_new_page_faults():
    # glibc's default gives the three back to the kernel each time (more than twice its
    # largest freed block at the top of the heap), then maps new pages: 256 faults each.
    assert page_faults("default") > 200 * 256
    assert page_faults("keep") < 2000  # the heap grows once, for the first three


def test_spawned_workers_of_a_real_server_keep_freed_memory_too(live_server_factory):
    server = live_server_factory(workers=2)
    with urllib.request.urlopen(server.url + "/healthz", timeout=20) as response:
        worker = json.loads(response.read())["pid"]
    assert worker != server.process.pid  # answered by a spawned worker
    environ = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
    for name in VARIABLES:
        assert any(entry.startswith(f"{name}=".encode()) for entry in environ), name
