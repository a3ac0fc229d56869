"""Classroom HTTP and websocket routes: create a room, its page and QR code, `/ws/room/{code}`.

The protocol is in docs/classroom.md. The instructor secret travels only in request bodies
and websocket messages, never in a URL the server sees (access logs record URLs).
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import numpy as np
import segno
from fastapi import APIRouter, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, Response

from app.classroom.codes import InputError
from app.classroom.room import Room
from app.classroom.seat import Seat
from app.classroom.service import Classroom
from app.mailbox import Mailbox
from app.options import server_options, split_server_fields
from app.protocol import ProtocolError
from app.routes.ws import serve_socket
from app.session import Session
from app.settings import Settings

router = APIRouter()

# HTTP status of an InputError's code (any other: 404).
STATUS = {
    "rate_limited": 429,
    "unauthorized": 403,
    "room_ended": 410,
    "rooms_unavailable": 503,
    "storage_unavailable": 503,
    "storage_full": 507,
}


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


@router.post("/api/snapshots")
async def create_snapshot(request: Request) -> dict[str, Any]:
    """Save an exported state (the `export` reply's `state`) behind a new share link.

    The body is bounded while it streams in (app.guard); every attempt counts against the
    address's share budget, refused ones included; what is stored is the state as this
    server re-exports it, so no field goes in unchecked; identical states share one link.
    """
    classroom = classroom_of(request)
    client = client_of(request)
    try:  # every attempt counts: a rejected one costs CPU too
        await asyncio.to_thread(classroom.shares.spend, client)
    except InputError as exc:
        raise HTTPException(STATUS.get(exc.code, 503), str(exc)) from None
    body = await request.body()
    settings = request.app.state.settings
    try:
        state = await asyncio.to_thread(shareable_state, body, settings)
    except ProtocolError as exc:
        raise HTTPException(422, exc.message) from None
    try:
        snap_id = await asyncio.to_thread(classroom.store.save_snapshot, state)
    except InputError as exc:  # StorageFull, or the shared store is unreachable
        raise HTTPException(STATUS.get(exc.code, 503), str(exc)) from None
    return {"id": snap_id, "url": f"/s/{snap_id}"}


def shareable_state(body: bytes, settings: Settings) -> dict[str, Any]:
    """The state to store for a share request body, re-exported by a trial session; or
    ProtocolError naming what is wrong. Runs in a worker thread (it parses megabytes)."""
    try:
        state = json.loads(body).get("state")
    except (ValueError, AttributeError):
        state = None
    if not isinstance(state, dict):
        raise ProtocolError(
            "invalid_field", 'the body must be {"state": <the export reply\'s state>}'
        )
    unknown = sorted(set(state) - {"trainer", "view"})
    if unknown:
        raise ProtocolError("invalid_field", f"state has unknown fields {unknown[:5]}")
    trainer = state.get("trainer")
    if not isinstance(trainer, dict):
        raise ProtocolError("invalid_field", 'state must be {"trainer": {...}, "view": {...}}')
    view = state.get("view") or {}
    if not isinstance(view, dict):
        raise ProtocolError("invalid_field", "view must be an object of the server's fields")
    server, other = split_server_fields(view, settings)
    if other:
        fields = ", ".join(sorted(server_options(settings)))
        raise ProtocolError(
            "invalid_field", f"view may hold only {fields} (got {sorted(other)[:5]})"
        )
    trial = Session("share-check", settings, np.random.default_rng(0))
    try:
        trial.install_state(trainer, server)
    except ProtocolError:
        raise
    except Exception as exc:  # whatever else a malformed state trips over in the engine
        raise ProtocolError("invalid_field", f"state is not an exported state: {exc}") from None
    return {"trainer": trial.trainer.export_state(), "view": server}


@router.get("/api/snapshots/{snap_id}")
async def get_snapshot(request: Request, snap_id: str) -> dict[str, Any]:
    """A shared network: {"trainer": exported trainer state, "view": {...}}."""
    if not 8 <= len(snap_id) <= 64:
        raise HTTPException(404, "no snapshot has this id")
    try:
        state = await asyncio.to_thread(classroom_of(request).store.snapshot, snap_id)
    except InputError as exc:  # the shared store is unreachable: not "no such link"
        raise HTTPException(503, str(exc)) from None
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
        raise HTTPException(STATUS.get(exc.code, 404), str(exc)) from None


# -- the room socket: the same pipeline as /ws, with a seat in the room ----------------------


@router.websocket("/ws/room/{code}")
async def room_socket(websocket: WebSocket, code: str) -> None:
    await websocket.accept()
    state = websocket.app.state
    mailbox = Mailbox(state.settings.max_pending_texts, on_drop=state.metrics.frame_dropped)
    seat = Seat(
        classroom_of(websocket), code, client_of(websocket), mailbox, state.settings, state.metrics
    )
    try:
        await serve_socket(websocket, seat.connection)
    finally:
        await seat.leave()
