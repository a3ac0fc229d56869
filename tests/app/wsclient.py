"""Test helpers: an in-process app and a websocket client that reads the protocol."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from app import frames
from app.main import create_app
from app.settings import Settings


@dataclass
class Frame:
    header: dict[str, Any]
    arrays: dict[str, np.ndarray]
    size: int


class Client:
    """Reads `{type, data}` texts and binary frames from a TestClient websocket."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.texts: list[dict[str, Any]] = []  # every text message received, in order

    def send(self, kind: str, data: Any = None, *, raw: str | None = None) -> None:
        if raw is not None:
            self.ws.send_text(raw)
        elif data is None:
            self.ws.send_text(json.dumps({"type": kind}))
        else:
            self.ws.send_text(json.dumps({"type": kind, "data": data}))

    def receive(self) -> dict[str, Any] | Frame:
        message = self.ws.receive()
        if message["type"] == "websocket.close":
            raise Closed(message.get("code"), message.get("reason", ""))
        if message.get("bytes") is not None:
            header, arrays = frames.decode(message["bytes"])
            return Frame(header, arrays, len(message["bytes"]))
        parsed = json.loads(message["text"])
        self.texts.append(parsed)
        return parsed

    def expect(self, kind: str) -> dict[str, Any]:
        """The data of the next text message of `kind` (frames and other texts skipped)."""
        while True:
            message = self.receive()
            if isinstance(message, dict) and message["type"] == kind:
                return message["data"]

    def frame(self) -> Frame:
        """The next binary frame."""
        while True:
            message = self.receive()
            if isinstance(message, Frame):
                return message

    def frame_where(self, predicate: Any, limit: int = 10_000) -> Frame:
        for _ in range(limit):
            frame = self.frame()
            if predicate(frame):
                return frame
        raise AssertionError("no frame matched")

    def roundtrip(self) -> list[dict[str, Any] | Frame]:
        """Everything received until the server answers a ping (it handles messages in order)."""
        self.send("ping", {"t": "sync"})
        seen = []
        while True:
            message = self.receive()
            if isinstance(message, dict) and message["type"] == "pong":
                return seen
            seen.append(message)

    def error(self) -> dict[str, Any]:
        return self.expect("error")


class Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


@contextlib.contextmanager
def running_app(**settings: Any) -> Iterator[TestClient]:
    """A fresh app (lifespan running) with Settings overrides."""
    app = create_app(Settings(**settings))
    with TestClient(app) as client:
        yield client


@contextlib.contextmanager
def connect(client: TestClient, session: str | None = None) -> Iterator[tuple[Client, dict]]:
    """Open /ws (or resume `session`); yields the client and the hello data."""
    path = "/ws" if session is None else f"/ws?session={session}"
    with client.websocket_connect(path) as ws:
        c = Client(ws)
        hello = c.expect("hello")
        yield c, hello
