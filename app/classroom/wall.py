"""The class wall: a card per student for the instructor, and the spotlight.

A card says what a student's own session (a fork) is doing: a small picture of its
decision boundary, test loss and accuracy, the network's shape and the epoch; a student
following the live run gets a card that says so. Cards are made only while some
instructor's wall is open, at most once a second per student, from the newest frame the
fork already built (no training or evaluation of its own: a card reads 20 x 20 cells of
the frame's output map and its header).

Everything crosses processes through the room's `Broker`: cards are published on the
room's wall channel (`wall_channel`, latest per student retained, so a wall opened late
sees every card), and opening a wall or moving the spotlight are events every process's
room acts on. The spotlight sends one student's fork to the room, as the live run's
output is sent: followers see that student's run until the instructor hands back.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from app import frames
from app.classroom.parts import Member, Out, text
from app.mailbox import Payload
from app.protocol import Message, ProtocolError

if TYPE_CHECKING:
    from app.classroom.room import Room

CARD_SECONDS = 1.0  # at most one card per student per this many seconds
THUMB_CELLS = 20  # a card's picture: THUMB_CELLS x THUMB_CELLS cells
THUMB_LEVELS = 16  # ... each one of this many shades (4 bits)
MAX_REF = 32  # a `member` ref is 8 characters (app.classroom.parts.Member.ref)


def wall_channel(code: str) -> str:
    """The broker room that carries a room's cards (only open walls subscribe to it)."""
    return f"{code}/wall"


def card_key(ref: str) -> str:
    return f"card:{ref}"


def frame_card(frame: bytes) -> dict[str, Any]:
    """What a card shows of one frame: its metrics and its output map, coarse and quantised.

    `thumb.kind` is `ramp` (cells are codes of values on [-1, 1]: a probability p counts as
    2p - 1, as the page's map draws it) or `classes` (cells are the most likely class).
    """
    header, payload = frames.decode_header(frame)
    spec = next(s for s in header["arrays"] if s["name"] == "output")
    codes = frames.raw_array(payload, spec)
    k = codes.shape[0] // THUMB_CELLS
    cells = codes[k // 2 :: k, k // 2 :: k][:THUMB_CELLS, :THUMB_CELLS]
    if cells.ndim == 3:  # several output units: the class each cell is given
        thumb: dict[str, Any] = {"kind": "classes"}
        cells = np.argmax(cells, axis=2).astype(np.uint8)
    else:
        values = spec["lo"] + cells.astype(np.float32) * spec["scale"]
        if spec["lo"] >= 0:  # a probability map
            values = 2 * values - 1
        step = 2 / (THUMB_LEVELS - 1)
        cells = np.clip(np.rint((values + 1) / step), 0, THUMB_LEVELS - 1).astype(np.uint8)
        thumb = {"kind": "ramp", "lo": -1.0, "scale": step}
    thumb.update(size=cells.shape[0], cells=base64.b64encode(cells.tobytes()).decode())
    return {
        "epoch": header.get("epoch"),
        "test_loss": header.get("test_loss"),
        "test_accuracy": header.get("test_accuracy"),
        "state": header.get("state"),
        "thumb": thumb,
    }


@dataclass(eq=False)
class Tile:
    """One student's card in this process and what the next one is made from."""

    ref: str  # the student's public `member` (the card's key)
    seen: tuple[str, str, bool] | None = None  # name, mode, away as last published
    frame: bytes | None = None  # the fork's newest frame (a reference, never a copy)
    layer_sizes: list[int] = field(default_factory=list)
    stats: dict[str, Any] | None = None  # the last frame_card
    made_at: float = -float("inf")  # loop time of the last frame_card
    timer: asyncio.TimerHandle | None = None  # a card due once CARD_SECONDS have passed


class Wall:
    """The wall and spotlight of one room in this process."""

    def __init__(self, room: Room, max_gone: int) -> None:
        self.room = room
        self.channel = wall_channel(room.code)
        self.viewers: set[str] = set()  # instructors (any process) whose wall is open
        self.watching: dict[str, Member] = {}  # ... those connected here
        self.spotlight: str | None = None  # the `member` ref whose run the room sees
        self.tiles: dict[str, Tile] = {}  # by member id: this process's students
        self.gone: deque[str] = deque()  # refs whose "gone" card is retained, oldest first
        self.max_gone = max_gone
        self._quiet: Member | None = None  # announcing this fork to the room only
        self._openings: dict[str, deque[float]] = {}  # by instructor id: recent openings

    @property
    def open(self) -> bool:
        return bool(self.viewers)

    # Messages from instructors ------------------------------------------------------------

    async def handle(self, member: Member, message: Message) -> None:
        data = message.data or {}
        if message.type == "wall":
            if not isinstance(data.get("open"), bool):
                raise ProtocolError("invalid_field", "open must be true or false", "open")
            await (self.show(member) if data["open"] else self.hide(member))
            return
        ref = data.get("member", ...)
        if ref is None:
            await self.room.span.tell("spotlight", {"type": "spotlight"}, keep=False)
            return
        # A student in this process is checked here; one elsewhere by their own process,
        # which alone answers (`spotlight_ask`), so an unknown member changes nothing.
        here = self.room.roster.by_ref(ref)
        if not isinstance(ref, str) or len(ref) > MAX_REF or (here and here.fork is None):
            raise ProtocolError(
                "invalid_field",
                "member must be the `member` of a student working on their own copy, or null",
                "member",
            )
        event = {"type": "spotlight_ask", "member": ref}
        await self.room.span.tell("spotlight", event, keep=False)

    async def show(self, member: Member) -> None:
        """Open this instructor's wall: every card so far, then each new one."""
        now = asyncio.get_running_loop().time()
        most = self.room.limits.wall_openings  # each opening sends every card
        recent = self._openings.setdefault(member.id, deque(maxlen=most))
        if len(recent) == most and now - recent[0] < 60:
            raise ProtocolError(
                "rate_limited",
                f"open the wall at most {most} times a minute",
                "open",
            )
        recent.append(now)
        await self.room.broker.unsubscribe(self.channel, member.mailbox)
        self.watching[member.id] = member
        member.mailbox.offer(text("wall", open=True), "wall")
        await self.room.broker.subscribe(self.channel, member.mailbox)
        event = {"type": "wall", "viewer": member.id, "open": True}
        await self.room.span.tell(f"wall:{member.id}", event)

    async def hide(self, member: Member) -> None:
        if self.watching.pop(member.id, None) is None:
            return
        await self.room.broker.unsubscribe(self.channel, member.mailbox)
        member.mailbox.offer(text("wall", open=False), "wall")
        event = {"type": "wall", "viewer": member.id, "open": False}
        await self.room.span.tell(f"wall:{member.id}", event)

    # Events (from any process) --------------------------------------------------------------

    async def on_event(self, event: dict[str, Any]) -> bool:
        """Act on a wall event; False if the event is not the wall's."""
        kind = event.get("type")
        if kind == "wall":
            was_open = self.open
            if event.get("open"):
                self.viewers.add(str(event["viewer"]))
            else:
                self.viewers.discard(str(event["viewer"]))
            if self.open and not was_open:
                for member in self.room.students():
                    self._publish(member, self._tile(member))
            elif was_open and not self.open:
                self._clear()
        elif kind == "wall_query":  # a process that just loaded the room asks what is on
            for viewer in self.watching:
                await self.room.broker.publish_event(
                    self.room.code, {"type": "wall", "viewer": viewer, "open": True}
                )
            if self.room.roster.by_ref(self.spotlight) is not None:  # ours: say so again
                await self.room.broker.publish_event(
                    self.room.code, {"type": "spotlight", "member": self.spotlight}
                )
        elif kind == "spotlight_ask":  # the process holding the student puts it on
            student = self.room.roster.by_ref(event.get("member"))
            if student is not None and student.fork is not None:
                await self.room.broker.publish_event(
                    self.room.code, {"type": "spotlight", "member": student.ref}
                )
        elif kind == "spotlight":
            if event.get("member") is not None:  # a new spotlight: an end told late is old
                self.room.span.untold.pop("spotlight", None)
            await self._spotlight(event.get("member"))
        else:
            return False
        return True

    async def _spotlight(self, ref: object) -> None:
        room = self.room
        before, self.spotlight = self.spotlight, ref if isinstance(ref, str) else None
        if before == self.spotlight:
            return  # the same event again (a second hand back): nothing changes
        if before is not None:
            old = room.roster.by_ref(before)
            if old is not None:
                old.mailbox.offer(text("spotlight", member=None, name=None), "spotlight")
        student = room.roster.by_ref(self.spotlight)
        if self.spotlight is None:
            room.broker.publish(room.code, "spotlight", text("spotlight", member=None, name=None))
            if room.live is not None:
                room.live.announce()  # the live run's full picture, to the room again
        elif student is not None and student.fork is not None:
            note = text("spotlight", member=student.ref, name=student.name)
            room.broker.publish(room.code, "spotlight", note)
            student.mailbox.offer(note, "spotlight")
            self._quiet = student  # the student has the picture: only the room needs it
            try:
                student.fork.announce()
            finally:
                self._quiet = None

    # Roster changes (this process) ----------------------------------------------------------

    async def sync(self) -> None:
        """The roster changed: publish changed cards, drop the gone, and end a spotlight
        whose student is gone or follows again, and close the walls of instructors gone."""
        room = self.room
        for member_id in [i for i in self.watching if i not in room.members]:
            await self.hide(self.watching[member_id])
        for member_id in [i for i in self._openings if i not in room.members]:
            del self._openings[member_id]
        here = {m.id: m for m in room.students()}
        for member_id in [i for i in self.tiles if i not in here]:
            await self._forget(member_id)
        for member in here.values():
            tile = self._tile(member)
            if member.fork is None:
                tile.frame, tile.stats = None, None
            if tile.seen != (member.name, member.mode, member.away_since is not None):
                self._publish(member, tile)
            if member.ref == self.spotlight and member.fork is None:
                await room.span.tell("spotlight", {"type": "spotlight"})

    def _tile(self, member: Member) -> Tile:
        tile = self.tiles.get(member.id)
        if tile is None:
            tile = self.tiles[member.id] = Tile(member.ref)
        return tile

    async def _forget(self, member_id: str) -> None:
        tile = self.tiles.pop(member_id)
        if tile.timer is not None:
            tile.timer.cancel()
        ref = tile.ref
        if ref == self.spotlight:
            await self.room.span.tell("spotlight", {"type": "spotlight"})
        if self.open:  # the walls drop the card; its "gone" is retained, a bounded few
            gone = text("wall_card", member=ref, gone=True)
            self.room.broker.publish(self.channel, card_key(ref), gone)
            self.gone.append(ref)
            while len(self.gone) > self.max_gone:
                self.room.broker.discard(self.channel, card_key(self.gone.popleft()))
        else:
            self.room.broker.discard(self.channel, card_key(ref))

    def _clear(self) -> None:
        """The last wall closed: no card is made or kept until one opens again."""
        for tile in self.tiles.values():
            if tile.timer is not None:
                tile.timer.cancel()
                tile.timer = None
            tile.seen, tile.stats = None, None  # reopened: a card of the newest frame
            self.room.broker.discard(self.channel, card_key(tile.ref))
        for ref in self.gone:
            self.room.broker.discard(self.channel, card_key(ref))
        self.gone.clear()

    # A fork's output ------------------------------------------------------------------------

    def tap(self, member: Member, out: Out) -> Out:
        """`out` of a student's fork, also feeding the wall and (when spotlit) the room."""

        def tapped(payload: Payload | None, kind: str | None) -> None:
            if self._quiet is not member:
                out(payload, kind)
            if member.id not in self.room.members:
                return  # a late output of a fork that was closed: no card for a gone student
            if kind == "frame":
                self._on_frame(member, payload)
            elif kind == "config" and isinstance(payload, str):
                sizes = json.loads(payload).get("data", {}).get("layer_sizes")
                self._tile(member).layer_sizes = sizes if isinstance(sizes, list) else []
            if member.ref == self.spotlight:
                self.room.fan_out(payload, kind)

        return tapped

    def _on_frame(self, member: Member, frame: Payload | None) -> None:
        tile = self._tile(member)
        tile.frame = frame if isinstance(frame, bytes) else None
        if self.open and tile.frame is not None:
            self._due(member, tile)

    def _due(self, member: Member, tile: Tile) -> None:
        """A card from the newest frame now, or once CARD_SECONDS have passed since the last."""
        if tile.timer is not None:
            return
        loop = asyncio.get_running_loop()
        wait = tile.made_at + CARD_SECONDS - loop.time()
        if wait <= 0:
            self._make(member, tile)
        else:  # the newest frame then, so a run that paused meanwhile shows where it stopped
            tile.timer = loop.call_later(wait, self._make, member, tile)

    def _make(self, member: Member, tile: Tile) -> None:
        tile.timer = None
        if tile.frame is None or self.tiles.get(member.id) is not tile or not self.open:
            return
        tile.made_at = asyncio.get_running_loop().time()
        tile.stats = frame_card(tile.frame)
        self._publish(member, tile)

    def _publish(self, member: Member, tile: Tile) -> None:
        tile.seen = (member.name, member.mode, member.away_since is not None)
        if not self.open:
            return
        if tile.stats is None and tile.frame is not None:
            self._due(member, tile)
            if tile.stats is not None:
                return  # _make published the whole card
        card = {
            "member": member.ref,
            "name": member.name,
            "mode": member.mode,
            "away": member.away_since is not None,
            "layer_sizes": tile.layer_sizes if member.fork is not None else None,
            **(tile.stats or {}),
        }
        self.room.broker.publish(self.channel, card_key(member.ref), text("wall_card", **card))

    async def close(self) -> None:
        """The room stops here: timers off, the channel's retained cards dropped."""
        for tile in self.tiles.values():
            if tile.timer is not None:
                tile.timer.cancel()
        self.tiles.clear()
        await self.room.broker.forget(self.channel)
