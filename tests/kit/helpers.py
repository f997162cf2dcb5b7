"""Small assertions the API tests share: where a validation error points, walking pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from switchboard.tenancy.models import User

AsUser = Callable[[User], dict[str, str]]


def error_fields(response: httpx.Response) -> list[str]:
    """The last element of every error `loc`: the field a 422 names."""
    return [str(error["loc"][-1]) for error in response.json().get("detail", [])]


def assert_invalid(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert field in error_fields(response), response.text


async def walk_pages(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    params: dict[str, Any] | None = None,
    *,
    limit: int = 2,
    max_pages: int = 500,
) -> list[dict[str, Any]]:
    """Every item of a keyset-paginated list, following `next_cursor` to the end."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(max_pages):
        query = {**(params or {}), "limit": limit}
        if cursor:
            query["cursor"] = cursor
        response = await client.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert page["items"], "a page with a next cursor must not be empty"
    raise AssertionError(f"{url} did not end within {max_pages} pages")
