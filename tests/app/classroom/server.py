"""A real uvicorn server in a subprocess for the classroom tests, and a websocket client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import websockets

from app.classroom.framestamp import expand
from app.frames import decode
from app.launch import ServerProcess


class Server(ServerProcess):
    """`python -m app` on a free port with its own data directory."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        # Many tests create rooms from one address; the creation limit has its own test.
        env = {
            **os.environ,
            "PLAYGROUND_DATA_DIR": str(data_dir),
            "PLAYGROUND_ROOM_CREATIONS": "1000",
            **env,
        }
        super().__init__(data_dir / "server.log", env=env)

    @property
    def base(self) -> str:
        return self.url

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def post(self, path: str, body: dict | None = None) -> tuple[int, Any]:
        data = json.dumps(body or {}).encode()
        req = urllib.request.Request(self.base + path, data=data, method="POST")
        req.add_header("content-type", "application/json")
        return self._open(req)

    def get(self, path: str) -> tuple[int, Any, dict[str, str]]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def _open(self, req: urllib.request.Request) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def new_room(self) -> dict[str, Any]:
        status, room = self.post("/api/rooms")
        assert status == 200, room
        return room


def run(main: Any) -> Any:
    """asyncio.run(main), closing every Client it opened (no socket outlives a test)."""

    async def wrapper() -> Any:
        try:
            return await main
        finally:
            await Client.close_all()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wrapper())
    # Playwright's sync API keeps a loop running in this thread: run ours beside it.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, wrapper()).result()


# A safety net only: every wait returns when its message comes (see tests/app/test_live_server).
WAIT = 60.0


class Client:
    """A room websocket that records every message; await what you expect."""

    opened: list[Client] = []

    def __init__(self, ws: Any, label: str) -> None:
        Client.opened.append(self)
        self.ws = ws
        self.label = label
        self.texts: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []  # decoded headers, with the arrival time
        self.arrays: list[dict[str, Any]] = []  # each frame's decoded arrays
        self.zframes = 0  # how many frames came compressed
        self.payload_bytes = 0  # every message's bytes as sent (before permessage-deflate)
        self.closed: tuple[int, str] | None = None
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def join(
        cls, server: Server, code: str, *, source: str | None = None, **data: Any
    ) -> Client:
        """Join a room; `source` is the client's own address (127.0.0.2 is another client)."""
        extra = {"local_addr": (source, 0)} if source else {}
        ws = await websockets.connect(f"{server.ws}/ws/room/{code}", compression=None, **extra)
        # The server may refuse before reading the join (unknown code): the reader records it.
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.send(json.dumps({"type": "join", "data": data}))
        return cls(ws, data.get("name") or "instructor")

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                raw = message if isinstance(message, bytes) else message.encode()
                self.payload_bytes += len(raw)
                if isinstance(message, bytes):
                    self.zframes += message[:64].find(b'"zframe"') >= 0
                    header, arrays = decode(expand(message))
                    header["received_at"] = time.time() * 1000
                    self.frames.append(header)
                    self.arrays.append(arrays)
                else:
                    self.texts.append(json.loads(message))
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        self.closed = (self.ws.close_code or 1006, self.ws.close_reason or "")
        self._changed.set()

    async def send(self, kind: str, **data: Any) -> None:
        await self.ws.send(json.dumps({"type": kind, "data": data}))

    async def until(self, predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
        """Wait until predicate() is truthy (re-checked on every message); return its value."""
        async with asyncio.timeout(timeout):
            while not (value := predicate()):
                self._changed.clear()
                await self._changed.wait()
        return value

    async def text(self, kind: str, where: Callable[[dict], bool] = lambda d: True, after=0):
        """The first text message of `kind` (from index `after`) whose data satisfies where."""

        def find():
            for m in self.texts[after:]:
                if m["type"] == kind and where(m["data"]):
                    return m["data"]
            return None

        return await self.until(find)

    async def closing(self) -> tuple[int, str]:
        return await self.until(lambda: self.closed)

    def types(self) -> list[str]:
        return [m["type"] for m in self.texts]

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._task, return_exceptions=True)

    @classmethod
    async def close_all(cls) -> None:
        clients, cls.opened = cls.opened, []
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
