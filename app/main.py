"""`create_app(settings)`: the FastAPI application factory (thin routers, no CWD paths)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app import balance
from app.classroom.install import install_classroom
from app.classroom.security import security_headers
from app.guard import install_guards
from app.lessons import catalog, course
from app.loop_watch import LoopWatch
from app.metrics import Metrics, watch_loop
from app.options import SOCKET_VIEW_OPTIONS, all_options, compare_options, server_defaults
from app.pacing import Scheduler
from app.routes import api, pages, ws
from app.saved_sessions import SavedSessions
from app.session_store import open_store
from app.sessions import Registry
from app.settings import Settings
from engine import Config
from engine.export import EXPORT_FORMATS


def bootstrap(settings: Settings) -> dict[str, Any]:
    """What the page starts from (and /api/options returns): options, limits, defaults."""
    return {
        "options": all_options(settings),
        "limits": settings.limits(),
        "defaults": {**Config().to_dict(), **server_defaults(settings)},
        "compare": compare_options(),  # what a `compare` message may ask for
        "view": SOCKET_VIEW_OPTIONS,  # what a `view` message may ask for
        "code_formats": [
            {"name": f.name, "label": f.label, "filename": f.filename}
            for f in EXPORT_FORMATS.values()
        ],
    }


def connections_served(app: FastAPI) -> int:
    """The load app.balance evens out: attached sessions and room followers (forks are
    sessions already), so a room's students spread over the workers too."""
    classroom = getattr(app.state, "classroom", None)  # set once rooms have started
    followers = classroom.counts()["room_followers"] if classroom is not None else 0
    return app.state.registry.counts()["sessions_attached"] + followers


def create_app(settings: Settings | None = None) -> FastAPI:
    """A fresh application with its own sessions, scheduler and metrics."""
    settings = settings if settings is not None else Settings.load()
    metrics = Metrics()
    scheduler = Scheduler(metrics=metrics, cohorts=settings.cohorts)
    store = open_store(settings)
    saved = None if store is None else SavedSessions(store, metrics, settings.session_save_seconds)
    registry = Registry(
        settings,
        on_play=scheduler.add,
        on_epochs=metrics.add_epochs,
        competitors=lambda: scheduler.demand(registry.comparing),
        saved=saved,
        contended=lambda session: scheduler.contended(session, registry.comparing),
    )
    metrics.gauges(registry.counts)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything made so far (modules, the app, caches) lives as long as the process:
        # out of the collector's sight, so that a full collection, which a burst of small
        # objects (a dataset message's 2000 points) can set off at any time, walks only
        # what sessions made. It held the loop 35 ms on every few `regenerate` before.
        gc.freeze()
        tasks = [
            asyncio.create_task(scheduler.run(), name="scheduler"),
            asyncio.create_task(registry.run_expiry(), name="session-expiry"),
            asyncio.create_task(watch_loop(metrics), name="loop-lag"),
        ]
        if saved is not None:
            tasks.append(asyncio.create_task(saved.run(registry), name="session-saves"))
        if settings.loop_watch:
            app.state.loop_watch = LoopWatch()
            tasks.append(app.state.loop_watch.start())
        if os.environ.get(balance.BALANCE_DIR_ENV):  # one of --workers N > 1 (app.balance)
            directory = Path(os.environ[balance.BALANCE_DIR_ENV])
            load = balance.run(lambda: connections_served(app), directory, settings.workers)
            tasks.append(asyncio.create_task(load, name="balance"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
            if saved is not None:  # detached sessions outlive a restart (their grace period)
                await saved.flush(registry)

    app = FastAPI(title="Playground", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.scheduler = scheduler
    app.state.registry = registry
    app.state.bootstrap = bootstrap(settings)
    app.state.lessons = catalog(course(), settings)
    app.state.templates = Jinja2Templates(directory=settings.templates_dir)
    app.mount("/static", StaticFiles(directory=settings.static_dir, check_dir=False), name="static")
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(ws.router)
    install_guards(
        app, settings, security_headers(settings.frame_ancestors)
    )  # body limits, Origin check, the 500 answer
    install_classroom(app)  # classroom routes, security headers, rooms (docs/classroom.md)
    # Pages, scripts and styles travel compressed: a phone's first visit stays light (issue 16).
    # The websockets have their own per-message deflate.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    return app
