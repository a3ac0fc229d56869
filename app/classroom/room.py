"""One classroom room: the instructor's live run, its followers, forks and pushes.

No web framework here: a connection is a `Mailbox` (what to send it) plus the messages its
seat (`app.classroom.seat`) hands to `Room.handle`. The live run and each fork are
`Runner`s built by a factory, so the room is tested with any runner and served with the
server's sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from app.classroom import challenges
from app.classroom.broker import Broker
from app.classroom.codes import Throttle
from app.classroom.parts import (
    CHALLENGE_TYPES,
    FANOUT_TYPES,
    INSTRUCTOR_ONLY,
    READ_ONLY,
    WALL_TYPES,
    MakeRunner,
    Member,
    Reply,
    Runner,
    text,
)
from app.classroom.roster import KICKED, Roster
from app.classroom.span import Span
from app.classroom.store import RoomRecord, Store
from app.classroom.wall import Wall
from app.mailbox import FRAME_KEYS, Mailbox, Payload, frame_key
from app.protocol import CloseCode, Message, ProtocolError

PUSH_SHAPE = 'push needs data {"title": str, "config": {...}} or {"title": str, "current": true}'
log = logging.getLogger(__name__)


class Room:
    """A room in this process; state shared across processes travels as broker events.

    When the room spans processes, `live` is set only in the one that runs it (`Span`).
    """

    def __init__(
        self,
        record: RoomRecord,
        *,
        broker: Broker,
        store: Store,
        make_runner: MakeRunner,
        max_followers: int = 200,
        prepare: Callable[[bytes], bytes] = lambda frame: frame,
        grace_seconds: float = 60.0,
        joins_per_minute: int = 100,
    ) -> None:
        self.code = record.code
        self.record = record
        self.locked = record.locked
        self.ended = record.ended
        self.broker = broker
        self.store = store
        self.make_runner = make_runner
        self.roster = Roster(max_followers, record.kicked)
        self.prepare = prepare  # once per frame before the fan-out: stamp time, compress
        self.grace_seconds = grace_seconds  # how long a lost student keeps name and fork
        self._expiries: set[asyncio.Task[None]] = set()  # grace timers of away students
        self.live: Runner | None = None  # None in a process that relays another's live run
        self.dirty = False  # the live run changed since the last snapshot
        self.op = asyncio.Lock()  # serialises live-run messages with snapshots
        self.span = Span(self)
        self._shares = Throttle(10, 60.0, what="share links")
        # New places per client address: a bot cannot take the room's seats in a burst.
        self._seats = Throttle(joins_per_minute, 60.0, what="new places in this room")
        self.wall = Wall(self, max_gone=max_followers)
        self.challenges = challenges.Challenges(self)

    # Lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen for events; run the live run here if no other process does."""
        await self.challenges.start()
        await self.broker.listen(self.code, self._on_event)
        self.roster.others = await self.broker.parts(self.code)
        await self.span.claim(first=True)
        await self._roster_changed()
        with contextlib.suppress(ProtocolError):  # Redis down: no other process to ask
            await self.broker.publish_event(self.code, {"type": "wall_query"})

    async def tend(self) -> None:
        """Every few seconds: keep (or take over) the live run; refresh the others' roster."""
        await self.span.claim(first=False)
        others = await self.broker.parts(self.code)
        if others != self.roster.others:
            self.roster.others = others
            await self._roster_seen()
        await self.broker.share_part(self.code, self.roster.part(), quiet=True)

    async def run_live(self) -> None:
        """Build the live run here from the last snapshot (or defaults)."""
        state = await asyncio.to_thread(self.store.live_state, self.code)
        try:
            self.live = await self.make_runner(self._live_out, state=state)
        except Exception:  # e.g. a save the engine no longer accepts: keep the room usable
            log.exception("room %s: its saved run could not be restored; starting anew", self.code)
            self.live = await self.make_runner(self._live_out)

    async def stop_live(self) -> None:
        """Another process runs the live run now: stop ours (theirs is relayed here)."""
        if self.live is not None:
            live, self.live = self.live, None
            await live.close()

    def _live_out(self, payload: Payload | None, kind: str | None) -> None:
        """Route the live run's output: run state to everyone, replies to instructors."""
        if self.wall.spotlight is not None:  # a student's run is on the projector
            self.dirty = True
        else:
            self.fan_out(payload, kind)

    def fan_out(self, payload: Payload | None, kind: str | None) -> None:
        """Send a run's output to the room (the live run's, or a spotlit student's)."""
        if kind == "discard":
            for key in FRAME_KEYS:
                self.broker.discard(self.code, key)
        elif kind == "frame":
            assert isinstance(payload, bytes)
            self.dirty = True
            self.broker.publish(self.code, frame_key(payload), self.prepare(payload))
        elif kind in FANOUT_TYPES:
            assert payload is not None
            self.dirty = True
            self.broker.publish(self.code, kind, payload)

    async def snapshot(self) -> None:
        """Save the live run's state (the room resumes from it after a restart)."""
        if self.live is None:
            return
        async with self.op:
            state = self.live.export_state()
            self.dirty = False
        await asyncio.to_thread(self.store.save_live_state, self.code, state)

    async def close(self) -> None:
        """Stop this process's part of the room (server shutdown); state is kept."""
        if self.live is not None and not self.ended:
            await self.snapshot()
        for task in list(self._expiries):
            task.cancel()
        for m in list(self.members.values()):
            await self._drop(m, CloseCode.SERVER_STOPPING, "the server is restarting")
        if self.live is not None:
            await self.live.close()
            self.live = None
            await self.broker.release(self.code)  # another process may take it over
        await self.wall.close()
        await self.broker.forget(self.code)  # an unloaded room holds no frames in memory

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
            await self.broker.publish_event(self.code, {"type": "moved", "member": moved["id"]})
            member = self.roster.admit(mailbox, moved["name"], False, moved=moved)
            return await self._seated(member, mailbox)
        self._seats.check(client)
        gone = self.roster.longest_away() if self.roster.full() else None
        member = self.roster.admit(mailbox, name, self.locked, spare=gone is not None)
        self._seats.count(client)
        if gone is not None:  # only once the newcomer is in: a refused join frees nothing
            await self.leave(gone)
        return await self._seated(member, mailbox)

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

    # Messages --------------------------------------------------------------------------

    async def handle(self, member: Member, message: Message, reply: Reply) -> None:
        """One message from a member's connection; ProtocolError for refused ones."""
        kind = message.type
        if kind in INSTRUCTOR_ONLY and not member.instructor:
            raise ProtocolError("forbidden", f"only the instructor can {kind} this room")
        if kind in CHALLENGE_TYPES:
            await self.challenges.handle(member, kind, message.data, reply)
        elif kind == "share":
            await self.share(member)
        elif kind in WALL_TYPES:
            await self.wall.handle(member, message)
        elif member.instructor:
            await self._handle_instructor(message, reply)
        elif kind == "fork":
            await self.fork(member)
        elif kind == "refollow":
            await self.refollow(member)
        elif member.fork is not None:
            await member.fork.handle(message, reply)
        elif kind in READ_ONLY:  # answered at once, even while the instructor's step runs
            if self.live is not None:
                await self.live.handle(message, reply)
            else:
                await self.span.handle(message, reply)
        else:
            raise ProtocolError(
                "forbidden",
                f"{kind} would change the instructor's run: fork to work on your own copy",
            )

    async def _handle_instructor(self, message: Message, reply: Reply) -> None:
        kind, data = message.type, message.data
        if kind in ("fork", "refollow"):
            raise ProtocolError(
                "invalid_message", "the instructor controls the live run directly", "type"
            )
        if kind == "lock" or kind == "unlock":
            # The event first: refused while Redis is down, and then nothing has changed.
            locked = kind == "lock"
            await self.broker.publish_event(self.code, {"type": "flags", "locked": locked})
            await asyncio.to_thread(self.store.set_flags, self.code, locked=locked)
        elif kind == "end":
            await self.broker.publish_event(self.code, {"type": "end"})
        elif kind == "kick":
            await self.kick(data)
        elif kind == "push":
            await self.push(data)
        elif kind == "roster":
            await self._roster_changed()
        else:
            await self.span.handle(message, reply)

    async def kick(self, data: dict[str, Any]) -> None:
        """Remove one student's place for good: its id, and the name only if they chose it.

        A made-up name ("Student 1") is not barred: the next nameless joiner may get it.
        """
        place = self.roster.place(data.get("member"))
        if place is None:
            raise ProtocolError(
                "invalid_field", "member must be a student's `member` from the roster", "member"
            )
        name = place["name"] if place["named"] else None
        event = {"type": "kick", "member": place["id"], "name": name}
        await self.broker.publish_event(self.code, event)
        if name is not None:
            await asyncio.to_thread(self.store.add_kicked, self.code, name.casefold())

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
        self._shares.check(key)
        self._shares.count(key)
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

    # Events (from any process) ---------------------------------------------------------

    async def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if await self.wall.on_event(event):
            return
        if kind in ("ask", "answer"):
            await self.span.on_event(event)
        elif kind == "part":  # another process's members changed
            if event.get("process") != self.broker.process:
                self.roster.others = await self.broker.parts(self.code)
                await self._roster_seen()
        elif kind == "moved":  # the student reconnected to another process
            member = self.members.get(str(event["member"]))
            if member is not None and member.mailbox is not None:
                reason = "this place moved to a new connection"
                member.mailbox.close(CloseCode.MEMBER_REPLACED, reason)
                await self.leave(member)
        elif kind == "flags":
            self.locked = bool(event["locked"])
            await self.publish_status()
        elif kind == "kick":
            gone = self.roster.bar(str(event["member"]), event.get("name"))
            if gone is not None:
                gone.mailbox.offer(text("kicked", message=KICKED))
                await self._drop(gone, CloseCode.KICKED, "removed by the instructor")
        elif kind == "end":
            await self._end_here()
        elif kind in challenges.EVENTS:
            await self.challenges.on_event(event)
        elif kind == "push":
            scenario = event["scenario"]
            start = {k: scenario[k] for k in ("state", "config") if k in scenario}
            # Students are told the title and config, not a (large) state they already get.
            note = text(
                "pushed",
                scenario={
                    "id": scenario["id"],
                    "title": scenario["title"],
                    "config": scenario.get("config"),
                },
            )
            for m in self.students():
                await self._own_session(m, **start)
                m.mailbox.offer(note)
                await asyncio.sleep(0)  # building sessions is CPU work: let frames go out

    async def _end_here(self) -> None:
        if self.ended:
            return
        await self.snapshot()
        self.ended = True
        await asyncio.to_thread(self.store.set_flags, self.code, ended=True)
        for m in list(self.members.values()):
            m.mailbox.offer(text("ended", message="the instructor ended this room"))
            await self._drop(m, CloseCode.ROOM_ENDED, "the room has ended")
        if self.live is not None:
            await self.live.close()
            self.live = None
            await self.broker.release(self.code)
        await self.wall.close()
        await self.broker.forget(self.code)

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


def _discard(payload: Payload | None, kind: str | None) -> None:
    """Output sink of a runner built only to validate a pushed config."""
