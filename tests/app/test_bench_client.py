"""The benchmark's client (app.bench): every frame the server sends is counted and its header
read, over a real server and a real deflated websocket; the script runs end to end."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest
from isal import isal_zlib

from app import bench
from app.metrics import sample_values
from tests.app.test_live_server import WAIT, get, send

pytestmark = pytest.mark.timeout(300)


def frames_sent(url: str) -> float:
    return sample_values(get(url + "/metrics")[2])["playground_frames_sent_total"]


def test_the_recorder_counts_every_frame_the_server_sent_and_reads_its_epoch(live_server):
    stats = bench.ClientStats()

    async def scenario() -> float:
        async with bench.connect_client(live_server.ws_url, "deflate") as ws:
            (deflate,) = ws.protocol.extensions  # inflated by ISA-L from the first message on
            assert isinstance(deflate.decoder, isal_zlib.Decompress)
            loop = asyncio.get_running_loop()
            recorder = bench.Recorder(ws, stats, loop.time(), loop.time() + 10 * WAIT)
            ws.on_frame = recorder.frame
            await send(ws, "play")
            deadline = time.monotonic() + WAIT
            while len(stats.times) < 40:  # frames go to the recorder, not through recv()
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            await send(ws, "pause")
            # Once the server is quiet, the client has counted each frame it wrote.
            while len(stats.times) != frames_sent(live_server.url):
                assert time.monotonic() < deadline, (len(stats.times), stats.epochs[-3:])
                await asyncio.sleep(0.2)
            # The texts wait in the connection's queue, in order, frames left out.
            kinds = [json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"]]
            while kinds[-1] != "status":
                kinds.append(json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"])
            assert kinds[0] == "hello"
            await send(ws, "ping", {"t": loop.time()})
            while not stats.rtts:  # a pong is read as a text and timed
                recorder.text(await asyncio.wait_for(ws.recv(), WAIT))
            return ws.wire_bytes

    wire = asyncio.run(scenario())
    assert stats.epochs == sorted(stats.epochs) and stats.epochs[-1] >= 30
    assert 0 < stats.wire_end - stats.wire_start < stats.raw_bytes  # deflated
    assert stats.wire_end <= wire and stats.error is None


def test_the_benchmark_runs_end_to_end():
    out = subprocess.run(
        [sys.executable, "-m", "app.bench", "--clients", "2", "--seconds", "2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    ).stdout
    assert "errors: 0" in out, out
    fps = next(line for line in out.splitlines() if line.strip().startswith("fps:"))
    assert float(fps.split("min")[1].split()[0]) > 0, out
    assert "ms per frame)" in out, out
