"""/ws and /ws?session=<id>: attach a socket to a new or resumed session (docs/protocol.md).

`serve_socket` is the websocket side of the one pipeline (`app.connection`); the room
socket (`app.routes.classroom`) serves through it too.
"""

from __future__ import annotations

import contextlib
import functools

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketState

from app import handlers, protocol
from app.connection import Connection
from app.mailbox import Mailbox
from app.protocol import CloseCode
from app.session import Session
from app.sessions import ServerFull, SessionUnknown

router = APIRouter()


@router.websocket("/ws")
async def socket(websocket: WebSocket) -> None:
    state = websocket.app.state
    registry = state.registry
    await websocket.accept()
    wanted = websocket.query_params.get("session")
    address = websocket.client.host if websocket.client else "unknown"
    try:
        registry.admit(address)
        session = await registry.resume(wanted, address) if wanted else registry.create(address)
    except SessionUnknown as exc:
        await websocket.close(CloseCode.SESSION_UNKNOWN, reason_of(str(exc)))
        return
    except ServerFull as exc:
        await websocket.close(CloseCode.SERVER_FULL, reason_of(str(exc)))
        return

    mailbox = Mailbox(state.settings.max_pending_texts, on_drop=state.metrics.frame_dropped)
    registry.attach(session, mailbox)
    try:
        greet(session, mailbox, state.bootstrap, resumed=bool(wanted))
        dispatch = functools.partial(handlers.handle, session)
        connection = Connection(mailbox, state.settings, state.metrics, dispatch, label="/ws")
        await serve_socket(websocket, connection)
    finally:
        registry.detach(session, mailbox)


def greet(session: Session, mailbox: Mailbox, bootstrap: dict, resumed: bool) -> None:
    """hello, then the dataset and the status, then a frame of the current state."""
    hello = protocol.text(
        "hello",
        session=session.id,
        resumed=resumed,
        options=bootstrap["options"],
        limits=bootstrap["limits"],
        config=session.config(),
        layer_sizes=session.layer_sizes(),
        status=session.status_message()["data"],
    )
    for message in (hello, session.dataset_message(), session.status_message()):
        mailbox.send_text(protocol.encode(message))
    session.inputs_due = True
    session.publish_frame()


async def serve_socket(websocket: WebSocket, connection: Connection) -> None:
    """Run the pipeline on an accepted websocket, then close it with the code it asked for."""
    close = await connection.run(lambda: _receive(websocket), lambda m: _send(websocket, m))
    if close is not None and websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(close[0], reason_of(close[1]))


def reason_of(text: str) -> str:
    """A close reason must fit in 123 bytes of UTF-8."""
    return text.encode()[:123].decode(errors="ignore")


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
