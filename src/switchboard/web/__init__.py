"""The staff web app: server-rendered pages (Jinja2 + htmx) over the same domain services
as the JSON API."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.web.templating import STATIC_DIR, STATIC_PREFIX, HashedStaticFiles


def install_web(app: FastAPI) -> None:
    from switchboard.web.pages import router

    app.mount(STATIC_PREFIX, HashedStaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)
