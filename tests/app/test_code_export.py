"""`export` with a format over a real websocket to a real server: the `code` message."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pytest
from websockets.asyncio.client import ClientConnection, connect

from app.code_export import CODE_EXPORT_BURST, CODE_EXPORT_WINDOW
from engine import Trainer
from engine.export import EXPORT_FORMATS
from tests.engine.export_helpers import grid_points

pytestmark = pytest.mark.timeout(180)
WAIT = 60.0  # the first ONNX export imports onnx in the server


async def next_text(ws: ClientConnection, *kinds: str) -> dict[str, Any]:
    while True:
        message = await asyncio.wait_for(ws.recv(), WAIT)
        if isinstance(message, str):
            parsed = json.loads(message)
            if parsed["type"] in kinds:
                return parsed


async def send(ws: ClientConnection, kind: str, data: Any = None) -> None:
    await ws.send(json.dumps({"type": kind, "data": data}))


async def trained_session(ws: ClientConnection) -> None:
    await next_text(ws, "hello")
    await send(ws, "configure", {"dataset": "xor", "hidden": [3], "activation": "relu"})
    await next_text(ws, "config")
    await send(ws, "step", {"epochs": 3})
    await next_text(ws, "status")


def test_export_formats_answer_code_with_the_sessions_trained_network(shared_live_server):
    async def scenario():
        async with connect(shared_live_server.ws_url, max_size=None) as ws:
            await trained_session(ws)
            await send(ws, "export")  # no data: the state, as before
            state = (await next_text(ws, "state"))["data"]["state"]
            replies = {}
            for fmt in EXPORT_FORMATS:
                await send(ws, "export", {"format": fmt})
                replies[fmt] = (await next_text(ws, "code", "error"))["data"]
            return state, replies

    state, replies = asyncio.run(scenario())
    trainer = Trainer.from_state(state["trainer"])  # the network the scripts must hold
    assert trainer.epoch == 3
    pytorch, keras, onnx = replies["pytorch"], replies["keras"], replies["onnx"]
    assert pytorch["format"] == "pytorch" and pytorch["filename"] == "playground_pytorch.py"
    assert "import torch" in pytorch["text"] and "nn.ReLU()" in pytorch["text"]
    assert "at epoch 3" in pytorch["text"]
    assert keras["filename"] == "playground_keras.py" and "import keras" in keras["text"]
    for script in (pytorch, keras):
        assert script["data"]["filename"] == "playground-data.csv"
        rows = script["data"]["text"].splitlines()
        assert rows[0] == "x1,x2,label,split" and len(rows) == 1 + len(trainer.dataset.x)
    assert onnx["filename"] == "playground.onnx" and "text" not in onnx and "data" not in onnx
    session = onnxruntime.InferenceSession(
        base64.b64decode(onnx["base64"]), providers=["CPUExecutionProvider"]
    )
    points = grid_points(30)
    got = session.run(["output"], {"points": points})[0]
    np.testing.assert_allclose(got, trainer.predict(points), rtol=0, atol=1e-6)


def test_bad_format_is_an_error_naming_the_field_and_the_session_goes_on(shared_live_server):
    async def scenario():
        async with connect(shared_live_server.ws_url) as ws:
            await next_text(ws, "hello")
            await send(ws, "export", {"format": "tensorflow"})
            error = (await next_text(ws, "error"))["data"]
            await send(ws, "ping", {"t": 1})
            pong = (await next_text(ws, "pong"))["data"]
            return error, pong

    error, pong = asyncio.run(scenario())
    assert error["field"] == "format" and error["request"] == "export"
    assert "pytorch, keras, onnx" in error["message"] and "'tensorflow'" in error["message"]
    assert pong["t"] == 1


def test_code_exports_are_rate_limited_per_session(shared_live_server):
    async def scenario():
        async with connect(shared_live_server.ws_url, max_size=None) as ws:
            await next_text(ws, "hello")
            kinds = []
            for _ in range(4):  # within the 6 s window (each answer comes well before)
                await send(ws, "export", {"format": "pytorch"})
                kinds.append(await next_text(ws, "code", "error"))
            await send(ws, "export")
            state = await next_text(ws, "state", "error")
            return kinds, state

    kinds, state = asyncio.run(scenario())
    assert [k["type"] for k in kinds] == ["code", "code", "code", "error"]
    assert kinds[3]["data"]["code"] == "rate_limited"
    assert f"at most {CODE_EXPORT_BURST} code exports" in kinds[3]["data"]["message"]
    assert state["type"] == "state"  # a state export is not charged


def test_protocol_doc_names_every_field_and_file_of_the_code_message():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    (row,) = [line for line in doc.splitlines() if line.startswith("| `code` |")]
    for field in ("format", "filename", "text", "base64", "data"):
        assert f"`{field}`" in row
    for fmt in EXPORT_FORMATS.values():
        assert f"`{fmt.filename}`" in row
    (export_row,) = [line for line in doc.splitlines() if line.startswith("| `export` |")]
    assert all(f"`{name}`" in export_row for name in EXPORT_FORMATS)
    assert f"at most {CODE_EXPORT_BURST} code exports in any {CODE_EXPORT_WINDOW:g} s" in export_row
