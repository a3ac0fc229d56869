"""Classroom HTTP and websocket routes: create a room, its page and QR code, `/ws/room/{code}`.

The protocol is in docs/classroom.md. The instructor secret travels only in request bodies
and websocket messages, never in a URL the server sees (access logs record URLs).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from typing import Any

import numpy as np
import segno
from fastapi import APIRouter, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, Response
from starlette.websockets import WebSocketState

from app.classroom.closecodes import RoomClose
from app.classroom.codes import InputError
from app.classroom.mailbox import Mailbox, Payload, pump
from app.classroom.parts import Member, RoomError
from app.classroom.room import Room
from app.classroom.service import Classroom
from app.connection import TokenBucket
from app.protocol import ProtocolError
from app.session import Session
from app.settings import Settings

router = APIRouter()

JOIN_TIMEOUT = 10.0  # seconds a new socket has to send its join message


def classroom_of(request: Request | WebSocket) -> Classroom:
    return request.app.state.classroom


def client_of(request: Request | WebSocket) -> str:
    return request.client.host if request.client else "unknown"


def join_url(request: Request, code: str) -> str:
    return str(request.base_url).rstrip("/") + f"/room/{code}"


@router.post("/api/rooms")
async def create_room(request: Request) -> dict[str, Any]:
    """A new room: its code, the students' URL, and the instructor's secret (shown once)."""
    try:
        room, secret = await classroom_of(request).create_room(client_of(request))
    except InputError as exc:
        raise HTTPException(429 if exc.code == "rate_limited" else 503, str(exc)) from None
    url = join_url(request, room.code)
    return {
        "code": room.code,
        "join_url": url,
        "qr_url": f"/api/rooms/{room.code}/qr.svg",
        "secret": secret,
        # The fragment never reaches the server, so the secret stays out of its logs.
        "control_url": f"{url}#secret={secret}",
    }


@router.get("/api/rooms/{code}/qr.svg")
async def room_qr(request: Request, code: str) -> Response:
    """The join URL as a QR code (SVG) for the projector."""
    room = await _find_http(request, code)
    qr = segno.make(join_url(request, room.code), error="m")
    out = io.BytesIO()
    # A standalone document (with its namespace) so that <img src> can show it.
    qr.save(out, kind="svg", scale=8, border=2, dark="#000", light="#fff", xmldecl=False)
    return Response(
        out.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


MAX_SHARE_BYTES = 4 * 1024 * 1024  # a state with 2000 points and its history fits well


@router.post("/api/snapshots")
async def create_snapshot(request: Request) -> dict[str, Any]:
    """Save an exported state (the `export` reply's `state`) behind a new share link."""
    classroom = classroom_of(request)
    try:
        classroom.shares.check(client_of(request))
    except InputError as exc:
        raise HTTPException(429, str(exc)) from None
    body = await request.body()
    if len(body) > MAX_SHARE_BYTES:
        raise HTTPException(413, f"a shared state may be at most {MAX_SHARE_BYTES} bytes")
    try:
        state = json.loads(body).get("state")
    except (ValueError, AttributeError):
        state = None
    if not isinstance(state, dict):
        raise HTTPException(422, 'the body must be {"state": <the export reply\'s state>}')
    settings = request.app.state.settings
    try:
        await asyncio.to_thread(check_shareable, state, settings)
    except ProtocolError as exc:
        raise HTTPException(422, exc.message) from None
    classroom.shares.count(client_of(request))  # every share counts
    snap_id = await asyncio.to_thread(classroom.store.save_snapshot, state)
    return {"id": snap_id, "url": f"/s/{snap_id}"}


def check_shareable(state: dict[str, Any], settings: Settings) -> None:
    """ProtocolError unless the state restores into a session within this server's limits."""
    trainer = state.get("trainer")
    if not isinstance(trainer, dict):
        raise ProtocolError("invalid_field", 'state must be {"trainer": {...}, "view": {...}}')
    trial = Session("share-check", settings, np.random.default_rng(0))
    try:
        trial.install_state(trainer, {})
    except ProtocolError:
        raise
    except Exception as exc:  # whatever else a malformed state trips over in the engine
        raise ProtocolError("invalid_field", f"state is not an exported state: {exc}") from None


@router.get("/api/snapshots/{snap_id}")
async def get_snapshot(request: Request, snap_id: str) -> dict[str, Any]:
    """A shared network: {"trainer": exported trainer state, "view": {...}}."""
    if not 8 <= len(snap_id) <= 64:
        raise HTTPException(404, "no snapshot has this id")
    state = await asyncio.to_thread(classroom_of(request).store.snapshot, snap_id)
    if state is None:
        raise HTTPException(404, "no snapshot has this id")
    return {"id": snap_id, "state": state}


@router.get("/classroom", response_class=HTMLResponse)
async def classroom_page(request: Request) -> HTMLResponse:
    return _page(request, None)


@router.get("/room/{code}", response_class=HTMLResponse)
async def room_page(request: Request, code: str) -> HTMLResponse:
    return _page(request, code.upper())


@router.get("/s/{snap_id}", response_class=HTMLResponse)
async def snapshot_page(request: Request, snap_id: str) -> HTMLResponse:
    return _page(request, None, snapshot=snap_id)


def _page(request: Request, code: str | None, snapshot: str | None = None) -> HTMLResponse:
    """The playground page (templates/index.html) in a room, share-link or landing mode."""
    state = request.app.state
    boot = {
        **state.bootstrap,
        "room": code,
        "snapshot": snapshot,
        "classroom": classroom_of(request).limits(),
    }
    return state.templates.TemplateResponse(request, "index.html", {"bootstrap": boot})


async def _find_http(request: Request, code: str) -> Room:
    try:
        return await classroom_of(request).find(code, client_of(request))
    except InputError as exc:
        status = 429 if exc.code == "rate_limited" else 404
        raise HTTPException(status, str(exc)) from None


# -- the room socket -----------------------------------------------------------------------


@router.websocket("/ws/room/{code}")
async def room_socket(websocket: WebSocket, code: str) -> None:
    await websocket.accept()
    classroom = classroom_of(websocket)
    mailbox = Mailbox(websocket.app.state.settings.max_pending_texts)
    try:
        joined = await _join(websocket, classroom, code, mailbox)
    except (InputError, ProtocolError, TimeoutError) as exc:
        await _refuse(websocket, exc)
        return
    if joined is None:
        return  # the client left before joining
    room, member = joined
    sending = asyncio.create_task(pump(mailbox, lambda p: _send(websocket, p)))
    receiving = asyncio.create_task(_receive_loop(websocket, room, member))
    try:
        await asyncio.wait({sending, receiving}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        receiving.cancel()
        await room.disconnected(member, mailbox)
        if not mailbox.closed:
            mailbox.close(1000, "")
        # Let the pump finish what it has (a kick or end notice) before closing.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(sending, 2.0)
        sending.cancel()
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close(mailbox.close_code or 1000, mailbox.close_reason[:120])


async def _join(
    websocket: WebSocket, classroom: Classroom, code: str, mailbox: Mailbox
) -> tuple[Room, Member] | None:
    """Check the code, read the join message, add the member; None if the client left."""
    client = client_of(websocket)
    room = await classroom.find(code, client)
    event = await asyncio.wait_for(websocket.receive(), JOIN_TIMEOUT)
    if event["type"] == "websocket.disconnect":
        return None
    try:
        message = json.loads(event.get("text") or "")
    except ValueError:
        message = None
    if not isinstance(message, dict) or message.get("type") != "join":
        raise RoomError(
            "invalid_message",
            'the first message must be {"type": "join", "data": {"name"?, "secret"?}}',
            RoomClose.BAD_JOIN,
        )
    data = message.get("data") or {}
    if not isinstance(data, dict):
        raise RoomError("invalid_message", "join data must be an object", RoomClose.BAD_JOIN)
    if "secret" in data:
        classroom.authorize(room, data["secret"], client)
        return room, await room.join_instructor(mailbox)
    return room, await room.join(mailbox, data.get("name"), rejoin=data.get("member"))


async def _refuse(websocket: WebSocket, exc: Exception) -> None:
    if isinstance(exc, TimeoutError):
        code, kind, message, field = RoomClose.BAD_JOIN, "timeout", "no join message", None
    else:
        kind = getattr(exc, "code", "invalid_message")
        message, field = str(exc), getattr(exc, "field", None)
        code = getattr(exc, "close", None) or (
            RoomClose.RATE_LIMITED if kind == "rate_limited" else RoomClose.BAD_JOIN
        )
    error = {"type": "error", "data": {"code": kind, "message": message, "field": field}}
    with contextlib.suppress(Exception):
        await websocket.send_text(json.dumps(error))
        await websocket.close(int(code), message[:120])


async def _receive_loop(websocket: WebSocket, room: Room, member: Member) -> None:
    settings = websocket.app.state.settings
    loop = asyncio.get_running_loop()
    messages = TokenBucket(settings.messages_per_second, settings.message_burst, loop.time)
    errors = TokenBucket(1.0, settings.max_errors, loop.time)
    while not member.mailbox.closed:
        event = await websocket.receive()
        if event["type"] == "websocket.disconnect":
            return
        raw = event.get("text")
        request: str | None = None
        try:
            if not messages.take():
                raise ProtocolError("rate_limited", "too many messages per second; ignored")
            if raw is None or len(raw) > settings.max_message_bytes:
                raise ProtocolError(
                    "invalid_message",
                    f"messages are JSON text of at most {settings.max_message_bytes} bytes",
                )
            message = json.loads(raw)
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                raise ProtocolError("invalid_message", 'a message is {"type": ..., "data": ...}')
            request = message["type"]
            await room.handle(member, message)
        except (ProtocolError, InputError, ValueError) as exc:
            code = getattr(exc, "code", "invalid_message")
            text = exc.message if isinstance(exc, ProtocolError) else str(exc)
            field = getattr(exc, "field", None)
            error = {"code": code, "message": text, "field": field, "request": request}
            member.mailbox.offer(json.dumps({"type": "error", "data": error}))
            if not errors.take():
                member.mailbox.close(4002, "too many invalid messages")


async def _send(websocket: WebSocket, payload: Payload) -> None:
    if isinstance(payload, bytes):
        await websocket.send_bytes(payload)
    else:
        await websocket.send_text(payload)
