"""One socket attached to one session: a receive loop and a send loop as two tasks (no FastAPI)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from app import handlers, protocol
from app.metrics import Metrics
from app.outbox import Outbox
from app.protocol import CloseCode, ProtocolError
from app.session import Session
from app.settings import Settings

log = logging.getLogger(__name__)

Receive = Callable[[], Awaitable[str | bytes | None]]  # None: the client went away
Send = Callable[[str | bytes], Awaitable[None]]


class TokenBucket:
    """`rate` tokens per second up to `burst`; take() is False when empty."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.stamp = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Connection:
    """Reads client messages into the session and writes the outbox to the socket."""

    def __init__(
        self,
        session: Session,
        outbox: Outbox,
        settings: Settings,
        metrics: Metrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.outbox = outbox
        self.settings = settings
        self.metrics = metrics
        self.messages = TokenBucket(settings.messages_per_second, settings.message_burst, clock)
        self.errors = TokenBucket(1.0, settings.max_errors, clock)

    def reply(self, message: dict[str, Any]) -> None:
        """A message for this socket only (errors, pong, state)."""
        self.outbox.send_text(json.dumps(message, separators=(",", ":"), allow_nan=False))

    async def run(self, receive: Receive, send: Send) -> tuple[int, str] | None:
        """Serve until the client leaves (None) or we must close it (code, reason)."""
        receiving = asyncio.create_task(self._receive_loop(receive))
        sending = asyncio.create_task(self._send_loop(send))
        tasks = {receiving, sending}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
        # asyncio.wait, unlike gather, lets our own cancellation through unchanged.
        await asyncio.wait(tasks)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                log.debug("socket task ended: %r", task.exception())
        return self.outbox.close_request

    async def _receive_loop(self, receive: Receive) -> None:
        while self.outbox.close_request is None:
            raw = await receive()
            if raw is None:
                return
            await self.handle(raw)

    async def handle(self, raw: str | bytes) -> None:
        """Validate and apply one client message; a bad one is answered with `error`."""
        self.metrics.messages += 1
        request: str | None = None
        try:
            if not self.messages.take():
                raise ProtocolError(
                    "rate_limited",
                    f"more than {self.settings.messages_per_second:g} messages per second; "
                    "this one was ignored",
                )
            if isinstance(raw, bytes):
                raise ProtocolError("invalid_message", "messages are text JSON, not binary")
            if len(raw) * 4 > self.settings.max_message_bytes and (
                len(raw.encode()) > self.settings.max_message_bytes
            ):
                raise ProtocolError(
                    "too_large",
                    f"a message may be at most {self.settings.max_message_bytes} bytes",
                )
            message = protocol.parse(raw)
            request = message.type
            await handlers.handle(self.session, message, self.reply)
        except ProtocolError as exc:
            self._error(exc, request)
        except Exception:
            log.exception("message %s failed in session %s", request, self.session.id)
            self._error(
                ProtocolError("internal_error", "the server failed on this message"), request
            )

    def _error(self, exc: ProtocolError, request: str | None) -> None:
        self.metrics.errors += 1
        self.reply(protocol.error(exc, request))
        if not self.errors.take():
            self.outbox.close(CloseCode.TOO_MANY_ERRORS, "too many invalid messages")

    async def _send_loop(self, send: Send) -> None:
        while True:
            item = await self.outbox.next()
            if item is None:
                return
            await send(item)
            if isinstance(item, bytes):
                self.outbox.frames_sent += 1
                self.metrics.frames_sent += 1
