"""The per-process session registry: create, resume within the grace period, expire, limits."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np

from app import budget, session_state
from app.connection import TokenBucket
from app.mailbox import Mailbox
from app.protocol import ProtocolError
from app.saved_sessions import SavedSessions
from app.session import Session
from app.session_store import MINE
from app.settings import Settings

NEAR_FULL = 0.9  # from this share of max_sessions on, detached sessions go after reclaim_seconds
MAX_TRACKED_ADDRESSES = 10_000


class SessionUnknown(LookupError):
    """The id to resume does not exist here (never did, expired, or lives in another worker)."""


class ServerFull(RuntimeError):
    """The process holds `max_sessions` sessions (detached ones within their grace included),
    or the client's address holds its share, or opens sockets too fast."""


class Registry:
    """Sessions by id; a session outlives its socket for `grace_seconds`, then it is freed."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], float] = time.monotonic,
        on_play: Callable[[Session], None] = lambda session: None,
        on_epochs: Callable[[int], None] = lambda n: None,
        competitors: Callable[[], int] = lambda: 1,
        saved: SavedSessions | None = None,
        contended: Callable[[Session], bool] = lambda session: False,
    ) -> None:
        self.settings = settings
        self.saved = saved  # shared storage of solo sessions (None: this process's memory only)
        self.clock = clock
        self.on_play = on_play
        self.on_epochs = on_epochs
        self.competitors = competitors  # sessions wanting CPU now (the scheduler's demand)
        self.contended = contended  # does another session than this one want CPU now?
        self.sessions: dict[str, Session] = {}
        self.per_address: dict[str, int] = {}  # sessions held by each client address
        self._arrivals: dict[str, TokenBucket] = {}  # new sockets per address
        self.memory_bytes = 0  # the sum of the sessions' memory estimates
        self.comparing: set[str] = set()  # sessions whose compare trains (app.compare)

    def __len__(self) -> int:
        return len(self.sessions)

    def admit(self, address: str) -> None:
        """ServerFull if `address` opens sockets faster than connections_per_minute."""
        bucket = self._arrivals.get(address)
        if bucket is None:
            if len(self._arrivals) >= MAX_TRACKED_ADDRESSES:
                self._forget_idle_addresses()
            rate = self.settings.connections_per_minute / 60.0
            bucket = TokenBucket(rate, self.settings.connection_burst, self.clock)
            self._arrivals[address] = bucket
        if not bucket.take():
            raise ServerFull(
                f"too many connections from your address: at most "
                f"{self.settings.connections_per_minute} a minute after "
                f"{self.settings.connection_burst}; try again in a few seconds"
            )

    def _forget_idle_addresses(self) -> None:
        now = self.clock()
        full = [
            a for a, b in self._arrivals.items() if b.tokens + (now - b.stamp) * b.rate >= b.burst
        ]
        for address in full:
            del self._arrivals[address]

    def create(self, address: str = "", session_id: str | None = None) -> Session:
        limit = self.settings.max_sessions
        if len(self.sessions) >= NEAR_FULL * limit:
            self.expire()
        if len(self.sessions) >= limit:
            raise ServerFull(f"this server holds its limit of {limit} sessions")
        per_address = self.settings.max_sessions_per_address
        if address and self.per_address.get(address, 0) >= per_address:
            raise ServerFull(
                f"your address holds its limit of {per_address} sessions; close a tab or try later"
            )
        session_id = session_id or secrets.token_urlsafe(16)
        rng = np.random.default_rng(secrets.randbits(128))
        session = Session(session_id, self.settings, rng)
        session.address = address
        session.on_play = self.on_play
        session.on_epochs = self.on_epochs
        session.on_reserve = self.reserve
        session.on_compare = self.compare_changed
        session.cpu.competitors = self.competitors
        session.contended = self.contended
        session.offload = _spawn
        session.detached_since = self.clock()  # until a socket attaches
        self.sessions[session_id] = session
        if address:
            self.per_address[address] = self.per_address.get(address, 0) + 1
        self.memory_bytes += session.memory_bytes
        return session

    def reserve(self, session: Session, new_bytes: int) -> None:
        """Let `session` grow (or shrink) to `new_bytes`, or ProtocolError past the budget."""
        budget_bytes = self.settings.memory_budget_mb * budget.BYTES_PER_MB
        total = self.memory_bytes - session.memory_bytes + new_bytes
        if new_bytes > session.memory_bytes and total > budget_bytes:
            free = max(0.0, budget_bytes - (self.memory_bytes - session.memory_bytes))
            raise ProtocolError(
                "over_budget",
                f"this configuration needs about {budget.megabytes(new_bytes)} and the "
                f"server has {budget.megabytes(free)} of its memory budget left: use fewer "
                "points, neurons, features or a smaller grid, or try later",
            )
        if session.id in self.sessions:
            self.memory_bytes = total
        session.memory_bytes = new_bytes

    def compare_changed(self, session: Session, training: bool) -> None:
        """A session's compare started or stopped training: it wants CPU or no longer."""
        if training:
            self.comparing.add(session.id)
        else:
            self.comparing.discard(session.id)

    def remove(self, session: Session) -> None:
        """Forget a session now (its socket or room is gone for good)."""
        if self.sessions.pop(session.id, None) is None:
            return
        session.playing = session.frame_requested = False
        if session.compare is not None:  # its task ends with it
            session.compare.stop()
        self.comparing.discard(session.id)
        self.memory_bytes -= session.memory_bytes
        address = session.address
        if address:
            left = self.per_address.get(address, 1) - 1
            if left > 0:
                self.per_address[address] = left
            else:
                self.per_address.pop(address, None)

    async def resume(self, session_id: str, address: str = "") -> Session:
        """The session `session_id`: this worker's own copy, or the one in shared storage
        (saved by another worker or host, or before a restart); else SessionUnknown."""
        unknown = SessionUnknown(f"session {session_id[:40]!a} is unknown or expired")
        local = self.sessions.get(session_id)
        if local is not None and self._expired(local, self.clock()):
            self.expire()  # the stored copy goes too, unless another worker has taken it
            local = None
        if self.saved is None:
            if local is None:
                raise unknown
            return local
        found = await self.saved.claim(session_id, local)
        if found == MINE and self.sessions.get(session_id) is local:
            return local
        if not isinstance(found, tuple):
            raise unknown
        state, trainer = found
        stale = self.sessions.get(session_id)  # an older copy: the stored one is newer
        if stale is not None:
            stale.close_replaced()
            self.remove(stale)
        session = self.create(address, session_id)
        try:
            session_state.apply(session, state, trainer, self.settings)
        except ProtocolError as exc:
            self.remove(session)
            raise SessionUnknown(f"session cannot resume on this server: {exc.message}") from None
        session.solo = True
        session.saved_marker = None  # saved again once attached (the store then says so)
        session.saved_at = time.monotonic()  # app.saved_sessions times saves so
        return session

    def attach(self, session: Session, mailbox: Mailbox) -> None:
        """Make `mailbox` the session's socket; an earlier socket is closed as REPLACED."""
        session.close_replaced()
        session.subscribers = [mailbox]
        session.resend_maps()  # the new socket has no thumbnails yet
        session.detached_since = None
        session.solo = True
        if self.saved is not None and session.saved_marker is None:
            self.saved.save_soon(session, self)  # stored at once: any worker can resume it
        if session.playing:
            session.set_playing(False)
            session.set_playing(True)

    def detach(self, session: Session, mailbox: Mailbox) -> None:
        """The socket left; the session waits `grace_seconds` for it (training stops meanwhile)."""
        if mailbox in session.subscribers:
            session.subscribers.remove(mailbox)
        if not session.subscribers:
            session.detached_since = self.clock()
            if session.solo and self.saved is not None:
                self.saved.save_soon(session, self)

    def expire(self) -> int:
        """Free every session detached for longer than the grace period; how many were freed."""
        now = self.clock()
        gone = [s for s in self.sessions.values() if self._expired(s, now)]
        for session in gone:
            self.remove(session)  # not playing any more: the scheduler forgets it too
            if session.solo and self.saved is not None:
                self.saved.forget_soon(session)
        return len(gone)

    def _expired(self, session: Session, now: float) -> bool:
        """Detached past the grace period; past reclaim_seconds when the server is near full."""
        since = session.detached_since
        if since is None:
            return False
        grace = self.settings.grace_seconds
        if len(self.sessions) >= NEAR_FULL * self.settings.max_sessions:
            grace = min(grace, self.settings.reclaim_seconds)
        return now - since > grace

    def counts(self) -> dict[str, int]:
        attached = sum(1 for s in self.sessions.values() if s.subscribers)
        playing = [s for s in self.sessions.values() if s.playing and s.subscribers]
        return {
            "sessions": len(self.sessions),
            "sessions_attached": attached,
            "sessions_playing": len(playing),
            # Playing sessions whose last training slice ran in a cohort (app.cohorts).
            "sessions_in_cohorts": sum(1 for s in playing if s.cohort_size > 1),
            "cohort_largest": max((s.cohort_size for s in playing), default=0),
            "sessions_memory_bytes": self.memory_bytes,
        }

    async def run_expiry(self, period: float = 1.0) -> None:
        while True:
            await asyncio.sleep(min(period, max(self.settings.grace_seconds / 4, 0.01)))
            self.expire()


def _spawn(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run `coroutine` on the serving loop, keeping a reference until it is done."""
    task = asyncio.get_running_loop().create_task(coroutine)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


_TASKS: set[asyncio.Task[None]] = set()
