"""The webhook's own url-encoded form parser reads every body as Starlette's parser does, so
the signature is checked over exactly the parameters Starlette would have seen."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from starlette.requests import Request

from switchboard.channels.twilio.webhooks import MalformedWebhook, posted_form

BODIES = [
    urlencode({"Body": "Hola, ¿cómo estás? 👋", "From": "whatsapp:+13125550123"}).encode(),
    b"Body=a+b%2Bc&Body=second&Empty=&NoValue&%C3%A9t%C3%A9=summer",
    b"Body=raw \xe9 bytes&To=%2B15555550100",
    b"&&Body=x&&",
    b"Body=%ZZ&To=100%",
    b"",
]


def _request(body: bytes, content_type: str) -> Request:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/webhooks/twilio/sms",
        "query_string": b"",
        "headers": [(b"content-type", content_type.encode())],
    }
    return Request(scope, receive)


@pytest.mark.parametrize("body", BODIES)
async def test_url_encoded_bodies_parse_as_starlette_parses_them(body: bytes) -> None:
    content_type = "application/x-www-form-urlencoded; charset=utf-8"
    ours = await posted_form(_request(body, content_type))
    starlettes = await _request(body, content_type).form()
    assert list(ours.multi_items()) == list(starlettes.multi_items())


async def test_other_content_types_go_to_starlette() -> None:
    boundary = "xyz"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="Body"\r\n\r\nhi\r\n--{boundary}--\r\n'
    ).encode()
    form = await posted_form(_request(body, f"multipart/form-data; boundary={boundary}"))
    assert list(form.multi_items()) == [("Body", "hi")]


async def test_too_many_fields_is_a_malformed_webhook() -> None:
    body = "&".join(f"f{n}=1" for n in range(1001)).encode()
    with pytest.raises(MalformedWebhook):
        await posted_form(_request(body, "application/x-www-form-urlencoded"))
