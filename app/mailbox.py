"""One socket's outgoing side, for `/ws` and room sockets alike: texts in order, frames latest-wins.

Producers (a session, a room's broker, the receive loop's replies) never block, and a slow
socket never queues frames:
- text messages are sent in order, all of them, before any frame; a text offered under a
  key (a room's `config`, `room`, `roster`...) replaces the unsent one of that key;
- a frame replaces the unsent frame of its key (counted as dropped). The frame that carries
  the input maps (sent once per rebuild) has its own key, and so does one that carries
  thumbnails (sent only when they changed, app.snapshot), so a newer frame without them
  never drops them; unsent frames go oldest first;
- a client that leaves `max_texts` texts unread is not reading at all and is closed;
- a socket that asked for `max_fps` (a `view` message: a phone that draws fewer frames than
  the session makes) gets frames at most that often; the one held back is the newest, so
  the last state (a pause's frame) still goes out, at most 1/max_fps late.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable

from app.frames import has_array
from app.protocol import CloseCode

Payload = bytes | str  # bytes: a binary frame; str: a JSON text message
FRAME_KEYS = ("frame", "frame_inputs", "frame_neurons")


def frame_key(frame: bytes) -> str:
    """The mailbox key of a frame: `frame_inputs` for one carrying the input maps, else
    `frame_neurons` for one carrying thumbnails, else `frame`."""
    if has_array(frame, "inputs"):
        return FRAME_KEYS[1]
    return FRAME_KEYS[2] if has_array(frame, "neurons") else FRAME_KEYS[0]


class Mailbox:
    """What the send loop drains; also the session's `Subscriber` and the broker's `Sink`."""

    def __init__(
        self,
        max_texts: int = 256,
        on_drop: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._texts: dict[object, str] = {}  # insertion-ordered; int slots are unkeyed
        self._frames: dict[str, bytes] = {}
        self._unkeyed = 0
        self._serial = itertools.count()
        self._ready = asyncio.Event()
        self._max_texts = max_texts
        self._on_drop = on_drop
        self.close_request: tuple[int, str] | None = None
        self.frames_sent = 0
        self.frames_dropped = 0
        self.max_fps: int | None = None  # frames a second this socket takes at most
        self._clock = clock
        self._frame_slot = 0.0  # clock() before which no frame goes out (with max_fps)

    # -- offering ---------------------------------------------------------------------------

    def offer(self, payload: Payload, key: str | None = None) -> None:
        """Queue a text (latest-wins under a key) or a frame (latest-wins per key)."""
        if self.close_request is not None:
            return
        if isinstance(payload, bytes):
            key = key or frame_key(payload)
            if self._frames.pop(key, None) is not None:
                self._dropped()
            self._frames[key] = payload
        elif key is None:
            if self._unkeyed >= self._max_texts:
                self._texts.clear()  # nobody reads them: closing must not wait for them
                self.close(CloseCode.NOT_READING, "too many unread messages")
                return
            self._unkeyed += 1
            self._texts[next(self._serial)] = payload
        else:
            self._texts.pop(key, None)  # re-inserted last: order follows the newest version
            self._texts[key] = payload
        self._ready.set()

    def send_text(self, text: str) -> None:
        self.offer(text)

    def offer_frame(self, frame: bytes) -> None:
        self.offer(frame)

    def discard(self, key: str) -> None:
        """Drop the unsent message of this key, if any."""
        self._frames.pop(key, None)
        self._texts.pop(key, None)

    def discard_frame(self) -> None:
        """A frame of the old network shape must never follow the new `config`."""
        for key in FRAME_KEYS:
            self._frames.pop(key, None)

    def clear(self) -> None:
        """Drop everything unsent (the socket switches what it watches)."""
        self._texts.clear()
        self._frames.clear()
        self._unkeyed = 0

    @property
    def frame_pending(self) -> bool:
        """A frame is waiting for the socket: the client has not caught up yet."""
        return FRAME_KEYS[0] in self._frames or FRAME_KEYS[2] in self._frames

    def skip_frame(self) -> None:
        """A frame was not even built because the previous one is still waiting."""
        self._dropped()

    def _dropped(self) -> None:
        self.frames_dropped += 1
        self._on_drop()

    # -- closing and draining ---------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self.close_request is not None

    def close(self, code: int, reason: str) -> None:
        """Accept nothing more; the send loop sends the queued texts, then closes with code."""
        if self.close_request is None:
            self.close_request = (int(code), reason)
            self._frames.clear()
        self._ready.set()

    def __len__(self) -> int:
        return len(self._texts) + len(self._frames)

    async def next(self) -> Payload | None:
        """The next thing to send: texts first, then the oldest frame; None: close now."""
        while True:
            if self._texts:
                slot = next(iter(self._texts))
                if isinstance(slot, int):
                    self._unkeyed -= 1
                return self._texts.pop(slot)
            if self.close_request is not None:
                return None
            wait = self._frame_wait() if self._frames else None
            if wait == 0:
                key = next(iter(self._frames))
                return self._frames.pop(key)
            self._ready.clear()
            if wait is None:
                await self._ready.wait()
            else:  # a text, or the end of the wait, whichever comes first
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._ready.wait(), wait)

    def _frame_wait(self) -> float:
        """Seconds before a frame may go out (max_fps); 0: now, and the next slot is booked."""
        if self.max_fps is None:
            return 0
        now, interval = self._clock(), 1 / self.max_fps
        if now < self._frame_slot:
            return self._frame_slot - now
        # A frame late by up to one interval lets the next one come sooner: the rate holds
        # on average (frames come on the session's own beat, not on this socket's).
        self._frame_slot = max(self._frame_slot, now - interval) + interval
        return 0
