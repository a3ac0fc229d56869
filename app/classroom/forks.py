"""A room's own sessions: a student's fork and re-follow, share links, and pushed scenarios.

`RoomForks` is a part of `app.classroom.room.Room` (its fields are made in `Room.__init__`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from app.classroom.parts import Member, text
from app.mailbox import Payload
from app.protocol import ProtocolError

PUSH_SHAPE = 'push needs data {"title": str, "config": {...}} or {"title": str, "current": true}'


class RoomForks:
    """Students' own sessions (forks, pushes) and what is saved behind a share link."""

    # Fork, re-follow, push -------------------------------------------------------------

    async def fork(self, member: Member) -> None:
        """Give the student their own session, starting from the live run's current state."""
        await self._own_session(member, state=await self.span.export())

    async def refollow(self, member: Member) -> None:
        """Drop the student's own session and show the live run again."""
        if member.fork is not None:
            await member.fork.close()
            member.fork = None
        member.mailbox.clear()
        self._hello(member, member.mailbox)
        await self.broker.subscribe(self.code, member.mailbox)  # replays the current run
        await self._roster_changed()

    async def _own_session(self, member: Member, **initial: Any) -> None:
        await self.broker.unsubscribe(self.code, member.mailbox)
        if member.fork is not None:
            await member.fork.close()
        member.mailbox.clear()
        self._hello(member, member.mailbox, mode="fork")  # before the fork's first messages

        # Only this member's connection is reachable from its fork: the fork is theirs alone.
        # (Looked up per message: a reconnected student keeps the fork on the new socket.)
        def out(payload: Payload | None, kind: str | None) -> None:
            if kind == "discard":
                member.mailbox.discard_frame()
            elif payload is not None:
                member.mailbox.offer(payload)

        member.fork = await self.make_runner(self.wall.tap(member, out), **initial)
        await self._roster_changed()

    async def share(self, member: Member) -> None:
        """Save what the member sees (their fork, else the live run) behind a share link."""
        # Each share stores a whole state: bounded per address, so reconnecting resets nothing.
        key = member.address or member.id
        await asyncio.to_thread(self._shares.spend, key)
        if member.fork is not None:
            state = member.fork.export_state()
        else:
            state = await self.span.export()
        snap_id = await asyncio.to_thread(self.store.save_snapshot, state, self.code)
        member.mailbox.offer(text("shared", id=snap_id, url=f"/s/{snap_id}"))

    async def push(self, data: Any) -> None:
        """Store a scenario and start it in every student's own session.

        A scenario is a config (`{"title", "config"}`: starts from that config's defaults)
        or, with `"current": true`, the live run's exact state (data, weights and all).
        """
        if not isinstance(data, dict):
            raise ProtocolError("invalid_field", PUSH_SHAPE, "data")
        title = data.get("title") or "Scenario"
        if not isinstance(title, str) or len(title) > 80:
            raise ProtocolError(
                "invalid_field", "title must be a string of at most 80 characters", "title"
            )
        if data.get("current") is True:
            start: dict[str, Any] = {"state": await self.span.export()}
        elif isinstance(data.get("config"), dict):
            start = {"config": data["config"]}
        else:
            raise ProtocolError("invalid_field", PUSH_SHAPE, "config")
        # Validate by building it once; a bad config errors here, before anyone is switched.
        probe = await self.make_runner(_discard, **start)
        await probe.close()
        scenario = {"title": title, **start}
        scenario["id"] = await asyncio.to_thread(self.store.add_scenario, self.code, scenario)
        await self.broker.publish_event(self.code, {"type": "push", "scenario": scenario})


def _discard(payload: Payload | None, kind: str | None) -> None:
    """Output sink of a runner built only to validate a pushed config."""
