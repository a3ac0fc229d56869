"""Server benchmark: N websocket clients for T seconds against a real server (not a test).

    python -m app.bench --clients 1 --seconds 20 --preset big --epochs-per-frame 20
    python -m app.bench --clients 100 --seconds 20 --workers 2
    python -m app.bench --clients 200 --seconds 20 --workers 2 --mixed --cohorts off
    python -m app.bench --memory 1,100,500
    python -m app.bench --compare 4 --seconds 10

Per client: median fps (over 1 s windows), p95 gap between frames, epochs/s, and bytes
per frame on the wire (every socket byte the client received, framing and
permessage-deflate included, divided by the frames). Server: CPU% and RSS of the whole
process tree (psutil). Memory mode: server RSS with 1, 100, 500 open paused sessions.
`--mixed`: the lecture-hall load of app.bench_mix; `--cohorts off` trains every session
alone (PLAYGROUND_COHORTS=0), for A/B runs against the default. `--compare K`: a plain
session, then a compare of K variants, and what the compare costs (app/bench_compare.py).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import statistics
import struct
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from isal import isal_zlib
from websockets.asyncio.client import ClientConnection, connect
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)
from websockets.frames import Frame, Opcode

from app import balance, bench_steps
from app.bench_mix import Plan, plans
from app.launch import READY_SECONDS, ServerProcess, bench_import
from app.metrics import sample_values


def require_psutil() -> Any:
    return bench_import("psutil", "python -m app.bench measures CPU and memory with psutil")


PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "big": {
        "dataset": "spiral",
        "features": ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"],
        "hidden": [8, 8, 8, 8, 8, 8],
        "activation": "tanh",
    },
}
WARMUP_SECONDS = 2.0
STALL_SECONDS = 10.0  # a client that gets no message for this long reports an error
MAX_TABLE_ROWS = 20  # more clients: the summary lines only


class CountingConnection(ClientConnection):
    """Counts every byte read from the socket: what the wire really carried.

    With `on_frame` set, every binary message that arrives whole (one websocket frame, as
    the server sends them) goes to it as soon as websockets has parsed and inflated it,
    instead of through the connection's message queue and a task switch per `recv()`: the
    clients share the server's 2 cores, and a lean client leaves more of them to it.
    """

    wire_bytes = 0
    on_frame: Callable[[bytes], None] | None = None

    def data_received(self, data: bytes) -> None:
        self.wire_bytes += len(data)
        super().data_received(data)

    def process_event(self, event: Any) -> None:
        sink = self.on_frame
        whole = isinstance(event, Frame) and event.fin and event.opcode is Opcode.BINARY
        if sink is not None and whole:
            sink(bytes(event.data))
            return
        super().process_event(event)


class IsalInflateFactory(ClientPerMessageDeflateFactory):
    """permessage-deflate offered as websockets' client offers it (`compression="deflate"`),
    its frames inflated by ISA-L: 23 us a default frame against zlib's 55 (CPU time, loaded
    machine, indicative). Set up while the handshake is parsed, before any message."""

    def __init__(self) -> None:
        super().__init__(compress_settings={"memLevel": 5})

    def process_response_params(self, params: Any, accepted_extensions: Any) -> PerMessageDeflate:
        extension = super().process_response_params(params, accepted_extensions)
        if not extension.remote_no_context_takeover:
            window = extension.remote_max_window_bits
            extension.decoder = isal_zlib.decompressobj(wbits=-window)
        return extension


@dataclass
class ClientStats:
    times: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    raw_bytes: int = 0  # uncompressed frame bytes
    wire_start: int = 0
    wire_end: int = 0
    rtts: list[float] = field(default_factory=list)  # ping -> pong, seconds
    error: str | None = None
    group: str = "default"  # the client's kind (app.bench_mix)

    def summary(self) -> dict[str, float]:
        t, e = self.times, self.epochs
        if len(t) < 2:
            return {"fps": 0.0, "gap_p95_ms": float("inf"), "epochs_s": 0.0, "wire_b": 0.0}
        start = t[0]
        windows: dict[int, int] = {}
        for x in t:
            windows[int(x - start)] = windows.get(int(x - start), 0) + 1
        full = [windows.get(i, 0) for i in range(int(t[-1] - start))] or [len(t)]
        gaps = sorted(b - a for a, b in zip(t, t[1:], strict=False))
        frames = len(t)
        return {
            "fps": statistics.median(full),
            "gap_p95_ms": 1000 * gaps[int(0.95 * (len(gaps) - 1))],
            "epochs_s": (e[-1] - e[0]) / (t[-1] - t[0]),
            "wire_b": (self.wire_end - self.wire_start) / frames,
            "raw_b": self.raw_bytes / frames,
            "rtts": self.rtts,
        }


def header_of(message: bytes) -> dict[str, Any]:
    (length,) = struct.unpack_from("<I", message)
    return orjson.loads(memoryview(message)[4 : 4 + length])


async def _pinger(ws: ClientConnection, period: float) -> None:
    """A control message every `period`: its answer time is the loop's responsiveness."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(period)
        await ws.send(json.dumps({"type": "ping", "data": {"t": loop.time()}}))


class Recorder:
    """One client's measurement: from `start` (after the warm-up) until `end`, every frame's
    arrival, epoch (read from its header) and size, and the wire bytes meanwhile."""

    def __init__(self, ws: CountingConnection, stats: ClientStats, start: float, end: float):
        self.ws, self.stats, self.start, self.end = ws, stats, start, end
        self.loop = asyncio.get_running_loop()
        self.last = self.loop.time()  # the last message of any kind

    def frame(self, message: bytes) -> None:
        now = self.last = self.loop.time()
        if not self.start <= now <= self.end:
            return
        stats = self.stats
        if not stats.times:
            stats.wire_start = self.ws.wire_bytes
        stats.times.append(now)
        stats.epochs.append(header_of(message)["epoch"])
        stats.raw_bytes += len(message)
        stats.wire_end = self.ws.wire_bytes

    def text(self, message: str) -> None:
        now = self.last = self.loop.time()
        if message.startswith('{"type":"pong"'):
            if self.start <= now <= self.end:
                self.stats.rtts.append(now - json.loads(message)["data"]["t"])
        elif message.startswith('{"type":"error"'):
            self.stats.error = message[:200]


def connect_client(url: str, compression: str | None) -> Any:
    """A bench client's websocket (`async with`): a CountingConnection, deflate inflated by
    ISA-L unless `compression` is None."""
    return connect(
        url,
        compression=compression,
        extensions=[IsalInflateFactory()] if compression else None,
        create_connection=CountingConnection,
        max_size=2**22,
    )


async def run_client(
    url: str, plan: Plan, seconds: float, stats: ClientStats, compression: str | None
) -> None:
    stats.group = plan.group
    try:
        async with connect_client(url, compression) as ws:
            assert isinstance(ws, CountingConnection)
            await ws.send(json.dumps({"type": "configure", "data": plan.config}))
            if plan.play:
                await ws.send(json.dumps({"type": "play"}))
            loop = asyncio.get_running_loop()
            begin = loop.time()
            recorder = Recorder(ws, stats, begin + WARMUP_SECONDS, begin + WARMUP_SECONDS + seconds)
            ws.on_frame = recorder.frame
            pinger = asyncio.create_task(_pinger(ws, 0.5))
            try:
                # Frames go to the recorder as they arrive; here the texts, and a watch for
                # a server that stopped sending (nothing for STALL_SECONDS is an error).
                while (left := recorder.end - loop.time()) > 0:
                    try:
                        message = await asyncio.wait_for(ws.recv(), min(left, 1.0))
                    except TimeoutError:
                        if loop.time() - recorder.last > STALL_SECONDS:
                            raise
                        continue
                    if isinstance(message, str):
                        recorder.text(message)
            finally:
                pinger.cancel()
    except Exception as exc:  # a benchmark reports failures, it does not stop at the first
        stats.error = repr(exc)


class Server:
    """A `python -m app` subprocess, or an already running server (--url)."""

    def __init__(self, workers: int, url: str | None, env: dict[str, str]) -> None:
        self.server: ServerProcess | None = None
        if url:
            self.url = url
            return
        scratch = Path(tempfile.mkdtemp(prefix="bench-server-"))
        # Its own data directory (never the user's saved sessions and rooms) and balance
        # directory, where it sees the workers come up.
        env = {
            **os.environ,
            **env,
            "PLAYGROUND_LOG_LEVEL": "warning",
            "PLAYGROUND_DATA_DIR": str(scratch / "data"),
            balance.BALANCE_DIR_ENV: str(scratch / "workers"),
        }
        (scratch / "workers").mkdir()
        args = ["--workers", str(workers)]
        self.server = ServerProcess(scratch / "server.log", args=args, env=env).start()
        self.url = self.server.url
        if workers > 1:
            self.wait_for_workers(scratch / "workers", workers)

    def wait_for_workers(self, directory: Path, workers: int) -> None:
        """Until every worker publishes its load (app.balance): /healthz answers as soon as
        one serves, and clients started then all landed on it (one core, 7 fps)."""
        assert self.server is not None
        deadline = time.monotonic() + READY_SECONDS
        while len(balance.published(directory, time.time())) < workers:
            if time.monotonic() > deadline or self.server.process.poll() is not None:
                self.stop()
                raise SystemExit(
                    f"only {len(balance.published(directory, time.time()))} of "
                    f"{workers} workers came up:\n{self.server.log()}"
                )
            time.sleep(balance.PERIOD)

    def tree(self) -> list[Any]:
        if self.server is None:
            return []
        root = require_psutil().Process(self.server.process.pid)
        return [root, *root.children(recursive=True)]

    def rss_mb(self) -> float:
        return sum(p.memory_info().rss for p in self.tree()) / 2**20

    def cpu_seconds(self) -> tuple[float, float]:
        """(user, system) CPU seconds of the whole process tree."""
        times = [p.cpu_times() for p in self.tree()]
        return sum(t.user for t in times), sum(t.system for t in times)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


async def _clients(
    ws_url: str, mine: list[Plan], seconds: float, compression: str | None
) -> list[ClientStats]:
    stats = [ClientStats() for _ in mine]
    pairs = zip(mine, stats, strict=True)
    await asyncio.gather(*(run_client(ws_url, p, seconds, s, compression) for p, s in pairs))
    return stats


def _client_process(
    ws_url: str, mine: list[Plan], seconds: float, compression: str | None
) -> list[ClientStats]:
    return asyncio.run(_clients(ws_url, mine, seconds, compression))


def _busy_seconds(url: str) -> float:
    """The server's scheduler time so far (one worker: the metrics are its own)."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    return sample_values(text)["playground_busy_seconds_total"]


def load(args: argparse.Namespace, server: Server) -> None:
    """Drive the clients from `--client-procs` processes and print the table."""
    config = {**PRESETS[args.preset], **json.loads(args.config)}
    config.update(epochs_per_frame=args.epochs_per_frame, fps=args.fps)
    ws_url = server.url.replace("http", "ws", 1) + "/ws"
    procs = max(1, min(args.client_procs, args.clients))
    everyone = plans(args.clients, config, args.mixed)
    with concurrent.futures.ProcessPoolExecutor(procs) as pool:
        compression = None if args.no_deflate else "deflate"
        futures = [
            pool.submit(_client_process, ws_url, everyone[i::procs], args.seconds, compression)
            for i in range(procs)
        ]
        time.sleep(WARMUP_SECONDS)
        clients = [require_psutil().Process(p.pid) for p in pool._processes.values()]
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        # Only a single worker we started ourselves: /metrics is then the whole server's.
        single = args.workers == 1 and not args.url
        busy0 = _busy_seconds(server.url) if single else 0.0
        steps0 = bench_steps.scrape(server.url, args.workers)
        client_cpu0 = sum(sum(c.cpu_times()[:2]) for c in clients)
        rss = server.rss_mb()
        results = [f.result() for f in futures]
        busy = _busy_seconds(server.url) - busy0 if single else None
        steps = bench_steps.summary(steps0, bench_steps.scrape(server.url, args.workers))
        client_cpu1 = sum(sum(c.cpu_times()[:2]) for c in clients if c.is_running())
        span = time.monotonic() - t0
        user, system = (b - a for a, b in zip(cpu0, server.cpu_seconds(), strict=True))
        cpu_s = user + system
    stats = [s for part in results for s in part]
    rows = [s.summary() for s in stats]
    frames = sum(len(s.times) for s in stats)
    print(
        f"config: {json.dumps(config)}  clients={args.clients} workers={args.workers} "
        f"deflate={'off' if args.no_deflate else 'on'} cohorts={args.cohorts} "
        f"mixed={'on' if args.mixed else 'off'}"
    )
    header = f"{'client':>6} {'fps':>6} {'gap p95 ms':>10} {'epochs/s':>9} {'wire B/frame':>12}"
    print(header + f" {'raw B':>7}")
    for i, row in enumerate(rows if len(rows) <= MAX_TABLE_ROWS else []):
        print(
            f"{i:>6} {row['fps']:>6.1f} {row['gap_p95_ms']:>10.1f} {row['epochs_s']:>9.1f} "
            f"{row['wire_b']:>12.0f} {row.get('raw_b', 0):>7.0f}"
        )
    for group in sorted({s.group for s in stats if s.group != "paused"}):
        mine = [r for s, r in zip(stats, rows, strict=True) if s.group == group]
        print(f"{group} ({len(mine)} clients):")
        for key in ("fps", "gap_p95_ms", "epochs_s", "wire_b"):
            values = sorted(r[key] for r in mine if r["fps"] > 0) or [0.0]
            print(
                f"{key:>12}: min {values[0]:.1f}  p5 {values[int(0.05 * (len(values) - 1))]:.1f}"
                f"  median {statistics.median(values):.1f}  max {values[-1]:.1f}"
            )
    print(
        f"server: CPU {cpu_s / span * 100:.0f}% (100% = one core), RSS {rss:.1f} MB, "
        f"{cpu_s / max(frames, 1) * 1000:.2f} ms CPU per frame received "
        f"({system / max(frames, 1) * 1000:.2f} of it in the kernel); "
        f"bench clients: CPU {(client_cpu1 - client_cpu0) / span * 100:.0f}% "
        f"({(client_cpu1 - client_cpu0) / max(frames, 1) * 1000:.2f} ms per frame)"
    )
    if busy is not None:
        print(
            f"scheduler (training + encoding) {busy / max(frames, 1) * 1000:.2f} ms per frame "
            "received; the rest of the server CPU is sockets, deflate and the event loop"
        )
    print(steps)
    rtts = sorted(r for s in stats for r in s.rtts)
    if rtts:
        p95 = rtts[int(0.95 * (len(rtts) - 1))]
        print(
            f"control message (ping -> pong) over {len(rtts)} pings: median "
            f"{statistics.median(rtts) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
        )
    errors = [s.error for s in stats if s.error]
    print(f"errors: {len(errors)}")
    for error in errors[:5]:
        print("  ", error)


async def memory(levels: list[int], server: Server) -> None:
    ws_url = server.url.replace("http", "ws", 1) + "/ws"
    sockets: list[Any] = []
    base = server.rss_mb()
    print(f"server RSS with no session: {base:.1f} MB")
    for level in levels:
        while len(sockets) < level:
            ws = await connect(ws_url, compression="deflate", max_size=2**22)
            while True:  # hello, dataset, status, first frame: the session is fully built
                if isinstance(await ws.recv(), bytes):
                    break
            sockets.append(ws)
        await asyncio.sleep(1.0)
        rss = server.rss_mb()
        print(
            f"{level:>5} open paused sessions: RSS {rss:.1f} MB "
            f"({(rss - base) / level * 1024:.0f} KB per session)"
        )
    for ws in sockets:
        await ws.close()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m app.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--preset", choices=sorted(PRESETS), default="default")
    p.add_argument("--config", default="{}", help="JSON of extra config fields")
    p.add_argument("--epochs-per-frame", type=int, default=1)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument(
        "--no-deflate", action="store_true", help="clients do not offer permessage-deflate"
    )
    p.add_argument("--client-procs", type=int, default=1, help="processes driving the clients")
    p.add_argument("--url", help="bench a running server instead of starting one")
    p.add_argument("--memory", help="comma-separated session counts, e.g. 1,100,500")
    p.add_argument("--mixed", action="store_true", help="the lecture-hall mix (app.bench_mix)")
    p.add_argument("--cohorts", choices=["on", "off"], default="on", help="cohort training")
    p.add_argument("--compare", type=int, help="a compare of K seeds against a plain session")
    p.add_argument("--compare-variants", help="JSON list of variants for --compare instead")
    args = p.parse_args(argv)
    require_psutil()  # before starting anything
    levels = [int(n) for n in args.memory.split(",")] if args.memory else []
    env = {
        "PLAYGROUND_MAX_SESSIONS": str(max(levels + [args.clients, 1000])),
        "PLAYGROUND_COHORTS": "1" if args.cohorts == "on" else "0",
    }
    server = Server(args.workers, args.url, env)
    try:
        if levels:
            asyncio.run(memory(levels, server))
        elif args.compare or args.compare_variants:
            from app import bench_compare  # imports this module: loaded on demand

            config = {**PRESETS[args.preset], **json.loads(args.config)}
            config.update(epochs_per_frame=args.epochs_per_frame, fps=args.fps)
            bench_compare.run(args, server, config)
        else:
            load(args, server)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
