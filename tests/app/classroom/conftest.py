"""Fixtures: a real classroom server per test (own port, own data directory)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.app.classroom.server import Server


@pytest.fixture
def start_server(tmp_path) -> Iterator[Callable[..., Server]]:
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


@pytest.fixture
def server(start_server) -> Server:
    return start_server()
