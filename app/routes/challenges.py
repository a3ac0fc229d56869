"""A challenge's submissions as CSV, for the room's instructor (docs/classroom.md).

POST, so that the instructor secret travels in the body and never in a logged URL.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.classroom import challenge_store as db
from app.classroom.codes import InputError
from app.routes.classroom import STATUS, classroom_of, client_of

router = APIRouter()


@router.post("/api/rooms/{code}/challenges/{challenge_id}/submissions.csv")
async def export_submissions(request: Request, code: str, challenge_id: int) -> Response:
    """Every submission of one of the room's challenges, oldest first; body {"secret"}."""
    classroom = classroom_of(request)
    client = client_of(request)
    try:
        secret = json.loads(await request.body()).get("secret")
    except (ValueError, AttributeError):
        secret = None
    try:
        room = await classroom.find(code, client)
        classroom.authorize(room, secret, client)
        found = await asyncio.to_thread(classroom.store.challenge, room.code, challenge_id)
        if found is None:
            missing = f"room {room.code} has no challenge {challenge_id}"
            raise InputError("no_challenge", None, missing)
        entries = await asyncio.to_thread(classroom.store.submissions, challenge_id)
    except InputError as exc:
        raise HTTPException(STATUS.get(exc.code, 404), str(exc)) from None
    body = db.csv_text(found[1], entries)
    name = f"challenge-{room.code}-{challenge_id}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
