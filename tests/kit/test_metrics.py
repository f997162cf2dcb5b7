"""Request metrics are counted by route template and the status actually sent."""

from __future__ import annotations

import httpx

from switchboard.kit.metrics import REQUESTS


def _count(method: str, route: str, status: str) -> float:
    value = REQUESTS.labels(method, route, status)._value.get()
    return float(value)


async def test_requests_are_counted_by_route_template_and_status(
    client: httpx.AsyncClient,
) -> None:
    route = "/webhooks/twilio/sms"
    refused_before = _count("POST", route, "403")
    unmatched_before = _count("GET", "unmatched", "404")
    assert (await client.post(route, data={"Body": "unsigned"})).status_code == 403
    assert (await client.get("/no/such/page")).status_code == 404
    assert _count("POST", route, "403") == refused_before + 1
    assert _count("GET", "unmatched", "404") == unmatched_before + 1
    assert 'route="/webhooks/twilio/sms"' in (await client.get("/metrics")).text
