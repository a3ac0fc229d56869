"""The one socket pipeline of `/ws` and `/ws/room/{code}` (no FastAPI).

A receive loop and a send loop as two tasks. The receive loop rate-limits, checks size and
envelope, hands each message to the socket's `dispatch` and answers every refused one with
an `error`; the send loop drains the socket's `Mailbox`. The solo socket dispatches to its
session, a room socket to its seat in the room (`app.classroom.seat`): the rest is this.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from app import protocol
from app.mailbox import Mailbox
from app.metrics import Metrics
from app.options import check_socket_view
from app.protocol import CloseCode, Message, ProtocolError
from app.settings import Settings

log = logging.getLogger(__name__)

Receive = Callable[[], Awaitable[str | bytes | None]]  # None: the client went away
Send = Callable[[str | bytes], Awaitable[None]]
Reply = Callable[[dict[str, Any]], None]
Dispatch = Callable[[Message, Reply], Awaitable[None]]

# Messages about the socket itself, handled here for solo and room sockets alike.
SOCKET_MESSAGES = ("view",)
DRAIN_SECONDS = 2.0  # how long a closing socket may take to send its last texts


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
    """Reads client messages into `dispatch` and writes the mailbox to the socket."""

    def __init__(
        self,
        mailbox: Mailbox,
        settings: Settings,
        metrics: Metrics,
        dispatch: Dispatch,
        *,
        types: Mapping[str, bool] = protocol.MESSAGE_TYPES,
        label: str = "socket",
        refusal_close: CloseCode | None = None,
        on_sent: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mailbox = mailbox
        self.settings = settings
        self.metrics = metrics
        self.dispatch = dispatch
        self.types = types
        self.label = label  # names the socket in log lines (never a session id)
        # Set: every refused message closes the socket with this code (a room socket that
        # has not joined yet); otherwise only `ProtocolError.close` or a spent budget does.
        self.refusal_close = refusal_close
        self.on_sent = on_sent  # told the payload bytes of every message written
        self.messages = TokenBucket(settings.messages_per_second, settings.message_burst, clock)
        self.errors = TokenBucket(1.0, settings.max_errors, clock)

    def reply(self, message: dict[str, Any]) -> None:
        """A message for this socket only (errors, pong, state)."""
        self.mailbox.send_text(protocol.encode(message))

    async def run(self, receive: Receive, send: Send) -> tuple[int, str] | None:
        """Serve until the client leaves (None) or we must close it (code, reason)."""
        receiving = asyncio.create_task(self._receive_loop(receive))
        sending = asyncio.create_task(self._send_loop(send))
        tasks = {receiving, sending}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if self.mailbox.closed and not sending.done():
                # Our close: the last texts (the error, `kicked`...) go out first, briefly.
                receiving.cancel()
                await asyncio.wait({sending}, timeout=DRAIN_SECONDS)
        finally:
            for task in tasks:
                task.cancel()
        # asyncio.wait, unlike gather, lets our own cancellation through unchanged.
        await asyncio.wait(tasks)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                log.debug("%s: socket task ended: %r", self.label, task.exception())
        close = self.mailbox.close_request
        if close is not None:
            log.warning("%s: closed with %d (%s)", self.label, *close)
        return close

    async def _receive_loop(self, receive: Receive) -> None:
        while not self.mailbox.closed:
            raw = await receive()
            if raw is None:
                return
            await self.handle(raw)
            # Messages that arrived together are handled one loop turn each: a burst of them
            # (55 edits a second and a `regenerate`) never holds the loop for all at once.
            await asyncio.sleep(0)

    async def handle(self, raw: str | bytes) -> None:
        """Validate and dispatch one client message; a refused one is answered with `error`."""
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
            message = protocol.parse(raw, self.types)
            request = message.type
            if message.type in SOCKET_MESSAGES:  # this socket's own view, whatever it serves
                self.mailbox.max_fps = check_socket_view(message.data).get(
                    "max_fps", self.mailbox.max_fps
                )
                return
            await self.dispatch(message, self.reply)
        except ProtocolError as exc:
            self.refuse(exc, request)
        except Exception:
            log.exception("%s: message %s failed", self.label, request)
            self.refuse(
                ProtocolError("internal_error", "the server failed on this message"), request
            )

    def refuse(self, exc: ProtocolError, request: str | None = None) -> None:
        """Answer with `error`; close if the error says so or the error budget is spent."""
        self.metrics.errors += 1
        log.warning("%s: %s on %s: %s", self.label, exc.code, request, exc.message[:120])
        self.reply(protocol.error(exc, request))
        close = exc.close or self.refusal_close
        if close is not None:
            self.mailbox.close(close, exc.message[:120])
        elif not self.errors.take():
            self.mailbox.close(CloseCode.TOO_MANY_ERRORS, "too many invalid messages")

    async def _send_loop(self, send: Send) -> None:
        while True:
            item = await self.mailbox.next()
            if item is None:
                return
            await send(item)
            if isinstance(item, bytes):
                self.mailbox.frames_sent += 1
                self.metrics.frames_sent += 1
            if self.on_sent is not None:
                self.on_sent(len(item) if isinstance(item, bytes) else len(item.encode()))
