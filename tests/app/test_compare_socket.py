"""The `compare` message over a real websocket against a real server (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import numpy as np
import pytest
from websockets.asyncio.client import connect

from app import frames
from app.options import COMPARE_MAP_SIZE
from app.settings import Settings
from engine import Config, Trainer, Variants
from tests.app.test_live_server import next_frame, next_text, send

pytestmark = pytest.mark.timeout(180)
STOP_AT = 25
BASE = {"dataset": "xor", "hidden": [4], "noise": 10, "stop_at": STOP_AT}
SCALE = 2 / (Settings().map_levels - 1)  # one code of a tanh output map over [-1, 1]


def engine_config(config: dict) -> Config:
    """The session's engine config from a `config` message (server fields left out)."""
    fields = set(Config().to_dict())
    return Config.from_dict({k: v for k, v in config.items() if k in fields})


async def _open(ws) -> Config:
    await next_text(ws, "hello")
    await send(ws, "configure", BASE)
    return engine_config((await next_text(ws, "config"))["config"])


async def _run_to_pause(ws, request: dict) -> tuple[dict, dict, dict]:
    """Start a compare; its `compare` message and the header and arrays of its paused frame
    (once the `compare` message `paused` has come too: texts may overtake a frame)."""
    await send(ws, "compare", {"action": "start", **request})
    started = await next_text(ws, "compare")
    paused = frame = None
    while paused is None or frame is None:
        message = await asyncio.wait_for(ws.recv(), 60)
        if isinstance(message, str):
            parsed = json.loads(message)
            if parsed["type"] == "compare":
                paused = parsed["data"]
                assert paused["state"] == "paused"
        else:
            header, arrays = frames.decode(message)
            if header["type"] == "compare" and header["state"] == "paused":
                frame = header, arrays
    return started, *frame


def _close_to(dequantised: np.ndarray, exact: np.ndarray, scale: float) -> None:
    assert dequantised.shape == exact.shape
    assert np.max(np.abs(dequantised - exact)) <= scale / 2 + 1e-6


def test_seeds_compare_trains_each_member_as_alone_and_sends_the_ensemble(shared_live_server):
    async def scenario():
        async with connect(shared_live_server.ws_url, max_size=None) as ws:
            base = await _open(ws)
            started, header, arrays = await _run_to_pause(ws, {"seeds": 3})
            return base, started, header, arrays

    base, started, header, arrays = asyncio.run(scenario())
    seeds = [base.seed, base.seed + 1, base.seed + 2]
    assert started["state"] == "running" and started["seeds"] is True
    assert started["variants"] == [{"seed": s} for s in seeds]
    assert started["labels"] == [f"seed {s}" for s in seeds]
    assert header["epoch"] == STOP_AT and header["map_size"] == COMPARE_MAP_SIZE

    # The same variants trained here, alone: the frame shows exactly their state.
    alone = Variants.seeds(base, 3)
    alone.train_epochs(STOP_AT)
    maps = []
    for i, (row, trainer) in enumerate(zip(header["variants"], alone.trainers, strict=True)):
        metrics = trainer.metrics()
        assert row["label"] == f"seed {seeds[i]}"
        assert row["epoch"] == STOP_AT and row["status"] == "ok"
        assert row["test_loss"] == trainer.last_losses["test_loss"]
        assert row["test_accuracy"] == metrics["test_accuracy"]
        exact = trainer.grid(COMPARE_MAP_SIZE).output
        _close_to(arrays[f"map_{i}"], exact, SCALE)
        maps.append(exact)
    _close_to(arrays["ensemble"], np.mean(maps, axis=0), SCALE)
    assert header["ensemble"]["test_accuracy"] == alone.ensemble_accuracy()
    # Different seeds, different networks: the ensemble is none of its members.
    assert not np.allclose(maps[0], maps[1], atol=0.05)


def test_variants_of_fields_each_reach_stop_at_with_their_own_labels(shared_live_server):
    variants = [{}, {"optimizer": "adam"}, {"activation": "relu", "learning_rate": 0.1}]

    async def scenario():
        async with connect(shared_live_server.ws_url, max_size=None) as ws:
            base = await _open(ws)
            started, header, arrays = await _run_to_pause(ws, {"variants": variants})
            return base, started, header, arrays

    base, started, header, arrays = asyncio.run(scenario())
    assert started["labels"] == ["base", "optimizer adam", "activation relu, learning_rate 0.1"]
    assert "ensemble" not in header and "ensemble" not in arrays
    for i, change in enumerate(variants):
        trainer = Trainer(Config.from_dict(change, base=base))
        trainer.train_epochs(STOP_AT)
        assert header["variants"][i]["train_loss"] == trainer.last_losses["train_loss"]
        _close_to(arrays[f"map_{i}"], trainer.grid(COMPARE_MAP_SIZE).output, SCALE)


BAD = [
    ({}, "action", "start or stop"),
    ({"action": "go"}, "action", "start or stop"),
    ({"action": "start"}, "variants", "either variants"),
    ({"action": "start", "seeds": 5}, "seeds", "from 2 to 4"),
    ({"action": "start", "seeds": 1}, "seeds", "from 2 to 4"),
    ({"action": "start", "variants": [{}]}, "variants", "2 to 4"),
    ({"action": "start", "variants": [{}, 3]}, "variants[1]", "object of config fields"),
    ({"action": "start", "variants": [{}, {"dataset": "spiral"}]}, "variants[1].dataset", "data"),
    ({"action": "start", "variants": [{}, {"fps": 5}]}, "variants[1].fps", "may change one of"),
    (
        {"action": "start", "variants": [{"learning_rate": -1}, {}]},
        "variants[0].learning_rate",
        "learning_rate",
    ),
    ({"action": "start", "variants": [{}, {"hidden": [99]}]}, "variants[1].hidden", "1 to 32"),
]


def test_bad_compare_requests_name_the_field_and_the_session_goes_on(shared_live_server):
    async def scenario():
        async with connect(shared_live_server.ws_url, max_size=None) as ws:
            await _open(ws)
            for data, field, words in BAD:
                await send(ws, "compare", data)
                error = await next_text(ws, "error")
                assert (error["field"], error["request"]) == (field, "compare"), error
                assert words in error["message"], error
            await send(ws, "ping", {"t": "still here"})
            assert (await next_text(ws, "pong"))["t"] == "still here"

    asyncio.run(scenario())


def test_stop_ends_the_compare_frames_and_the_session_frames_go_on(shared_live_server):
    async def scenario():
        async with connect(shared_live_server.ws_url, max_size=None) as ws:
            await next_text(ws, "hello")
            await send(ws, "compare", {"action": "start", "seeds": 2})
            assert (await next_text(ws, "compare"))["state"] == "running"
            await next_frame(ws, lambda h: h["type"] == "compare" and h["epoch"] >= 3)
            await send(ws, "compare", {"action": "stop"})
            assert (await next_text(ws, "compare"))["state"] == "stopped"
            await send(ws, "ping", {"t": 1})
            await next_text(ws, "pong")
            await send(ws, "step", {"epochs": 2})
            # After the pong: the session's own frame, and no compare frame before it.
            while True:
                message = await asyncio.wait_for(ws.recv(), 60)
                if isinstance(message, bytes):
                    assert b'"type":"compare"' not in message[:4096]
                    if b'"epoch":2,' in message[:4096]:
                        break

    asyncio.run(scenario())


def test_the_allowed_choices_are_published_in_api_options(shared_live_server):
    with urllib.request.urlopen(f"{shared_live_server.url}/api/options", timeout=30) as r:
        compare = json.load(r)["compare"]
    assert (compare["min_variants"], compare["max_variants"]) == (2, 4)
    assert compare["map_size"] == COMPARE_MAP_SIZE
    assert "optimizer" in compare["fields"] and "dataset" not in compare["fields"]
