"""One room socket's seat: the solo socket's pipeline plus a join first and room messages.

No FastAPI: the route hands the seat's `connection` to the same `serve_socket` as `/ws`.
Until the socket has joined, every refused message closes it (`BAD_JOIN`, or the join
refusal's own code) instead of counting against the error budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from app.classroom.parts import SOCKET_TYPES, Member, Reply
from app.classroom.room import Room
from app.classroom.service import Classroom
from app.connection import Connection
from app.mailbox import Mailbox
from app.metrics import Metrics
from app.protocol import CloseCode, Message, ProtocolError
from app.settings import Settings

JOIN_SHAPE = 'the first message must be {"type": "join", "data": {"name"?, "secret"?, "member"?}}'


class Seat:
    """Joins its room on the first message, then passes its member's messages to the room."""

    def __init__(
        self,
        classroom: Classroom,
        code: str,
        client: str,
        mailbox: Mailbox,
        settings: Settings,
        metrics: Metrics,
    ) -> None:
        self.classroom = classroom
        self.code = code
        self.client = client  # the address joins and wrong codes are counted against
        self.mailbox = mailbox
        self.room: Room | None = None
        self.member: Member | None = None
        self._left = False  # the socket has closed (perhaps while the join was being made)
        self._late: asyncio.Future[None] | None = None  # a disconnect after a late join
        self.connection = Connection(
            mailbox,
            settings,
            metrics,
            self.dispatch,
            types=SOCKET_TYPES,
            label=f"/ws/room/{code[:8]!a}",
            refusal_close=CloseCode.BAD_JOIN,
            on_sent=metrics.room_fanout,
        )
        wait = classroom.settings.room_join_seconds
        self._timer = asyncio.get_running_loop().call_later(wait, self._too_slow, wait)

    async def dispatch(self, message: Message, reply: Reply) -> None:
        if self.member is None:
            await self._join(message)
        elif message.type == "join":
            raise ProtocolError("invalid_message", "this socket has joined already", "type")
        else:
            assert self.room is not None
            await self.room.handle(self.member, message, reply)

    async def _join(self, message: Message) -> None:
        if message.type != "join":
            raise ProtocolError("invalid_message", JOIN_SHAPE, "type")
        data = message.data or {}
        try:
            room = await self.classroom.find(self.code, self.client)
            if "secret" in data:
                self.classroom.authorize(room, data["secret"], self.client)
                joining = room.join_instructor(self.mailbox)
            else:
                name, rejoin = data.get("name"), data.get("member")
                joining = room.join(self.mailbox, name, rejoin, client=self.client)
            member = await self._admitted(room, joining)
        except ProtocolError as exc:
            if exc.code == "rate_limited" and exc.close is None:
                exc.close = CloseCode.RATE_LIMITED
            raise
        member.address = self.client  # per-address limits (share links) follow the address
        self.room, self.member = room, member
        self.connection.refusal_close = None  # joined: errors no longer end the socket
        self._timer.cancel()
        if self._left:  # the socket closed while the join was being made
            await room.disconnected(member, self.mailbox)

    async def _admitted(self, room: Room, joining: Coroutine[Any, Any, Member]) -> Member:
        """Finish a join even if the socket closes meanwhile (the close cancels this task):
        a member admitted after the close is then disconnected like any other, never left
        behind as a ghost that other processes see connected."""
        task = asyncio.ensure_future(joining)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(lambda done: self._joined_after_close(room, done))
            raise

    def _joined_after_close(self, room: Room, done: asyncio.Future[Member]) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        self._late = asyncio.ensure_future(room.disconnected(done.result(), self.mailbox))

    def _too_slow(self, wait: float) -> None:
        if self.member is None and not self.mailbox.closed:
            self.connection.refuse(ProtocolError("timeout", f"no join message within {wait:g} s"))

    async def leave(self) -> None:
        """The socket closed: a student keeps the place for the grace period."""
        self._left = True
        self._timer.cancel()
        if self.room is not None and self.member is not None:
            await self.room.disconnected(self.member, self.mailbox)
