"""One classroom room: the instructor's live run, its followers, forks and pushes.

No web framework here: a connection is a `Mailbox` (what to send it) plus the messages its
seat (`app.classroom.seat`) hands to `Room.handle`. The live run and each fork are
`Runner`s built by a factory, so the room is tested with any runner and served with the
server's sessions.

Membership (joins, grace, roster news) is in `app.classroom.membership` and the students'
own sessions (forks, shares, pushes) in `app.classroom.forks`; `Room` adds the lifecycle,
the message routing and the events from other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from app.classroom import challenges
from app.classroom.broker import Broker
from app.classroom.codes import Throttle
from app.classroom.forks import RoomForks
from app.classroom.membership import RoomMembership
from app.classroom.parts import (
    CHALLENGE_TYPES,
    FANOUT_TYPES,
    INSTRUCTOR_ONLY,
    READ_ONLY,
    WALL_TYPES,
    MakeRunner,
    Member,
    Reply,
    RoomLimits,
    Runner,
    text,
)
from app.classroom.roster import KICKED, Roster
from app.classroom.span import Span
from app.classroom.store import RoomRecord, Store
from app.classroom.wall import Wall
from app.mailbox import FRAME_KEYS, Payload, frame_key
from app.protocol import CloseCode, Message, ProtocolError

log = logging.getLogger(__name__)


class Room(RoomMembership, RoomForks):
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
        limits: RoomLimits | None = None,
        prepare: Callable[[bytes], bytes] = lambda frame: frame,
        grace_seconds: float = 60.0,
    ) -> None:
        self.code = record.code
        self.record = record
        self.locked = record.locked
        self.ended = record.ended
        self.broker = broker
        self.store = store
        self.make_runner = make_runner
        self.limits = limits = limits or RoomLimits.defaults()
        self.roster = Roster(limits.seats, record.kicked)
        self.prepare = prepare  # once per frame before the fan-out: stamp time, compress
        self.grace_seconds = grace_seconds  # how long a lost student keeps name and fork
        self._expiries: set[asyncio.Task[None]] = set()  # grace timers of away students
        self.live: Runner | None = None  # None in a process that relays another's live run
        self.dirty = False  # the live run changed since the last snapshot
        self.op = asyncio.Lock()  # serialises live-run messages with snapshots
        self.span = Span(self)
        self._shares = store.throttle(
            f"room:{record.code}:shares", limits.shares_per_minute, 60.0, "share links"
        )
        # New places per client address: a bot cannot take the room's seats in a burst.
        self._seats = Throttle(limits.joins_per_minute, 60.0, what="new places in this room")
        self.wall = Wall(self, max_gone=limits.seats)
        self.challenges = challenges.Challenges(self)

    # Lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen for events; run the live run here if no other process does."""
        await self.challenges.start()
        await self.broker.listen(self.code, self.on_event)
        self.roster.others = await self.broker.parts(self.code) or {}
        await self.span.claim(first=True)
        await self._roster_changed()
        with contextlib.suppress(ProtocolError):  # Redis down: no other process to ask
            await self.broker.publish_event(self.code, {"type": "wall_query"})

    async def tend(self) -> None:
        """Every few seconds: keep (or take over) the live run; refresh the others' roster;
        tell the others again what happened here during an outage."""
        await self.span.flush()
        await self.span.claim(first=False)
        if not self.challenges.loaded:  # the store was unreachable when the room loaded
            await self.challenges.start()
        others = await self.broker.parts(self.code)
        if others is not None and others != self.roster.others:
            self.roster.others = others
            await self._roster_seen()
        await self.broker.share_part(self.code, self.roster.part(), quiet=True)
        await self.broker.sync_seats(self.code, [(m.id, m.name) for m in self.students()])

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

    # Events (from any process) ---------------------------------------------------------

    async def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if await self.wall.on_event(event):
            return
        if kind in ("ask", "answer"):
            await self.span.on_event(event)
        elif kind == "part":  # another process's members changed
            if event.get("process") != self.broker.process:
                others = await self.broker.parts(self.code)
                self.roster.others = self.roster.others if others is None else others
                await self._roster_seen()
        elif kind == "moved":  # the student reconnected to another process
            await self._moved_away(event)
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

    async def _moved_away(self, event: dict[str, Any]) -> None:
        """A student of this process reconnected to another: close the place here. A fork
        is stopped here, and its state answered to the new process (`Span.request`) when
        it asks, so that it resumes there: never left running behind."""
        if event.get("process") == self.broker.process:
            return  # told again after an outage: the place is ours now
        member = self.members.get(str(event["member"]))
        if member is None:
            return
        state = None
        if member.fork is not None:
            state = member.fork.export_state()
        member.mailbox.close(CloseCode.MEMBER_REPLACED, "this place moved to a new connection")
        await self.leave(member)  # closes the fork
        if "id" in event:
            answer = {"type": "answer", "id": event["id"], "state": state}
            with contextlib.suppress(ProtocolError):  # Redis went: the new process times out
                await self.broker.publish_event(self.code, answer)

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
