"""`python -m app.bench --compare K`: what a compare of K variants costs (not a test).

One server, two phases of `--seconds` each after a warm-up: a plain session playing the
bench config, then a session of the same config running a compare of K variants (the seeds
form: K seeds; `--compare-variants JSON` for a list of field changes instead) with its own
run paused. Each phase prints the frames a second its client received, the epochs a second
of the run (of each variant), and the server's CPU per frame (psutil over the process tree);
then the ratio of the compare's CPU per frame to the plain session's. Figures taken on a
shared machine are indicative only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from websockets.asyncio.client import connect

from app.bench import WARMUP_SECONDS, Server, header_of


async def _drive(ws_url: str, setup: list[dict[str, Any]], kind: str, seconds: float) -> dict:
    """Send `setup`, then count frames of header type `kind` for `seconds` after a warm-up."""
    times: list[float] = []
    epochs: list[int] = []
    async with connect(ws_url, compression="deflate", max_size=2**22) as ws:
        for message in setup:
            await ws.send(json.dumps(message))
        loop = asyncio.get_running_loop()
        begin = loop.time()
        while loop.time() - begin <= WARMUP_SECONDS + seconds:
            message = await asyncio.wait_for(ws.recv(), 10)
            if isinstance(message, str):
                if message.startswith('{"type":"error"'):
                    raise RuntimeError(message[:300])
                continue
            header = header_of(message)
            now = loop.time()
            if header["type"] == kind and now - begin >= WARMUP_SECONDS:
                times.append(now)
                epochs.append(header["epoch"])
    return {"times": times, "epochs": epochs}


def _phase(server: Server, setup: list[dict[str, Any]], kind: str, seconds: float) -> dict:
    ws_url = server.url.replace("http", "ws", 1) + "/ws"
    cpu0 = sum(server.cpu_seconds())
    start = time.monotonic()
    seen = asyncio.run(_drive(ws_url, setup, kind, seconds))
    span = time.monotonic() - start
    cpu = sum(server.cpu_seconds()) - cpu0
    t, e = seen["times"], seen["epochs"]
    if len(t) < 2:
        raise RuntimeError(f"fewer than 2 {kind} frames in {seconds} s")
    windows: dict[int, int] = {}
    for x in t:
        windows[int(x - t[0])] = windows.get(int(x - t[0]), 0) + 1
    full = [windows.get(i, 0) for i in range(int(t[-1] - t[0]))] or [len(t)]
    # The server's CPU over the whole phase (warm-up included) per frame of that phase.
    frames_all = len(t) * span / max(t[-1] - t[0], 1e-9)
    return {
        "fps": statistics.median(full),
        "epochs_s": (e[-1] - e[0]) / (t[-1] - t[0]),
        "cpu_per_frame_ms": 1000 * cpu / max(frames_all, 1.0),
        "cpu_percent": 100 * cpu / span,
    }


def run(args: argparse.Namespace, server: Server, config: dict[str, Any]) -> None:
    """Both phases, and the comparison."""
    configure = {"type": "configure", "data": config}
    plain = _phase(server, [configure, {"type": "play"}], "frame", args.seconds)
    if args.compare_variants:
        start = {"action": "start", "variants": json.loads(args.compare_variants)}
    else:
        start = {"action": "start", "seeds": args.compare}
    count = len(start.get("variants", [])) or args.compare
    setup = [configure, {"type": "compare", "data": start}]
    compare = _phase(server, setup, "compare", args.seconds)
    print(f"config: {json.dumps(config)}  compare: {json.dumps(start)}")
    print(f"{'session':>22} {'fps':>6} {'epochs/s':>9} {'server CPU':>10} {'CPU/frame':>10}")
    for name, row in (("plain", plain), (f"compare of {count}", compare)):
        print(
            f"{name:>22} {row['fps']:>6.1f} {row['epochs_s']:>9.1f} "
            f"{row['cpu_percent']:>9.0f}% {row['cpu_per_frame_ms']:>8.2f}ms"
        )
    ratio = compare["cpu_per_frame_ms"] / max(plain["cpu_per_frame_ms"], 1e-9)
    print(
        f"compare / plain: {ratio:.2f}x server CPU per frame for {count} variants "
        f"({ratio / count:.2f}x per variant); each variant trains "
        f"{compare['epochs_s'] / max(plain['epochs_s'], 1e-9):.2f}x the epochs/s of the plain "
        "run (goal: >= 25 fps and >= 1x). Indicative only on a shared machine."
    )
