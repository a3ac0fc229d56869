"""CPU per frame on virtual time: one worker's frame path, whatever else the machine runs.

    python -m app.bench_cpu --sessions 50 --seconds 10
    python -m app.bench_cpu --sessions 50 --seconds 10 --profile 25

On a shared machine `python -m app.bench` measures a server that gets whatever CPU the
others leave it: fewer frames, so costs paid per second (metrics refreshes, pings) weigh
more per frame, and two runs a minute apart disagree. Here the clock is this process's
own CPU time, and the event loop skips its idle waits instead of sleeping them: the
scheduler paces, charges and rates frames as it would with one core of its own, and the
figures hold on a loaded machine (cache contention aside: still indicative).

One worker runs in this process: `create_app` with its lifespan, every client a `/ws`
socket through Starlette, each message framed and deflated by `websockets` at the server's
level (app.wsproto), as uvicorn does. Left out: uvicorn's glue, the kernel's socket writes,
session saves (`session_save_seconds` 0) and the balancer. Each client plays the bench
config and sends a ping every 0.5 s, as `python -m app.bench`'s do. `--sessions` is one
worker's share: 100 clients on `--workers 2` are `--sessions 50`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import json
import os
import pstats
import resource
import selectors
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.protocol import Protocol, Side, State

from app import wsproto
from app.bench import PRESETS

# The process CPU time plus the idle waits skipped (IdleSkipping): see `use_virtual_time`.
_SKIPPED = [0.0]


def virtual_now() -> float:
    return time.process_time() + _SKIPPED[0]


def use_virtual_time() -> Any:
    """Make virtual time the process's clock, then import the app (its default arguments
    keep the clock they were given): its `create_app`. Only for this script's own process."""
    if any(name in sys.modules for name in ("app.pacing", "app.main", "app.session")):
        raise RuntimeError("app.bench_cpu must run in a process of its own (python -m)")
    time.monotonic = virtual_now
    time.perf_counter = virtual_now
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")  # as app/__main__.py sets them for the server
    # ... and keeps freed memory (a checkout from before that did not: compared as it ran)
    keep = getattr(importlib.import_module("app.__main__"), "keep_freed_memory", None)
    if keep is not None:
        keep()
    return importlib.import_module("app.main").create_app


PING_SECONDS = 0.5
WARMUP_SECONDS = 2.0


class IdleSkipping(selectors.DefaultSelector):
    """A selector that never waits for a timer: the wait is added to the virtual clock."""

    def select(self, timeout: float | None = None) -> list[Any]:
        events = super().select(0)
        if events or timeout == 0:
            return events
        if timeout is None:  # nothing scheduled: only a thread or a socket can wake us
            return super().select(None)
        _SKIPPED[0] += timeout
        return []


@dataclass
class Client:
    """One in-process websocket client: what it sends, and when its frames arrived."""

    config: dict[str, Any]
    index: int
    inbox: asyncio.Queue = field(default_factory=asyncio.Queue)
    times: list[float] = field(default_factory=list)
    wire_bytes: int = 0
    closed: bool = False

    def __post_init__(self) -> None:
        self.wire = Protocol(Side.SERVER, state=State.OPEN, max_size=None)
        extension = PerMessageDeflate(
            False,
            False,
            getattr(wsproto, "CLIENT_WINDOW_BITS", wsproto.WINDOW_BITS),
            wsproto.WINDOW_BITS,
            getattr(wsproto, "COMPRESS_SETTINGS", {"memLevel": 5, "level": wsproto.DEFLATE_LEVEL}),
        )
        # The server's own compressor (a checkout from before had zlib's: compared as it ran)
        self.wire.extensions = [getattr(wsproto, "isal_encoder", lambda e: e)(extension)]

    def scope(self) -> dict[str, Any]:
        host = f"10.{self.index // 250}.{self.index % 250}.1"  # one address each
        return {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": "/ws",
            "raw_path": b"/ws",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"bench")],
            "client": (host, 50000),
            "server": ("bench", 80),
            "subprotocols": [],
        }

    async def receive(self) -> dict[str, Any]:
        return await self.inbox.get()

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            for text in (
                {"type": "configure", "data": self.config},
                {"type": "play"},
            ):
                self.inbox.put_nowait({"type": "websocket.receive", "text": json.dumps(text)})
        elif kind == "websocket.send":
            data = message.get("bytes")
            if data is not None:
                self.wire.send_binary(data)
                self.times.append(virtual_now())
            else:
                self.wire.send_text(message["text"].encode())
            self.wire_bytes += len(b"".join(self.wire.data_to_send()))
        elif kind == "websocket.close":
            self.closed = True

    async def ping(self) -> None:
        while True:
            await asyncio.sleep(PING_SECONDS)
            text = json.dumps({"type": "ping", "data": {"t": virtual_now()}})
            self.inbox.put_nowait({"type": "websocket.receive", "text": text})

    def leave(self) -> None:
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})


async def _lifespan(app: Any, started: asyncio.Event, stop: asyncio.Event) -> None:
    queue: asyncio.Queue = asyncio.Queue()
    queue.put_nowait({"type": "lifespan.startup"})

    async def receive() -> dict[str, Any]:
        message = await queue.get()
        if message["type"] == "lifespan.startup":
            return message
        await stop.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()
            queue.put_nowait({"type": "lifespan.shutdown"})
        elif message["type"].endswith("failed"):
            raise RuntimeError(message.get("message"))

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {"data_dir": tempfile.mkdtemp(prefix="bench-cpu-")}
    overrides["max_sessions"] = max(1000, args.sessions)
    settings = importlib.import_module("app.settings").Settings
    if "session_save_seconds" in settings.model_fields:
        overrides["session_save_seconds"] = 0
    os.environ.pop("PLAYGROUND_BALANCE_DIR", None)
    app = args.create_app(settings.load(**overrides))
    started, stop = asyncio.Event(), asyncio.Event()
    life = asyncio.create_task(_lifespan(app, started, stop))
    await started.wait()
    config = {**PRESETS[args.preset], **json.loads(args.config)}
    config.update(epochs_per_frame=args.epochs_per_frame, fps=args.fps)
    clients = [Client(config, i) for i in range(args.sessions)]
    sockets, pingers = [], []
    for client in clients:
        client.inbox.put_nowait({"type": "websocket.connect"})
        sockets.append(asyncio.create_task(app(client.scope(), client.receive, client.send)))
        pingers.append(asyncio.create_task(client.ping()))
    await asyncio.sleep(WARMUP_SECONDS)
    profile = cProfile.Profile(time.process_time) if args.profile else None
    start_wall, start_cpu, start = time.time(), time.process_time(), virtual_now()
    start_times = os.times()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    counts = [len(c.times) for c in clients]
    wire = [c.wire_bytes for c in clients]
    if profile is not None:
        profile.enable()
    await asyncio.sleep(args.seconds)
    if profile is not None:
        profile.disable()
    cpu, span = time.process_time() - start_cpu, virtual_now() - start
    kernel = os.times().system - start_times.system
    frames = [len(c.times) - n for c, n in zip(clients, counts, strict=True)]
    gaps = sorted(
        b - a
        for c, n in zip(clients, counts, strict=True)
        for a, b in zip(c.times[n:], c.times[n + 1 :], strict=False)
    )
    for client, pinger in zip(clients, pingers, strict=True):
        pinger.cancel()
        client.leave()
    await asyncio.wait([*sockets, *pingers], timeout=5)
    stop.set()
    await life
    total = max(1, sum(frames))
    fps = sorted(n / span for n in frames)
    result = {
        "sessions": args.sessions,
        "cpu_ms_per_frame": 1000 * cpu / total,
        "cpu_share": cpu / span,
        "kernel_share": kernel / max(cpu, 1e-9),
        "minor_faults_per_frame": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
        / total,
        "fps_p5": fps[int(0.05 * (len(fps) - 1))],
        "fps_median": statistics.median(fps),
        "gap_p95_ms": 1000 * gaps[int(0.95 * (len(gaps) - 1))] if gaps else float("inf"),
        "wire_bytes_per_frame": sum(c.wire_bytes - w for c, w in zip(clients, wire, strict=True))
        / total,
        "wall_seconds": time.time() - start_wall,
    }
    if profile is not None:
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(args.profile)
    return result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m app.bench_cpu",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--sessions", type=int, default=50, help="one worker's clients")
    p.add_argument("--seconds", type=float, default=10.0, help="measured (virtual) seconds")
    p.add_argument("--preset", choices=sorted(PRESETS), default="default")
    p.add_argument("--config", default="{}", help="JSON of extra config fields")
    p.add_argument("--epochs-per-frame", type=int, default=1)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--profile", type=int, default=0, help="print the top N functions by CPU")
    p.add_argument("--json", action="store_true", help="one JSON line instead of text")
    args = p.parse_args(argv)
    args.create_app = use_virtual_time()
    loop = asyncio.SelectorEventLoop(IdleSkipping())
    try:
        result = loop.run_until_complete(measure(args))
    finally:
        loop.close()
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{result['sessions']} sessions, one worker, virtual time: "
        f"{result['cpu_ms_per_frame']:.3f} ms CPU per frame, per client fps p5 "
        f"{result['fps_p5']:.1f} median {result['fps_median']:.1f}, gap p95 "
        f"{result['gap_p95_ms']:.0f} ms, {result['wire_bytes_per_frame']:.0f} B per frame "
        f"on the wire, CPU {100 * result['cpu_share']:.0f}% of one core "
        f"({100 * result['kernel_share']:.0f}% of it in the kernel, "
        f"{result['minor_faults_per_frame']:.1f} page faults per frame) "
        f"({result['wall_seconds']:.0f} s of wall time)"
    )


if __name__ == "__main__":
    main()
