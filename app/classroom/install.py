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

from app.classroom.runner import make_session_runner
from app.classroom.security import SecurityHeaders, security_headers
from app.classroom.service import Classroom, ClassroomSettings
from app.routes import classroom as routes

log = logging.getLogger(__name__)


def install_classroom(app: FastAPI, settings: ClassroomSettings | None = None) -> None:
    """Wire classroom mode into `app` (call once, from create_app)."""
    settings = settings or ClassroomSettings.from_env()
    app.state.classroom_settings = settings  # also marks the app as having classroom mode
    app.include_router(routes.router)
    headers = security_headers(app.state.settings.frame_ancestors)
    app.add_middleware(SecurityHeaders, headers=headers)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with inner(application):
            if application.state.settings.workers > 1:
                # LocalBroker fans out within one process only (a shared broker is part 2).
                log.warning(
                    "classroom rooms work within one worker process; with %d workers a "
                    "room's students may land in another worker and not see it",
                    application.state.settings.workers,
                )
            make_runner = functools.partial(make_session_runner, application.state.registry)
            classroom = Classroom(settings, make_runner)
            application.state.classroom = classroom
            await classroom.start()
            try:
                yield
            finally:
                await classroom.stop()

    app.router.lifespan_context = lifespan
