"""Issue 11 against a real classroom server: join codes behind a NAT, room capacity,
share-link storage, and rooms under several workers. 127.0.0.2 is another client address."""

from __future__ import annotations

import asyncio
import http.client
import json
import sqlite3
import time
from typing import Any

import pytest
import websockets

from tests.app.classroom.server import Client, Server, run

pytestmark = pytest.mark.timeout(120)
OTHER = "127.0.0.2"


def request(
    server: Server, method: str, path: str, body: Any = None, source: str = "127.0.0.1"
) -> tuple[int, Any]:
    """One HTTP request from the `source` address; (status, JSON or raw bytes)."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", server.port, timeout=20, source_address=(source, 0)
    )
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"} if data is not None else {}
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        kind = response.getheader("content-type", "")
        return response.status, json.loads(raw) if "json" in kind else raw
    finally:
        conn.close()


def exported_state(server: Server, config: dict[str, Any]) -> dict[str, Any]:
    """What a page would share: a real session's `export` after a `configure`."""

    async def main():
        async with websockets.connect(server.ws + "/ws", max_size=None) as ws:
            await ws.send(json.dumps({"type": "configure", "data": config}))
            await ws.send(json.dumps({"type": "export", "data": {}}))
            while True:
                message = await asyncio.wait_for(ws.recv(), 20)
                if isinstance(message, str) and json.loads(message)["type"] == "state":
                    return json.loads(message)["data"]["state"]

    return asyncio.run(main())


def test_wrong_codes_from_one_address_never_lock_out_a_right_code_or_the_qr(start_server):
    server = start_server(PLAYGROUND_JOIN_FAILURES="3", PLAYGROUND_JOIN_WINDOW="3")
    room = server.new_room()
    for guess in ["AAAAAA", "CCCCCC", "DDDDDD", "EEEEEE"]:
        assert request(server, "GET", f"/api/rooms/{guess}/qr.svg", source=OTHER)[0] == 404
    status, svg = request(server, "GET", f"/api/rooms/{room['code']}/qr.svg", source=OTHER)
    assert status == 200 and svg.startswith(b"<svg")
    assert request(server, "GET", f"/api/rooms/{room['code']}/qr.svg")[0] == 200

    async def join_from_the_same_address():
        ws = await websockets.connect(
            f"{server.ws}/ws/room/{room['code']}", local_addr=(OTHER, 0), compression=None
        )
        client = Client(ws, "late")
        await ws.send(json.dumps({"type": "join", "data": {"name": "late"}}))
        return (await client.text("you"))["name"]

    assert run(join_from_the_same_address()) == "late"


def test_empty_rooms_make_way_for_new_ones_at_the_limit(start_server):
    server = start_server(PLAYGROUND_MAX_ROOMS="2", PLAYGROUND_ROOM_RECLAIM_SECONDS="0.5")
    first, second = server.new_room(), server.new_room()

    async def occupy_and_try():
        students = [await Client.join(server, r["code"], name="s") for r in (first, second)]
        for s in students:
            await s.text("you")
        await asyncio.sleep(1.0)
        refused = request(server, "POST", "/api/rooms", {})
        for s in students:
            await s.close()
        return refused

    status, body = run(occupy_and_try())
    assert status == 503 and "limit of 2 rooms" in body["detail"]
    # Once both rooms have been empty for room_reclaim_seconds (seen by the save loop):
    deadline = time.monotonic() + 30
    while request(server, "POST", "/api/rooms", {})[0] != 200:
        assert time.monotonic() < deadline, "no room was unloaded to make way"
        time.sleep(0.5)


def test_share_links_store_only_checked_fields_once_and_within_the_quota(start_server):
    server = start_server(PLAYGROUND_SHARE_QUOTA_MB="0.1")
    state = exported_state(server, {"num_points": 100})
    status, view_error = request(
        server, "POST", "/api/snapshots", {"state": {**state, "view": {"fps": 30, "x": "y" * 99}}}
    )
    assert status == 422 and "view may hold only" in view_error["detail"]
    status, extra = request(server, "POST", "/api/snapshots", {"state": {**state, "extra": 1}})
    assert status == 422 and "unknown fields ['extra']" in extra["detail"]
    junk = {**state, "trainer": {**state["trainer"], "junk": "z" * 5000}}
    status, first = request(server, "POST", "/api/snapshots", {"state": junk})
    assert status == 200
    status, again = request(server, "POST", "/api/snapshots", {"state": state})
    assert status == 200 and again["id"] == first["id"]  # identical: stored once
    stored = request(server, "GET", f"/api/snapshots/{first['id']}")[1]["state"]
    assert "junk" not in stored["trainer"] and stored["view"] == state["view"]
    # Bigger, different states until the 0.1 MB quota is used up: then a clear 507.
    answers = []
    for seed in range(1, 8):
        other = exported_state(server, {"num_points": 1000, "seed": seed})
        answers.append(request(server, "POST", "/api/snapshots", {"state": other}))
    statuses = [s for s, _ in answers]
    assert 507 in statuses and statuses[0] == 200
    full = next(body for s, body in answers if s == 507)
    assert "storage" in full["detail"] and "is full" in full["detail"]


def test_refused_share_attempts_count_against_the_address(start_server):
    server = start_server()
    statuses = [request(server, "POST", "/api/snapshots", {"state": 1})[0] for _ in range(61)]
    assert statuses == [422] * 60 + [429]
    assert request(server, "POST", "/api/snapshots", {"state": 1}, source=OTHER)[0] == 422


def test_unvisited_share_links_expire(start_server):
    # 0.00003 days is 2.6 s; the classroom sweeps every tenth of that.
    server = start_server(PLAYGROUND_SHARE_DAYS="0.00003", PLAYGROUND_SNAPSHOT_SECONDS="0.1")
    kept = request(server, "POST", "/api/snapshots", {"state": exported_state(server, {})})[1]
    other = exported_state(server, {"seed": 7})
    gone = request(server, "POST", "/api/snapshots", {"state": other})[1]
    db = sqlite3.connect(server.data_dir / "classroom.sqlite3")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert request(server, "GET", f"/api/snapshots/{kept['id']}")[0] == 200  # visited
            ids = {row[0] for row in db.execute("SELECT id FROM snapshots")}
            if gone["id"] not in ids:
                break
            time.sleep(0.3)
        assert gone["id"] not in ids and kept["id"] in ids
    finally:
        db.close()


def test_the_room_share_limit_survives_a_reconnect(server):
    async def main():
        room = server.new_room()
        student = await Client.join(server, room["code"], name="sharer")
        await student.text("you")
        for _ in range(10):
            await student.send("share")
        await student.until(lambda: student.types().count("shared") == 10)
        await student.close()
        again = await Client.join(server, room["code"], name="sharer2")
        await again.text("you")
        await again.send("share")
        return await again.text("error")

    error = run(main())
    assert error["code"] == "rate_limited" and "share links" in error["message"]


def test_rooms_are_refused_with_a_clear_message_under_several_workers(start_server):
    server = start_server(PLAYGROUND_WORKERS="2")
    status, body = request(server, "POST", "/api/rooms", {})
    assert status == 503
    assert "rooms need a single worker process or Redis" in body["detail"]
    assert "2 workers without redis_url" in body["detail"]
    assert "--workers 1" in body["detail"] and "PLAYGROUND_REDIS_URL" in body["detail"]
