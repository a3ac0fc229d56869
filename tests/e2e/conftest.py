"""Browser fixtures: Debian's Chromium driven by Playwright against a real server.

`pg` opens the page (a fresh session on `shared_live_server`, one real server for the whole
run) and records every websocket message the page sends and receives (`pg.wire`), so tests
confirm UI actions through what the server says.
Chromium missing is a failure with a clear message, never a skip.
"""

from __future__ import annotations

import json
import os
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, WebSocket, sync_playwright

from app.bench_page import CHROMIUM, CHROMIUM_ARGS
from app.classroom.framestamp import ZFRAME, expand
from tests.app.classroom.server import Server
from tests.conftest import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Every wait is for a state (a message, a frame, an element) and returns when it holds; this
# is the safety net. Play to epoch 150 takes 5 s at 30 fps, but more than 20 s when seven
# engineers load the 2 cores (load 17 to 26): the server, Chromium and the test share them.
WAIT_SECONDS = 60.0


@dataclass
class Frame:
    """A binary frame as the page received it: the JSON header and the raw payload."""

    header: dict[str, Any]
    payload: bytes

    def array(self, name: str) -> np.ndarray:
        spec = next(a for a in self.header["arrays"] if a["name"] == name)
        count = int(np.prod(spec["shape"]))
        data = np.frombuffer(
            self.payload,
            dtype=np.dtype(spec["dtype"]).newbyteorder("<"),
            count=count,
            offset=spec["offset"],
        )
        return data.reshape(spec["shape"])

    def has(self, name: str) -> bool:
        return any(a["name"] == name for a in self.header["arrays"])


def parse_frame(data: bytes) -> Frame:
    """A frame as the page draws it: a room's compressed `zframe` is expanded first."""
    (length,) = struct.unpack_from("<I", data)
    header = json.loads(data[4 : 4 + length])
    if header.get("type") == ZFRAME:
        return parse_frame(expand(data))
    return Frame(header, data[4 + length :])


@dataclass
class Wire:
    """Every message over the page's websockets, in order."""

    page: Page
    received: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    events: list[dict[str, Any] | Frame] = field(default_factory=list)  # both, in arrival order
    sockets: list[WebSocket] = field(default_factory=list)

    def attach(self, ws: WebSocket) -> None:
        self.sockets.append(ws)
        ws.on("framereceived", self._received)
        ws.on("framesent", lambda payload: self.sent.append(json.loads(payload)))

    def _received(self, payload: str | bytes) -> None:
        item = parse_frame(payload) if isinstance(payload, bytes) else json.loads(payload)
        (self.frames if isinstance(item, Frame) else self.received).append(item)
        self.events.append(item)

    def wait(self, what: str, predicate: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
        """Let the page run until predicate() is truthy; Playwright delivers events meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            self.page.wait_for_timeout(20)

    def messages(self, kind: str) -> list[dict[str, Any]]:
        return [m["data"] for m in self.received if m["type"] == kind]

    def mark(self) -> tuple[int, int, int]:
        """A position in the record: later waits look only at what came after it."""
        return len(self.received), len(self.frames), len(self.sent)

    def config_after(
        self, mark: tuple[int, int, int], check: Callable[[dict], bool], what: str
    ) -> dict:
        """The first `config` echo after `mark` whose config satisfies `check`."""

        def found() -> dict | None:
            for m in self.received[mark[0] :]:
                if m["type"] == "config" and check(m["data"]["config"]):
                    return m["data"]["config"]
            return None

        return self.wait(f"a config echo with {what}", found)

    def message_after(
        self, mark: tuple[int, int, int], kind: str, check: Callable[[dict], bool] = lambda d: True
    ) -> dict:
        def found() -> dict | None:
            for m in self.received[mark[0] :]:
                if m["type"] == kind and check(m["data"]):
                    return m["data"]
            return None

        return self.wait(f"a {kind} message", found)

    def frame_after(
        self, mark: tuple[int, int, int], check: Callable[[Frame], bool] = lambda f: True
    ) -> Frame:
        def found() -> Frame | None:
            for f in self.frames[mark[1] :]:
                if check(f):
                    return f
            return None

        return self.wait("a matching frame", found)

    def frame_following(self, kind: str, check: Callable[[dict], bool], since: int = 0) -> Frame:
        """The first frame that arrived after the first `kind` message satisfying `check`
        (looking from `since`, a count of events)."""

        def found() -> Frame | None:
            seen = False
            for item in self.events[since:]:
                if isinstance(item, Frame):
                    if seen:
                        return item
                elif item["type"] == kind and check(item["data"]):
                    seen = True
            return None

        return self.wait(f"a frame after a matching {kind}", found)

    def last_config(self) -> dict:
        for m in reversed(self.received):
            if m["type"] in ("config", "hello"):
                return m["data"]["config"]
        raise AssertionError("no config received yet")


@pytest.fixture
def room_server(tmp_path):
    """A real server with its classroom storage in a temporary data directory."""
    server = Server(tmp_path / "data").start()
    try:
        yield server
    finally:
        server.stop()


# Package scope: Playwright's sync API runs an event loop in this thread while the browser is
# open; closing it when tests/e2e ends keeps asyncio.run() working in tests collected after it.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install -y chromium); the browser tests must run, not skip."
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


# What a page sends when its new session's hello arrives, to get what its URL asks for.
ASKED_ON_HELLO = ("configure", "restore")


class PageUnderTest:
    """The page, its websocket record, and the console errors it logged."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.wire = Wire(page)
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        page.on("websocket", self.wire.attach)
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))

    def open(self, hash_: str = "") -> PageUnderTest:
        """Loads the page and waits for the first frame to be drawn."""
        self.page.goto(f"{self.base_url}/{'#' + hash_ if hash_ else ''}")
        self.wire.wait("the hello message", lambda: self.wire.messages("hello"))
        self.page.wait_for_function("() => window.playground && window.playground.page.last")
        if any(m["type"] in ASKED_ON_HELLO for m in self.wire.sent):
            # The page asked for its URL's network on hello; the frame drawn so far may be of
            # the session's defaults. Wait for the answer (its config, or an error), so that
            # what a test marks next never includes it (its `status` says epoch 0, paused).
            self.wire.wait("the answer to the URL's config", self._answered)
        return self

    def _answered(self) -> bool:
        """The server answered the page's configure or restore: an error, or a config
        followed by a frame of it."""
        answer = None
        for item in self.wire.events:
            if answer is None:
                if not isinstance(item, Frame) and item["type"] in ("config", "error"):
                    answer = item["type"]
                    if answer == "error":
                        return True
            elif isinstance(item, Frame):
                return True
        return False

    def epoch(self) -> int:
        return self.wire.frames[-1].header["epoch"]

    def train_to(self, epoch: int, press: Callable[[str], None] | None = None) -> None:
        """Plays with the page's button (clicked, or `press`ed) until a frame reaches
        `epoch`, then pauses, and waits for the frame the pause asks for: the last one, so
        `epoch()` is then the epoch the page ends on (a frame may follow the status)."""
        press = press or self.page.click
        mark, since = self.wire.mark(), len(self.wire.events)
        press("[data-action=play]")
        self.wire.frame_after(mark, lambda f: f.header["epoch"] >= epoch)
        press("[data-action=play]")
        self.wire.frame_following("status", lambda d: d["state"] == "paused", since)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., PageUnderTest]]:
    """Opens pages (each in its own browser context) on a server URL; checks and closes them."""
    opened: list[tuple[Any, PageUnderTest]] = []

    def make(url: str, **context_options: Any) -> PageUnderTest:
        context_options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(accept_downloads=True, **context_options)
        page = context.new_page()
        page.set_default_timeout(WAIT_SECONDS * 1000)
        under_test = PageUnderTest(page, url)
        opened.append((context, under_test))
        return under_test

    try:
        yield make
        for _, under_test in opened:
            assert not under_test.page_errors, (
                f"uncaught errors in the page: {under_test.page_errors}"
            )
            assert not under_test.console_errors, f"console errors: {under_test.console_errors}"
    finally:
        for context, _ in opened:
            context.close()


@pytest.fixture
def pg(new_page: Callable[..., PageUnderTest], shared_live_server: LiveServer) -> PageUnderTest:
    """The page on the session's shared server (tests/conftest.py), not loaded yet (call
    `.open(hash)`); a page only needs a fresh session, not a server of its own."""
    return new_page(shared_live_server.url)
