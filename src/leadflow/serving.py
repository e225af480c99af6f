"""The app as Uvicorn builds it in each server process, with the embedded worker when enabled."""

from __future__ import annotations

from contextlib import asynccontextmanager

from leadflow import logs
from leadflow.app import create_app
from leadflow.settings import get_settings


def build():
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    app = create_app(settings)
    if settings.embedded_worker:
        from leadflow import worker

        @asynccontextmanager
        async def lifespan(_app):
            thread, stop = worker.start_in_thread(app.state.sessionmaker)
            yield
            stop.set()
            thread.join(timeout=10)

        app.router.lifespan_context = lifespan
    return app
