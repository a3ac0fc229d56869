"""Request bodies, origins, forwarded headers and the 500 page, against a real server."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request

import pytest
import websockets
from fastapi.testclient import TestClient

from app.classroom.security import security_headers
from app.main import create_app
from app.settings import Settings
from tests.app.classroom.server import Server

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def server(tmp_path):
    started = Server(tmp_path / "data", PLAYGROUND_ROOM_CREATIONS="10").start()
    try:
        yield started
    finally:
        started.stop()


def raw_request(port: int, head: str, chunks=(), host: str = "127.0.0.1") -> tuple[int, dict]:
    """Send a request head, then body chunks until the server answers; (status, json)."""
    with socket.create_connection((host, port), timeout=20) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except OSError:
            pass  # the server answered and closed: the rest was never read
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"}"):
            more = sock.recv(65536)
            if not more:
                break
            data += more
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    status = int(head_bytes.split()[1])
    return status, json.loads(body)


def post(server: Server, path: str, body: bytes = b"{}", **headers: str) -> tuple[int, dict]:
    req = urllib.request.Request(server.url + path, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.parametrize(
    ("path", "limit"), [("/api/snapshots", 4 * 1024 * 1024), ("/api/rooms", 64 * 1024)]
)
def test_a_declared_length_past_the_limit_is_refused_before_the_body_is_read(server, path, limit):
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {300 * 1024 * 1024}\r\n\r\n"
    )
    status, body = raw_request(server.port, head)  # not one byte of the 300 MB is sent
    assert status == 413
    assert f"at most {limit} bytes" in body["detail"]


def test_a_chunked_body_is_refused_as_soon_as_what_arrived_passes_the_limit(server):
    head = (
        "POST /api/snapshots HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = b" " * (256 * 1024)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    before = _rss_kb(server)
    status, body = raw_request(server.port, head, [chunk] * 200)  # 50 MB offered
    assert status == 413, body
    assert _rss_kb(server) - before < 30 * 1024  # far less than the 50 MB offered
    assert post(server, "/api/rooms")[0] == 200  # the server goes on


def _rss_kb(server: Server) -> int:
    with open(f"/proc/{server.process.pid}/status") as f:
        status = f.read()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])


def test_a_cross_origin_post_is_refused_and_a_same_origin_one_accepted(server):
    status, body = post(server, "/api/rooms", Origin="http://evil.example")
    assert status == 403 and "evil.example" in body["detail"]
    assert post(server, "/api/rooms", Origin=server.url)[0] == 200
    assert post(server, "/api/rooms")[0] == 200  # no Origin: not a browser's cross-site form


def test_a_websocket_from_another_origin_is_refused_at_the_handshake(server):
    async def scenario():
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(server.ws + "/ws", origin="http://evil.example"):
                pass
        assert refused.value.response.status_code == 403
        async with websockets.connect(server.ws + "/ws", origin=server.url) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"

    asyncio.run(scenario())


def test_a_configured_origin_is_allowed(tmp_path):
    server = Server(tmp_path / "d", PLAYGROUND_ALLOWED_ORIGINS="https://lms.example.edu").start()
    try:
        assert post(server, "/api/rooms", Origin="https://lms.example.edu")[0] == 200
        assert post(server, "/api/rooms", Origin="https://other.example.edu")[0] == 403
    finally:
        server.stop()


def test_forwarded_addresses_are_ignored_unless_the_proxy_is_trusted(server, tmp_path):
    # 10 creations per address per 10 minutes: spoofed addresses must not buy more.
    answers = [
        post(server, "/api/rooms", **{"X-Forwarded-For": f"10.0.0.{i}"})[0] for i in range(11)
    ]
    assert answers == [200] * 10 + [429]
    trusting = Server(
        tmp_path / "t", PLAYGROUND_ROOM_CREATIONS="10", PLAYGROUND_TRUSTED_PROXIES="127.0.0.1"
    ).start()
    try:
        answers = [
            post(trusting, "/api/rooms", **{"X-Forwarded-For": f"10.0.0.{i}"})[0] for i in range(11)
        ]
        assert answers == [200] * 11  # each forwarded address has its own budget
    finally:
        trusting.stop()


def test_a_500_answer_carries_the_security_headers():
    app = create_app(Settings())

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a server bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    for name, value in security_headers():
        assert response.headers[name.decode()] == value.decode()


def test_session_ids_never_reach_the_log(server):
    async def scenario():
        async with websockets.connect(server.ws + "/ws") as ws:
            session = json.loads(await ws.recv())["data"]["session"]
        async with websockets.connect(server.ws + f"/ws?session={session}") as ws:
            assert json.loads(await ws.recv())["data"]["resumed"] is True
        return session

    session = asyncio.run(scenario())
    log = server.log()
    assert "/ws?session=…" in log
    assert session not in log
