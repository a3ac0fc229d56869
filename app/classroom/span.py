"""Where a room's live run is, when the room spans processes: one owner, asks routed to it.

One process runs the live run: the one holding the room's lease (`Broker.claim`), which is
the first to load the room (usually the one that served `POST /api/rooms`). The others
relay its frames to their sockets. A message for the live run (the instructor's commands,
a follower's ping/export/trace, the state a fork or a push starts from) on a process that
does not run it travels as an `ask` event and comes back as an `answer`. If the owner goes
away, its lease lapses and another process serving the room takes over from the last
snapshot. With the single-process broker this process always owns the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from app.classroom.parts import STRUCTURAL_TYPES, Reply
from app.protocol import Message, ProtocolError

if TYPE_CHECKING:
    from app.classroom.room import Room

log = logging.getLogger(__name__)

ASK_SECONDS = 10.0  # an ask unanswered for this long fails (the owner is gone or busy)
MAX_ASKS = 64  # asks waiting at once per room in this process
MAX_UNTOLD = 256  # events kept for the other processes while Redis is down, per room
TELLS = 3  # how often an event from an outage is told once Redis is back (see flush)
# A free lease is taken by a process that is not the room's first only once it has been seen
# free for this long: the owner renews on every tend (TEND_SECONDS) and at once when Redis is
# back, so after Redis restarts empty the owner keeps its live run.
FREE_SECONDS = 3.0
EXPORT = "__export"  # the ask for the live run's exported state (not a client message)


class Span:
    """A room's link to the process that runs its live run."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self.asks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.free_since: float | None = None  # when the lease was first seen free (claim)
        # By topic: the latest event the other processes may not have heard, and how many
        # more times to tell it.
        self.untold: dict[str, tuple[dict[str, Any], int]] = {}

    async def claim(self, first: bool) -> None:
        """Take the live run if it is free; drop ours if another process has taken it.

        A free lease is taken at once when the room is first loaded here (`first`) and
        otherwise only once it has been free for FREE_SECONDS (not merely at two looks:
        the tend on Redis's return and the periodic one can come milliseconds apart): after
        Redis restarts empty, the process that was running the live run renews first.
        """
        room = self.room
        if room.ended:
            return
        holding = room.live is not None
        now = time.monotonic()
        waited = self.free_since is not None and now - self.free_since >= FREE_SECONDS
        owner = await room.broker.claim(room.code, take=holding or first or waited)
        if owner is None:  # cannot tell (Redis is down): carry on as we are
            return
        if owner != "":
            self.free_since = None
        elif self.free_since is None:
            self.free_since = now
        if owner == room.broker.process and not holding:
            await room.run_live()
        elif owner != room.broker.process and holding:
            log.info("room %s: another process runs the live run now", room.code)
            await room.stop_live()

    async def tell(self, topic: str, event: dict[str, Any], keep: bool = True) -> None:
        """Publish a room event to every process; it replaces the untold one of its topic.

        A member's coming or going must not fail while Redis is down (`keep`): the event
        is then acted on here at once, and the latest of its topic is told to the other
        processes once Redis is back (`flush`). Without `keep` (an instructor's command)
        ProtocolError says the room cannot reach its other servers. (Untold events of other
        topics wait for the tends: they are about other things, so the order does not matter.)
        """
        try:
            await self.room.broker.publish_event(self.room.code, event)
        except ProtocolError:
            if not keep:
                raise
            self.untold.pop(topic, None)  # re-inserted last: told in the order they happened
            if len(self.untold) >= MAX_UNTOLD:
                lost = self.untold.pop(next(iter(self.untold)))[0]
                log.warning("room %s: too many untold events; dropped a %s", self.room.code, lost)
            self.untold[topic] = (event, TELLS)
            await self.room.on_event(event)
        else:
            self.untold.pop(topic, None)

    async def flush(self) -> None:
        """Tell the other processes what happened here while Redis was down, in order.

        Pub/sub keeps nothing for a process that is not subscribed yet, and after an
        outage each process reconnects in its own time: each event is told when Redis
        returns and again at the next `TELLS - 1` tends (every 3 s). This process acted on
        them already, and so may the others: hearing one again changes nothing.
        """
        for topic, (event, left) in list(self.untold.items()):
            if self.room.broker.trouble is not None:
                return
            try:
                await self.room.broker.publish_event(self.room.code, event)
            except ProtocolError:
                return
            if self.untold.get(topic, (None,))[0] is event:
                if left > 1:
                    self.untold[topic] = (event, left - 1)
                else:
                    del self.untold[topic]

    async def handle(self, message: Message, reply: Reply) -> None:
        """Apply a message to the live run, here or where it runs."""
        room = self.room
        if room.live is not None:
            async with room.op:
                await room.live.handle(message, reply)
            if message.type in STRUCTURAL_TYPES:
                await room.snapshot()
            return
        answer = await self._ask({"type": message.type, "data": message.data})
        for r in answer.get("replies", ()):
            reply(r)
        if answer.get("error"):
            e = answer["error"]
            raise ProtocolError(e["code"], e["message"], e.get("field"))

    async def export(self) -> dict[str, Any]:
        """The live run's exported state, from wherever it runs."""
        room = self.room
        if room.live is not None:
            async with room.op:
                return room.live.export_state()
        return (await self._ask({"type": EXPORT}))["state"]

    async def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.request({"type": "ask", "message": message})
        except TimeoutError:
            raise ProtocolError(
                "room_unavailable",
                "the server running this room's live run did not answer; try again",
            ) from None

    async def request(self, event: dict[str, Any], seconds: float = ASK_SECONDS) -> dict[str, Any]:
        """Publish `event` under a new `id` and wait for the `answer` event with that id
        (TimeoutError after `seconds`). Asks of the live run, and a moved fork's state."""
        room = self.room
        if len(self.asks) >= MAX_ASKS:
            raise ProtocolError("rate_limited", "too many requests to the live run at once")
        ask_id = secrets.token_hex(8)
        future = self.asks[ask_id] = asyncio.get_running_loop().create_future()
        try:
            await room.broker.publish_event(room.code, {**event, "id": ask_id})
            async with asyncio.timeout(seconds):
                return await future
        finally:
            self.asks.pop(ask_id, None)

    async def on_event(self, event: dict[str, Any]) -> None:
        """An `ask` (answered if the live run is here) or an `answer` (to one of ours)."""
        if event["type"] == "answer":
            future = self.asks.get(event["id"])
            if future is not None and not future.done():
                future.set_result(event)
            return
        if self.room.live is None:
            return
        answer: dict[str, Any] = {"type": "answer", "id": event["id"]}
        message = event["message"]
        try:
            if message["type"] == EXPORT:
                answer["state"] = await self.export()
            else:
                replies: list[dict[str, Any]] = []
                await self.handle(Message(message["type"], message.get("data")), replies.append)
                answer["replies"] = replies
        except ProtocolError as exc:
            answer["error"] = {"code": exc.code, "message": exc.message, "field": exc.field}
        except Exception:
            log.exception("room %s: a routed %s failed", self.room.code, message["type"])
            answer["error"] = {"code": "internal_error", "message": "the server failed on this"}
        with contextlib.suppress(ProtocolError):  # if Redis went away, the asker times out
            await self.room.broker.publish_event(self.room.code, answer)
