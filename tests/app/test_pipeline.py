"""One socket pipeline: every error, limit and close behaves the same on `/ws` and on a room
socket (an instructor's, which drives its live run with the same messages). A real server,
real websockets."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator

import pytest
import websockets

from tests.app.classroom.server import Client, Server, run

# Small budgets so that each limit is reached in a few messages; one rate token a second
# so that a burst is refused the same way however slowly a loaded machine handles it.
LIMITS = {
    "PLAYGROUND_MESSAGES_PER_SECOND": "1",
    "PLAYGROUND_MESSAGE_BURST": "20",
    "PLAYGROUND_MAX_ERRORS": "8",
}
KINDS = ["solo", "room"]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("pipeline") / "data", **LIMITS).start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


async def open_socket(server: Server, kind: str) -> Client:
    """A ready socket: `/ws` after its hello, or a room's instructor after `you`."""
    if kind == "solo":
        client = Client(await websockets.connect(f"{server.ws}/ws", compression=None), "solo")
        await client.text("hello")
    else:
        room = server.new_room()
        client = await Client.join(server, room["code"], secret=room["secret"])
        await client.text("you")
    await client.until(lambda: client.frames)
    return client


async def answer(client: Client, raw: str | bytes) -> dict:
    """The error (or pong) the server sends for one raw message."""
    mark = len(client.texts)
    await client.ws.send(raw)
    found = await client.until(
        lambda: next((m for m in client.texts[mark:] if m["type"] in ("error", "pong")), None)
    )
    return found["data"] if found["type"] == "error" else {"pong": found["data"]}


async def alive(client: Client) -> None:
    mark = len(client.texts)
    await client.send("ping", t="alive")
    await client.text("pong", lambda d: d["t"] == "alive", after=mark)
    assert client.closed is None


def deep(n: int) -> str:
    return '{"type": "ping", "data": {"t": ' + "[" * n + "]" * n + "}}"


# raw message -> (code, field, request) of the error it must get, on either socket
BAD = {
    "not json": ("{oops", "invalid_message", None, None),
    "not an object": ("[1, 2]", "invalid_message", None, None),
    "unknown type": ('{"type": "fly"}', "invalid_message", "type", None),
    "list data": ('{"type": "ping", "data": [1, 2]}', "invalid_message", "data", None),
    "number data": ('{"type": "configure", "data": 3}', "invalid_message", "data", None),
    "100k-deep JSON": (deep(100_000), "invalid_message", None, None),
    "binary": (b"\x00\x01", "invalid_message", None, None),
    "ping t NaN": ('{"type": "ping", "data": {"t": NaN}}', "invalid_field", "t", "ping"),
    "ping t deep": (deep(50), "invalid_field", "t", "ping"),
    "near 1e300": (
        '{"type": "remove_points", "data": {"near": [1e300, 0], "radius": 1}}',
        "invalid_field",
        "near",
        "remove_points",
    ),
    "near NaN": (
        '{"type": "remove_points", "data": {"near": [NaN, 0], "radius": 12}}',
        "invalid_field",
        "near",
        "remove_points",
    ),
    "bad field": (
        '{"type": "set_weight", "data": {"layer": 9, "source": 0, "target": 0, "value": 1}}',
        "invalid_field",
        "layer",
        "set_weight",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_message_gets_the_same_error_on_both_sockets_and_both_go_on(server, case):
    raw, code, field, request = BAD[case]

    before = len(server.log())

    async def main():
        errors = []
        for kind in KINDS:
            client = await open_socket(server, kind)
            error = await answer(client, raw)
            await alive(client)
            points = len((await client.text("dataset"))["points"])
            await client.close()
            errors.append(({k: error.get(k) for k in ("code", "field", "request")}, points))
        return errors

    (solo, solo_points), (room, room_points) = run(main())
    assert solo == room == {"code": code, "field": field, "request": request}
    assert solo_points == room_points > 0  # a refused remove_points removed nothing
    log = server.log()[before:]  # one line per refused message, on either socket
    assert f"/ws: {code} on {request}:" in log
    assert re.search(rf"/ws/room/\S+: {code} on {request}:", log)


def test_a_room_kick_with_list_data_is_an_error_not_a_silent_close(server):
    async def main():
        client = await open_socket(server, "room")
        error = await answer(client, '{"type": "kick", "data": ["s0"]}')
        await alive(client)
        return error

    error = run(main())
    assert (error["code"], error["field"], error["request"]) == ("invalid_message", "data", None)
    assert "kick needs a data object" in error["message"]


@pytest.mark.parametrize("kind", KINDS)
def test_too_large_a_message_is_refused_and_far_too_large_closes_1009(server, kind):
    async def main():
        client = await open_socket(server, kind)
        big = json.dumps({"type": "load_csv", "data": {"text": "x" * 300_000}})
        error = await answer(client, big)
        await alive(client)
        # Past uvicorn's hard limit (4x, at least 1 MiB): the server may close with 1009
        # before our own send has finished.
        with contextlib.suppress(websockets.ConnectionClosed):
            await client.ws.send("x" * (1 << 21))
        return error, await client.closing()

    error, (code, _) = run(main())
    assert error["code"] == "too_large" and "262144 bytes" in error["message"]
    assert code == 1009


@pytest.mark.parametrize("kind", KINDS)
def test_a_burst_past_the_rate_limit_is_refused_message_by_message(server, kind):
    def answers(client, mark):
        return [m for m in client.texts[mark:] if m["type"] in ("pong", "error")]

    async def main():
        client = await open_socket(server, kind)
        mark = len(client.texts)
        for i in range(24):
            await client.send("ping", t=i)
        await client.until(lambda: len(answers(client, mark)) >= 24)
        return answers(client, mark), client.closed

    replies, closed = run(main())
    # 20 tokens, one a second more; the room's join took one of them.
    limited = [m["data"] for m in replies if m["type"] == "error"]
    assert 1 <= len(limited) <= 5 and closed is None
    for error in limited:
        assert error["code"] == "rate_limited" and "more than 1 messages" in error["message"]
    pongs = [m["data"]["t"] for m in replies if m["type"] == "pong"]
    assert pongs == sorted(pongs) and len(pongs) == 24 - len(limited)


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_that_keeps_sending_bad_messages_is_closed_with_too_many_errors(server, kind):
    async def main():
        client = await open_socket(server, kind)
        mark = len(client.texts)
        for _ in range(15):
            await client.ws.send("{}")
        closed = await client.closing()
        return closed, [m["data"]["code"] for m in client.texts[mark:] if m["type"] == "error"]

    (code, reason), errors = run(main())
    assert code == 4002 and reason == "too many invalid messages"
    assert 8 <= len(errors) < 15 and set(errors) == {"invalid_message"}
    assert "closed with 4002 (too many invalid messages)" in server.log()
