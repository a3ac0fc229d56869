"""What every request passes before a route sees it: body limits, the Origin check, the
500 page, and session ids kept out of the logs (docs/protocol.md "HTTP limits")."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyTooLarge(Exception):
    """The request body passed its limit while streaming in."""


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: 413 as soon as the declared or the received length passes the limit.

    Nothing past the limit is ever buffered: a Content-Length above it is refused before
    the body is read, and a chunked body is counted as it arrives (uvicorn reads the socket
    only as fast as the app asks, so the rest stays unread in the kernel).
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        detail = f"the request body may be at most {limit} bytes on {scope['path']}"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _refuse(send, 400, "Content-Length must be a number of bytes")
                return
            if int(declared) > limit:
                await _refuse(send, 413, detail)
                return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, 413, detail)


def same_origin(origin: str, scope: Scope) -> bool:
    """Is `origin` the server's own (its Host header, any scheme)?"""
    host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
    parts = urlsplit(origin)
    return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host


class OriginCheck:
    """ASGI middleware: a browser request from another site may not change anything.

    State-changing HTTP methods and every websocket handshake that carry an `Origin` must
    come from the server's own origin or one of `Settings.allowed_origins`: else 403 (a
    refused websocket handshake is a 403 too). Requests without an Origin (curl, scripts,
    same-origin GETs) pass: browsers always send it where it matters.
    """

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        guarded = kind == "websocket" or (kind == "http" and scope["method"] not in SAFE_METHODS)
        origin = dict(scope.get("headers", [])).get(b"origin") if guarded else None
        if origin is not None:
            text = origin.decode("latin-1").rstrip("/").lower()
            if text not in self.allowed and not same_origin(text, scope):
                if kind == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                else:
                    await _refuse(send, 403, f"requests from origin {text[:100]!r} are refused")
                return
        await self.app(scope, receive, send)


def install_guards(app, settings: Settings, headers: list[tuple[bytes, bytes]]) -> None:
    """Add the body limit and Origin check, and a 500 answer that carries `headers`."""
    share_paths = ("/api/snapshots",)

    def limit_for(path: str) -> int:
        return settings.max_share_bytes if path in share_paths else settings.max_body_bytes

    app.add_middleware(OriginCheck, allowed=settings.origins())
    app.add_middleware(BodyLimit, limit_for=limit_for)

    async def internal_error(request: Request, exc: Exception) -> Response:
        # Starlette sends this from its outermost layer, past every other middleware.
        plain = {k.decode(): v.decode() for k, v in headers}
        return PlainTextResponse("Internal Server Error", 500, headers=plain)

    app.add_exception_handler(Exception, internal_error)
    redact_session_ids()


SESSION_IN_URL = re.compile(r"(session=)[^&\s\"']+")


class RedactSessionIds(logging.Filter):
    """Replace `session=<id>` in log lines (uvicorn logs `/ws?session=...`) by `session=…`.

    A session id is a bearer token: whoever has it can take the session over.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                SESSION_IN_URL.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str) and "session=" in record.msg:
            record.msg = SESSION_IN_URL.sub(r"\1…", record.msg)
        return True


def redact_session_ids() -> None:
    """Filter the uvicorn loggers that print request paths (idempotent)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSessionIds) for f in logger.filters):
            logger.addFilter(RedactSessionIds())
