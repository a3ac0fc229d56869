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
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from app.launch import ServerProcess, free_port
from tests.redis_server import RedisServer, started_redis

# Wall-clock time on a shared 2-core machine is noise, not a property under test: no
# per-example deadline. CI derandomizes so that a run can be reproduced exactly.
hypothesis_settings.register_profile("local", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "local")

LiveServer = ServerProcess  # the name the tests use

# Rooms and share links are stored on disk: the tests' servers (in-process and spawned,
# which inherit the environment) keep theirs in a directory of this test run, never in
# the user's own data directory (another checkout's newer schema there stops the server).
_DATA = tempfile.TemporaryDirectory(prefix="playground-test-data-")
os.environ["PLAYGROUND_DATA_DIR"] = _DATA.name


# The server sets these itself (app/__main__.py); the caller's values must not hide that.
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _launch(log_dir: Path, settings: dict[str, Any]) -> LiveServer:
    """Start `python -m app` on a free port with Settings overrides; ready when this returns."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES}
    env.update({f"PLAYGROUND_{k.upper()}": str(v) for k, v in settings.items()})
    port = free_port()
    return ServerProcess(log_dir / f"server-{port}.log", env=env, port=port).start()


def _finish(server: LiveServer) -> None:
    server.stop()
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


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server for this test alone (`.url`; `.stop()`/`.start()` for an outage)."""
    server, directory = started_redis()
    try:
        yield server
    finally:
        server.stop()
        directory.cleanup()
