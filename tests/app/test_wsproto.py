"""The server's permessage-deflate: ISA-L's compressor, inflated by a standard inflater in the
window the server agreed to, over the extension websockets negotiates and a real server."""

from __future__ import annotations

import asyncio
import os
import zlib

import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode

from app import frames, wsproto
from tests.app.test_live_server import next_frame, send

pytestmark = pytest.mark.timeout(120)


def negotiate(offer: list[tuple[str, str | None]]) -> PerMessageDeflate:
    factory = wsproto.IsalDeflateFactory(
        server_max_window_bits=wsproto.WINDOW_BITS,
        client_max_window_bits=wsproto.CLIENT_WINDOW_BITS,
        compress_settings=wsproto.COMPRESS_SETTINGS,
    )
    _, extension = factory.process_request_params(offer, [])
    return extension


def browser_side(server: PerMessageDeflate) -> PerMessageDeflate:
    """The client's end of the agreed extension: its inflater has the agreed window only."""
    return PerMessageDeflate(
        server.local_no_context_takeover,
        server.remote_no_context_takeover,
        server.local_max_window_bits,
        server.remote_max_window_bits,
    )


def messages() -> list[bytes]:
    """Repeats of one block at every distance up to 40 KB: a compressor that reached past a
    16 KB window would refer to bytes the client's inflater no longer holds."""
    block = os.urandom(3000)
    return [block + os.urandom(gap) + block + bytes(gap) for gap in range(0, 40_000, 1_700)]


@pytest.mark.parametrize(
    "offer",
    [
        [("client_max_window_bits", None)],  # what browsers offer
        [("client_max_window_bits", None), ("server_no_context_takeover", None)],
    ],
)
def test_every_message_inflates_in_the_agreed_window_and_compresses(offer):
    server = negotiate(offer)
    assert server.local_max_window_bits == wsproto.WINDOW_BITS
    client = browser_side(server)
    sent = messages()
    wire = 0
    for data in sent:
        encoded = server.encode(Frame(Opcode.BINARY, data))
        assert encoded.rsv1  # compressed
        wire += len(encoded.data)
        assert client.decode(encoded).data == data
    assert wire < 0.8 * sum(map(len, sent))  # the repeats and zeros were found


def test_the_compressor_keeps_context_between_messages():
    server = negotiate([("client_max_window_bits", None)])
    client = browser_side(server)
    frame = os.urandom(5000)
    first = server.encode(Frame(Opcode.BINARY, frame))
    again = server.encode(Frame(Opcode.BINARY, frame))  # found whole in the previous message
    assert len(again.data) < len(first.data) // 20
    assert client.decode(first).data == frame == client.decode(again).data


def test_a_real_server_agrees_its_window_and_its_frames_inflate_in_it(shared_live_server):
    async def scenario() -> None:
        async with connect(shared_live_server.ws_url, compression="deflate") as ws:
            agreed = ws.response.headers["Sec-WebSocket-Extensions"]
            assert f"server_max_window_bits={wsproto.WINDOW_BITS}" in agreed
            # websockets' client inflates with zlib in the agreed window: every frame of a
            # training session must come through whole and decode.
            await send(ws, "play")
            header, arrays = await next_frame(ws, lambda h: h["epoch"] >= 30)
            assert arrays["output"].shape == (100, 100)
            assert np.isfinite(arrays["output"]).all() and arrays["weights"].size > 0

    asyncio.run(scenario())


def test_stdlib_zlib_reads_the_stream_as_a_browser_would():
    server = negotiate([("client_max_window_bits", None)])
    inflater = zlib.decompressobj(-wsproto.WINDOW_BITS)
    message = frames.encode(
        {"type": "frame", "seq": 1}, [("a", np.tile(np.arange(256, dtype=np.uint8), 40))]
    )
    for _ in range(5):
        data = server.encode(Frame(Opcode.BINARY, message)).data
        assert inflater.decompress(data + b"\x00\x00\xff\xff") == message


def test_the_deflate_benchmark_measures_zlib_and_isal(capsys):
    from app import bench_deflate

    bench_deflate.main(["--frames", "4", "--repeat", "1"])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert {row[0] for row in rows} >= {"zlib", "isal"}
    assert all(float(row[2]) >= 0 and float(row[3]) > 0 for row in rows)
