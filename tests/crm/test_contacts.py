"""Contact cards: phones in E.164 and unique per tenant, search, updates, 404s."""

from __future__ import annotations

import uuid

import httpx
import pytest

from switchboard.tenancy.models import Role
from tests.factories import Factory
from tests.kit.helpers import AsUser, assert_invalid


@pytest.fixture
async def headers(factory: Factory, as_user: AsUser) -> dict[str, str]:
    tenant = await factory.tenant()
    return as_user(await factory.user(tenant, Role.csr))


@pytest.mark.parametrize(
    "raw",
    ["(312) 555-0143", "312.555.0143", "+1 312 555 0143", "1-312-555-0143", "3125550143"],
)
async def test_phone_in_any_format_is_stored_in_e164(
    client: httpx.AsyncClient, headers: dict[str, str], raw: str
) -> None:
    created = await client.post(
        "/api/contacts", json={"first_name": "Dana", "phone": raw}, headers=headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["phone"] == "+13125550143"
    assert body["phones"] == [{"number": "+13125550143", "label": "mobile", "is_primary": True}]
    fetched = await client.get(f"/api/contacts/{body['id']}", headers=headers)
    assert fetched.json()["phone"] == "+13125550143"


@pytest.mark.parametrize("raw", ["not a number", "12", "+1 312 555 0143 999 999"])
async def test_malformed_phone_is_a_422_naming_the_field(
    client: httpx.AsyncClient, headers: dict[str, str], raw: str
) -> None:
    response = await client.post(
        "/api/contacts", json={"first_name": "Dana", "phone": raw}, headers=headers
    )
    assert_invalid(response, "phone")
    listed = await client.post(
        "/api/contacts",
        json={"first_name": "Dana", "phones": [{"number": raw}]},
        headers=headers,
    )
    assert_invalid(listed, "number")
    assert listed.json()["detail"][0]["loc"][:2] == ["body", "phones"]


async def test_a_contact_needs_a_name_or_a_number(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post("/api/contacts", json={"email": "x@example.test"}, headers=headers)
    assert response.status_code == 422


async def test_duplicate_phone_in_a_tenant_is_a_conflict(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    first = await client.post(
        "/api/contacts", json={"first_name": "Ann", "phone": "312-555-0101"}, headers=headers
    )
    assert first.status_code == 201
    again = await client.post(
        "/api/contacts", json={"first_name": "Bob", "phone": "+13125550101"}, headers=headers
    )
    assert again.status_code == 409, again.text
    body = again.json()
    assert body["error"] == "conflict"
    assert "+13125550101" in body["message"]
    assert body["contact_id"] == first.json()["id"]


async def test_same_number_listed_twice_is_rejected(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/contacts",
        json={"first_name": "Ann", "phones": [{"number": "3125550101"}, {"number": "3125550101"}]},
        headers=headers,
    )
    assert_invalid(response, "phones")


async def test_the_same_phone_in_another_tenant_is_fine(
    client: httpx.AsyncClient, factory: Factory, as_user: AsUser, headers: dict[str, str]
) -> None:
    other = as_user(await factory.user(await factory.tenant(), Role.csr))
    for who in (headers, other):
        created = await client.post(
            "/api/contacts", json={"first_name": "Ann", "phone": "3125550177"}, headers=who
        )
        assert created.status_code == 201, created.text


async def test_search_by_name_partial_name_and_phone_digits(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    people = [
        ("Maria", "Gonzalez", "312-555-0111"),
        ("Mark", "Lee", "312-555-0122"),
        ("Sam", "Okafor", "773-555-0133"),
    ]
    ids: dict[str, str] = {}
    for first, last, phone in people:
        created = await client.post(
            "/api/contacts",
            json={"first_name": first, "last_name": last, "phone": phone},
            headers=headers,
        )
        ids[first] = created.json()["id"]

    async def found(q: str) -> set[str]:
        response = await client.get("/api/contacts", params={"q": q}, headers=headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await found("Maria Gonzalez") == {ids["Maria"]}
    assert await found("gonz") == {ids["Maria"]}
    assert await found("MAR") == {ids["Maria"], ids["Mark"]}
    assert await found("773") == {ids["Sam"]}
    assert await found("(312) 555-01") == {ids["Maria"], ids["Mark"]}
    assert await found("0122") == {ids["Mark"]}
    assert await found("nobody") == set()
    # Wildcards are searched for literally.
    assert await found("%") == set()
    assert await found("m_r") == set()


async def test_patch_fields_and_replace_phones(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    created = await client.post(
        "/api/contacts",
        json={
            "first_name": "Lee",
            "phones": [{"number": "3125550150"}, {"number": "3125550151", "label": "home"}],
            "tags": ["roof"],
        },
        headers=headers,
    )
    contact_id = created.json()["id"]
    assert [p["number"] for p in created.json()["phones"]] == ["+13125550150", "+13125550151"]

    patched = await client.patch(
        f"/api/contacts/{contact_id}",
        json={
            "last_name": "Park",
            "city": "Chicago",
            "phones": [{"number": "(312) 555-0151", "label": "home"}, {"number": "3125550152"}],
        },
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["display_name"] == "Lee Park"
    assert body["tags"] == ["roof"]
    assert body["phones"] == [
        {"number": "+13125550151", "label": "home", "is_primary": True},
        {"number": "+13125550152", "label": "mobile", "is_primary": False},
    ]
    assert body["phone"] == "+13125550151"

    # The dropped number is free again for another contact.
    reuse = await client.post(
        "/api/contacts", json={"first_name": "Kim", "phone": "3125550150"}, headers=headers
    )
    assert reuse.status_code == 201, reuse.text

    cleared = await client.patch(
        f"/api/contacts/{contact_id}", json={"phones": [], "city": None}, headers=headers
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["phones"] == [] and cleared.json()["phone"] is None
    assert cleared.json()["city"] is None


async def test_patch_phone_owned_by_another_contact_is_a_conflict(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    ann = await client.post(
        "/api/contacts", json={"first_name": "Ann", "phone": "3125550161"}, headers=headers
    )
    bob = await client.post(
        "/api/contacts", json={"first_name": "Bob", "phone": "3125550162"}, headers=headers
    )
    response = await client.patch(
        f"/api/contacts/{bob.json()['id']}",
        json={"phones": [{"number": "3125550161"}]},
        headers=headers,
    )
    assert response.status_code == 409
    assert response.json()["contact_id"] == ann.json()["id"]
    unchanged = await client.get(f"/api/contacts/{bob.json()['id']}", headers=headers)
    assert unchanged.json()["phone"] == "+13125550162"


async def test_patch_rejects_bad_values(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    created = await client.post("/api/contacts", json={"first_name": "Ann"}, headers=headers)
    url = f"/api/contacts/{created.json()['id']}"
    assert_invalid(await client.patch(url, json={"email": "nope"}, headers=headers), "email")
    assert_invalid(await client.patch(url, json={"tags": None}, headers=headers), "tags")
    assert_invalid(await client.patch(url, json={"consent": None}, headers=headers), "consent")
    assert_invalid(await client.patch(url, json={"unknown": 1}, headers=headers), "unknown")
    assert_invalid(
        await client.patch(url, json={"phones": [{"number": "12"}]}, headers=headers), "number"
    )


async def test_unknown_contact_is_404(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    missing = uuid.uuid4()
    response = await client.get(f"/api/contacts/{missing}", headers=headers)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    patched = await client.patch(f"/api/contacts/{missing}", json={}, headers=headers)
    assert patched.status_code == 404
    assert (await client.get("/api/contacts/not-a-uuid", headers=headers)).status_code == 422


async def test_list_requires_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/contacts")).status_code == 401
