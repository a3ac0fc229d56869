"""The per-process session registry: create, resume within the grace period, expire, limits."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable

import numpy as np

from app.mailbox import Mailbox
from app.protocol import CloseCode
from app.session import Session
from app.settings import Settings


class SessionUnknown(LookupError):
    """The id to resume does not exist here (never did, expired, or lives in another worker)."""


class ServerFull(RuntimeError):
    """The process holds `max_sessions` sessions (detached ones within their grace included)."""


class Registry:
    """Sessions by id; a session outlives its socket for `grace_seconds`, then it is freed."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], float] = time.monotonic,
        on_play: Callable[[Session], None] = lambda session: None,
        on_epochs: Callable[[int], None] = lambda n: None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.on_play = on_play
        self.on_epochs = on_epochs
        self.sessions: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self.sessions)

    def create(self) -> Session:
        if len(self.sessions) >= self.settings.max_sessions:
            self.expire()
        if len(self.sessions) >= self.settings.max_sessions:
            raise ServerFull(
                f"this server holds its limit of {self.settings.max_sessions} sessions"
            )
        session_id = secrets.token_urlsafe(16)
        rng = np.random.default_rng(secrets.randbits(128))
        session = Session(session_id, self.settings, rng)
        session.on_play = self.on_play
        session.on_epochs = self.on_epochs
        session.detached_since = self.clock()  # until a socket attaches
        self.sessions[session_id] = session
        return session

    def resume(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None or self._expired(session, self.clock()):
            if session is not None:
                del self.sessions[session_id]
                session.playing = session.frame_requested = False
            raise SessionUnknown(f"session {session_id[:40]!a} is unknown or expired")
        return session

    def attach(self, session: Session, mailbox: Mailbox) -> None:
        """Make `mailbox` the session's socket; an earlier socket is closed as REPLACED."""
        for old in session.subscribers:
            old.close(CloseCode.REPLACED, "this session was opened by another connection")
        session.subscribers = [mailbox]
        session.detached_since = None
        if session.playing:
            session.set_playing(False)
            session.set_playing(True)

    def detach(self, session: Session, mailbox: Mailbox) -> None:
        """The socket left; the session waits `grace_seconds` for it (training stops meanwhile)."""
        if mailbox in session.subscribers:
            session.subscribers.remove(mailbox)
        if not session.subscribers:
            session.detached_since = self.clock()

    def expire(self) -> int:
        """Free every session detached for longer than the grace period; how many were freed."""
        now = self.clock()
        gone = [sid for sid, s in self.sessions.items() if self._expired(s, now)]
        for sid in gone:
            # Nothing to do any more: the scheduler forgets it too.
            session = self.sessions.pop(sid)
            session.playing = session.frame_requested = False
        return len(gone)

    def _expired(self, session: Session, now: float) -> bool:
        since = session.detached_since
        return since is not None and now - since > self.settings.grace_seconds

    def counts(self) -> dict[str, int]:
        attached = sum(1 for s in self.sessions.values() if s.subscribers)
        playing = sum(1 for s in self.sessions.values() if s.playing and s.subscribers)
        return {
            "sessions": len(self.sessions),
            "sessions_attached": attached,
            "sessions_playing": playing,
        }

    async def run_expiry(self, period: float = 1.0) -> None:
        while True:
            await asyncio.sleep(min(period, max(self.settings.grace_seconds / 4, 0.01)))
            self.expire()
