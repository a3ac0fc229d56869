"""The package as a user installs it: its name, dependency floors, wheel contents, --version."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from websockets.asyncio.client import connect

from app.__main__ import DISTRIBUTION
from app.launch import BENCH_EXTRA, ServerProcess
from app.wsproto import WINDOW_BITS

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
REQUIRES = {Requirement(r).name: Requirement(r) for r in PROJECT["dependencies"]}
# Packages only the tests, benchmarks and optional extras use: the wheel's modules must
# import without them.
TEST_ONLY = (
    *("psutil", "playwright", "pytest", "hypothesis", "httpx2", "httpx"),
    *("torch", "keras", "onnx", "onnxruntime", "matplotlib"),
)


def floor(name: str) -> str:
    """The version in `name>=X` of the runtime dependencies."""
    (spec,) = [s for s in REQUIRES[name].specifier if s.operator == ">="]
    return spec.version


def pip_target(tmp_path: Path, *requirements: str) -> Path:
    """Install `requirements` (no dependencies) into a folder that PYTHONPATH can put first."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)]
        + list(requirements),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def serve_and_greet(tmp_path: Path, site: Path) -> str:
    """Start `python -m app` with `site` first on the path; the extensions /ws agreed on."""
    env = {**os.environ, "PYTHONPATH": str(site), "PLAYGROUND_DATA_DIR": str(tmp_path)}
    server = ServerProcess(tmp_path / "server.log", env=env, timeout=60).start()
    try:

        async def greet() -> str:
            async with connect(server.ws_url, compression="deflate") as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
                return ws.response.headers["Sec-WebSocket-Extensions"]

        return asyncio.run(greet())
    finally:
        server.stop()


def test_the_distribution_name_is_ours_and_the_command_and_packages_stay():
    assert PROJECT["name"] == DISTRIBUTION != "playground"
    assert PROJECT["scripts"] == {"playground": "app.__main__:main"}
    assert DISTRIBUTION in BENCH_EXTRA


def test_uvicorn_is_pinned_below_its_next_major_because_we_subclass_a_private_module():
    (upper,) = [s for s in REQUIRES["uvicorn"].specifier if s.operator == "<"]
    assert int(upper.version.split(".")[0]) == int(floor("uvicorn").split(".")[0]) + 1


def test_the_server_runs_on_the_uvicorn_and_websockets_floors(tmp_path):
    lowest = {name: floor(name) for name in ("uvicorn", "websockets")}
    site = pip_target(tmp_path, *(f"{name}=={version}" for name, version in lowest.items()))
    probe = "import uvicorn, websockets; print(uvicorn.__version__, websockets.__version__)"
    versions = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [Version(v) for v in versions] == [Version(v) for v in lowest.values()]
    # Our own deflate window is agreed, so app.wsproto's subclass is the protocol in use.
    assert f"server_max_window_bits={WINDOW_BITS}" in serve_and_greet(tmp_path, site)


def test_the_uvicorn_release_below_the_floor_cannot_start_the_server(tmp_path):
    site = pip_target(tmp_path, f"uvicorn<{floor('uvicorn')}")
    with pytest.raises(RuntimeError, match="KeyError: 'app.wsproto:FastDeflateProtocol'"):
        serve_and_greet(tmp_path, site)


def test_every_module_of_the_wheel_imports_without_the_test_only_packages():
    code = f"""
import importlib, pkgutil, sys
for name in {TEST_ONLY!r}:
    sys.modules[name] = None  # any import of it now raises ImportError
import app, engine
for package in (app, engine):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("script", "missing", "purpose"),
    [
        ("app.bench", "psutil", "python -m app.bench measures CPU and memory with psutil"),
        (
            "app.bench_page",
            "playwright",
            "python -m app.bench_page drives Chromium with Playwright",
        ),
    ],
)
def test_a_benchmark_without_its_extra_says_how_to_install_it_in_one_line(script, missing, purpose):
    code = f"import sys; sys.modules[{missing!r}] = None; from {script} import main; main([])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"{purpose}, which is not installed: {BENCH_EXTRA}"
    ]
    extras = {Requirement(r).name for r in PROJECT["optional-dependencies"]["bench"]}
    assert missing in extras


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_carries_a_license_classifiers_and_the_page(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(z.read(meta_name).decode())
    assert meta["Name"] == DISTRIBUTION and meta["Version"] == PROJECT["version"]
    assert meta["License-Expression"] == PROJECT["license"]
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "Intended Audience :: Education" in meta.get_all("Classifier")
    assert "uvicorn<1,>=0.36" in meta.get_all("Requires-Dist")
    assert not [r for r in meta.get_all("Requires-Dist") if r.startswith("httpx ")]
    assert {"app/static/js/main.js", "app/templates/index.html"} <= set(names)


def test_the_installed_wheel_reports_its_version_from_anywhere(wheel, tmp_path):
    site = pip_target(tmp_path, str(wheel))
    result = subprocess.run(
        [sys.executable, "-m", "app", "--version"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"playground {PROJECT['version']}"
