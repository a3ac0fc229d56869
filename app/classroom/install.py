"""`install_classroom(app)`: the one call that adds classroom mode to the app factory.

It adds the routes, the security headers, and a Classroom (store, broker, rooms) that
starts and stops with the app, inside the app's own lifespan.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from app.classroom.challenges import challenge_options
from app.classroom.parts import RoomLimits
from app.classroom.runner import make_session_runner
from app.classroom.security import SecurityHeaders, security_headers
from app.classroom.service import Classroom
from app.routes import challenges as challenge_routes
from app.routes import classroom as routes

log = logging.getLogger(__name__)


def install_classroom(app: FastAPI) -> None:
    """Wire classroom mode into `app` (call once, from create_app, after app.state.settings)."""
    app.include_router(routes.router)
    app.include_router(challenge_routes.router)
    limits = RoomLimits.of(app.state.settings)
    app.state.bootstrap["challenges"] = challenge_options(limits)  # the page's form reads them
    headers = security_headers(app.state.settings.frame_ancestors)
    app.add_middleware(SecurityHeaders, headers=headers)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with inner(application):
            make_runner = functools.partial(make_session_runner, application.state.registry)
            classroom = Classroom(application.state.settings, make_runner)
            settings = application.state.settings
            if settings.workers > 1 and not settings.redis_url:
                # LocalBroker fans out within one process only: students landing in another
                # worker would get a separate, paused copy of the room. Refuse rooms instead.
                reason = (
                    f"rooms need a single worker process or Redis, and this server runs "
                    f"{settings.workers} workers without redis_url: restart it with "
                    "--workers 1, or set PLAYGROUND_REDIS_URL, to use rooms"
                )
                classroom.refuse_rooms(reason)
                log.error("classroom: %s (share links and solo sessions work)", reason)
            application.state.classroom = classroom
            application.state.metrics.gauges(classroom.counts)
            await classroom.start()
            try:
                yield
            finally:
                await classroom.stop()

    app.router.lifespan_context = lifespan
