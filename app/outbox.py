"""One socket's outgoing side: ordered text messages and a one-slot "latest frame" mailbox."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from app.frames import has_array
from app.protocol import CloseCode


class Outbox:
    """What the send loop drains; producers never block and a slow socket never queues frames.

    Text messages (replies, config, dataset, status) are all delivered, in order, before
    any frame. Frames are not queued: a newer frame replaces an unsent one, which is
    counted as dropped. A client that leaves `max_texts` text messages unread is not
    reading at all and is closed.
    """

    def __init__(self, max_texts: int, on_drop: Callable[[], None] = lambda: None) -> None:
        self._texts: deque[str] = deque()
        self._frame: bytes | None = None
        self._ready = asyncio.Event()
        self._max_texts = max_texts
        self._on_drop = on_drop
        self.close_request: tuple[int, str] | None = None
        # The input maps ride only on some frames; until one of those actually went out
        # (not replaced by a newer frame), the session keeps adding them.
        self.needs_inputs = True
        self.frames_sent = 0
        self.frames_dropped = 0
        self.bytes_sent = 0

    def send_text(self, text: str) -> None:
        if self.close_request is not None:
            return
        if len(self._texts) >= self._max_texts:
            self.close(CloseCode.NOT_READING, "too many unread messages")
            return
        self._texts.append(text)
        self._ready.set()

    def offer_frame(self, frame: bytes) -> None:
        if self._frame is not None:
            self.frames_dropped += 1
            self._on_drop()
        self._frame = frame
        self._ready.set()

    def discard_frame(self) -> None:
        self._frame = None

    @property
    def frame_pending(self) -> bool:
        """A frame is waiting for the socket: the client has not caught up yet."""
        return self._frame is not None

    def skip_frame(self) -> None:
        """A frame was not even built because the previous one is still waiting."""
        self.frames_dropped += 1
        self._on_drop()

    def close(self, code: int, reason: str) -> None:
        """Ask the send loop to close the socket with this code once it wakes."""
        if self.close_request is None:
            self.close_request = (int(code), reason)
        self._ready.set()

    async def next(self) -> str | bytes | None:
        """The next thing to send: texts first, then the latest frame; None means close."""
        while True:
            if self.close_request is not None:
                return None
            if self._texts:
                return self._texts.popleft()
            if self._frame is not None:
                frame, self._frame = self._frame, None
                if self.needs_inputs and has_array(frame, "inputs"):
                    self.needs_inputs = False
                return frame
            self._ready.clear()
            await self._ready.wait()
