"""/ws and /ws?session=<id>: attach a socket to a new or resumed session (docs/protocol.md)."""

from __future__ import annotations

import contextlib
import json

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketState

from app import protocol
from app.connection import Connection
from app.outbox import Outbox
from app.protocol import CloseCode
from app.session import Session
from app.sessions import ServerFull, SessionUnknown

router = APIRouter()


@router.websocket("/ws")
async def socket(websocket: WebSocket) -> None:
    state = websocket.app.state
    registry, settings, metrics = state.registry, state.settings, state.metrics
    await websocket.accept()
    wanted = websocket.query_params.get("session")
    address = websocket.client.host if websocket.client else "unknown"
    try:
        registry.admit(address)
        session = registry.resume(wanted) if wanted else registry.create(address)
    except SessionUnknown as exc:
        await websocket.close(CloseCode.SESSION_UNKNOWN, _reason(exc))
        return
    except ServerFull as exc:
        await websocket.close(CloseCode.SERVER_FULL, _reason(exc))
        return

    outbox = Outbox(settings.max_pending_texts, on_drop=metrics.frame_dropped)
    registry.attach(session, outbox)
    try:
        greet(session, outbox, state.bootstrap, resumed=bool(wanted))
        connection = Connection(session, outbox, settings, metrics)
        close = await connection.run(lambda: _receive(websocket), lambda m: _send(websocket, m))
    finally:
        registry.detach(session, outbox)
    if close is not None and websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(*close)


def greet(session: Session, outbox: Outbox, bootstrap: dict, resumed: bool) -> None:
    """hello, then the dataset and the status, then a frame of the current state."""
    hello = protocol.text(
        "hello",
        session=session.id,
        resumed=resumed,
        options=bootstrap["options"],
        limits=bootstrap["limits"],
        config=session.config(),
        status=session.status_message()["data"],
    )
    for message in (hello, session.dataset_message(), session.status_message()):
        outbox.send_text(json.dumps(message, separators=(",", ":"), allow_nan=False))
    session.inputs_due = True
    session.publish_frame()


def _reason(exc: Exception) -> str:
    """A close reason must fit in 123 bytes of UTF-8."""
    return str(exc).encode()[:123].decode(errors="ignore")


async def _receive(websocket: WebSocket) -> str | bytes | None:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    return text if text is not None else message.get("bytes", b"")


async def _send(websocket: WebSocket, item: str | bytes) -> None:
    if isinstance(item, bytes):
        await websocket.send_bytes(item)
    else:
        await websocket.send_text(item)
