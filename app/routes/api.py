"""JSON and text endpoints: options, lessons, dataset previews, health and Prometheus metrics."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response

from app.metrics import CONTENT_TYPE
from engine import DATASETS

router = APIRouter()

PREVIEW_POINTS = 200
PREVIEW_SEED = 0


@router.get("/api/options")
async def options(request: Request) -> dict[str, Any]:
    """Every registry with bounds and defaults, plus the server's limits."""
    return request.app.state.bootstrap


@router.get("/api/lessons")
async def lessons(request: Request) -> dict[str, Any]:
    """Every lesson in course order with all its fields (docs/lessons.md)."""
    return {"lessons": request.app.state.lessons}


@router.get("/api/datasets/{name}/preview")
async def preview(name: str, num_classes: int = Query(2, ge=2, le=6)) -> dict[str, Any]:
    """200 points at noise 0 as [[x1, x2, label], ...] for the page's dataset thumbnails."""
    if name not in DATASETS:
        allowed = ", ".join(DATASETS)
        raise HTTPException(404, f"dataset must be one of {allowed} (got {name!r})")
    return {"name": name, "points": _preview_points(name, num_classes)}


@lru_cache(maxsize=64)
def _preview_points(name: str, num_classes: int) -> list[list[float]]:
    spec = DATASETS[name]
    x, y = spec.generate(PREVIEW_POINTS, 0.0, np.random.default_rng(PREVIEW_SEED), num_classes)
    labels = y.tolist()
    return [
        [round(x1, 3), round(x2, 3), label if isinstance(label, int) else round(label, 3)]
        for (x1, x2), label in zip(x.tolist(), labels, strict=True)
    ]


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    # The worker ("<host>:<pid>", the `worker` label of /metrics) tells apart the processes
    # of a --workers N server and of several hosts.
    return {
        "status": "ok",
        "sessions": len(request.app.state.registry),
        "pid": os.getpid(),
        "worker": request.app.state.metrics.worker,
    }


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> Response:
    """Prometheus text format; each worker process reports its own (label `worker`)."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE)


@router.get("/debug/loop")
async def loop_watch(request: Request, reset: bool = True) -> dict[str, Any]:
    """How long the event loop was held since the last read (seconds; app.loop_watch)."""
    watch = getattr(request.app.state, "loop_watch", None)
    if watch is None:
        raise HTTPException(404, "the loop watch is off: start the server with --loop-watch true")
    return watch.report(reset)
