"""A room's membership: joins, rejoins within the grace period, leaving, and the roster news.

`RoomMembership` is a part of `app.classroom.room.Room` (its fields are made in
`Room.__init__`); `app.classroom.roster` keeps the plain bookkeeping it acts on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from app.classroom.parts import Member, text
from app.classroom.store import RoomRecord
from app.mailbox import Mailbox
from app.protocol import CloseCode, Message, ProtocolError

MAX_NAME_TRIES = 20  # made-up names tried when other processes take them at the same time
FORK_MOVE_SECONDS = 5.0  # how long a moved student's fork state is waited for

log = logging.getLogger(__name__)


class RoomMembership:
    """Who is in the room here, how they get in and out, and what everyone is told of it."""

    # Membership ------------------------------------------------------------------------

    @property
    def members(self) -> dict[str, Member]:
        return self.roster.members

    def students(self) -> list[Member]:
        return self.roster.students()

    def instructors(self) -> list[Member]:
        return self.roster.instructors()

    async def join(
        self, mailbox: Mailbox, name: object = None, rejoin: object = None, client: str = "local"
    ) -> Member:
        """Add a student in follow mode; ProtocolError says why not.

        `rejoin` is the id from an earlier `you`: within the grace period the student gets
        their place back (name, mode, fork) on this new connection. A new place counts
        against the client address's joins per minute; in a full room it takes the place
        of the student who left longest ago without coming back.
        """
        self._check_open()
        again = self.roster.returning(rejoin)
        if again is not None:
            await self._reattach(again, mailbox)
            return again
        moved = self.roster.elsewhere(rejoin)  # a place another process holds: move it here
        if moved is not None:
            return await self._moved_here(mailbox, moved)
        self._seats.check(client)
        gone = self.roster.longest_away()
        full = self.roster.full()
        member = self.roster.admit(mailbox, name, self.locked, spare=full and gone is not None)
        try:
            spared = await self._take_seat(member, gone)
        except ProtocolError:
            self.roster.remove(member)
            raise
        self._seats.count(client)
        if gone is not None and (full or spared):  # a refused join has freed nothing
            await self.leave(gone)
        return await self._seated(member, mailbox)

    async def _moved_here(self, mailbox: Mailbox, moved: dict[str, Any]) -> Member:
        """Take over a place another process holds (the student reconnected here). The
        other process closes the old connection and the place there; a fork it ran for
        the student resumes here from its state at that moment (if that process does not
        answer within FORK_MOVE_SECONDS, the student follows the live run again)."""
        seat, most = (moved["id"], moved["name"]), self.roster.max_students
        await self.broker.take_seat(self.code, seat, most)  # its own seat: always "ok"
        # Before the admission: this process's own handler of `moved` must not see it.
        event = {"type": "moved", "member": moved["id"], "process": self.broker.process}
        state = None
        if moved["mode"] == "fork":
            try:
                state = (await self.span.request(event, FORK_MOVE_SECONDS)).get("state")
            except (TimeoutError, ProtocolError):  # no answer, or Redis is down
                log.warning("room %s: a moved student's fork did not follow", self.code)
        if state is None:  # told again after an outage (`Span.tell`): the place is ours
            await self.span.tell(f"moved:{moved['id']}", event)
        member = self.roster.admit(mailbox, moved["name"], False, moved=moved)
        if state is not None:
            try:
                await self._own_session(member, state=state)
                return member
            except ProtocolError as exc:  # e.g. this server is full: follow instead
                log.warning("room %s: a moved fork could not resume: %s", self.code, exc)
        return await self._seated(member, mailbox)

    async def _take_seat(self, member: Member, gone: Member | None) -> bool:
        """Hold the new member's seat and name over every process (`Broker.take_seat`);
        True if it took `gone`'s seat. A made-up name another process has just taken is
        made up again; a name the student chose is `name_taken`."""
        spare = None if gone is None else (gone.id, gone.name)
        tried: set[str] = set()
        for _ in range(MAX_NAME_TRIES):
            seat = (member.id, member.name)
            taken = await self.broker.take_seat(self.code, seat, self.roster.max_students, spare)
            if taken is None:  # Redis is down: this process's own check stands (see docs)
                return False
            if taken in ("ok", "spare"):
                return taken == "spare"
            if taken == "full" or member.named:
                raise self.roster.refusal(taken, member.name)
            tried.add(member.name.casefold())
            member.name = self.roster.free_name(frozenset(tried))
        raise self.roster.refusal("taken", member.name)

    async def _seated(self, member: Member, mailbox: Mailbox) -> Member:
        self._hello(member, mailbox)
        await self.broker.subscribe(self.code, mailbox)
        await self._roster_changed()
        return member

    async def join_instructor(self, mailbox: Mailbox) -> Member:
        """Add a control connection (the caller has checked the secret). If no process
        runs the live run (its last one stopped), this one takes it at once."""
        self._check_open()
        if self.live is None:
            await self.span.claim(first=True)
        member = self.roster.admit_instructor(mailbox)
        self._hello(member, mailbox)
        await self.broker.subscribe(self.code, mailbox)
        await self._roster_changed()
        return member

    def _hello(self, member: Member, mailbox: Mailbox, mode: str | None = None) -> None:
        """Who the connection is, and the open challenge (after a join or a mode switch)."""
        mailbox.offer(member.you(mode))
        self.challenges.greet(mailbox)

    def _check_open(self) -> None:
        if self.ended:
            raise ProtocolError("room_ended", "this room has ended", close=CloseCode.ROOM_ENDED)

    async def _reattach(self, member: Member, mailbox: Mailbox) -> None:
        old = member.mailbox
        await self.broker.unsubscribe(self.code, old)
        old.close(CloseCode.MEMBER_REPLACED, "this place was taken over by a new connection")
        member.mailbox = mailbox
        member.away_since = None
        self._hello(member, mailbox)
        if member.fork is not None:
            member.fork.announce()
        else:
            await self.broker.subscribe(self.code, mailbox)
        await self._roster_changed()

    async def disconnected(self, member: Member, mailbox: Mailbox) -> None:
        """A member's connection closed: instructors leave, students wait out the grace."""
        if member.mailbox is not mailbox or member.id not in self.members:
            return  # already replaced by a newer connection, or removed
        if member.instructor or self.grace_seconds <= 0 or self.ended:
            await self.leave(member)
            return
        await self.broker.unsubscribe(self.code, mailbox)
        member.away_since = loop_time = asyncio.get_running_loop().time()
        await self._roster_changed()

        async def expire() -> None:
            await asyncio.sleep(self.grace_seconds)
            if member.away_since == loop_time:
                await self.leave(member)

        self._expiries.add(task := asyncio.create_task(expire()))
        task.add_done_callback(self._expiries.discard)

    async def leave(self, member: Member) -> None:
        """Remove a member (and close their fork)."""
        if not self.roster.remove(member):
            return
        if not member.instructor:
            await self.broker.free_seat(self.code, (member.id, member.name))
        await self.broker.unsubscribe(self.code, member.mailbox)
        if member.fork is not None:
            await member.fork.close()
            member.fork = None
        await self._roster_changed()

    async def _drop(self, member: Member, code: CloseCode, reason: str) -> None:
        await self.leave(member)
        member.mailbox.close(code, reason)

    def watched(self) -> bool:
        """Whether anyone is connected, here or in another process (away students do not
        count): the live run plays on while someone watches."""
        return self.watched_here() or self.roster.watched()

    def watched_here(self) -> bool:
        """Whether anyone is connected to this process: else it may unload the room (if it
        ran the live run, another process serving the room takes it over)."""
        return any(m.away_since is None for m in self.members.values())

    async def pause_unwatched(self) -> None:
        """Stop training a run nobody is watching (it costs CPU every other room needs)."""
        if self.live is not None and not self.watched():
            async with self.op:
                await self.live.handle(Message("pause", None), lambda message: None)

    # Room status messages --------------------------------------------------------------

    def current_record(self) -> RoomRecord:
        """The room's record as this process knows it now (flags and removed names)."""
        kicked = tuple(sorted(self.roster.kicked))
        return replace(self.record, locked=self.locked, ended=self.ended, kicked=kicked)

    def room_status(self) -> dict[str, Any]:
        status = {"code": self.code, "locked": self.locked, "ended": self.ended}
        # `trouble`: why the room cannot reach its other servers now (None: it can).
        return status | self.roster.status() | {"trouble": self.broker.trouble}

    async def publish_status(self) -> None:
        self.broker.publish(self.code, "room", text("room", **self.room_status()))

    async def _roster_changed(self) -> None:
        """This process's members changed: tell the other processes, then everyone here."""
        await self.broker.share_part(self.code, self.roster.part())
        await self._roster_seen()

    async def _roster_seen(self) -> None:
        await self.publish_status()
        roster = self.roster.message()
        for m in self.instructors():
            m.mailbox.offer(roster, "roster")
        await self.wall.sync()
