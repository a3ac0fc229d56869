"""Fixtures: real classroom servers (own port, own data directory)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.app.classroom.server import Server


@pytest.fixture
def start_server(tmp_path) -> Iterator[Callable[..., Server]]:
    """Start servers with PLAYGROUND_* overrides; each test gets its own data directory."""
    servers: list[Server] = []

    def start(**env: str) -> Server:
        server = Server(tmp_path / "data", **env).start()
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """One default server per test module; every test makes its own room on it."""
    server = Server(tmp_path_factory.mktemp("classroom") / "data").start()
    try:
        yield server
    finally:
        server.stop()
    log = server.log()
    assert "Traceback" not in log, f"the server logged an exception:\n{log}"


@pytest.fixture
def hosts(tmp_path, redis_server) -> Iterator[Callable[..., Server]]:
    """Start servers sharing a Redis (the test's, unless `redis_url` names another), each
    with its own data directory: hosts. `start("a")` again after `a.stop()` restarts a."""
    started: list[Server] = []

    def start(name: str, redis_url: str | None = None, **env: str) -> Server:
        url = redis_url or redis_server.url
        server = Server(tmp_path / name, PLAYGROUND_REDIS_URL=url, **env).start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
    for server in started:
        assert "Traceback" not in server.log(), server.log()
