"""The `view` message over a real socket to a real server: a socket's own max_fps."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest
from websockets.asyncio.client import connect

from tests.app.test_live_server import WAIT, next_frame, next_text

pytestmark = pytest.mark.timeout(180)

MAX_FPS = 2
COUNTED = 7  # paced frames timed


def send(ws, kind, data=None):
    return ws.send(json.dumps({"type": kind, "data": data}))


def test_a_socket_gets_at_most_max_fps_frames_and_the_paused_state_last(shared_live_server):
    async def scenario():
        async with connect(shared_live_server.ws_url) as ws:
            await next_text(ws, "hello")
            await send(ws, "configure", {"fps": 60, "epochs_per_frame": 1})
            await next_text(ws, "config")
            await send(ws, "view", {"max_fps": MAX_FPS})
            await send(ws, "play")
            assert (await next_text(ws, "status"))["state"] == "playing"
            await next_frame(ws, lambda h: h["state"] == "playing")  # may go at once
            times = []
            for _ in range(COUNTED):
                await next_frame(ws, lambda h: h["state"] == "playing")
                times.append(time.monotonic())
            # Each frame books the next slot one interval on; one late by up to an interval
            # lets the next come at once, so COUNTED frames span (COUNTED - 2) intervals or
            # more. Half of it, for a client that read the first one late on a loaded
            # machine. Unpaced: the session's 60 a second.
            assert times[-1] - times[0] >= 0.5 * (COUNTED - 2) / MAX_FPS
            await send(ws, "pause")
            paused = await next_text(ws, "status")
            assert paused["state"] == "paused"
            header, _ = await next_frame(ws, lambda h: h["state"] == "paused")
            assert header["epoch"] == paused["epoch"]  # the final state is shown, not lost

    asyncio.run(scenario())


def test_a_bad_max_fps_is_an_error_naming_the_field_and_the_socket_goes_on(shared_live_server):
    # The range the page reads (/api/options `view`) is the one the socket enforces.
    with urllib.request.urlopen(f"{shared_live_server.url}/api/options", timeout=WAIT) as r:
        spec = json.load(r)["view"]["max_fps"]

    async def scenario():
        async with connect(shared_live_server.ws_url) as ws:
            await next_text(ws, "hello")
            for bad in (spec["min"] - 1, spec["max"] + 1, "24", 2.5, True):
                await send(ws, "view", {"max_fps": bad})
                error = await next_text(ws, "error")
                assert (error["code"], error["field"], error["request"]) == (
                    "invalid_field",
                    "max_fps",
                    "view",
                )
                assert f"{spec['min']} to {spec['max']}" in error["message"]
            await send(ws, "view", {"speed": 3})
            assert (await next_text(ws, "error"))["field"] == "speed"
            await send(ws, "view", {"max_fps": None})
            await send(ws, "ping", {"t": 1})
            assert (await asyncio.wait_for(next_text(ws, "pong"), WAIT))["t"] == 1

    asyncio.run(scenario())
