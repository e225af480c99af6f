"""The app as Uvicorn builds it in each server process, with the embedded worker when enabled."""

from __future__ import annotations

import gc
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
    settle_heap()
    return app


def settle_heap() -> None:
    """What a server process has built by now (modules, routes, the compiled rule sets' closures) lives as long as
    the process: kept out of the collector's full passes (gc.freeze), which otherwise walk all of it every time
    request churn triggers one (bench/events.py: a sixth of the CPU of POST /api/v1/events went to full
    collections, and each module the app imports made them dearer)."""
    gc.collect()
    gc.freeze()
