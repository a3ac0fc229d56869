"""A socket's stand-in for tests that drive a `Session` directly: it keeps what it is sent."""

from __future__ import annotations

from app import frames


class Recorder:
    """A subscriber that decodes every frame it is offered and never has one pending."""

    frame_pending = False

    def __init__(self) -> None:
        self.headers: list[dict] = []
        self.texts: list[str] = []

    def send_text(self, text: str) -> None:
        self.texts.append(text)

    def offer_frame(self, frame: bytes) -> None:
        self.headers.append(frames.decode(frame)[0])

    def discard_frame(self) -> None: ...
