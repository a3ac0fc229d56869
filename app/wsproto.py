"""uvicorn's websockets-sansio protocol with a cheaper permessage-deflate compressor.

uvicorn compresses every message with zlib at its default level 6. Frames are smooth uint8
maps; here they are deflated by ISA-L (the `isal` package, Intel's deflate library) at its
level 1: a standard raw deflate stream any inflater reads, the page's browser included.

The compressor was chosen by measured cost (`python -m app.bench_deflate`: the frames of a
default network while it trains, one socket's compressor in the 16 KB window below, CPU
time on the shared 2-core machine, indicative). 200 frames: zlib level 1 (the choice
before) 0.12 ms and 2.50 KB a frame, level 6 0.28 ms and 1.61 KB; zlib-ng level 1
0.044 ms and 3.14 KB, level 2 0.09 ms and 2.33 KB; ISA-L level 0 0.023 ms and 2.74 KB,
level 1 0.038 ms and 2.35 KB, level 3 0.057 ms and 2.23 KB. The 6x8 network's frames
(`--preset big`, 32 KB raw): zlib level 1 0.65 ms and 13.6 KB, ISA-L level 1 0.13 ms and
14.1 KB. ISA-L level 1 costs a third to a fifth of zlib level 1 for about the same bytes;
its level 0 saves a little more CPU for 16-18% more bytes on a classroom's shared network.
ISA-L's memory level is its smallest: at memLevel 5 a server holding the 262 sockets
`python -m app.abuse --attacks sockets` opens peaked at 2.25x its idle RSS (zlib level 1:
1.73x), past the 2x bound a socket flood must stay under; at memLevel 1, 1.82x (one run
each, 2026-11-30). Stored frames (no deflate) would send 5x the bytes.

The server's window holds the previous frame (a default one is 11-14 KB before deflate):
deflate then finds most of a frame in the one before it, which is both cheaper and smaller
(zlib level 1, 30 frames, median of 8: 4 KB window 0.20 ms and 2.87 KB a frame; 16 KB
0.18 ms, 2.57 KB; 32 KB 0.175 ms, 2.56 KB). ISA-L keeps to the agreed window (a test
inflates its frames with a 16 KB window). Client messages are small JSON: their window
stays 4 KB (zlib inflates them).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from typing import Any

from isal import isal_zlib
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.server import ServerProtocol

DEFLATE_LEVEL = 1  # ISA-L's (0-3), in its smallest memory (ISAL_MEM_LEVEL, above)
ISAL_MEM_LEVEL = 1
ZLIB_LEVEL = 1  # where a client refuses context takeover: websockets' own zlib compressor
WINDOW_BITS = 14  # the server's frames: 16 KB, the previous frame within reach (above)
CLIENT_WINDOW_BITS = 12  # uvicorn's choice: 4 KB windows keep a socket's zlib state small
MEM_LEVEL = 5
# websockets' compressor settings: the one it makes before ISA-L's replaces it, and the
# one it keeps for a client that refuses context takeover
COMPRESS_SETTINGS = {"memLevel": MEM_LEVEL, "level": ZLIB_LEVEL}


class FastDeflateProtocol(WebSocketsSansIOProtocol):
    """`ws="app.wsproto:FastDeflateProtocol"` in uvicorn.run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.config.ws_per_message_deflate:
            return
        factory = IsalDeflateFactory(
            server_max_window_bits=WINDOW_BITS,
            client_max_window_bits=CLIENT_WINDOW_BITS,
            compress_settings=COMPRESS_SETTINGS,
        )
        self.conn = ServerProtocol(
            extensions=[factory],
            max_size=self.config.ws_max_size,
            logger=logging.getLogger("uvicorn.error"),
        )


def isal_encoder(extension: PerMessageDeflate) -> PerMessageDeflate:
    """The agreed extension, its compressor ISA-L's at DEFLATE_LEVEL in the agreed window.

    A client that asks for no context takeover (no browser does) keeps websockets' own
    compressor, made anew for every message: zlib at its level 1.
    """
    if not extension.local_no_context_takeover:
        extension.encoder = isal_zlib.compressobj(
            DEFLATE_LEVEL, zlib.DEFLATED, -extension.local_max_window_bits, ISAL_MEM_LEVEL
        )
    return extension


class IsalDeflateFactory(ServerPerMessageDeflateFactory):
    """websockets' server side of permessage-deflate, compressing with ISA-L (above)."""

    def process_request_params(
        self, params: Sequence[Any], accepted_extensions: Sequence[Any]
    ) -> tuple[list[Any], PerMessageDeflate]:
        response, extension = super().process_request_params(params, accepted_extensions)
        return response, isal_encoder(extension)
