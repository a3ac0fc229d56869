"""A server `Session` as the room's `Runner`: messages go through `app.handlers`, output to
the room's `out` callable instead of a socket."""

from __future__ import annotations

import json
from typing import Any

from app import handlers, protocol
from app.budget import CpuAccount
from app.classroom.parts import Out, Reply
from app.protocol import Message, ProtocolError
from app.session import Session
from app.sessions import Registry, ServerFull


def message_type(text: str) -> str | None:
    """The `type` of an encoded server message (app.protocol.text puts it first)."""
    prefix = '{"type":"'
    if text.startswith(prefix):
        end = text.find('"', len(prefix))
        if end > 0:
            return text[len(prefix) : end]
    try:
        return json.loads(text).get("type")
    except (ValueError, AttributeError):
        return None


class RoomSubscriber:
    """What a session sends to, in place of a socket's Mailbox (app.session.Subscriber).

    Thumbnails go only in frames where they moved (app.snapshot), as on a session's own
    socket: every member's Mailbox keeps a frame that carries them apart from newer ones,
    and the broker retains the last one for a late joiner (`frame_neurons`), so a follower
    holds thumbnails within one step of the run's. A run announced to the room again (a
    spotlight, a rejoined fork) starts with a frame that carries everything.
    """

    def __init__(self, out: Out) -> None:
        self.out = out

    def send_text(self, text: str) -> None:
        self.out(text, message_type(text))

    def offer_frame(self, frame: bytes) -> None:
        self.out(frame, "frame")

    def discard_frame(self) -> None:
        self.out(None, "discard")

    def close(self, code: int, reason: str) -> None:
        """Registry.attach closes replaced sockets; a room's session is never re-attached."""


class SessionRunner:
    """One session driven by the room (the live run or a student's fork)."""

    def __init__(self, session: Session, registry: Registry) -> None:
        self.session = session
        self.registry = registry

    async def handle(self, message: Message, reply: Reply) -> None:
        """Apply one client message; ProtocolError if it is invalid (nothing changed)."""
        await handlers.handle(self.session, message, reply)

    @property
    def cpu(self) -> CpuAccount:
        return self.session.cpu

    def turn_at(self) -> float:
        return self.session.turn_at()

    def export_state(self) -> dict[str, Any]:
        """The same shape as the protocol's `export` reply: trainer state plus view."""
        return {"trainer": self.session.trainer.export_state(), "view": dict(self.session.view)}

    def announce(self) -> None:
        """The full picture: config, dataset, status, then a frame with the input maps."""
        session = self.session
        session.network_rebuilt()
        session.broadcast(session.config_message({"data": True, "network": True}))
        session.broadcast(session.dataset_message())
        session.broadcast(session.status_message())
        session.publish_frame()

    async def close(self) -> None:
        self.session.set_playing(False)
        self.session.subscribers = []
        self.registry.remove(self.session)


async def make_session_runner(
    registry: Registry,
    out: Out,
    state: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
) -> SessionRunner:
    """A new session from a saved state, a pushed config, or the defaults, announced to out.

    It is built silently, then sends the full picture (config, dataset, status, a frame
    with the input maps), which is what a follower or a fresh fork needs first.
    """
    try:
        session = registry.create()
    except ServerFull as exc:
        raise ProtocolError("server_full", str(exc)) from None
    runner = SessionRunner(session, registry)
    try:
        if state is not None:
            await handlers.handle(
                session, protocol.Message("restore", {"state": state}), lambda m: None
            )
        if config is not None:
            await handlers.handle(session, protocol.Message("configure", config), lambda m: None)
    except BaseException:
        await runner.close()
        raise
    session.subscribers = [RoomSubscriber(out)]
    session.detached_since = None  # attached for as long as the room holds it
    runner.announce()
    return runner
