"""What permessage-deflate costs a socket: CPU and bytes per frame, per compressor and level.

    python -m app.bench_deflate
    python -m app.bench_deflate --frames 300 --preset big

A session plays the bench config (app.bench's presets) and its frames are kept, as one
socket receives them (thumbnails only when they changed); then each compressor deflates
the whole stream as the server does (one compressor per socket, context kept, a sync
flush per message) in the server's window, best of `--repeat` runs of CPU time. zlib and
ISA-L (app.wsproto's) are always measured; zlib-ng too if it is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import time
import zlib
from typing import Any

import numpy as np

from app import wsproto
from app.bench import PRESETS
from app.session import Session
from app.settings import Settings


class _Socket:
    """A subscriber that keeps every frame offered to it, as a socket's Mailbox sends them."""

    frame_pending = False

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def send_text(self, text: str) -> None: ...

    def offer_frame(self, frame: bytes) -> None:
        self.frames.append(frame)

    def discard_frame(self) -> None: ...


def record(preset: str, count: int) -> list[bytes]:
    """`count` frames of a session playing app.bench's `preset`, one epoch each."""
    session = Session("bench", Settings(), np.random.default_rng(0))
    if PRESETS[preset]:
        session.trainer.configure(PRESETS[preset])
        session.network_rebuilt()
    socket = _Socket()
    session.subscribers = [socket]
    session.publish_frame()
    for _ in range(count):
        session.trainer.train_epochs(1)
        session.publish_frame()
    return socket.frames[1:]  # the first carries the input maps, sent once


def deflate(module: Any, level: int, window: int, frames: list[bytes]) -> tuple[float, float]:
    """(CPU ms, bytes) per frame of one socket's compressor over `frames`."""
    memory = wsproto.ISAL_MEM_LEVEL if module.__name__.startswith("isal") else wsproto.MEM_LEVEL
    compressor = module.compressobj(level, zlib.DEFLATED, -window, memory)
    size = 0
    start = time.process_time()
    for frame in frames:
        size += len(compressor.compress(frame)) + len(compressor.flush(zlib.Z_SYNC_FLUSH))
    return 1000 * (time.process_time() - start) / len(frames), size / len(frames)


def compressors() -> list[tuple[str, Any, tuple[int, ...]]]:
    found = [
        ("zlib", zlib, (1, 2, 3, 6)),
        ("isal", importlib.import_module("isal.isal_zlib"), (0, 1, 2, 3)),
    ]
    with contextlib.suppress(ImportError):
        found.append(("zlib-ng", importlib.import_module("zlib_ng.zlib_ng"), (1, 2, 3, 6)))
    return found


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m app.bench_deflate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--frames", type=int, default=200)
    p.add_argument("--preset", choices=sorted(PRESETS), default="default")
    p.add_argument("--window", type=int, default=wsproto.WINDOW_BITS, help="window bits")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    frames = record(args.preset, args.frames)
    raw = sum(map(len, frames)) / len(frames)
    print(f"{len(frames)} frames of {raw:.0f} B, window {2**args.window // 1024} KB")
    print(f"{'compressor':>10} {'level':>5} {'ms/frame':>9} {'B/frame':>8}")
    for name, module, levels in compressors():
        for level in levels:
            runs = [deflate(module, level, args.window, frames) for _ in range(args.repeat)]
            ms, size = min(runs)
            print(f"{name:>10} {level:>5} {ms:>9.3f} {size:>8.0f}")


if __name__ == "__main__":
    main()
