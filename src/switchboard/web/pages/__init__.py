"""Every page of the web app, one module per screen, under one router."""

from __future__ import annotations

from fastapi import APIRouter

from switchboard.web.pages import (
    assistant,
    auth,
    calls,
    contacts,
    dashboard,
    inbox,
    settings,
    tasks,
    today,
)

router = APIRouter(include_in_schema=False)
for module in (auth, inbox, tasks, contacts, calls, assistant, settings, dashboard, today):
    router.include_router(module.router)
