"""The server runs NumPy's BLAS single-threaded (app/__main__.py), workers included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import BLAS_VARIABLES

pytestmark = pytest.mark.timeout(120)

# Records the variables at the moment numpy is first imported, then imports what
# `python -m app` imports (its entry module, then the app factory uvicorn loads).
PROBE = """
import importlib.abc, json, os, sys
seen = {}
class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "numpy" and not seen:
            seen.update({k: os.environ.get(k) for k in %r})
        return None
sys.meta_path.insert(0, Watch())
import app.__main__
import app.main
print(json.dumps(seen))
"""


def numpy_import_environment(extra: dict[str, str]) -> dict[str, str | None]:
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES}
    env.update(extra)
    out = subprocess.run(
        [sys.executable, "-c", PROBE % (BLAS_VARIABLES,)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def test_the_blas_variables_are_one_before_the_server_first_imports_numpy():
    assert numpy_import_environment({}) == dict.fromkeys(BLAS_VARIABLES, "1")


def test_an_operators_own_blas_thread_count_is_kept():
    seen = numpy_import_environment({"OPENBLAS_NUM_THREADS": "2"})
    assert seen == {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def test_spawned_workers_of_a_real_server_inherit_single_threaded_blas(live_server_factory):
    server = live_server_factory(workers=2)
    with urllib.request.urlopen(server.url + "/healthz", timeout=20) as response:
        worker = json.loads(response.read())["pid"]
    assert worker != server.process.pid  # answered by a spawned worker, not the supervisor
    # /proc/<pid>/environ is the environment the worker was started with.
    environ = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
    for name in BLAS_VARIABLES:
        assert f"{name}=1".encode() in environ
