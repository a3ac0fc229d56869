"""Abuse check: the high-severity attacks of issue 11 against a real server (not a test).

    python -m app.abuse --seconds 10
    python -m app.abuse --seconds 20 --attacks cpu,sockets

While one normal session (from 127.0.0.1) plays the default network, each attack runs in
turn for `--seconds` from 127.0.0.2 (another client address on loopback), after `none`,
the normal session alone (the baseline on this machine as loaded as it is):

- `bodies`: three 200 MB request bodies at once to POST /api/snapshots (one with its length
  declared, two chunked), again and again;
- `cpu`: the largest allowed network playing while a weight is dragged (55 `set_weight`
  a second) and `regenerate` is sent 5 times a second;
- `sockets`: new sockets as fast as the server takes them, all held open.

Reported per attack: the normal session's frames per second, the server's peak RSS against
its idle RSS, and the event loop as the server itself measured it (app.loop_watch): how late
a 50 ms sleep woke (p50, p95, max: what other sessions wait, this script's own CPU use on the
shared cores included) and the longest single callback, in the loop thread's CPU time (what
our code held the loop for, whatever the machine's load). Goal: >= 25 fps, a peak RSS under
2x idle, no hold past ~50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.launch import ServerProcess, bench_import

ATTACKER = "127.0.0.2"


def _psutil() -> Any:
    return bench_import("psutil", "python -m app.abuse measures the server's memory with psutil")


MAX_CONFIG: dict[str, Any] = {
    "dataset": "spiral",
    "num_points": 2000,
    "hidden": [16] * 8,
    "features": ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"],
    "grid_size": 200,
    "thumb_size": 50,
}
BODY_BYTES = 200 * 1024 * 1024
Attack = Callable[[str, asyncio.Event], Awaitable[str]]


def message(kind: str, data: Any = None) -> str:
    return json.dumps({"type": kind, "data": data if data is not None else {}})


async def drain(ws: Any, stop: asyncio.Event, on_frame: Callable[[], None] = lambda: None):
    """Read everything the server sends until `stop` (a client that reads, as a page does)."""
    while not stop.is_set():
        try:
            item = await asyncio.wait_for(ws.recv(), 0.5)
        except TimeoutError:
            continue
        except ConnectionClosed:
            return
        if isinstance(item, bytes):
            on_frame()


async def normal_session(ws_url: str, stop: asyncio.Event, frames: list[float]) -> None:
    """The default network, playing; the arrival time of every frame goes into `frames`."""
    async with connect(ws_url, max_size=None) as ws:
        await ws.send(message("play"))
        await drain(ws, stop, lambda: frames.append(time.monotonic()))


async def no_attack(target: str, stop: asyncio.Event) -> str:
    """The baseline: the normal session alone, on this machine as loaded as it is now."""
    await stop.wait()
    return "baseline"


async def cpu_attack(ws_url: str, stop: asyncio.Event) -> str:
    """Item 2: the most expensive session, edited as fast as the rate limit allows."""
    sent = 0
    async with connect(ws_url, max_size=None, local_addr=(ATTACKER, 0)) as ws:
        await ws.send(message("configure", MAX_CONFIG))
        await ws.send(message("play"))
        reader = asyncio.create_task(drain(ws, stop))
        while not stop.is_set():
            value = (sent % 40) / 10 - 2
            await ws.send(
                message("set_weight", {"layer": 1, "source": 0, "target": 0, "value": value})
            )
            if sent % 11 == 0:
                await ws.send(message("regenerate"))
            sent += 1
            await asyncio.sleep(1 / 55)
        await reader
    return f"{sent} set_weight sent"


async def body_attack(base_url: str, stop: asyncio.Event) -> str:
    """Item 1: huge bodies, three at a time, streamed in 1 MB chunks."""
    host, port = base_url.removeprefix("http://").split(":")
    answers: list[str] = []

    async def one(chunked: bool) -> None:
        while not stop.is_set():
            reader, writer = await asyncio.open_connection(
                host, int(port), local_addr=(ATTACKER, 0)
            )
            length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY_BYTES}"
            head = (
                f"POST /api/snapshots HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Content-Type: application/json\r\n{length}\r\n\r\n"
            )
            writer.write(head.encode())
            piece = b" " * (1 << 20)
            chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
            try:
                for _ in range(BODY_BYTES // len(piece)):
                    if stop.is_set():
                        break
                    writer.write(chunk)
                    await asyncio.wait_for(writer.drain(), 5)
            except (OSError, TimeoutError):
                pass  # refused: the server stopped reading
            try:
                status = await asyncio.wait_for(reader.readline(), 5)
                answers.append(status.decode().split(" ")[1] if status else "closed")
            except (OSError, TimeoutError, IndexError):
                answers.append("reset")
            writer.close()

    await asyncio.gather(one(False), one(True), one(True))
    counts = {a: answers.count(a) for a in sorted(set(answers))}
    return f"answers {counts}"


async def socket_attack(ws_url: str, stop: asyncio.Event) -> str:
    """Item 3: open sockets as fast as possible and hold them."""
    held: list[Any] = []
    readers: list[asyncio.Task[None]] = []
    refused = 0
    try:
        while not stop.is_set():
            ws = await connect(ws_url, max_size=None, local_addr=(ATTACKER, 0))
            try:
                json.loads(await ws.recv())  # hello
            except ConnectionClosed:
                refused += 1  # SERVER_FULL: a per-address limit
                continue
            held.append(ws)
            # Read in the background so the server never closes us as NOT_READING.
            readers.append(asyncio.create_task(drain(ws, stop)))
    finally:
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in held), return_exceptions=True)
    return f"{len(held)} sockets accepted, {refused} closed by the server"


def loop_report(base_url: str) -> dict[str, Any]:
    """What the server's loop watch measured since the last read (app.loop_watch)."""
    with urllib.request.urlopen(base_url + "/debug/loop", timeout=30) as r:
        return json.loads(r.read())


async def run_attack(
    name: str, attack: Attack, target: str, ws_url: str, seconds: float, pid: int
) -> dict[str, Any]:
    frames: list[float] = []
    normal_stop, attack_stop = asyncio.Event(), asyncio.Event()
    normal = asyncio.create_task(normal_session(ws_url, normal_stop, frames))
    await asyncio.sleep(2.0)  # settle: the normal session is playing
    process = _psutil().Process(pid)
    base_url = ws_url.replace("ws://", "http://").removesuffix("/ws")
    loop_report(base_url)  # from here on
    start = time.monotonic()
    attacking = asyncio.create_task(attack(target, attack_stop))
    peak = 0
    while time.monotonic() - start < seconds:
        peak = max(peak, process.memory_info().rss)
        await asyncio.sleep(0.1)
    attack_stop.set()
    detail = await attacking
    end = time.monotonic()
    loop = loop_report(base_url)
    normal_stop.set()
    await normal
    fps = sum(1 for t in frames if start <= t <= end) / (end - start)
    return {"attack": name, "fps": fps, "peak_rss": peak, "loop": loop, "detail": detail}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def loop_line(loop: dict[str, Any]) -> str:
    """The server's loop lag (a 50 ms sleep's lateness) and its longest callback."""
    return (
        f"loop lag p50 {ms(loop['lag_p50'])} p95 {ms(loop['lag_p95'])} max {ms(loop['lag_max'])}"
        f", longest hold {ms(loop['hold_max_cpu'])} CPU ({ms(loop['hold_max_wall'])} wall)"
    )


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="playground-abuse-") as tmp:
        server = ServerProcess(
            Path(tmp) / "server.log",
            env={
                **os.environ,
                "PLAYGROUND_DATA_DIR": tmp,
                "PLAYGROUND_GRACE_SECONDS": "5",
                "PLAYGROUND_LOOP_WATCH": "true",
            },
        ).start()
        try:
            process = _psutil().Process(server.process.pid)
            await asyncio.sleep(1.0)
            idle = process.memory_info().rss
            print(f"server idle RSS {idle / 2**20:.0f} MB")
            attacks: dict[str, tuple[Attack, str]] = {
                "none": (no_attack, server.url),
                "bodies": (body_attack, server.url),
                "cpu": (cpu_attack, server.ws_url),
                "sockets": (socket_attack, server.ws_url),
            }
            results = []
            for name in args.attacks.split(","):
                attack, target = attacks[name]
                result = await run_attack(
                    name, attack, target, server.ws_url, args.seconds, server.process.pid
                )
                result["idle_rss"] = idle
                results.append(result)
                print(
                    f"{name:8s} normal session {result['fps']:5.1f} fps | peak RSS "
                    f"{result['peak_rss'] / 2**20:.0f} MB ({result['peak_rss'] / idle:.2f}x idle)"
                    f" | {loop_line(result['loop'])} | {result['detail']}"
                )
                if args.verbose:
                    for held in result["loop"]["longest"]:
                        print(
                            f"         held {ms(held['cpu'])} CPU, {ms(held['wall'])} wall: "
                            f"{held['what']}"
                        )
                await asyncio.sleep(6.0)  # the attacker's detached sessions expire (grace 5 s)
            return results
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m app.abuse", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=10.0, help="per attack (default 10)")
    p.add_argument("--attacks", default="none,bodies,cpu,sockets", help="comma separated")
    p.add_argument("-v", "--verbose", action="store_true", help="name the longest loop holds")
    asyncio.run(main_async(p.parse_args(argv)))


if __name__ == "__main__":
    main()
