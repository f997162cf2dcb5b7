"""FastAPI app factory and lifespan: database, worker, routers, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from switchboard.appointment_texts.endpoints import router as appointment_texts_router
from switchboard.assistant.endpoints import router as assistant_router
from switchboard.callintel.endpoints import router as callintel_router
from switchboard.channels.twilio.endpoints import router as twilio_router
from switchboard.chatkit import available as chatkit_available
from switchboard.config import Settings, get_settings
from switchboard.crm.endpoints import router as crm_router
from switchboard.dashboards.endpoints import router as dashboards_router
from switchboard.handlers import register_job_handlers
from switchboard.kit.db import Database
from switchboard.kit.errors import install_error_handler
from switchboard.kit.events import make_bus
from switchboard.kit.jobs import Worker
from switchboard.kit.logs import RequestContextMiddleware
from switchboard.kit.metrics import install_metrics
from switchboard.kit.resources import Resources
from switchboard.mcp.server import mcp_lifespan, mount_mcp
from switchboard.messaging.endpoints import router as messaging_router
from switchboard.realtime.endpoints import router as realtime_router
from switchboard.realtime.hub import Hub
from switchboard.realtime.tickets import make_tickets
from switchboard.tasks.endpoints import router as tasks_router
from switchboard.tenancy.endpoints import router as auth_router
from switchboard.timeline.endpoints import router as timeline_router
from switchboard.web import install_web

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    resources: Resources | None = None,
) -> FastAPI:
    """`db` is passed by tests (bound to a rolled-back transaction); otherwise built here.
    `resources` too (a test's fake sender or model); otherwise the app builds its own from
    `settings`, and closes them when it stops."""
    settings = settings or get_settings()
    owns_resources = resources is None
    app_resources = resources or Resources(settings)
    register_job_handlers()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owns_db = db is None
        if owns_db:
            app.state.db = Database.from_settings(settings)
            app.state.db.bus = app.state.bus
        await app.state.bus.start()
        worker_task = None
        if settings.run_worker:
            worker = Worker.from_settings(app.state.db, app_resources)
            worker_task = asyncio.create_task(worker.run_forever(), name="switchboard-worker")
        try:
            async with mcp_lifespan(app):
                yield
        finally:
            if worker_task is not None:
                worker.stop()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(worker_task, timeout=5)
            await app.state.hub.stop()
            app.state.bus.untap(app.state.hub)
            await app.state.bus.stop()
            await app.state.tickets.aclose()
            if owns_resources:
                await app_resources.aclose()
            if owns_db:
                await app.state.db.dispose()

    # Swagger UI and ReDoc from files the package ships: /docs works without the internet.
    app = FastAPIOffline(
        title="Switchboard",
        summary="Communications and operations hub for home-services sales teams",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.resources = app_resources
    app.state.bus = make_bus(settings.redis_url)
    # The live sockets' fan-out: handed every event this process's bus delivers.
    app.state.hub = Hub(lambda: app.state.db)
    app.state.bus.tap(app.state.hub)
    app.state.tickets = make_tickets(settings.redis_url)
    if db is not None:
        db.bus = db.bus or app.state.bus
        app.state.db = db
    install_error_handler(app)
    install_metrics(app)
    # Outermost, so every line of a request carries its id. In json mode it writes the access
    # line, and `switchboard serve` turns uvicorn's off: one line per request, not two.
    app.add_middleware(RequestContextMiddleware, access_log=settings.log_format == "json")
    for router in (
        auth_router,
        crm_router,
        appointment_texts_router,
        callintel_router,
        timeline_router,
        tasks_router,
        messaging_router,
        twilio_router,
        realtime_router,
        assistant_router,
        dashboards_router,
    ):
        app.include_router(router)
    if chatkit_available():  # the `switchboard[chatkit]` extra
        from switchboard.chatkit.endpoints import router as chatkit_router

        app.include_router(chatkit_router)
    mount_mcp(app)
    install_web(app)
    app.include_router(ops_router)
    return app


# Module-level, not closures over each app: FastAPI caches what it learns of an endpoint by
# the function object, so a closure over the app would keep every app ever built alive.
ops_router = APIRouter(tags=["ops"])


@ops_router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@ops_router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    try:
        await request.app.state.db.ping()
    except Exception as exc:  # the point is to report any failure, not to raise it
        log.warning("readiness check failed: %s", exc)
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})
