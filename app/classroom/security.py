"""Security headers on every HTTP response: a CSP that runs only our own scripts.

Who may embed the pages in a frame follows the `frame_ancestors` setting (default 'self':
same origin only), so a notebook or a course page can show the playground when the
operator lists its origin.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.framing import frame_sources

# The page's only inline <script> is a type=application/json bootstrap block, which is
# data and not executed, so script-src needs nothing beyond 'self'. connect-src 'self'
# covers the same-origin websocket. Styles may be set from our scripts (element.style).
POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)


def content_security_policy(frame_ancestors: str = "'self'") -> str:
    """The CSP header value with `frame-ancestors` from the setting."""
    return "; ".join([*POLICY, "frame-ancestors " + " ".join(frame_sources(frame_ancestors))])


def security_headers(frame_ancestors: str = "'self'") -> list[tuple[bytes, bytes]]:
    """Every security header, for the `frame_ancestors` setting.

    X-Frame-Options, for browsers without CSP frame-ancestors, can only say DENY or
    SAMEORIGIN: SAMEORIGIN unless the setting is 'none'. Browsers that know
    frame-ancestors ignore it, so a listed origin may embed the page there.
    """
    deny = frame_sources(frame_ancestors) == ["'none'"]
    return [
        (b"content-security-policy", content_security_policy(frame_ancestors).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),  # a room URL with #secret never leaks via Referer
        (b"x-frame-options", b"DENY" if deny else b"SAMEORIGIN"),
    ]


class SecurityHeaders:
    """ASGI middleware: adds `headers` to HTTP responses that do not set them already."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.app = app
        self.headers = headers if headers is not None else security_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
