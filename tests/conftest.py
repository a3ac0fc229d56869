"""Shared fixtures: a real uvicorn server in a subprocess on a free port.

`live_server` is a default server for one test; `shared_live_server` one default server for
the whole session (for tests that only need a session of their own on it, e.g. the browser
tests); `live_server_factory(**settings)` starts one with Settings fields overridden (passed
as PLAYGROUND_* variables), e.g. `live_server_factory(max_sessions=2, grace_seconds=0.5)`.
All yield a `LiveServer` with `.url` ("http://127.0.0.1:PORT") and `.ws_url`
("ws://127.0.0.1:PORT/ws").
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# Wall-clock time on a shared 2-core machine is noise, not a property under test: no
# per-example deadline. CI derandomizes so that a run can be reproduced exactly.
hypothesis_settings.register_profile("local", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "local")

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0


@dataclass
class LiveServer:
    url: str
    ws_url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """The server's stderr and stdout so far."""
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    raise RuntimeError(f"server not ready after {START_TIMEOUT} s:\n{server.log()}")


def _stop(server: LiveServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


# The server sets these itself (app/__main__.py); the caller's values must not hide that.
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _launch(log_dir: Path, settings: dict[str, Any]) -> LiveServer:
    """Start `python -m app` on a free port with Settings overrides; ready when this returns."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES}
    env["PYTHONUNBUFFERED"] = "1"
    env.update({f"PLAYGROUND_{k.upper()}": str(v) for k, v in settings.items()})
    log_path = log_dir / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tempfile.gettempdir(),  # no CWD-relative paths: run it from elsewhere
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", process, log_path)
    try:
        _wait_ready(server)
    except RuntimeError:
        _stop(server)
        raise
    return server


def _finish(server: LiveServer) -> None:
    _stop(server)
    if server.process.returncode not in (0, -15):
        print(f"server {server.url} exited {server.process.returncode}:\n{server.log()}")


@pytest.fixture
def live_server_factory() -> Iterator[Callable[..., LiveServer]]:
    """Start real servers with Settings overrides; all are terminated at teardown."""
    started: list[LiveServer] = []
    logs = tempfile.TemporaryDirectory(prefix="playground-server-")

    def start(**settings: Any) -> LiveServer:
        server = _launch(Path(logs.name), settings)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            _finish(server)
        logs.cleanup()


@pytest.fixture
def live_server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    """A real server with the default settings, for this test alone."""
    return live_server_factory()


@pytest.fixture(scope="session")
def shared_live_server() -> Iterator[LiveServer]:
    """One default server for the whole test session, for tests that only need a fresh
    session on it (each websocket or page opens its own); saves a start per test."""
    with tempfile.TemporaryDirectory(prefix="playground-shared-") as logs:
        server = _launch(Path(logs), {})
        try:
            yield server
        finally:
            _finish(server)
