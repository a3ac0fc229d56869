"""A new dataset starts the run over (epoch 0, new history), over a real socket to a real server."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect

from tests.app.test_live_server import next_frame, next_text, send

pytestmark = pytest.mark.timeout(120)


def test_changing_the_dataset_while_playing_restarts_at_epoch_0(shared_live_server):
    async def scenario():
        async with connect(shared_live_server.ws_url) as ws:
            await next_text(ws, "hello")
            await send(ws, "play")
            await next_frame(ws, lambda h: h["epoch"] >= 30)
            await send(ws, "configure", {"dataset": "xor"})
            config = await next_text(ws, "config")
            assert config["config"]["dataset"] == "xor"
            assert config["rebuilt"] == {"data": True, "network": True}
            # The first frame after the change is the new run's: no epoch of the old one.
            header, _ = await next_frame(ws)
            assert header["epoch"] < 30

    asyncio.run(scenario())


def test_noise_keeps_the_run_but_the_problem_type_restarts_it(shared_live_server):
    async def scenario():
        async with connect(shared_live_server.ws_url) as ws:
            await next_text(ws, "hello")
            await send(ws, "step", {"epochs": 5})
            await next_frame(ws, lambda h: h["epoch"] == 5)
            await send(ws, "configure", {"noise": 20})
            assert (await next_text(ws, "config"))["rebuilt"]["network"] is False
            header, _ = await next_frame(ws)
            assert header["epoch"] == 5
            await send(ws, "configure", {"problem": "regression"})
            assert (await next_text(ws, "config"))["rebuilt"]["network"] is True
            header, _ = await next_frame(ws)
            assert header["epoch"] == 0

    asyncio.run(scenario())
