"""Shared fixtures: a real uvicorn server in a subprocess on a free port.

`live_server` is the default server; `live_server_factory(**settings)` starts one with
Settings fields overridden (passed as PLAYGROUND_* variables), e.g.
`live_server_factory(max_sessions=2, grace_seconds=0.5)`. Both yield a `LiveServer` with
`.url` ("http://127.0.0.1:PORT") and `.ws_url` ("ws://127.0.0.1:PORT/ws").
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


@pytest.fixture
def live_server_factory() -> Iterator[Callable[..., LiveServer]]:
    """Start real servers with Settings overrides; all are terminated at teardown."""
    started: list[LiveServer] = []
    logs = tempfile.TemporaryDirectory(prefix="playground-server-")

    def start(**settings: Any) -> LiveServer:
        port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.update({f"PLAYGROUND_{k.upper()}": str(v) for k, v in settings.items()})
        log_path = Path(logs.name) / f"server-{port}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
                cwd=tempfile.gettempdir(),  # no CWD-relative paths: run it from elsewhere
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        server = LiveServer(url, f"ws://127.0.0.1:{port}/ws", process, log_path)
        started.append(server)
        try:
            _wait_ready(server)
        except RuntimeError:
            _stop(server)
            raise
        return server

    try:
        yield start
    finally:
        for server in started:
            _stop(server)
            if server.process.returncode not in (0, -15):
                print(f"server {server.url} exited {server.process.returncode}:\n{server.log()}")
        logs.cleanup()


@pytest.fixture
def live_server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    """A real server with the default settings."""
    return live_server_factory()
