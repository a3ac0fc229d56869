"""Classroom benchmark: one instructor playing, N followers; per-follower fps and latency.

    python -m app.classroom.bench --followers 200 --seconds 20
    python -m app.classroom.bench --followers 200 --processes 2   # through Redis

Starts a real server (unless --url), creates a room, connects the instructor and N
followers over real websockets (permessage-deflate on, as browsers negotiate it), plays
for --seconds and reports, per follower, the frames received per second and the
end-to-end latency of each frame (the room stamps `sent_at` into the frame header once,
when it fans the frame out; followers run on the same host, so the clocks agree). It also
times instructor changes (a learning-rate edit) until every follower has the new config.
Targets (issue): >= 20 fps per follower and p95 latency <= 250 ms at 200 followers.

With --wall, N students play their own runs instead and the class wall's cost on their
frame rates is measured (app/classroom/bench_wall.py):

    python -m app.classroom.bench --wall --students 100 --seconds 20

With --processes N (N > 1) it starts N servers sharing one Redis (--redis-url, else a
`redis-server` of its own on a free port): the room is created on, and the instructor
connects to, the first; follower i connects to server i mod N, so the frames of the
others' followers cross Redis. CPU is reported per server process and summed, and
`relay` tells what the crossing costs frame by frame: the share of the first server's
frames that reached each other server's followers, and how much later a frame first
arrived there than at the first server's followers (little of the clients' own queues).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import websockets

from app.classroom.framestamp import ZFRAME, expand
from app.launch import ServerProcess, free_port

TARGET_FPS = 20.0
TARGET_P95_MS = 250.0


@dataclass
class Follower:
    frames: int = 0  # frames received while recording
    latencies: list[float] = field(default_factory=list)  # ms, frame sent_at -> received
    arrivals: dict[float, float] = field(default_factory=dict)  # frame sent_at -> received
    changes: dict[float, float] = field(default_factory=dict)  # learning rate -> ms to arrive


def now_ms() -> float:
    return time.time() * 1000.0


def header_of(message: bytes) -> dict[str, Any]:
    """The frame's header (a `zframe` is expanded first, as the page does)."""
    length = int.from_bytes(message[:4], "little")
    header = json.loads(message[4 : 4 + length])
    if header.get("type") == ZFRAME:
        return header_of(expand(message))
    return header


class Bench:
    def __init__(
        self,
        base: str,
        followers: int,
        seconds: float,
        compression: bool,
        server_pid: int | None = None,
        others: tuple[tuple[str, int | None], ...] = (),  # more servers: (base, pid)
    ) -> None:
        self.base = base
        self.server_pid = server_pid
        self.cpu: dict[str, Any] = {}
        self.ws_bases = [b.replace("http", "ws", 1) for b in (base, *(o[0] for o in others))]
        pids = (server_pid, *(o[1] for o in others))
        self.server_pids = [pid for pid in pids if pid is not None]
        self.n = followers
        self.seconds = seconds
        self.compression = "deflate" if compression else None
        self.recording = False
        self.stats = [Follower() for _ in range(followers)]
        self.sent_changes: dict[float, float] = {}  # learning rate -> wall ms when sent
        self.ready = 0
        self.all_ready = asyncio.Event()
        self.room_frames = 0

    async def connect(self, join: dict[str, Any], server: int = 0) -> Any:
        ws = await websockets.connect(
            f"{self.ws_bases[server]}/ws/room/{self.code}",
            compression=self.compression,
            max_size=None,
            open_timeout=60,
        )
        await ws.send(json.dumps({"type": "join", "data": join}))
        return ws

    async def follow(self, i: int) -> None:
        stats = self.stats[i]
        ws = await self.connect({"name": f"bench {i}"}, i % len(self.ws_bases))
        first = True
        try:
            async for message in ws:
                t = now_ms()
                if isinstance(message, bytes):
                    if first:
                        first = False
                        self.ready += 1
                        if self.ready == self.n:
                            self.all_ready.set()
                    if self.recording:
                        stats.frames += 1
                        sent = header_of(message).get("sent_at")
                        if sent is not None:
                            stats.latencies.append(t - sent)
                            stats.arrivals[sent] = t
                elif message.startswith('{"type":"config"'):
                    lr = json.loads(message)["data"]["config"]["learning_rate"]
                    if lr in self.sent_changes and lr not in stats.changes:
                        stats.changes[lr] = t - self.sent_changes[lr]
        except websockets.ConnectionClosed:
            pass

    async def run(self) -> dict[str, Any]:
        with urllib.request.urlopen(
            urllib.request.Request(self.base + "/api/rooms", method="POST"), timeout=30
        ) as response:
            room = json.loads(response.read())
        self.code = room["code"]
        teacher = await self.connect({"secret": room["secret"]})
        counter = asyncio.create_task(self._count_room_frames(teacher))
        tasks = []
        for start in range(0, self.n, 25):  # connect in waves, as a class arrives
            for i in range(start, min(start + 25, self.n)):
                tasks.append(asyncio.create_task(self.follow(i)))
            await asyncio.sleep(0.05)
        await asyncio.wait_for(self.all_ready.wait(), 120)
        await teacher.send(json.dumps({"type": "configure", "data": {"fps": 30}}))
        await teacher.send(json.dumps({"type": "play"}))
        await asyncio.sleep(1.0)  # warm-up
        self.recording = True
        self.room_frames = 0
        cpu0 = self._cpu()
        started = time.perf_counter()
        lr_values = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]
        step = self.seconds / (len(lr_values) + 1)
        for lr in lr_values:
            await asyncio.sleep(step)
            self.sent_changes[lr] = now_ms()
            await teacher.send(json.dumps({"type": "configure", "data": {"learning_rate": lr}}))
        await asyncio.sleep(max(0.0, self.seconds - (time.perf_counter() - started)))
        self.recording = False
        elapsed = time.perf_counter() - started
        cpu1 = self._cpu()
        self.cpu = {k: np.round((cpu1[k] - cpu0[k]) / elapsed, 2).tolist() for k in cpu0}
        await teacher.send(json.dumps({"type": "pause"}))
        await teacher.close()
        counter.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, counter, return_exceptions=True)
        return self.report(elapsed)

    def _cpu(self) -> dict[str, Any]:
        """CPU seconds used so far by the bench's clients and (if known) the servers: all
        of them (`server_cores`) and, with several, each (`server_cores_each`)."""
        used: dict[str, Any] = {"bench_clients_cores": time.process_time()}
        if self.server_pids:
            try:
                import psutil  # the `bench` extra: report server CPU only where it is installed
            except ImportError:
                return used
            times = [psutil.Process(pid).cpu_times() for pid in self.server_pids]
            each = np.array([t.user + t.system for t in times])
            used["server_cores"] = float(each.sum())
            if len(each) > 1:
                used["server_cores_each"] = each
        return used

    async def _count_room_frames(self, teacher: Any) -> None:
        async for message in teacher:
            if isinstance(message, bytes) and self.recording:
                self.room_frames += 1

    def report(self, elapsed: float) -> dict[str, Any]:
        fps = np.array([s.frames / elapsed for s in self.stats])
        lat = np.concatenate([np.array(s.latencies) for s in self.stats] or [np.zeros(0)])
        changes = np.array([v for s in self.stats for v in s.changes.values()])
        missing = sum(len(self.sent_changes) - len(s.changes) for s in self.stats)
        pct = lambda a, q: round(float(np.percentile(a, q)), 1) if a.size else None  # noqa: E731
        result = {
            "followers": self.n,
            "seconds": round(elapsed, 2),
            "compression": self.compression or "none",
            "instructor_fps": round(self.room_frames / elapsed, 1),
            "follower_fps": {
                "min": round(float(fps.min()), 1),
                "p5": pct(fps, 5),
                "median": pct(fps, 50),
            },
            "frame_latency_ms": {
                "p50": pct(lat, 50),
                "p95": pct(lat, 95),
                "p99": pct(lat, 99),
                "max": pct(lat, 100),
            },
            "change_latency_ms": {"p50": pct(changes, 50), "p95": pct(changes, 95)},
            "changes_missing": missing,
            "cpu": self.cpu,
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        if len(self.ws_bases) > 1:  # followers of server k: k, k + N, k + 2N...
            n = len(self.ws_bases)
            result["processes"] = n
            result["follower_fps_median_by_server"] = [pct(fps[k::n], 50) for k in range(n)]
            result["frame_latency_p95_ms_by_server"] = [
                pct(np.concatenate([np.array(s.latencies) for s in self.stats[k::n]]), 95)
                for k in range(n)
            ]
            result["relay"] = relay_hop(self.stats, n)
        server_cores = self.cpu.get("server_cores")
        if server_cores:
            # Load-independent capacity: the server is one event loop, so one core at most.
            sends_per_cpu_s = float(fps.sum()) / server_cores
            result["server_frame_sends_per_cpu_second"] = round(sends_per_cpu_s)
            result["fps_per_follower_at_one_full_core"] = round(sends_per_cpu_s / self.n, 1)
        result["meets_target"] = bool(
            fps.min() >= TARGET_FPS and lat.size and np.percentile(lat, 95) <= TARGET_P95_MS
        )
        return result


def relay_hop(stats: list[Follower], n: int) -> dict[str, Any]:
    """What crossing Redis costs, frame by frame, and little of the clients' own queues:
    each frame's first arrival at a follower of server k > 0 (relayed) minus its first
    arrival at a follower of server 0 (the live run's), and the share of server 0's
    frames that reached server k's followers at all."""
    first = [{} for _ in range(n)]
    for i, s in enumerate(stats):
        group = first[i % n]
        for sent, t in s.arrivals.items():
            group[sent] = min(t, group.get(sent, t))
    owner, relayed = first[0], first[1:]
    extra = np.array([g[k] - owner[k] for g in relayed for k in g.keys() & owner.keys()])
    seen = [len(g.keys() & owner.keys()) / max(1, len(owner)) for g in relayed]
    pct = lambda q: round(float(np.percentile(extra, q)), 1) if extra.size else None  # noqa: E731
    return {
        "frames_relayed_share": [round(x, 3) for x in seen],
        "first_arrival_extra_ms": {"p50": pct(50), "p95": pct(95)},
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m app.classroom.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--followers", type=int, default=200)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--url", help="bench a running server instead of starting one")
    p.add_argument("--no-compression", action="store_true", help="followers refuse deflate")
    p.add_argument("--server-pid", type=int, help="with --url: report this process's CPU")
    p.add_argument("--wall", action="store_true", help="students on own runs feed a class wall")
    p.add_argument("--students", type=int, default=100, help="with --wall: how many")
    p.add_argument("--rounds", type=int, default=4, help="with --wall: closed/open turns")
    p.add_argument("--processes", type=int, default=1, help="servers sharing one Redis")
    p.add_argument("--redis-url", help="with --processes > 1: this Redis, not one of our own")
    args = p.parse_args(argv)
    clients = args.students if args.wall else args.followers
    servers: list[ServerProcess] = []
    redis = None
    base = args.url
    with tempfile.TemporaryDirectory(prefix="classroom-bench-") as data_dir:
        try:
            if base is None:
                env = {
                    **os.environ,
                    "PLAYGROUND_DATA_DIR": data_dir,
                    "PLAYGROUND_MAX_STUDENTS": str(max(clients, 200)),
                    "PLAYGROUND_ROOM_JOINS": str(max(clients, 100)),
                    "PLAYGROUND_LOG_LEVEL": "warning",
                }
                if args.processes > 1:
                    url = args.redis_url
                    if url is None:
                        redis, url = start_redis(Path(data_dir))
                    env["PLAYGROUND_REDIS_URL"] = url
                for i in range(args.processes):
                    log = Path(data_dir) / f"server-{i}.log"
                    servers.append(ServerProcess(log, env=env).start())
                base = servers[0].url
            pids = [s.process.pid if s.process else None for s in servers] or [args.server_pid]
            kind, extra = Bench, {}
            if args.wall:
                from app.classroom.bench_wall import WallBench as kind

                extra = {"rounds": args.rounds}
            else:  # followers spread over the servers (one unless --processes)
                extra = {"others": tuple((s.url, s.process.pid) for s in servers[1:] if s.process)}
            bench = kind(
                base.rstrip("/"),
                clients,
                args.seconds,
                not args.no_compression,
                server_pid=pids[0],
                **extra,
            )
            result = asyncio.run(bench.run())  # WallBench.run: the wall's report
        finally:
            for server in servers:
                server.stop()
            if redis is not None:
                redis.terminate()
                redis.wait(10)
    print(json.dumps(result, indent=2))


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Debian's redis-server on a free loopback port, keeping nothing on disk."""
    try:
        import redis as redis_client  # the `redis` extra, needed for --processes only
    except ImportError:
        raise SystemExit("--processes needs: pip install 'nn-playground-server[redis]'") from None
    path = shutil.which("redis-server")
    if path is None:
        raise SystemExit(
            "--processes needs redis-server (apt-get install redis-server) or --redis-url"
        )
    port = free_port()
    args = [path, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(directory)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            redis_client.Redis.from_url(url).ping()
            return process, url
        except redis_client.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise SystemExit("redis-server did not start") from None
            time.sleep(0.05)


if __name__ == "__main__":
    main()
