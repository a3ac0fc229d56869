"""GET /: the page, with the bootstrap JSON (options, limits, defaults) embedded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "index.html", {"bootstrap": request.app.state.bootstrap}
    )
