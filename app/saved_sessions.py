"""Solo sessions that survive their worker: saved to shared storage, claimed back on resume.

A solo session (one opened by `/ws`) is saved when its socket drops, and while it has a
socket at most every `session_save_seconds` when it changed (`app.session_state.marker`);
the saving is charged to the session's CPU account. A resume asks the store first: the
worker that owns the session and still holds it goes on with its own copy (the fast path,
one small read); any other worker (another process, another host, the same server after a
restart) loads the stored state and owns the session from then on. A worker whose session
was claimed elsewhere learns it at its next save (LOST), closes its socket as REPLACED and
forgets it. Storage errors are logged and the session goes on in memory.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from app import budget, session_state
from app.budget import cpu_clock
from app.metrics import Metrics
from app.session import Session
from app.session_store import BUSY, MINE, Saved, SessionStore
from engine import Trainer

if TYPE_CHECKING:
    from app.sessions import Registry

log = logging.getLogger(__name__)

Claimed = tuple[dict[str, Any], Trainer] | str | None

# A claim waits this long for the final save of a session whose socket another worker had
# at its last save (the socket dropped a moment ago, or that worker died), then takes it.
HANDOVER_SECONDS = 5.0
HANDOVER_POLL = 0.05
FULL_LOG_SECONDS = 60.0  # a full store is logged at most this often
# A stored blob longer than this is refused (the largest config is about 0.4 MB).
MAX_STATE_BYTES = 64 * 1024 * 1024


class SavedSessions:
    """The registry's link to the shared store (None store: memory only, as before)."""

    def __init__(self, store: SessionStore, metrics: Metrics, save_seconds: float) -> None:
        self.store = store
        self.metrics = metrics  # counts saves, loads and failures
        self.owner = metrics.worker  # this worker owns what it saves or claims
        self.save_seconds = save_seconds
        self._pending: set[asyncio.Task[None]] = set()  # saves of dropped sockets
        self._drops: set[asyncio.Task[None]] = set()  # expired sessions leaving the store
        # One write at a time, in order: a drop never overtakes a save of the same session,
        # and saving takes at most one thread.
        self._writing = asyncio.Lock()
        self._full_logged_at = -math.inf

    async def claim(self, session_id: str, local: Session | None) -> Claimed:
        """MINE (keep `local`), the stored (state, trainer) to rebuild from, or None."""
        if self._drops:  # a session that just expired here must not come back
            await asyncio.wait(set(self._drops))
        try:
            found = await self._claim(session_id, local is not None)
        except Exception as exc:  # storage down: what this worker holds is all there is
            self.metrics.session_store_failures += 1
            log.warning("session store: claim failed: %r", exc)
            return MINE if local is not None else None
        if found is None or found == MINE:
            return MINE if local is not None else None
        try:
            rebuilt = await asyncio.to_thread(session_state.rebuild, found, MAX_STATE_BYTES)
        except Exception as exc:
            self.metrics.session_store_failures += 1
            log.warning("session store: a stored session could not be read: %r", exc)
            return None
        self.metrics.sessions_loaded += 1
        return rebuilt

    async def _claim(self, session_id: str, have_local: bool) -> bytes | str | None:
        deadline = time.monotonic() + HANDOVER_SECONDS
        while True:
            take = time.monotonic() >= deadline
            found = await asyncio.to_thread(
                self.store.claim, session_id, self.owner, have_local, take
            )
            if found != BUSY:
                return found
            await asyncio.sleep(HANDOVER_POLL)

    def save_soon(self, session: Session, registry: Registry) -> None:
        """Save `session` in the background (its socket dropped); `flush` awaits it."""
        task = asyncio.get_running_loop().create_task(self.save(session, registry))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def forget_soon(self, session: Session) -> None:
        """Its grace period ran out here: delete the stored copy unless another worker owns it."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called off the serving loop (a maintenance call): at once
            self.store.drop(session.id, self.owner)
            return
        task = loop.create_task(self._drop(session.id))
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)

    async def _drop(self, session_id: str) -> None:
        try:
            async with self._writing:  # after a save of it under way
                await asyncio.to_thread(self.store.drop, session_id, self.owner)
        except Exception as exc:
            self.metrics.session_store_failures += 1
            log.warning("session store: drop failed: %r", exc)

    async def save(self, session: Session, registry: Registry, closing: bool = False) -> None:
        """Save `session` now (no-op if it is gone or unchanged since its last save);
        `closing`: this process is stopping, its sockets with it."""
        async with self._writing:
            await self._save(session, registry, bool(session.subscribers) and not closing)

    async def _save(self, session: Session, registry: Registry, attached: bool) -> None:
        marker = (*session_state.marker(session), attached)
        if registry.sessions.get(session.id) is not session or marker == session.saved_marker:
            return
        start = cpu_clock()
        state = session_state.capture(session)  # on the loop: a consistent copy
        session.cpu.spend(cpu_clock() - start)
        try:  # the threads' CPU is charged too (not the time waiting for one)
            blob = await budget.in_thread(session.cpu, session_state.encode, state)
            result = await budget.in_thread(
                session.cpu,
                self.store.save,
                session.id,
                self.owner,
                session.address,
                blob,
                attached,
            )
        except Exception as exc:
            self.metrics.session_store_failures += 1
            log.warning("session store: save failed: %r", exc)
            return
        if result is Saved.SAVED:
            self.metrics.sessions_saved += 1
            session.saved_marker = marker
            session.saved_at = time.monotonic()
        elif result is Saved.LOST:
            # Resumed on another worker since: that copy is the session now.
            session.close_replaced()
            registry.remove(session)
        else:
            self.metrics.session_store_failures += 1
            now = time.monotonic()
            if now - self._full_logged_at >= FULL_LOG_SECONDS:  # counted always, logged seldom
                self._full_logged_at = now
                log.warning("session store: full (max_saved_sessions); sessions stay in memory")

    async def run(self, registry: Registry) -> None:
        """Save every attached solo session that changed, at most every save_seconds."""
        tick = min(1.0, self.save_seconds / 2)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            due = [
                s
                for s in list(registry.sessions.values())
                if s.solo and s.subscribers and now - s.saved_at >= self.save_seconds
            ]
            for session in due:
                await self.save(session, registry)

    async def flush(self, registry: Registry) -> None:
        """At shutdown: finish pending saves, then save every solo session that changed."""
        if self._pending or self._drops:
            await asyncio.wait(self._pending | self._drops)
        for session in list(registry.sessions.values()):
            if session.solo:
                await self.save(session, registry, closing=True)
        await asyncio.to_thread(self.store.close)
