"""Signing in and out, the redirects around it, and CSRF on every state-changing request."""

from __future__ import annotations

import httpx
import pytest

from switchboard.tasks.models import Task, TaskStatus
from switchboard.tenancy.models import Role
from switchboard.tenancy.security import SESSION_COOKIE, hash_password
from tests.factories import Factory
from tests.web.conftest import ORIGIN, TOKEN


async def _login_form(client: httpx.AsyncClient) -> str:
    page = await client.get("/login")
    assert page.status_code == 200
    found = TOKEN.search(page.text)
    assert found
    return found.group(1)


async def test_signed_out_visitor_goes_to_login_and_comes_back(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    home = await client.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/login")
    page = await client.get("/tasks?status=overdue")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/tasks%3Fstatus%3Doverdue"
    fragment = await client.get("/inbox", headers={"HX-Request": "true"})
    assert fragment.status_code == 204
    assert fragment.headers["HX-Redirect"] == "/login?next=/inbox"

    tenant = await factory.tenant()
    await factory.user(
        tenant, Role.csr, email="ann@example.test", password_hash=hash_password("pw")
    )
    token = await _login_form(client)
    signed_in = await client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "ann@example.test",
            "password": "pw",
            "next": "/tasks?status=overdue",
        },
    )
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/tasks?status=overdue")


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.csr, "/inbox"),
        (Role.rep, "/today"),
        (Role.manager, "/dashboard"),
        (Role.admin, "/dashboard"),
    ],
)
async def test_sign_in_sets_an_http_only_cookie_and_goes_home(
    client: httpx.AsyncClient, factory: Factory, role: Role, home: str
) -> None:
    tenant = await factory.tenant()
    await factory.user(
        tenant, role, email=f"{role}@example.test", password_hash=hash_password("pw")
    )
    token = await _login_form(client)
    response = await client.post(
        "/login", data={"csrf_token": token, "email": f"{role}@example.test", "password": "pw"}
    )
    assert (response.status_code, response.headers["location"]) == (303, home)
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    assert "Secure" in cookie  # SWITCHBOARD_PUBLIC_URL is https
    assert (await client.get("/")).headers["location"] == home


async def test_wrong_password_says_only_that(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    await factory.user(tenant, Role.csr, email="bo@example.test", password_hash=hash_password("pw"))
    token = await _login_form(client)
    for email in ("bo@example.test", "nobody@example.test"):
        response = await client.post(
            "/login", data={"csrf_token": token, "email": email, "password": "nope"}
        )
        assert response.status_code == 401
        assert "Wrong email or password" in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_next_never_leaves_the_site(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    await factory.user(tenant, Role.csr, email="cy@example.test", password_hash=hash_password("pw"))
    token = await _login_form(client)
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        response = await client.post(
            "/login",
            data={
                "csrf_token": token,
                "email": "cy@example.test",
                "password": "pw",
                "next": target,
            },
        )
        assert response.headers["location"] == "/inbox"


async def test_sign_out_ends_the_session(sign_in: object, factory: Factory) -> None:
    tenant = await factory.tenant()
    browser = await sign_in(await factory.user(tenant, Role.csr))  # type: ignore[operator]
    response = await browser.post("/logout")
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]


async def test_login_without_the_form_token_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.user(tenant, Role.csr, email="di@example.test", password_hash=hash_password("pw"))
    await _login_form(client)
    response = await client.post("/login", data={"email": "di@example.test", "password": "pw"})
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_a_post_without_the_token_or_from_another_site_changes_nothing(
    sign_in: object, factory: Factory, session: object
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    task = await factory.task(tenant, assignee_id=csr.id)
    browser = await sign_in(csr)  # type: ignore[operator]
    client = browser.client

    no_token = await client.post(f"/tasks/{task.id}/complete", headers={"Origin": ORIGIN})
    wrong_token = await client.post(
        f"/tasks/{task.id}/complete", data={"csrf_token": "0" * 64}, headers={"Origin": ORIGIN}
    )
    other_site = await client.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": browser.csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert [r.status_code for r in (no_token, wrong_token, other_site)] == [403, 403, 403]
    await session.refresh(task)  # type: ignore[attr-defined]
    assert task.status == TaskStatus.open

    done = await browser.post(f"/tasks/{task.id}/complete")
    assert done.status_code == 303
    await session.refresh(task)  # type: ignore[attr-defined]
    assert task.status == TaskStatus.completed
    assert isinstance(task, Task)


async def test_a_deactivated_user_is_signed_out(
    sign_in: object, factory: Factory, session: object
) -> None:
    tenant = await factory.tenant()
    csr = await factory.user(tenant, Role.csr)
    browser = await sign_in(csr)  # type: ignore[operator]
    assert (await browser.get("/inbox")).status_code == 200
    csr.active = False
    await session.flush()  # type: ignore[attr-defined]
    response = await browser.get("/inbox")
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/inbox")


async def test_the_sign_in_form_is_throttled_like_the_api(
    client: httpx.AsyncClient, factory: Factory, settings: object
) -> None:
    tenant = await factory.tenant()
    await factory.user(tenant, Role.csr, email="ed@example.test", password_hash=hash_password("pw"))
    token = await _login_form(client)
    limit = settings.login_failures_per_address  # type: ignore[attr-defined]
    for _ in range(limit):
        wrong = await client.post(
            "/login", data={"csrf_token": token, "email": "ed@example.test", "password": "no"}
        )
        assert wrong.status_code == 401
    right = await client.post(
        "/login", data={"csrf_token": token, "email": "ed@example.test", "password": "pw"}
    )
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in right.text
    assert SESSION_COOKIE not in right.headers.get("set-cookie", "")
