"""uvicorn's websockets-sansio protocol with a faster permessage-deflate level.

uvicorn compresses every message at zlib's default level 6. Frames are smooth uint8 maps:
level 1 deflates them about twice as fast for about 20% more bytes (the default frame stays
under 4 KB, the 6x8 network's under 16 KB; measured by `python -m app.bench`). The memory
level is uvicorn's; the server's window is larger than uvicorn's (below).

The level was chosen by measured cost (a default network's frames while it trains, one
socket's compressor, CPU time on the shared 2-core machine, indicative): level 0 (stored)
0.002 ms and 13.8 KB a frame; level 1 0.16 ms, 3.2 KB; level 2 0.17 ms, 3.1 KB; level 3
0.19 ms, 3.1 KB; level 6 0.33 ms, 2.6 KB. Level 1 with the RLE, Huffman-only or filtered
strategies cost the same 0.15-0.16 ms for 3.2-6.9 KB, and a PNG-like "sub" filter on the
maps saved 5% of the bytes and no time: level 1 is the cheapest level that compresses, and
stored frames would send 4x the bytes to a classroom's shared network.

The server's window holds the previous frame (a default one is 11-14 KB before deflate):
deflate then finds most of a frame in the one before it, which is both cheaper and smaller
(30 frames of a default network training, one compressor, CPU time on the loaded 2-core
machine, indicative, median of 8: 4 KB window 0.20 ms and 2.87 KB a frame; 8 KB 0.20 ms,
2.90 KB; 16 KB 0.18 ms, 2.57 KB; 32 KB 0.175 ms, 2.56 KB). 16 KB costs a socket 80 KB of zlib
state instead of 32 KB; 32 KB would cost 144 KB for little more. Client messages are small
JSON: their window stays 4 KB.
"""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.server import ServerProtocol

DEFLATE_LEVEL = 1
WINDOW_BITS = 14  # the server's frames: 16 KB, the previous frame within reach (above)
CLIENT_WINDOW_BITS = 12  # uvicorn's choice: 4 KB windows keep a socket's zlib state small
MEM_LEVEL = 5


class FastDeflateProtocol(WebSocketsSansIOProtocol):
    """`ws="app.wsproto:FastDeflateProtocol"` in uvicorn.run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.config.ws_per_message_deflate:
            return
        factory = ServerPerMessageDeflateFactory(
            server_max_window_bits=WINDOW_BITS,
            client_max_window_bits=CLIENT_WINDOW_BITS,
            compress_settings={"memLevel": MEM_LEVEL, "level": DEFLATE_LEVEL},
        )
        self.conn = ServerProtocol(
            extensions=[factory],
            max_size=self.config.ws_max_size,
            logger=logging.getLogger("uvicorn.error"),
        )
