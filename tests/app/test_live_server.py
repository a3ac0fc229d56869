"""A real uvicorn subprocess on a free port, driven by a real websocket client."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app import frames
from app.metrics import sample_values

pytestmark = pytest.mark.timeout(120)
# Each wait is for one message and returns when it comes; this is only the safety net. At
# load 17-26 on the 2 cores a server took 16-74 s to start (1 s of CPU), so 20 s was short.
WAIT = 60.0


async def next_text(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        message = await asyncio.wait_for(ws.recv(), WAIT)
        if isinstance(message, str):
            parsed = json.loads(message)
            if parsed["type"] == kind:
                return parsed["data"]


async def next_frame(ws: ClientConnection, predicate=lambda header: True) -> tuple[dict, dict]:
    while True:
        message = await asyncio.wait_for(ws.recv(), WAIT)
        if isinstance(message, bytes):
            header, arrays = frames.decode(message)
            if predicate(header):
                return header, arrays


async def send(ws: ClientConnection, kind: str, data: Any = None) -> None:
    await ws.send(json.dumps({"type": kind, "data": data}))


def get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=WAIT) as response:
        return response.status, response.headers["content-type"], response.read().decode()


def test_server_negotiates_permessage_deflate_and_streams_frames(live_server):
    async def scenario():
        async with connect(live_server.ws_url, compression="deflate") as ws:
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "")
            assert "permessage-deflate" in extensions
            hello = await next_text(ws, "hello")
            assert hello["config"]["fps"] == 30
            await send(ws, "play")
            header, arrays = await next_frame(ws, lambda h: h["epoch"] >= 5)
            assert arrays["output"].shape == (100, 100)

    asyncio.run(scenario())


def test_two_concurrent_sessions_do_not_interfere(live_server):
    async def scenario():
        async with (
            connect(live_server.ws_url) as a,
            connect(live_server.ws_url) as b,
        ):
            hello_a, hello_b = await next_text(a, "hello"), await next_text(b, "hello")
            assert hello_a["session"] != hello_b["session"]
            b_start, _ = await next_frame(b)
            await send(a, "configure", {"hidden": [5], "learning_rate": 0.3})
            await send(a, "play")
            await next_frame(a, lambda h: h["epoch"] >= 20)
            await send(b, "configure", {})
            config_b = (await next_text(b, "config"))["config"]
            assert config_b["hidden"] == [4, 2] and config_b["learning_rate"] == 0.03
            await send(b, "step", {"epochs": 2})
            header_b, arrays_b = await next_frame(b, lambda h: h["epoch"] == 2)
            assert arrays_b["weights"].shape == (25,)
            header_a, _ = await next_frame(a)
            assert header_a["epoch"] > 20  # A kept playing throughout

    asyncio.run(scenario())


def test_reconnect_resumes_the_session_exactly(live_server):
    async def scenario():
        async with connect(live_server.ws_url) as ws:
            hello = await next_text(ws, "hello")
            await send(ws, "configure", {"dataset": "xor", "hidden": [3, 3]})
            await next_text(ws, "config")
            dataset = await next_text(ws, "dataset")
            await send(ws, "step", {"epochs": 9})
            _, before = await next_frame(ws, lambda h: h["epoch"] == 9)
        async with connect(f"{live_server.ws_url}?session={hello['session']}") as ws:
            again = await next_text(ws, "hello")
            assert again["resumed"] is True
            assert again["config"]["hidden"] == [3, 3]
            assert await next_text(ws, "dataset") == dataset
            header, after = await next_frame(ws)
            assert header["epoch"] == 9
            np.testing.assert_array_equal(after["weights"], before["weights"])

    asyncio.run(scenario())


def test_unknown_session_is_closed_with_4000_and_a_reason(live_server):
    async def scenario():
        async with connect(f"{live_server.ws_url}?session=gone") as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), WAIT)
        assert closed.value.rcvd.code == 4000
        assert "unknown or expired" in closed.value.rcvd.reason

    asyncio.run(scenario())


def test_full_server_closes_new_sockets_with_4001_not_a_hang(live_server_factory):
    server = live_server_factory(max_sessions=2)

    async def scenario():
        async with connect(server.ws_url) as a, connect(server.ws_url) as b:
            await next_text(a, "hello")
            await next_text(b, "hello")
            async with connect(server.ws_url) as c:
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(c.recv(), WAIT)
            assert closed.value.rcvd.code == 4001
            assert "limit of 2 sessions" in closed.value.rcvd.reason

    asyncio.run(scenario())


def test_http_endpoints_serve_health_options_previews_and_metrics(live_server):
    status, kind, body = get(live_server.url + "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    options = json.loads(get(live_server.url + "/api/options")[2])
    assert set(options) == {
        "options", "limits", "defaults", "compare", "code_formats", "challenges", "view",
    }  # fmt: skip
    assert options["defaults"]["fps"] == 30 and options["defaults"]["dataset"] == "circle"
    preview = json.loads(get(live_server.url + "/api/datasets/blobs/preview?num_classes=4")[2])
    assert len(preview["points"]) == 200
    assert {p[2] for p in preview["points"]} == {0, 1, 2, 3}
    status, kind, text = get(live_server.url + "/metrics")
    assert kind.startswith("text/plain")
    values = sample_values(text)
    for name in ("sessions", "frames_sent_total", "event_loop_lag_seconds_count"):
        assert f"playground_{name}" in values, name
    assert values["process_resident_memory_bytes"] > 0


def test_page_is_served_with_the_bootstrap_json(live_server):
    status, kind, html = get(live_server.url + "/")
    assert status == 200 and kind.startswith("text/html")
    assert '"max_neurons": 32' in html or '"max_neurons":32' in html


def test_two_workers_both_serve_sessions(live_server_factory):
    server = live_server_factory(workers=2)

    async def scenario():
        clients = [connect(server.ws_url) for _ in range(4)]
        sockets = [await c.__aenter__() for c in clients]
        try:
            for ws in sockets:
                await next_text(ws, "hello")
                await send(ws, "step", {"epochs": 3})
            for ws in sockets:
                header, _ = await next_frame(ws, lambda h: h["epoch"] == 3)
        finally:
            for c in clients:
                await c.__aexit__(None, None, None)

    asyncio.run(scenario())


def test_a_message_far_beyond_the_size_limit_is_refused_by_the_server_with_1009(live_server):
    async def scenario():
        async with connect(live_server.ws_url, max_size=2**22) as ws:
            await next_text(ws, "hello")
            await send(ws, "ping", {"t": "x" * 300_000})  # over 256 KB: an error, kept open
            error = await next_text(ws, "error")
            assert error["code"] == "too_large"
            with pytest.raises(ConnectionClosed) as closed:
                # The server may close before our own send has finished: either raises.
                await ws.send(json.dumps({"type": "ping", "data": {"t": "x" * 2_000_000}}))
                while True:
                    await asyncio.wait_for(ws.recv(), WAIT)
            assert closed.value.rcvd.code == 1009

    asyncio.run(scenario())


def test_default_config_frames_stay_under_4_kb_on_the_wire(live_server):
    from app.bench import CountingConnection

    async def scenario():
        async with connect(
            live_server.ws_url, compression="deflate", create_connection=CountingConnection
        ) as ws:
            await next_frame(ws)  # hello, dataset, status and the first frame
            await send(ws, "play")
            await next_frame(ws, lambda h: h["epoch"] >= 2)
            start, count = ws.wire_bytes, 0
            while count < 30:
                header, _ = await next_frame(ws)
                count += 1
            return (ws.wire_bytes - start) / count

    assert asyncio.run(scenario()) <= 4096


def test_a_client_that_stops_reading_drops_frames_and_slows_nobody(live_server):
    port = int(live_server.url.rsplit(":", 1)[1])
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # backs up after a few frames
    raw.connect(("127.0.0.1", port))

    def dropped() -> float:
        text = get(live_server.url + "/metrics")[2]
        return sample_values(text)["playground_frames_dropped_total"]

    async def scenario():
        async with (
            connect(live_server.ws_url, sock=raw, max_queue=1) as stalled,
            connect(live_server.ws_url) as busy,
        ):
            await next_text(stalled, "hello")
            await send(stalled, "configure", {"grid_size": 200, "thumb_size": 50, "fps": 60})
            await send(stalled, "play")
            stalled.transport.pause_reading()  # stop reading the socket altogether
            await next_text(busy, "hello")
            await send(busy, "play")
            first, _ = await next_frame(busy)
            seq = first["seq"]
            while dropped() == 0:
                header, _ = await next_frame(busy, lambda h, after=seq: h["seq"] >= after + 10)
                seq = header["seq"]
                assert seq < first["seq"] + 3000, "the stalled client never dropped a frame"
            # Meanwhile the busy session kept its pace: 30 more frames come at once.
            await next_frame(busy, lambda h: h["seq"] >= seq + 30)
            stalled.transport.resume_reading()
            await next_frame(stalled)  # it catches up with the latest state, not a backlog

    asyncio.run(scenario())
