"""`stop_at`: play pauses by itself at that epoch (a real server over a real websocket)."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect

from tests.app.test_live_server import next_frame, next_text, send

pytestmark = pytest.mark.timeout(120)


async def _paused_status(ws):
    """The next status that says play paused at stop_at (a reset's own status is skipped)."""
    while True:
        status = await next_text(ws, "status")
        if status["state"] == "paused" and "stop_at" in status["message"]:
            return status


@pytest.mark.parametrize("epochs_per_frame", [1, 7, 1000])
def test_play_pauses_at_stop_at_and_goes_on_when_played_again(shared_live_server, epochs_per_frame):
    async def scenario():
        async with connect(shared_live_server.ws_url) as ws:
            await next_text(ws, "hello")
            await send(ws, "configure", {"stop_at": 30, "epochs_per_frame": epochs_per_frame})
            assert (await next_text(ws, "config"))["config"]["stop_at"] == 30
            await send(ws, "play")
            status = await _paused_status(ws)
            assert status["epoch"] == 30
            header, _ = await next_frame(ws, lambda h: h["state"] == "paused")
            assert header["epoch"] == 30
            # Paused for good: a step still counts from epoch 30.
            await send(ws, "step", {"epochs": 1})
            header, _ = await next_frame(ws, lambda h: h["epoch"] != 30)
            assert header["epoch"] == 31
            # Past stop_at, play goes on.
            await send(ws, "play")
            await next_frame(ws, lambda h: h["epoch"] >= 40)

    asyncio.run(scenario())


def test_a_stop_at_set_while_playing_pauses_there_and_a_reset_stops_there_again(shared_live_server):
    async def scenario():
        async with connect(shared_live_server.ws_url) as ws:
            await next_text(ws, "hello")
            await send(ws, "play")
            header, _ = await next_frame(ws, lambda h: h["epoch"] >= 5)
            target = header["epoch"] + 40
            await send(ws, "configure", {"stop_at": target})
            status = await _paused_status(ws)
            assert status["epoch"] == target
            await send(ws, "reset")
            await send(ws, "play")
            status = await _paused_status(ws)
            assert status["epoch"] == target

    asyncio.run(scenario())


@pytest.mark.parametrize("value", [0, -3, 1.5, "ten", 2_000_000])
def test_a_bad_stop_at_is_an_error_naming_the_field_and_range(shared_live_server, value):
    async def scenario():
        async with connect(shared_live_server.ws_url) as ws:
            await next_text(ws, "hello")
            await send(ws, "configure", {"stop_at": value})
            error = await next_text(ws, "error")
            assert error["field"] == "stop_at"
            assert "1 to 1000000" in error["message"]
            await send(ws, "configure", {"stop_at": None})
            assert (await next_text(ws, "config"))["config"]["stop_at"] is None

    asyncio.run(scenario())
