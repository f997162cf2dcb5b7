"""/readyz reports a database it cannot reach as 503, not as a crash."""

from __future__ import annotations

import httpx

from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.db import Database


async def test_readyz_is_503_when_the_database_is_down() -> None:
    settings = Settings(demo=True, run_worker=False)
    db = Database.from_url("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"] == "down"
        assert (await client.get("/healthz")).status_code == 200
    await db.dispose()
